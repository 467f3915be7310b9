//! One ledger line: `check_line` and `Entry::parse` never panic; a line they accept is canonical
//! JSON that re-encodes to exactly its bytes, and its typed entry re-encodes to exactly its body.
#![no_main]

use coi_ledger::{check_line, parse_canonical, Draft, Entry, RawLine};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for number in [1, 2] {
        let raw = RawLine {
            number,
            bytes: data.to_vec(),
            fault: None,
        };
        if let Ok(entry) = check_line(&raw) {
            let line = std::str::from_utf8(data).expect("an accepted line is UTF-8");
            assert_eq!(entry.line, line);
            let value = parse_canonical(line).expect("an accepted line is canonical");
            assert_eq!(value.to_string(), line);
        }
    }
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
        assert_eq!(e.line, text);
        assert_eq!(
            parse_canonical(text)
                .expect("parsed lines are canonical")
                .to_string(),
            text
        );
        let draft = Draft {
            member: e.member,
            seq: e.seq,
            prev: e.prev,
            time: e.time.clone(),
            data: e.data.clone(),
        };
        assert_eq!(
            draft.body(&e.key).expect("a parsed entry's data is valid"),
            e.body()
        );
        let _ = e.verify_signatures();
    }
});
