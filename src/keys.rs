//! Keys: public-key and signature newtypes with strict verification, secret keys, member ids, and
//! the secret key file format (spec §4.3, §4.4, §12).
//!
//! Nothing in this module touches the file system; reading and writing key files with the right
//! permissions is done by [`crate::home`].

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use rand_core::{OsRng, RngCore as _};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::error::{ErrorClass, FormatError};
use crate::hash::{Hash32, CTX_KEY_ACCEPT, CTX_MEMBER_ID, CTX_SECRET_KEY};

/// Length of a signature in its base64 form (spec §3).
pub const SIGNATURE_B64_LEN: usize = 88;

/// A member's stable id (spec §4.4).
pub type MemberId = Hash32;

/// An Ed25519 public key that is a canonical encoding of a point that is not of small order.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Accepts `bytes` only if they are a canonical, non-weak Ed25519 public key (spec §4.3).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, FormatError> {
        let bad = |m: &str| FormatError::new(ErrorClass::BadKey, m.to_string());
        let vk = VerifyingKey::from_bytes(bytes)
            .map_err(|_| bad("public key is not the encoding of a curve point"))?;
        // Decompression reduces y modulo p and accepts a sign bit on x = 0, so two encodings can
        // name one point: require the bytes to be the point's own compression.
        if vk.to_edwards().compress().to_bytes() != *bytes {
            return Err(bad("public key is a non-canonical encoding of its point"));
        }
        if vk.is_weak() {
            return Err(bad("public key is of small order (weak)"));
        }
        Ok(PublicKey(vk))
    }

    /// Parses 64 lowercase hex characters into a checked public key.
    pub fn from_hex(s: &str) -> Result<Self, FormatError> {
        let bytes = crate::hash::decode_hex32(s).ok_or_else(|| {
            FormatError::new(
                ErrorClass::BadField,
                "public key is not 64 lowercase hex characters",
            )
        })?;
        Self::from_bytes(&bytes)
    }

    /// The 32 bytes of the key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The key as 64 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// Strict verification (`verify_strict`, spec §4.3): the only way this crate accepts a signature.
    pub fn verify_strict(&self, message: &[u8], sig: &Signature) -> bool {
        self.0.verify_strict(message, &sig.0).is_ok()
    }

    /// The member id this key founds when it signs a chain's first entry.
    pub fn member_id(&self) -> MemberId {
        Hash32::with_context(CTX_MEMBER_ID, &[self.0.as_bytes()])
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

/// An Ed25519 signature (64 bytes). Acceptance is decided only by [`PublicKey::verify_strict`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(ed25519_dalek::Signature);

impl Signature {
    /// Parses the canonical base64 form (spec §3): 88 characters, padded, zero trailing bits.
    pub fn from_base64(s: &str) -> Result<Self, FormatError> {
        let bad = || {
            FormatError::new(
                ErrorClass::BadSignature,
                "signature is not 88 characters of padded standard base64 encoding 64 bytes",
            )
        };
        if s.len() != SIGNATURE_B64_LEN {
            return Err(bad());
        }
        // 88 characters decode to at most 66 bytes; exactly 64 are wanted. On the stack: this runs
        // for every line verified.
        let mut buf = [0u8; 66];
        let n = STANDARD.decode_slice(s, &mut buf).map_err(|_| bad())?;
        let arr: [u8; 64] = buf
            .get(..n)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        // The engine rejects non-zero trailing bits; re-encoding guards the one-encoding rule anyway.
        let mut again = [0u8; SIGNATURE_B64_LEN];
        let m = STANDARD.encode_slice(arr, &mut again).map_err(|_| bad())?;
        if again.get(..m) != Some(s.as_bytes()) {
            return Err(bad());
        }
        Ok(Signature(ed25519_dalek::Signature::from_bytes(&arr)))
    }

    /// The signature R ‖ S with these 64 bytes. Any 64 bytes are taken: whether they are a valid
    /// signature (S canonical, R not of small order, the equation holds) is decided only by
    /// [`PublicKey::verify_strict`].
    pub fn from_bytes(bytes: &[u8; 64]) -> Self {
        Signature(ed25519_dalek::Signature::from_bytes(bytes))
    }

    /// The canonical base64 form.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.to_bytes())
    }

    /// The 64 bytes.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0.to_bytes()
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.to_base64())
    }
}

/// A secret signing key. Its bytes are zeroized on drop and never printed.
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Self {
        SecretKey(SigningKey::generate(&mut OsRng))
    }

    /// The key for a 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        SecretKey(SigningKey::from_bytes(seed))
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `message` (which must already start with a context string).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message))
    }

    fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public {})", self.public().to_hex())
    }
}

/// The message a new key signs to accept a rotation (spec §6.9).
pub fn key_accept_message(
    member: &MemberId,
    old: &PublicKey,
    new: &PublicKey,
    seq: u64,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(CTX_KEY_ACCEPT.len() + 1 + 104);
    m.extend_from_slice(CTX_KEY_ACCEPT.as_bytes());
    m.push(0);
    m.extend_from_slice(member.as_bytes());
    m.extend_from_slice(&old.to_bytes());
    m.extend_from_slice(&new.to_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m
}

/// Argon2id cost of a passphrase-protected key file (spec §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Parallelism.
    pub p: u32,
}

impl KdfParams {
    /// The default for new key files: 64 MiB, 3 passes, 1 lane (about a quarter second here).
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 65536,
        t: 3,
        p: 1,
    };
    /// Smallest memory accepted.
    pub const MIN_M_KIB: u32 = 8192;
    /// Largest memory accepted (4 GiB).
    pub const MAX_M_KIB: u32 = 4_194_304;
    /// Largest iteration count accepted.
    pub const MAX_T: u32 = 16;
    /// Largest parallelism accepted.
    pub const MAX_P: u32 = 8;

    fn check(&self) -> Result<(), String> {
        if !(Self::MIN_M_KIB..=Self::MAX_M_KIB).contains(&self.m_kib) {
            return Err(format!(
                "kdf m_kib {} is outside {}..={}",
                self.m_kib,
                Self::MIN_M_KIB,
                Self::MAX_M_KIB
            ));
        }
        if !(1..=Self::MAX_T).contains(&self.t) {
            return Err(format!("kdf t {} is outside 1..={}", self.t, Self::MAX_T));
        }
        if !(1..=Self::MAX_P).contains(&self.p) {
            return Err(format!("kdf p {} is outside 1..={}", self.p, Self::MAX_P));
        }
        Ok(())
    }
}

/// Why a key file could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The file is not a well-formed key file.
    #[error("{0}")]
    Malformed(String),
    /// The file is encrypted and no passphrase was given.
    #[error("the key is protected by a passphrase")]
    NeedPassphrase,
    /// Decryption failed: wrong passphrase or a damaged file.
    #[error("wrong passphrase, or the key file is damaged")]
    Decrypt,
}

/// A secret key with the member id it signs for, as held in a key file.
#[derive(Debug)]
pub struct KeyFile {
    /// The member this key signs for.
    pub member: MemberId,
    /// The secret key.
    pub secret: SecretKey,
}

const KEY_FILE_KIND: &str = "coi-secret-key";

impl KeyFile {
    /// Encodes the key file (one canonical JSON line and LF). With a passphrase the seed is
    /// encrypted under Argon2id + XChaCha20-Poly1305.
    pub fn encode(
        &self,
        passphrase: Option<&[u8]>,
        kdf: KdfParams,
    ) -> Result<Zeroizing<String>, String> {
        let public = self.secret.public();
        let mut obj = json!({
            "kind": KEY_FILE_KIND,
            "member": self.member.to_hex(),
            "public": public.to_hex(),
            "v": 1,
        });
        let seed = self.secret.seed();
        match passphrase {
            None => {
                obj["secret"] = Value::String(hex::encode(*seed));
            }
            Some(pass) => seal_secret(&mut obj, pass, kdf, seed.as_slice(), |k| {
                associated_data(&self.member, &public, k)
            })?,
        }
        let mut text = Zeroizing::new(crate::canon::encode(&obj));
        text.push('\n');
        // The seed was in `obj` as a string for the unencrypted form; clear it.
        if let Some(Value::String(s)) = obj.get_mut("secret") {
            zeroize::Zeroize::zeroize(s);
        }
        Ok(text)
    }

    /// Whether a key file's text says it is passphrase-protected.
    pub fn is_encrypted(text: &[u8]) -> bool {
        parse_obj(text)
            .map(|o| o.get("kdf").is_some())
            .unwrap_or(false)
    }

    /// Decodes a key file. `passphrase` is needed iff the file is encrypted.
    pub fn decode(text: &[u8], passphrase: Option<&[u8]>) -> Result<KeyFile, KeyFileError> {
        let malformed = |m: &str| KeyFileError::Malformed(m.to_string());
        let mut obj = parse_obj(text)?;
        let get_str =
            |o: &serde_json::Map<String, Value>, k: &str| -> Result<String, KeyFileError> {
                o.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| KeyFileError::Malformed(format!("missing or non-string `{k}`")))
            };
        if obj.get("v").and_then(Value::as_u64) != Some(1) {
            return Err(malformed("unsupported key file version (expected v 1)"));
        }
        if obj.get("kind").and_then(Value::as_str) != Some(KEY_FILE_KIND) {
            return Err(malformed("not a coi secret key file"));
        }
        let member = MemberId::from_hex(&get_str(&obj, "member")?)
            .ok_or_else(|| malformed("`member` is not 64 lowercase hex"))?;
        let public = PublicKey::from_hex(&get_str(&obj, "public")?)
            .map_err(|e| KeyFileError::Malformed(format!("`public`: {}", e.message)))?;
        let encrypted = obj.contains_key("kdf");
        let allowed: &[&str] = if encrypted {
            &["aead", "kdf", "kind", "member", "public", "secret", "v"]
        } else {
            &["kind", "member", "public", "secret", "v"]
        };
        if obj.keys().any(|k| !allowed.contains(&k.as_str())) || obj.len() != allowed.len() {
            return Err(malformed("unexpected or missing fields"));
        }
        let mut secret_text = Zeroizing::new(get_str(&obj, "secret")?);
        if let Some(Value::String(s)) = obj.get_mut("secret") {
            zeroize::Zeroize::zeroize(s);
        }
        let seed: Zeroizing<[u8; 32]> = if !encrypted {
            let mut seed = Zeroizing::new([0u8; 32]);
            if secret_text.len() != 64 || secret_text.bytes().any(|b| b.is_ascii_uppercase()) {
                return Err(malformed("`secret` is not 64 lowercase hex"));
            }
            hex::decode_to_slice(secret_text.as_bytes(), seed.as_mut_slice())
                .map_err(|_| malformed("`secret` is not 64 lowercase hex"))?;
            seed
        } else {
            let pass = passphrase.ok_or(KeyFileError::NeedPassphrase)?;
            let ct = b64_exact(Some(&Value::String(std::mem::take(&mut *secret_text))), 48)
                .ok_or_else(|| malformed("`secret` is not 48 bytes of base64"))?;
            let pt = open_secret(&obj, &ct, pass, |kdf| {
                associated_data(&member, &public, kdf)
            })?;
            let mut seed = Zeroizing::new([0u8; 32]);
            if pt.len() != 32 {
                return Err(KeyFileError::Decrypt);
            }
            seed.copy_from_slice(&pt);
            seed
        };
        let secret = SecretKey::from_seed(&seed);
        if secret.public() != public {
            return Err(malformed(
                "the stored public key does not match the secret key",
            ));
        }
        Ok(KeyFile { member, secret })
    }
}

fn parse_obj(text: &[u8]) -> Result<serde_json::Map<String, Value>, KeyFileError> {
    let malformed = |m: String| KeyFileError::Malformed(m);
    let text = std::str::from_utf8(text).map_err(|_| malformed("not UTF-8".into()))?;
    let line = text
        .strip_suffix('\n')
        .ok_or_else(|| malformed("does not end with a newline".into()))?;
    match crate::canon::parse(line).map_err(|e| malformed(e.to_string()))? {
        Value::Object(o) => Ok(o),
        _ => Err(malformed("not a JSON object".into())),
    }
}

fn parse_kdf(v: &Value) -> Result<KdfParams, KeyFileError> {
    let malformed = |m: &str| KeyFileError::Malformed(m.to_string());
    let o = v
        .as_object()
        .ok_or_else(|| malformed("kdf is not an object"))?;
    if o.len() != 5 || o.get("alg").and_then(Value::as_str) != Some("argon2id") {
        return Err(malformed("kdf must be argon2id with m_kib, p, salt, t"));
    }
    let num = |k: &str| -> Result<u32, KeyFileError> {
        o.get(k)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| KeyFileError::Malformed(format!("kdf `{k}` is not a 32-bit integer")))
    };
    let params = KdfParams {
        m_kib: num("m_kib")?,
        t: num("t")?,
        p: num("p")?,
    };
    params.check().map_err(KeyFileError::Malformed)?;
    Ok(params)
}

fn b64_exact(v: Option<&Value>, len: usize) -> Option<Vec<u8>> {
    let s = v?.as_str()?;
    let bytes = STANDARD.decode(s).ok()?;
    (bytes.len() == len && STANDARD.encode(&bytes) == s).then_some(bytes)
}

/// Encrypts `secret` into `obj` (spec §12): a fresh salt and nonce, the `kdf` and `aead` objects
/// and the base64 ciphertext as `secret`, under associated data `ad` of the `kdf` object.
fn seal_secret(
    obj: &mut Value,
    pass: &[u8],
    kdf: KdfParams,
    secret: &[u8],
    ad: impl FnOnce(&Value) -> Vec<u8>,
) -> Result<(), String> {
    kdf.check()?;
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut nonce);
    let kdf_obj = json!({"alg": "argon2id", "m_kib": kdf.m_kib, "p": kdf.p, "salt": STANDARD.encode(salt), "t": kdf.t});
    let aead_key = derive(pass, &salt, kdf)?;
    let ct = aead(&aead_key, &nonce, &ad(&kdf_obj), secret, true)
        .map_err(|_| "encryption failed".to_string())?;
    obj["kdf"] = kdf_obj;
    obj["aead"] = json!({"alg": "xchacha20poly1305", "nonce": STANDARD.encode(nonce)});
    obj["secret"] = Value::String(STANDARD.encode(ct.as_slice()));
    Ok(())
}

/// Decrypts `ct`, the ciphertext of an encrypted key file `obj` (spec §12): reads and bounds its
/// `kdf` and `aead` objects, derives the key and opens it under associated data `ad`.
fn open_secret(
    obj: &serde_json::Map<String, Value>,
    ct: &[u8],
    pass: &[u8],
    ad: impl FnOnce(&Value) -> Vec<u8>,
) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
    let malformed = |m: &str| KeyFileError::Malformed(m.to_string());
    let kdf_obj = obj.get("kdf").ok_or_else(|| malformed("missing kdf"))?;
    let params = parse_kdf(kdf_obj)?;
    let salt = b64_exact(kdf_obj.get("salt"), 16)
        .ok_or_else(|| malformed("kdf salt is not 16 bytes of base64"))?;
    let aead_obj = obj.get("aead").ok_or_else(|| malformed("missing aead"))?;
    if aead_obj.get("alg").and_then(Value::as_str) != Some("xchacha20poly1305")
        || aead_obj.as_object().map(|o| o.len()) != Some(2)
    {
        return Err(malformed(
            "aead must be {\"alg\":\"xchacha20poly1305\",\"nonce\":...}",
        ));
    }
    let nonce = b64_exact(aead_obj.get("nonce"), 24)
        .ok_or_else(|| malformed("aead nonce is not 24 bytes of base64"))?;
    let aead_key = derive(pass, &salt, params).map_err(KeyFileError::Malformed)?;
    aead(&aead_key, &nonce, &ad(kdf_obj), ct, false).map_err(|_| KeyFileError::Decrypt)
}

fn associated_data(member: &MemberId, public: &PublicKey, kdf_obj: &Value) -> Vec<u8> {
    let mut ad = Vec::new();
    ad.extend_from_slice(CTX_SECRET_KEY.as_bytes());
    ad.push(0);
    ad.extend_from_slice(member.as_bytes());
    ad.extend_from_slice(&public.to_bytes());
    ad.extend_from_slice(crate::canon::encode(kdf_obj).as_bytes());
    ad
}

fn derive(pass: &[u8], salt: &[u8], kdf: KdfParams) -> Result<Zeroizing<[u8; 32]>, String> {
    kdf.check()?;
    let params = argon2::Params::new(kdf.m_kib, kdf.t, kdf.p, Some(32))
        .map_err(|e| format!("kdf parameters: {e}"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(pass, salt, out.as_mut_slice())
        .map_err(|e| format!("kdf: {e}"))?;
    Ok(out)
}

fn aead(
    key: &[u8; 32],
    nonce: &[u8],
    ad: &[u8],
    input: &[u8],
    encrypt: bool,
) -> Result<Zeroizing<Vec<u8>>, ()> {
    use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
    let cipher = chacha20poly1305::XChaCha20Poly1305::new(key.into());
    let nonce = chacha20poly1305::XNonce::from_slice(nonce);
    let payload = Payload {
        msg: input,
        aad: ad,
    };
    let out = if encrypt {
        cipher.encrypt(nonce, payload)
    } else {
        cipher.decrypt(nonce, payload)
    };
    out.map(Zeroizing::new).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> KdfParams {
        KdfParams {
            m_kib: KdfParams::MIN_M_KIB,
            t: 1,
            p: 1,
        }
    }

    #[test]
    fn key_file_round_trips_plain_and_encrypted() {
        let sk = SecretKey::generate();
        let member = sk.public().member_id();
        let kf = KeyFile { member, secret: sk };
        let plain = kf.encode(None, fast()).unwrap();
        let back = KeyFile::decode(plain.as_bytes(), None).unwrap();
        assert_eq!(back.secret.public(), kf.secret.public());
        let enc = kf.encode(Some(b"pw"), fast()).unwrap();
        assert!(KeyFile::is_encrypted(enc.as_bytes()));
        assert_eq!(
            KeyFile::decode(enc.as_bytes(), None).unwrap_err(),
            KeyFileError::NeedPassphrase
        );
        assert_eq!(
            KeyFile::decode(enc.as_bytes(), Some(b"wrong")).unwrap_err(),
            KeyFileError::Decrypt
        );
        let back = KeyFile::decode(enc.as_bytes(), Some(b"pw")).unwrap();
        assert_eq!(back.secret.public(), kf.secret.public());
    }

    #[test]
    fn age_identity_file_round_trips_plain_and_encrypted() {
        let f = AgeIdentityFile {
            member: Hash32::from_bytes([3; 32]),
            recipient: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p".into(),
            identity: Zeroizing::new("AGE-SECRET-KEY-1QQQQ".into()),
        };
        let plain = f.encode(None, fast()).unwrap();
        let back = AgeIdentityFile::decode(plain.as_bytes(), None).unwrap();
        assert_eq!(back.identity.as_str(), "AGE-SECRET-KEY-1QQQQ");
        let enc = f.encode(Some(b"pw"), fast()).unwrap();
        assert!(!enc.contains("AGE-SECRET"));
        assert!(KeyFile::is_encrypted(enc.as_bytes()));
        assert_eq!(
            AgeIdentityFile::decode(enc.as_bytes(), Some(b"pw"))
                .unwrap()
                .identity
                .as_str(),
            "AGE-SECRET-KEY-1QQQQ"
        );
        assert_eq!(
            AgeIdentityFile::decode(enc.as_bytes(), Some(b"no")).unwrap_err(),
            KeyFileError::Decrypt
        );
        assert_eq!(
            AgeIdentityFile::decode(enc.as_bytes(), None).unwrap_err(),
            KeyFileError::NeedPassphrase
        );
        // The recipient is bound to the ciphertext: another recipient does not decrypt.
        let swapped = enc.replace("mcac8p", "mcac8q");
        assert!(AgeIdentityFile::decode(swapped.as_bytes(), Some(b"pw")).is_err());
    }

    #[test]
    fn refuses_non_canonical_and_weak_keys() {
        // The identity point (small order) in canonical form.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            PublicKey::from_bytes(&identity).unwrap_err().class,
            ErrorClass::BadKey
        );
        // y = p + 1 ≡ 1: a non-canonical encoding of the identity.
        let mut noncanon = [0xffu8; 32];
        noncanon[0] = 0xee;
        noncanon[31] = 0x7f;
        assert_eq!(
            PublicKey::from_bytes(&noncanon).unwrap_err().class,
            ErrorClass::BadKey
        );
    }
}

/// What a transparency-log key signs (spec §12): a body log's checkpoints, or cosignatures of
/// other logs' checkpoints. Each role has its own key, never a member's signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlogRole {
    /// Signs the checkpoints of the body log this store keeps (C2SP signed note, type 0x01).
    Log,
    /// Cosigns checkpoints of logs it has checked (C2SP cosignature/v1, type 0x04).
    Witness,
}

impl TlogRole {
    /// The key file's `kind`.
    pub fn kind(self) -> &'static str {
        match self {
            TlogRole::Log => "coi-log-key",
            TlogRole::Witness => "coi-witness-key",
        }
    }
}

/// A log or witness key as held in its key file (spec §12): its role, its key name (a log's
/// origin, a witness's name) and the secret key.
#[derive(Debug)]
pub struct TlogKeyFile {
    /// What the key signs.
    pub role: TlogRole,
    /// The key name of its notes and cosignatures.
    pub name: String,
    /// The secret key.
    pub secret: SecretKey,
}

impl TlogKeyFile {
    /// Encodes the key file: one canonical JSON line and LF.
    pub fn encode(&self) -> Zeroizing<String> {
        let mut obj = json!({
            "kind": self.role.kind(),
            "name": self.name,
            "public": self.secret.public().to_hex(),
            "secret": hex::encode(*self.secret.seed()),
            "v": 1,
        });
        let mut text = Zeroizing::new(crate::canon::encode(&obj));
        text.push('\n');
        if let Some(Value::String(s)) = obj.get_mut("secret") {
            zeroize::Zeroize::zeroize(s);
        }
        text
    }

    /// Decodes a key file of `role`, refusing any other form, and one whose `public` is not the
    /// secret's.
    pub fn decode(text: &[u8], role: TlogRole) -> Result<TlogKeyFile, KeyFileError> {
        let malformed = |m: &str| KeyFileError::Malformed(m.to_string());
        let mut obj = parse_obj(text)?;
        let keys = ["kind", "name", "public", "secret", "v"];
        if obj.len() != keys.len() || obj.keys().any(|k| !keys.contains(&k.as_str())) {
            return Err(malformed("unexpected or missing fields"));
        }
        if obj.get("v").and_then(Value::as_u64) != Some(1) {
            return Err(malformed("unsupported key file version (expected v 1)"));
        }
        if obj.get("kind").and_then(Value::as_str) != Some(role.kind()) {
            return Err(KeyFileError::Malformed(format!(
                "not a {} file",
                role.kind()
            )));
        }
        let name = obj
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty() && !n.chars().any(|c| c.is_whitespace() || c == '+'))
            .ok_or_else(|| malformed("`name` is not a key name"))?
            .to_string();
        let public = obj
            .get("public")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("missing `public`"))
            .and_then(|p| PublicKey::from_hex(p).map_err(|e| KeyFileError::Malformed(e.message)))?;
        let mut seed = Zeroizing::new([0u8; 32]);
        let secret_ok = match obj.get("secret").and_then(Value::as_str) {
            Some(s) if s.len() == 64 && !s.bytes().any(|b| b.is_ascii_uppercase()) => {
                hex::decode_to_slice(s.as_bytes(), seed.as_mut_slice()).is_ok()
            }
            _ => false,
        };
        if let Some(Value::String(s)) = obj.get_mut("secret") {
            zeroize::Zeroize::zeroize(s);
        }
        if !secret_ok {
            return Err(malformed("`secret` is not 64 lowercase hex"));
        }
        let secret = SecretKey::from_seed(&seed);
        if secret.public() != public {
            return Err(malformed(
                "the stored public key does not match the secret key",
            ));
        }
        Ok(TlogKeyFile { role, name, secret })
    }

    /// The 32-byte seed, for the note and cosignature keys of `tlog`.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        self.secret.seed()
    }
}

/// Context of the associated data of encrypted age identity files.
pub const CTX_AGE_IDENTITY: &str = "coi-ledger/v1/age-identity";

const AGE_IDENTITY_KIND: &str = "coi-age-identity";

/// A member's age encryption identity as held in its file (spec §12): the member, the recipient
/// it publishes, and the `AGE-SECRET-KEY-1…` string, kept whole so that this module needs no
/// encryption library (the `seal::age` module reads it).
pub struct AgeIdentityFile {
    /// The member whose disclosures it opens.
    pub member: MemberId,
    /// The recipient string published in the member's `encryption-key` entry.
    pub recipient: String,
    /// The identity: `AGE-SECRET-KEY-1…`.
    pub identity: Zeroizing<String>,
}

impl fmt::Debug for AgeIdentityFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AgeIdentityFile({}, {})",
            self.member.fingerprint(),
            self.recipient
        )
    }
}

impl AgeIdentityFile {
    /// Encodes the file (one canonical JSON line and LF); with a passphrase the identity is
    /// encrypted under Argon2id + XChaCha20-Poly1305, as a secret key file's seed is.
    pub fn encode(
        &self,
        passphrase: Option<&[u8]>,
        kdf: KdfParams,
    ) -> Result<Zeroizing<String>, String> {
        let mut obj = json!({
            "kind": AGE_IDENTITY_KIND,
            "member": self.member.to_hex(),
            "recipient": self.recipient,
            "v": 1,
        });
        match passphrase {
            None => obj["secret"] = Value::String(self.identity.as_str().to_string()),
            Some(pass) => seal_secret(&mut obj, pass, kdf, self.identity.as_bytes(), |k| {
                identity_ad(&self.member, &self.recipient, k)
            })?,
        }
        let mut text = Zeroizing::new(crate::canon::encode(&obj));
        text.push('\n');
        if let Some(Value::String(s)) = obj.get_mut("secret") {
            zeroize::Zeroize::zeroize(s);
        }
        Ok(text)
    }

    /// Decodes the file; `passphrase` is needed iff it is encrypted ([`KeyFile::is_encrypted`]
    /// tells). Whether the identity is the recipient's is checked by whoever parses the identity.
    pub fn decode(text: &[u8], passphrase: Option<&[u8]>) -> Result<AgeIdentityFile, KeyFileError> {
        let malformed = |m: &str| KeyFileError::Malformed(m.to_string());
        let mut obj = parse_obj(text)?;
        let encrypted = obj.contains_key("kdf");
        let allowed: &[&str] = if encrypted {
            &["aead", "kdf", "kind", "member", "recipient", "secret", "v"]
        } else {
            &["kind", "member", "recipient", "secret", "v"]
        };
        if obj.len() != allowed.len() || obj.keys().any(|k| !allowed.contains(&k.as_str())) {
            return Err(malformed("unexpected or missing fields"));
        }
        if obj.get("v").and_then(Value::as_u64) != Some(1) {
            return Err(malformed("unsupported key file version (expected v 1)"));
        }
        if obj.get("kind").and_then(Value::as_str) != Some(AGE_IDENTITY_KIND) {
            return Err(malformed("not a coi age identity file"));
        }
        let member = obj
            .get("member")
            .and_then(Value::as_str)
            .and_then(MemberId::from_hex)
            .ok_or_else(|| malformed("`member` is not 64 lowercase hex"))?;
        let recipient = obj
            .get("recipient")
            .and_then(Value::as_str)
            .filter(|r| crate::seal::check_recipient(r).is_ok())
            .ok_or_else(|| malformed("`recipient` is not an age recipient"))?
            .to_string();
        let secret = match obj.get_mut("secret") {
            Some(Value::String(s)) => Zeroizing::new(std::mem::take(s)),
            _ => return Err(malformed("missing or non-string `secret`")),
        };
        let identity = if !encrypted {
            secret
        } else {
            let pass = passphrase.ok_or(KeyFileError::NeedPassphrase)?;
            let ct = Zeroizing::new(
                STANDARD
                    .decode(secret.as_bytes())
                    .map_err(|_| malformed("`secret` is not base64"))?,
            );
            let pt = open_secret(&obj, &ct, pass, |kdf| identity_ad(&member, &recipient, kdf))?;
            Zeroizing::new(String::from_utf8(pt.to_vec()).map_err(|_| KeyFileError::Decrypt)?)
        };
        if !identity.starts_with("AGE-SECRET-KEY-1") || identity.len() > 4096 {
            return Err(malformed(
                "`secret` is not an age identity (AGE-SECRET-KEY-1…)",
            ));
        }
        Ok(AgeIdentityFile {
            member,
            recipient,
            identity,
        })
    }
}

fn identity_ad(member: &MemberId, recipient: &str, kdf_obj: &Value) -> Vec<u8> {
    let mut ad = Vec::new();
    ad.extend_from_slice(CTX_AGE_IDENTITY.as_bytes());
    ad.push(0);
    ad.extend_from_slice(member.as_bytes());
    ad.extend_from_slice(recipient.as_bytes());
    ad.extend_from_slice(crate::canon::encode(kdf_obj).as_bytes());
    ad
}
