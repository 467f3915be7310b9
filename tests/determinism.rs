//! Verification gives the same full report whatever the number of threads and however the input
//! is split into reads, on a generated valid ledger and on one with injected problems.

mod support;

use std::io::BufReader;

use coi_ledger::{verify_stream, Entry, ErrorClass, Report, VerifyOptions};
use support::ledger_gen::{generate_bytes, GenConfig};

fn verify(bytes: &[u8], threads: Option<usize>, read_size: usize) -> (Report, Vec<String>) {
    let mut accepted = Vec::new();
    let report = verify_stream(
        BufReader::with_capacity(read_size, bytes),
        VerifyOptions { threads },
        |e: &Entry| {
            accepted.push(e.id.to_hex());
            Ok::<(), std::io::Error>(())
        },
        |_| {},
    )
    .expect("reading from memory cannot fail");
    (report, accepted)
}

/// Everything in a report, as text: every field of every member, problem and notice.
fn full(report: &Report) -> String {
    format!(
        "{}\n{report:?}",
        serde_json::to_string(report).expect("a report serialises")
    )
}

/// Verifies `bytes` with 1, 2 and 4 threads and with several read sizes; all results must be equal.
fn check_deterministic(bytes: &[u8]) -> Report {
    let (reference, accepted) = verify(bytes, Some(1), 1 << 16);
    for (threads, read_size) in [
        (Some(2), 1 << 16),
        (Some(4), 1 << 16),
        (None, 1 << 16),
        (Some(3), 7),
        (Some(1), 4096),
    ] {
        let (r, a) = verify(bytes, threads, read_size);
        assert_eq!(
            full(&r),
            full(&reference),
            "threads {threads:?}, read size {read_size}"
        );
        assert_eq!(
            a, accepted,
            "accepted entries differ with threads {threads:?}, read size {read_size}"
        );
    }
    assert_eq!(full(&coi_ledger::verify_bytes(bytes)), full(&reference));
    reference
}

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\n").unwrap_or(l).to_vec())
        .collect()
}

#[test]
fn generated_ledger_is_deterministic_and_valid() {
    let cfg = GenConfig::new(40, 6000, 11);
    let bytes = generate_bytes(cfg);
    assert_eq!(bytes, generate_bytes(cfg), "the generator is deterministic");
    let report = check_deterministic(&bytes);
    assert!(report.valid, "{:?}", report.problems.first());
    assert_eq!(report.lines, 6000);
    assert_eq!(report.entries, 6000);
    assert_eq!(report.members.len(), 40);
    assert!(report.problems.is_empty() && report.notices.is_empty());
}

#[test]
fn injected_problems_give_the_same_report_with_any_thread_count() {
    let a = generate_bytes(GenConfig::new(40, 6000, 11));
    // Same seed, so the same members and keys, but a different plan: same (member, seq) with
    // different content, validly signed. A source of forks.
    let b = generate_bytes(GenConfig::new(40, 5000, 11));
    let mut out: Vec<Vec<u8>> = lines(&a);
    let parse = |l: &[u8]| {
        Entry::parse(std::str::from_utf8(l).expect("generated lines are UTF-8"))
            .expect("generated lines parse")
    };

    // A fork: a line of `b` whose (member, seq) exists in `a` with another id, appended at the end.
    let ids: std::collections::HashMap<(String, u64), String> = out
        .iter()
        .map(|l| {
            let e = parse(l);
            ((e.member.to_hex(), e.seq), e.id.to_hex())
        })
        .collect();
    // The members whose chains the faults below break: the fork must be in another one.
    let broken: Vec<String> = [100, 400, 1000, 1500, 1600, 1900]
        .iter()
        .map(|&i| parse(&out[i]).member.to_hex())
        .collect();
    let fork = lines(&b)
        .into_iter()
        .find(|l| {
            let e = parse(l);
            let member = e.member.to_hex();
            e.seq > 3
                && !broken.contains(&member)
                && ids
                    .get(&(member, e.seq))
                    .is_some_and(|id| *id != e.id.to_hex())
        })
        .expect("the two plans differ somewhere");

    // A bad signature: one base64 character of line 101's signature changed.
    let sig_at = out[100].len() - 10;
    out[100][sig_at] = if out[100][sig_at] == b'A' { b'B' } else { b'A' };
    // A duplicate after line 300 of a line from 201 on whose member no other fault stops
    // (the plan decides who owns which line).
    let dup_at = (200..300)
        .find(|&i| !broken.contains(&parse(&out[i]).member.to_hex()))
        .expect("a line of an unbroken member");
    let dup = out[dup_at].clone();
    out.insert(300, dup);
    // Not canonical: a space after the first colon.
    let mut spaced = out[400].clone();
    spaced.insert(9, b' ');
    out[400] = spaced;
    // A removed line: that member's next line is a seq gap.
    out.remove(1000);
    // Byte-level faults.
    out[1500].push(b'\r');
    out[1600][20] = 0xff;
    out.insert(1700, Vec::new());
    out.insert(1800, vec![b'x'; 70_000]);
    out[1900].insert(30, 0);
    out.push(fork);
    let mut bytes = out.join(&b'\n');
    // The last line is not terminated.
    bytes.extend_from_slice(b"\n{\"entry\":");

    let report = check_deterministic(&bytes);
    assert!(!report.valid);
    let classes: std::collections::BTreeSet<ErrorClass> =
        report.problems.iter().map(|p| p.class).collect();
    for class in [
        ErrorClass::BadSignature,
        ErrorClass::DuplicateEntry,
        ErrorClass::NonCanonical,
        ErrorClass::SeqGap,
        ErrorClass::CarriageReturn,
        ErrorClass::InvalidUtf8,
        ErrorClass::EmptyLine,
        ErrorClass::LineTooLong,
        ErrorClass::NulByte,
        ErrorClass::Fork,
        ErrorClass::MissingFinalNewline,
    ] {
        assert!(
            classes.contains(&class),
            "{class:?} missing from {classes:?}"
        );
    }
    let lines_with_problems: Vec<u64> = report.problems.iter().map(|p| p.line).collect();
    let mut sorted = lines_with_problems.clone();
    sorted.sort_unstable();
    assert_eq!(
        lines_with_problems, sorted,
        "problems are reported in file order"
    );
}
