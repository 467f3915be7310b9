//! The store's fast paths hold the same facts as its plain ones.
//!
//! A large import defers index upkeep to the end (bulk mode) and, when it is expected to at least
//! double the store, runs with a rollback journal instead of the write-ahead log. A store created
//! by schema version 1 is migrated to version 2 when opened. Each of these must leave exactly the
//! store the row-by-row path builds (compared table by table with `Store::dump`, which names
//! members and entries by id, and includes the schema with every index and the journal mode), and
//! a refused import must leave the store as it was, indexes included.

mod support;

use std::path::Path;

use coi_ledger::store::Store;
use coi_ledger::{Data, Entry, Scope, VerifyOptions};
use support::build_ledger;

/// Imports `bytes` into `store`, passing the size as a file's length.
fn import(store: &mut Store, bytes: &[u8]) -> coi_ledger::store::ImportReport {
    store
        .import_sized(
            bytes,
            Some(bytes.len() as u64),
            "test",
            VerifyOptions::default(),
            |_| {},
        )
        .expect("import")
}

fn open(dir: &Path, name: &str, bulk_min: u64, journal_bytes: u64) -> Store {
    let mut s = Store::open(&dir.join(name)).expect("open");
    s.set_bulk_thresholds(bulk_min, journal_bytes);
    s
}

#[test]
fn bulk_imports_build_the_row_by_row_store() {
    let l = build_ledger(11, 0, 7, 1500);
    let bytes = l.bytes();
    let dir = tempfile::tempdir().expect("tempdir");

    // Row by row, in WAL mode.
    let mut plain = open(dir.path(), "plain.sqlite", u64::MAX, u64::MAX);
    let r = import(&mut plain, &bytes);
    assert!(r.merged && r.added == 1500, "{:?}", r.verification.problems);
    let want = plain.dump().expect("dump");
    assert!(want.contains("\"wal\""), "plain import left WAL mode");
    assert!(plain.check_integrity().expect("check").is_empty());

    // Bulk from the first entry, with a rollback journal.
    let mut bulk = open(dir.path(), "bulk.sqlite", 1, 1);
    let r = import(&mut bulk, &bytes);
    assert!(r.merged && r.added == 1500);
    assert_eq!(bulk.dump().expect("dump"), want, "bulk import differs");

    // Bulk after a third of the file, over a store already holding its first half: held entries
    // are found through the bulk maps, and targets among the entries held before.
    let half = support::join(l.lines[..750].iter().map(String::as_str));
    let mut mixed = open(dir.path(), "mixed.sqlite", u64::MAX, u64::MAX);
    assert!(import(&mut mixed, &half).merged);
    mixed.set_bulk_thresholds(500, 1);
    let r = import(&mut mixed, &bytes);
    assert!(r.merged && r.added == 750 && r.held == 750);
    assert_eq!(mixed.dump().expect("dump"), want, "mixed import differs");

    // Queries on the bulk-built store give what they give on the plain one.
    for m in &l.members {
        let a = plain.conflicts(Some(m), None).expect("conflicts");
        let b = bulk.conflicts(Some(m), None).expect("conflicts");
        let ids = |c: &[coi_ledger::store::Current]| {
            c.iter()
                .map(|x| (x.entry.id, x.replaces.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
        let log = |s: &Store| -> Vec<_> {
            s.log(Some(m), None)
                .expect("log")
                .into_iter()
                .map(|s| s.entry.id)
                .collect()
        };
        assert_eq!(log(&plain), log(&bulk));
    }
    let some = Entry::parse(&l.lines[1000]).expect("parse");
    assert_eq!(
        bulk.find(&some.id.to_hex()[..12]).expect("find").entry.id,
        some.id
    );
}

#[test]
fn a_refused_bulk_import_leaves_the_store_as_it_was() {
    let l = build_ledger(12, 0, 5, 1200);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open(dir.path(), "s.sqlite", 100, 1);
    let first = support::join(l.lines[..300].iter().map(String::as_str));
    assert!(import(&mut store, &first).merged);
    let before = store.dump().expect("dump");

    // A bad signature near the end: verification fails after bulk mode began.
    let mut lines = l.lines.clone();
    let last = lines.len() - 2;
    let sig = lines[last].rfind("\"sig\":\"").expect("sig") + 7;
    let flipped = if &lines[last][sig..sig + 1] == "A" {
        "B"
    } else {
        "A"
    };
    lines[last].replace_range(sig..sig + 1, flipped);
    let r = import(&mut store, &support::join(lines.iter().map(String::as_str)));
    assert!(!r.merged && !r.verification.valid);
    assert_eq!(
        store.dump().expect("dump"),
        before,
        "a refused import changed the store"
    );

    // A fork of a held entry after bulk mode began: every other member's chain (new entries
    // past the first 300 lines), then member 0's held seq 1 and a second, validly signed seq 2.
    let line_of = |pos: (usize, u64)| {
        let i = l.pos.iter().position(|p| *p == pos).expect("line");
        (i, l.lines[i].as_str())
    };
    let (i2, seq2) = line_of((0, 2));
    assert!(i2 < 300, "member 0's seq 2 is held");
    let original = Entry::parse(seq2).expect("parse");
    let other = coi_ledger::Draft {
        member: original.member,
        seq: original.seq,
        prev: original.prev,
        time: original.time,
        data: Data::NoConflict(coi_ledger::NoConflict {
            matters: None,
            scope: Scope::Standing,
        }),
    }
    .sign(&l.key(0))
    .expect("sign");
    assert_ne!(other.id, original.id);
    let mut file: Vec<&str> = l
        .lines
        .iter()
        .zip(&l.pos)
        .filter(|(_, p)| p.0 != 0)
        .map(|(x, _)| x.as_str())
        .collect();
    file.push(line_of((0, 1)).1);
    file.push(&other.line);
    let r = import(&mut store, &support::join(file));
    assert!(!r.merged);
    assert_eq!(r.forks.len(), 1, "{:?}", r.verification.problems);
    // Only the fork evidence is new: the counts (section 2) and the forks (section 7).
    let after = store.dump().expect("dump");
    let sections = |d: &str| -> Vec<String> { d.split("--\n").map(str::to_string).collect() };
    let (a, b) = (sections(&after), sections(&before));
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        if i != 2 && i != 7 {
            assert_eq!(x, y, "section {i} changed");
        }
    }
    assert_eq!(store.forks().expect("forks").len(), 1);
    assert!(store.check_integrity().expect("check").is_empty());
}

/// Writes `l`'s lines into a store of schema version 1, as version 1 of `src/store.rs` did.
fn write_v1_store(path: &Path, lines: &[String]) {
    use rusqlite::params;
    let mut c = rusqlite::Connection::open(path).expect("open v1");
    c.pragma_update(None, "page_size", 8192).expect("page_size");
    c.pragma_update(None, "journal_mode", "WAL").expect("wal");
    let tx = c.transaction().expect("tx");
    tx.execute_batch(include_str!("../schema/store-001.sql"))
        .expect("schema 1");
    tx.pragma_update(None, "user_version", 1).expect("version");
    for line in lines {
        let e = Entry::parse(line).expect("parse");
        let target = e.data.own_target().map(|t| t.as_bytes().to_vec());
        tx.execute(
            "INSERT INTO entries (id, member, seq, kind, time, target, line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![e.id.as_bytes(), e.member.as_bytes(), e.seq, e.kind(), e.time.as_str(), target, e.line],
        )
        .expect("entry");
        for m in e.data.matters() {
            tx.execute(
                "INSERT OR IGNORE INTO matters (matter, entry) VALUES (?1, ?2)",
                params![m.as_str(), e.id.as_bytes()],
            )
            .expect("matter");
        }
        if let Some(t) = e.data.own_target() {
            tx.execute("DELETE FROM live WHERE entry = ?1", [t.as_bytes()])
                .expect("live");
        }
        if let Some(d) = e.data.declaration() {
            tx.execute(
                "INSERT INTO live (entry, member, standing) VALUES (?1, ?2, ?3)",
                params![
                    e.id.as_bytes(),
                    e.member.as_bytes(),
                    d.scope == Scope::Standing
                ],
            )
            .expect("live");
        }
        let name = match &e.data {
            Data::Profile(p) => Some(p.name.clone()),
            _ => None,
        };
        tx.execute(
            "INSERT INTO members (member, key, head_seq, head_id, head_time, name) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (member) DO UPDATE SET key = excluded.key, head_seq = excluded.head_seq, head_id = excluded.head_id,
               head_time = excluded.head_time, name = coalesce(excluded.name, members.name)",
            params![e.member.as_bytes(), e.key.to_bytes(), e.seq, e.id.as_bytes(), e.time.as_str(), name],
        )
        .expect("member");
    }
    tx.commit().expect("commit");
}

#[test]
fn a_version_1_store_migrates_to_the_same_store() {
    let l = build_ledger(13, 0, 6, 800);
    let dir = tempfile::tempdir().expect("tempdir");
    let v1 = dir.path().join("v1.sqlite");
    write_v1_store(&v1, &l.lines);
    let migrated = Store::open(&v1).expect("migrate");
    let mut fresh = open(dir.path(), "fresh.sqlite", u64::MAX, u64::MAX);
    assert!(import(&mut fresh, &l.bytes()).merged);
    assert_eq!(migrated.dump().expect("dump"), fresh.dump().expect("dump"));
    assert!(migrated.check_integrity().expect("check").is_empty());
    // Appending to the migrated store works as on any other.
    let mut migrated = migrated;
    let key = l.key(0);
    migrated
        .append(
            &key,
            &l.members[0],
            Data::Reaffirm(coi_ledger::Reaffirm { note: None }),
        )
        .expect("append after migration");
}

/// A reader of `data` that stops before byte `pause_at`, says so on `started`, and goes on when
/// `go` says so.
struct Gate {
    data: std::io::Cursor<Vec<u8>>,
    pause_at: u64,
    started: Option<std::sync::mpsc::Sender<()>>,
    go: std::sync::mpsc::Receiver<()>,
}

impl std::io::Read for Gate {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let at = self.data.position();
        if at == self.pause_at {
            if let Some(started) = self.started.take() {
                let _ = started.send(());
                let _ = self.go.recv();
            }
        }
        let room = if at < self.pause_at {
            buf.len().min((self.pause_at - at) as usize)
        } else {
            buf.len()
        };
        std::io::Read::read(&mut self.data, &mut buf[..room])
    }
}

/// While an import runs with a rollback journal, another connection opening the store waits for
/// it, then sees all of it; the store is back in WAL mode after. (Opening converts the database to
/// WAL, which SQLite answers busy at once, without the busy handler: before `Store::open` retried
/// that, the opener failed "database is locked" here.)
#[test]
fn a_store_opened_during_a_rollback_journal_import_waits_for_it() {
    let l = build_ledger(24, 0, 3, 400);
    let bytes = l.bytes();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.sqlite");
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel();
    let importer = {
        let (path, len) = (path.clone(), bytes.len() as u64);
        let gate = Gate {
            pause_at: len / 2,
            data: std::io::Cursor::new(bytes),
            started: Some(started_tx),
            go: go_rx,
        };
        std::thread::spawn(move || {
            let mut store = Store::open(&path).expect("open");
            store.set_bulk_thresholds(100, 1);
            let r = store
                .import_sized(
                    std::io::BufReader::with_capacity(4096, gate),
                    Some(len),
                    "gated",
                    VerifyOptions::default(),
                    |_| {},
                )
                .expect("import");
            assert!(r.merged && r.added == 400, "{r:?}");
            store.dump().expect("dump")
        })
    };
    started_rx.recv().expect("the import started");
    let opener = {
        let path = path.clone();
        std::thread::spawn(move || {
            Store::open(&path)
                .and_then(|s| s.count())
                .map_err(|e| e.to_string())
        })
    };
    // Let the opener meet the import's lock before the import goes on.
    std::thread::sleep(std::time::Duration::from_millis(300));
    go_tx.send(()).expect("go");
    let dump = importer.join().expect("importer");
    assert_eq!(opener.join().expect("opener"), Ok(400));
    assert!(dump.contains("\"wal\""), "not back in WAL mode");
}
