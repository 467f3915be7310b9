//! Restricted fields in the store (spec §7): the owner's openings, members' encryption keys,
//! disclosures and what was unsealed.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, OptionalExtension as _, Transaction};

use super::{member_no, parse_stored, Store, StoredEntry};
use crate::entry::{Data, Entry, EntryId, SealedField};
use crate::error::{Error, Result};
use crate::keys::MemberId;
use crate::seal::{check_openings, Opening, Openings};

/// Refuses to append restricted-field entries a verifier would refuse (spec §7): a disclosure
/// or `unseal` whose target is not the member's own declaration with `sealed`, an `unseal`
/// that does not open its target's commitments, openings that do not open the new entry's
/// own `sealed`, an amendment that repeats a commitment of the version it replaces.
pub(super) fn check_restricted(
    tx: &Transaction<'_>,
    member: &MemberId,
    data: &Data,
    openings: Option<&Openings>,
) -> Result<()> {
    let refuse = |m: String| Err(Error::Restricted(m));
    if let Some(o) = openings {
        let Some(sealed) = data.declaration().and_then(|d| d.sealed.as_ref()) else {
            return refuse("openings are kept only with a declaration that seals fields".into());
        };
        if let Err(e) = check_openings(sealed, o) {
            return refuse(format!(
                "the openings kept do not open the declaration: {e}"
            ));
        }
        if o.len() != sealed.len() {
            return refuse("every sealed field's opening must be kept".into());
        }
    }
    let target = match data {
        Data::Disclosure(d) => &d.target,
        Data::Unseal(u) => &u.target,
        Data::Amend { target, .. } => target,
        _ => return Ok(()),
    };
    let old = own_entry(tx, member, target)?;
    let old_sealed = old
        .as_ref()
        .and_then(|e| e.data.declaration())
        .and_then(|d| d.sealed.clone());
    match (data, old_sealed) {
        (Data::Amend { declaration, .. }, Some(old)) => {
            if let Some(new) = &declaration.sealed {
                if new.values().any(|c| old.values().any(|o| o == c)) {
                    return refuse("the amendment repeats a commitment of the version it replaces (a reused salt)".into());
                }
            }
            Ok(())
        }
        (Data::Amend { .. }, None) => Ok(()),
        (_, None) => refuse(format!(
            "{} is not one of your declarations with sealed fields",
            target.fingerprint()
        )),
        (Data::Unseal(u), Some(sealed)) => check_openings(&sealed, &u.fields)
            .map_err(|e| Error::Restricted(format!("cannot unseal: {e}"))),
        _ => Ok(()),
    }
}

/// The entry `id` if it is `member`'s.
fn own_entry(tx: &Transaction<'_>, member: &MemberId, id: &EntryId) -> Result<Option<Entry>> {
    let Some(no) = member_no(tx, member)? else {
        return Ok(None);
    };
    let line: Option<String> = tx
        .prepare_cached(
            "SELECT t.line FROM entries e JOIN lines t ON t.rowid = e.rowid
             WHERE e.idp = ?1 AND e.id = ?2 AND e.member = ?3",
        )?
        .query_row(params![&id.as_bytes()[..8], id.as_bytes(), no], |r| {
            r.get(0)
        })
        .optional()?;
    line.as_deref().map(parse_stored).transpose()
}

/// Keeps the openings of the entry just inserted, in its transaction.
pub(super) fn keep_openings(
    tx: &Transaction<'_>,
    entry: &Entry,
    openings: &Openings,
) -> Result<()> {
    let rowid: i64 = tx.query_row(
        "SELECT rowid FROM entries WHERE idp = ?1 AND id = ?2",
        params![&entry.id.as_bytes()[..8], entry.id.as_bytes()],
        |r| r.get(0),
    )?;
    let mut st = tx.prepare_cached(
        "INSERT INTO sealed_openings (entry, field, salt, value) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (f, o) in openings {
        st.execute(params![rowid, f.as_str(), o.salt, o.value])?;
    }
    Ok(())
}

/// Who can read a declaration's sealed fields and what of it is public.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restricted {
    /// The members the author disclosed the fields to (the parties who can read them).
    pub readers: BTreeSet<MemberId>,
    /// Fields made public by an `unseal` entry of the author, with their values.
    pub unsealed: BTreeMap<SealedField, String>,
}

impl Store {
    /// Appends `data`, a declaration or amendment with `sealed`, and keeps `openings` (one for
    /// every sealed field, each opening its commitment) in the same transaction.
    pub fn append_sealed(
        &mut self,
        key: &crate::keys::SecretKey,
        member: &MemberId,
        data: Data,
        openings: &Openings,
    ) -> Result<Entry> {
        self.append_with(
            key,
            member,
            move |_| data,
            crate::entry::Timestamp::now,
            Some(openings),
        )
    }

    /// The openings this store keeps for `entry` (the owner's own sealed declaration); empty
    /// if none are kept.
    pub fn openings(&self, entry: &EntryId) -> Result<Openings> {
        let mut st = self.conn.prepare_cached(
            "SELECT o.field, o.salt, o.value FROM sealed_openings o JOIN entries e ON e.rowid = o.entry
             WHERE e.idp = ?1 AND e.id = ?2",
        )?;
        let rows = st.query_map(params![&entry.as_bytes()[..8], entry.as_bytes()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Openings::new();
        for row in rows {
            let (field, salt, value) = row?;
            let Some(f) = SealedField::from_name(&field) else {
                return Err(Error::Corrupt(crate::error::Damage::Entry(
                    crate::error::bad_field(format!("stored opening of unknown field {field:?}")),
                )));
            };
            out.insert(f, Opening { salt, value });
        }
        Ok(out)
    }

    /// `member`'s recipient string: the `recipient` of their latest `encryption-key` entry held
    /// here, with that entry.
    pub fn encryption_key(&self, member: &MemberId) -> Result<Option<(String, Entry)>> {
        let Some(no) = member_no(&self.conn, member)? else {
            return Ok(None);
        };
        let line: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT t.line FROM entries e JOIN lines t ON t.rowid = e.rowid
                 WHERE e.kind = 'encryption-key' AND e.member = ?1 ORDER BY e.seq DESC LIMIT 1",
            )?
            .query_row([no], |r| r.get(0))
            .optional()?;
        let Some(e) = line.as_deref().map(parse_stored).transpose()? else {
            return Ok(None);
        };
        match &e.data {
            Data::EncryptionKey(k) => Ok(Some((k.recipient.clone(), e))),
            _ => Ok(None),
        }
    }

    /// Every entry of `kind` (`disclosure`, `encryption-key` or `unseal`), in order of arrival.
    pub fn restricted_entries(&self, kind: &str) -> Result<Vec<StoredEntry>> {
        let mut st = self.conn.prepare_cached(
            "SELECT e.rowid, t.line FROM entries e JOIN lines t ON t.rowid = e.rowid
             WHERE e.kind = ?1 AND e.kind IN ('disclosure', 'encryption-key', 'unseal') ORDER BY e.rowid",
        )?;
        let rows = st.query_map([kind], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|r| {
            let (rowid, line) = r?;
            Ok(StoredEntry {
                rowid,
                entry: parse_stored(&line)?,
            })
        })
        .collect()
    }

    /// Who can read each sealed declaration, and what was unsealed, over every disclosure and
    /// `unseal` held (keyed by the declaration's id). Which fields a disclosure gives is not
    /// public, so its recipients count as readers of the declaration.
    pub fn restricted(&self) -> Result<BTreeMap<EntryId, Restricted>> {
        let mut out: BTreeMap<EntryId, Restricted> = BTreeMap::new();
        for s in self.restricted_entries("disclosure")? {
            if let Data::Disclosure(d) = &s.entry.data {
                let r = out.entry(d.target).or_default();
                r.readers.extend(d.recipients.iter().copied());
            }
        }
        for s in self.restricted_entries("unseal")? {
            if let Data::Unseal(u) = &s.entry.data {
                let r = out.entry(u.target).or_default();
                for (f, o) in &u.fields {
                    r.unsealed.insert(*f, o.value.clone());
                }
            }
        }
        Ok(out)
    }
}
