//! Forks (issue item 3): two validly signed entries for one (member, seq) are always reported with
//! both line numbers, never merged into a store, kept as evidence, and exportable as a proof that
//! anyone can check.
//!
//! For every seq position of a 200-entry chain a second, validly signed, conflicting entry is made
//! with the member's own key (same prev and time, different content):
//! (a) the chain with the conflicting entry appended at the end, or inserted right after the
//!     original, verifies as exactly one `fork` naming both lines (200/200 each);
//! (b) a branch file (the chain up to seq - 1, then the conflicting entry) imported into a store
//!     holding the original chain is not merged, reports the fork, and `Store::forks()` keeps both
//!     lines; `Store::fork_proof` verifies as a `fork` (200/200).
//! Plus the same through the CLI: `coi import` exits 1, `coi forks` lists the fork and exits 1,
//! `coi forks --proof 1 -o FILE` writes a proof and `coi verify FILE` exits 1 with class `fork`.

mod support;

use std::process::Output;

use coi_ledger::store::Store;
use coi_ledger::{
    verify_bytes, Data, Draft, Entry, ErrorClass, Hash32, Reaffirm, SecretKey, VerifyOptions,
};
use support::cli::{coi, copy_dir};
use support::{build_ledger, join, par_map};

const N: usize = 200;

/// The chain (one member, 200 entries, mixed kinds), its parsed entries, its key, and for each
/// seq a conflicting entry.
fn setup() -> (Vec<String>, Vec<Entry>, Vec<Entry>) {
    let l = build_ledger(7, 0, 1, N);
    let key: SecretKey = l.key(0);
    let entries: Vec<Entry> = l
        .lines
        .iter()
        .map(|s| Entry::parse(s).expect("parse"))
        .collect();
    let conflicting: Vec<Entry> = entries
        .iter()
        .map(|e| {
            let c = Draft {
                member: e.member,
                seq: e.seq,
                prev: e.prev,
                time: e.time,
                data: Data::Reaffirm(Reaffirm {
                    note: Some(format!("other history at seq {}", e.seq)),
                }),
            }
            .sign(&key)
            .expect("sign");
            assert_ne!(c.id, e.id);
            c
        })
        .collect();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
    }
    (l.lines, entries, conflicting)
}

#[test]
fn a_conflicting_entry_at_every_seq_verifies_as_a_fork_with_both_lines() {
    let (lines, _, conflicting) = setup();
    // Appended at the end (line N + 1), and inserted right after the original (line s + 1).
    let outcomes: Vec<(usize, bool)> = par_map(2 * N, |k| {
        let (i, at_end) = (k / 2, k % 2 == 0);
        let mut v = lines.clone();
        let fork_line = if at_end {
            v.push(conflicting[i].line.clone());
            N + 1
        } else {
            v.insert(i + 1, conflicting[i].line.clone());
            i + 2
        };
        let r = verify_bytes(&join(v.iter().map(String::as_str)));
        assert!(!r.valid);
        assert_eq!(r.problems.len(), 1, "seq {}: {:?}", i + 1, r.problems);
        let p = &r.problems[0];
        assert_eq!(p.class, ErrorClass::Fork, "seq {}", i + 1);
        assert_eq!(p.line, fork_line as u64);
        assert_eq!(p.other_line, Some(i as u64 + 1));
        assert_eq!(p.seq, Some(i as u64 + 1));
        // Reported, not chosen: the chain itself stays the original one.
        assert_eq!(r.members[0].head_seq, N as u64);
        (i, at_end)
    });
    let at_end = outcomes.iter().filter(|o| o.1).count();
    assert_eq!((at_end, outcomes.len() - at_end), (N, N));
    eprintln!("forks in files: {at_end}/{N} appended at the end, {N}/{N} right after the original");
}

#[test]
fn a_store_never_merges_a_fork_keeps_both_lines_and_exports_a_checkable_proof() {
    let (lines, entries, conflicting) = setup();
    let mut store = Store::open_in_memory().expect("store");
    let full = join(lines.iter().map(String::as_str));
    let r = store
        .import(&full[..], "original", VerifyOptions::default(), |_| {})
        .expect("import");
    assert!(r.merged);
    let heads = store.members().expect("members");
    let mut proofs_ok = 0;
    for i in 0..N {
        let seq = i as u64 + 1;
        let mut branch: Vec<&str> = lines[..i].iter().map(String::as_str).collect();
        branch.push(&conflicting[i].line);
        let file = join(branch);
        // The branch file alone is a valid chain: only the store can see the fork.
        assert!(verify_bytes(&file).valid);
        let source = format!("branch-{seq}");
        let ir = store
            .import(&file[..], &source, VerifyOptions::default(), |_| {})
            .expect("import");
        assert!(!ir.merged, "seq {seq}: fork merged");
        assert_eq!(ir.added, 0);
        assert!(ir.stale.is_empty());
        assert_eq!(ir.forks.len(), 1, "seq {seq}");
        let f = &ir.forks[0];
        assert_eq!(f.seq, seq);
        assert_eq!((f.held_id, f.other_id), (entries[i].id, conflicting[i].id));
        assert_eq!(f.held_line, lines[i]);
        assert_eq!(f.other_line, conflicting[i].line);
        // Kept as evidence.
        let kept = store.forks().expect("forks");
        assert_eq!(kept.len(), i + 1);
        let k = kept
            .iter()
            .find(|k| k.seq == seq)
            .expect("fork kept in the store");
        assert_eq!(
            (&k.held_line, &k.other_line),
            (&lines[i], &conflicting[i].line)
        );
        assert_eq!(k.source, source);
        // The store's chain is untouched.
        assert_eq!(store.count().expect("count"), N as u64);
        // The proof: the chain before the fork, then both entries.
        let mut proof = Vec::new();
        store.fork_proof(k, &mut proof).expect("proof");
        let pr = verify_bytes(&proof);
        assert!(!pr.valid);
        assert_eq!(pr.problems.len(), 1, "{:?}", pr.problems);
        let p = &pr.problems[0];
        assert_eq!(p.class, ErrorClass::Fork);
        assert_eq!((p.line, p.other_line), (seq + 1, Some(seq)));
        proofs_ok += 1;
    }
    assert_eq!(proofs_ok, N);
    assert_eq!(store.members().expect("members"), heads);
    assert!(store.check_integrity().expect("integrity").is_empty());
    // Importing the same branch again records no duplicate evidence.
    let mut again: Vec<&str> = lines[..9].iter().map(String::as_str).collect();
    again.push(&conflicting[9].line);
    let ir = store
        .import(
            &join(again)[..],
            "branch-10",
            VerifyOptions::default(),
            |_| {},
        )
        .expect("import");
    assert!(!ir.merged);
    assert_eq!(store.forks().expect("forks").len(), N);
    eprintln!("store forks: {N}/{N} not merged, kept, proofs verify as fork");
}

#[test]
fn a_fork_of_the_first_entry_under_another_key_is_not_a_fork_of_this_member() {
    // A seq-1 entry can only belong to the member whose first key hashes to the member id; an
    // entry with another key claiming the member is refused, not recorded as the member's fork.
    let (lines, entries, _) = setup();
    let other = SecretKey::from_seed(&[9u8; 32]);
    let forged = Draft {
        member: entries[0].member,
        seq: 1,
        prev: Hash32::ZERO,
        time: entries[0].time,
        data: Data::Reaffirm(Reaffirm { note: None }),
    }
    .sign(&other)
    .expect("sign");
    let mut v = lines.clone();
    v.push(forged.line);
    let r = verify_bytes(&join(v.iter().map(String::as_str)));
    assert!(!r.valid);
    assert_eq!(r.problems[0].class, ErrorClass::WrongKey);
}

// ------------------------------------------------------------------------------------------------
// CLI
// ------------------------------------------------------------------------------------------------

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The realistic way to fork one's own chain: restore the home from an old backup and declare
/// again. The other copy's export then forks the chain the first home holds.
#[test]
fn cli_import_of_a_fork_exits_1_lists_it_and_the_proof_verifies_as_fork() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let o = coi(&a, &["init", "--name", "Ada", "--no-passphrase"]);
    assert!(o.status.success(), "{o:?}");
    let o = coi(
        &a,
        &[
            "declare",
            "--matter",
            "board/item-1",
            "--category",
            "financial",
            "--between",
            "personal-professional",
            "--counterparty",
            "Acme",
        ],
    );
    assert!(o.status.success(), "{o:?}");
    // The backup.
    copy_dir(&a, &b);
    let o = coi(&a, &["declare", "--none", "--matter", "board/item-2"]);
    assert!(o.status.success(), "{o:?}");
    let o = coi(&b, &["declare", "--none", "--matter", "board/item-3"]);
    assert!(o.status.success(), "{o:?}");
    let b_file = dir.path().join("b.ledger");
    let o = coi(&b, &["export", "-o", b_file.to_str().expect("utf8")]);
    assert!(o.status.success(), "{o:?}");

    // The branch on its own is a valid chain.
    let o = coi(&a, &["verify", b_file.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");

    let o = coi(&a, &["import", b_file.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stdout(&o).contains("FORK"), "{}", stdout(&o));
    assert!(stdout(&o).contains("seq 3"), "{}", stdout(&o));
    // Nothing merged: the store still holds its own 3 entries.
    let o = coi(&a, &["log", "--json"]);
    assert_eq!(stdout(&o).lines().count(), 3);

    let o = coi(&a, &["forks"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let listing = stdout(&o);
    assert!(listing.starts_with("1. member "), "{listing}");
    assert!(listing.contains("seq 3"), "{listing}");
    assert_eq!(listing.lines().count(), 1);
    let o = coi(&a, &["forks", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(1));
    assert_eq!(v[0]["seq"], 3);
    assert_ne!(v[0]["held_line"], v[0]["other_line"]);

    let proof = dir.path().join("proof.ledger");
    let p = proof.to_str().expect("utf8");
    let o = coi(&a, &["forks", "--proof", "1", "-o", p]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let o = coi(&a, &["verify", p]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stdout(&o).contains(": fork: "), "{}", stdout(&o));
    let o = coi(&a, &["verify", "--json", p]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["valid"], false);
    let problems = v["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{v}");
    assert_eq!(problems[0]["class"], "fork");
    assert_eq!(problems[0]["line"], 4);
    assert_eq!(problems[0]["other_line"], 3);

    // A proof number that does not exist is a usage error.
    let o = coi(&a, &["forks", "--proof", "2", "-o", p]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}
