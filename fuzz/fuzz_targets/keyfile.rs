//! A secret key file: `KeyFile::decode` never panics. Without a passphrase (Argon2id at the
//! minimum 8 MiB cost is far too slow per input), so an encrypted file stops at
//! `NeedPassphrase` after its structure is read. A plain file that is accepted re-encodes to
//! exactly its bytes.
#![no_main]

use coi_ledger::{KdfParams, KeyFile, KeyFileError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let encrypted = KeyFile::is_encrypted(data);
    match KeyFile::decode(data, None) {
        Ok(kf) => {
            assert!(!encrypted);
            let text = kf.encode(None, KdfParams::DEFAULT).expect("re-encode");
            assert_eq!(
                text.as_bytes(),
                data,
                "an accepted key file is in canonical form"
            );
        }
        Err(KeyFileError::NeedPassphrase) => assert!(encrypted),
        Err(_) => {}
    }
});
