//! A memo of checked public keys: decoding and checking a key (decompression, re-compression,
//! small-order test) costs about a third of a signature check, and a ledger repeats each member's
//! key on every line. The check is a pure function of the 32 bytes, so remembering its successes
//! changes no result. Failures are not remembered; they are recomputed (and reported) each time.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::error::FormatError;
use crate::keys::PublicKey;

const SHARDS: usize = 16;
/// Keys remembered per shard; a full shard is emptied (memory stays bounded whatever the input).
const SHARD_CAP: usize = 1024;

type Shard = Mutex<HashMap<[u8; 32], PublicKey>>;

fn shards() -> &'static [Shard; SHARDS] {
    static CACHE: OnceLock<[Shard; SHARDS]> = OnceLock::new();
    CACHE.get_or_init(|| std::array::from_fn(|_| Mutex::new(HashMap::new())))
}

/// [`PublicKey::from_hex`], remembered.
pub(crate) fn public_key_from_hex(s: &str) -> Result<PublicKey, FormatError> {
    match crate::hash::decode_hex32(s) {
        Some(bytes) => public_key_from_bytes(&bytes),
        None => PublicKey::from_hex(s),
    }
}

/// Keys remembered per thread, in front of the shared shards (no lock on the usual path).
const LOCAL_CAP: usize = 4096;

thread_local! {
    static LOCAL: RefCell<HashMap<[u8; 32], PublicKey>> = RefCell::new(HashMap::new());
}

/// [`PublicKey::from_bytes`], remembered.
pub(crate) fn public_key_from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, FormatError> {
    let local = LOCAL.with(|m| m.try_borrow().ok().and_then(|m| m.get(bytes).copied()));
    if let Some(k) = local {
        return Ok(k);
    }
    let key = shared(bytes)?;
    LOCAL.with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            if m.len() >= LOCAL_CAP {
                m.clear();
            }
            m.insert(*bytes, key);
        }
    });
    Ok(key)
}

/// The memo shared by all threads.
fn shared(bytes: &[u8; 32]) -> Result<PublicKey, FormatError> {
    let bytes = *bytes;
    let shard = &shards()[usize::from(bytes[0]) % SHARDS];
    if let Some(k) = shard.lock().ok().and_then(|m| m.get(&bytes).copied()) {
        return Ok(k);
    }
    let key = PublicKey::from_bytes(&bytes)?;
    if let Ok(mut m) = shard.lock() {
        if m.len() >= SHARD_CAP {
            m.clear();
        }
        m.insert(bytes, key);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_only_what_from_hex_accepts() {
        let good = crate::keys::SecretKey::from_seed(&[9; 32]).public();
        for _ in 0..3 {
            assert_eq!(public_key_from_hex(&good.to_hex()).ok(), Some(good));
        }
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = hex::encode(identity);
        for _ in 0..3 {
            assert_eq!(
                public_key_from_hex(&weak).map_err(|e| e.class),
                PublicKey::from_hex(&weak).map_err(|e| e.class)
            );
        }
        assert!(public_key_from_hex("ABC").is_err());
    }
}
