//! Concurrent writers (issue item 5): processes appending to one member's chain in one store at the
//! same time serialise on the database lock (`BEGIN IMMEDIATE` + `busy_timeout`); none forks the
//! chain, loses an entry, or surfaces a busy error.
//!
//! - CLI: 4 threads each run 250 `coi declare` processes one after another on one home: 1,000
//!   processes, every one exits 0; the store then holds all 1,000 entries (plus the profile),
//!   contiguous, verifying, with no fork.
//! - Library: 4 processes (this test binary re-executed as `child_writer`) open a store that does
//!   not exist yet at the same moment (racing on its creation and schema migration) and append
//!   250 entries each through one `Store` each.

mod support;

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::Instant;

use coi_ledger::store::Store;
use coi_ledger::{verify_bytes, Data, Matter, NoConflict, Scope, SecretKey};

const PROCS: usize = 4;
const PER_PROC: usize = 250;

/// Checks the store after the writers: every id present, counts, contiguous verifying chain, no
/// fork.
fn check_store(path: &Path, ids: &[String], expected_entries: u64) {
    let store = Store::open(path).expect("open");
    assert_eq!(store.count().expect("count"), expected_entries);
    let problems = store.check_integrity().expect("integrity");
    assert!(problems.is_empty(), "{problems:?}");
    assert!(store.forks().expect("forks").is_empty());
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "an id was printed twice");
    for id in ids {
        store.find(id).expect("acknowledged entry present");
    }
    let members = store.members().expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].seq, expected_entries);
    // Contiguous: the export is one chain 1..=n that verifies.
    let mut file = Vec::new();
    store.export(None, &mut file).expect("export");
    let r = verify_bytes(&file);
    assert!(r.valid, "{:?}", r.problems);
    assert_eq!(r.entries, expected_entries);
    assert_eq!(r.members[0].head_seq, expected_entries);
}

#[test]
fn four_processes_of_250_coi_declares_on_one_home() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let o = support::cli::command(&home)
        .args(["init", "--name", "Ada", "--no-passphrase"])
        .output()
        .expect("init");
    assert!(o.status.success(), "{o:?}");
    let t0 = Instant::now();
    let barrier = Arc::new(Barrier::new(PROCS));
    let threads: Vec<_> = (0..PROCS)
        .map(|t| {
            let home = home.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let mut ids = Vec::with_capacity(PER_PROC);
                for i in 0..PER_PROC {
                    let o = support::cli::coi(
                        &home,
                        &["declare", "--none", "--matter", &format!("p{t}/item-{i}")],
                    );
                    let stderr = String::from_utf8_lossy(&o.stderr);
                    assert!(
                        o.status.success(),
                        "process {t}/{i}: {:?}: {stderr}",
                        o.status
                    );
                    assert!(
                        !stderr.contains("busy") && !stderr.contains("locked"),
                        "{stderr}"
                    );
                    let id = String::from_utf8_lossy(&o.stdout).trim().to_string();
                    assert_eq!(id.len(), 64, "{id}");
                    ids.push(id);
                }
                ids
            })
        })
        .collect();
    let ids: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("writer thread"))
        .collect();
    let elapsed = t0.elapsed();
    assert_eq!(ids.len(), PROCS * PER_PROC);
    check_store(
        &home.join("store.sqlite"),
        &ids,
        (PROCS * PER_PROC) as u64 + 1,
    );
    eprintln!(
        "cli: {} coi processes ({PROCS} at a time) in {elapsed:?}: all exit 0, {} entries contiguous, no fork",
        PROCS * PER_PROC,
        PROCS * PER_PROC + 1
    );
}

const STORE_ENV: &str = "COI_CONCURRENCY_STORE";
const SEED: [u8; 32] = [0x44; 32];

/// The child: opens the store (maybe creating it), appends PER_PROC entries, printing each id.
/// Does nothing when run without COI_CONCURRENCY_STORE (a normal test run).
#[test]
#[ignore = "child process of the concurrency test"]
fn child_writer() {
    let Some(path) = std::env::var_os(STORE_ENV) else {
        return;
    };
    let key = SecretKey::from_seed(&SEED);
    let me = key.public().member_id();
    let mut store = Store::open(Path::new(&path)).expect("open store");
    let mut out = std::io::stdout().lock();
    let pid = std::process::id();
    for i in 0..PER_PROC {
        let data = Data::NoConflict(NoConflict {
            matters: Some(vec![
                Matter::parse(&format!("w{pid}/item-{i}")).expect("matter")
            ]),
            scope: Scope::Specific,
        });
        let e = store.append(&key, &me, data).expect("append");
        writeln!(out, "ACK {}", e.id.to_hex()).expect("stdout");
        out.flush().expect("flush");
    }
}

#[test]
fn four_processes_create_one_store_and_append_250_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.sqlite");
    let t0 = Instant::now();
    let children: Vec<_> = (0..PROCS)
        .map(|_| {
            Command::new(std::env::current_exe().expect("exe"))
                .args([
                    "--exact",
                    "child_writer",
                    "--nocapture",
                    "--include-ignored",
                ])
                .args(["--test-threads", "1"])
                .env(STORE_ENV, &path)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let mut ids = Vec::new();
    for mut c in children {
        let out = c.stdout.take().expect("stdout");
        for line in BufReader::new(out).lines() {
            let line = line.expect("line");
            // libtest prints "test child_writer ... " without a newline before the first ACK.
            if let Some(at) = line.find("ACK ") {
                ids.push(line[at + 4..].to_string());
            }
        }
        let o = c.wait_with_output().expect("wait");
        assert!(
            o.status.success(),
            "writer failed: {:?}: {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let elapsed = t0.elapsed();
    assert_eq!(ids.len(), PROCS * PER_PROC);
    check_store(&path, &ids, (PROCS * PER_PROC) as u64);
    eprintln!(
        "library: {PROCS} processes x {PER_PROC} appends to a new store in {elapsed:?}: all present, contiguous, no fork"
    );
}

/// Many connections opening one store that does not exist yet, at the same moment: converting a
/// new database to WAL needs exclusive access and SQLite answers busy at once, without the busy
/// handler, so `Store::open` retries it. Without the retry this failed "database is locked" in
/// about one round in ten (and the 4-process test above in about one run in 70).
#[test]
fn sixteen_connections_create_one_store_at_once() {
    const THREADS: usize = 16;
    const ROUNDS: usize = 40;
    for round in 0..ROUNDS {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = Arc::new(dir.path().join("store.sqlite"));
        let start = Arc::new(Barrier::new(THREADS));
        let openers: Vec<_> = (0..THREADS)
            .map(|_| {
                let (path, start) = (Arc::clone(&path), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    Store::open(&path).map(|_| ()).map_err(|e| e.to_string())
                })
            })
            .collect();
        for t in openers {
            let opened = t.join().expect("opener panicked");
            assert!(opened.is_ok(), "round {round}: {opened:?}");
        }
        let store = Store::open(&path).expect("reopen");
        assert_eq!(store.count().expect("count"), 0);
    }
}
