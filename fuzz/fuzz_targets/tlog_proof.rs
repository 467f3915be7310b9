//! A tlog-proof bundle and a frontier's bytes: `Proof::parse` and `Frontier::from_bytes` never
//! panic, and whatever they accept re-encodes to exactly its bytes.
#![no_main]

use coi_ledger::tlog::{proof::Proof, Frontier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Proof::parse(data) {
        assert_eq!(
            p.encode().as_bytes(),
            data,
            "an accepted proof is in canonical form"
        );
        let _ = p.check(p.leaf().unwrap_or_default(), &[]);
    }
    if let Ok(f) = Frontier::from_bytes(data) {
        assert_eq!(f.to_bytes(), data, "an accepted frontier is in canonical form");
        let _ = f.root();
    }
});
