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
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(into = "String")]
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
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let (hi, lo) = (
            HEX_DIGIT[usize::from(pair[0])],
            HEX_DIGIT[usize::from(pair[1])],
        );
        bad |= hi | lo;
        *o = (hi << 4) | lo;
    }
    (bad & 0x80 == 0).then_some(out)
}

/// The value of each lowercase hex digit; 0xFF for every other byte.
const HEX_DIGIT: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

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

// As `#[serde(try_from = "String")]` would, with the same messages, but without allocating.
impl<'de> serde::Deserialize<'de> for Hash32 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Hex;
        impl serde::de::Visitor<'_> for Hex {
            type Value = Hash32;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Hash32, E> {
                Hash32::from_hex(s).ok_or_else(|| E::custom(HEX_EXPECTED))
            }
        }
        d.deserialize_string(Hex)
    }
}

const HEX_EXPECTED: &str = "expected 64 lowercase hex characters";

impl TryFrom<String> for Hash32 {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Hash32::from_hex(&s).ok_or_else(|| HEX_EXPECTED.to_string())
    }
}

impl From<Hash32> for String {
    fn from(h: Hash32) -> String {
        h.to_hex()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: 64 characters of `0-9a-f`, decoded pairwise.
    fn reference(s: &str) -> Option<[u8; 32]> {
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

    #[test]
    fn decode_hex32_matches_its_definition() {
        let good = "00ff10a9".repeat(8);
        assert_eq!(decode_hex32(&good), reference(&good));
        assert!(decode_hex32(&good).is_some());
        // Every byte value in every position class (high and low nibble).
        for pos in [0usize, 1, 62, 63] {
            for c in 0u8..=255 {
                let mut b = good.clone().into_bytes();
                b[pos] = c;
                if let Ok(s) = String::from_utf8(b) {
                    assert_eq!(decode_hex32(&s), reference(&s), "byte {c:#x} at {pos}");
                }
            }
        }
        for s in [
            "",
            "0",
            &"a".repeat(63),
            &"a".repeat(65),
            &"A".repeat(64),
            &"é".repeat(32),
        ] {
            assert_eq!(decode_hex32(s), None, "{s:?}");
        }
    }
}
