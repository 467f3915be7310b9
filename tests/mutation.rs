//! Mutation matrix (issue item 2): every change an attacker or a broken copy can make to a
//! published ledger is caught by `verify_bytes`, the real whole-file verifier, and nothing panics.
//!
//! The ledger: 200 entries from 4 members (profiles, declarations, no-conflict statements,
//! amendments, withdrawals, retractions, re-affirmations), built through `Store::append_at` from
//! fixed seeds and timestamps, so every run mutates the same bytes.
//!
//! - single bytes: XOR 0x01 and XOR 0x80 at a byte offset; each mutated file must be invalid and
//!   its first problem must be on the line holding the byte. CI runs a deterministic sample of
//!   5,000 offsets (one mask each, alternating) plus every line's LF through the whole-file
//!   verifier, and every offset x both masks through the changed line(s) (`check_line`, which
//!   the whole-file verifier runs on every line; see `single_byte_flips_every_offset_by_line`).
//!   The full matrix through the whole-file verifier (about 200,000 verifications) is
//!   `#[ignore]`d: `cargo test --release --test mutation -- --ignored`.
//! - lines: every deletion (rejected unless the line is its member's last, which leaves a valid
//!   shorter chain), every swap of a member's consecutive entries, every duplication, and splices
//!   of entries from other ledgers (other keys; and the same keys with another history) inserted
//!   at every position and replacing every line.
//! - truncation at every entry boundary verifies as a shorter valid file, and importing it into a
//!   store that holds the longer chain reports it stale and loses nothing.

mod support;

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

use coi_ledger::store::Store;
use coi_ledger::{verify_bytes, ErrorClass, Report, VerifyOptions};
use rayon::prelude::*;
use support::{build_ledger, join, kinds, par_map, Ledger, Rng};

/// Entries in the ledger under test.
const ENTRIES: usize = 200;
/// Members in it.
const MEMBERS: usize = 4;
/// Byte offsets sampled in the CI run.
const SAMPLE: usize = 5_000;

fn ledger() -> &'static Ledger {
    static L: OnceLock<Ledger> = OnceLock::new();
    L.get_or_init(|| build_ledger(1, 0, MEMBERS, ENTRIES))
}

/// A ledger of other members (other seeds): its entries do not belong to any chain of `ledger()`.
fn foreign_keys() -> &'static Ledger {
    static L: OnceLock<Ledger> = OnceLock::new();
    L.get_or_init(|| build_ledger(2, 0, 3, 60))
}

/// Another history of the same members (same seeds, other content).
fn foreign_history() -> &'static Ledger {
    static L: OnceLock<Ledger> = OnceLock::new();
    L.get_or_init(|| build_ledger(1, 1, MEMBERS, 60))
}

/// Verifies with the real whole-file verifier, turning a panic into `Err`.
fn verify(bytes: &[u8]) -> Result<Report, String> {
    catch_unwind(AssertUnwindSafe(|| verify_bytes(bytes))).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into())
    })
}

/// 1-based line number of byte `offset` in `file` (a LF belongs to the line it ends).
fn line_of(file: &[u8], offset: usize) -> u64 {
    file[..offset].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// Runs the byte flips at `offsets` (each with its mask) in parallel; returns the failures
/// (valid files, panics, or a first problem on the wrong line).
fn flip_all(file: &[u8], cases: &[(usize, u8)]) -> Vec<String> {
    par_map(cases.len(), |i| {
        let (offset, mask) = cases[i];
        {
            let mut m = file.to_vec();
            m[offset] ^= mask;
            match verify(&m) {
                Err(p) => Some(format!("offset {offset} ^{mask:#04x}: panic: {p}")),
                Ok(r) if r.valid => Some(format!("offset {offset} ^{mask:#04x}: verified valid")),
                Ok(r) if r.problems.first().map(|p| p.line) != Some(line_of(file, offset)) => {
                    Some(format!(
                        "offset {offset} ^{mask:#04x}: first problem {:?}, expected on line {}",
                        r.problems.first().map(|p| (p.line, p.class)),
                        line_of(file, offset)
                    ))
                }
                Ok(_) => None,
            }
        }
    })
    .into_iter()
    .flatten()
    .collect()
}

#[test]
fn the_ledger_under_test_is_valid_and_mixed() {
    let l = ledger();
    let r = verify_bytes(&l.bytes());
    assert!(r.valid, "{:?}", r.problems);
    assert_eq!(r.entries, ENTRIES as u64);
    assert_eq!(r.members.len(), MEMBERS);
    let k = kinds(l);
    for kind in [
        "profile",
        "declaration",
        "no-conflict",
        "amend",
        "withdraw",
        "retract",
    ] {
        assert!(k.get(kind).copied().unwrap_or(0) >= 3, "{kind}: {k:?}");
    }
    for m in 0..MEMBERS {
        assert!(l.pos.iter().filter(|p| p.0 == m).count() >= 10, "{m}");
    }
    assert!(verify_bytes(&foreign_keys().bytes()).valid);
    assert!(verify_bytes(&foreign_history().bytes()).valid);
}

/// CI: a deterministic sample of 5,000 distinct offsets spread over the whole file (one per
/// stratum of `len / 5000` bytes, at a random place in it), each with one mask (alternating
/// 0x01 / 0x80), plus every LF with both masks.
#[test]
fn single_byte_flips_sample() {
    let file = ledger().bytes();
    let len = file.len();
    let mut rng = Rng(0x5A3D1E);
    let mut cases: BTreeSet<(usize, u8)> = BTreeSet::new();
    for i in 0..SAMPLE {
        let lo = i * len / SAMPLE;
        let hi = ((i + 1) * len / SAMPLE).max(lo + 1);
        let offset = lo + rng.below((hi - lo) as u64) as usize;
        cases.insert((offset, if i % 2 == 0 { 0x01 } else { 0x80 }));
    }
    let offsets: BTreeSet<usize> = cases.iter().map(|c| c.0).collect();
    assert!(
        offsets.len() >= SAMPLE,
        "{} distinct offsets",
        offsets.len()
    );
    for (i, &b) in file.iter().enumerate() {
        if b == b'\n' {
            cases.insert((i, 0x01));
            cases.insert((i, 0x80));
        }
    }
    let cases: Vec<(usize, u8)> = cases.into_iter().collect();
    let t = Instant::now();
    let failures = flip_all(&file, &cases);
    eprintln!(
        "single_byte_flips_sample: {} mutated files ({} distinct offsets of {len}), all rejected: {}, in {:?}",
        cases.len(),
        offsets.len(),
        failures.is_empty(),
        t.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {} flips not rejected: {:#?}",
        failures.len(),
        cases.len(),
        &failures[..failures.len().min(20)]
    );
}

/// Every byte offset x {0x01, 0x80}, in CI. A flip changes only the line holding the byte (or,
/// when it removes or adds a LF, that line and its neighbour). Every line of a file goes through
/// `check_line` in `verify_bytes`, and a failing line is either reported or follows an earlier
/// problem, so a window line that `check_line` rejects proves the whole file is rejected. Where
/// no window line is rejected (never, so far), the real whole-file verifier decides. The
/// `single_byte_flips_sample` test above checks the same flips against `verify_bytes` itself.
#[test]
fn single_byte_flips_every_offset_by_line() {
    use coi_ledger::{check_line, RawLine};
    let file = ledger().bytes();
    let cases: Vec<(usize, u8)> = (0..file.len())
        .flat_map(|o| [(o, 0x01u8), (o, 0x80u8)])
        .collect();
    let t = Instant::now();
    let outcomes = par_map(cases.len(), |i| {
        let (offset, mask) = cases[i];
        let mut m = file.to_vec();
        m[offset] ^= mask;
        let start = file[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let mut pos = start;
        let mut rejected_by_line = false;
        // The changed line(s): up to two LF-terminated pieces from `start` in the mutated file.
        for number in line_of(&file, start)..line_of(&file, start) + 2 {
            if pos >= m.len() {
                break;
            }
            let Some(len) = m[pos..].iter().position(|&b| b == b'\n') else {
                // The file no longer ends with LF: missing-final-newline.
                rejected_by_line = true;
                break;
            };
            let raw = RawLine {
                number,
                bytes: m[pos..pos + len].to_vec(),
                fault: None,
            };
            if check_line(&raw).is_err() {
                rejected_by_line = true;
                break;
            }
            pos += len + 1;
        }
        if rejected_by_line {
            return (true, false);
        }
        let r = verify(&m);
        (matches!(r, Ok(ref r) if !r.valid), true)
    });
    let rejected = outcomes.iter().filter(|o| o.0).count();
    let fallbacks = outcomes.iter().filter(|o| o.1).count();
    eprintln!(
        "single_byte_flips_every_offset_by_line: {} of {} flips ({} offsets x 2) rejected, {} decided by whole-file verify, in {:?}",
        rejected,
        cases.len(),
        file.len(),
        fallbacks,
        t.elapsed()
    );
    assert_eq!(cases.len(), 2 * file.len());
    assert_eq!(
        rejected,
        cases.len(),
        "some single-byte flips were accepted"
    );
}

/// The full matrix: every byte offset x {0x01, 0x80}. About 200,000 whole-file verifications;
/// opt-in (`cargo test --release --test mutation -- --ignored byte_flips_full`).
#[test]
#[ignore = "full matrix: ~200k whole-file verifications, run with --ignored (release profile)"]
fn single_byte_flips_full_matrix() {
    let file = ledger().bytes();
    let cases: Vec<(usize, u8)> = (0..file.len())
        .flat_map(|o| [(o, 0x01u8), (o, 0x80u8)])
        .collect();
    let t = Instant::now();
    let failures = flip_all(&file, &cases);
    eprintln!(
        "single_byte_flips_full_matrix: {} mutated files ({} offsets x 2), in {:?}",
        cases.len(),
        file.len(),
        t.elapsed()
    );
    assert_eq!(cases.len(), 2 * file.len());
    assert!(
        failures.is_empty(),
        "{} of {} flips not rejected: {:#?}",
        failures.len(),
        cases.len(),
        &failures[..failures.len().min(20)]
    );
}

/// Verifies each variant of the ledger given by `make(i)` for `i` in `0..n` and returns the reports.
fn reports(n: usize, make: impl Fn(usize) -> Vec<String> + Sync) -> Vec<Report> {
    par_map(n, |i| {
        let lines = make(i);
        verify(&join(lines.iter().map(String::as_str)))
            .unwrap_or_else(|p| panic!("variant {i}: verifier panicked: {p}"))
    })
}

#[test]
fn every_deletion_of_a_non_final_line_is_rejected() {
    let l = ledger();
    let rs = reports(ENTRIES, |i| {
        let mut v = l.lines.clone();
        v.remove(i);
        v
    });
    let (mut rejected, mut valid) = (0, 0);
    for (i, r) in rs.iter().enumerate() {
        let (m, seq) = l.pos[i];
        if i == l.last_line_of(m) {
            // Deleting a member's last line leaves a valid, shorter chain: a file cannot prove it
            // is complete (spec §5); a store detects this as stale (see the truncation test).
            assert!(
                r.valid,
                "deleting member {m}'s last line {i}: {:?}",
                r.problems
            );
            let s = r.members.iter().find(|s| s.member == l.members[m]);
            assert_eq!(s.map(|s| s.head_seq).unwrap_or(0), seq - 1);
            valid += 1;
        } else {
            assert!(
                !r.valid,
                "deleting line {} (member {m} seq {seq}) verified",
                i + 1
            );
            assert_eq!(r.problems[0].class, ErrorClass::SeqGap, "line {}", i + 1);
            rejected += 1;
        }
    }
    assert_eq!(rejected, ENTRIES - MEMBERS);
    assert_eq!(valid, MEMBERS);
}

#[test]
fn every_swap_of_a_members_consecutive_entries_is_rejected() {
    let l = ledger();
    // (i, j): lines of one member at seq s and s + 1.
    let mut pairs = Vec::new();
    for i in 0..ENTRIES {
        let (m, s) = l.pos[i];
        if let Some(j) = (i + 1..ENTRIES).find(|&j| l.pos[j] == (m, s + 1)) {
            pairs.push((i, j));
        }
    }
    assert_eq!(pairs.len(), ENTRIES - MEMBERS);
    let rs = reports(pairs.len(), |k| {
        let mut v = l.lines.clone();
        v.swap(pairs[k].0, pairs[k].1);
        v
    });
    for (k, r) in rs.iter().enumerate() {
        assert!(!r.valid, "swap of lines {:?} verified", pairs[k]);
    }
    let adjacent_same = pairs.iter().filter(|(i, j)| j - i == 1).count();
    // Adjacent lines of different members may be swapped: chains interleave freely (spec §3).
    let other: Vec<usize> = (0..ENTRIES - 1)
        .filter(|&i| l.pos[i].0 != l.pos[i + 1].0)
        .collect();
    let rs = reports(other.len(), |k| {
        let mut v = l.lines.clone();
        v.swap(other[k], other[k] + 1);
        v
    });
    assert!(rs.iter().all(|r| r.valid));
    eprintln!(
        "swaps: {} of one member's consecutive entries rejected ({adjacent_same} adjacent in the file); {} adjacent swaps across members stay valid",
        pairs.len(),
        other.len()
    );
}

#[test]
fn every_duplication_of_a_line_is_rejected() {
    let l = ledger();
    // Variant 2i: line i repeated right after itself; 2i + 1: repeated at the end of the file.
    let rs = reports(2 * ENTRIES, |k| {
        let i = k / 2;
        let mut v = l.lines.clone();
        if k % 2 == 0 {
            v.insert(i + 1, l.lines[i].clone());
        } else {
            v.push(l.lines[i].clone());
        }
        v
    });
    for (k, r) in rs.iter().enumerate() {
        let (i, copy_line) = if k % 2 == 0 {
            (k / 2, k / 2 + 2)
        } else {
            (k / 2, ENTRIES + 1)
        };
        assert!(!r.valid, "duplicating line {} verified", i + 1);
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        let p = &r.problems[0];
        assert_eq!(p.class, ErrorClass::DuplicateEntry);
        assert_eq!(p.line, copy_line as u64);
        assert_eq!(p.other_line, Some(i as u64 + 1));
    }
    assert_eq!(rs.len(), 2 * ENTRIES);
}

/// Splices: entries of other ledgers inserted at every position and replacing every line.
/// Foreign-key entries with seq >= 2 are used (an entry at seq 1 of a member the file does not
/// hold is the complete start of a new chain, which a file may legitimately add: see
/// `a_foreign_chain_start_is_a_new_chain_not_a_splice`); entries of the same members' other
/// history are used whatever their seq. Each position gets a different foreign entry, cycling,
/// so every foreign entry and every position is covered.
#[test]
fn every_splice_from_another_ledger_is_rejected() {
    let l = ledger();
    let fk = foreign_keys();
    let fh = foreign_history();
    let mut donors: Vec<&str> = fk
        .lines
        .iter()
        .zip(&fk.pos)
        .filter(|(_, p)| p.1 >= 2)
        .map(|(s, _)| s.as_str())
        .collect();
    let n_fk = donors.len();
    donors.extend(fh.lines.iter().map(String::as_str));
    let n = donors.len();
    // Insertions at positions 0..=ENTRIES and replacements of lines 0..ENTRIES, for both donor
    // sets, each pass offset so that every donor is used at least once per operation.
    let mut cases: Vec<(bool, usize, usize)> = Vec::new();
    for (set_lo, set_len) in [(0, n_fk), (n_fk, n - n_fk)] {
        let positions = (ENTRIES + 1).max(set_len);
        for k in 0..positions {
            cases.push((true, k % (ENTRIES + 1), set_lo + k % set_len));
        }
        for k in 0..ENTRIES.max(set_len) {
            cases.push((false, k % ENTRIES, set_lo + k % set_len));
        }
    }
    let rs = reports(cases.len(), |c| {
        let (insert, at, d) = cases[c];
        let mut v = l.lines.clone();
        if insert {
            v.insert(at, donors[d].to_string());
        } else {
            v[at] = donors[d].to_string();
        }
        v
    });
    for (c, r) in rs.iter().enumerate() {
        assert!(!r.valid, "splice {:?} verified", cases[c]);
    }
    eprintln!(
        "splices: {} rejected ({} foreign-key donors, {} other-history donors; every position, every line)",
        cases.len(),
        n_fk,
        n - n_fk
    );
    assert!(cases.len() >= 2 * (2 * ENTRIES + 1));
}

/// The full splice cross product: every donor at every position and replacing every line.
#[test]
#[ignore = "cross product of ~170 donors x ~400 places; run with --ignored"]
fn every_splice_full_cross_product() {
    let l = ledger();
    let fk = foreign_keys();
    let fh = foreign_history();
    let donors: Vec<&str> = fk
        .lines
        .iter()
        .zip(&fk.pos)
        .filter(|(_, p)| p.1 >= 2)
        .map(|(s, _)| s.as_str())
        .chain(fh.lines.iter().map(String::as_str))
        .collect();
    let places = 2 * ENTRIES + 1;
    let rs = reports(donors.len() * places, |c| {
        let (d, p) = (c / places, c % places);
        let mut v = l.lines.clone();
        if p <= ENTRIES {
            v.insert(p, donors[d].to_string());
        } else {
            v[p - ENTRIES - 1] = donors[d].to_string();
        }
        v
    });
    let bad: Vec<usize> = (0..rs.len()).filter(|&c| rs[c].valid).collect();
    assert!(bad.is_empty(), "{} splices verified: {:?}", bad.len(), bad);
}

/// The boundary of the splice rule: a foreign member's complete chain start (seq 1) is a new
/// chain, which a file may carry (spec §3); it changes no existing chain.
#[test]
fn a_foreign_chain_start_is_a_new_chain_not_a_splice() {
    let l = ledger();
    let fk = foreign_keys();
    let start = fk.lines[fk.pos.iter().position(|p| p.1 == 1).expect("seq 1")].clone();
    let base = verify_bytes(&l.bytes());
    for at in [0, ENTRIES / 2, ENTRIES] {
        let mut v = l.lines.clone();
        v.insert(at, start.clone());
        let r = verify_bytes(&join(v.iter().map(String::as_str)));
        assert!(r.valid, "{:?}", r.problems);
        assert_eq!(r.members.len(), MEMBERS + 1);
        for m in &base.members {
            assert!(r.members.contains(m));
        }
    }
}

#[test]
fn truncation_at_an_entry_boundary_is_a_valid_shorter_chain_and_a_store_reports_it_stale() {
    let l = ledger();
    let full = l.bytes();
    let mut store = Store::open_in_memory().expect("store");
    let r = store
        .import(&full[..], "full", VerifyOptions::default(), |_| {})
        .expect("import");
    assert!(r.merged && r.added == ENTRIES as u64);
    let heads_before = store.members().expect("members");
    let mut stale_reports = 0;
    let mut boundary = 0usize;
    for k in 0..=ENTRIES {
        let prefix = &full[..boundary];
        let rep = verify_bytes(prefix);
        assert!(rep.valid, "prefix of {k} lines: {:?}", rep.problems);
        assert_eq!(rep.entries, k as u64);
        let ir = store
            .import(prefix, "prefix", VerifyOptions::default(), |_| {})
            .expect("import");
        assert!(ir.verification.valid && ir.forks.is_empty());
        assert_eq!((ir.added, ir.held), (0, k as u64));
        // Stale: exactly the members the prefix holds part of.
        let expected: BTreeSet<_> = (0..MEMBERS)
            .filter(|&m| {
                let in_prefix = l.pos[..k].iter().filter(|p| p.0 == m).count();
                let total = l.pos.iter().filter(|p| p.0 == m).count();
                in_prefix > 0 && in_prefix < total
            })
            .map(|m| l.members[m])
            .collect();
        let got: BTreeSet<_> = ir.stale.iter().map(|s| s.member).collect();
        assert_eq!(got, expected, "prefix of {k} lines");
        for s in &ir.stale {
            assert!(s.file_seq < s.store_seq);
        }
        if !ir.stale.is_empty() {
            stale_reports += 1;
        }
        // Nothing lost.
        assert_eq!(store.count().expect("count"), ENTRIES as u64);
        if k < ENTRIES {
            boundary += l.lines[k].len() + 1;
        }
    }
    assert_eq!(store.members().expect("members"), heads_before);
    assert!(store.check_integrity().expect("integrity").is_empty());
    assert!(stale_reports >= ENTRIES - 2 * MEMBERS);
    eprintln!(
        "truncation: {} boundaries valid, {stale_reports} imports reported stale",
        ENTRIES + 1
    );

    // Truncation anywhere else leaves a partial last line: rejected (sampled, every 97th byte),
    // as `missing-final-newline`, or `invalid-utf8` when the cut splits a character (the byte
    // checks of spec §3 come first).
    let cut: Vec<usize> = (1..full.len())
        .step_by(97)
        .filter(|&c| full[c - 1] != b'\n')
        .collect();
    let bad: Vec<usize> = par_map(cut.len(), |i| {
        let r = verify(&full[..cut[i]]).expect("no panic");
        let start = full[..cut[i]]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let want = if std::str::from_utf8(&full[start..cut[i]]).is_ok() {
            ErrorClass::MissingFinalNewline
        } else {
            ErrorClass::InvalidUtf8
        };
        let ok = !r.valid && r.problems.last().map(|p| p.class) == Some(want);
        (!ok).then_some(cut[i])
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(bad.is_empty(), "{bad:?}");
}

/// `verify_bytes` called from rayon worker threads (a caller verifying many files with
/// `par_iter`, as this file first did) must finish. Fails instead of hanging: the calls run on
/// another thread, and the test waits two minutes at most.
#[test]
fn verify_bytes_inside_a_rayon_pool_does_not_deadlock() {
    let file = ledger().bytes();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let n = (0..16)
            .into_par_iter()
            .filter(|_| verify_bytes(&file).valid)
            .count();
        let _ = tx.send(n);
    });
    let n = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("verify_bytes called from rayon workers deadlocked");
    assert_eq!(n, 16);
}
