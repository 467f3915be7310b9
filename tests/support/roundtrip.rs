//! The line round-trip invariant (STYLE.md "One canonical encoding"; spec §4): for every line the
//! parser accepts, re-encoding what was parsed gives exactly the bytes that were read.
//!
//! One function, run by `tests/properties.rs` on generated lines and by the fuzz target
//! `fuzz/fuzz_targets/parse_line.rs` on whatever libFuzzer finds. The fuzz crate sees only the
//! library and this file (`#[path]`), so it uses nothing but `std` and the public API of
//! `coi_ledger`.

use coi_ledger::{check_line, parse_canonical, Draft, Entry, RawLine};

/// Runs every single-line entry point (`check_line` as line 1 and as a later line, and
/// `Entry::parse`) on `bytes` and panics if one accepts a line that does not round-trip: an
/// accepted line must be UTF-8, canonical JSON that re-encodes to exactly its bytes, and its typed
/// entry must re-encode to exactly the body it was parsed from. Returns whether `check_line`
/// accepted the line.
pub fn assert_line_round_trip(bytes: &[u8]) -> bool {
    let mut accepted = false;
    for number in [1, 2] {
        let raw = RawLine {
            number,
            bytes: bytes.to_vec(),
            fault: None,
        };
        if let Ok(entry) = check_line(&raw) {
            accepted = true;
            let line = std::str::from_utf8(bytes).expect("an accepted line is UTF-8");
            assert_eq!(entry.line, line);
            let value = parse_canonical(line).expect("an accepted line is canonical");
            assert_eq!(value.to_string(), line, "canonical re-encoding differs");
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Ok(e) = Entry::parse(text) {
            assert_eq!(e.line, text);
            assert_eq!(
                parse_canonical(text)
                    .expect("parsed lines are canonical")
                    .to_string(),
                text
            );
            // The body is framed by exactly SIG, whatever SIG's form (spec §3, §4.2): the line
            // is `{"entry":` BODY `,"sig":` SIG `}`.
            let value = parse_canonical(text).expect("parsed lines are canonical");
            assert_eq!(
                format!("{{\"entry\":{},\"sig\":{}}}", e.body(), value["sig"]),
                text,
                "the body is not the line's entry object"
            );
            if let Some(sig) = &e.sig {
                assert_eq!(value["sig"].as_str(), Some(sig.to_base64().as_str()));
            }
            // The typed entry re-encodes to the very body it was parsed from.
            let draft = Draft {
                member: e.member,
                seq: e.seq,
                prev: e.prev,
                time: e.time,
                data: e.data.clone(),
            };
            assert_eq!(
                draft.body(&e.key).expect("a parsed entry's data is valid"),
                e.body()
            );
        }
    }
    accepted
}
