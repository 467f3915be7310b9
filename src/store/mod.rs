//! The SQLite store: the only module that touches the database.
//!
//! The store holds verified entries as their canonical lines plus derived indexes (chain heads,
//! matters, live declarations) and fork evidence. Appends and imports run in `BEGIN IMMEDIATE`
//! transactions so that concurrent processes serialise on the database lock instead of forking a
//! chain; the database runs in WAL mode with `synchronous=FULL` so an acknowledged append survives
//! power loss.
//!
//! This file opens the store, migrates it and appends; `import` merges ledger files (with bulk
//! mode for large ones), `query` reads: entries and members by id or prefix, chains, live
//! declarations, forks, exports and checks; `register` keeps the derived tables of schema
//! version 3 and reads one matter's register through them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};
use serde::Serialize;

use crate::entry::{Data, Draft, Entry, EntryId, Timestamp};
use crate::error::{Damage, Error, ReadOnlyStore, Result};
use crate::hash::Hash32;
use crate::keys::{MemberId, PublicKey, SecretKey};

mod check;
mod follow;
mod import;
mod meeting;
mod query;
mod register;
mod seal;
mod tlog;

pub use check::{StoreCheck, MAX_CHECK_PROBLEMS};
pub use follow::{Follow, FollowEvent, FollowState};
use import::Rows;
pub use import::{ImportReport, Stale, BULK_JOURNAL_BYTES, BULK_MIN, MAX_FORK_LINES};
pub use meeting::CheckInput;
pub use query::entry_id_prefix;
pub use seal::Restricted;
pub use tlog::{
    Cosigned, Evidence, LogState, MemberCosignature, SignedCheckpoint, Witnessed, MAX_LISTED,
};

/// The newest store schema this build knows (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 6;
const MIGRATIONS: [&str; 6] = [
    include_str!("../../schema/store-001.sql"),
    include_str!("../../schema/store-002.sql"),
    include_str!("../../schema/store-003.sql"),
    include_str!("../../schema/store-004.sql"),
    include_str!("../../schema/store-005.sql"),
    include_str!("../../schema/store-006.sql"),
];
/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an operation waits for another connection's lock before the store's wait notice
/// ([`OpenOptions::on_wait`]) is told.
pub const WAIT_NOTICE_AFTER: Duration = Duration::from_secs(1);

/// Puts the database in WAL mode (persistent: after the first time this only reads the mode).
///
/// Converting the journal needs exclusive access, and SQLite returns `SQLITE_BUSY` for it at once,
/// without the busy handler, when another connection holds a lock: several processes creating one
/// store at the same moment would fail "database is locked". So busy answers are retried, with
/// backoff, within the busy timeout. An in-memory database answers "memory" and is left so.
fn enter_wal(conn: &Connection, in_memory: bool) -> Result<()> {
    enter_wal_noticed(conn, in_memory, None)
}

/// [`enter_wal`], telling the wait notice of `slot` once it has waited [`WAIT_NOTICE_AFTER`].
fn enter_wal_noticed(conn: &Connection, in_memory: bool, slot: Option<usize>) -> Result<()> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") || in_memory => return Ok(()),
            Ok(mode) => return Err(Error::StoreJournal { mode }),
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && start.elapsed() < BUSY_TIMEOUT =>
            {
                if start.elapsed() >= WAIT_NOTICE_AFTER {
                    tell_waiting(slot);
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Told once, with the store's path, when an operation on the store has waited
/// [`WAIT_NOTICE_AFTER`] for another connection's lock (and goes on waiting, up to 60 s).
pub type WaitNotice = Arc<dyn Fn(&Path) + Send + Sync>;

/// How [`Store::open_with`] opens a store.
#[derive(Clone, Default)]
pub struct OpenOptions {
    read_only: bool,
    on_wait: Option<WaitNotice>,
}

impl OpenOptions {
    /// Read and write, creating and migrating the store as needed, with no wait notice.
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Opens the store read-only: nothing is created, migrated or written, so a store on
    /// read-only media or in a directory the user cannot write can be read. A store that was
    /// closed cleanly (no write-ahead log left) is read as immutable when SQLite cannot create
    /// its shared-memory file; one with an older schema or a pending log it cannot read is
    /// refused ([`Error::StoreReadOnly`]).
    pub fn read_only(mut self, read_only: bool) -> OpenOptions {
        self.read_only = read_only;
        self
    }

    /// Tells `notice` (once per store) when an operation waits for another connection's lock.
    pub fn on_wait(mut self, notice: WaitNotice) -> OpenOptions {
        self.on_wait = Some(notice);
        self
    }
}

impl fmt::Debug for OpenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenOptions")
            .field("read_only", &self.read_only)
            .field("on_wait", &self.on_wait.is_some())
            .finish()
    }
}

/// A store's wait notice, as the busy handler finds it.
struct Waiter {
    path: PathBuf,
    notice: WaitNotice,
    told: bool,
}

/// How many stores with a wait notice can be open at once (the others wait silently).
const WAIT_SLOTS: usize = 8;

/// The wait notices of open stores, one per slot.
static WAITERS: [Mutex<Option<Waiter>>; WAIT_SLOTS] = [const { Mutex::new(None) }; WAIT_SLOTS];

/// rusqlite takes a busy handler as a plain `fn`, with no data of the connection's, so there is
/// one handler per slot of [`WAITERS`], each knowing its slot.
const SLOT_HANDLERS: [fn(i32) -> bool; WAIT_SLOTS] = [
    |n| busy(Some(0), n),
    |n| busy(Some(1), n),
    |n| busy(Some(2), n),
    |n| busy(Some(3), n),
    |n| busy(Some(4), n),
    |n| busy(Some(5), n),
    |n| busy(Some(6), n),
    |n| busy(Some(7), n),
];

/// A claimed slot of [`WAITERS`], freed when the store is dropped.
struct WaitSlot(usize);

impl WaitSlot {
    /// A free slot for `notice` on the store at `path`, if there is one.
    fn claim(path: &Path, notice: WaitNotice) -> Option<WaitSlot> {
        for (i, slot) in WAITERS.iter().enumerate() {
            let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
            if slot.is_none() {
                *slot = Some(Waiter {
                    path: path.to_path_buf(),
                    notice,
                    told: false,
                });
                return Some(WaitSlot(i));
            }
        }
        None
    }
}

impl Drop for WaitSlot {
    fn drop(&mut self) {
        *WAITERS[self.0].lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Tells the wait notice of `slot`, unless it was told before.
fn tell_waiting(slot: Option<usize>) {
    let Some(i) = slot else { return };
    let hit = {
        let mut w = WAITERS[i].lock().unwrap_or_else(|e| e.into_inner());
        match w.as_mut() {
            Some(w) if !w.told => {
                w.told = true;
                Some((w.notice.clone(), w.path.clone()))
            }
            _ => None,
        }
    };
    // Called outside the lock: the notice may take its time (a terminal).
    if let Some((notice, path)) = hit {
        notice(&path);
    }
}

/// SQLite's busy handler: waits with SQLite's own backoff (1 ms rising to 100 ms) until
/// [`BUSY_TIMEOUT`], telling the wait notice of `slot` once it has waited
/// [`WAIT_NOTICE_AFTER`]. `n` is how often it was called before for this lock.
fn busy(slot: Option<usize>, n: i32) -> bool {
    const PAUSES_MS: [u64; 12] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];
    let n = n.max(0) as u64;
    let (waited_ms, pause_ms) = match PAUSES_MS.get(n as usize) {
        Some(&p) => (PAUSES_MS[..n as usize].iter().sum(), p),
        None => (PAUSES_MS.iter().sum::<u64>() + (n - 12) * 100, 100),
    };
    let waited = Duration::from_millis(waited_ms);
    if waited >= BUSY_TIMEOUT {
        return false;
    }
    if waited >= WAIT_NOTICE_AFTER {
        tell_waiting(slot);
    }
    std::thread::sleep(Duration::from_millis(pause_ms).min(BUSY_TIMEOUT - waited));
    true
}

/// The SQLite URI of the database file at `path`, opened read-only (and as immutable: no locks,
/// no log) with the query parameters given.
fn file_uri(path: &Path, query: &str) -> String {
    use std::os::unix::ffi::OsStrExt as _;
    let mut uri = String::from("file:");
    if path.is_absolute() {
        // An empty authority, so that a path starting with `//` is not read as a host.
        uri.push_str("//");
    }
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push('?');
    uri.push_str(query);
    uri
}

/// The path of a file SQLite keeps beside the database at `path` (`-wal`, `-shm`, `-journal`).
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
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
    /// Where the busy handler finds this store's wait notice, if it has one.
    wait: Option<WaitSlot>,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, &OpenOptions::new())
    }

    /// Opens the store at `path` as `options` say: read-write (creating and migrating it as
    /// needed) or read-only, with or without a wait notice.
    pub fn open_with(path: &Path, options: &OpenOptions) -> Result<Store> {
        let wait = options
            .on_wait
            .clone()
            .and_then(|n| WaitSlot::claim(path, n));
        if options.read_only {
            return Self::open_read_only(path, wait);
        }
        let conn = Connection::open(path)?;
        Self::setup(conn, path.to_path_buf(), wait)
    }

    /// A store in memory (tests).
    pub fn open_in_memory() -> Result<Store> {
        Self::setup(
            Connection::open_in_memory()?,
            PathBuf::from(":memory:"),
            None,
        )
    }

    /// Opens the store read-only (see [`OpenOptions::read_only`]).
    fn open_read_only(path: &Path, wait: Option<WaitSlot>) -> Result<Store> {
        let handler = busy_handler(wait.as_ref());
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let attempt = |query: &str| -> rusqlite::Result<(Connection, i64)> {
            let conn = Connection::open_with_flags(file_uri(path, query), flags)?;
            conn.busy_handler(Some(handler))?;
            // Reading the header opens the write-ahead log, if the store has one: any failure
            // to read shows here.
            let version = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
                r.get::<_, i64>(0)
            })?;
            Ok((conn, version))
        };
        let size = |file: &Path| match std::fs::symlink_metadata(file) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(file, e)),
        };
        let (wal, shm, journal) = (
            sidecar(path, "-wal"),
            sidecar(path, "-shm"),
            sidecar(path, "-journal"),
        );
        // A rollback journal with content is a write in progress or interrupted: the file alone
        // may be half-written, and only a writer can roll it back.
        if size(&journal)?.unwrap_or(0) > 0 {
            return Err(Error::StoreReadOnly {
                path: path.to_path_buf(),
                reason: ReadOnlyStore::PendingJournal { journal },
            });
        }
        let (conn, version) = if size(&wal)?.is_none() && size(&shm)?.is_none() {
            // No connection has the store open in WAL mode (a live one keeps both files) and no
            // log is left: the database file is the whole store. Read it as immutable, which
            // needs no lock files and creates nothing, even where the directory is writable.
            attempt("mode=ro&immutable=1")?
        } else {
            match attempt("mode=ro") {
                Ok(opened) => opened,
                // The -shm file is missing and cannot be made (the directory is not writable).
                // An empty log holds nothing: read the file as immutable. A log with content
                // cannot be read without it, and the file alone would show an older store.
                Err(e)
                    if matches!(
                        e.sqlite_error_code(),
                        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen)
                    ) =>
                {
                    if size(&wal)?.unwrap_or(0) > 0 {
                        return Err(Error::StoreReadOnly {
                            path: path.to_path_buf(),
                            reason: ReadOnlyStore::PendingLog { wal },
                        });
                    }
                    attempt("mode=ro&immutable=1")?
                }
                Err(e) => return Err(e.into()),
            }
        };
        if version > SCHEMA_VERSION {
            return Err(Error::StoreTooNew {
                path: path.to_path_buf(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version < SCHEMA_VERSION {
            return Err(Error::StoreReadOnly {
                path: path.to_path_buf(),
                reason: ReadOnlyStore::NeedsUpgrade {
                    found: version,
                    supported: SCHEMA_VERSION,
                },
            });
        }
        conn.pragma_update(None, "cache_size", -65536)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            bulk_min: BULK_MIN,
            bulk_journal_bytes: BULK_JOURNAL_BYTES,
            wait,
        })
    }

    /// Sets the store's busy handler again, after a busy timeout set for one statement.
    pub(super) fn restore_busy_handler(&self) -> Result<()> {
        self.conn
            .busy_handler(Some(busy_handler(self.wait.as_ref())))?;
        Ok(())
    }

    fn setup(conn: Connection, path: PathBuf, wait: Option<WaitSlot>) -> Result<Store> {
        // Waits for other processes' locks up to BUSY_TIMEOUT, telling the wait notice if long.
        conn.busy_handler(Some(busy_handler(wait.as_ref())))?;
        // A new database gets 4 KiB pages: an append dirties about ten pages (each table and
        // index it touches), all written to the WAL at commit, so smaller pages make appends
        // cheaper (1.36x a bare INSERT against 1.64x with 8 KiB pages), and since bulk imports
        // rebuild their indexes, imports are no slower. page_size takes effect only before the
        // first table and before WAL mode; older stores keep theirs.
        conn.pragma_update(None, "page_size", 4096)?;
        // WAL + FULL: with NORMAL a committed transaction may roll back after power loss.
        enter_wal_noticed(
            &conn,
            path.as_os_str() == ":memory:",
            wait.as_ref().map(|w| w.0),
        )?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Up to 64 MiB of page cache (allocated only as used): large imports touch every index.
        conn.pragma_update(None, "cache_size", -65536)?;
        let mut store = Store {
            conn,
            path,
            bulk_min: BULK_MIN,
            bulk_journal_bytes: BULK_JOURNAL_BYTES,
            wait,
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
            if i + 1 == 3 {
                // Version 3's tables are derived from the lines a version 2 store holds.
                register::rebuild(&tx)?;
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        tx.commit()?;
        Ok(())
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
        v.map(|s| Hash32::from_hex(&s).ok_or_else(|| Error::Corrupt(Damage::Identity)))
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
        self.append_with(key, member, move |_| data, Timestamp::now, None)
    }

    /// [`Store::append`] at a given time (tests, generators).
    pub fn append_at(
        &mut self,
        key: &SecretKey,
        member: &MemberId,
        data: Data,
        now: Timestamp,
    ) -> Result<Entry> {
        self.append_with(key, member, move |_| data, move || now, None)
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
                    new_key: new_pub,
                    proof,
                })
            },
            Timestamp::now,
            None,
        )
    }

    fn append_with(
        &mut self,
        key: &SecretKey,
        member: &MemberId,
        data: impl FnOnce(u64) -> Data,
        now: impl FnOnce() -> Timestamp,
        openings: Option<&crate::seal::Openings>,
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
                    return Err(Error::NotFoundingKey { member: *member });
                }
                (1, Hash32::ZERO)
            }
            Some(h) => {
                if h.key != key.public() {
                    return Err(Error::KeyNotCurrent { member: *member });
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
                return Err(Error::NotLiveDeclaration {
                    member: *member,
                    target: *target,
                });
            }
        }
        seal::check_restricted(&tx, member, &data, openings)?;
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
        if let Some(o) = openings {
            seal::keep_openings(&tx, &entry, o)?;
        }
        tx.commit()?;
        Ok(entry)
    }
}

/// The busy handler of a store with the wait slot `wait` (or none).
fn busy_handler(wait: Option<&WaitSlot>) -> fn(i32) -> bool {
    match wait {
        Some(w) => SLOT_HANDLERS[w.0],
        None => |n| busy(None, n),
    }
}

fn hash(b: &[u8]) -> Result<Hash32> {
    let a: [u8; 32] = b.try_into().map_err(|_| Error::Corrupt(Damage::IdLength))?;
    Ok(Hash32::from_bytes(a))
}

#[cfg(test)]
impl Store {
    /// The steps of SQLite's plan for `sql` (every parameter NULL), for tests that a query finds
    /// its rows through indexes.
    pub(crate) fn query_plan(&self, sql: &str) -> Vec<String> {
        let mut st = self
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("a query");
        let nulls = vec![rusqlite::types::Null; st.parameter_count()];
        st.query_map(rusqlite::params_from_iter(nulls), |r| r.get(3))
            .expect("a plan")
            .collect::<rusqlite::Result<_>>()
            .expect("a plan")
    }
}

fn parse_stored(line: &str) -> Result<Entry> {
    Entry::parse(line).map_err(|e| Error::Corrupt(Damage::Entry(e)))
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
            .map_err(|_| Error::Corrupt(Damage::KeyLength))?;
        let key = PublicKey::from_bytes(&key).map_err(|e| Error::Corrupt(Damage::Key(e)))?;
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

/// The member's head after entry `e`: current key, seq, id, time.
fn head_after(e: &Entry) -> Result<(PublicKey, u64, EntryId, String)> {
    let key = match &e.data {
        Data::KeyRotation(k) => k.new_key,
        _ => e.key,
    };
    Ok((key, e.seq, e.id, e.time.as_str().to_string()))
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
    fn append_refusals_say_what_to_do() {
        let mut store = Store::open_in_memory().unwrap();
        let (a, b) = (
            SecretKey::from_seed(&[1; 32]),
            SecretKey::from_seed(&[2; 32]),
        );
        let member = a.public().member_id();
        let profile = || {
            Data::Profile(crate::entry::Profile {
                name: "Ada".into(),
                capacity: None,
                affiliation: None,
            })
        };
        let refused = store.append(&b, &member, profile()).unwrap_err();
        assert!(matches!(refused, Error::NotFoundingKey { member: m } if m == member));
        assert_eq!(
            refused.to_string(),
            "this key did not found the member's chain, and the store holds none of it"
        );
        store.append(&a, &member, profile()).unwrap();
        assert_eq!(
            store.append(&b, &member, profile()).unwrap_err().to_string(),
            format!(
                "your key is not the current key of member {} in the store (was the key rotated elsewhere?)",
                member.fingerprint()
            )
        );
        let target = Hash32::from_bytes([9; 32]);
        let withdraw = Data::Withdraw(crate::entry::Withdraw {
            target,
            until: None,
        });
        assert_eq!(
            store.append(&a, &member, withdraw).unwrap_err().to_string(),
            format!(
                "{} is not one of your live declarations (it may have been amended, withdrawn or retracted already; see `coi conflicts`)",
                target.fingerprint()
            )
        );
    }
}
