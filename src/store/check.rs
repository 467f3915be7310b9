//! The store checked, not trusted: every line held is verified again as a ledger, and every
//! derived row (entries' columns, members' heads and keys, matters, live declarations) is
//! recomputed from the lines and compared. What `coi fsck` runs and `export` relies on.
//!
//! Memory: per member a head and a key, per entry a few bytes for the recomputed matters and
//! live sets; lines are read one at a time.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{self, BufRead, Read};

use rusqlite::Connection;

use super::register::{Facts, Root};
use super::{hash, Store};
use crate::entry::{Entry, EntryId, Scope};
use crate::error::Result;
use crate::keys::{MemberId, PublicKey};
use crate::ledger::{verify_stream, VerifyOptions};

/// The first problems a check keeps in full; the rest are counted.
pub const MAX_CHECK_PROBLEMS: usize = 1000;

/// The outcome of [`Store::check`].
#[derive(Debug, Clone, Default)]
pub struct StoreCheck {
    /// Entries held.
    pub entries: u64,
    /// Members held.
    pub members: u64,
    /// The first problems, in the order found.
    pub problems: Vec<String>,
    /// Problems found in all (at least `problems.len()`).
    pub total: u64,
}

impl StoreCheck {
    /// Whether the store is sound.
    pub fn is_sound(&self) -> bool {
        self.total == 0
    }

    fn problem(&mut self, p: String) {
        self.total += 1;
        if self.problems.len() < MAX_CHECK_PROBLEMS {
            self.problems.push(p);
        }
    }
}

/// The lines a query returns, one per row, as a ledger stream (each line ended by LF).
struct QueryLines<'s> {
    rows: rusqlite::Rows<'s>,
    buf: Vec<u8>,
    pos: usize,
    /// A database error met while reading, reported after the stream ends.
    error: Option<rusqlite::Error>,
}

impl<'s> QueryLines<'s> {
    fn new(rows: rusqlite::Rows<'s>) -> Self {
        QueryLines {
            rows,
            buf: Vec::new(),
            pos: 0,
            error: None,
        }
    }

    fn refill(&mut self) {
        self.buf.clear();
        self.pos = 0;
        if self.error.is_some() {
            return;
        }
        match self.rows.next() {
            Ok(Some(r)) => match r.get::<_, String>(0) {
                Ok(line) => {
                    self.buf = line.into_bytes();
                    self.buf.push(b'\n');
                }
                Err(e) => self.error = Some(e),
            },
            Ok(None) => {}
            Err(e) => self.error = Some(e),
        }
    }
}

impl Read for QueryLines<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for QueryLines<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.buf.len() {
            self.refill();
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}

/// Verifies the lines `sql` selects (one column, in chain order per member) as one ledger,
/// calling `accept` for each accepted entry; returns the problems as text.
fn verify_query(
    conn: &Connection,
    sql: &str,
    accept: impl FnMut(&Entry) -> Result<()>,
) -> Result<crate::chain::Report> {
    let mut st = conn.prepare(sql)?;
    let mut lines = QueryLines::new(st.query([])?);
    let report = verify_stream(&mut lines, VerifyOptions::default(), accept, |_| {})?;
    if let Some(e) = lines.error.take() {
        return Err(e.into());
    }
    Ok(report)
}

impl Store {
    /// Verifies the lines that an export of `members` (all if `None`) would write, as the ledger
    /// a reader will verify. An export refuses to publish a store that fails this.
    pub fn verify_export(&self, members: Option<&[MemberId]>) -> Result<crate::chain::Report> {
        let sql = match members {
            None => {
                "SELECT t.line FROM entries e JOIN lines t ON t.rowid = e.rowid ORDER BY e.rowid"
                    .to_string()
            }
            Some(ms) => {
                // The members' numbers (integers from the store), selected in SQL.
                let mut nos = vec!["NULL".to_string()];
                for m in ms {
                    nos.extend(super::member_no(&self.conn, m)?.map(|n| n.to_string()));
                }
                format!(
                    "SELECT t.line FROM entries e JOIN lines t ON t.rowid = e.rowid WHERE e.member IN ({}) ORDER BY e.rowid",
                    nos.join(",")
                )
            }
        };
        verify_query(&self.conn, &sql, |_| Ok(()))
    }

    /// Checks the whole store against its own lines: SQLite's integrity check; every line held,
    /// in order of arrival, verifies as one ledger (spec §5); every entries row names its line's
    /// id, member, seq, kind, time and target; each member's head, key and name are its chain's;
    /// the matters, live declarations and the register's derived rows (interests and their roots,
    /// standing counterparties, members' standing nil returns, reaffirmations and profiles,
    /// determinations) are exactly those the lines make; every fork's two lines
    /// are validly signed entries of the same member and seq.
    pub fn check(&self) -> Result<StoreCheck> {
        let mut c = StoreCheck::default();
        let ic: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if ic != "ok" {
            c.problem(format!("SQLite integrity_check: {ic}"));
        }
        // 1. The lines, as a ledger; what each accepted entry implies is recomputed on the way.
        struct Heads {
            seq: u64,
            id: EntryId,
            time: String,
            key: PublicKey,
            name: Option<String>,
        }
        let mut heads: HashMap<MemberId, Heads> = HashMap::new();
        let mut matters: BTreeSet<(String, EntryId)> = BTreeSet::new();
        let mut live: HashMap<EntryId, (MemberId, bool)> = HashMap::new();
        let mut want = Derived::default();
        let report = verify_query(
            &self.conn,
            "SELECT t.line FROM entries e JOIN lines t ON t.rowid = e.rowid ORDER BY e.rowid",
            |e| {
                let h = heads.entry(e.member).or_insert(Heads {
                    seq: 0,
                    id: EntryId::ZERO,
                    time: String::new(),
                    key: e.key,
                    name: None,
                });
                h.seq = e.seq;
                h.id = e.id;
                h.time = e.time.as_str().to_string();
                h.key = match &e.data {
                    crate::entry::Data::KeyRotation(k) => k.new_key,
                    _ => e.key,
                };
                if let crate::entry::Data::Profile(p) = &e.data {
                    h.name = Some(p.name.clone());
                }
                for m in e.data.matters() {
                    matters.insert((m.as_str().to_string(), e.id));
                }
                if let Some(t) = e.data.own_target() {
                    live.remove(t);
                }
                if let Some(d) = e.data.declaration() {
                    live.insert(e.id, (e.member, d.scope == Scope::Standing));
                }
                want.add(e);
                Ok(())
            },
        )?;
        c.entries = report.lines;
        for p in &report.problems {
            c.problem(format!(
                "stored line {} (in order of arrival): {}: {}",
                p.line, p.class, p.message
            ));
        }
        // 2. The entries rows against their lines.
        {
            let mut st = self.conn.prepare(
                "SELECT e.rowid, e.id, m.member, e.seq, e.kind, e.time, t.id, l.line
                 FROM entries e LEFT JOIN members m ON m.no = e.member
                 LEFT JOIN entries t ON t.rowid = e.target
                 LEFT JOIN lines l ON l.rowid = e.rowid ORDER BY e.rowid",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let rowid: i64 = r.get(0)?;
                let Some(line) = r.get::<_, Option<String>>(7)? else {
                    c.problem(format!("entry row {rowid} has no line"));
                    continue;
                };
                let Ok(e) = Entry::parse(&line) else {
                    continue; // reported by the ledger check
                };
                let id = hash(&r.get::<_, Vec<u8>>(1)?)?;
                let member = r
                    .get::<_, Option<Vec<u8>>>(2)?
                    .map(|b| hash(&b))
                    .transpose()?;
                let seq: u64 = r.get(3)?;
                let kind: String = r.get(4)?;
                let time: String = r.get(5)?;
                let target = r
                    .get::<_, Option<Vec<u8>>>(6)?
                    .map(|b| hash(&b))
                    .transpose()?;
                let mut differ = Vec::new();
                if id != e.id {
                    differ.push("id");
                }
                if member != Some(e.member) {
                    differ.push("member");
                }
                if seq != e.seq {
                    differ.push("seq");
                }
                if kind != e.kind() {
                    differ.push("kind");
                }
                if time != e.time.as_str() {
                    differ.push("time");
                }
                if target.as_ref() != e.data.own_target() {
                    differ.push("target");
                }
                if !differ.is_empty() {
                    c.problem(format!(
                        "entry row {rowid} ({}) does not match its line: {}",
                        e.id.fingerprint(),
                        differ.join(", ")
                    ));
                }
            }
        }
        // 3. Members.
        {
            let mut st = self
                .conn
                .prepare("SELECT member, key, head_seq, head_id, head_time, name FROM members")?;
            let mut rows = st.query([])?;
            let mut seen = HashSet::new();
            while let Some(r) = rows.next()? {
                let member = hash(&r.get::<_, Vec<u8>>(0)?)?;
                seen.insert(member);
                let Some(h) = heads.get(&member) else {
                    c.problem(format!(
                        "member {} is in the members table but has no verified entry",
                        member.fingerprint()
                    ));
                    continue;
                };
                let key: Vec<u8> = r.get(1)?;
                let seq: u64 = r.get(2)?;
                let id = hash(&r.get::<_, Vec<u8>>(3)?)?;
                let time: String = r.get(4)?;
                let name: Option<String> = r.get(5)?;
                let mut differ = Vec::new();
                if key != h.key.to_bytes() {
                    differ.push("key");
                }
                if seq != h.seq || id != h.id || time != h.time {
                    differ.push("head");
                }
                if name != h.name {
                    differ.push("name");
                }
                if !differ.is_empty() {
                    c.problem(format!(
                        "member {}: {} in the members table not what the chain says",
                        member.fingerprint(),
                        differ.join(", ")
                    ));
                }
            }
            for m in heads.keys().filter(|m| !seen.contains(*m)) {
                c.problem(format!(
                    "member {} has entries but no row in the members table",
                    m.fingerprint()
                ));
            }
        }
        c.members = heads.len() as u64;
        // 4. Matters and live declarations.
        let held_matters: BTreeSet<(String, EntryId)> = {
            let mut st = self.conn.prepare(
                "SELECT x.matter, e.id FROM matters x JOIN entries e ON e.rowid = x.entry",
            )?;
            let rows = st.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })?;
            let mut set = BTreeSet::new();
            for r in rows {
                let (m, id) = r?;
                set.insert((m, hash(&id)?));
            }
            set
        };
        let orphan_matters: i64 = self.conn.query_row(
            "SELECT count(*) FROM matters x WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.rowid = x.entry)",
            [],
            |r| r.get(0),
        )?;
        if orphan_matters > 0 {
            c.problem(format!("{orphan_matters} matters rows name no entry"));
        }
        for (m, id) in matters.difference(&held_matters) {
            c.problem(format!(
                "matter {m:?} of entry {} is missing from the matters table",
                id.fingerprint()
            ));
        }
        for (m, id) in held_matters.difference(&matters) {
            c.problem(format!(
                "the matters table names matter {m:?} for entry {}, which does not name it",
                id.fingerprint()
            ));
        }
        {
            let mut st = self.conn.prepare(
                "SELECT e.id, m.member, v.standing FROM live v LEFT JOIN entries e ON e.rowid = v.entry
                 LEFT JOIN members m ON m.no = v.member",
            )?;
            let mut rows = st.query([])?;
            let mut held = HashSet::new();
            while let Some(r) = rows.next()? {
                let (Some(id), Some(member)) = (
                    r.get::<_, Option<Vec<u8>>>(0)?,
                    r.get::<_, Option<Vec<u8>>>(1)?,
                ) else {
                    c.problem("a live row names no entry or no member".into());
                    continue;
                };
                let (id, member) = (hash(&id)?, hash(&member)?);
                let standing: bool = r.get(2)?;
                held.insert(id);
                if live.get(&id) != Some(&(member, standing)) {
                    c.problem(format!(
                        "entry {} is listed as a live declaration but the chain has amended, withdrawn or retracted it (or its member or scope differ)",
                        id.fingerprint()
                    ));
                }
            }
            for id in live.keys().filter(|id| !held.contains(*id)) {
                c.problem(format!(
                    "live declaration {} is missing from the live table",
                    id.fingerprint()
                ));
            }
        }
        // 5. The register's derived tables (schema version 3).
        let held = Derived::held(&self.conn, &mut c)?;
        want.compare(&held, &mut c);
        // 6. Forks: both sides validly signed, same member and seq.
        {
            let mut st = self
                .conn
                .prepare("SELECT member, seq, held_line, other_line FROM forks")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let member = hash(&r.get::<_, Vec<u8>>(0)?)?;
                let seq: u64 = r.get(1)?;
                for col in [2, 3] {
                    let line: String = r.get(col)?;
                    match Entry::parse_verified(&line) {
                        Ok(e) if e.member == member && e.seq == seq => {}
                        _ => c.problem(format!(
                            "fork evidence for member {} seq {seq} holds a line that is not a validly signed entry of that member and seq",
                            member.fingerprint()
                        )),
                    }
                }
            }
        }
        Ok(c)
    }
}

/// The register's derived rows (schema version 3), by entry id: what the lines make, or what the
/// tables hold.
#[derive(Default)]
struct Derived {
    /// (entry, its interest's declaration).
    interests: BTreeSet<(EntryId, EntryId)>,
    /// (folded counterparty, standing version).
    standing: BTreeSet<(String, EntryId)>,
    /// (member, kind, entry).
    member_rows: BTreeSet<(MemberId, String, EntryId)>,
    /// (declaration decided on, determination).
    determinations: BTreeSet<(EntryId, EntryId)>,
    /// Each declaration-family entry's root, to find an amendment's, withdrawal's or
    /// retraction's (the lines come in chain order).
    roots: HashMap<EntryId, EntryId>,
}

impl Derived {
    /// Adds what accepted entry `e` makes.
    fn add(&mut self, e: &Entry) {
        let f = Facts::of(e);
        let root = match f.root {
            None => None,
            Some(Root::Own) => Some(e.id),
            // A target not held is reported by the ledger check.
            Some(Root::OfTarget(t)) => self.roots.get(&t).copied(),
        };
        if let Some(root) = root {
            self.roots.insert(e.id, root);
            self.interests.insert((e.id, root));
        }
        if let Some(c) = f.standing {
            self.standing.insert((c, e.id));
        }
        if let Some(k) = f.member_kind {
            self.member_rows.insert((e.member, k.to_string(), e.id));
        }
        if let Some(d) = f.decides {
            self.determinations.insert((d, e.id));
        }
    }

    /// What the tables hold; rows that name no entry (or no member) are problems of `c`.
    fn held(conn: &Connection, c: &mut StoreCheck) -> Result<Derived> {
        let mut d = Derived::default();
        let id = |b: Option<Vec<u8>>| b.map(|b| hash(&b)).transpose();
        {
            let mut st = conn.prepare(
                "SELECT i.entry, e.id, r.id FROM interests i LEFT JOIN entries e ON e.rowid = i.entry
                 LEFT JOIN entries r ON r.rowid = i.root",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                match (id(r.get(1)?)?, id(r.get(2)?)?) {
                    (Some(e), Some(root)) => {
                        d.interests.insert((e, root));
                    }
                    _ => c.problem(format!(
                        "interests row of entry row {} names no entry or no root",
                        r.get::<_, i64>(0)?
                    )),
                }
            }
        }
        {
            let mut st = conn.prepare(
                "SELECT s.counterparty, s.entry, e.id FROM standing s LEFT JOIN entries e ON e.rowid = s.entry",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                match id(r.get(2)?)? {
                    Some(e) => {
                        d.standing.insert((r.get(0)?, e));
                    }
                    None => c.problem(format!(
                        "standing row of entry row {} names no entry",
                        r.get::<_, i64>(1)?
                    )),
                }
            }
        }
        {
            let mut st = conn.prepare(
                "SELECT x.entry, m.member, x.kind, e.id FROM member_rows x LEFT JOIN members m ON m.no = x.member
                 LEFT JOIN entries e ON e.rowid = x.entry",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                match (id(r.get(1)?)?, id(r.get(3)?)?) {
                    (Some(m), Some(e)) => {
                        d.member_rows.insert((m, r.get(2)?, e));
                    }
                    _ => c.problem(format!(
                        "member_rows row of entry row {} names no entry or no member",
                        r.get::<_, i64>(0)?
                    )),
                }
            }
        }
        {
            let mut st = conn.prepare(
                "SELECT d.declaration, d.entry, e.id FROM determinations d LEFT JOIN entries e ON e.rowid = d.entry",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                match (id(r.get(0)?)?, id(r.get(2)?)?) {
                    (Some(decl), Some(e)) => {
                        d.determinations.insert((decl, e));
                    }
                    _ => c.problem(format!(
                        "determinations row of entry row {} names no entry",
                        r.get::<_, i64>(1)?
                    )),
                }
            }
        }
        Ok(d)
    }

    /// Reports every row one of `self` (the lines) and `held` (the tables) has and the other
    /// has not.
    fn compare(&self, held: &Derived, c: &mut StoreCheck) {
        for (e, root) in self.interests.difference(&held.interests) {
            c.problem(format!(
                "entry {} of interest {} is missing from the interests table (or has another root there)",
                e.fingerprint(),
                root.fingerprint()
            ));
        }
        for (e, root) in held.interests.difference(&self.interests) {
            c.problem(format!(
                "the interests table puts entry {} in interest {}, which its chain does not",
                e.fingerprint(),
                root.fingerprint()
            ));
        }
        for (cp, e) in self.standing.difference(&held.standing) {
            c.problem(format!(
                "standing version {} (counterparty {cp:?}) is missing from the standing table",
                e.fingerprint()
            ));
        }
        for (cp, e) in held.standing.difference(&self.standing) {
            c.problem(format!(
                "the standing table lists entry {} with counterparty {cp:?}, which its line does not say",
                e.fingerprint()
            ));
        }
        for (m, k, e) in self.member_rows.difference(&held.member_rows) {
            c.problem(format!(
                "{k} {} of member {} is missing from the member_rows table",
                e.fingerprint(),
                m.fingerprint()
            ));
        }
        for (m, k, e) in held.member_rows.difference(&self.member_rows) {
            c.problem(format!(
                "the member_rows table lists entry {} as a {k} of member {}, which its line does not say",
                e.fingerprint(),
                m.fingerprint()
            ));
        }
        for (d, e) in self.determinations.difference(&held.determinations) {
            c.problem(format!(
                "determination {} on {} is missing from the determinations table",
                e.fingerprint(),
                d.fingerprint()
            ));
        }
        for (d, e) in held.determinations.difference(&self.determinations) {
            c.problem(format!(
                "the determinations table lists entry {} as deciding on {}, which its line does not say",
                e.fingerprint(),
                d.fingerprint()
            ));
        }
    }
}
