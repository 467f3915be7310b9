//! Declaration commands: `declare`, `amend`, `withdraw`, `retract`, `reaffirm`.

use clap::Args as ClapArgs;
use coi_ledger::home::Home;
use coi_ledger::register::{Mark, NilReturn};
use coi_ledger::store::Store;
use coi_ledger::{
    Between, Category, Data, Declaration, EntryId, Error, Matter, MemberId, Mitigation, NoConflict,
    Reaffirm, Relationship, Result, Retract, Scope, Timestamp, Whose, Withdraw,
};

use super::seal::{self, SealArgs};
use super::{append_own, matters, parse_date, Outcome};

/// Fields of a declaration, shared by `declare` and `amend`.
#[derive(ClapArgs, Debug)]
pub(super) struct FieldArgs {
    /// A matter the declaration is about (meeting, agenda item, motion, vote id), e.g.
    /// board-2026-12/item-4. Repeat for several.
    #[arg(long = "matter", value_name = "M")]
    matters: Vec<String>,
    /// A standing declaration: every matter touching the counterparty.
    #[arg(long, conflicts_with = "matters")]
    standing: bool,
    /// financial | material | gift | ipr | other-duty | other
    #[arg(long)]
    category: Option<Category>,
    /// personal-professional | professional-professional
    #[arg(long)]
    between: Option<Between>,
    /// Whose interest: self | family | associate | employer | client [default: self]
    #[arg(long)]
    whose: Option<Whose>,
    /// The other party: a name, or a descriptor where a name cannot be given.
    #[arg(long)]
    counterparty: Option<String>,
    /// employment | consulting | grant-contract | royalties | honoraria | travel | advisory-board |
    /// fiduciary | equity | gift | loan | other
    #[arg(long)]
    relationship: Option<Relationship>,
    /// Free text: what the interest is.
    #[arg(long)]
    nature: Option<String>,
    /// A value band, e.g. "1,001-15,000 USD".
    #[arg(long)]
    value: Option<String>,
    /// When the interest began (YYYY-MM-DD).
    #[arg(long)]
    since: Option<String>,
    /// When it ends or ended (YYYY-MM-DD).
    #[arg(long)]
    until: Option<String>,
    /// disclose-only | abstain | recuse [default: disclose-only]
    #[arg(long)]
    mitigation: Option<Mitigation>,
}

#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  coi declare --category financial --between personal-professional \\
      --counterparty \"Acme Corp\" --relationship consulting --standing
  coi declare --category material --between professional-professional \\
      --counterparty \"Example Foundation\" --matter board-2026-12/item-2 \\
      --mitigation recuse
  coi declare --none --matter board-2026-12/item-3      nothing to declare on it
  coi declare --none --standing                          no interests at all")]
pub(super) struct DeclareArgs {
    /// Declare that you have no conflict on the --matter given (or, with --standing, a nil return:
    /// no interests to register).
    #[arg(long, conflicts_with_all = ["category", "between", "whose", "counterparty", "relationship", "nature", "value", "since", "until", "mitigation"])]
    none: bool,
    #[command(flatten)]
    fields: FieldArgs,
    #[command(flatten)]
    seal: SealArgs,
}

#[derive(ClapArgs, Debug)]
pub(super) struct AmendArgs {
    /// The live declaration to amend (id or unique prefix of at least 8 hex characters).
    id: String,
    #[command(flatten)]
    fields: FieldArgs,
    /// Sealed fields of the version amended are carried into the new one with fresh salts
    /// (give FIELD=VALUE to change one, FIELD= to drop it), and disclosed again to every member
    /// who could read the old version, and to --to.
    #[command(flatten)]
    seal: SealArgs,
}

#[derive(ClapArgs, Debug)]
pub(super) struct WithdrawArgs {
    /// The live declaration whose interest ended.
    id: String,
    /// When it ended (YYYY-MM-DD).
    #[arg(long)]
    until: Option<String>,
}

#[derive(ClapArgs, Debug)]
pub(super) struct RetractArgs {
    /// The declaration made in error.
    id: String,
    /// Why it is retracted.
    #[arg(long)]
    reason: String,
}

#[derive(ClapArgs, Debug)]
pub(super) struct ReaffirmArgs {
    /// An optional note.
    #[arg(long)]
    note: Option<String>,
}

pub(super) fn declare(home: &Home, a: DeclareArgs) -> Result<Outcome> {
    let f = a.fields;
    let ms = matters(&f.matters)?;
    let scope = match (&ms, f.standing) {
        (Some(_), false) => Scope::Specific,
        (None, true) => Scope::Standing,
        _ => {
            return Err(Error::Invalid(if a.none {
                "say which matter you have no conflict on with --matter M, or give --standing for a nil return".into()
            } else {
                "give --matter M (one or more) for a specific declaration, or --standing".into()
            }))
        }
    };
    if a.none && (!a.seal.sealed.is_empty() || !a.seal.to.is_empty()) {
        return Err(Error::Invalid(
            "--sealed and --to belong to a declaration, not to --none".into(),
        ));
    }
    if a.none {
        return append_own(home, |s: &Store, me: &MemberId| -> Result<Data> {
            warn_contradicted(s, me, ms.as_deref())?;
            Ok(Data::NoConflict(NoConflict { matters: ms, scope }))
        });
    }
    let missing: Vec<&str> = [
        ("--category", f.category.is_none()),
        ("--between", f.between.is_none()),
        ("--counterparty", f.counterparty.is_none()),
    ]
    .into_iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| n)
    .collect();
    if !missing.is_empty() {
        return Err(Error::Invalid(format!(
            "a declaration needs {} (or use --none to declare no conflict)",
            missing.join(", ")
        )));
    }
    let decl = Declaration {
        between: f.between.unwrap_or(Between::PersonalProfessional),
        category: f.category.unwrap_or(Category::Other),
        counterparty: f.counterparty.unwrap_or_default(),
        matters: ms,
        mitigation: f.mitigation.unwrap_or(Mitigation::DiscloseOnly),
        nature: f.nature,
        relationship: f.relationship,
        scope,
        sealed: None,
        since: f.since.as_deref().map(parse_date).transpose()?,
        until: f.until.as_deref().map(parse_date).transpose()?,
        value: f.value,
        whose: f.whose.unwrap_or(Whose::Own),
    };
    if a.seal.sealed.is_empty() && a.seal.to.is_empty() {
        return append_own(home, |_: &Store, _: &MemberId| -> Result<Data> {
            Ok(Data::Declaration(decl))
        });
    }
    let mut store = home.open_store()?;
    let me = home.member(&store)?;
    let Some((sealed, sealing)) = seal::prepare(&store, &me, &a.seal, None, &Default::default())?
    else {
        return Err(Error::Invalid("nothing to seal".into()));
    };
    let mut decl = decl;
    decl.sealed = Some(sealed);
    seal::append_sealed(home, &mut store, &me, Data::Declaration(decl), sealing)
}

pub(super) fn amend(home: &Home, a: AmendArgs) -> Result<Outcome> {
    let f = a.fields;
    let sargs = a.seal;
    let mut sealing = None;
    let mut build = |store: &Store, me: &MemberId| -> Result<Data> {
        let target = store.find(&a.id)?.entry;
        if target.member != *me {
            return Err(Error::Invalid(format!(
                "{} is not your entry",
                target.id.fingerprint()
            )));
        }
        let Some(old) = target.data.declaration() else {
            return Err(Error::Invalid(format!(
                "{} is a {} entry, not a declaration",
                target.id.fingerprint(),
                target.kind()
            )));
        };
        let mut d = old.clone();
        if let Some(ms) = matters(&f.matters)? {
            d.matters = Some(ms);
            d.scope = Scope::Specific;
        }
        if f.standing {
            d.matters = None;
            d.scope = Scope::Standing;
        }
        if let Some(v) = f.category {
            d.category = v;
        }
        if let Some(v) = f.between {
            d.between = v;
        }
        if let Some(v) = f.whose {
            d.whose = v;
        }
        if let Some(v) = &f.counterparty {
            d.counterparty = v.clone();
        }
        if let Some(v) = f.relationship {
            d.relationship = Some(v);
        }
        if let Some(v) = &f.nature {
            d.nature = Some(v.clone());
        }
        if let Some(v) = &f.value {
            d.value = Some(v.clone());
        }
        if let Some(v) = &f.since {
            d.since = Some(parse_date(v)?);
        }
        if let Some(v) = &f.until {
            d.until = Some(parse_date(v)?);
        }
        if let Some(v) = f.mitigation {
            d.mitigation = v;
        }
        // Sealed fields: carried with fresh salts (spec §7.3), changed, or dropped.
        let old_openings = match &old.sealed {
            None => None,
            Some(_) => {
                let o = store.openings(&target.id)?;
                if o.is_empty() {
                    return Err(Error::Restricted(format!(
                        "this store keeps no openings of {}'s sealed fields, so they cannot be carried into the new version",
                        target.id.fingerprint()
                    )));
                }
                Some(o)
            }
        };
        let readers = store
            .restricted()?
            .remove(&target.id)
            .map(|r| r.readers)
            .unwrap_or_default();
        let readers = readers.into_iter().filter(|m| m != me).collect();
        let new_values = |o: &coi_ledger::seal::Openings| {
            o.iter()
                .map(|(f, x)| (*f, x.value.clone()))
                .collect::<Vec<_>>()
        };
        let prepared = seal::prepare(store, me, &sargs, old_openings.as_ref(), &readers)?;
        d.sealed = prepared.as_ref().map(|(s, _)| s.clone());
        let same_sealed = match (&prepared, &old_openings) {
            (Some((_, p)), Some(o)) => new_values(p.openings()) == new_values(o),
            (None, None) => true,
            _ => false,
        };
        let mut bare_new = d.clone();
        bare_new.sealed = None;
        let mut bare_old = old.clone();
        bare_old.sealed = None;
        if bare_new == bare_old && same_sealed && sargs.to.is_empty() {
            return Err(Error::Invalid(
                "nothing to amend: give at least one field that changes".into(),
            ));
        }
        sealing = prepared.map(|(_, p)| p);
        Ok(Data::Amend {
            target: target.id,
            declaration: d,
        })
    };
    let mut store = home.open_store()?;
    let me = home.member(&store)?;
    let data = build(&store, &me)?;
    match sealing {
        Some(s) => seal::append_sealed(home, &mut store, &me, data, s),
        None => {
            let key = home.signing_key(&store, &me, &super::Terminal)?;
            let entry = store.append(&key.secret, &me, data)?;
            super::out(entry.id.to_hex())?;
            Ok(Outcome::Ok)
        }
    }
}

pub(super) fn withdraw(home: &Home, a: WithdrawArgs) -> Result<Outcome> {
    let until = a.until.as_deref().map(parse_date).transpose()?;
    // A withdrawal ends the declaration at once (spec §6.7): a date still to come would read as
    // "current until then" and be false in between. A planned end is the declaration's own
    // `until`, which keeps it current until that day.
    let today = Timestamp::now();
    if let Some(u) = until.as_ref().filter(|u| u.as_str() > today.date()) {
        return Err(Error::Invalid(format!(
            "--until {} is after today ({}): withdraw records an interest that has ended. \
             To say when it will end, amend the declaration with --until {} (it stays current until then)",
            u.as_str(),
            today.date(),
            u.as_str()
        )));
    }
    append_own(home, |s: &Store, _: &MemberId| -> Result<Data> {
        Ok(Data::Withdraw(Withdraw {
            target: s.find(&a.id)?.entry.id,
            until: until.clone(),
        }))
    })
}

pub(super) fn retract(home: &Home, a: RetractArgs) -> Result<Outcome> {
    append_own(home, |s: &Store, _: &MemberId| -> Result<Data> {
        Ok(Data::Retract(Retract {
            reason: a.reason.clone(),
            target: s.find(&a.id)?.entry.id,
        }))
    })
}

pub(super) fn reaffirm(home: &Home, a: ReaffirmArgs) -> Result<Outcome> {
    append_own(home, |_: &Store, _: &MemberId| -> Result<Data> {
        Ok(Data::Reaffirm(Reaffirm {
            note: a.note.clone(),
        }))
    })
}

/// Warns when a "none" on `matters` (all matters for a nil return) would contradict one of the
/// member's own current declarations: the register will show the contradiction.
fn warn_contradicted(s: &Store, me: &MemberId, matters: Option<&[Matter]>) -> Result<()> {
    let register = s.register(Some(me))?;
    let Some(record) = register.member(me) else {
        return Ok(());
    };
    // The "none" about to be made, judged as the register will judge it once made.
    let nil = NilReturn {
        mark: Mark {
            id: EntryId::ZERO,
            seq: u64::MAX,
            time: Timestamp::now(),
        },
        scope: if matters.is_some() {
            Scope::Specific
        } else {
            Scope::Standing
        },
        matters: matters.map(<[Matter]>::to_vec),
    };
    for interest in record.contradicted_by(me, &nil) {
        if let Some(v) = interest.versions.last() {
            eprintln!(
                "coi: warning: your declaration {} is current and concerns {}; this \"none\" contradicts it and will be shown as a contradiction. \
                 If the interest ended, withdraw the declaration (or retract it if it was made in error).",
                v.mark.id.fingerprint(),
                matters.map_or("every matter".to_string(), |ms| ms.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "))
            );
        }
    }
    Ok(())
}
