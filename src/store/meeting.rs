//! What meetings read from the store: the records `coi check` judges, the chains as held, agendas.

use std::collections::BTreeMap;

use rusqlite::OptionalExtension;

use super::{parse_stored, Store};
use crate::check::{KnownChains, Records};
use crate::entry::{Data, Entry, EntryId, Head, Matter};
use crate::error::Result;
use crate::hash::Hash32;
use crate::keys::MemberId;

/// Entries that name a matter, of one kind, in store order.
const QUERY_NAMING: &str = "SELECT t.line FROM matters x JOIN entries e ON e.rowid = x.entry
     JOIN lines t ON t.rowid = e.rowid WHERE x.matter = ?1 AND e.kind = ?2 ORDER BY e.rowid";
/// Every entry of one kind, in store order.
const QUERY_KIND: &str = "SELECT t.line FROM entries e JOIN lines t ON t.rowid = e.rowid
     WHERE e.kind = ?1 ORDER BY e.rowid";
/// The id of a member's entry at a seq.
const QUERY_ID_AT: &str = "SELECT e.id FROM entries e JOIN members m ON m.no = e.member
     WHERE m.member = ?1 AND e.seq = ?2";

impl Store {
    fn lines(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Entry>> {
        let mut st = self.conn.prepare_cached(sql)?;
        let mut rows = st.query(params)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let line: String = r.get(0)?;
            out.push(parse_stored(&line)?);
        }
        Ok(out)
    }

    /// Entries of `kind` that name `matter` (spec §6.2; an agenda names its items and meeting),
    /// in store order.
    pub fn naming(&self, matter: &Matter, kind: &str) -> Result<Vec<Entry>> {
        self.lines(QUERY_NAMING, rusqlite::params![matter.as_str(), kind])
    }

    /// Every `agenda` entry held, in store order.
    pub fn agendas(&self) -> Result<Vec<Entry>> {
        self.lines(QUERY_KIND, ["agenda"])
    }

    /// What `coi check` selects from for `matter`: the votes on it, the agendas that list it or
    /// that those votes name, and the determinations held.
    pub fn check_records(&self, matter: &Matter) -> Result<Records> {
        let votes = self.naming(matter, "vote")?;
        let mut agendas = self.naming(matter, "agenda")?;
        for v in &votes {
            if let Data::Vote(vote) = &v.data {
                if let Some(id) = vote.agenda {
                    if !agendas.iter().any(|a| a.id == id) {
                        if let Some(e) = self.entry_by_id(&id)? {
                            agendas.push(e);
                        }
                    }
                }
            }
        }
        let determinations = self.lines(QUERY_KIND, ["determination"])?;
        Ok(Records {
            votes,
            agendas,
            determinations,
        })
    }

    /// The entry with this id, if held.
    pub fn entry_by_id(&self, id: &EntryId) -> Result<Option<Entry>> {
        match self.find(&id.to_hex()) {
            Ok(s) => Ok(Some(s.entry)),
            Err(crate::error::Error::EntryNotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The chains as held: every member's head, and the entries at the seqs `records`' votes
    /// committed to.
    pub fn known_chains(&self, records: &Records) -> Result<KnownChains> {
        let mut heads = BTreeMap::new();
        for h in self.members()? {
            heads.insert(
                h.member,
                Head {
                    id: h.id,
                    member: h.member,
                    seq: h.seq,
                },
            );
        }
        let mut ids = BTreeMap::new();
        let mut st = self.conn.prepare_cached(QUERY_ID_AT)?;
        for (member, seq) in KnownChains::wanted(records) {
            let id: Option<Vec<u8>> = st
                .query_row(rusqlite::params![member.as_bytes(), seq as i64], |r| {
                    r.get(0)
                })
                .optional()?;
            if let Some(id) = id.and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()) {
                ids.insert((member, seq), Hash32::from_bytes(id));
            }
        }
        Ok(KnownChains { heads, ids })
    }

    /// Each member's head as held, by member id (what `coi vote` commits to).
    pub fn heads(&self) -> Result<BTreeMap<MemberId, Head>> {
        Ok(self
            .members()?
            .into_iter()
            .map(|h| {
                (
                    h.member,
                    Head {
                        id: h.id,
                        member: h.member,
                        seq: h.seq,
                    },
                )
            })
            .collect())
    }
}
