//! BLAKE3 hashes with domain separation (spec §4.1) and the 32-byte id newtype.

use std::fmt;

/// Context of entry ids.
pub const CTX_ENTRY_ID: &str = "coi-ledger/v1/entry-id";
/// Context of entry signatures.
pub const CTX_ENTRY_SIG: &str = "coi-ledger/v1/entry-sig";
/// Context of member ids.
pub const CTX_MEMBER_ID: &str = "coi-ledger/v1/member-id";
/// Context of key-rotation proofs.
pub const CTX_KEY_ACCEPT: &str = "coi-ledger/v1/key-accept";
/// Context of restricted-field commitments.
pub const CTX_SEAL: &str = "coi-ledger/v1/seal";
/// Context of the associated data of encrypted secret key files.
pub const CTX_SECRET_KEY: &str = "coi-ledger/v1/secret-key";

/// A 32-byte BLAKE3 output: an entry id, a member id or a commitment.
///
/// Shown as 64 lowercase hex characters; parsing accepts only that form.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Hash32([u8; 32]);

impl Hash32 {
    /// All zeros: the `prev` of a chain's first entry.
    pub const ZERO: Hash32 = Hash32([0; 32]);

    /// BLAKE3 of `context ‖ 0x00 ‖ parts…`.
    pub fn with_context(context: &str, parts: &[&[u8]]) -> Hash32 {
        let mut h = blake3::Hasher::new();
        h.update(context.as_bytes());
        h.update(&[0]);
        for p in parts {
            h.update(p);
        }
        Hash32(*h.finalize().as_bytes())
    }

    /// Wraps raw bytes.
    pub fn from_bytes(b: [u8; 32]) -> Hash32 {
        Hash32(b)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 64 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses exactly 64 lowercase hex characters.
    pub fn from_hex(s: &str) -> Option<Hash32> {
        decode_hex32(s).map(Hash32)
    }

    /// The short display form (spec §4.4): first 16 hex characters in groups of four.
    pub fn fingerprint(&self) -> String {
        let h = hex::encode(&self.0[..8]);
        format!("{}-{}-{}-{}", &h[0..4], &h[4..8], &h[8..12], &h[12..16])
    }

    /// The first 8 bytes as an integer, for compact in-memory bookkeeping.
    pub fn prefix64(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[..8]);
        u64::from_be_bytes(b)
    }
}

/// Decodes exactly 64 lowercase hex characters.
pub fn decode_hex32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64
        || !b
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(b, &mut out).ok()?;
    Some(out)
}

impl fmt::Display for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

impl TryFrom<String> for Hash32 {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Hash32::from_hex(&s).ok_or_else(|| "expected 64 lowercase hex characters".to_string())
    }
}

impl From<Hash32> for String {
    fn from(h: Hash32) -> String {
        h.to_hex()
    }
}
