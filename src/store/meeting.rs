//! What meetings read from the store: the records `coi check` judges, the chains as held, agendas.

use std::collections::BTreeMap;

use rusqlite::OptionalExtension;

use super::{parse_stored, Store};
use crate::check::{KnownChains, Records};
use crate::entry::{Data, Entry, EntryId, Head, Matter};
use crate::error::Result;
use crate::hash::Hash32;
use crate::keys::MemberId;

/// What `coi check` judges a matter from, as the store holds it ([`Store::check_input`]).
pub struct CheckInput {
    /// The register of the members concerned, with the interests touching the matter.
    pub register: crate::register::Register,
    /// Votes, agendas and determinations.
    pub records: Records,
    /// The chains as held.
    pub chains: KnownChains,
    /// The members judged when no vote is recorded (every member held).
    pub members: Vec<MemberId>,
}
/// Every entry of one kind, in store order.
pub(super) const QUERY_KIND: &str = "SELECT t.line FROM entries e JOIN lines t ON t.rowid = e.rowid
     WHERE e.kind = ?1 ORDER BY e.rowid";
/// The id of a member's entry at a seq.
const QUERY_ID_AT: &str = "SELECT e.id FROM entries e JOIN members m ON m.no = e.member
     WHERE m.member = ?1 AND e.seq = ?2";

impl Store {
    pub(super) fn lines(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Entry>> {
        let mut st = self.conn.prepare_cached(sql)?;
        let mut rows = st.query(params)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let line: String = r.get(0)?;
            out.push(parse_stored(&line)?);
        }
        Ok(out)
    }

    /// The `agenda` entries of `meeting` (through the matters index: an agenda names its
    /// meeting), or every one held when `None`, in store order.
    pub fn agendas(&self, meeting: Option<&Matter>) -> Result<Vec<Entry>> {
        let all = match meeting {
            Some(m) => self.entries_naming(m)?,
            None => return self.lines(QUERY_KIND, ["agenda"]),
        };
        Ok(all
            .into_iter()
            .filter(|e| matches!(&e.data, Data::Agenda(a) if meeting == Some(&a.meeting)))
            .collect())
    }

    /// What `coi check` judges `matter` from, read through the derived tables (so that it does
    /// not grow with the store): the votes on it, the agendas that list it or that those votes
    /// name, a register of the members concerned (every member when no vote is recorded) with
    /// the interests that touch it (specific ones, and standing ones whose counterparty an
    /// agenda item concerns), the determinations about those interests, and the chains as held.
    pub fn check_input(&self, matter: &Matter) -> Result<CheckInput> {
        let named = self.entries_naming(matter)?;
        let votes: Vec<Entry> = named
            .iter()
            .filter(|e| matches!(&e.data, Data::Vote(v) if &v.matter == matter))
            .cloned()
            .collect();
        let mut agendas: Vec<Entry> = named
            .iter()
            .filter(|e| matches!(&e.data, Data::Agenda(_)))
            .cloned()
            .collect();
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
        let mut concerns: Vec<String> = agendas
            .iter()
            .filter_map(|e| match &e.data {
                Data::Agenda(a) => a.item(matter),
                _ => None,
            })
            .flat_map(|i| i.concerns.iter().flatten().cloned())
            .collect();
        concerns.sort();
        concerns.dedup();
        let mut records = Records {
            votes,
            agendas,
            determinations: Vec::new(),
        };
        let chains = self.known_chains(&records)?;
        let members: Vec<MemberId> = if records.votes.is_empty() {
            chains.heads.keys().copied().collect()
        } else {
            let mut m: Vec<MemberId> = records
                .votes
                .iter()
                .filter_map(|e| match &e.data {
                    Data::Vote(v) => Some(
                        v.participation
                            .iter()
                            .map(|p| p.member)
                            .chain(v.heads.iter().map(|h| h.member))
                            .collect::<Vec<_>>(),
                    ),
                    _ => None,
                })
                .flatten()
                .collect();
            m.sort();
            m.dedup();
            m
        };
        let register = self.register_for(matter, &concerns, Some(&members))?;
        let ids: Vec<EntryId> = register
            .members()
            .flat_map(|(_, r)| r.interests.iter())
            .flat_map(|i| i.versions.iter().map(|v| v.mark.id))
            .collect();
        records.determinations = self.determinations_of(&ids)?;
        for e in named {
            if matches!(&e.data, Data::Determination(_))
                && !records.determinations.iter().any(|d| d.id == e.id)
            {
                records.determinations.push(e);
            }
        }
        Ok(CheckInput {
            register,
            records,
            chains,
            members,
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
        let heads = self.heads()?;
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
