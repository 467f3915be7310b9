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

/// `coi conflicts --member N`: the lines of member number `?1`'s entries that the register
/// folds (spec §6), in chain order.
const QUERY_REGISTER_MEMBER: &str =
    "SELECT t.line FROM entries e JOIN lines t ON t.rowid = e.rowid
     WHERE e.member = ?1 AND e.kind IN ('profile', 'declaration', 'amend', 'withdraw', 'retract', 'no-conflict', 'reaffirm')
     ORDER BY e.seq";
/// `coi conflicts`: the same for every member, in order of arrival (each chain in order).
const QUERY_REGISTER_ALL: &str =
    "SELECT t.line FROM entries e JOIN lines t ON t.rowid = e.rowid
     WHERE e.kind IN ('profile', 'declaration', 'amend', 'withdraw', 'retract', 'no-conflict', 'reaffirm')
     ORDER BY e.rowid";
/// `coi log --member N [--limit K]`: (rowid, line) of member number `?1`'s last `?2` entries,
/// in chain order.
const QUERY_LOG_MEMBER: &str =
    "SELECT e.rowid, t.line FROM entries e JOIN lines t ON t.rowid = e.rowid
     WHERE e.member = ?1 ORDER BY e.seq
     LIMIT -1 OFFSET max(0, (SELECT head_seq FROM members WHERE no = ?1) - ?2)";

/// The fewest hex characters that name an entry or a member.
const MIN_PREFIX: usize = 8;

/// How people may write an id, or the start of one, to name an entry or a member: one set of
/// rules, with parameters where entry and member ids have always been read differently.
///
/// Ids are accepted in every form `coi` prints them: full hex, a fingerprint with dashes
/// (`0123-4567-89ab-cdef`), any prefix of either of at least [`MIN_PREFIX`] hex characters, in
/// either case.
struct IdSyntax {
    /// The most hex characters accepted.
    max: usize,
}

/// Entry ids: 8 to 64 hex characters once dashes are dropped.
const ENTRY_ID: IdSyntax = IdSyntax { max: 64 };
/// Member ids: 8 or more hex characters once dashes are dropped (more than 64 name no member).
const MEMBER_ID: IdSyntax = IdSyntax { max: usize::MAX };

impl IdSyntax {
    /// The lowercase hex prefix that `text` (surrounding blanks ignored) stands for, if it
    /// follows these rules.
    fn prefix(&self, text: &str) -> Option<String> {
        let hex: String = text
            .trim()
            .chars()
            .filter(|c| *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let ok = (MIN_PREFIX..=self.max).contains(&hex.len())
            && hex
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
        ok.then_some(hex)
    }
}

/// The lowercase hex prefix that `text` stands for as an entry id in every form `coi` prints
/// ids (full hex, a fingerprint with dashes, a prefix of at least 8 hex characters, any case);
/// `None` if it is none of them.
pub fn entry_id_prefix(text: &str) -> Option<String> {
    ENTRY_ID.prefix(text)
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
        const QUERIES: [&str; 13] = [
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
            "SELECT e.id, r.id FROM interests i JOIN entries e ON e.rowid = i.entry
             JOIN entries r ON r.rowid = i.root ORDER BY 1",
            "SELECT s.counterparty, e.id FROM standing s JOIN entries e ON e.rowid = s.entry ORDER BY 1, 2",
            "SELECT m.member, x.kind, e.id FROM member_rows x JOIN members m ON m.no = x.member
             JOIN entries e ON e.rowid = x.entry ORDER BY 1, 2, 3",
            "SELECT d.declaration, e.id FROM determinations d JOIN entries e ON e.rowid = d.entry ORDER BY 1, 2",
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

    /// Each member's latest profile (for listings such as `coi members`; no key checks).
    ///
    /// Walks each chain back from its head to its latest profile: at worst the whole store.
    pub fn profiles(&self) -> Result<HashMap<MemberId, crate::entry::Profile>> {
        let mut st = self.conn.prepare(
            "SELECT m.member, t.line FROM members m JOIN lines t ON t.rowid =
               (SELECT e.rowid FROM entries e WHERE e.member = m.no AND e.kind = 'profile'
                ORDER BY e.seq DESC LIMIT 1)",
        )?;
        let rows = st.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (m, line) = row?;
            if let crate::entry::Data::Profile(p) = parse_stored(&line)?.data {
                out.insert(hash(&m)?, p);
            }
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
    /// Holds them all; [`Store::log_each`] streams.
    pub fn log(&self, member: Option<&MemberId>, limit: Option<u64>) -> Result<Vec<StoredEntry>> {
        let mut out = Vec::new();
        self.log_each(member, limit, |e| {
            out.push(e);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `f` with each entry in the order the store received them (a member's in chain
    /// order), optionally of one member only, optionally only the last `limit`; one entry in
    /// memory at a time.
    pub fn log_each(
        &self,
        member: Option<&MemberId>,
        limit: Option<u64>,
        mut f: impl FnMut(StoredEntry) -> Result<()>,
    ) -> Result<()> {
        let limit = limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let mut st;
        let mut rows = match member {
            Some(m) => {
                let Some(no) = member_no(&self.conn, m)? else {
                    return Ok(());
                };
                st = self.conn.prepare_cached(QUERY_LOG_MEMBER)?;
                st.query(params![no, limit])?
            }
            None => {
                st = self.conn.prepare_cached(
                    "SELECT rowid, line FROM lines ORDER BY rowid
                     LIMIT -1 OFFSET max(0, (SELECT count(*) FROM lines) - ?1)",
                )?;
                st.query(params![limit])?
            }
        };
        while let Some(r) = rows.next()? {
            let line: String = r.get(1)?;
            f(StoredEntry {
                rowid: r.get(0)?,
                entry: parse_stored(&line)?,
            })?;
        }
        Ok(())
    }

    /// The declarations in force now, optionally of one member and/or about one matter (a
    /// standing declaration is about every matter), with the nil returns on that matter (with
    /// no matter: the standing ones). Ordered by member, then seq. See [`Store::register`] and
    /// [`crate::register::Register::standing`] for any other point in time.
    pub fn conflicts(
        &self,
        member: Option<&MemberId>,
        matter: Option<&crate::entry::Matter>,
    ) -> Result<Vec<Current>> {
        if let Some(m) = matter {
            return self.conflicts_on(member, m);
        }
        let register = self.register(member)?;
        let point = crate::register::Point::at_time(crate::entry::Timestamp::now());
        super::register::current_at(&register, &point, None, |id| {
            Ok(self.find(&id.to_hex())?.entry)
        })
    }

    /// The register (spec §6) of `member`, or of every member: every declaration with its
    /// versions and end, nil returns, reaffirmations and profiles, folded from the entries held,
    /// read one at a time in chain order. Each member's head is the chain head the store holds.
    pub fn register(&self, member: Option<&MemberId>) -> Result<crate::register::Register> {
        let no = match member {
            Some(m) => match member_no(&self.conn, m)? {
                Some(no) => Some(no),
                None => return Ok(crate::register::Register::new()),
            },
            None => None,
        };
        let mut st = match no {
            Some(_) => self.conn.prepare_cached(QUERY_REGISTER_MEMBER)?,
            None => self.conn.prepare_cached(QUERY_REGISTER_ALL)?,
        };
        let mut rows = match no {
            Some(no) => st.query([no])?,
            None => st.query([])?,
        };
        let mut register = crate::register::Register::new();
        while let Some(r) = rows.next()? {
            let line: String = r.get(0)?;
            register.push(&parse_stored(&line)?);
        }
        if register.orphans() > 0 {
            return Err(Error::Corrupt(Damage::Orphans(register.orphans())));
        }
        super::register::set_heads(
            &self.conn,
            &mut register,
            no.as_ref().map(std::slice::from_ref),
        )?;
        Ok(register)
    }

    /// Whether any entry held names `matter` (a declaration, amendment, nil return, vote or
    /// determination): a matter nobody mentions is probably a typo.
    pub fn matter_known(&self, matter: &crate::entry::Matter) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM matters WHERE matter = ?1 LIMIT 1")?
            .exists([matter.as_str()])?)
    }

    /// Writes the chains of `members` (all members if `None`) in order of arrival, one line each.
    /// Returns the number of lines written.
    ///
    /// The lines are verified first, as the ledger a reader will verify (spec §5): a store whose
    /// lines were changed behind its back (the SQLite file edited, a disk fault) is refused rather
    /// than published ([`Damage::ExportDoesNotVerify`]; `coi fsck` says more).
    pub fn export(&self, members: Option<&[MemberId]>, out: &mut dyn Write) -> Result<u64> {
        let report = self.verify_export(members)?;
        if let Some(p) = report.problems.first() {
            return Err(Error::Corrupt(Damage::ExportDoesNotVerify {
                problems: report.problems.len() as u64,
                first: format!("stored line {}: {}: {}", p.line, p.class, p.message),
            }));
        }
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

    /// The problems [`Store::check`] finds, as text (empty if the store is sound; at most
    /// [`super::MAX_CHECK_PROBLEMS`], then one line counting the rest).
    pub fn check_integrity(&self) -> Result<Vec<String>> {
        let c = self.check()?;
        let mut problems = c.problems.clone();
        if c.total > problems.len() as u64 {
            problems.push(format!(
                "and {} more problems",
                c.total - problems.len() as u64
            ));
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
        // Upper case is a member id's prefix like any other: here an ambiguous one, which
        // names the candidates.
        let two = message(store.resolve_member("ABCDEF01"));
        assert!(
            two.starts_with("ABCDEF01 matches several members (among them abcd-ef01-")
                && two.contains(", abcd-ef01-")
                && two.ends_with("); give more characters"),
            "{two}"
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
            "abcd-ef01 matches several members (among them abcd-ef01-1111-1111, abcd-ef01-2222-2222); give more characters"
        );
        assert_eq!(
            message(store.resolve_member(" 12345678")),
            "no member  12345678 in the store"
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
        // Every form `coi` prints an id in: full, a fingerprint with dashes, prefixes, any case.
        for text in [
            hex.clone(),
            format!(" {hex} "),
            hex[..8].to_string(),
            hex[..9].to_string(),
            hex.to_ascii_uppercase(),
            e.id.fingerprint(),
            e.id.fingerprint()[..9].to_string(),
            e.id.fingerprint().to_ascii_uppercase(),
        ] {
            assert_eq!(store.find(&text).unwrap().entry.id, e.id, "{text}");
        }
        let not_id = |t: &str| {
            format!("\"{t}\" is not an entry id: give its id, its fingerprint, or at least 8 hex characters of either")
        };
        assert_eq!(message(store.find(&hex[..7])), not_id(&hex[..7]));
        assert_eq!(message(store.find(" ABCDEFG1 ")), not_id("ABCDEFG1"));
        assert_eq!(message(store.find("abcd-ef0")), not_id("abcd-ef0"));
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
            "abcdef01 matches more than one entry (among them abcd-ef01-1111-1111, abcd-ef01-2222-2222); give more characters"
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

    /// The queries behind `coi conflicts --member` and `coi log --member` find their rows through
    /// indexes (`coi conflicts` of every member reads every entry, in order).
    /// The store keeps no statistics (no ANALYZE), so SQLite plans them the same on an empty store
    /// as on a large one.
    #[test]
    fn query_plans_use_indexes() {
        let store = Store::open_in_memory().unwrap();
        let queries = [
            ("conflicts --member", QUERY_REGISTER_MEMBER),
            ("log --member", QUERY_LOG_MEMBER),
        ];
        for (name, sql) in queries {
            let steps = store.query_plan(sql);
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
