//! One ledger line: `check_line` and `Entry::parse` never panic; a line they accept is canonical
//! JSON that re-encodes to exactly its bytes, and its typed entry re-encodes to exactly its body
//! (the invariant `tests/properties.rs` checks too, from the one shared function); canonical JSON
//! parsing accepts only text that re-encodes to itself.
#![no_main]

#[path = "../../tests/support/roundtrip.rs"]
mod roundtrip;

use coi_ledger::{parse_canonical, Entry};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    roundtrip::assert_line_round_trip(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(value) = parse_canonical(text) {
        assert_eq!(
            value.to_string(),
            text,
            "canonical parse accepted a non-canonical text"
        );
    }
    if let Ok(e) = Entry::parse(text) {
        let _ = e.verify_signatures();
    }
});
