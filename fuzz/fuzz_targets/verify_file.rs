//! A whole ledger file: `verify_bytes` never panics, and its report is self-consistent.
#![no_main]

use coi_ledger::verify_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = verify_bytes(data);
    assert!(report.entries <= report.lines);
    assert_eq!(
        report.valid,
        report.problems.is_empty(),
        "valid iff no problem"
    );
    let members: u64 = report.members.iter().map(|m| m.entries).sum();
    assert_eq!(members, report.entries);
});
