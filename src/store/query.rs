//! Reading the store: entries, chains, live declarations, forks, exports and checks.

use std::collections::HashMap;
use std::io::Write;

use rusqlite::params;

use super::{
    hash, head_of, head_row, member_no, parse_stored, Current, ForkRecord, MemberHead, Store,
    StoredEntry,
};
use crate::display::escape;
use crate::error::{Damage, Error, Result};
use crate::hash::Hash32;
use crate::keys::MemberId;

/// `coi conflicts --matter M [--member N]`: (target rowid, line) of the live declarations and
/// no-conflict statements naming matter `?1`, then the live standing declarations; `?2` is a member
/// number or NULL.
const QUERY_CONFLICTS_MATTER: &str =
    "SELECT e.target, t.line FROM matters x JOIN entries e ON e.rowid = x.entry JOIN lines t ON t.rowid = e.rowid
     WHERE x.matter = ?1 AND (?2 IS NULL OR e.member = ?2)
       AND (e.kind = 'no-conflict' OR EXISTS (SELECT 1 FROM live v WHERE v.member = e.member AND v.entry = e.rowid))
     UNION ALL
     SELECT e.target, t.line FROM live l JOIN entries e ON e.rowid = l.entry JOIN lines t ON t.rowid = e.rowid
     WHERE l.standing = 1 AND (?2 IS NULL OR l.member = ?2)";
/// `coi conflicts --member N`: (target rowid, line) of member number `?1`'s live declarations.
const QUERY_CONFLICTS_MEMBER: &str =
    "SELECT e.target, t.line FROM live l JOIN entries e ON e.rowid = l.entry JOIN lines t ON t.rowid = e.rowid WHERE l.member = ?1";
/// `coi log --member N [-n K]`: (rowid, line) of member number `?1`'s last `?2` entries, newest
/// first.
const QUERY_LOG_MEMBER: &str =
    "SELECT e.rowid, t.line FROM entries e JOIN lines t ON t.rowid = e.rowid
     WHERE e.member = ?1 ORDER BY e.seq DESC LIMIT ?2";

/// The fewest hex characters that name an entry or a member.
const MIN_PREFIX: usize = 8;

/// How people may write an id, or the start of one, to name an entry or a member: one set of
/// rules, with parameters where entry and member ids have always been read differently.
struct IdSyntax {
    /// Dashes are dropped first, so that a fingerprint (`0123-4567-89ab-cdef`) is a prefix.
    dashes: bool,
    /// The most hex characters accepted.
    max: usize,
}

/// Entry ids: 8 to 64 lowercase hex characters.
const ENTRY_ID: IdSyntax = IdSyntax {
    dashes: false,
    max: 64,
};
/// Member ids: 8 or more lowercase hex characters once dashes are dropped (more than 64 name no
/// member).
const MEMBER_ID: IdSyntax = IdSyntax {
    dashes: true,
    max: usize::MAX,
};

impl IdSyntax {
    /// The lowercase hex prefix that `text` (surrounding blanks ignored) stands for, if it
    /// follows these rules.
    fn prefix(&self, text: &str) -> Option<String> {
        let text = text.trim();
        let hex: String = if self.dashes {
            text.chars().filter(|c| *c != '-').collect()
        } else {
            text.to_string()
        };
        let ok = (MIN_PREFIX..=self.max).contains(&hex.len())
            && hex
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
        ok.then_some(hex)
    }
}

/// The least and the greatest 32-byte id that start with `prefix` (lowercase hex, at most 64
/// characters: what [`IdSyntax::prefix`] returns for entry ids).
fn id_range(prefix: &str) -> ([u8; 32], [u8; 32]) {
    let (mut lo, mut hi) = ([0u8; 32], [0xffu8; 32]);
    for (i, c) in prefix.bytes().take(64).enumerate() {
        let nibble = (c as char).to_digit(16).unwrap_or(0) as u8;
        let shift = if i % 2 == 0 { 4 } else { 0 };
        lo[i / 2] |= nibble << shift;
        hi[i / 2] = (hi[i / 2] & !(0x0f << shift)) | (nibble << shift);
    }
    (lo, hi)
}

impl Store {
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
        let text = id_or_prefix.trim();
        let Some(prefix) = ENTRY_ID.prefix(text) else {
            return Err(Error::NotAnEntryId { text: escape(text) });
        };
        let (lo, hi) = id_range(&prefix);
        let mut st = self.conn.prepare_cached(
            "SELECT e.rowid, e.id, t.line FROM entries e JOIN lines t ON t.rowid = e.rowid WHERE e.idp >= ?1 AND e.idp <= ?2 AND e.id >= ?3 AND e.id <= ?4 LIMIT 2",
        )?;
        let rows: Vec<(i64, Vec<u8>, String)> = st
            .query_map(params![&lo[..8], &hi[..8], &lo[..], &hi[..]], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        match rows.as_slice() {
            [] => Err(Error::EntryNotFound { prefix }),
            [(rowid, _, line)] => Ok(StoredEntry {
                rowid: *rowid,
                entry: parse_stored(line)?,
            }),
            several => Err(Error::AmbiguousEntry {
                prefix,
                candidates: several
                    .iter()
                    .map(|(_, id, _)| hash(id))
                    .collect::<Result<_>>()?,
            }),
        }
    }

    /// Finds a member by its 64-character id, its fingerprint, or a hex prefix of at least 8
    /// characters (dashes ignored) that only one member held starts with.
    ///
    /// A full id is the member's whether or not the store holds any of its chain.
    pub fn resolve_member(&self, text: &str) -> Result<MemberId> {
        let Some(prefix) = MEMBER_ID.prefix(text) else {
            return Err(Error::NotAMemberId { text: escape(text) });
        };
        if let Some(m) = Hash32::from_hex(&prefix) {
            return Ok(m);
        }
        let hits = self.members_with_prefix(&prefix, 2)?;
        match hits.as_slice() {
            [one] => Ok(*one),
            [] => Err(Error::MemberNotFound { text: escape(text) }),
            _ => Err(Error::AmbiguousMember {
                text: escape(text),
                candidates: hits,
            }),
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
                    return Err(Error::Corrupt(Damage::EndlessAmendments));
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
        let more = report.problem_total() - report.problems.len() as u64;
        if more > 0 {
            problems.push(format!(
                "{more} more problems of the chains (counted, not shown)"
            ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{Data, Profile};
    use crate::keys::SecretKey;

    fn profile(name: &str) -> Data {
        Data::Profile(Profile {
            name: name.into(),
            capacity: None,
            affiliation: None,
        })
    }

    /// A store holding one real member (Ada) and two members (rows only) whose ids share their
    /// first 8 hex characters, `abcdef01`.
    fn store_with_members() -> (Store, MemberId) {
        let mut store = Store::open_in_memory().unwrap();
        let key = SecretKey::from_seed(&[3; 32]);
        let ada = key.public().member_id();
        store.append(&key, &ada, profile("Ada")).unwrap();
        for tail in [0x11u8, 0x22] {
            let mut id = [tail; 32];
            id[..4].copy_from_slice(&[0xab, 0xcd, 0xef, 0x01]);
            store
                .conn
                .execute(
                    "INSERT INTO members (member, key, head_seq, head_id, head_time, name)
                     VALUES (?1, ?2, 1, ?3, '2026-01-01T00:00:00Z', NULL)",
                    params![&id[..], key.public().to_bytes(), &[0u8; 32][..]],
                )
                .unwrap();
        }
        (store, ada)
    }

    fn message(r: Result<impl std::fmt::Debug>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn resolve_member_takes_ids_fingerprints_and_unique_prefixes() {
        let (store, ada) = store_with_members();
        let hex = ada.to_hex();
        assert_eq!(store.resolve_member(&hex).unwrap(), ada);
        assert_eq!(store.resolve_member(&format!("  {hex}\n")).unwrap(), ada);
        assert_eq!(store.resolve_member(&ada.fingerprint()).unwrap(), ada);
        assert_eq!(store.resolve_member(&hex[..8]).unwrap(), ada);
        assert_eq!(store.resolve_member(&hex[..13]).unwrap(), ada);
        // A full id is taken as it is, held or not.
        let stranger = Hash32::from_bytes([0x42; 32]);
        assert_eq!(store.resolve_member(&stranger.to_hex()).unwrap(), stranger);
        let mut two = [0x22; 32];
        two[..4].copy_from_slice(&[0xab, 0xcd, 0xef, 0x01]);
        assert_eq!(
            store.resolve_member("abcd-ef01-2222").unwrap(),
            Hash32::from_bytes(two)
        );
    }

    #[test]
    fn resolve_member_refusals() {
        let (store, _) = store_with_members();
        let not_id = |t: &str| {
            format!("\"{t}\" is not a member id: give the 64-character id, its fingerprint, or at least 8 hex characters of it")
        };
        assert_eq!(message(store.resolve_member("abcdef0")), not_id("abcdef0"));
        assert_eq!(
            message(store.resolve_member("ABCDEF01")),
            not_id("ABCDEF01")
        );
        assert_eq!(
            message(store.resolve_member("abcdefgh")),
            not_id("abcdefgh")
        );
        assert_eq!(message(store.resolve_member("")), not_id(""));
        assert_eq!(
            message(store.resolve_member("abc\u{1b}defgh")),
            not_id("abc\\u{001B}defgh")
        );
        assert!(matches!(
            store.resolve_member("abcd-ef01"),
            Err(Error::AmbiguousMember { ref candidates, .. }) if candidates.len() == 2
        ));
        assert_eq!(
            message(store.resolve_member("abcd-ef01")),
            "abcd-ef01 matches several members; give more characters"
        );
        assert_eq!(
            message(store.resolve_member(" 12345678")),
            "no entry member  12345678 in the store"
        );
        // Longer than an id: no member starts with it.
        let long = format!("{}0", "a".repeat(64));
        assert!(matches!(
            store.resolve_member(&long),
            Err(Error::MemberNotFound { .. })
        ));
    }

    #[test]
    fn find_takes_ids_and_unique_prefixes() {
        let mut store = Store::open_in_memory().unwrap();
        let key = SecretKey::from_seed(&[4; 32]);
        let me = key.public().member_id();
        let e = store.append(&key, &me, profile("Ada")).unwrap();
        let hex = e.id.to_hex();
        for text in [
            hex.clone(),
            format!(" {hex} "),
            hex[..8].to_string(),
            hex[..9].to_string(),
        ] {
            assert_eq!(store.find(&text).unwrap().entry.id, e.id);
        }
        let not_id = |t: &str| {
            format!("\"{t}\" is not an entry id: give at least 8 lowercase hex characters of it")
        };
        assert_eq!(message(store.find(&hex[..7])), not_id(&hex[..7]));
        assert_eq!(message(store.find(" ABCDEF01 ")), not_id("ABCDEF01"));
        assert_eq!(
            message(store.find(&e.id.fingerprint())),
            not_id(&e.id.fingerprint())
        );
        assert_eq!(
            message(store.find(&format!("{hex}0"))),
            not_id(&format!("{hex}0"))
        );
        let other = if hex.starts_with('f') {
            "00000000"
        } else {
            "ffffffff"
        };
        assert_eq!(
            message(store.find(other)),
            format!("no entry {other} in the store")
        );
        // Two entries (rows only) whose ids share a prefix.
        for (rowid, tail) in [(10, 0x11u8), (11, 0x22)] {
            let mut id = [tail; 32];
            id[..4].copy_from_slice(&[0xab, 0xcd, 0xef, 0x01]);
            store
                .conn
                .execute_batch(&format!(
                    "INSERT INTO entries (rowid, id, member, seq, kind, time) VALUES ({rowid}, x'{}', 99, {rowid}, 'profile', '');
                     INSERT INTO lines (rowid, line) VALUES ({rowid}, 'not a line');",
                    hex::encode(id)
                ))
                .unwrap();
        }
        assert!(matches!(
            store.find("abcdef01"),
            Err(Error::AmbiguousEntry { ref candidates, .. }) if candidates.len() == 2
        ));
        assert_eq!(
            message(store.find("abcdef01")),
            "abcdef01 matches more than one entry; give more characters"
        );
    }

    #[test]
    fn id_range_bounds_the_ids_with_a_prefix() {
        for p in [
            "abcdef01",
            "abcdef012",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            let (lo, hi) = id_range(p);
            // The ids starting with p: p padded with 0s, and with fs.
            let pad = |c: &str| hex::decode(format!("{p}{}", c.repeat(64 - p.len()))).unwrap();
            assert_eq!(lo.to_vec(), pad("0"), "{p}");
            assert_eq!(hi.to_vec(), pad("f"), "{p}");
        }
    }

    /// The queries behind `coi conflicts` and `coi log --member` find their rows through indexes.
    /// The store keeps no statistics (no ANALYZE), so SQLite plans them the same on an empty store
    /// as on a large one.
    #[test]
    fn query_plans_use_indexes() {
        let store = Store::open_in_memory().unwrap();
        let queries = [
            ("conflicts --matter", QUERY_CONFLICTS_MATTER),
            ("conflicts --member", QUERY_CONFLICTS_MEMBER),
            ("log --member", QUERY_LOG_MEMBER),
        ];
        for (name, sql) in queries {
            let mut st = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let nulls = vec![rusqlite::types::Null; st.parameter_count()];
            let steps: Vec<String> = st
                .query_map(rusqlite::params_from_iter(nulls), |r| r.get(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            // "SCAN t" reads a whole table; "SCAN t USING INDEX i" a whole index (fine for the
            // partial index of standing declarations only); "SCAN (subquery-1)" reads a
            // subquery's own (already selected) rows.
            let scans: Vec<&String> = steps
                .iter()
                .filter(|s| {
                    s.starts_with("SCAN")
                        && !s.contains("live_standing")
                        && !s.contains("(subquery")
                })
                .collect();
            assert!(scans.is_empty(), "{name} scans a table: {steps:?}");
            assert!(
                steps.iter().any(|s| s.starts_with("SEARCH")),
                "{name} uses no index: {steps:?}"
            );
        }
    }
}
