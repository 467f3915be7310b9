//! The SQLite store: the only module that touches the database.
//!
//! The store holds verified entries as their canonical lines plus derived indexes (chain heads,
//! matters, live declarations) and fork evidence. Appends and imports run in `BEGIN IMMEDIATE`
//! transactions so that concurrent processes serialise on the database lock instead of forking a
//! chain; the database runs in WAL mode with `synchronous=FULL` so an acknowledged append survives
//! power loss.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;

use crate::chain::Report;
use crate::entry::{Data, Draft, Entry, EntryId, Scope, Timestamp};
use crate::error::{Error, Result};
use crate::hash::Hash32;
use crate::keys::{MemberId, PublicKey, SecretKey};
use crate::ledger::{verify_stream_known, VerifyOptions};

/// The newest store schema this build knows (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 1;
const MIGRATIONS: [&str; 1] = [include_str!("../schema/store-001.sql")];
/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

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
}

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
        // A new database gets 8 KiB pages (a ledger line is ~600 bytes; fewer page splits on
        // import). page_size takes effect only before the first table and before WAL mode.
        conn.pragma_update(None, "page_size", 8192)?;
        // WAL + FULL: with NORMAL a committed transaction may roll back after power loss.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Up to 64 MiB of page cache (allocated only as used): large imports touch every index.
        conn.pragma_update(None, "cache_size", -65536)?;
        let mut store = Store { conn, path };
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
                "SELECT EXISTS (SELECT 1 FROM live WHERE entry = ?1 AND member = ?2)",
                params![target.as_bytes(), member.as_bytes()],
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The store's heads before the import, to tell held, new, stale and forked entries apart.
        let initial: HashMap<MemberId, u64> = {
            let mut st = tx.prepare("SELECT member, head_seq FROM members")?;
            let rows = st.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, u64>(1)?)))?;
            let mut m = HashMap::new();
            for row in rows {
                let (member, seq) = row?;
                m.insert(hash(&member)?, seq);
            }
            m
        };
        let mut heads = initial.clone();
        let mut pending: HashMap<MemberId, PendingHead> = HashMap::new();
        let mut diverged: HashMap<MemberId, u64> = HashMap::new();
        let mut forks = Vec::new();
        let mut added = 0u64;
        let mut held = 0u64;
        let detected = Timestamp::now();
        let verification = {
            let mut lookup =
                tx.prepare_cached("SELECT id, line FROM entries WHERE member = ?1 AND seq = ?2")?;
            let mut same_line =
                tx.prepare_cached("SELECT line = ?3 FROM entries WHERE member = ?1 AND seq = ?2")?;
            // A line byte-identical to one the store holds was verified when it was stored: its
            // signatures need no second check. The member and seq read here are only a hint; the
            // byte comparison decides.
            let known = |line: &[u8]| -> bool {
                let Some((member, seq)) = tail_hint(line) else {
                    return false;
                };
                if initial.get(&member).map_or(true, |h| seq > *h) {
                    return false;
                }
                // tail_hint succeeded, so the line is UTF-8; compare as TEXT (a BLOB never equals TEXT).
                let Ok(text) = std::str::from_utf8(line) else {
                    return false;
                };
                same_line
                    .query_row(params![member.as_bytes(), seq, text], |r| {
                        r.get::<_, bool>(0)
                    })
                    .unwrap_or(false)
            };
            verify_stream_known(
                reader,
                options,
                known,
                |e: &Entry| -> Result<()> {
                    if diverged.contains_key(&e.member) {
                        return Ok(());
                    }
                    let store_head = heads.get(&e.member).copied().unwrap_or(0);
                    if e.seq <= store_head {
                        let (id, line): (Vec<u8>, String) = lookup
                            .query_row(params![e.member.as_bytes(), e.seq], |r| {
                                Ok((r.get(0)?, r.get(1)?))
                            })?;
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
                        insert_rows(&tx, e)?;
                        heads.insert(e.member, e.seq);
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
                let before = initial.get(&m.member).copied().unwrap_or(0);
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
            .prepare("SELECT line FROM entries WHERE member = ?1 AND seq < ?2 ORDER BY seq")?;
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
            "SELECT rowid, line FROM entries WHERE id >= ?1 AND id <= ?2 LIMIT 2",
        )?;
        let rows: Vec<(i64, String)> = st
            .query_map(params![lo, hi], |r| Ok((r.get(0)?, r.get(1)?)))?
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
                let mut st = self.conn.prepare_cached("SELECT rowid, line FROM (SELECT rowid, line, seq FROM entries WHERE member = ?1 ORDER BY seq DESC LIMIT ?2) ORDER BY seq")?;
                let r = st
                    .query_map(params![m.as_bytes(), limit], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                r
            }
            None => {
                let mut st = self.conn.prepare_cached("SELECT rowid, line FROM (SELECT rowid, line FROM entries ORDER BY rowid DESC LIMIT ?1) ORDER BY rowid")?;
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
        let mut lines: Vec<String> = Vec::new();
        match (member, matter) {
            (_, Some(m)) => {
                let mut st = self.conn.prepare_cached(
                    "SELECT e.line FROM matters x JOIN entries e ON e.id = x.entry
                     WHERE x.matter = ?1 AND (e.kind = 'no-conflict' OR e.id IN (SELECT entry FROM live)) AND (?2 IS NULL OR e.member = ?2)
                     UNION ALL
                     SELECT e.line FROM live l JOIN entries e ON e.id = l.entry WHERE l.standing = 1 AND (?2 IS NULL OR l.member = ?2)",
                )?;
                let r = st
                    .query_map(
                        params![m.as_str(), member.map(|x| x.as_bytes().to_vec())],
                        |r| r.get(0),
                    )?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                lines.extend(r);
            }
            (Some(mem), None) => {
                let mut st = self.conn.prepare_cached("SELECT e.line FROM live l JOIN entries e ON e.id = l.entry WHERE l.member = ?1")?;
                let r = st
                    .query_map([mem.as_bytes()], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                lines.extend(r);
            }
            (None, None) => {
                let mut st = self
                    .conn
                    .prepare_cached("SELECT e.line FROM live l JOIN entries e ON e.id = l.entry")?;
                let r = st
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                lines.extend(r);
            }
        }
        let mut out = Vec::with_capacity(lines.len());
        let mut prior = self
            .conn
            .prepare_cached("SELECT target FROM entries WHERE id = ?1")?;
        for line in lines {
            let entry = parse_stored(&line)?;
            let mut replaces = Vec::new();
            let mut cursor = entry.data.own_target().copied();
            while let Some(t) = cursor {
                replaces.push(t);
                // Follow the amendment chain back to the original declaration.
                let next: Option<Option<Vec<u8>>> =
                    prior.query_row([t.as_bytes()], |r| r.get(0)).optional()?;
                cursor = next.flatten().map(|b| hash(&b)).transpose()?;
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
        let wanted: Option<std::collections::HashSet<[u8; 32]>> =
            members.map(|m| m.iter().map(|x| *x.as_bytes()).collect());
        let mut st = self
            .conn
            .prepare("SELECT member, line FROM entries ORDER BY rowid")?;
        let mut rows = st.query([])?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            if let Some(w) = &wanted {
                let m: Vec<u8> = r.get(0)?;
                if !m
                    .as_slice()
                    .try_into()
                    .map(|a: [u8; 32]| w.contains(&a))
                    .unwrap_or(false)
                {
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
            .prepare("SELECT line FROM entries ORDER BY member, seq")?;
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
        self.head = Some((next_key(e)?, e.seq, e.id, e.time.as_str().to_string()));
        if let Data::Profile(p) = &e.data {
            self.name = Some(p.name.clone());
        }
        Ok(())
    }
}

/// The member's current key after entry `e`.
fn next_key(e: &Entry) -> Result<PublicKey> {
    Ok(match &e.data {
        Data::KeyRotation(k) => PublicKey::from_hex(&k.new_key)?,
        _ => e.key,
    })
}

/// Reads the envelope's member and seq from the end of a line without parsing it (they are the
/// last `"member"` and `"seq"` keys of a canonical line). Only a hint: callers must not trust it.
fn tail_hint(line: &[u8]) -> Option<(MemberId, u64)> {
    let text = std::str::from_utf8(line).ok()?;
    let m = text.rfind("\"member\":\"")? + 10;
    let member = Hash32::from_hex(text.get(m..m + 64)?)?;
    let s = text.rfind("\"seq\":")? + 6;
    let digits = text.get(s..)?.split(',').next()?;
    Some((member, digits.parse().ok()?))
}

fn write_head(
    tx: &Transaction<'_>,
    member: &MemberId,
    (key, seq, id, time): &(PublicKey, u64, EntryId, String),
    name: Option<&str>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO members (member, key, head_seq, head_id, head_time, name) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (member) DO UPDATE SET key = excluded.key, head_seq = excluded.head_seq, head_id = excluded.head_id,
           head_time = excluded.head_time, name = coalesce(excluded.name, members.name)",
    )?
    .execute(params![member.as_bytes(), key.to_bytes(), seq, id.as_bytes(), time, name])?;
    Ok(())
}

/// Writes a verified entry and updates the derived tables. The caller holds the transaction and
/// has checked that the entry extends the member's chain.
fn insert_entry(tx: &Transaction<'_>, e: &Entry) -> Result<()> {
    insert_rows(tx, e)?;
    let name = match &e.data {
        Data::Profile(p) => Some(p.name.as_str()),
        _ => None,
    };
    write_head(
        tx,
        &e.member,
        &(next_key(e)?, e.seq, e.id, e.time.as_str().to_string()),
        name,
    )
}

/// Writes the entry's own rows (entries, matters, live), not the member's head.
fn insert_rows(tx: &Transaction<'_>, e: &Entry) -> Result<()> {
    let target = e.data.own_target().map(|t| t.as_bytes().to_vec());
    tx.prepare_cached("INSERT INTO entries (id, member, seq, kind, time, target, line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?
        .execute(params![e.id.as_bytes(), e.member.as_bytes(), e.seq, e.kind(), e.time.as_str(), target, e.line])?;
    for m in e.data.matters() {
        tx.prepare_cached("INSERT OR IGNORE INTO matters (matter, entry) VALUES (?1, ?2)")?
            .execute(params![m.as_str(), e.id.as_bytes()])?;
    }
    if let Some(t) = e.data.own_target() {
        tx.prepare_cached("DELETE FROM live WHERE entry = ?1")?
            .execute([t.as_bytes()])?;
    }
    if let Some(d) = e.data.declaration() {
        tx.prepare_cached("INSERT INTO live (entry, member, standing) VALUES (?1, ?2, ?3)")?
            .execute(params![
                e.id.as_bytes(),
                e.member.as_bytes(),
                d.scope == Scope::Standing
            ])?;
    }
    Ok(())
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
    }
}
