//! The store as a transparency log and as a witness (spec §13): the checkpoints it signed, the
//! cosignatures it collected, the latest checkpoint it cosigned for each other log, and the
//! evidence it kept of logs that misbehaved. Signing happens in the caller, which holds the keys;
//! this module keeps the state that makes signing safe, and checks it in the same transaction
//! that writes it.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{Result, Store};
use crate::error::{Damage, Error};
use crate::tlog::{leaf_hash, Frontier, Hash, Tree};

/// A checkpoint this store signed as a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The log's origin.
    pub origin: String,
    /// Its size (lines).
    pub size: u64,
    /// Its root.
    pub root: Hash,
    /// The signed note, with the log's signature only.
    pub note: String,
    /// When it was signed (RFC 3339 UTC).
    pub signed: String,
}

/// The next state of the store's log: what a new checkpoint would commit to.
#[derive(Clone, Debug)]
pub struct LogState {
    /// The origin.
    pub origin: String,
    /// The tree over every stored line in order of arrival.
    pub frontier: Frontier,
    /// The rowid of the last line covered (0 for none).
    last_entry: i64,
    /// The size of the latest checkpoint this state extends (0 for none).
    pub base: u64,
}

impl LogState {
    /// The tree's size.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The tree's root.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }
}

/// The latest checkpoint a witness cosigned for one origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witnessed {
    /// The log's origin.
    pub origin: String,
    /// The size cosigned.
    pub size: u64,
    /// Its root.
    pub root: Hash,
    /// The note as received (the log's signature and any others).
    pub note: String,
    /// The log key it was checked with (pinned at the first cosignature).
    pub log_vkey: String,
    /// When it was cosigned (RFC 3339 UTC).
    pub cosigned: String,
}

/// Evidence that a log misbehaved, kept by a witness that refused to cosign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// The log's origin.
    pub origin: String,
    /// What was wrong: `backwards`, `inconsistent`, `root-mismatch`, `truncated`, `key-change`.
    pub problem: String,
    /// In words.
    pub detail: String,
    /// The note cosigned before, if any.
    pub held: Option<String>,
    /// The note refused.
    pub refused: String,
    /// SHA-256 of the ledger file checked, if any.
    pub ledger: Option<Hash>,
    /// When it was found (RFC 3339 UTC).
    pub detected: String,
}

/// How many signed checkpoints, cosignatures or pieces of evidence one query returns at most.
pub const MAX_LISTED: usize = 10_000;

fn now() -> String {
    crate::entry::Timestamp::now().as_str().to_string()
}

fn hash_of(blob: Vec<u8>) -> Result<Hash> {
    blob.try_into()
        .map_err(|_| Error::Corrupt(Damage::Tlog("a stored tree hash is not 32 bytes".into())))
}

/// A stored line's bytes, without copying.
fn line_bytes(v: rusqlite::types::ValueRef<'_>) -> Result<&[u8]> {
    v.as_bytes()
        .map_err(|_| Error::Corrupt(Damage::Tlog("a stored line is not text".into())))
}

fn size_of(v: i64) -> Result<u64> {
    u64::try_from(v)
        .map_err(|_| Error::Corrupt(Damage::Tlog("a stored tree size is negative".into())))
}

impl Store {
    /// The checkpoints this store signed for `origin`, oldest first (at most [`MAX_LISTED`],
    /// the newest kept).
    pub fn signed_checkpoints(&self, origin: &str) -> Result<Vec<SignedCheckpoint>> {
        self.signed_checkpoints_limit(origin, MAX_LISTED)
    }

    fn signed_checkpoints_limit(
        &self,
        origin: &str,
        limit: usize,
    ) -> Result<Vec<SignedCheckpoint>> {
        let mut st = self.conn.prepare(
            "SELECT origin, size, root, note, signed FROM tlog_checkpoints WHERE origin = ?1
             ORDER BY size DESC LIMIT ?2",
        )?;
        let mut out = Vec::new();
        let mut rows = st.query(params![origin, limit as i64])?;
        while let Some(r) = rows.next()? {
            out.push(SignedCheckpoint {
                origin: r.get(0)?,
                size: size_of(r.get(1)?)?,
                root: hash_of(r.get(2)?)?,
                note: r.get(3)?,
                signed: r.get(4)?,
            });
        }
        out.reverse();
        Ok(out)
    }

    /// The latest checkpoint this store signed for `origin`.
    pub fn latest_checkpoint(&self, origin: &str) -> Result<Option<SignedCheckpoint>> {
        Ok(self.signed_checkpoints_limit(origin, 1)?.pop())
    }

    /// The log as it stands: the latest signed checkpoint's tree extended by the lines stored
    /// since, read in order of arrival (O(new lines + log n)).
    pub fn log_state(&self, origin: &str) -> Result<LogState> {
        let base: Option<(i64, i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT size, last_entry, frontier FROM tlog_checkpoints WHERE origin = ?1
                 ORDER BY size DESC LIMIT 1",
                [origin],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (base, mut last_entry, mut frontier) = match base {
            None => (0, 0, Frontier::new()),
            Some((size, last, bytes)) => {
                let f = Frontier::from_bytes(&bytes).map_err(|e| {
                    Error::Corrupt(Damage::Tlog(format!("a stored tree frontier: {e}")))
                })?;
                if f.size() != size_of(size)? {
                    return Err(Error::Corrupt(Damage::Tlog(
                        "a stored tree frontier does not have its checkpoint's size".into(),
                    )));
                }
                (f.size(), last, f)
            }
        };
        let mut st = self.conn.prepare(
            "SELECT t.rowid, t.line FROM entries e JOIN lines t ON t.rowid = e.rowid
             WHERE e.rowid > ?1 ORDER BY e.rowid",
        )?;
        let mut rows = st.query([last_entry])?;
        while let Some(r) = rows.next()? {
            last_entry = r.get(0)?;
            let line = line_bytes(r.get_ref(1)?)?;
            frontier
                .push(leaf_hash(line))
                .map_err(|e| Error::Corrupt(Damage::Tlog(e.to_string())))?;
        }
        Ok(LogState {
            origin: origin.to_string(),
            frontier,
            last_entry,
            base,
        })
    }

    /// The whole log's tree up to `size` lines, for proofs (O(n)).
    pub fn log_tree(&self, size: u64) -> Result<Tree> {
        let mut tree = Tree::new();
        let mut st = self.conn.prepare(
            "SELECT t.line FROM entries e JOIN lines t ON t.rowid = e.rowid ORDER BY e.rowid",
        )?;
        let mut rows = st.query([])?;
        while tree.size() < size {
            let Some(r) = rows.next()? else { break };
            tree.push(leaf_hash(line_bytes(r.get_ref(0)?)?));
        }
        Ok(tree)
    }

    /// Records a checkpoint signed over `state`, refusing if another checkpoint was signed for
    /// the origin since `state` was read (the new one would not extend it): a log never signs
    /// two inconsistent checkpoints. A state of the latest size is not signed twice.
    pub fn record_checkpoint(&mut self, state: &LogState, note: &str) -> Result<SignedCheckpoint> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let latest: Option<i64> = tx
            .query_row(
                "SELECT max(size) FROM tlog_checkpoints WHERE origin = ?1",
                [&state.origin],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        if latest.unwrap_or(0) as u64 != state.base {
            return Err(Error::Conflict(format!(
                "another checkpoint of {} was signed meanwhile (size {}); run the command again",
                crate::text::quote(&state.origin),
                latest.unwrap_or(0)
            )));
        }
        let signed = now();
        tx.execute(
            "INSERT INTO tlog_checkpoints (origin, size, root, note, last_entry, frontier, signed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                state.origin,
                state.size() as i64,
                state.root().to_vec(),
                note,
                state.last_entry,
                state.frontier.to_bytes(),
                signed
            ],
        )?;
        tx.commit()?;
        Ok(SignedCheckpoint {
            origin: state.origin.clone(),
            size: state.size(),
            root: state.root(),
            note: note.to_string(),
            signed,
        })
    }

    /// Keeps cosignature lines a witness at `source` returned for a checkpoint of this log:
    /// each with the vkey of the witness it was verified by.
    pub fn add_cosignatures(
        &mut self,
        origin: &str,
        size: u64,
        lines: &[(String, String)],
        source: &str,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (name, line) in lines {
            tx.execute(
                "INSERT OR IGNORE INTO tlog_cosignatures (origin, size, cosigner, line, source)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![origin, size as i64, name, line, source],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The largest size of `origin` the witness at `source` cosigned for this store.
    pub fn submitted_size(&self, origin: &str, source: &str) -> Result<Option<u64>> {
        let v: Option<i64> = self.conn.query_row(
            "SELECT max(size) FROM tlog_cosignatures WHERE origin = ?1 AND source = ?2",
            [origin, source],
            |r| r.get(0),
        )?;
        v.map(size_of).transpose()
    }

    /// The cosignature lines kept for a checkpoint from witnesses it was submitted to.
    pub fn submitted_cosignatures(&self, origin: &str, size: u64) -> Result<Vec<String>> {
        let mut st = self.conn.prepare(
            "SELECT line FROM tlog_cosignatures WHERE origin = ?1 AND size = ?2
             ORDER BY cosigner, line LIMIT ?3",
        )?;
        let rows = st.query_map(params![origin, size as i64, MAX_LISTED as i64], |r| {
            r.get(0)
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The latest checkpoint this home cosigned for `origin`, as a witness.
    pub fn witnessed(&self, origin: &str) -> Result<Option<Witnessed>> {
        self.conn
            .query_row(
                "SELECT origin, size, root, note, log_vkey, cosigned FROM tlog_witnessed
                 WHERE origin = ?1",
                [origin],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?
            .map(|(origin, size, root, note, log_vkey, cosigned)| {
                Ok(Witnessed {
                    origin,
                    size: size_of(size)?,
                    root: hash_of(root)?,
                    note,
                    log_vkey,
                    cosigned,
                })
            })
            .transpose()
    }

    /// Every origin this home witnesses, with its latest cosigned checkpoint.
    pub fn witnessed_all(&self) -> Result<Vec<Witnessed>> {
        let mut st = self
            .conn
            .prepare("SELECT origin FROM tlog_witnessed ORDER BY origin LIMIT ?1")?;
        let origins: Vec<String> = st
            .query_map([MAX_LISTED as i64], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        origins
            .iter()
            .filter_map(|o| self.witnessed(o).transpose())
            .collect()
    }

    /// Moves the witness's state for the origin from `from` (as read before checking) to `to`,
    /// atomically: refused if the state changed meanwhile, so that two cosignings can never
    /// roll it back. `to.cosigned` is set here.
    pub fn witness_advance(&mut self, from: Option<&Witnessed>, to: &Witnessed) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now_held: Option<(i64, Vec<u8>)> = tx
            .query_row(
                "SELECT size, root FROM tlog_witnessed WHERE origin = ?1",
                [&to.origin],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let expected = from.map(|w| (w.size as i64, w.root.to_vec()));
        if now_held != expected {
            return Err(Error::Conflict(format!(
                "another cosigning of {} happened meanwhile; run the command again",
                crate::text::quote(&to.origin)
            )));
        }
        if let Some(f) = from {
            if to.size < f.size {
                return Err(Error::Conflict("a witness never goes backwards".into()));
            }
        }
        tx.execute(
            "INSERT INTO tlog_witnessed (origin, size, root, note, log_vkey, cosigned)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (origin) DO UPDATE SET size = ?2, root = ?3, note = ?4, log_vkey = ?5,
             cosigned = ?6",
            params![
                to.origin,
                to.size as i64,
                to.root.to_vec(),
                to.note,
                to.log_vkey,
                to.cosigned
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Keeps evidence of a log's misbehaviour (never deleted).
    pub fn keep_evidence(&mut self, e: &Evidence) -> Result<()> {
        self.conn.execute(
            "INSERT INTO tlog_evidence (origin, problem, detail, held, refused, ledger, detected)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                e.origin,
                e.problem,
                e.detail,
                e.held,
                e.refused,
                e.ledger.map(|h| h.to_vec()),
                e.detected
            ],
        )?;
        Ok(())
    }

    /// The evidence kept, oldest first (at most [`MAX_LISTED`]).
    pub fn evidence(&self) -> Result<Vec<Evidence>> {
        let mut st = self.conn.prepare(
            "SELECT origin, problem, detail, held, refused, ledger, detected FROM tlog_evidence
             ORDER BY rowid LIMIT ?1",
        )?;
        let mut rows = st.query([MAX_LISTED as i64])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(Evidence {
                origin: r.get(0)?,
                problem: r.get(1)?,
                detail: r.get(2)?,
                held: r.get(3)?,
                refused: r.get(4)?,
                ledger: r.get::<_, Option<Vec<u8>>>(5)?.map(hash_of).transpose()?,
                detected: r.get(6)?,
            });
        }
        Ok(out)
    }
}

/// A cosignature a member published in a `witness` entry (spec §8.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberCosignature {
    /// The member whose chain holds the witness entry.
    pub member: crate::keys::MemberId,
    /// The witness entry.
    pub entry: crate::entry::EntryId,
    /// The cosigner's vkey.
    pub cosigner: String,
    /// The signature line.
    pub line: String,
    /// The cosignature's time (seconds since the Epoch).
    pub time: u64,
}

impl Store {
    /// The cosignatures members published of the checkpoint `{origin, size, root}`, in store
    /// order (each checked when its entry was verified).
    pub fn member_cosignatures(
        &self,
        origin: &str,
        size: u64,
        root: &Hash,
    ) -> Result<Vec<MemberCosignature>> {
        let mut out = Vec::new();
        for e in self.lines(super::meeting::QUERY_KIND, ["witness"])? {
            let crate::entry::Data::Witness(w) = &e.data else {
                continue;
            };
            let (Some(c), Some(cosigner), Some(sig)) = (&w.checkpoint, &w.cosigner, &w.cosignature)
            else {
                continue;
            };
            if c.origin != origin || c.size != size || c.root.as_bytes() != root {
                continue;
            }
            let Ok(time) = crate::tlog::cosigned_ref(origin, size, root, cosigner, sig) else {
                continue;
            };
            let name = crate::tlog::note::NoteVerifier::parse(cosigner)
                .map(|v| v.name().to_string())
                .unwrap_or_default();
            out.push(MemberCosignature {
                member: e.member,
                entry: e.id,
                cosigner: cosigner.clone(),
                line: crate::tlog::cosignature_line(&name, sig),
                time,
            });
            if out.len() >= MAX_LISTED {
                break;
            }
        }
        Ok(out)
    }

    /// The log keys members announced for `origin` (`log-key` entries, spec §13), in store
    /// order: the member and the vkey.
    pub fn announced_log_keys(&self, origin: &str) -> Result<Vec<(crate::keys::MemberId, String)>> {
        Ok(self
            .lines(super::meeting::QUERY_KIND, ["log-key"])?
            .into_iter()
            .filter_map(|e| match &e.data {
                crate::entry::Data::LogKey(l) if l.origin == origin => {
                    Some((e.member, l.vkey.clone()))
                }
                _ => None,
            })
            .collect())
    }
}

/// A checkpoint this store signed, with the cosignatures it knows of it: key name and time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosigned {
    /// The checkpoint.
    pub checkpoint: SignedCheckpoint,
    /// Each cosignature's key name, time (seconds since the Epoch) and the cosigner's vkey.
    pub cosigners: Vec<(String, u64, String)>,
}

/// The time in a cosignature line's blob (key hash, u64 big-endian time, signature).
fn line_time(line: &str) -> Option<u64> {
    use base64::Engine as _;
    let b64 = line.rsplit(' ').next()?;
    let blob = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some(u64::from_be_bytes(blob.get(4..12)?.try_into().ok()?))
}

impl Store {
    /// The checkpoint signed here with its cosignatures: those witnesses returned (checked
    /// against their keys when they were kept) and those members published.
    pub fn cosigned(&self, c: SignedCheckpoint) -> Result<Cosigned> {
        let mut cosigners: Vec<(String, u64, String)> = Vec::new();
        let mut st = self.conn.prepare(
            "SELECT cosigner, line FROM tlog_cosignatures WHERE origin = ?1 AND size = ?2
             ORDER BY cosigner, line LIMIT ?3",
        )?;
        let rows: Vec<(String, String)> = st
            .query_map(params![c.origin, c.size as i64, MAX_LISTED as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<std::result::Result<_, _>>()?;
        for (vkey, line) in rows {
            let name = crate::tlog::note::NoteVerifier::parse(&vkey)
                .map(|v| v.name().to_string())
                .unwrap_or_default();
            if let Some(t) = line_time(&line) {
                cosigners.push((name, t, vkey));
            }
        }
        for m in self.member_cosignatures(&c.origin, c.size, &c.root)? {
            let name = crate::tlog::note::NoteVerifier::parse(&m.cosigner)
                .map(|v| v.name().to_string())
                .unwrap_or_default();
            cosigners.push((name, m.time, m.cosigner));
        }
        cosigners.sort();
        cosigners.dedup();
        Ok(Cosigned {
            checkpoint: c,
            cosigners,
        })
    }

    /// The origins of the logs this store signed checkpoints of, sorted.
    pub fn signed_origins(&self) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT DISTINCT origin FROM tlog_checkpoints ORDER BY origin")?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The earliest checkpoint signed here that contains entry `id` and has a cosignature.
    pub fn earliest_cosigned(&self, id: &crate::entry::EntryId) -> Result<Option<Cosigned>> {
        let rowid: Option<i64> = self
            .conn
            .query_row(
                "SELECT rowid FROM entries WHERE id = ?1",
                [id.as_bytes().as_slice()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(rowid) = rowid else { return Ok(None) };
        let mut st = self.conn.prepare(
            "SELECT origin, size FROM tlog_checkpoints WHERE last_entry >= ?1 ORDER BY size LIMIT ?2",
        )?;
        let found: Vec<(String, i64)> = st
            .query_map(params![rowid, MAX_LISTED as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<std::result::Result<_, _>>()?;
        for (origin, size) in found {
            let size = size_of(size)?;
            let Some(c) = self
                .signed_checkpoints(&origin)?
                .into_iter()
                .find(|c| c.size == size)
            else {
                continue;
            };
            let c = self.cosigned(c)?;
            if !c.cosigners.is_empty() {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// The checkpoint signed here of `{origin, size}`, if any, with its cosignatures.
    pub fn signed_checkpoint(&self, origin: &str, size: u64) -> Result<Option<Cosigned>> {
        match self
            .signed_checkpoints(origin)?
            .into_iter()
            .find(|c| c.size == size)
        {
            Some(c) => self.cosigned(c).map(Some),
            None => Ok(None),
        }
    }
}
