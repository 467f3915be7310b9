//! C2SP signed notes (`signed-note`) with Ed25519 keys, as Go's `golang.org/x/mod/sumdb/note`,
//! and the Ed25519 timestamped cosignatures of C2SP `tlog-cosignature` (`cosignature/v1`, key
//! type 0x04) that witnesses add to checkpoints.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{ferr, Checkpoint, FormatError};
use crate::keys::{PublicKey, SecretKey, Signature};

/// The signature type of Ed25519 note keys.
const ALG_ED25519: u8 = 0x01;
/// The signature type of Ed25519 `cosignature/v1` keys (C2SP `tlog-cosignature`).
const ALG_COSIGNATURE_V1: u8 = 0x04;
/// The first line of the message a `cosignature/v1` signs: its domain separation.
pub const COSIGNATURE_V1_HEADER: &str = "cosignature/v1\n";
/// The length of a cosignature's blob: key hash, big-endian timestamp, Ed25519 signature.
const COSIGNATURE_BLOB_LEN: usize = 4 + 8 + 64;
/// The largest cosignature timestamp (2^63 − 1, `tlog-cosignature`).
pub const MAX_COSIGNATURE_TIME: u64 = i64::MAX as u64;
/// What starts a signature line: an em dash and a space.
const SIG_PREFIX: &str = "\u{2014} ";
/// The most signature lines read.
pub const MAX_SIGNATURES: usize = 100;

/// Whether `name` is a key name: not empty, no whitespace (of any script), no `+`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// Which kind of Ed25519 signature a key makes: its signature type byte in key hashes and vkeys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// A note signature (type 0x01): Ed25519 over the note's text.
    Ed25519,
    /// A C2SP `cosignature/v1` (type 0x04): Ed25519 over `cosignature/v1`, a `time` line and the
    /// checkpoint's text, with the timestamp in the signature.
    CosignatureV1,
}

impl KeyKind {
    /// The signature type byte (`signed-note`, "Signature types").
    pub fn type_byte(self) -> u8 {
        match self {
            KeyKind::Ed25519 => ALG_ED25519,
            KeyKind::CosignatureV1 => ALG_COSIGNATURE_V1,
        }
    }

    fn of_type_byte(b: u8) -> Option<KeyKind> {
        match b {
            ALG_ED25519 => Some(KeyKind::Ed25519),
            ALG_COSIGNATURE_V1 => Some(KeyKind::CosignatureV1),
            _ => None,
        }
    }
}

/// The key hash: the first 4 bytes of SHA-256(name ‖ LF ‖ type ‖ public key).
fn key_hash(name: &str, kind: KeyKind, key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([kind.type_byte()]);
    h.update(key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// A named Ed25519 secret key and the kind of signature it makes (shared by both key types).
struct NamedKey {
    name: String,
    kind: KeyKind,
    key: SecretKey,
}

impl NamedKey {
    fn new(name: &str, kind: KeyKind, seed: &[u8; 32]) -> Result<NamedKey, FormatError> {
        if !valid_name(name) {
            return Err(ferr(format!("{name:?} is not a note key name")));
        }
        Ok(NamedKey {
            name: name.to_string(),
            kind,
            key: SecretKey::from_seed(seed),
        })
    }

    fn hash(&self) -> [u8; 4] {
        key_hash(&self.name, self.kind, &self.key.public().to_bytes())
    }

    fn vkey(&self) -> String {
        let mut k = vec![self.kind.type_byte()];
        k.extend_from_slice(&self.key.public().to_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.hash()),
            B64.encode(k)
        )
    }

    /// The signature line `— NAME base64(hash ‖ middle ‖ sig(message))`, without LF.
    fn line(&self, middle: &[u8], message: &[u8]) -> String {
        let mut blob = self.hash().to_vec();
        blob.extend_from_slice(middle);
        blob.extend_from_slice(&self.key.sign(message).to_bytes());
        format!("{SIG_PREFIX}{} {}", self.name, B64.encode(blob))
    }
}

/// A signing key of notes: a name and an Ed25519 key (type 0x01).
pub struct NoteKey(NamedKey);

impl NoteKey {
    /// The key of this 32-byte seed, named `name`.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<NoteKey, FormatError> {
        NamedKey::new(name, KeyKind::Ed25519, seed).map(NoteKey)
    }

    /// The verifier key text: `name+hash+base64(0x01 ‖ public key)`.
    pub fn vkey(&self) -> String {
        self.0.vkey()
    }
}

/// A cosigner's key (C2SP `tlog-cosignature`, Ed25519, type 0x04): a name, by convention a
/// schema-less URL such as `witness.example.org/w1`, and an Ed25519 key. It must not be the key
/// of a log or a member: the `cosignature/v1` message does not commit to the name.
pub struct CosignerKey(NamedKey);

impl CosignerKey {
    /// The cosigner key of this 32-byte seed, named `name`.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<CosignerKey, FormatError> {
        NamedKey::new(name, KeyKind::CosignatureV1, seed).map(CosignerKey)
    }

    /// The cosigner's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The verifier key text: `name+hash+base64(0x04 ‖ public key)`.
    pub fn vkey(&self) -> String {
        self.0.vkey()
    }

    /// Cosigns a checkpoint's text (the note text, ending in LF, without signature lines) at
    /// `time` (seconds since the Epoch, 1 ..= 2^63 − 1): the signature line
    /// `— NAME base64(key hash ‖ u64 BE time ‖ signature)`, without its LF. The signature is of
    /// `cosignature/v1` LF `time T` LF and the text.
    pub fn cosign(&self, checkpoint_text: &str, time: u64) -> Result<String, FormatError> {
        check_text(checkpoint_text)?;
        Checkpoint::parse(checkpoint_text)?;
        check_time(time)?;
        Ok(self.0.line(
            &time.to_be_bytes(),
            &cosignature_message(checkpoint_text, time),
        ))
    }
}

/// The message a `cosignature/v1` signs: the header, the time line and the checkpoint's text.
fn cosignature_message(text: &str, time: u64) -> Vec<u8> {
    format!("{COSIGNATURE_V1_HEADER}time {time}\n{text}").into_bytes()
}

/// Checks a cosignature's timestamp: not zero (the witness protocol requires one), at most
/// 2^63 − 1.
fn check_time(time: u64) -> Result<(), FormatError> {
    if time == 0 || time > MAX_COSIGNATURE_TIME {
        return Err(ferr(format!(
            "cosignature time {time} is not between 1 and 2^63 - 1"
        )));
    }
    Ok(())
}

/// A verifier of notes or cosignatures: a name, its kind, key hash and public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    kind: KeyKind,
    hash: [u8; 4],
    key: PublicKey,
}

impl NoteVerifier {
    /// Parses a verifier key (`name+hash+base64(type ‖ key)`) of type 0x01 (note signatures)
    /// or 0x04 (`cosignature/v1`), checking the hash.
    pub fn parse(vkey: &str) -> Result<NoteVerifier, FormatError> {
        let bad = || {
            ferr(format!(
                "{vkey:?} is not an Ed25519 note or cosignature/v1 verifier key"
            ))
        };
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
        let [alg, rest @ ..] = key.as_slice() else {
            return Err(bad());
        };
        let kind = KeyKind::of_type_byte(*alg).ok_or_else(bad)?;
        let public: [u8; 32] = rest.try_into().map_err(|_| bad())?;
        if key_hash(name, kind, &public) != hash {
            return Err(ferr(format!(
                "{vkey:?}: the key hash does not match the key"
            )));
        }
        let key = PublicKey::from_bytes(&public).map_err(|e| ferr(e.message))?;
        Ok(NoteVerifier {
            name: name.to_string(),
            kind,
            hash,
            key,
        })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The kind of signature the key makes (type 0x01 or 0x04).
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// Checks `blob` (key hash already matched) as this key's signature of `text`: for a
    /// cosigner, returns the cosignature's time.
    fn check(&self, text: &str, blob: &[u8]) -> Result<Option<u64>, FormatError> {
        let name = &self.name;
        let (message, sig, time) = match self.kind {
            KeyKind::Ed25519 => (text.as_bytes().to_vec(), &blob[4..], None),
            KeyKind::CosignatureV1 => {
                if blob.len() != COSIGNATURE_BLOB_LEN {
                    return Err(ferr(format!(
                        "{name}: a cosignature is {COSIGNATURE_BLOB_LEN} bytes, not {}",
                        blob.len()
                    )));
                }
                let mut t = [0u8; 8];
                t.copy_from_slice(&blob[4..12]);
                let time = u64::from_be_bytes(t);
                check_time(time).map_err(|e| ferr(format!("{name}: {e}")))?;
                (cosignature_message(text, time), &blob[12..], Some(time))
            }
        };
        let sig: [u8; 64] = sig
            .try_into()
            .map_err(|_| ferr(format!("{name}: not an Ed25519 signature")))?;
        if !self
            .key
            .verify_strict(&message, &Signature::from_bytes(&sig))
        {
            return Err(ferr(format!("{name}: the signature does not verify")));
        }
        Ok(time)
    }
}

/// A signature of an opened note that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The key's name.
    pub name: String,
    /// The kind of signature: a note signature or a cosignature.
    pub kind: KeyKind,
    /// For a cosignature, its timestamp (seconds since the Epoch); `None` for a note signature.
    pub time: Option<u64>,
    /// The signature line, verbatim without its LF.
    pub line: String,
}

/// A note whose signatures were checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    /// The note's text (ending in LF).
    pub text: String,
    /// The names of the keys whose signatures verified, in the note's order (those of
    /// `signatures`).
    pub verified: Vec<String>,
    /// The signatures that verified, in the note's order, with their kind and time.
    pub signatures: Vec<VerifiedSignature>,
    /// Signature lines by keys not given, verbatim without their LF, in the note's order: kept
    /// (a store may keep cosignatures it cannot check yet), not checked.
    pub unknown: Vec<String>,
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
///
/// A text that starts as a cosignature message does (`cosignature/v1` LF) is refused, so that a
/// note signature can never stand for a cosignature by the same Ed25519 key.
pub fn sign(text: &str, key: &NoteKey) -> Result<String, FormatError> {
    check_text(text)?;
    if text.starts_with(COSIGNATURE_V1_HEADER) {
        return Err(ferr(
            "a note's text must not start with the cosignature/v1 header",
        ));
    }
    Ok(format!("{text}\n{}\n", key.0.line(&[], text.as_bytes())))
}

/// Splits a note into its text (ending in LF, checked as `check_text` does) and its signature
/// lines (after the last blank line), unchecked.
pub(crate) fn split(note: &str) -> Result<(&str, &str), FormatError> {
    let at = note
        .rfind("\n\n")
        .ok_or_else(|| ferr("no blank line before the signatures"))?;
    let (text, sigs) = (&note[..at + 1], &note[at + 2..]);
    check_text(text)?;
    Ok((text, sigs))
}

/// Splits a signature line (without LF) into its key name and decoded blob (key hash and at
/// least one byte).
pub(crate) fn parse_line(line: &str) -> Result<(&str, Vec<u8>), FormatError> {
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
    Ok((name, blob))
}

/// Whether signature `line` (without LF) is by `verifier`: its name and key hash match.
fn by(verifier: &NoteVerifier, name: &str, blob: &[u8]) -> bool {
    verifier.name == name && blob[..4] == verifier.hash
}

/// Verifies a detached cosignature line (`— NAME BASE64`, without LF) of a checkpoint's text
/// by cosigner `verifier` (a 0x04 key), and returns the cosignature's time.
pub fn verify_cosignature(
    checkpoint_text: &str,
    line: &str,
    verifier: &NoteVerifier,
) -> Result<u64, FormatError> {
    if verifier.kind != KeyKind::CosignatureV1 {
        return Err(ferr(format!(
            "{} is not a cosigner's key (type 0x04)",
            verifier.name
        )));
    }
    check_text(checkpoint_text)?;
    let (name, blob) = parse_line(line)?;
    if !by(verifier, name, &blob) {
        return Err(ferr(format!(
            "the cosignature is by {name}, not by the cosigner {} (name or key hash differ)",
            verifier.name
        )));
    }
    verifier
        .check(checkpoint_text, &blob)?
        .ok_or_else(|| ferr("not a cosignature"))
}

/// Opens a signed note: splits text and signatures, checks every signature by a key in
/// `verifiers` (one that fails refuses the note), and requires at least one to verify.
pub fn open(note: &str, verifiers: &[NoteVerifier]) -> Result<Opened, FormatError> {
    let (text, sigs) = split(note)?;
    if !sigs.ends_with('\n') {
        return Err(ferr("the signature lines end with a newline"));
    }
    let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(ferr(format!("more than {MAX_SIGNATURES} signatures")));
    }
    let mut signatures = Vec::new();
    let mut seen: Vec<&NoteVerifier> = Vec::new();
    let mut unknown = Vec::new();
    for line in lines {
        let (name, blob) = parse_line(line)?;
        match verifiers.iter().find(|v| by(v, name, &blob)) {
            None => unknown.push(line.to_string()),
            Some(v) => {
                let time = v.check(text, &blob)?;
                if seen.contains(&v) {
                    return Err(ferr(format!("{name}: signed twice")));
                }
                seen.push(v);
                signatures.push(VerifiedSignature {
                    name: name.to_string(),
                    kind: v.kind,
                    time,
                    line: line.to_string(),
                });
            }
        }
    }
    if signatures.is_empty() {
        return Err(ferr("no signature by a known key verifies"));
    }
    Ok(Opened {
        text: text.to_string(),
        verified: signatures.iter().map(|s| s.name.clone()).collect(),
        signatures,
        unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "example.org/board-log\n7\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n";
    const T: u64 = 1_679_315_147;

    fn cosigner() -> CosignerKey {
        CosignerKey::from_seed("witness.example.org/w1", &[5; 32]).unwrap()
    }

    fn blob_of(line: &str) -> Vec<u8> {
        parse_line(line).unwrap().1
    }

    fn line_of(name: &str, blob: &[u8]) -> String {
        format!("{SIG_PREFIX}{name} {}", B64.encode(blob))
    }

    #[test]
    fn a_cosignature_round_trips_alone_and_in_a_note() {
        let w = cosigner();
        let v = NoteVerifier::parse(&w.vkey()).unwrap();
        assert_eq!(v.kind(), KeyKind::CosignatureV1);
        let key = B64.decode(w.vkey().split('+').nth(2).unwrap()).unwrap();
        assert_eq!((key[0], key.len()), (0x04, 33));
        let line = w.cosign(TEXT, T).unwrap();
        let blob = blob_of(&line);
        assert_eq!(blob.len(), 76);
        assert_eq!(blob[4..12], T.to_be_bytes());
        assert_eq!(verify_cosignature(TEXT, &line, &v).unwrap(), T);

        let log = NoteKey::from_seed("example.org/board-log", &[3; 32]).unwrap();
        let lv = NoteVerifier::parse(&log.vkey()).unwrap();
        assert_eq!(lv.kind(), KeyKind::Ed25519);
        let stranger = CosignerKey::from_seed("other.example/w9", &[6; 32]).unwrap();
        let other = stranger.cosign(TEXT, 9).unwrap();
        let signed = sign(TEXT, &log).unwrap();
        let log_line = signed.lines().last().unwrap().to_string();
        let note = format!("{signed}{line}\n{other}\n");
        let opened = open(&note, &[lv.clone(), v.clone()]).unwrap();
        assert_eq!(opened.text, TEXT);
        assert_eq!(
            opened.signatures,
            [
                VerifiedSignature {
                    name: "example.org/board-log".into(),
                    kind: KeyKind::Ed25519,
                    time: None,
                    line: log_line,
                },
                VerifiedSignature {
                    name: "witness.example.org/w1".into(),
                    kind: KeyKind::CosignatureV1,
                    time: Some(T),
                    line: line.clone(),
                },
            ]
        );
        assert_eq!(
            opened.verified,
            ["example.org/board-log", "witness.example.org/w1"]
        );
        assert_eq!(opened.unknown, [other], "kept verbatim");
        // The cosigner alone opens it too, keeping the log's line.
        let by_w = open(&note, std::slice::from_ref(&v)).unwrap();
        assert_eq!(by_w.unknown.len(), 2);
        // The same line twice is refused.
        let twice = format!("{}{line}\n{line}\n", sign(TEXT, &log).unwrap());
        assert!(open(&twice, &[v]).is_err());
    }

    #[test]
    fn tampered_cosignatures_are_refused() {
        let w = cosigner();
        let v = NoteVerifier::parse(&w.vkey()).unwrap();
        let line = w.cosign(TEXT, T).unwrap();
        let blob = blob_of(&line);
        let mut later = blob.clone();
        later[11] ^= 1;
        let later = line_of(w.name(), &later);
        assert!(verify_cosignature(TEXT, &later, &v).is_err(), "time");
        let body = TEXT.replacen("\n7\n", "\n8\n", 1);
        assert!(verify_cosignature(&body, &line, &v).is_err(), "body");
        let mut id = blob.clone();
        id[0] ^= 1;
        let id = line_of(w.name(), &id);
        assert!(verify_cosignature(TEXT, &id, &v).is_err(), "key id");
        let renamed = line.replacen("w1", "w2", 1);
        assert!(verify_cosignature(TEXT, &renamed, &v).is_err(), "name");
        // In a note, a bad signature by the known key refuses the note.
        let log = NoteKey::from_seed("example.org/board-log", &[3; 32]).unwrap();
        let lv = NoteVerifier::parse(&log.vkey()).unwrap();
        let note = format!("{}{later}\n", sign(TEXT, &log).unwrap());
        assert!(open(&note, &[lv.clone(), v.clone()]).is_err());
        // One whose key id no longer matches is someone else's: kept, not checked.
        let note = format!("{}{id}\n", sign(TEXT, &log).unwrap());
        assert_eq!(open(&note, &[lv, v]).unwrap().unknown, [id]);
    }

    #[test]
    fn a_cosignature_blob_is_exactly_4_8_64_bytes_and_its_time_in_range() {
        let w = cosigner();
        let v = NoteVerifier::parse(&w.vkey()).unwrap();
        let blob = blob_of(&w.cosign(TEXT, T).unwrap());
        for bad in [
            blob[..75].to_vec(),
            [&blob[..], &[0]].concat(),
            blob[..12].to_vec(),
            blob[..5].to_vec(),
        ] {
            let line = line_of(w.name(), &bad);
            assert!(
                verify_cosignature(TEXT, &line, &v).is_err(),
                "{}",
                bad.len()
            );
        }
        // Times 0 and 2^63 are refused, when signing and when verifying.
        assert!(w.cosign(TEXT, 0).is_err());
        assert!(w.cosign(TEXT, MAX_COSIGNATURE_TIME + 1).is_err());
        assert!(w.cosign(TEXT, MAX_COSIGNATURE_TIME).is_ok());
        for time in [0, MAX_COSIGNATURE_TIME + 1, u64::MAX] {
            let line =
                w.0.line(&time.to_be_bytes(), &cosignature_message(TEXT, time));
            assert!(verify_cosignature(TEXT, &line, &v).is_err(), "{time}");
        }
        // Non-canonical base64 (set trailing bits) is refused.
        let line = w.cosign(TEXT, T).unwrap();
        let mut b: Vec<char> = line.chars().collect();
        let i = b.len() - 2;
        b[i] = if b[i] == 'A' { 'B' } else { 'A' };
        let odd: String = b.into_iter().collect();
        assert!(verify_cosignature(TEXT, &odd, &v).is_err());
        // Only checkpoints are cosigned.
        assert!(w.cosign("not a checkpoint\n", T).is_err());
    }

    #[test]
    fn note_signatures_and_cosignatures_of_one_key_do_not_stand_for_each_other() {
        let seed = [8; 32];
        let name = "example.org/both";
        let nk = NoteKey::from_seed(name, &seed).unwrap();
        let ck = CosignerKey::from_seed(name, &seed).unwrap();
        let nv = NoteVerifier::parse(&nk.vkey()).unwrap();
        let cv = NoteVerifier::parse(&ck.vkey()).unwrap();
        assert_ne!(nv.hash, cv.hash, "the type byte is in the key hash");
        let note = sign(TEXT, &nk).unwrap();
        let sig_line = note.lines().last().unwrap();
        let cos_line = ck.cosign(TEXT, T).unwrap();
        // A note signature is not a cosignature, and is unknown to the cosigner's key.
        assert!(verify_cosignature(TEXT, sig_line, &cv).is_err());
        assert!(open(&note, std::slice::from_ref(&cv)).is_err());
        // Relabelled with the other's key hash, neither verifies.
        let mut b = blob_of(sig_line);
        b[..4].copy_from_slice(&cv.hash);
        assert!(verify_cosignature(TEXT, &line_of(name, &b), &cv).is_err());
        let mut padded = b[..4].to_vec();
        padded.extend_from_slice(&T.to_be_bytes());
        padded.extend_from_slice(&b[4..]);
        assert!(verify_cosignature(TEXT, &line_of(name, &padded), &cv).is_err());
        let mut c = blob_of(&cos_line);
        c[..4].copy_from_slice(&nv.hash);
        let forged = format!("{TEXT}\n{}\n", line_of(name, &c));
        assert!(open(&forged, std::slice::from_ref(&nv)).is_err());
        let stripped = [&c[..4], &c[12..]].concat();
        let forged = format!("{TEXT}\n{}\n", line_of(name, &stripped));
        assert!(open(&forged, std::slice::from_ref(&nv)).is_err());
        // A cosignature with its own key is fine; a note key is not a cosigner.
        assert!(open(&format!("{TEXT}\n{cos_line}\n"), &[cv]).is_ok());
        assert!(verify_cosignature(TEXT, &cos_line, &nv).is_err());
        // A note whose text is a cosignature message cannot be signed.
        let message = String::from_utf8(cosignature_message(TEXT, T)).unwrap();
        assert!(sign(&message, &nk).is_err());
    }

    #[test]
    fn vkeys_of_other_types_are_refused() {
        let ck = cosigner();
        let vkey = ck.vkey();
        let parts: Vec<&str> = vkey.split('+').collect();
        let mut key = B64.decode(parts[2]).unwrap();
        key[0] = 0x02;
        let public: [u8; 32] = key[1..].try_into().unwrap();
        let mut h = Sha256::new();
        h.update(format!("{}\n", parts[0]).as_bytes());
        h.update([0x02]);
        h.update(public);
        let hash = hex::encode(&h.finalize()[..4]);
        let other = format!("{}+{hash}+{}", parts[0], B64.encode(&key));
        assert!(NoteVerifier::parse(&other).is_err());
    }
}
