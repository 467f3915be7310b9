//! The register of one matter from the store's derived tables (schema/store-003.sql): which
//! entries a matter's register needs, found without parsing lines, then fed to the pure
//! [`Register`] in chain order. Also how those derived rows are written (append, import,
//! migration) and what they must be for a line (`coi fsck`).

use std::collections::{BTreeSet, HashMap, HashSet};

use rusqlite::{params, CachedStatement, Connection, OptionalExtension};

use super::{hash, member_no, parse_stored, Current, Store};
use crate::entry::{Data, Entry, EntryId, Matter, Scope, Timestamp};
use crate::error::{Damage, Error, Result};
use crate::keys::MemberId;
use crate::register::{Mark, Register};

/// `member_rows.kind` of a standing nil return.
const NIL: &str = "no-conflict";
/// `member_rows.kind` of a reaffirmation.
const REAFFIRM: &str = "reaffirm";
/// `member_rows.kind` of a profile.
const PROFILE: &str = "profile";

/// Roots (and members) of the interests with a version specific on matter `?1`.
const QUERY_ROOTS_ON: &str =
    "SELECT i.root, e.member FROM matters x JOIN interests i ON i.entry = x.entry
     JOIN entries e ON e.rowid = x.entry WHERE x.matter = ?1";
/// Roots (and members) of the interests with a standing version whose counterparty folds to `?1`.
const QUERY_ROOTS_WITH: &str =
    "SELECT i.root, e.member FROM standing s JOIN interests i ON i.entry = s.entry
     JOIN entries e ON e.rowid = s.entry WHERE s.counterparty = ?1";
/// The entries (rowid, kind, time) of the interest whose declaration is rowid `?1`.
const QUERY_INTEREST: &str =
    "SELECT i.entry, e.kind, e.time FROM interests i JOIN entries e ON e.rowid = i.entry
     WHERE i.root = ?1";
/// The specific nil returns (rowid, member) that name matter `?1`.
const QUERY_NILS_ON: &str =
    "SELECT x.entry, e.member FROM matters x JOIN entries e ON e.rowid = x.entry
     WHERE x.matter = ?1 AND e.kind = 'no-conflict'";
/// Member number `?1`'s entries of kind `?2` among its standing nil returns, reaffirmations and
/// profiles.
const QUERY_MEMBER_ROWS: &str = "SELECT entry FROM member_rows WHERE member = ?1 AND kind = ?2";
/// Member number `?1`'s latest profile.
const QUERY_LATEST_PROFILE: &str =
    "SELECT max(entry) FROM member_rows WHERE member = ?1 AND kind = 'profile'";
/// The lines of the entries that name matter `?1`, in store order.
const QUERY_NAMING: &str = "SELECT t.line FROM matters x JOIN lines t ON t.rowid = x.entry
     WHERE x.matter = ?1 ORDER BY x.entry";
/// The determinations deciding on the declaration with id `?1`.
const QUERY_DECIDING: &str = "SELECT entry FROM determinations WHERE declaration = ?1";

/// Which interest a declaration-family entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Root {
    /// A `declaration`: its own.
    Own,
    /// An `amend`, `withdraw` or `retract`: its target's.
    OfTarget(EntryId),
}

/// The derived rows of schema version 3 that one entry implies, read from its data alone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Facts {
    /// The entry's interest, if it is of the declaration family.
    pub root: Option<Root>,
    /// A standing version's counterparty, folded to ASCII lowercase.
    pub standing: Option<String>,
    /// Its `member_rows` kind: a standing nil return, a reaffirmation or a profile.
    pub member_kind: Option<&'static str>,
    /// The declaration a determination decides on.
    pub decides: Option<EntryId>,
}

/// What `coi check` and the store call the same counterparty: equal once ASCII letters are
/// folded to lowercase.
fn fold(counterparty: &str) -> String {
    counterparty.to_ascii_lowercase()
}

impl Facts {
    pub(super) fn of(e: &Entry) -> Facts {
        let mut f = Facts::default();
        match &e.data {
            Data::Declaration(_) => f.root = Some(Root::Own),
            Data::Amend { target, .. } => f.root = Some(Root::OfTarget(*target)),
            Data::Withdraw(w) => f.root = Some(Root::OfTarget(w.target)),
            Data::Retract(r) => f.root = Some(Root::OfTarget(r.target)),
            Data::NoConflict(n) if n.scope == Scope::Standing => f.member_kind = Some(NIL),
            Data::Reaffirm(_) => f.member_kind = Some(REAFFIRM),
            Data::Profile(_) => f.member_kind = Some(PROFILE),
            Data::Determination(d) => f.decides = Some(d.declaration),
            _ => {}
        }
        if let Some(d) = e.data.declaration().filter(|d| d.scope == Scope::Standing) {
            f.standing = Some(fold(&d.counterparty));
        }
        f
    }
}

/// The statements that write an entry's derived rows of schema version 3.
pub(super) struct Derived<'c> {
    root_of: CachedStatement<'c>,
    interest: CachedStatement<'c>,
    standing: CachedStatement<'c>,
    member_row: CachedStatement<'c>,
    determination: CachedStatement<'c>,
}

impl<'c> Derived<'c> {
    pub(super) fn new(conn: &'c Connection) -> Result<Derived<'c>> {
        Ok(Derived {
            root_of: conn.prepare_cached("SELECT root FROM interests WHERE entry = ?1")?,
            interest: conn.prepare_cached("INSERT INTO interests (entry, root) VALUES (?1, ?2)")?,
            standing: conn
                .prepare_cached("INSERT INTO standing (counterparty, entry) VALUES (?1, ?2)")?,
            member_row: conn.prepare_cached(
                "INSERT INTO member_rows (member, kind, entry) VALUES (?1, ?2, ?3)",
            )?,
            determination: conn.prepare_cached(
                "INSERT INTO determinations (declaration, entry) VALUES (?1, ?2)",
            )?,
        })
    }

    /// Writes the derived rows of entry `e`, stored under `rowid`, of member number `no`;
    /// `target` is the rowid of its own target (amend, withdraw, retract), which is held.
    pub(super) fn insert(
        &mut self,
        e: &Entry,
        rowid: i64,
        no: i64,
        target: Option<i64>,
    ) -> Result<()> {
        let f = Facts::of(e);
        if let Some(root) = f.root {
            let root = match (root, target) {
                (Root::Own, _) => rowid,
                (Root::OfTarget(t), Some(target)) => self
                    .root_of
                    .query_row([target], |r| r.get(0))
                    .optional()?
                    .ok_or(Error::Corrupt(Damage::InterestNotHeld(t)))?,
                (Root::OfTarget(t), None) => return Err(Error::Corrupt(Damage::TargetNotHeld(t))),
            };
            self.interest.execute([rowid, root])?;
        }
        if let Some(c) = &f.standing {
            self.standing.execute(params![c, rowid])?;
        }
        if let Some(kind) = f.member_kind {
            self.member_row.execute(params![no, kind, rowid])?;
        }
        if let Some(d) = &f.decides {
            self.determination.execute(params![d.as_bytes(), rowid])?;
        }
        Ok(())
    }
}

/// Fills the derived tables of schema version 3 from the stored lines (the migration from
/// version 2, inside its transaction). Reads only the kinds that have such rows.
pub(super) fn rebuild(conn: &Connection) -> Result<()> {
    let mut derived = Derived::new(conn)?;
    let mut st = conn.prepare(
        "SELECT e.rowid, e.member, e.target, t.line FROM entries e JOIN lines t ON t.rowid = e.rowid
         WHERE e.kind IN ('declaration', 'amend', 'withdraw', 'retract', 'no-conflict', 'reaffirm', 'profile', 'determination')
         ORDER BY e.rowid",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let line: String = r.get(3)?;
        derived.insert(&parse_stored(&line)?, r.get(0)?, r.get(1)?, r.get(2)?)?;
    }
    Ok(())
}

/// The rows a register is fed from, collected by rowid (the order of arrival, each member's
/// chain in order), then read and fed once each.
struct Feed<'s> {
    store: &'s Store,
    /// Member numbers wanted (all if `None`).
    members: Option<HashSet<i64>>,
    rows: BTreeSet<i64>,
}

impl<'s> Feed<'s> {
    fn new(store: &'s Store, members: Option<&[MemberId]>) -> Result<Feed<'s>> {
        let members = match members {
            None => None,
            Some(ms) => {
                let mut set = HashSet::new();
                for m in ms {
                    set.extend(member_no(&store.conn, m)?);
                }
                Some(set)
            }
        };
        Ok(Feed {
            store,
            members,
            rows: BTreeSet::new(),
        })
    }

    fn wants(&self, no: i64) -> bool {
        self.members.as_ref().is_none_or(|w| w.contains(&no))
    }

    /// The numbers of the members wanted that the store holds.
    fn member_nos(&self) -> Result<Vec<i64>> {
        let mut out: Vec<i64> = match &self.members {
            Some(set) => set.iter().copied().collect(),
            None => self
                .store
                .conn
                .prepare_cached("SELECT no FROM members")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?,
        };
        out.sort_unstable();
        Ok(out)
    }

    /// The roots (with their members) that `sql` selects with parameter `p`, of members wanted.
    fn roots(&self, sql: &str, p: &str, roots: &mut BTreeSet<i64>) -> Result<()> {
        let mut st = self.store.conn.prepare_cached(sql)?;
        let mut rows = st.query([p])?;
        while let Some(r) = rows.next()? {
            if self.wants(r.get(1)?) {
                roots.insert(r.get(0)?);
            }
        }
        Ok(())
    }

    /// Every interest with some version specific on `matter`.
    fn roots_on(&self, matter: &Matter, roots: &mut BTreeSet<i64>) -> Result<()> {
        self.roots(QUERY_ROOTS_ON, matter.as_str(), roots)
    }

    /// Every interest with some standing version whose counterparty folds to `folded`.
    fn roots_with(&self, folded: &str, roots: &mut BTreeSet<i64>) -> Result<()> {
        self.roots(QUERY_ROOTS_WITH, folded, roots)
    }

    /// The entries of the interest whose declaration is `root`: (rowid, kind, time).
    fn interest(&self, root: i64) -> Result<Vec<(i64, String, String)>> {
        Ok(self
            .store
            .conn
            .prepare_cached(QUERY_INTEREST)?
            .query_map([root], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Feeds the whole of each interest in `roots`.
    fn interests(&mut self, roots: &BTreeSet<i64>) -> Result<()> {
        for &root in roots {
            for (rowid, _, _) in self.interest(root)? {
                self.rows.insert(rowid);
            }
        }
        Ok(())
    }

    /// The specific nil returns that name `matter`.
    fn nil_returns_on(&mut self, matter: &Matter) -> Result<()> {
        let st = &mut self.store.conn.prepare_cached(QUERY_NILS_ON)?;
        let mut rows = st.query([matter.as_str()])?;
        while let Some(r) = rows.next()? {
            let (rowid, no): (i64, i64) = (r.get(0)?, r.get(1)?);
            if self.wants(no) {
                self.rows.insert(rowid);
            }
        }
        Ok(())
    }

    /// Member `no`'s `member_rows` of `kind`.
    fn member_rows(&mut self, no: i64, kind: &str) -> Result<()> {
        let mut st = self.store.conn.prepare_cached(QUERY_MEMBER_ROWS)?;
        let mut rows = st.query(params![no, kind])?;
        while let Some(r) = rows.next()? {
            self.rows.insert(r.get(0)?);
        }
        Ok(())
    }

    /// Member `no`'s latest profile.
    fn latest_profile(&mut self, no: i64) -> Result<()> {
        let latest: Option<i64> = self
            .store
            .conn
            .prepare_cached(QUERY_LATEST_PROFILE)?
            .query_row([no], |r| r.get(0))?;
        self.rows.extend(latest);
        Ok(())
    }

    /// Reads the rows collected, in order, into a register with the store's heads of the
    /// members wanted; calls `each` with every entry fed.
    fn finish(self, mut each: impl FnMut(&Entry)) -> Result<Register> {
        let mut register = Register::new();
        {
            let mut st = self
                .store
                .conn
                .prepare_cached("SELECT line FROM lines WHERE rowid = ?1")?;
            for rowid in &self.rows {
                let line: String = st.query_row([rowid], |r| r.get(0))?;
                let e = parse_stored(&line)?;
                register.push(&e);
                each(&e);
            }
        }
        if register.orphans() > 0 {
            return Err(Error::Corrupt(Damage::Orphans(register.orphans())));
        }
        let nos = self.member_nos()?;
        set_heads(&self.store.conn, &mut register, Some(&nos))?;
        Ok(register)
    }
}

/// Sets the chain heads the store holds on `register`, of the member numbers `nos` (all members
/// if `None`).
pub(super) fn set_heads(
    conn: &Connection,
    register: &mut Register,
    nos: Option<&[i64]>,
) -> Result<()> {
    let mut set = |r: &rusqlite::Row<'_>| -> Result<()> {
        let member = hash(&r.get::<_, Vec<u8>>(0)?)?;
        let time: String = r.get(3)?;
        register.set_head(
            member,
            Mark {
                id: hash(&r.get::<_, Vec<u8>>(2)?)?,
                seq: r.get(1)?,
                time: Timestamp::parse(&time).map_err(|_| Error::Corrupt(Damage::HeadTime))?,
            },
        );
        Ok(())
    };
    match nos {
        Some(nos) => {
            let mut st = conn.prepare_cached(
                "SELECT member, head_seq, head_id, head_time FROM members WHERE no = ?1",
            )?;
            for no in nos {
                let mut rows = st.query([no])?;
                if let Some(r) = rows.next()? {
                    set(r)?;
                }
            }
        }
        None => {
            let mut st =
                conn.prepare_cached("SELECT member, head_seq, head_id, head_time FROM members")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                set(r)?;
            }
        }
    }
    Ok(())
}

impl Store {
    /// What `coi check` needs about `matter`: a register fed, for each member in `members`
    /// (all members if `None`), in chain order, with
    /// - every interest (all its versions and its end, withdraw or retract) of which some
    ///   version is specific on `matter`, or standing with a counterparty equal,
    ///   ASCII-case-insensitively, to one of `concerns`;
    /// - every nil return that touches `matter` (a specific `no-conflict` naming it, or a
    ///   standing one);
    /// - every reaffirmation, and the latest profile.
    ///
    /// Each of those members' [`crate::register::MemberRecord::head`] is the chain head the
    /// store holds (not the last entry fed), and each has a record even if nothing was fed.
    /// Found through the derived tables: only the lines fed are read.
    pub fn register_for(
        &self,
        matter: &Matter,
        concerns: &[String],
        members: Option<&[MemberId]>,
    ) -> Result<Register> {
        let mut feed = Feed::new(self, members)?;
        let mut roots = BTreeSet::new();
        feed.roots_on(matter, &mut roots)?;
        let mut folded: Vec<String> = concerns.iter().map(|c| fold(c)).collect();
        folded.sort_unstable();
        folded.dedup();
        for c in &folded {
            feed.roots_with(c, &mut roots)?;
        }
        feed.interests(&roots)?;
        feed.nil_returns_on(matter)?;
        for no in feed.member_nos()? {
            feed.member_rows(no, NIL)?;
            feed.member_rows(no, REAFFIRM)?;
            feed.latest_profile(no)?;
        }
        feed.finish(|_| {})
    }

    /// The entries that name `matter` (votes, determinations, declarations, amendments and nil
    /// returns: whatever [`Data::matters`] returns), of any kind, in store order.
    pub fn entries_naming(&self, matter: &Matter) -> Result<Vec<Entry>> {
        let mut st = self.conn.prepare_cached(QUERY_NAMING)?;
        let mut rows = st.query([matter.as_str()])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(parse_stored(&r.get::<_, String>(0)?)?);
        }
        Ok(out)
    }

    /// The determinations whose `declaration` is one of `ids`, in store order.
    pub fn determinations_of(&self, ids: &[EntryId]) -> Result<Vec<Entry>> {
        let mut rowids = BTreeSet::new();
        {
            let mut st = self.conn.prepare_cached(QUERY_DECIDING)?;
            for id in ids {
                let mut rows = st.query([id.as_bytes()])?;
                while let Some(r) = rows.next()? {
                    rowids.insert(r.get::<_, i64>(0)?);
                }
            }
        }
        let mut st = self
            .conn
            .prepare_cached("SELECT line FROM lines WHERE rowid = ?1")?;
        let mut out = Vec::with_capacity(rowids.len());
        for rowid in rowids {
            let line: String = st.query_row([rowid], |r| r.get(0))?;
            out.push(parse_stored(&line)?);
        }
        Ok(out)
    }

    /// [`Store::conflicts`] about a matter, through the derived tables: the register is fed
    /// every interest that can be in force now and about `matter` (some version specific on it,
    /// or standing: a standing declaration is about every matter), unless it ended by an entry
    /// made by now, and every nil return about it; then judged as for every member.
    pub(super) fn conflicts_on(
        &self,
        member: Option<&MemberId>,
        matter: &Matter,
    ) -> Result<Vec<Current>> {
        let now = Timestamp::now();
        let members = member.map(std::slice::from_ref);
        let mut feed = Feed::new(self, members)?;
        if feed.members.as_ref().is_some_and(HashSet::is_empty) {
            return Ok(Vec::new());
        }
        let mut roots = BTreeSet::new();
        feed.roots_on(matter, &mut roots)?;
        {
            let mut st = self.conn.prepare_cached(
                "SELECT i.root, e.member FROM standing s JOIN interests i ON i.entry = s.entry
                 JOIN entries e ON e.rowid = s.entry",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                if feed.wants(r.get(1)?) {
                    roots.insert(r.get(0)?);
                }
            }
        }
        for root in roots {
            let rows = feed.interest(root)?;
            // Withdrawn or retracted by an entry made by now: not in force now, whatever it said.
            let ended = rows.iter().any(|(_, kind, time)| {
                (kind == "withdraw" || kind == "retract") && time.as_str() <= now.as_str()
            });
            if !ended {
                feed.rows
                    .extend(rows.into_iter().map(|(rowid, _, _)| rowid));
            }
        }
        feed.nil_returns_on(matter)?;
        for no in feed.member_nos()? {
            feed.member_rows(no, NIL)?;
        }
        let mut entries: HashMap<EntryId, Entry> = HashMap::new();
        let register = feed.finish(|e| {
            entries.insert(e.id, e.clone());
        })?;
        current_at(
            &register,
            &crate::register::Point::at_time(now),
            Some(matter),
            |id| {
                entries.get(id).cloned().ok_or(Error::EntryNotFound {
                    prefix: id.to_hex(),
                })
            },
        )
    }
}

/// What `coi conflicts` lists from `register` at `point`: the declarations in force about
/// `matter` (every one if `None`) with the versions they replaced, and the nil returns about it,
/// ordered by member and seq. `entry` gives the entry of an id the register holds.
pub(super) fn current_at(
    register: &Register,
    point: &crate::register::Point,
    matter: Option<&Matter>,
    mut entry: impl FnMut(&EntryId) -> Result<Entry>,
) -> Result<Vec<Current>> {
    let mut out = Vec::new();
    for st in register.standing(point, matter) {
        for (interest, state) in &st.interests {
            if !state.is_current() {
                continue;
            }
            let v = state.version();
            let replaces = interest.earlier(v).map(|x| x.mark.id).collect();
            out.push(Current {
                entry: entry(&v.mark.id)?,
                replaces,
            });
        }
        for nil in &st.nil_returns {
            out.push(Current {
                entry: entry(&nil.mark.id)?,
                replaces: Vec::new(),
            });
        }
    }
    out.sort_by_key(|c| (c.entry.member, c.entry.seq));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every query of a matter's register finds its rows through a table's key or an index
    /// (with no statistics in the store, SQLite plans them the same on any store).
    #[test]
    fn query_plans_use_indexes() {
        let store = Store::open_in_memory().unwrap();
        for sql in [
            QUERY_ROOTS_ON,
            QUERY_ROOTS_WITH,
            QUERY_INTEREST,
            QUERY_NILS_ON,
            QUERY_MEMBER_ROWS,
            QUERY_LATEST_PROFILE,
            QUERY_NAMING,
            QUERY_DECIDING,
        ] {
            let steps = store.query_plan(sql);
            assert!(
                steps.iter().all(|s| !s.starts_with("SCAN")),
                "{sql} scans: {steps:?}"
            );
        }
    }
}
