//! C2SP signed notes (`signed-note`) with Ed25519 keys, as Go's `golang.org/x/mod/sumdb/note`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{ferr, FormatError};
use crate::keys::{PublicKey, SecretKey, Signature};

/// The signature type of Ed25519 note keys.
const ALG_ED25519: u8 = 1;
/// What starts a signature line: an em dash and a space.
const SIG_PREFIX: &str = "\u{2014} ";
/// The most signature lines read.
pub const MAX_SIGNATURES: usize = 100;

/// Whether `name` is a key name: not empty, no whitespace (of any script), no `+`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// The key hash: the first 4 bytes of SHA-256(name ‖ LF ‖ type ‖ public key).
fn key_hash(name: &str, key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// A signing key of notes: a name and an Ed25519 key.
pub struct NoteKey {
    name: String,
    key: SecretKey,
}

impl NoteKey {
    /// The key of this 32-byte seed, named `name`.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<NoteKey, FormatError> {
        if !valid_name(name) {
            return Err(ferr(format!("{name:?} is not a note key name")));
        }
        Ok(NoteKey {
            name: name.to_string(),
            key: SecretKey::from_seed(seed),
        })
    }

    /// The verifier key text: `name+hash+base64(type ‖ public key)`.
    pub fn vkey(&self) -> String {
        let public = self.key.public().to_bytes();
        let mut k = vec![ALG_ED25519];
        k.extend_from_slice(&public);
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(key_hash(&self.name, &public)),
            B64.encode(k)
        )
    }
}

/// A verifier of notes: a name, its key hash and public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    hash: [u8; 4],
    key: PublicKey,
}

impl NoteVerifier {
    /// Parses a verifier key (`name+hash+base64(type ‖ key)`), checking the hash.
    pub fn parse(vkey: &str) -> Result<NoteVerifier, FormatError> {
        let bad = || ferr(format!("{vkey:?} is not an Ed25519 note verifier key"));
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        if !valid_name(name) || hash.len() != 8 {
            return Err(bad());
        }
        let hash: [u8; 4] = hex::decode(hash)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        let key = B64.decode(key).map_err(|_| bad())?;
        let [ALG_ED25519, rest @ ..] = key.as_slice() else {
            return Err(bad());
        };
        let public: [u8; 32] = rest.try_into().map_err(|_| bad())?;
        if key_hash(name, &public) != hash {
            return Err(ferr(format!(
                "{vkey:?}: the key hash does not match the key"
            )));
        }
        let key = PublicKey::from_bytes(&public).map_err(|e| ferr(e.message))?;
        Ok(NoteVerifier {
            name: name.to_string(),
            hash,
            key,
        })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A note whose signatures were checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    /// The note's text (ending in LF).
    pub text: String,
    /// The names of the keys whose signatures verified, in the note's order.
    pub verified: Vec<String>,
    /// Signature lines by keys not given (kept, not checked).
    pub unknown: usize,
}

/// Checks a note's text: UTF-8 (given), ending in LF, no control character but LF.
fn check_text(text: &str) -> Result<(), FormatError> {
    if !text.ends_with('\n') {
        return Err(ferr("a note's text ends with a newline"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ferr("a note's text holds a control character"));
    }
    Ok(())
}

/// Signs `text` with `key`: the note is the text, a blank line and the signature line.
pub fn sign(text: &str, key: &NoteKey) -> Result<String, FormatError> {
    check_text(text)?;
    let public = key.key.public().to_bytes();
    let sig = key.key.sign(text.as_bytes()).to_bytes();
    let mut blob = key_hash(&key.name, &public).to_vec();
    blob.extend_from_slice(&sig);
    Ok(format!(
        "{text}\n{SIG_PREFIX}{} {}\n",
        key.name,
        B64.encode(blob)
    ))
}

/// Opens a signed note: splits text and signatures, checks every signature by a key in
/// `verifiers` (one that fails refuses the note), and requires at least one to verify.
pub fn open(note: &str, verifiers: &[NoteVerifier]) -> Result<Opened, FormatError> {
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| ferr("no blank line before the signatures"))?;
    let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
    check_text(text)?;
    if !sigs.ends_with('\n') {
        return Err(ferr("the signature lines end with a newline"));
    }
    let mut verified = Vec::new();
    let mut unknown = 0;
    let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(ferr(format!("more than {MAX_SIGNATURES} signatures")));
    }
    for line in lines {
        let bad = || ferr(format!("{line:?} is not a signature line"));
        let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(bad)?;
        let (name, b64) = rest.split_once(' ').ok_or_else(bad)?;
        if !valid_name(name) {
            return Err(bad());
        }
        let blob = B64.decode(b64).map_err(|_| bad())?;
        if blob.len() < 5 {
            return Err(bad());
        }
        let hash: [u8; 4] = [blob[0], blob[1], blob[2], blob[3]];
        match verifiers.iter().find(|v| v.name == name && v.hash == hash) {
            None => unknown += 1,
            Some(v) => {
                let sig: [u8; 64] = blob[4..]
                    .try_into()
                    .map_err(|_| ferr(format!("{name}: not an Ed25519 signature")))?;
                if !v
                    .key
                    .verify_strict(text.as_bytes(), &Signature::from_bytes(&sig))
                {
                    return Err(ferr(format!("{name}: the signature does not verify")));
                }
                if verified.iter().any(|n: &String| n == name) {
                    return Err(ferr(format!("{name}: signed twice")));
                }
                verified.push(name.to_string());
            }
        }
    }
    if verified.is_empty() {
        return Err(ferr("no signature by a known key verifies"));
    }
    Ok(Opened {
        text: text.to_string(),
        verified,
        unknown,
    })
}
