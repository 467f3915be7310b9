//! Crash safety (issue item 4), in the manner of SQLite's own crash tests: a writer is killed with
//! SIGKILL at random moments and the application's invariants are checked after each kill.
//!
//! - Appends: this test binary re-executes itself as `child_appender`, which appends to a store in
//!   a loop and prints each entry id after `Store::append` returned (acknowledged). After each
//!   kill the store must pass `Store::check_integrity` (PRAGMA integrity_check, every chain
//!   verifies from seq 1 and is contiguous, heads consistent) and hold every acknowledged id.
//!   200 kills by default, 1,000 with COI_STRESS=1.
//! - Export: `child_exporter` rewrites one file with `home::write_atomic`, alternating between two
//!   different contents; after each kill the file is exactly one of the two, never a part.
//!
//! - Bulk import: `child_importer` imports a 3,000-entry file into a store holding its first 200
//!   lines, in bulk mode with a rollback journal; after each kill the store passes the integrity
//!   check and is exactly the store before or after the import (compared with `Store::dump`).
//!
//! The random delays come from COI_CRASH_SEED if set (printed either way, to replay a failure).

mod support;

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use coi_ledger::home::write_atomic;
use coi_ledger::store::Store;
use coi_ledger::{
    Between, Category, Data, Declaration, Matter, Mitigation, NoConflict, Scope, SecretKey, Whose,
    Withdraw,
};
use support::Rng;

const STORE_ENV: &str = "COI_CRASH_STORE";
const EXPORT_ENV: &str = "COI_CRASH_EXPORT";
const SEED: [u8; 32] = [0x33; 32];

fn kills() -> usize {
    if std::env::var("COI_STRESS").is_ok_and(|v| v == "1") {
        1000
    } else {
        200
    }
}

/// The generator of the random delays: seeded from COI_CRASH_SEED, else from the clock.
fn rng_from_env() -> Rng {
    let seed = std::env::var("COI_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    eprintln!("COI_CRASH_SEED={seed}");
    Rng(seed)
}

/// Re-executes this test binary running only `name`, with `env` set; stdout piped.
fn spawn_child(name: &str, env: (&str, &Path)) -> Child {
    Command::new(std::env::current_exe().expect("current exe"))
        .args(["--exact", name, "--nocapture", "--include-ignored"])
        .args(["--test-threads", "1"])
        .env(env.0, env.1)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child")
}

/// Kills `child` after `delay` and returns everything it wrote to stdout.
fn kill_after(mut child: Child, delay: Duration) -> String {
    std::thread::sleep(delay);
    // `Child::kill` sends SIGKILL on Unix.
    let _ = child.kill();
    let _ = child.wait();
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    out
}

// ------------------------------------------------------------------------------------------------
// Appends
// ------------------------------------------------------------------------------------------------

fn decl(n: u64) -> Declaration {
    Declaration {
        between: Between::PersonalProfessional,
        category: Category::Financial,
        counterparty: format!("Counterparty {n}"),
        matters: Some(vec![
            Matter::parse(&format!("item-{}", n % 5)).expect("matter")
        ]),
        mitigation: Mitigation::Recuse,
        nature: None,
        relationship: None,
        scope: Scope::Specific,
        sealed: None,
        since: None,
        until: None,
        value: None,
        whose: Whose::Own,
    }
}

/// The child: appends forever to the store named by COI_CRASH_STORE, printing `ACK <id>` after
/// each append returned. Does nothing when run without that variable (a normal test run).
#[test]
#[ignore = "child process of crash tests"]
fn child_appender() {
    let Some(path) = std::env::var_os(STORE_ENV) else {
        return;
    };
    let key = SecretKey::from_seed(&SEED);
    let me = key.public().member_id();
    let mut store = Store::open(Path::new(&path)).expect("open store");
    let mut out = std::io::stdout().lock();
    let mut n = store.head(&me).expect("head").map(|h| h.seq).unwrap_or(0);
    let mut live = Vec::new();
    loop {
        n += 1;
        // A mix: declarations, withdrawals of them (which touch the live table), no-conflicts.
        let data = match (n % 3, live.is_empty()) {
            (1, false) => Data::Withdraw(Withdraw {
                target: live.remove(0),
                until: None,
            }),
            (2, _) => Data::NoConflict(NoConflict {
                matters: None,
                scope: Scope::Standing,
            }),
            _ => Data::Declaration(decl(n)),
        };
        let is_decl = matches!(data, Data::Declaration(_));
        let e = store.append(&key, &me, data).expect("append");
        if is_decl {
            live.push(e.id);
        }
        writeln!(out, "ACK {}", e.id.to_hex()).expect("stdout");
        out.flush().expect("flush");
    }
}

/// Acknowledged ids in a child's output: complete `ACK <64 hex>` lines only (libtest prints
/// "test child_appender ... " without a newline before the first one).
fn acks(out: &str) -> Vec<String> {
    out.split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .filter_map(|l| l.find("ACK ").map(|at| l[at + 4..].trim_end()))
        .filter(|id| id.len() == 64)
        .map(str::to_string)
        .collect()
}

#[test]
fn appends_survive_sigkill_at_random_moments() {
    let n = kills();
    let mut rng = rng_from_env();
    let dir = tempfile::tempdir().expect("tempdir");
    let t0 = Instant::now();
    let mut store_path = PathBuf::new();
    let mut acked: Vec<String> = Vec::new();
    let (mut total_acked, mut kills_mid_run) = (0usize, 0usize);
    for cycle in 0..n {
        // A fresh store every 25 kills: kills also land during creation and migration, and the
        // integrity check (which verifies every chain) stays cheap.
        if cycle % 25 == 0 {
            store_path = dir.path().join(format!("store-{cycle}.sqlite"));
            acked.clear();
        }
        let child = spawn_child("child_appender", (STORE_ENV, &store_path));
        let delay = Duration::from_micros(rng.below(60_000));
        let out = kill_after(child, delay);
        let new = acks(&out);
        if !new.is_empty() {
            kills_mid_run += 1;
        }
        total_acked += new.len();
        acked.extend(new);
        if !store_path.exists() {
            assert!(acked.is_empty());
            continue;
        }
        let store = Store::open(&store_path).expect("reopen after kill");
        let problems = store.check_integrity().expect("integrity check");
        assert!(
            problems.is_empty(),
            "kill {cycle} after {delay:?}: {problems:?}"
        );
        for id in &acked {
            assert!(
                store.find(id).is_ok(),
                "kill {cycle} after {delay:?}: acknowledged entry {id} lost"
            );
        }
        assert!(store.count().expect("count") >= acked.len() as u64);
        assert!(store.forks().expect("forks").is_empty());
    }
    eprintln!(
        "appends: {n} SIGKILLs in {:?}; {total_acked} acknowledged entries all present; {kills_mid_run} kills hit a child that had acknowledged appends",
        t0.elapsed()
    );
    // The kills must actually interrupt appending processes, not only start-ups.
    assert!(kills_mid_run >= n / 4, "{kills_mid_run} of {n}");
}

// ------------------------------------------------------------------------------------------------
// Export
// ------------------------------------------------------------------------------------------------

/// Two different file contents of different lengths (about 1 MiB and 1.5 MiB), so a partial
/// write or a mix of both is distinguishable from either.
fn contents() -> (Vec<u8>, Vec<u8>) {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for i in 0..20_000 {
        writeln!(a, "old {i:08} ---------------------------------------").expect("write");
    }
    for i in 0..30_000 {
        writeln!(b, "new {i:08} ++++++++++++++++++++++++++++++++++++++").expect("write");
    }
    (a, b)
}

/// The child: rewrites COI_CRASH_EXPORT atomically forever, alternating the two contents.
#[test]
#[ignore = "child process of crash tests"]
fn child_exporter() {
    let Some(path) = std::env::var_os(EXPORT_ENV) else {
        return;
    };
    let (a, b) = contents();
    let mut out = std::io::stdout().lock();
    for i in 0u64.. {
        let c = if i % 2 == 0 { &b } else { &a };
        write_atomic(Path::new(&path), |w| {
            w.write_all(c)
                .map_err(|e| coi_ledger::Error::io("export", e))
        })
        .expect("write_atomic");
        writeln!(out, "W {i}").expect("stdout");
        out.flush().expect("flush");
    }
}

#[test]
fn an_export_killed_at_random_moments_is_always_the_whole_old_or_new_file() {
    let n = kills();
    let mut rng = rng_from_env();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.txt");
    let (a, b) = contents();
    std::fs::write(&path, &a).expect("write");
    let t0 = Instant::now();
    let (mut saw_a, mut saw_b, mut writes) = (0, 0, 0usize);
    for cycle in 0..n {
        let child = spawn_child("child_exporter", (EXPORT_ENV, &path));
        let delay = Duration::from_micros(rng.below(50_000));
        let out = kill_after(child, delay);
        writes += out.lines().filter(|l| l.starts_with("W ")).count();
        let got = std::fs::read(&path).expect("read");
        if got == a {
            saw_a += 1;
        } else if got == b {
            saw_b += 1;
        } else {
            panic!(
                "kill {cycle} after {delay:?}: the file is neither version ({} bytes)",
                got.len()
            );
        }
    }
    eprintln!(
        "export: {n} SIGKILLs in {:?}; {writes} completed writes; old {saw_a} / new {saw_b} times, never partial",
        t0.elapsed()
    );
    // Both versions were seen, so kills did land between and during writes.
    assert!(saw_a > 0 && saw_b > 0, "old {saw_a}, new {saw_b}");
}

// ------------------------------------------------------------------------------------------------
// Bulk import
// ------------------------------------------------------------------------------------------------

const IMPORT_ENV: &str = "COI_CRASH_IMPORT";

/// The child: imports the ledger next to the store named by COI_CRASH_IMPORT (`<store>.ledger`)
/// in bulk mode with a rollback journal (thresholds lowered so a small file takes those paths),
/// then prints `DONE`.
#[test]
#[ignore = "child process of crash tests"]
fn child_importer() {
    let Some(path) = std::env::var_os(IMPORT_ENV) else {
        return;
    };
    let path = PathBuf::from(path);
    let bytes = std::fs::read(path.with_extension("ledger")).expect("ledger");
    let mut store = Store::open(&path).expect("open store");
    store.set_bulk_thresholds(100, 1);
    let r = store
        .import_sized(
            bytes.as_slice(),
            Some(bytes.len() as u64),
            "crash",
            coi_ledger::VerifyOptions::default(),
            |_| {},
        )
        .expect("import");
    assert!(r.merged);
    println!("DONE");
}

#[test]
fn a_bulk_import_killed_at_random_moments_is_all_or_nothing() {
    let n = kills() / 4;
    let mut rng = rng_from_env();
    let dir = tempfile::tempdir().expect("tempdir");
    let l = support::build_ledger(21, 0, 4, 3000);
    // The store before: the first 200 lines. After: all of them.
    let base = dir.path().join("base.sqlite");
    let (before, after) = {
        let mut s = Store::open(&base).expect("base");
        let first = support::join(l.lines[..200].iter().map(String::as_str));
        let import = |s: &mut Store, b: &[u8]| {
            s.import(b, "t", coi_ledger::VerifyOptions::default(), |_| {})
                .expect("import")
                .merged
        };
        assert!(import(&mut s, &first));
        let before = s.dump().expect("dump");
        let full = dir.path().join("full.sqlite");
        let mut f = Store::open(&full).expect("full");
        assert!(import(&mut f, &l.bytes()));
        (before, f.dump().expect("dump"))
    };
    // How long an uninterrupted child takes, to spread the kills over it.
    let run = |cycle: usize| -> PathBuf {
        let p = dir.path().join(format!("s{cycle}.sqlite"));
        std::fs::copy(&base, &p).expect("copy store");
        std::fs::write(p.with_extension("ledger"), l.bytes()).expect("ledger");
        p
    };
    let p = run(usize::MAX);
    let t = Instant::now();
    let child = spawn_child("child_importer", (IMPORT_ENV, &p));
    let out = child.wait_with_output().expect("child");
    let full_run = t.elapsed();
    assert!(String::from_utf8_lossy(&out.stdout).contains("DONE"));
    assert_eq!(Store::open(&p).expect("open").dump().expect("dump"), after);
    let t0 = Instant::now();
    let (mut saw_before, mut saw_after) = (0, 0);
    for cycle in 0..n {
        let p = run(cycle);
        let child = spawn_child("child_importer", (IMPORT_ENV, &p));
        let delay = Duration::from_micros(rng.below(full_run.as_micros() as u64 * 6 / 5));
        let out = kill_after(child, delay);
        let store = Store::open(&p).expect("reopen after kill");
        let problems = store.check_integrity().expect("integrity check");
        assert!(
            problems.is_empty(),
            "kill {cycle} after {delay:?}: {problems:?}"
        );
        let got = store.dump().expect("dump");
        if got == before {
            assert!(
                !out.contains("DONE"),
                "kill {cycle}: an acknowledged import was lost"
            );
            saw_before += 1;
        } else if got == after {
            saw_after += 1;
        } else {
            panic!(
                "kill {cycle} after {delay:?}: the store is neither before nor after the import"
            );
        }
        drop(store);
        let _ = std::fs::remove_file(&p);
    }
    eprintln!(
        "bulk import: {n} SIGKILLs in {:?} (an import takes {full_run:?}); before {saw_before} / after {saw_after} times, never partial",
        t0.elapsed()
    );
    assert!(saw_before > 0, "no kill landed during an import");
}
