//! Importing ledger files: all or nothing, with bulk mode for large files.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::BufRead;
use std::time::Duration;

use rusqlite::{
    params, CachedStatement, Connection, OptionalExtension, Transaction, TransactionBehavior,
};
use serde::Serialize;

use super::register::Derived;
use super::{enter_wal, hash, head_after, member_no, parse_stored, write_head, ForkRecord, Store};
use crate::chain::{ChainVerifier, Report};
use crate::entry::{Data, Entry, EntryId, Scope, Timestamp};
use crate::error::{Damage, Error, ErrorClass, Result};
use crate::hash::Hash32;
use crate::keys::{MemberId, PublicKey};
use crate::ledger::{verify_stream_entries, Finding, VerifyOptions};

/// The rowid of the entry whose id is `?2` (`?1`: its first 8 bytes).
const ENTRY_ROWID: &str = "SELECT rowid FROM entries WHERE idp = ?1 AND id = ?2";

/// The least number of new entries after which an import defers index upkeep (see `Bulk`).
pub const BULK_MIN: u64 = 10_000;
/// The least size of a file whose import may skip the write-ahead log ([`Store::import_sized`]).
pub const BULK_JOURNAL_BYTES: u64 = 8 << 20;
/// A ledger line's typical size in bytes, to estimate a file's number of entries from its length.
const LINE_BYTES: u64 = 600;
/// The most `fork` lines a file may hold for the store to judge it as a fork proof (spec §5.5).
/// Each is held in memory until the file has been read (at most 65,535 bytes a line).
pub const MAX_FORK_LINES: usize = 256;

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
    /// The file's verification report (bounded: the first [`crate::DETAIL_LIMIT`] problems and
    /// notices, counts of all).
    pub verification: Report,
    /// Whether the file's entries were merged (false if it was invalid, forked the store, or
    /// refused). For a fork proof: the entries its chains took, never its `fork` lines.
    pub merged: bool,
    /// New entries written.
    pub added: u64,
    /// Entries the store already held.
    pub held: u64,
    /// Forks against the store found in the file's chains (kept as evidence).
    pub forks: Vec<ForkRecord>,
    /// Whether the file was taken as a fork proof (spec §5.5): its only problems are `fork` lines,
    /// each checked as evidence. Its chains were then imported as a valid file's would be, and
    /// [`ImportReport::evidence`] holds its forks.
    pub fork_proof: bool,
    /// The forks a fork proof shows, each paired with the entry the store holds at its position
    /// and kept as evidence, exactly as if that line had come in a valid file of its own.
    pub evidence: Vec<ForkRecord>,
    /// Members whose chain in the file is behind the store's.
    pub stale: Vec<Stale>,
    /// Why the file was refused, if it was refused for a reason other than its problems or forks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

impl Store {
    /// Sets the number of new entries after which an import defers index upkeep, and the least
    /// file size for an import without the write-ahead log (tests use small numbers to run every
    /// path). What is stored does not depend on them.
    #[doc(hidden)]
    pub fn set_bulk_thresholds(&mut self, entries: u64, bytes: u64) {
        self.bulk_min = entries.max(1);
        self.bulk_journal_bytes = bytes;
    }

    /// Verifies a ledger stream and merges it into the store, all or nothing.
    ///
    /// Nothing is merged if the file is invalid, has unknown kinds, or forks a chain the store
    /// holds; forks are kept as evidence in any case. `source` names the file in fork records.
    ///
    /// A fork proof (spec §5.5: a file whose only problems are `fork` lines that are evidence, as
    /// [`Store::fork_proof`] writes) is imported as the two files it stands for: its chains as a
    /// valid file, then each `fork` line, which is never merged but kept as evidence against the
    /// entry the store holds at its position ([`ImportReport::evidence`]).
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
        self.import_streamed(reader, size, source, options, progress, |_| Ok(()))
    }

    /// [`Store::import_sized`] that shows `found` each problem and notice of the file as it is
    /// found, so that they can be printed as they come (the report keeps the first
    /// [`crate::DETAIL_LIMIT`] of each and counts the rest). If `found` fails, the import stops
    /// with its error and nothing is merged.
    pub fn import_streamed<R: BufRead>(
        &mut self,
        reader: R,
        size: Option<u64>,
        source: &str,
        options: VerifyOptions,
        progress: impl FnMut(u64),
        found: impl FnMut(Finding<'_>) -> Result<()>,
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
        let result = self.import_inner(reader, source, options, progress, found);
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
        self.restore_busy_handler()?;
        Ok(mode.is_ok_and(|m| m.eq_ignore_ascii_case("delete")))
    }

    fn import_inner<R: BufRead>(
        &mut self,
        reader: R,
        source: &str,
        options: VerifyOptions,
        mut progress: impl FnMut(u64),
        mut found: impl FnMut(Finding<'_>) -> Result<()>,
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
        // The lines that parsed and verified but that no chain took: in a fork proof, its `fork`
        // lines (every other such line comes with a problem of another class).
        let mut untaken: Vec<Entry> = Vec::new();
        let mut too_many_untaken = false;
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
            let mut known = |line: &[u8]| -> bool {
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
            verify_stream_entries(
                reader,
                options,
                &mut known,
                &mut |_, e: &Entry, accepted| -> Result<()> {
                    if !accepted {
                        if untaken.len() < MAX_FORK_LINES {
                            untaken.push(e.clone());
                        } else {
                            too_many_untaken = true;
                        }
                        return Ok(());
                    }
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
                            // The same id, so the same entry: unless the store's line was
                            // changed behind its back (its id column was not).
                            if line != e.line {
                                return Err(Error::Corrupt(Damage::LineDiffers {
                                    member: e.member,
                                    seq: e.seq,
                                }));
                            }
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
                &mut found,
                &mut progress,
            )?
        };
        // Chain heads are written once per member, not once per entry.
        for (member, p) in &pending {
            if let Some(h) = &p.head {
                write_head(&tx, member, h, p.name.as_deref())?;
            }
        }
        let unknown = verification
            .notice_counts
            .get(crate::chain::NoticeClass::UnknownKind)
            > 0;
        let refused = unknown.then(|| {
            "the file has entries of kinds this coi does not know; upgrade coi to import it"
                .to_string()
        });
        // A fork proof (spec §5.5) is judged inside this transaction, against what the store will
        // hold once the file's chains are in (if they go in) or held before (if they do not).
        let proof_lines =
            fork_count(&verification).is_some_and(|n| n == untaken.len() && !too_many_untaken);
        let chains_go_in =
            (verification.valid || proof_lines) && forks.is_empty() && refused.is_none();
        let mut bulk = bulk.into_inner();
        let evidence = if proof_lines {
            // The judgement reads chains by (member, seq): the indexes must be back.
            if let Some(b) = bulk.take() {
                b.finish(&tx)?;
            }
            judge_fork_lines(
                &tx,
                &untaken,
                &|m: &MemberId, seq: u64| {
                    if chains_go_in {
                        return true;
                    }
                    // Not merged: the store holds what it held before, and, of a chain that
                    // forks the store, the same entries as the file only below the fork.
                    initial.get(m).is_some_and(|h| seq <= h.1)
                        && diverged.get(m).is_none_or(|t| seq <= *t)
                },
                source,
                &detected,
            )?
        } else {
            None
        };
        let fork_proof = evidence.is_some();
        let evidence = evidence.unwrap_or_default();
        let acceptable = verification.valid || fork_proof;
        let mut stale = Vec::new();
        if acceptable {
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
        let merged = acceptable && forks.is_empty() && refused.is_none();
        if merged {
            if let Some(b) = bulk {
                b.finish(&tx)?;
            }
            // The proof's evidence goes in with its chains, or neither does.
            insert_forks(&tx, &evidence)?;
            tx.commit()?;
        } else {
            tx.rollback()?;
            added = 0;
            if !forks.is_empty() || !evidence.is_empty() {
                let tx = self
                    .conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)?;
                insert_forks(&tx, &forks)?;
                insert_forks(&tx, &evidence)?;
                tx.commit()?;
            }
        }
        Ok(ImportReport {
            verification,
            merged,
            added,
            held,
            forks,
            fork_proof,
            evidence,
            stale,
            refused,
        })
    }
}

/// Keeps forks as evidence; a fork already kept (same member, seq and other entry) stays as it was.
fn insert_forks(tx: &Transaction<'_>, forks: &[ForkRecord]) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT OR IGNORE INTO forks (member, seq, held_id, held_line, other_id, other_line, source, detected) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for f in forks {
        st.execute(params![
            f.member.as_bytes(),
            f.seq,
            f.held_id.as_bytes(),
            f.held_line,
            f.other_id.as_bytes(),
            f.other_line,
            f.source,
            f.detected
        ])?;
    }
    Ok(())
}

/// The number of problems of `report` if every one is a `fork` (none of another class), else
/// `None`.
///
/// Reads the problems themselves. Once a `Report` keeps only its first problems, read its exact
/// counts per class here instead. (Until then the caller stays right anyway as long as more than
/// `MAX_FORK_LINES` problems are kept: a cut list is longer than the import's own list of the lines
/// no chain took can be, so the two counts differ and the file is not judged a proof.)
fn fork_count(report: &Report) -> Option<usize> {
    // From the counts, which are exact however many problems the report keeps in full.
    let total = report.problem_total();
    let forks = report.problem_counts.get(ErrorClass::Fork);
    (total > 0 && forks == total).then(|| usize::try_from(total).unwrap_or(usize::MAX))
}

/// Judges the `fork` lines of a fork proof (spec §5.5), inside the import's transaction: `Some`
/// fork records (one per line and entry held at its position, in file order, none twice) if
/// every line is evidence, `None` if any is not.
///
/// A line E of member M at seq s is evidence when the store holds M's chain at s with, below s,
/// the file's entries (`holds(M, s)` says whether it will, once the import is decided) and that
/// chain below s followed by E is a valid chain: E has the `prev`, the key in force at s (after
/// any key rotation) and the time order of the entry it forks, and its references resolve there.
/// Each member's chain is walked once; each line is tried on a copy of the verifier's state at
/// its position. The lines' own form and signatures were checked when the file was read.
fn judge_fork_lines(
    tx: &Transaction<'_>,
    lines: &[Entry],
    holds: &dyn Fn(&MemberId, u64) -> bool,
    source: &str,
    detected: &Timestamp,
) -> Result<Option<Vec<ForkRecord>>> {
    // For each member, its lines' indexes ordered by seq (then file order).
    let mut by_member: HashMap<MemberId, Vec<usize>> = HashMap::new();
    for (i, e) in lines.iter().enumerate() {
        if !holds(&e.member, e.seq) {
            return Ok(None);
        }
        by_member.entry(e.member).or_default().push(i);
    }
    let mut records: Vec<Option<ForkRecord>> = vec![None; lines.len()];
    let mut chain = tx.prepare_cached(
        "SELECT e.seq, e.id, t.line FROM entries e JOIN lines t ON t.rowid = e.rowid
         WHERE e.member = ?1 AND e.seq <= ?2 ORDER BY e.seq",
    )?;
    for (member, mut at) in by_member {
        at.sort_by_key(|&i| (lines[i].seq, i));
        let Some(no) = member_no(tx, &member)? else {
            return Ok(None);
        };
        let top = lines[at[at.len() - 1]].seq;
        let mut verifier = ChainVerifier::new();
        // at[k..]: the lines not tried yet.
        let mut k = 0;
        let mut rows = chain.query(params![no, top])?;
        let mut expected = 1u64;
        while let Some(r) = rows.next()? {
            let seq: u64 = r.get(0)?;
            if seq != expected {
                // The store's chain has a hole: nothing to judge against.
                return Ok(None);
            }
            expected += 1;
            let id = hash(&r.get::<_, Vec<u8>>(1)?)?;
            let line: String = r.get(2)?;
            while let Some(&i) = at.get(k).filter(|&&i| lines[i].seq == seq) {
                k += 1;
                let e = &lines[i];
                let mut trial = verifier.clone();
                if !trial.push(seq, &Ok(e.clone())) {
                    return Ok(None);
                }
                if id != e.id {
                    records[i] = Some(ForkRecord {
                        member,
                        seq,
                        held_id: id,
                        held_line: line.clone(),
                        other_id: e.id,
                        other_line: e.line.clone(),
                        source: source.to_string(),
                        detected: detected.as_str().to_string(),
                    });
                }
            }
            if seq == top {
                break;
            }
            if !verifier.push(seq, &Ok(parse_stored(&line)?)) {
                // A stored chain that does not verify: not the store to judge evidence with.
                return Ok(None);
            }
        }
        if k < at.len() {
            return Ok(None);
        }
    }
    let mut seen = std::collections::HashSet::new();
    Ok(Some(
        records
            .into_iter()
            .flatten()
            .filter(|f| seen.insert((f.member, f.seq, f.other_id)))
            .collect(),
    ))
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

/// The statements that write an entry's own rows (entries, lines, matters, live), prepared once
/// for a whole import.
pub(super) struct Rows<'c> {
    entry: CachedStatement<'c>,
    line: CachedStatement<'c>,
    matter: CachedStatement<'c>,
    unlive: CachedStatement<'c>,
    live: CachedStatement<'c>,
    rowid_of: CachedStatement<'c>,
    derived: Derived<'c>,
}

impl<'c> Rows<'c> {
    pub(super) fn new(conn: &'c Connection) -> Result<Rows<'c>> {
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
            derived: Derived::new(conn)?,
        })
    }

    /// Writes the entry's own rows, not the member's head. `no` is the member's number.
    pub(super) fn insert(&mut self, e: &Entry, no: i64, mut bulk: Option<&mut Bulk>) -> Result<()> {
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
                Some(rowid.ok_or(Error::Corrupt(Damage::TargetNotHeld(*t)))?)
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
        self.derived.insert(e, rowid, no, target)
    }
}

/// Bulk mode of a large import: the secondary indexes of entries, matters, live and interests are
/// dropped, rows are appended without index upkeep, and the indexes are rebuilt (sorted, in one
/// pass each) before the commit. All in the import's transaction: a failed import rolls the drop back too. Lookups the
/// import still needs go through the maps below instead of the dropped indexes.
pub(super) struct Bulk {
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
                 AND tbl_name IN ('entries', 'matters', 'live', 'interests') ORDER BY name",
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
    use crate::entry::Draft;
    use crate::keys::SecretKey;

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
