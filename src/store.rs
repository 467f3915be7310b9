//! The SQLite store: the only module that touches the database.
//!
//! The store holds verified entries as their canonical lines plus derived indexes (chain heads,
//! matters, live declarations) and fork evidence. Appends and imports run in `BEGIN IMMEDIATE`
//! transactions so that concurrent processes serialise on the database lock instead of forking a
//! chain; the database runs in WAL mode with `synchronous=FULL` so an acknowledged append survives
//! power loss.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{
    params, CachedStatement, Connection, OptionalExtension, Transaction, TransactionBehavior,
};
use serde::Serialize;

use crate::chain::Report;
use crate::entry::{Data, Draft, Entry, EntryId, Scope, Timestamp};
use crate::error::{Error, Result};
use crate::hash::Hash32;
use crate::keys::{MemberId, PublicKey, SecretKey};
use crate::ledger::{verify_stream_known, VerifyOptions};

/// The newest store schema this build knows (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 2;
const MIGRATIONS: [&str; 2] = [
    include_str!("../schema/store-001.sql"),
    include_str!("../schema/store-002.sql"),
];
/// `coi conflicts --matter M [--member N]`: (target rowid, line) of the live declarations and
/// no-conflict statements naming matter `?1`, then the live standing declarations; `?2` is a member
/// number or NULL. Public so that the bench can check its plan.
pub const QUERY_CONFLICTS_MATTER: &str =
    "SELECT e.target, t.line FROM matters x JOIN entries e ON e.rowid = x.entry JOIN lines t ON t.rowid = e.rowid
     WHERE x.matter = ?1 AND (?2 IS NULL OR e.member = ?2)
       AND (e.kind = 'no-conflict' OR EXISTS (SELECT 1 FROM live v WHERE v.member = e.member AND v.entry = e.rowid))
     UNION ALL
     SELECT e.target, t.line FROM live l JOIN entries e ON e.rowid = l.entry JOIN lines t ON t.rowid = e.rowid
     WHERE l.standing = 1 AND (?2 IS NULL OR l.member = ?2)";
/// `coi conflicts --member N`: (target rowid, line) of member number `?1`'s live declarations.
pub const QUERY_CONFLICTS_MEMBER: &str =
    "SELECT e.target, t.line FROM live l JOIN entries e ON e.rowid = l.entry JOIN lines t ON t.rowid = e.rowid WHERE l.member = ?1";
/// `coi log --member N [-n K]`: (rowid, line) of member number `?1`'s last `?2` entries, newest
/// first.
pub const QUERY_LOG_MEMBER: &str =
    "SELECT e.rowid, t.line FROM entries e JOIN lines t ON t.rowid = e.rowid
     WHERE e.member = ?1 ORDER BY e.seq DESC LIMIT ?2";
/// The rowid of the entry whose id is `?2` (`?1`: its first 8 bytes).
const ENTRY_ROWID: &str = "SELECT rowid FROM entries WHERE idp = ?1 AND id = ?2";
/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// Puts the database in WAL mode (persistent: after the first time this only reads the mode).
///
/// Converting the journal needs exclusive access, and SQLite returns `SQLITE_BUSY` for it at once,
/// without the busy handler, when another connection holds a lock: several processes creating one
/// store at the same moment would fail "database is locked". So busy answers are retried, with
/// backoff, within the busy timeout. An in-memory database answers "memory" and is left so.
fn enter_wal(conn: &Connection, in_memory: bool) -> Result<()> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") || in_memory => return Ok(()),
            Ok(mode) => return Err(Error::StoreJournal { mode }),
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// An entry as held in the store, with its order of arrival.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// Order of arrival in this store (export order).
    pub rowid: i64,
    /// The entry.
    pub entry: Entry,
}

/// A member's chain head as held in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberHead {
    /// The member.
    pub member: MemberId,
    /// The current key.
    #[serde(serialize_with = "ser_key")]
    pub key: PublicKey,
    /// The head's seq (the chain length).
    pub seq: u64,
    /// The head's id.
    pub id: EntryId,
    /// The head's time.
    pub time: String,
    /// The latest profile's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn ser_key<S: serde::Serializer>(k: &PublicKey, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&k.to_hex())
}

/// Two validly signed entries for one (member, seq): evidence of a fork.
#[derive(Debug, Clone, Serialize)]
pub struct ForkRecord {
    /// The member.
    pub member: MemberId,
    /// The seq.
    pub seq: u64,
    /// The id of the entry the store held first.
    pub held_id: EntryId,
    /// Its line.
    pub held_line: String,
    /// The id of the conflicting entry.
    pub other_id: EntryId,
    /// Its line.
    pub other_line: String,
    /// Where the conflicting entry came from (e.g. the imported file).
    pub source: String,
    /// When the fork was detected.
    pub detected: String,
}

/// A member whose chain in an imported file ends before the store's.
#[derive(Debug, Clone, Serialize)]
pub struct Stale {
    /// The member.
    pub member: MemberId,
    /// The file's last seq for the member.
    pub file_seq: u64,
    /// The store's.
    pub store_seq: u64,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The file's verification report.
    pub verification: Report,
    /// Whether the file's entries were merged (false if it was invalid, forked the store, or refused).
    pub merged: bool,
    /// New entries written.
    pub added: u64,
    /// Entries the store already held.
    pub held: u64,
    /// Forks against the store found in the file (kept as evidence).
    pub forks: Vec<ForkRecord>,
    /// Members whose chain in the file is behind the store's.
    pub stale: Vec<Stale>,
    /// Why the file was refused, if it was refused for a reason other than its problems or forks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// A live declaration: the current version after amendments, withdrawals and retractions.
#[derive(Debug, Clone)]
pub struct Current {
    /// The entry holding the current version.
    pub entry: Entry,
    /// Earlier versions it replaced, newest first.
    pub replaces: Vec<EntryId>,
}

/// The store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// An import switches to bulk mode after this many new entries at the least (see `Bulk`).
    bulk_min: u64,
    /// The least file size for an import without the write-ahead log ([`Store::import_sized`]).
    bulk_journal_bytes: u64,
}

/// The least number of new entries after which an import defers index upkeep (see `Bulk`).
pub const BULK_MIN: u64 = 10_000;
/// The least size of a file whose import may skip the write-ahead log ([`Store::import_sized`]).
pub const BULK_JOURNAL_BYTES: u64 = 8 << 20;
/// A ledger line's typical size in bytes, to estimate a file's number of entries from its length.
const LINE_BYTES: u64 = 600;

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)?;
        Self::setup(conn, path.to_path_buf())
    }

    /// A store in memory (tests).
    pub fn open_in_memory() -> Result<Store> {
        Self::setup(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn setup(conn: Connection, path: PathBuf) -> Result<Store> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // A new database gets 4 KiB pages: an append dirties about ten pages (each table and
        // index it touches), all written to the WAL at commit, so smaller pages make appends
        // cheaper (1.36x a bare INSERT against 1.64x with 8 KiB pages), and since bulk imports
        // rebuild their indexes, imports are no slower. page_size takes effect only before the
        // first table and before WAL mode; older stores keep theirs.
        conn.pragma_update(None, "page_size", 4096)?;
        // WAL + FULL: with NORMAL a committed transaction may roll back after power loss.
        enter_wal(&conn, path.as_os_str() == ":memory:")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Up to 64 MiB of page cache (allocated only as used): large imports touch every index.
        conn.pragma_update(None, "cache_size", -65536)?;
        let mut store = Store {
            conn,
            path,
            bulk_min: BULK_MIN,
            bulk_journal_bytes: BULK_JOURNAL_BYTES,
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(Error::StoreTooNew {
                path: self.path.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Sets the number of new entries after which an import defers index upkeep, and the least
    /// file size for an import without the write-ahead log (tests use small numbers to run every
    /// path). What is stored does not depend on them.
    #[doc(hidden)]
    pub fn set_bulk_thresholds(&mut self, entries: u64, bytes: u64) {
        self.bulk_min = entries.max(1);
        self.bulk_journal_bytes = bytes;
    }

    /// Every row of every table, with members and entries named by id rather than by store-local
    /// number, plus the schema and the journal mode: two stores holding the same facts give the
    /// same text (tests).
    #[doc(hidden)]
    pub fn dump(&self) -> Result<String> {
        const QUERIES: [&str; 9] = [
            "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name",
            "PRAGMA journal_mode",
            "SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM entries), (SELECT count(*) FROM lines),
                    (SELECT count(*) FROM matters), (SELECT count(*) FROM live), (SELECT count(*) FROM forks)",
            "SELECT member, key, head_seq, head_id, head_time, name FROM members ORDER BY member",
            "SELECT e.rowid, e.id, m.member, e.seq, e.kind, e.time, t.id, l.line FROM entries e
             JOIN members m ON m.no = e.member LEFT JOIN entries t ON t.rowid = e.target
             JOIN lines l ON l.rowid = e.rowid ORDER BY e.rowid",
            "SELECT x.matter, e.id FROM matters x JOIN entries e ON e.rowid = x.entry ORDER BY 1, 2",
            "SELECT e.id, m.member, l.standing FROM live l JOIN entries e ON e.rowid = l.entry
             JOIN members m ON m.no = l.member ORDER BY 1",
            "SELECT * FROM forks ORDER BY member, seq, other_id",
            "SELECT value FROM meta WHERE key = 'identity'",
        ];
        let mut out = String::new();
        for sql in QUERIES {
            let mut st = self.conn.prepare(sql)?;
            let n = st.column_count();
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    out.push_str(&format!("{v:?}\t"));
                }
                out.push('\n');
            }
            out.push_str("--\n");
        }
        Ok(out)
    }

    /// The path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The home's own member id, if set.
    pub fn identity(&self) -> Result<Option<MemberId>> {
        let v: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'identity'", [], |r| {
                r.get(0)
            })
            .optional()?;
        v.map(|s| {
            Hash32::from_hex(&s).ok_or_else(|| Error::Corrupt("identity is not a member id".into()))
        })
        .transpose()
    }

    /// Records the home's own member id.
    pub fn set_identity(&mut self, member: &MemberId) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('identity', ?1)",
            [member.to_hex()],
        )?;
        Ok(())
    }

    /// Appends an entry to `member`'s chain, signed with `key`, at the current time.
    ///
    /// Reads the head and writes in one immediate transaction, so concurrent appends serialise.
    pub fn append(&mut self, key: &SecretKey, member: &MemberId, data: Data) -> Result<Entry> {
        self.append_with(key, member, move |_| data, Timestamp::now)
    }

    /// [`Store::append`] at a given time (tests, generators).
    pub fn append_at(
        &mut self,
        key: &SecretKey,
        member: &MemberId,
        data: Data,
        now: Timestamp,
    ) -> Result<Entry> {
        self.append_with(key, member, move |_| data, move || now)
    }

    /// Appends a `key-rotation` entry moving `member`'s chain from `old` to `new` (spec §6.9).
    /// The proof binds the new key to the entry's seq, which is known only under the write lock.
    pub fn rotate_key(
        &mut self,
        old: &SecretKey,
        member: &MemberId,
        new: &SecretKey,
    ) -> Result<Entry> {
        let (old_pub, new_pub) = (old.public(), new.public());
        let m = *member;
        self.append_with(
            old,
            member,
            move |seq| {
                let proof = new.sign(&crate::keys::key_accept_message(
                    &m, &old_pub, &new_pub, seq,
                ));
                Data::KeyRotation(crate::entry::KeyRotation {
                    new_key: new_pub.to_hex(),
                    proof: proof.to_base64(),
                })
            },
            Timestamp::now,
        )
    }

    fn append_with(
        &mut self,
        key: &SecretKey,
        member: &MemberId,
        data: impl FnOnce(u64) -> Data,
        now: impl FnOnce() -> Timestamp,
    ) -> Result<Entry> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Read the clock only once the write lock is held: read before, a writer that waited for
        // another process's append would find its time behind the head just written (ClockBehind).
        let now = now();
        let head = head_of(&tx, member)?;
        let (seq, prev) = match &head {
            None => {
                if key.public().member_id() != *member {
                    return Err(Error::Invalid(
                        "this key did not found the member's chain, and the store holds none of it"
                            .into(),
                    ));
                }
                (1, Hash32::ZERO)
            }
            Some(h) => {
                if h.key != key.public() {
                    return Err(Error::Invalid(format!(
                        "your key is not the current key of member {} in the store (was the key rotated elsewhere?)",
                        member.fingerprint()
                    )));
                }
                if now.as_str() < h.time.as_str() {
                    return Err(Error::ClockBehind {
                        now: now.as_str().into(),
                        last: h.time.clone(),
                    });
                }
                (h.seq + 1, h.id)
            }
        };
        let data = data(seq);
        if let Some(target) = data.own_target() {
            let live: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM live l JOIN entries e ON e.rowid = l.entry JOIN members m ON m.no = l.member
                 WHERE e.idp = ?1 AND e.id = ?2 AND m.member = ?3)",
                params![&target.as_bytes()[..8], target.as_bytes(), member.as_bytes()],
                |r| r.get(0),
            )?;
            if !live {
                return Err(Error::Invalid(format!(
                    "{} is not one of your live declarations (it may have been amended, withdrawn or retracted already; see `coi conflicts`)",
                    target.fingerprint()
                )));
            }
        }
        let entry = Draft {
            member: *member,
            seq,
            prev,
            time: now,
            data,
        }
        .sign(key)?;
        // Never store what a verifier would refuse (e.g. a rotation proof for the wrong seq).
        entry.verify_signatures()?;
        insert_entry(&tx, &entry)?;
        tx.commit()?;
        Ok(entry)
    }

    /// Verifies a ledger stream and merges it into the store, all or nothing.
    ///
    /// Nothing is merged if the file is invalid, has unknown kinds, or forks a chain the store
    /// holds; forks are kept as evidence in any case. `source` names the file in fork records.
    pub fn import<R: BufRead>(
        &mut self,
        reader: R,
        source: &str,
        options: VerifyOptions,
        progress: impl FnMut(u64),
    ) -> Result<ImportReport> {
        self.import_sized(reader, None, source, options, progress)
    }

    /// [`Store::import`] of a stream of about `size` bytes (a file's length), which lets a large
    /// import into a smaller store skip the write-ahead log.
    ///
    /// In WAL mode every page of a large import is written twice: to the log during the import and
    /// again into the database by the checkpoint at commit. When the import is expected to at least
    /// double the store, and no other connection has the database open, the import runs with a
    /// rollback journal instead (new pages are written once, and still all or nothing: a crash
    /// leaves a journal that rolls the import back on the next open), and the store returns to WAL
    /// mode afterwards. Meanwhile, other processes wait for the import as they would for any writer.
    pub fn import_sized<R: BufRead>(
        &mut self,
        reader: R,
        size: Option<u64>,
        source: &str,
        options: VerifyOptions,
        progress: impl FnMut(u64),
    ) -> Result<ImportReport> {
        let rollback = match size {
            Some(bytes) if bytes >= self.bulk_journal_bytes => {
                let rows: u64 = self.conn.query_row(
                    "SELECT coalesce(max(rowid), 0) FROM entries",
                    [],
                    |r| r.get(0),
                )?;
                bytes.div_ceil(LINE_BYTES) >= rows && self.leave_wal()?
            }
            _ => false,
        };
        let result = self.import_inner(reader, source, options, progress);
        if rollback {
            // If another process has opened the database meanwhile, this retries until the busy
            // timeout, as any open does. Should it still fail, the outcome is still the import's:
            // it committed (or rolled back) under a rollback journal with synchronous=FULL, which
            // is as durable, and the next open returns the store to WAL mode.
            let _ = enter_wal(&self.conn, false);
        }
        result
    }

    /// Leaves WAL mode for a rollback journal if no other connection has the database open,
    /// without waiting for one. Returns whether it did.
    fn leave_wal(&mut self) -> Result<bool> {
        self.conn.busy_timeout(Duration::ZERO)?;
        let mode = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0));
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(mode.is_ok_and(|m| m.eq_ignore_ascii_case("delete")))
    }

    fn import_inner<R: BufRead>(
        &mut self,
        reader: R,
        source: &str,
        options: VerifyOptions,
        progress: impl FnMut(u64),
    ) -> Result<ImportReport> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The store's members (number, head seq) before the import, to tell held, new, stale and
        // forked entries apart.
        let initial: HashMap<MemberId, (i64, u64)> = {
            let mut st = tx.prepare("SELECT no, member, head_seq FROM members")?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, u64>(2)?,
                ))
            })?;
            let mut m = HashMap::new();
            for row in rows {
                let (no, member, seq) = row?;
                m.insert(hash(&member)?, (no, seq));
            }
            m
        };
        let mut heads = initial.clone();
        let first_new_row: i64 =
            tx.query_row("SELECT coalesce(max(rowid), 0) + 1 FROM entries", [], |r| {
                r.get(0)
            })?;
        // Once the import has added as many entries as the store held (and at least BULK_MIN),
        // index upkeep moves to the end (see `Bulk`).
        let bulk_after = (first_new_row as u64).max(self.bulk_min);
        let bulk: RefCell<Option<Bulk>> = RefCell::new(None);
        let mut pending: HashMap<MemberId, PendingHead> = HashMap::new();
        let mut diverged: HashMap<MemberId, u64> = HashMap::new();
        let mut forks = Vec::new();
        let mut added = 0u64;
        let mut held = 0u64;
        let detected = Timestamp::now();
        let verification = {
            let mut rows = Rows::new(&tx)?;
            // The held entry at (member number, seq), which the store held before the import.
            let held_row = |no: i64, seq: u64| -> Result<(Vec<u8>, String)> {
                let by_row = bulk
                    .borrow()
                    .as_ref()
                    .map(|b| b.rows.get(&(no, seq)).copied());
                if let Some(Some(rowid)) = by_row {
                    let mut st =
                        tx.prepare_cached("SELECT e.id, t.line FROM entries e JOIN lines t ON t.rowid = e.rowid WHERE e.rowid = ?1")?;
                    return Ok(st.query_row([rowid], |r| Ok((r.get(0)?, r.get(1)?)))?);
                }
                // Without the bulk map, through the (member, seq) index; with it, a scan for an
                // entry the map lacks (not held before the import, which the chain walk prevents).
                let mut st = tx
                    .prepare_cached("SELECT e.id, t.line FROM entries e JOIN lines t ON t.rowid = e.rowid WHERE e.member = ?1 AND e.seq = ?2")?;
                Ok(st.query_row(params![no, seq], |r| Ok((r.get(0)?, r.get(1)?)))?)
            };
            // A line byte-identical to one the store holds was verified when it was stored: its
            // signatures need no second check. The member and seq read here are only a hint; the
            // byte comparison decides.
            let known = |line: &[u8]| -> bool {
                if initial.is_empty() {
                    return false;
                }
                let Some((member, seq)) = tail_hint(line) else {
                    return false;
                };
                let Some(&(no, head)) = initial.get(&member) else {
                    return false;
                };
                if seq > head {
                    return false;
                }
                // tail_hint succeeded, so the line is UTF-8; compare as TEXT (a BLOB never equals TEXT).
                held_row(no, seq).is_ok_and(|(_, held)| held.as_bytes() == line)
            };
            verify_stream_known(
                reader,
                options,
                known,
                |e: &Entry| -> Result<()> {
                    if diverged.contains_key(&e.member) {
                        return Ok(());
                    }
                    let (no, store_head) = match heads.get(&e.member) {
                        Some(&h) => h,
                        // First entry of a member the store does not know: numbering it writes
                        // its head now; the final head is written after the file.
                        None => (write_head(&tx, &e.member, &head_after(e)?, None)?, 0),
                    };
                    if e.seq <= store_head {
                        let (id, line) = held_row(no, e.seq)?;
                        if id.as_slice() == e.id.as_bytes() {
                            held += 1;
                        } else {
                            forks.push(ForkRecord {
                                member: e.member,
                                seq: e.seq,
                                held_id: hash(&id)?,
                                held_line: line,
                                other_id: e.id,
                                other_line: e.line.clone(),
                                source: source.to_string(),
                                detected: detected.as_str().to_string(),
                            });
                            diverged.insert(e.member, e.seq);
                        }
                    } else {
                        if added == bulk_after {
                            *bulk.borrow_mut() = Some(Bulk::begin(&tx, first_new_row)?);
                        }
                        rows.insert(e, no, bulk.borrow_mut().as_mut())?;
                        heads.insert(e.member, (no, e.seq));
                        let p = pending.entry(e.member).or_default();
                        p.update(e)?;
                        added += 1;
                    }
                    Ok(())
                },
                progress,
            )?
        };
        // Chain heads are written once per member, not once per entry.
        for (member, p) in &pending {
            if let Some(h) = &p.head {
                write_head(&tx, member, h, p.name.as_deref())?;
            }
        }
        let unknown = verification
            .notices
            .iter()
            .any(|n| n.class == "unknown-kind");
        let refused = unknown.then(|| {
            "the file has entries of kinds this coi does not know; upgrade coi to import it"
                .to_string()
        });
        let mut stale = Vec::new();
        if verification.valid {
            for m in &verification.members {
                let before = initial.get(&m.member).map_or(0, |h| h.1);
                if m.head_seq < before && !diverged.contains_key(&m.member) {
                    stale.push(Stale {
                        member: m.member,
                        file_seq: m.head_seq,
                        store_seq: before,
                    });
                }
            }
        }
        let merged = verification.valid && forks.is_empty() && refused.is_none();
        if merged {
            if let Some(b) = bulk.into_inner() {
                b.finish(&tx)?;
            }
            tx.commit()?;
        } else {
            tx.rollback()?;
            added = 0;
            if !forks.is_empty() {
                self.record_forks(&forks)?;
            }
        }
        Ok(ImportReport {
            verification,
            merged,
            added,
            held,
            forks,
            stale,
            refused,
        })
    }

    fn record_forks(&mut self, forks: &[ForkRecord]) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for f in forks {
            tx.execute(
                "INSERT OR IGNORE INTO forks (member, seq, held_id, held_line, other_id, other_line, source, detected) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![f.member.as_bytes(), f.seq, f.held_id.as_bytes(), f.held_line, f.other_id.as_bytes(), f.other_line, f.source, f.detected],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Forks recorded, ordered by member and seq.
    pub fn forks(&self) -> Result<Vec<ForkRecord>> {
        let mut st = self.conn.prepare("SELECT member, seq, held_id, held_line, other_id, other_line, source, detected FROM forks ORDER BY member, seq, other_id")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, u64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Vec<u8>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (member, seq, held_id, held_line, other_id, other_line, source, detected) = row?;
            out.push(ForkRecord {
                member: hash(&member)?,
                seq,
                held_id: hash(&held_id)?,
                held_line,
                other_id: hash(&other_id)?,
                other_line,
                source,
                detected,
            });
        }
        Ok(out)
    }

    /// A fork proof anyone can check with `coi verify`: the member's chain before the fork, then
    /// both conflicting entries. Verifying it reports the fork.
    pub fn fork_proof(&self, fork: &ForkRecord, out: &mut dyn Write) -> Result<()> {
        let mut st = self
            .conn
            .prepare("SELECT t.line FROM entries e JOIN lines t ON t.rowid = e.rowid WHERE e.member = (SELECT no FROM members WHERE member = ?1) AND e.seq < ?2 ORDER BY e.seq")?;
        let mut rows = st.query(params![fork.member.as_bytes(), fork.seq])?;
        let io = |e| Error::io("fork proof", e);
        while let Some(r) = rows.next()? {
            let line: String = r.get(0)?;
            writeln!(out, "{line}").map_err(io)?;
        }
        writeln!(out, "{}", fork.held_line).map_err(io)?;
        writeln!(out, "{}", fork.other_line).map_err(io)?;
        Ok(())
    }

    /// The chain head of `member`, if the store holds any of its chain.
    pub fn head(&self, member: &MemberId) -> Result<Option<MemberHead>> {
        head_of(&self.conn, member)
    }

    /// All members, ordered by id.
    pub fn members(&self) -> Result<Vec<MemberHead>> {
        let mut st = self.conn.prepare(
            "SELECT member, key, head_seq, head_id, head_time, name FROM members ORDER BY member",
        )?;
        let rows = st.query_map([], head_row)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r??);
        }
        Ok(out)
    }

    /// Display names from the members' latest profiles (no key checks: for listings).
    pub fn names(&self) -> Result<HashMap<MemberId, String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT member, name FROM members WHERE name IS NOT NULL")?;
        let rows = st.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (m, n) = row?;
            out.insert(hash(&m)?, n);
        }
        Ok(out)
    }

    /// Member ids starting with the hex `prefix` (at most `limit`).
    pub fn members_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<MemberId>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT member FROM members WHERE hex(member) LIKE ?1 LIMIT ?2")?;
        let pattern = format!("{}%", prefix.to_ascii_uppercase());
        let rows = st.query_map(params![pattern, limit as i64], |r| r.get::<_, Vec<u8>>(0))?;
        rows.map(|r| hash(&r?)).collect()
    }

    /// Finds an entry by full id or by a unique hex prefix of at least 8 characters.
    pub fn find(&self, id_or_prefix: &str) -> Result<StoredEntry> {
        let p = id_or_prefix.trim();
        if p.len() < 8
            || p.len() > 64
            || !p
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        {
            return Err(Error::Invalid(format!(
                "{} is not an entry id: give at least 8 lowercase hex characters of it",
                crate::display::quote(p)
            )));
        }
        let mut lo = hex::decode(if p.len() % 2 == 1 {
            format!("{p}0")
        } else {
            p.to_string()
        })
        .map_err(|_| Error::Invalid("bad hex".into()))?;
        let mut hi = lo.clone();
        if p.len() % 2 == 1 {
            let last = hi.len() - 1;
            hi[last] |= 0x0f;
        }
        lo.resize(32, 0);
        hi.resize(32, 0xff);
        let mut st = self.conn.prepare_cached(
            "SELECT e.rowid, t.line FROM entries e JOIN lines t ON t.rowid = e.rowid WHERE e.idp >= ?1 AND e.idp <= ?2 AND e.id >= ?3 AND e.id <= ?4 LIMIT 2",
        )?;
        let rows: Vec<(i64, String)> = st
            .query_map(params![&lo[..8], &hi[..8], lo, hi], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        match rows.len() {
            0 => Err(Error::NotFound(crate::display::escape(p))),
            1 => {
                let (rowid, line) = rows
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::NotFound(p.into()))?;
                Ok(StoredEntry {
                    rowid,
                    entry: parse_stored(&line)?,
                })
            }
            _ => Err(Error::Invalid(format!(
                "{p} matches more than one entry; give more characters"
            ))),
        }
    }

    /// Entries in order of arrival, optionally of one member only, optionally only the last `limit`.
    pub fn log(&self, member: Option<&MemberId>, limit: Option<u64>) -> Result<Vec<StoredEntry>> {
        let limit = limit.map(|l| l as i64).unwrap_or(-1);
        let rows: Vec<(i64, String)> = match member {
            Some(m) => {
                let Some(no) = member_no(&self.conn, m)? else {
                    return Ok(Vec::new());
                };
                let mut st = self.conn.prepare_cached(QUERY_LOG_MEMBER)?;
                let mut r: Vec<(i64, String)> = st
                    .query_map(params![no, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                r.reverse();
                r
            }
            None => {
                let mut st = self.conn.prepare_cached("SELECT rowid, line FROM (SELECT rowid, line FROM lines ORDER BY rowid DESC LIMIT ?1) ORDER BY rowid")?;
                let r = st
                    .query_map(params![limit], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                r
            }
        };
        rows.into_iter()
            .map(|(rowid, line)| {
                Ok(StoredEntry {
                    rowid,
                    entry: parse_stored(&line)?,
                })
            })
            .collect()
    }

    /// Live declarations, optionally of one member and/or naming one matter (standing declarations
    /// apply to every matter and are included when a matter is given), with no-conflict statements
    /// on that matter. Ordered by member, then seq.
    pub fn conflicts(
        &self,
        member: Option<&MemberId>,
        matter: Option<&crate::entry::Matter>,
    ) -> Result<Vec<Current>> {
        let no = match member {
            Some(m) => match member_no(&self.conn, m)? {
                Some(no) => Some(no),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        // (the entry's target rowid, its line)
        let rows: Vec<(Option<i64>, String)> = match (no, matter) {
            (_, Some(m)) => self
                .conn
                .prepare_cached(QUERY_CONFLICTS_MATTER)?
                .query_map(params![m.as_str(), no], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?,
            (Some(no), None) => self
                .conn
                .prepare_cached(QUERY_CONFLICTS_MEMBER)?
                .query_map([no], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?,
            (None, None) => self
                .conn
                .prepare_cached(
                    "SELECT e.target, t.line FROM live l JOIN entries e ON e.rowid = l.entry JOIN lines t ON t.rowid = e.rowid",
                )?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?,
        };
        let mut out = Vec::with_capacity(rows.len());
        let mut prior = self
            .conn
            .prepare_cached("SELECT id, target FROM entries WHERE rowid = ?1")?;
        for (target, line) in rows {
            let entry = parse_stored(&line)?;
            let mut replaces = Vec::new();
            let mut cursor = target;
            // Follow the amendment chain back to the original declaration.
            while let Some(t) = cursor {
                let (id, next): (Vec<u8>, Option<i64>) =
                    prior.query_row([t], |r| Ok((r.get(0)?, r.get(1)?)))?;
                replaces.push(hash(&id)?);
                cursor = next;
                if replaces.len() > 100_000 {
                    return Err(Error::Corrupt("amendment chain does not end".into()));
                }
            }
            out.push(Current { entry, replaces });
        }
        out.sort_by_key(|c| (c.entry.member, c.entry.seq));
        Ok(out)
    }

    /// Writes the chains of `members` (all members if `None`) in order of arrival, one line each.
    /// Returns the number of lines written.
    pub fn export(&self, members: Option<&[MemberId]>, out: &mut dyn Write) -> Result<u64> {
        let wanted: Option<std::collections::HashSet<i64>> = match members {
            Some(ms) => {
                let mut set = std::collections::HashSet::new();
                for m in ms {
                    set.extend(member_no(&self.conn, m)?);
                }
                Some(set)
            }
            None => None,
        };
        let mut st = self
            .conn
            .prepare("SELECT e.member, t.line FROM entries e JOIN lines t ON t.rowid = e.rowid ORDER BY e.rowid")?;
        let mut rows = st.query([])?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            if let Some(w) = &wanted {
                if !w.contains(&r.get::<_, i64>(0)?) {
                    continue;
                }
            }
            let line: String = r.get(1)?;
            out.write_all(line.as_bytes())
                .and_then(|_| out.write_all(b"\n"))
                .map_err(|e| Error::io("export", e))?;
            n += 1;
        }
        Ok(n)
    }

    /// Number of entries held.
    pub fn count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM entries", [], |r| r.get(0))?)
    }

    /// Checks the store's invariants: SQLite integrity, every chain contiguous from seq 1 and
    /// linked, heads consistent, every line verifying. Returns the problems found (empty if sound).
    pub fn check_integrity(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let ic: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if ic != "ok" {
            problems.push(format!("integrity_check: {ic}"));
        }
        let mut st = self
            .conn
            .prepare("SELECT t.line FROM entries e JOIN lines t ON t.rowid = e.rowid ORDER BY e.member, e.seq")?;
        let mut rows = st.query([])?;
        let mut buf = Vec::new();
        while let Some(r) = rows.next()? {
            let line: String = r.get(0)?;
            buf.extend_from_slice(line.as_bytes());
            buf.push(b'\n');
        }
        let report = crate::ledger::verify_bytes(&buf);
        for p in &report.problems {
            problems.push(format!("{}: {}", p.class, p.message));
        }
        for m in &report.members {
            match self.head(&m.member)? {
                Some(h) if h.seq == m.head_seq && Some(h.id) == m.head_id => {}
                other => problems.push(format!(
                    "member {}: head in members table {:?} does not match chain head seq {}",
                    m.member.fingerprint(),
                    other.map(|h| h.seq),
                    m.head_seq
                )),
            }
        }
        Ok(problems)
    }

    // TEMPORARY: replaced by the store helper's version at merge
    /// Resolves a member argument: the 64-character id, its fingerprint, or a unique prefix of at
    /// least 8 hex characters.
    pub fn resolve_member(&self, s: &str) -> Result<MemberId> {
        use crate::display::{escape, quote};
        let p: String = s.trim().chars().filter(|c| *c != '-').collect();
        if p.len() < 8
            || !p
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        {
            return Err(Error::Invalid(format!("{} is not a member id: give the 64-character id, its fingerprint, or at least 8 hex characters of it", quote(s))));
        }
        if let Some(m) = Hash32::from_hex(&p) {
            return Ok(m);
        }
        let hits = self.members_with_prefix(&p, 2)?;
        match hits.as_slice() {
            [one] => Ok(*one),
            [] => Err(Error::NotFound(format!("member {}", escape(s)))),
            _ => Err(Error::Invalid(format!(
                "{} matches several members; give more characters",
                escape(s)
            ))),
        }
    }
}

fn hash(b: &[u8]) -> Result<Hash32> {
    let a: [u8; 32] = b
        .try_into()
        .map_err(|_| Error::Corrupt("a stored id is not 32 bytes".into()))?;
    Ok(Hash32::from_bytes(a))
}

fn parse_stored(line: &str) -> Result<Entry> {
    Entry::parse(line).map_err(|e| Error::Corrupt(format!("a stored entry no longer parses: {e}")))
}

fn head_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<MemberHead>> {
    let member: Vec<u8> = r.get(0)?;
    let key: Vec<u8> = r.get(1)?;
    let seq: u64 = r.get(2)?;
    let id: Vec<u8> = r.get(3)?;
    let time: String = r.get(4)?;
    let name: Option<String> = r.get(5)?;
    Ok((|| {
        let key: [u8; 32] = key
            .as_slice()
            .try_into()
            .map_err(|_| Error::Corrupt("stored key is not 32 bytes".into()))?;
        let key =
            PublicKey::from_bytes(&key).map_err(|e| Error::Corrupt(format!("stored key: {e}")))?;
        Ok(MemberHead {
            member: hash(&member)?,
            key,
            seq,
            id: hash(&id)?,
            time,
            name,
        })
    })())
}

fn head_of(conn: &Connection, member: &MemberId) -> Result<Option<MemberHead>> {
    let mut st = conn.prepare_cached(
        "SELECT member, key, head_seq, head_id, head_time, name FROM members WHERE member = ?1",
    )?;
    st.query_row([member.as_bytes()], head_row)
        .optional()?
        .transpose()
}

/// The head an import will write for a member once all its entries are in.
#[derive(Default)]
struct PendingHead {
    head: Option<(PublicKey, u64, EntryId, String)>,
    name: Option<String>,
}

impl PendingHead {
    fn update(&mut self, e: &Entry) -> Result<()> {
        self.head = Some(head_after(e)?);
        if let Data::Profile(p) = &e.data {
            self.name = Some(p.name.clone());
        }
        Ok(())
    }
}

/// The member's head after entry `e`: current key, seq, id, time.
fn head_after(e: &Entry) -> Result<(PublicKey, u64, EntryId, String)> {
    let key = match &e.data {
        Data::KeyRotation(k) => PublicKey::from_hex(&k.new_key)?,
        _ => e.key,
    };
    Ok((key, e.seq, e.id, e.time.as_str().to_string()))
}

/// Reads the envelope's member and seq from the end of a line without parsing it: in a canonical
/// line they stand at fixed places before the end (`..."member":"M","prev":"P","seq":N,"time":"T",
/// "v":1},"sig":"S"}` with fixed-length M, P, T and S). Only a hint: callers must not trust it.
fn tail_hint(line: &[u8]) -> Option<(MemberId, u64)> {
    // `,"time":"` + 20 + `","v":1},"sig":"` + 88 + `"}`: what follows the seq's digits.
    const AFTER_SEQ: usize = 9 + 20 + 16 + crate::keys::SIGNATURE_B64_LEN + 2;
    let seq_end = line.len().checked_sub(AFTER_SEQ)?;
    if !line[seq_end..].starts_with(b",\"time\":\"") {
        return None;
    }
    let digits = line[..seq_end]
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 || digits > 16 {
        return None;
    }
    let seq_start = seq_end - digits;
    let seq = std::str::from_utf8(&line[seq_start..seq_end])
        .ok()?
        .parse()
        .ok()?;
    let before = line[..seq_start].strip_suffix(b"\",\"seq\":")?;
    let before = before.get(..before.len().checked_sub(64)?)?;
    let before = before.strip_suffix(b"\",\"prev\":\"")?;
    let m = before.len().checked_sub(64)?;
    before[..m].ends_with(b"\"member\":\"").then_some(())?;
    let member = Hash32::from_hex(std::str::from_utf8(&before[m..]).ok()?)?;
    Some((member, seq))
}

/// Writes (inserting or updating) a member's head and returns the member's number.
fn write_head(
    conn: &Connection,
    member: &MemberId,
    (key, seq, id, time): &(PublicKey, u64, EntryId, String),
    name: Option<&str>,
) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO members (member, key, head_seq, head_id, head_time, name) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (member) DO UPDATE SET key = excluded.key, head_seq = excluded.head_seq, head_id = excluded.head_id,
               head_time = excluded.head_time, name = coalesce(excluded.name, members.name)
             RETURNING no",
        )?
        .query_row(
            params![member.as_bytes(), key.to_bytes(), seq, id.as_bytes(), time, name],
            |r| r.get(0),
        )?)
}

/// The member's number in this store, if it holds any of the member's chain.
fn member_no(conn: &Connection, member: &MemberId) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT no FROM members WHERE member = ?1")?
        .query_row([member.as_bytes()], |r| r.get(0))
        .optional()?)
}

/// Writes a verified entry and updates the derived tables. The caller holds the transaction and
/// has checked that the entry extends the member's chain.
fn insert_entry(tx: &Transaction<'_>, e: &Entry) -> Result<()> {
    let name = match &e.data {
        Data::Profile(p) => Some(p.name.as_str()),
        _ => None,
    };
    let no = write_head(tx, &e.member, &head_after(e)?, name)?;
    Rows::new(tx)?.insert(e, no, None)
}

/// The statements that write an entry's own rows (entries, lines, matters, live), prepared once
/// for a whole import.
struct Rows<'c> {
    entry: CachedStatement<'c>,
    line: CachedStatement<'c>,
    matter: CachedStatement<'c>,
    unlive: CachedStatement<'c>,
    live: CachedStatement<'c>,
    rowid_of: CachedStatement<'c>,
}

impl<'c> Rows<'c> {
    fn new(conn: &'c Connection) -> Result<Rows<'c>> {
        Ok(Rows {
            entry: conn.prepare_cached(
                "INSERT INTO entries (id, member, seq, kind, time, target) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            line: conn.prepare_cached("INSERT INTO lines (rowid, line) VALUES (?1, ?2)")?,
            matter: conn.prepare_cached("INSERT INTO matters (matter, entry) VALUES (?1, ?2)")?,
            unlive: conn.prepare_cached("DELETE FROM live WHERE member = ?1 AND entry = ?2")?,
            live: conn
                .prepare_cached("INSERT INTO live (member, entry, standing) VALUES (?1, ?2, ?3)")?,
            rowid_of: conn.prepare_cached(ENTRY_ROWID)?,
        })
    }

    /// Writes the entry's own rows, not the member's head. `no` is the member's number.
    fn insert(&mut self, e: &Entry, no: i64, mut bulk: Option<&mut Bulk>) -> Result<()> {
        // The chain rules make a target a live declaration earlier in the member's chain, so it
        // is held.
        let target = match e.data.own_target() {
            None => None,
            Some(t) => {
                let rowid = match bulk.as_mut() {
                    Some(b) => b.live.remove(t),
                    None => self
                        .rowid_of
                        .query_row(params![&t.as_bytes()[..8], t.as_bytes()], |r| r.get(0))
                        .optional()?,
                };
                Some(rowid.ok_or_else(|| {
                    Error::Corrupt(format!(
                        "target {} of a verified entry is not held",
                        t.fingerprint()
                    ))
                })?)
            }
        };
        let rowid = self.entry.insert(params![
            e.id.as_bytes(),
            no,
            e.seq,
            e.kind(),
            e.time.as_str(),
            target
        ])?;
        self.line.execute(params![rowid, e.line])?;
        let mut matters = e.data.matters();
        matters.sort_unstable_by_key(|m| m.as_str());
        matters.dedup_by_key(|m| m.as_str());
        for m in matters {
            self.matter.execute(params![m.as_str(), rowid])?;
        }
        if let Some(t) = target {
            self.unlive.execute([no, t])?;
        }
        if let Some(d) = e.data.declaration() {
            self.live
                .execute(params![no, rowid, d.scope == Scope::Standing])?;
            if let Some(b) = bulk {
                b.live.insert(e.id, rowid);
            }
        }
        Ok(())
    }
}

/// Bulk mode of a large import: the secondary indexes of entries, matters and live are dropped, rows
/// are appended without index upkeep, and the indexes are rebuilt (sorted, in one pass each) before
/// the commit. All in the import's transaction: a failed import rolls the drop back too. Lookups the
/// import still needs go through the maps below instead of the dropped indexes.
struct Bulk {
    /// The dropped indexes' `CREATE INDEX` statements, as the schema holds them.
    indexes: Vec<String>,
    /// (member number, seq) to rowid of each entry held before the import.
    rows: HashMap<(i64, u64), i64>,
    /// Live declarations' rowids by id: an amendment's, withdrawal's or retraction's target is one.
    live: HashMap<EntryId, i64>,
}

impl Bulk {
    /// Enters bulk mode. `first_new_row` is the first rowid the import wrote.
    fn begin(tx: &Transaction<'_>, first_new_row: i64) -> Result<Bulk> {
        let mut rows = HashMap::new();
        {
            let mut st = tx.prepare("SELECT member, seq, rowid FROM entries WHERE rowid < ?1")?;
            let mut q = st.query([first_new_row])?;
            while let Some(r) = q.next()? {
                rows.insert((r.get(0)?, r.get(1)?), r.get(2)?);
            }
        }
        let mut live = HashMap::new();
        {
            let mut st =
                tx.prepare("SELECT e.id, l.entry FROM live l JOIN entries e ON e.rowid = l.entry")?;
            let mut q = st.query([])?;
            while let Some(r) = q.next()? {
                live.insert(hash(&r.get::<_, Vec<u8>>(0)?)?, r.get(1)?);
            }
        }
        let named: Vec<(String, String)> = tx
            .prepare(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL
                 AND tbl_name IN ('entries', 'matters', 'live') ORDER BY name",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut indexes = Vec::with_capacity(named.len());
        for (name, sql) in named {
            tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
            indexes.push(sql);
        }
        Ok(Bulk {
            indexes,
            rows,
            live,
        })
    }

    /// Rebuilds the dropped indexes. A UNIQUE index fails to build, and the import with it, if the
    /// rows break it.
    fn finish(self, tx: &Transaction<'_>) -> Result<()> {
        for sql in &self.indexes {
            tx.execute_batch(sql)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durability_settings_are_in_force() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        let mode: String = store
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        // 2 = FULL: with NORMAL a committed transaction may roll back after power loss.
        let sync: i64 = store
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2);
        assert!(store.conn.busy_timeout(BUSY_TIMEOUT).is_ok());
        let version: i64 = store
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    #[test]
    fn tail_hint_reads_the_envelope_not_the_data() {
        let key = SecretKey::from_seed(&[5; 32]);
        let member = key.public().member_id();
        let other = SecretKey::from_seed(&[6; 32]).public().member_id();
        let data = Data::Determination(crate::entry::Determination {
            declaration: Hash32::from_bytes([1; 32]),
            matter: None,
            member: other,
            note: None,
            outcome: crate::entry::Outcome::Recuse,
        });
        let e = Draft {
            member,
            seq: 1,
            prev: Hash32::ZERO,
            time: Timestamp::now(),
            data,
        }
        .sign(&key)
        .unwrap();
        assert_eq!(tail_hint(e.line.as_bytes()), Some((member, 1)));
        assert_eq!(tail_hint(b"not a line"), None);
        let later = Draft {
            member,
            seq: 9_007_199_254_740_991,
            prev: Hash32::from_bytes([7; 32]),
            time: Timestamp::now(),
            data: Data::Reaffirm(crate::entry::Reaffirm { note: None }),
        }
        .sign(&key)
        .unwrap();
        assert_eq!(
            tail_hint(later.line.as_bytes()),
            Some((member, 9_007_199_254_740_991))
        );
        // Any byte out of place: no hint.
        let mut bent = later.line.clone().into_bytes();
        let at = bent.len() - 140;
        bent[at] = b'x';
        assert_eq!(tail_hint(&bent), None);
    }
}
