//! Restricted fields (spec §7): commitments in the public line, openings (salt and value) kept by
//! the author, given to named parties inside an age disclosure, or made public by `unseal`.
//!
//! Everything here but [`age`] (behind the `age` feature) is pure and needs no encryption: a
//! public verifier checks commitments of `unseal` entries and the syntax of age recipients
//! without it.
//!
//! ```
//! use std::collections::BTreeMap;
//! use coi_ledger::seal::{self, Openings};
//! use coi_ledger::SealedField;
//!
//! let mut values = BTreeMap::new();
//! values.insert(SealedField::Amount, "12,500 EUR".to_string());
//! let (sealed, openings) = seal::seal(&values).unwrap();
//! // The public line carries `sealed`; the openings stay with the author or go to a recipient.
//! assert!(seal::check_openings(&sealed, &openings).is_ok());
//! let text = seal::encode_plaintext(&openings);
//! let back: Openings = seal::parse_plaintext(text.as_bytes()).unwrap();
//! assert_eq!(back, openings);
//! ```

#[cfg(feature = "age")]
pub mod age;

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroize;

use crate::entry::{text, SealedField, MAX_TEXT};
use crate::hash::{Hash32, CTX_SEAL};

/// Length of a salt in bytes.
pub const SALT_LEN: usize = 32;
/// Longest sealed value (bytes): text(2000), as free text.
pub const MAX_SEALED_VALUE: usize = MAX_TEXT;
/// Longest age recipient string (bytes): room for post-quantum recipients (about 2,000
/// characters) without a format change.
pub const MAX_RECIPIENT: usize = 4096;

/// The commitments of a declaration's `sealed` object.
pub type Sealed = BTreeMap<SealedField, Hash32>;

/// The openings of some of a declaration's sealed fields, by field.
pub type Openings = BTreeMap<SealedField, Opening>;

/// A field's opening: the salt and the value committed to, as written in a disclosure's plaintext
/// and in an `unseal` entry: `{"salt":BASE64,"value":TEXT}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// The salt: 32 bytes, canonical padded standard base64 (44 characters).
    pub salt: String,
    /// The value: text(2000).
    pub value: String,
}

impl std::fmt::Debug for Opening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Openings are secrets until published: never in logs or panics.
        f.write_str("Opening(..)")
    }
}

impl Drop for Opening {
    fn drop(&mut self) {
        self.salt.zeroize();
        self.value.zeroize();
    }
}

impl Opening {
    /// An opening of `value` with a fresh salt from the operating system's CSPRNG.
    pub fn fresh(value: &str) -> Opening {
        let mut salt = [0u8; SALT_LEN];
        OsRng.fill_bytes(&mut salt);
        let o = Opening {
            salt: STANDARD.encode(salt),
            value: value.to_string(),
        };
        salt.zeroize();
        o
    }

    /// The salt's bytes, if it is exactly 32 bytes of canonical padded standard base64.
    pub fn salt_bytes(&self) -> Option<[u8; SALT_LEN]> {
        let bytes = STANDARD.decode(&self.salt).ok()?;
        if bytes.len() != SALT_LEN || STANDARD.encode(&bytes) != self.salt {
            return None;
        }
        let mut out = [0u8; SALT_LEN];
        out.copy_from_slice(&bytes);
        Some(out)
    }

    /// Checks the opening's form: the salt (32 bytes, canonical base64) and the value (text).
    pub fn validate(&self, field: SealedField) -> Result<(), String> {
        if self.salt_bytes().is_none() {
            return Err(format!(
                "the salt of {} is not 32 bytes of canonical padded standard base64",
                field.as_str()
            ));
        }
        if self.value.chars().any(crate::text::is_forbidden) {
            // The plaintext and an `unseal` line are canonical JSON, which cannot hold these
            // (spec §2): refused here rather than by the recipient.
            return Err(format!(
                "the value of {} holds a control or bidirectional character",
                field.as_str()
            ));
        }
        text(field.as_str(), &self.value, MAX_SEALED_VALUE).map_err(|e| e.message)
    }

    /// The commitment this opening makes for `field` (spec §7); `None` if the salt is malformed.
    pub fn commitment(&self, field: SealedField) -> Option<Hash32> {
        Some(commitment(&self.salt_bytes()?, field, &self.value))
    }
}

/// commitment = BLAKE3-256( `coi-ledger/v1/seal` ‖ 0x00 ‖ salt ‖ field name ‖ 0x00 ‖ value ).
pub fn commitment(salt: &[u8; SALT_LEN], field: SealedField, value: &str) -> Hash32 {
    Hash32::with_context(
        CTX_SEAL,
        &[salt, field.as_str().as_bytes(), &[0], value.as_bytes()],
    )
}

/// Seals `values` with a fresh salt each: the commitments for the public line and the openings
/// to keep. Refuses an empty map and values that are not text(2000).
pub fn seal(values: &BTreeMap<SealedField, String>) -> Result<(Sealed, Openings), String> {
    if values.is_empty() {
        return Err("nothing to seal".into());
    }
    let mut sealed = Sealed::new();
    let mut openings = Openings::new();
    for (field, value) in values {
        let o = Opening::fresh(value);
        o.validate(*field)?;
        let c = o
            .commitment(*field)
            .ok_or_else(|| "a fresh salt did not encode".to_string())?;
        sealed.insert(*field, c);
        openings.insert(*field, o);
    }
    Ok((sealed, openings))
}

/// Why openings do not open a declaration's commitments.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpeningError {
    /// No field at all.
    #[error("no field is opened")]
    Empty,
    /// A field that the declaration did not seal.
    #[error("{0} is not a sealed field of the declaration")]
    NotSealed(&'static str),
    /// A salt or value of the wrong form.
    #[error("{0}")]
    Form(String),
    /// The value does not match the commitment.
    #[error("the value given for {0} does not match the declaration's commitment")]
    Mismatch(&'static str),
}

/// Checks that `openings` open commitments of `sealed` (spec §7): at least one field, every
/// field sealed, every salt 32 bytes, every value matching.
pub fn check_openings(sealed: &Sealed, openings: &Openings) -> Result<(), OpeningError> {
    if openings.is_empty() {
        return Err(OpeningError::Empty);
    }
    for (field, o) in openings {
        let Some(c) = sealed.get(field) else {
            return Err(OpeningError::NotSealed(field.as_str()));
        };
        o.validate(*field).map_err(OpeningError::Form)?;
        if o.commitment(*field).as_ref() != Some(c) {
            return Err(OpeningError::Mismatch(field.as_str()));
        }
    }
    Ok(())
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Plaintext {
    fields: Openings,
}

/// The plaintext of a disclosure (spec §7): the canonical JSON of `{"fields":{NAME:OPENING,...}}`.
pub fn encode_plaintext(openings: &Openings) -> zeroize::Zeroizing<String> {
    let mut fields = serde_json::Map::new();
    for (f, o) in openings {
        let mut m = serde_json::Map::new();
        m.insert("salt".into(), Value::String(o.salt.clone()));
        m.insert("value".into(), Value::String(o.value.clone()));
        fields.insert(f.as_str().into(), Value::Object(m));
    }
    let mut obj = serde_json::Map::new();
    obj.insert("fields".into(), Value::Object(fields));
    let mut v = Value::Object(obj);
    let text = zeroize::Zeroizing::new(crate::canon::encode(&v));
    wipe(&mut v);
    text
}

/// Reads a disclosure's plaintext: canonical JSON (spec §2) of exactly
/// `{"fields":{NAME:{"salt":BASE64,"value":TEXT},...}}` with at least one field, each of the
/// field names of §7 and each opening of the right form. Nothing else is accepted.
pub fn parse_plaintext(bytes: &[u8]) -> Result<Openings, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the plaintext is not UTF-8".to_string())?;
    let mut value = crate::canon::parse(text)
        .map_err(|e| format!("the plaintext is not canonical JSON: {e}"))?;
    let parsed: Result<Plaintext, _> = serde_json::from_value(value.clone());
    wipe(&mut value);
    let p = parsed.map_err(|e| format!("the plaintext is not {{\"fields\":{{...}}}}: {e}"))?;
    if p.fields.is_empty() {
        return Err("the plaintext opens no field".into());
    }
    for (f, o) in &p.fields {
        o.validate(*f)?;
    }
    Ok(p.fields)
}

/// Overwrites the strings of a JSON value that held secrets.
fn wipe(v: &mut Value) {
    match v {
        Value::String(s) => s.zeroize(),
        Value::Array(a) => a.iter_mut().for_each(wipe),
        Value::Object(o) => o.values_mut().for_each(wipe),
        _ => {}
    }
}

/// Whether `s` is an age recipient string coi accepts in an `encryption-key` entry (spec §7.1):
/// at most 4,096 bytes of lowercase Bech32 whose human-readable part is `age` or starts with
/// `age1`; an X25519 recipient (part `age`) must carry exactly 32 bytes and a valid Bech32
/// checksum. Other types (post-quantum, plugins) are accepted by their syntax alone.
pub fn check_recipient(s: &str) -> Result<RecipientType, String> {
    if s.is_empty() || s.len() > MAX_RECIPIENT {
        return Err(format!("recipient must be 1 to {MAX_RECIPIENT} bytes"));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Err("recipient must be lowercase letters and digits (lowercase Bech32)".into());
    }
    let Some(sep) = s.rfind('1') else {
        return Err("recipient has no Bech32 separator `1`".into());
    };
    let (hrp, data) = (&s[..sep], &s[sep + 1..]);
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    if data.len() < 6 || !data.bytes().all(|b| CHARSET.contains(&b)) {
        return Err("recipient's data part is not Bech32".into());
    }
    if hrp == "age" {
        let checked = bech32::primitives::decode::CheckedHrpstring::new::<bech32::Bech32>(s)
            .map_err(|e| format!("recipient is not valid Bech32: {e}"))?;
        if checked.byte_iter().count() != 32 {
            return Err("an X25519 recipient (`age1…`) must carry exactly 32 bytes".into());
        }
        return Ok(RecipientType::X25519);
    }
    if hrp.starts_with("age1") && hrp.len() > 4 {
        return Ok(RecipientType::Other);
    }
    Err("recipient must be an age recipient: `age1…`, or a type `age1TYPE1…`".into())
}

/// The type of an accepted recipient string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecipientType {
    /// X25519 (`age1…`): the type coi encrypts to.
    X25519,
    /// Another type (post-quantum, a plugin): valid in the format; coi cannot encrypt to it yet.
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    const X25519: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    #[test]
    fn seals_open_and_refuse_what_does_not_match() {
        let mut values = BTreeMap::new();
        values.insert(SealedField::Amount, "12,500 EUR".to_string());
        values.insert(SealedField::Client, "Initech".to_string());
        let (sealed, openings) = seal(&values).unwrap();
        assert_eq!(check_openings(&sealed, &openings), Ok(()));
        // Fresh salts: sealing the same values again makes other commitments.
        let (again, _) = seal(&values).unwrap();
        assert!(sealed.values().zip(again.values()).all(|(a, b)| a != b));
        let mut wrong = openings.clone();
        wrong.get_mut(&SealedField::Amount).unwrap().value = "1 EUR".into();
        assert_eq!(
            check_openings(&sealed, &wrong),
            Err(OpeningError::Mismatch("amount"))
        );
        let mut extra = openings.clone();
        extra.insert(SealedField::Family, Opening::fresh("x"));
        assert_eq!(
            check_openings(&sealed, &extra),
            Err(OpeningError::NotSealed("family"))
        );
        let mut short = openings.clone();
        short.get_mut(&SealedField::Client).unwrap().salt = STANDARD.encode([0u8; 31]);
        assert!(matches!(
            check_openings(&sealed, &short),
            Err(OpeningError::Form(_))
        ));
        assert_eq!(
            check_openings(&sealed, &Openings::new()),
            Err(OpeningError::Empty)
        );
        let mut bidi = BTreeMap::new();
        bidi.insert(SealedField::Note, "a\u{202E}b".to_string());
        assert!(seal(&bidi).is_err());
    }

    #[test]
    fn plaintext_is_canonical_and_strict() {
        let mut o = Openings::new();
        o.insert(
            SealedField::Note,
            Opening {
                salt: STANDARD.encode([7u8; 32]),
                value: "ä \"q\"".into(),
            },
        );
        let text = encode_plaintext(&o);
        assert_eq!(
            text.as_str(),
            format!(
                "{{\"fields\":{{\"note\":{{\"salt\":\"{}\",\"value\":\"ä \\\"q\\\"\"}}}}}}",
                STANDARD.encode([7u8; 32])
            )
        );
        assert_eq!(parse_plaintext(text.as_bytes()).unwrap(), o);
        for bad in [
            "{\"fields\":{}}",
            "{\"fields\":{\"colour\":{\"salt\":\"\",\"value\":\"x\"}}}",
            "{\"fields\":{},\"x\":1}",
            "{ \"fields\":{}}",
            "[]",
        ] {
            assert!(parse_plaintext(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn recipients_by_syntax_and_checksum() {
        assert_eq!(check_recipient(X25519), Ok(RecipientType::X25519));
        let mut broken = X25519.to_string();
        broken.replace_range(10..11, if &X25519[10..11] == "q" { "p" } else { "q" });
        assert!(check_recipient(&broken).is_err());
        assert!(check_recipient(&X25519.to_uppercase()).is_err());
        assert!(check_recipient("age1pq1qqqqqqqqqq").is_ok());
        assert!(check_recipient("ssh-ed25519 AAAA").is_err());
        assert!(check_recipient("age1").is_err());
        assert!(check_recipient("bob1qqqqqqqq").is_err());
        assert!(check_recipient(&"age1pq1".repeat(1000)).is_err());
    }
}
