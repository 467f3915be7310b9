//! The `tlog-witness` add-checkpoint protocol end to end: `coi_ledger::sync` against the loopback
//! witness of `tests/support/witness.rs`, which judges with `tlog::witness::add_checkpoint`.
//! Every exchange is bounded by the client's timeout and the witness's lifetime.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use coi_ledger::sync::{self, FetchError, SubmitError};
use coi_ledger::tlog::note::{self, NoteKey, NoteVerifier};
use coi_ledger::tlog::witness::{TreeHead, TrustedLogs};
use coi_ledger::tlog::{leaf_hash, Checkpoint, Hash, ProofError, Tree};
use support::witness::{origin_hash, Behaviour, TestWitness};

const ORIGIN: &str = "example.org/board-log";
const TIMEOUT: Duration = Duration::from_secs(10);

fn tree(n: u64, tag: &str) -> Tree {
    Tree::from_leaves((0..n).map(|i| leaf_hash(format!("{tag} line {i}").as_bytes())))
}

fn log_key(seed: u8) -> NoteKey {
    NoteKey::from_seed(ORIGIN, &[seed; 32]).expect("log key")
}

fn trusting(seed: u8) -> TrustedLogs {
    let v = NoteVerifier::parse(&log_key(seed).vkey()).expect("vkey");
    TrustedLogs::from([(ORIGIN.to_string(), vec![v])])
}

fn text(t: &Tree, n: u64) -> String {
    Checkpoint {
        origin: ORIGIN.into(),
        size: n,
        root: t.root(n).expect("root"),
        extensions: vec![],
    }
    .body()
}

fn signed(t: &Tree, n: u64, seed: u8) -> String {
    note::sign(&text(t, n), &log_key(seed)).expect("sign")
}

fn submit(w: &TestWitness, t: &Tree, n: u64, hint: u64) -> Result<Vec<String>, SubmitError> {
    let started = Instant::now();
    let r = sync::submit_checkpoint(
        &w.url(),
        &signed(t, n, 1),
        hint,
        |old| t.consistency_proof(old, n),
        TIMEOUT,
    );
    assert!(started.elapsed() < TIMEOUT * 4, "bounded in time");
    r
}

fn head(t: &Tree, n: u64) -> TreeHead {
    TreeHead {
        size: n,
        root: t.root(n).expect("root"),
    }
}

#[test]
fn a_witness_cosigns_and_the_cosignature_verifies() {
    let w = TestWitness::start(trusting(1), 7);
    let t = tree(12, "a");
    let lines = submit(&w, &t, 5, 0).expect("cosigned");
    assert_eq!(lines.len(), 1);
    let wv = NoteVerifier::parse(w.vkey()).expect("witness vkey");
    let time = note::verify_cosignature(&text(&t, 5), &lines[0], &wv).expect("verifies");
    assert!(time > 1_600_000_000, "a current time: {time}");
    assert_eq!(w.head(ORIGIN), Some(head(&t, 5)));
    // The cosignature does not cover another checkpoint.
    assert!(note::verify_cosignature(&text(&t, 6), &lines[0], &wv).is_err());
    // Onward with a proof, and the monitoring endpoint serves the cosigned checkpoint.
    submit(&w, &t, 12, 5).expect("cosigned again");
    assert_eq!(w.head(ORIGIN), Some(head(&t, 12)));
    let url = format!("{}/{}/checkpoint", w.url(), origin_hash(ORIGIN));
    let served = sync::fetch(&url, 64 * 1024, TIMEOUT).expect("served");
    let served = String::from_utf8(served).expect("utf-8");
    let opened = note::open(&served, &[wv, trusting(1)[ORIGIN][0].clone()]).expect("opens");
    assert_eq!(opened.text, text(&t, 12));
    assert_eq!(opened.signatures.len(), 2, "the log's and the witness's");
    let missing = format!("{}/{}/checkpoint", w.url(), origin_hash("example.org/none"));
    assert!(matches!(
        sync::fetch(&missing, 1024, TIMEOUT),
        Err(FetchError::Status { status: 404, .. })
    ));
}

#[test]
fn a_stale_old_size_gets_409_and_the_retry_with_the_witness_size_succeeds() {
    let t = tree(30, "a");
    let stored = BTreeMap::from([(ORIGIN.to_string(), head(&t, 9))]);
    let w = TestWitness::start_with(trusting(1), 7, stored, Behaviour::Honest);
    let lines = submit(&w, &t, 30, 0).expect("cosigned after one 409");
    assert_eq!(w.requests(), 2, "one 409, one 200");
    let wv = NoteVerifier::parse(w.vkey()).expect("witness vkey");
    note::verify_cosignature(&text(&t, 30), &lines[0], &wv).expect("verifies");
    assert_eq!(w.head(ORIGIN), Some(head(&t, 30)));
    // A witness ahead of the checkpoint cannot be proved to.
    let err = submit(&w, &t, 20, 0).unwrap_err();
    assert!(
        matches!(
            err,
            SubmitError::Ahead {
                witness: 30,
                size: 20
            }
        ),
        "{err}"
    );
}

#[test]
fn a_bad_consistency_proof_is_refused_with_422() {
    let t = tree(16, "a");
    let w = TestWitness::start_with(
        trusting(1),
        7,
        BTreeMap::from([(ORIGIN.to_string(), head(&t, 6))]),
        Behaviour::Honest,
    );
    let corrupt = |old| -> Result<Vec<Hash>, ProofError> {
        let mut p = t.consistency_proof(old, 16)?;
        p[0][0] ^= 1;
        Ok(p)
    };
    let err =
        sync::submit_checkpoint(&w.url(), &signed(&t, 16, 1), 6, corrupt, TIMEOUT).unwrap_err();
    assert!(matches!(err, SubmitError::Inconsistent { .. }), "{err}");
    assert_eq!(w.head(ORIGIN), Some(head(&t, 6)), "not moved");
    assert_eq!(w.evidence(), [signed(&t, 16, 1)], "kept as evidence");
}

#[test]
fn a_rewritten_tree_is_refused_as_inconsistent() {
    let t = tree(10, "a");
    let w = TestWitness::start(trusting(1), 7);
    submit(&w, &t, 10, 0).expect("cosigned");
    let u = tree(14, "rewritten");
    for n in [10, 14] {
        // The log signs a tree that does not extend the one the witness cosigned; with a proof
        // from the rewritten tree, the witness cannot be fooled.
        let err = submit(&w, &u, n, 10).unwrap_err();
        assert!(
            matches!(err, SubmitError::Inconsistent { .. }),
            "{n}: {err}"
        );
        let message = err.to_string();
        assert!(message.contains("inconsistent"), "{message}");
        assert!(message.contains("evidence"), "{message}");
    }
    assert_eq!(w.head(ORIGIN), Some(head(&t, 10)));
    assert_eq!(w.evidence().len(), 2);
}

#[test]
fn an_unknown_origin_is_404_and_a_wrong_log_key_403() {
    let t = tree(4, "a");
    let other = TrustedLogs::from([("example.org/other".to_string(), trusting(1)[ORIGIN].clone())]);
    let w = TestWitness::start(other, 7);
    let err = submit(&w, &t, 4, 0).unwrap_err();
    assert!(
        matches!(&err, SubmitError::UnknownOrigin { origin, .. } if origin == ORIGIN),
        "{err}"
    );
    assert!(err.to_string().contains("ask its operator"), "{err}");
    let w = TestWitness::start(trusting(2), 7);
    let err = submit(&w, &t, 4, 0).unwrap_err();
    assert!(matches!(err, SubmitError::Forbidden { .. }), "{err}");
    assert_eq!(w.head(ORIGIN), None);
}

#[test]
fn slow_and_oversized_answers_are_refused_in_bounded_time() {
    let t = tree(4, "a");
    let w = TestWitness::start_with(trusting(1), 7, BTreeMap::new(), Behaviour::Stall);
    let started = Instant::now();
    let err = sync::submit_checkpoint(
        &w.url(),
        &signed(&t, 4, 1),
        0,
        |old| t.consistency_proof(old, 4),
        Duration::from_millis(500),
    )
    .unwrap_err();
    assert!(
        matches!(err, SubmitError::Fetch(FetchError::Timeout { .. })),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    let w = TestWitness::start_with(trusting(1), 7, BTreeMap::new(), Behaviour::Oversized);
    let err = submit(&w, &t, 4, 0).unwrap_err();
    assert!(
        matches!(err, SubmitError::Fetch(FetchError::TooLarge { .. })),
        "{err}"
    );
    let url = format!("{}/anything", w.url());
    assert!(matches!(
        sync::fetch(&url, 1000, TIMEOUT),
        Err(FetchError::TooLarge { limit: 1000, .. })
    ));
}
