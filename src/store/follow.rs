//! Followed publications (`coi follow`, `coi sync`): where each ledger is published, how much
//! of it the store has verified and imported, and what a sync found wrong with it. The bytes
//! themselves are kept by the home (`follows/<id>.ledger`); these rows say how many of them
//! count and which evidence files were kept.

use rusqlite::{params, OptionalExtension};

use super::{Result, Store};

/// One followed publication.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Follow {
    /// Its number in this store (names its cache file).
    pub id: i64,
    /// An http(s) URL or an absolute path.
    pub source: String,
    /// The short name reports use.
    pub name: String,
    /// When it was followed (RFC 3339 UTC).
    pub added: String,
    /// A published checkpoint of it (a body log), URL or path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
    /// What is known of the publication.
    #[serde(flatten)]
    pub state: FollowState,
    /// The last checkpoint found good: size, root (hex) and the log key that signed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_seen: Option<(u64, String, String)>,
    /// When it was last synced (RFC 3339 UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sync: Option<String>,
    /// What the last sync came to, in a line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_outcome: Option<String>,
}

/// How much of a publication is verified and imported.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FollowState {
    /// The ETag the server gave for exactly these bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Bytes of the publication verified and imported (whole lines).
    pub known_len: u64,
    /// The length of the last of those lines, LF included (0 with none).
    pub last_line_len: u64,
    /// BLAKE3 of those bytes (hex; empty with none).
    pub known_hash: String,
}

/// Something a sync found wrong with a publication, with the evidence kept.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FollowEvent {
    /// The follow.
    pub follow: i64,
    /// When (RFC 3339 UTC).
    pub time: String,
    /// `rollback` (it shrank), `rewritten` (its past changed), `refused` (it does not verify
    /// or forks the store) or `checkpoint` (its checkpoint is not of it).
    pub kind: String,
    /// What was found.
    pub detail: String,
    /// The path of the evidence kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

fn follow_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Follow> {
    let hash: Option<Vec<u8>> = r.get(7)?;
    Ok(Follow {
        id: r.get(0)?,
        source: r.get(1)?,
        name: r.get(2)?,
        added: r.get(3)?,
        state: FollowState {
            etag: r.get(4)?,
            known_len: r.get::<_, i64>(5)?.max(0) as u64,
            last_line_len: r.get::<_, i64>(6)?.max(0) as u64,
            known_hash: hash.map(hex::encode).unwrap_or_default(),
        },
        last_sync: r.get(8)?,
        last_outcome: r.get(9)?,
        checkpoint: r.get(10)?,
        checkpoint_seen: match (
            r.get::<_, Option<i64>>(11)?,
            r.get::<_, Option<Vec<u8>>>(12)?,
            r.get::<_, Option<String>>(13)?,
        ) {
            (Some(size), Some(root), Some(vkey)) => {
                Some((size.max(0) as u64, hex::encode(root), vkey))
            }
            _ => None,
        },
    })
}

const FOLLOW_COLUMNS: &str = "id, source, name, added, etag, known_len, last_line_len, known_hash, last_sync, last_outcome, checkpoint, checkpoint_size, checkpoint_root, checkpoint_vkey";

impl Store {
    /// Follows `source` as `name`; `false` with the existing follow if it was followed already
    /// (its name and checkpoint are then updated when given).
    pub fn add_follow(
        &mut self,
        source: &str,
        name: &str,
        checkpoint: Option<&str>,
        now: &str,
    ) -> Result<(Follow, bool)> {
        let tx = self.conn.transaction()?;
        let existing: Option<i64> = tx
            .query_row("SELECT id FROM follows WHERE source = ?1", [source], |r| {
                r.get(0)
            })
            .optional()?;
        let new = existing.is_none();
        match existing {
            Some(id) => {
                tx.execute(
                    "UPDATE follows SET name = ?2, checkpoint = coalesce(?3, checkpoint) WHERE id = ?1",
                    params![id, name, checkpoint],
                )?;
            }
            None => {
                tx.execute(
                    "INSERT INTO follows (source, name, added, checkpoint) VALUES (?1, ?2, ?3, ?4)",
                    params![source, name, now, checkpoint],
                )?;
            }
        }
        tx.commit()?;
        let f = self
            .follows()?
            .into_iter()
            .find(|f| f.source == source)
            .ok_or_else(|| crate::Error::Invalid("the follow just written is not there".into()))?;
        Ok((f, new))
    }

    /// Every follow, in the order followed.
    pub fn follows(&self) -> Result<Vec<Follow>> {
        let mut st = self
            .conn
            .prepare(&format!("SELECT {FOLLOW_COLUMNS} FROM follows ORDER BY id"))?;
        let rows = st.query_map([], follow_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Records a sync that found `state` (the new known bytes) and came to `outcome`.
    pub fn record_sync(
        &mut self,
        id: i64,
        state: Option<&FollowState>,
        outcome: &str,
        now: &str,
    ) -> Result<()> {
        match state {
            Some(s) => {
                let hash = hex::decode(&s.known_hash).unwrap_or_default();
                self.conn.execute(
                    "UPDATE follows SET etag = ?2, known_len = ?3, last_line_len = ?4, known_hash = ?5,
                     last_sync = ?6, last_outcome = ?7 WHERE id = ?1",
                    params![
                        id,
                        s.etag,
                        s.known_len as i64,
                        s.last_line_len as i64,
                        hash,
                        now,
                        outcome
                    ],
                )?;
            }
            None => {
                self.conn.execute(
                    "UPDATE follows SET last_sync = ?2, last_outcome = ?3 WHERE id = ?1",
                    params![id, now, outcome],
                )?;
            }
        }
        Ok(())
    }

    /// Records the checkpoint of follow `id` found good: its size and root, and the log key.
    pub fn record_follow_checkpoint(
        &mut self,
        id: i64,
        size: u64,
        root: &[u8; 32],
        vkey: &str,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE follows SET checkpoint_size = ?2, checkpoint_root = ?3, checkpoint_vkey = ?4 WHERE id = ?1",
            params![id, size as i64, root.as_slice(), vkey],
        )?;
        Ok(())
    }

    /// Keeps what a sync found wrong.
    pub fn record_follow_event(&mut self, e: &FollowEvent) -> Result<()> {
        self.conn.execute(
            "INSERT INTO follow_events (follow, time, kind, detail, evidence) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![e.follow, e.time, e.kind, e.detail, e.evidence],
        )?;
        Ok(())
    }

    /// What syncs found wrong, oldest first (of one follow, or all).
    pub fn follow_events(&self, follow: Option<i64>) -> Result<Vec<FollowEvent>> {
        let mut st = self.conn.prepare(
            "SELECT follow, time, kind, detail, evidence FROM follow_events
             WHERE ?1 IS NULL OR follow = ?1 ORDER BY id",
        )?;
        let rows = st.query_map([follow], |r| {
            Ok(FollowEvent {
                follow: r.get(0)?,
                time: r.get(1)?,
                kind: r.get(2)?,
                detail: r.get(3)?,
                evidence: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}
