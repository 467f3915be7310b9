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

use coi_ledger::store::{ForkRecord, Store};
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

// ------------------------------------------------------------------------------------------------
// Fork proofs as evidence (issue 9 item 5, spec §5.5)
// ------------------------------------------------------------------------------------------------

fn import(store: &mut Store, file: &[u8], source: &str) -> coi_ledger::store::ImportReport {
    store
        .import(file, source, VerifyOptions::default(), |_| {})
        .expect("import")
}

/// A fork record without the two fields that say where and when it was found.
fn fact(f: &ForkRecord) -> (Hash32, u64, Hash32, &str, Hash32, &str) {
    (
        f.member,
        f.seq,
        f.held_id,
        &f.held_line,
        f.other_id,
        &f.other_line,
    )
}

/// A store that saw the chain and then a branch forking it at `seq` (index `i`), and the proof it
/// exports.
fn seen_fork(lines: &[String], conflicting: &[Entry], i: usize) -> (Store, Vec<u8>) {
    let mut a = Store::open_in_memory().expect("store");
    assert!(import(&mut a, &join(lines.iter().map(String::as_str)), "original").merged);
    let mut branch: Vec<&str> = lines[..i].iter().map(String::as_str).collect();
    branch.push(&conflicting[i].line);
    let r = import(&mut a, &join(branch), "branch");
    assert_eq!(r.forks.len(), 1);
    let kept = a.forks().expect("forks");
    let mut proof = Vec::new();
    a.fork_proof(&kept[0], &mut proof).expect("proof");
    (a, proof)
}

#[test]
fn a_fork_proof_imported_into_a_fresh_store_records_the_fork_as_if_it_had_seen_both_files() {
    let (lines, entries, conflicting) = setup();
    let checked = par_map(N, |i| {
        let seq = i as u64 + 1;
        let (a, proof) = seen_fork(&lines, &conflicting, i);
        let in_a = a.forks().expect("forks");

        let mut b = Store::open_in_memory().expect("store");
        if i % 2 == 1 {
            // Bulk mode from the first entry: the indexes are dropped while the proof streams in.
            b.set_bulk_thresholds(1, 0);
        }
        let r = import(&mut b, &proof, "proof");
        assert!(r.fork_proof, "seq {seq}: {:?}", r.verification.problems);
        assert!(r.merged && r.forks.is_empty() && r.refused.is_none());
        assert_eq!((r.added, r.held), (seq, 0));
        assert_eq!(r.evidence.len(), 1);
        let e = &r.evidence[0];
        assert_eq!((e.held_id, e.other_id), (entries[i].id, conflicting[i].id));
        assert_eq!(e.source, "proof");
        let in_b = b.forks().expect("forks");
        assert_eq!(in_b.len(), 1);
        assert_eq!(fact(&in_b[0]), fact(&in_a[0]), "seq {seq}");
        // B proves the same fork with the same bytes.
        let mut again = Vec::new();
        b.fork_proof(&in_b[0], &mut again).expect("proof");
        assert_eq!(again, proof, "seq {seq}");
        assert!(b.check_integrity().expect("integrity").is_empty());

        // As if it had seen both files: the chain up to the held entry, then the branch.
        let mut c = Store::open_in_memory().expect("store");
        assert!(import(&mut c, &join(lines[..=i].iter().map(String::as_str)), "a").merged);
        let mut branch: Vec<&str> = lines[..i].iter().map(String::as_str).collect();
        branch.push(&conflicting[i].line);
        assert!(!import(&mut c, &join(branch), "b").merged);
        let in_c = c.forks().expect("forks");
        assert_eq!(
            in_c.iter().map(fact).collect::<Vec<_>>(),
            vec![fact(&in_b[0])]
        );
        let (mut eb, mut ec) = (Vec::new(), Vec::new());
        b.export(None, &mut eb).expect("export");
        c.export(None, &mut ec).expect("export");
        assert_eq!(eb, ec, "seq {seq}");

        // Importing the proof again changes nothing.
        let before = b.dump().expect("dump");
        let r = import(&mut b, &proof, "proof again");
        assert!(r.fork_proof && r.merged);
        assert_eq!((r.added, r.held, r.evidence.len()), (0, seq, 1));
        assert_eq!(b.dump().expect("dump"), before, "seq {seq}");
        seq
    });
    assert_eq!(checked.len(), N);
    eprintln!(
        "fork proofs: {N}/{N} imported into a fresh store as the same fork, proofs identical"
    );
}

#[test]
fn a_fork_proof_meets_the_store_where_it_stands() {
    let (lines, entries, conflicting) = setup();
    let i = 41;
    let (_, proof) = seen_fork(&lines, &conflicting, i);
    let mut branch: Vec<&str> = lines[..i].iter().map(String::as_str).collect();
    branch.push(&conflicting[i].line);
    let branch = join(branch);

    // A store holding the whole chain: nothing new to merge, the fork is recorded.
    let mut full = Store::open_in_memory().expect("store");
    import(&mut full, &join(lines.iter().map(String::as_str)), "all");
    let r = import(&mut full, &proof, "proof");
    assert!(r.fork_proof && r.merged);
    assert_eq!((r.added, r.held, r.evidence.len()), (0, i as u64 + 1, 1));
    assert!(r.stale.iter().any(|s| s.file_seq == i as u64 + 1));
    assert_eq!(full.count().expect("count"), N as u64);
    assert_eq!(full.forks().expect("forks").len(), 1);

    // A store that saw the other branch first: the file's chain forks it at that seq, which is
    // kept with the store's entry as the held one; the file's fork line is the store's own
    // entry, which adds nothing; nothing is merged.
    let mut other = Store::open_in_memory().expect("store");
    assert!(import(&mut other, &branch, "branch").merged);
    let before = other.count().expect("count");
    let r = import(&mut other, &proof, "proof");
    assert!(r.fork_proof && !r.merged);
    assert!(r.evidence.is_empty());
    assert_eq!(r.forks.len(), 1);
    let kept = other.forks().expect("forks");
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (kept[0].seq, kept[0].held_id, kept[0].other_id),
        (i as u64 + 1, conflicting[i].id, entries[i].id)
    );
    assert_eq!(other.count().expect("count"), before);

    // A store holding a shorter prefix: the proof extends it.
    let mut short = Store::open_in_memory().expect("store");
    import(
        &mut short,
        &join(lines[..5].iter().map(String::as_str)),
        "five",
    );
    let r = import(&mut short, &proof, "proof");
    assert!(r.fork_proof && r.merged);
    assert_eq!((r.added, r.held), (i as u64 + 1 - 5, 5));
    assert_eq!(short.forks().expect("forks").len(), 1);
}

/// Refused as any file with problems: no evidence, nothing merged, the store unchanged.
fn assert_refused(store: &mut Store, file: &[u8], what: &str) {
    let before = store.dump().expect("dump");
    let r = import(store, file, what);
    assert!(!r.verification.valid, "{what}");
    assert!(!r.fork_proof, "{what}: taken as a fork proof");
    assert!(
        !r.merged && r.evidence.is_empty() && r.forks.is_empty(),
        "{what}"
    );
    assert_eq!(
        store.dump().expect("dump"),
        before,
        "{what}: the store changed"
    );
}

#[test]
fn a_forged_fork_proof_is_refused_and_records_nothing() {
    let (lines, entries, conflicting) = setup();
    let i = 20;
    let (_, proof) = seen_fork(&lines, &conflicting, i);
    let key = build_ledger(7, 0, 1, 1).key(0);
    let text = String::from_utf8(proof.clone()).expect("utf8");
    let proof_lines: Vec<&str> = text.lines().collect();
    let with_last = |last: &str| {
        let mut v = proof_lines[..=i].to_vec();
        v.push(last);
        join(v)
    };
    let sign = |prev: Hash32, time: coi_ledger::Timestamp, data: Data, key: &SecretKey| {
        Draft {
            member: entries[i].member,
            seq: entries[i].seq,
            prev,
            time,
            data,
        }
        .sign(key)
        .expect("sign")
        .line
    };
    let note = |n: &str| {
        Data::Reaffirm(Reaffirm {
            note: Some(n.into()),
        })
    };
    // The real proof is taken (what the others below differ from).
    let mut fresh = Store::open_in_memory().expect("store");
    assert!(import(&mut fresh, &with_last(&conflicting[i].line), "real").fork_proof);

    let mut store = Store::open_in_memory().expect("store");
    // The second line signed by another key: `wrong-key`, not a fork.
    let other_key = SecretKey::from_seed(&[9u8; 32]);
    let forged = sign(entries[i].prev, entries[i].time, note("x"), &other_key);
    assert_refused(&mut store, &with_last(&forged), "another key");
    // Signed by the member's key, but linked to another prev: the verifier calls it a fork
    // (rule 3 compares position and key), but it continues no chain the file shows.
    let bent = sign(entries[i - 1].prev, entries[i].time, note("x"), &key);
    let r = verify_bytes(&with_last(&bent));
    assert_eq!(r.problems.len(), 1);
    assert_eq!(r.problems[0].class, ErrorClass::Fork);
    assert_refused(&mut store, &with_last(&bent), "broken prev");
    // Earlier than the entry before it: the branch it claims would not verify.
    let early = coi_ledger::Timestamp::from_unix(1_000_000_000);
    let regress = sign(entries[i].prev, early, note("x"), &key);
    assert_eq!(
        verify_bytes(&with_last(&regress)).problems[0].class,
        ErrorClass::Fork
    );
    assert_refused(&mut store, &with_last(&regress), "time regression");
    // Withdrawing a declaration that is not live there: `bad-reference` in its own branch.
    let unresolved = sign(
        entries[i].prev,
        entries[i].time,
        Data::Withdraw(coi_ledger::Withdraw {
            target: Hash32::from_bytes([7; 32]),
            until: None,
        }),
        &key,
    );
    assert_eq!(
        verify_bytes(&with_last(&unresolved)).problems[0].class,
        ErrorClass::Fork
    );
    assert_refused(&mut store, &with_last(&unresolved), "bad reference");
    // A real proof plus one problem of another class.
    let mut plus = proof.clone();
    plus.extend_from_slice(b"not a ledger line\n");
    assert_refused(&mut store, &plus, "a junk line");
    let mut plus = proof.clone();
    plus.extend_from_slice(proof_lines[3].as_bytes());
    plus.push(b'\n');
    assert_refused(&mut store, &plus, "a duplicate line");
    // A fork line whose chain is not in the file.
    assert_refused(&mut store, &join([proof_lines[i + 1]]), "no chain");
    assert!(store.forks().expect("forks").is_empty());
    assert_eq!(store.count().expect("count"), 0);
}

#[test]
fn a_fork_proof_holds_at_most_max_fork_lines_and_each_fork_is_kept_once() {
    use coi_ledger::store::MAX_FORK_LINES;
    let (lines, _, conflicting) = setup();
    let i = 9;
    let (_, proof) = seen_fork(&lines, &conflicting, i);
    let last = String::from_utf8(proof.clone()).expect("utf8");
    let last = last.lines().last().expect("line").to_string();
    let copies = |n: usize| {
        let mut p = proof.clone();
        for _ in 1..n {
            p.extend_from_slice(last.as_bytes());
            p.push(b'\n');
        }
        p
    };
    let mut store = Store::open_in_memory().expect("store");
    assert_refused(
        &mut store,
        &copies(MAX_FORK_LINES + 1),
        "too many fork lines",
    );
    let r = import(&mut store, &copies(MAX_FORK_LINES), "many copies");
    assert!(r.fork_proof && r.merged);
    assert_eq!(r.verification.problems.len(), MAX_FORK_LINES);
    assert_eq!(r.evidence.len(), 1);
    assert_eq!(store.forks().expect("forks").len(), 1);
}

#[test]
fn a_fork_proof_after_a_key_rotation_is_checked_with_the_key_in_force() {
    let old = SecretKey::from_seed(&[21u8; 32]);
    let new = SecretKey::from_seed(&[22u8; 32]);
    let me = old.public().member_id();
    let mut a = Store::open_in_memory().expect("store");
    let at = |store: &mut Store, key: &SecretKey, n: &str| {
        store
            .append(
                key,
                &me,
                Data::Reaffirm(Reaffirm {
                    note: Some(n.into()),
                }),
            )
            .expect("append")
    };
    at(&mut a, &old, "one");
    at(&mut a, &old, "two");
    let rotation = a.rotate_key(&old, &me, &new).expect("rotate");
    assert_eq!(rotation.seq, 3);
    let four = at(&mut a, &new, "four");
    at(&mut a, &new, "five");
    let mut chain = Vec::new();
    a.export(None, &mut chain).expect("export");
    let chain = String::from_utf8(chain).expect("utf8");
    let chain: Vec<&str> = chain.lines().collect();
    // Forks at seq 4 (after the rotation: the new key is in force) and at seq 3 (the rotation
    // itself, signed by the old key), each signed as the member's chain there requires.
    for (seq, key) in [(4u64, &new), (3, &old)] {
        let held = Entry::parse(chain[seq as usize - 1]).expect("parse");
        let fork = Draft {
            member: me,
            seq,
            prev: held.prev,
            time: held.time,
            data: Data::Reaffirm(Reaffirm {
                note: Some("the other history".into()),
            }),
        }
        .sign(key)
        .expect("sign");
        let proof = join(
            chain[..seq as usize]
                .iter()
                .copied()
                .chain([fork.line.as_str()]),
        );
        let mut b = Store::open_in_memory().expect("store");
        let r = import(&mut b, &proof, "proof");
        assert!(r.fork_proof, "seq {seq}: {:?}", r.verification.problems);
        assert_eq!(r.evidence.len(), 1);
        assert_eq!(
            (r.evidence[0].held_id, r.evidence[0].other_id),
            (held.id, fork.id)
        );
        assert_eq!(b.head(&me).expect("head").expect("held").seq, seq);
    }
    // At seq 4 the old key is no longer the member's: `wrong-key`, not evidence.
    let stale_key = Draft {
        member: me,
        seq: 4,
        prev: four.prev,
        time: four.time,
        data: Data::Reaffirm(Reaffirm { note: None }),
    }
    .sign(&old)
    .expect("sign");
    let forged = join(chain[..4].iter().copied().chain([stale_key.line.as_str()]));
    assert_eq!(
        verify_bytes(&forged).problems[0].class,
        ErrorClass::WrongKey
    );
    assert_refused(
        &mut Store::open_in_memory().expect("store"),
        &forged,
        "old key",
    );
}

#[test]
fn a_fork_proof_whose_other_chains_fork_the_store_merges_nothing() {
    let (lines, entries, conflicting) = setup();
    let i = 30;
    let (_, proof) = seen_fork(&lines, &conflicting, i);
    // Another member's history in two versions (different from seq 1 on).
    let x0 = build_ledger(8, 0, 1, 10);
    let x1 = build_ledger(8, 1, 1, 10);
    let mut file = proof.clone();
    file.extend_from_slice(&x1.bytes());
    let r = verify_bytes(&file);
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);

    // The store holds the other member's other version and nothing of the proof's member: the
    // file forks the store (kept, as always) and is not merged, so the store holds no entry at
    // the proof's fork to pair it with: not evidence, refused as a file with problems.
    let mut store = Store::open_in_memory().expect("store");
    import(&mut store, &x0.bytes(), "x0");
    let r = import(&mut store, &file, "proof and x1");
    assert!(!r.fork_proof && !r.merged && r.evidence.is_empty());
    assert_eq!(r.forks.len(), 1);
    assert_eq!(r.forks[0].member, x0.members[0]);
    let kept = store.forks().expect("forks");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].member, x0.members[0]);
    assert!(store.head(&entries[i].member).expect("head").is_none());
    assert_eq!(store.count().expect("count"), 10);

    // The same store once it holds the proof's member's chain at the fork: the fork is paired
    // with the entry held before the import; still nothing merged.
    import(
        &mut store,
        &join(lines[..=i].iter().map(String::as_str)),
        "m",
    );
    let before = store.count().expect("count");
    let r = import(&mut store, &file, "proof and x1");
    assert!(r.fork_proof && !r.merged);
    assert_eq!((r.forks.len(), r.evidence.len()), (1, 1));
    assert_eq!(
        (r.evidence[0].held_id, r.evidence[0].other_id),
        (entries[i].id, conflicting[i].id)
    );
    assert_eq!(store.forks().expect("forks").len(), 2);
    assert_eq!(store.count().expect("count"), before);
    assert!(store.check_integrity().expect("integrity").is_empty());
}
