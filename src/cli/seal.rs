//! Restricted declarations (spec §7): `encryption-key`, the `--sealed`/`--to` options of
//! `declare` and `amend`, `disclose`, `reveal` and `unseal`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use clap::Args as ClapArgs;
use coi_ledger::display::{escape, quote};
use coi_ledger::home::{Callbacks, Home, HomeNotice, PassphraseRequest};
use coi_ledger::seal::age::{self as sealage, Identity};
use coi_ledger::seal::{self, Opening, Openings};
use coi_ledger::store::{Restricted, Store};
use coi_ledger::{
    AgeIdentityFile, Data, Disclosure, EncryptionKey, Entry, EntryId, Error, MemberId, Result,
    SealedField, Unseal,
};
use serde_json::json;
use zeroize::Zeroizing;

use super::render::{decl_summary, q, row};
use super::{out, out_json, Outcome, Terminal};

/// `--sealed` and `--to` of `declare` and `amend`.
#[derive(ClapArgs, Debug)]
pub(super) struct SealArgs {
    /// A restricted field and its value, kept out of the public line (which carries a
    /// commitment to it): address | amount | client | contract | family | note. Repeat for
    /// several. With `amend`, FIELD= (no value) drops the field from the new version.
    #[arg(long = "sealed", value_name = "FIELD=VALUE")]
    pub(super) sealed: Vec<String>,
    /// Disclose the sealed fields to this member (id, fingerprint or unique prefix), encrypted
    /// to the encryption key they published. Repeat for several.
    #[arg(long = "to", value_name = "MEMBER")]
    pub(super) to: Vec<String>,
}

#[derive(ClapArgs, Debug)]
pub(super) struct EncryptionKeyArgs {
    /// Make a new identity and publish its recipient; the old one is kept (as
    /// age-identity.N.json) so that disclosures made to it still open.
    #[arg(long)]
    rotate: bool,
    /// Also write the identity to FILE (mode 0600) in the form of the reference `age` tool
    /// (`age -d -i FILE`). Anyone with the file reads every disclosure made to you.
    #[arg(long, value_name = "FILE")]
    export_identity: Option<PathBuf>,
}

#[derive(ClapArgs, Debug)]
pub(super) struct DiscloseArgs {
    /// Your declaration with sealed fields (id or unique prefix).
    id: String,
    /// A member to disclose to. Repeat for several.
    #[arg(long = "to", value_name = "MEMBER", required = true)]
    to: Vec<String>,
    /// Disclose only this field [default: every sealed field]. Repeat for several.
    #[arg(long = "field", value_name = "FIELD")]
    fields: Vec<SealedField>,
}

#[derive(ClapArgs, Debug)]
pub(super) struct RevealArgs {
    /// Only disclosures of this declaration (id or prefix) [default: every one addressed to you].
    id: Option<String>,
    /// Read the declarations and disclosures from these published files, verified first,
    /// instead of the store.
    #[arg(long = "ledger", value_name = "FILE")]
    ledgers: Vec<PathBuf>,
    /// Machine-readable output: with the salts, so that the values can be shown genuine to
    /// others (anyone recomputes the commitments in the signed declaration).
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
pub(super) struct UnsealArgs {
    /// Your declaration with sealed fields (id or unique prefix).
    id: String,
    /// Make this field public. Repeat for several.
    #[arg(long = "field", value_name = "FIELD", required_unless_present = "all")]
    fields: Vec<SealedField>,
    /// Make every sealed field public.
    #[arg(long, conflicts_with = "fields")]
    all: bool,
}

/// Callbacks that ask once per run and give the same passphrase to every later request: the
/// signing key and the identity share it.
struct Remembering(std::cell::RefCell<Option<Zeroizing<String>>>);

impl Remembering {
    fn new() -> Remembering {
        Remembering(std::cell::RefCell::new(None))
    }
}

impl Callbacks for Remembering {
    fn passphrase(&self, request: PassphraseRequest<'_>) -> Result<Zeroizing<String>> {
        if let Some(p) = self.0.borrow().as_ref() {
            return Ok(p.clone());
        }
        let p = Terminal.passphrase(request)?;
        *self.0.borrow_mut() = Some(p.clone());
        Ok(p)
    }
    fn notice(&self, notice: HomeNotice) {
        Terminal.notice(notice)
    }
}

/// `FIELD=VALUE` options as a map; with `allow_drop`, `FIELD=` maps to `None`.
fn parse_sealed(
    args: &[String],
    allow_drop: bool,
) -> Result<BTreeMap<SealedField, Option<String>>> {
    let mut out = BTreeMap::new();
    for a in args {
        let Some((name, value)) = a.split_once('=') else {
            return Err(Error::Invalid(format!(
                "--sealed {}: give FIELD=VALUE",
                quote(a)
            )));
        };
        let Some(field) = SealedField::from_name(name) else {
            return Err(Error::Invalid(format!(
                "--sealed: {} is not a restricted field (address, amount, client, contract, family, note)",
                quote(name)
            )));
        };
        let value = if value.is_empty() {
            if !allow_drop {
                return Err(Error::Invalid(format!("--sealed {name}=: give a value")));
            }
            None
        } else {
            Some(value.to_string())
        };
        if out.insert(field, value).is_some() {
            return Err(Error::Invalid(format!("--sealed {name} given twice")));
        }
    }
    Ok(out)
}

/// The members `to` names, sorted and unique, with the recipient each published.
fn recipients(store: &Store, me: &MemberId, to: &[String]) -> Result<Vec<(MemberId, String)>> {
    let mut members = BTreeSet::new();
    for t in to {
        members.insert(store.resolve_member(t)?);
    }
    if members.len() > coi_ledger::MAX_RECIPIENTS {
        return Err(Error::Invalid(format!(
            "at most {} recipients per disclosure",
            coi_ledger::MAX_RECIPIENTS
        )));
    }
    let mut out = Vec::new();
    for m in members {
        let Some((r, _)) = store.encryption_key(&m)? else {
            return Err(Error::Restricted(format!(
                "{} has published no encryption key in the ledgers this store holds: they run `coi encryption-key` and publish their ledger, you import it",
                m.fingerprint()
            )));
        };
        if seal::check_recipient(&r) != Ok(seal::RecipientType::X25519) {
            return Err(Error::Restricted(format!(
                "{} published a recipient of a type coi cannot encrypt to yet ({})",
                m.fingerprint(),
                q(&r)
            )));
        }
        if m == *me {
            eprintln!("coi: note: you are among the recipients: you can read your own values in your store anyway");
        }
        out.push((m, r));
    }
    Ok(out)
}

/// A disclosure of `openings` to `to`, for the declaration `target`.
fn disclosure(to: &[(MemberId, String)], openings: &Openings, target: EntryId) -> Result<Data> {
    let plaintext = seal::encode_plaintext(openings);
    let recipients: Vec<String> = to.iter().map(|(_, r)| r.clone()).collect();
    let ct = sealage::encrypt(&recipients, plaintext.as_bytes())
        .map_err(|e| Error::Restricted(e.to_string()))?;
    let ciphertext = STANDARD.encode(ct);
    if ciphertext.len() > coi_ledger::MAX_CIPHERTEXT {
        return Err(Error::Restricted(format!(
            "the disclosure would be {} base64 characters, over the limit of {}: disclose to fewer members at a time, or shorten the values",
            ciphertext.len(),
            coi_ledger::MAX_CIPHERTEXT
        )));
    }
    Ok(Data::Disclosure(Disclosure {
        ciphertext,
        recipients: to.iter().map(|(m, _)| *m).collect(),
        target,
    }))
}

/// A declaration's sealed fields about to be appended: the commitments go in the entry, the
/// openings to the store, the disclosure after.
pub(super) struct Sealing {
    openings: Openings,
    to: Vec<(MemberId, String)>,
}

impl Sealing {
    /// The openings of the new version.
    pub(super) fn openings(&self) -> &Openings {
        &self.openings
    }
}

/// Seals the values `args` gives (with `old`, the openings of the version amended, carried into
/// the new version with fresh salts unless given again or dropped). `None` when nothing is
/// sealed. `extra_to` are members who could read the old version.
pub(super) fn prepare(
    store: &Store,
    me: &MemberId,
    args: &SealArgs,
    old: Option<&Openings>,
    extra_to: &BTreeSet<MemberId>,
) -> Result<Option<(seal::Sealed, Sealing)>> {
    let given = parse_sealed(&args.sealed, old.is_some())?;
    let mut values: BTreeMap<SealedField, String> = old
        .map(|o| o.iter().map(|(f, x)| (*f, x.value.clone())).collect())
        .unwrap_or_default();
    for (f, v) in given {
        match v {
            Some(v) => values.insert(f, v),
            None => values.remove(&f),
        };
    }
    if values.is_empty() {
        if !args.to.is_empty() {
            return Err(Error::Invalid(
                "--to discloses sealed fields: give them with --sealed FIELD=VALUE".into(),
            ));
        }
        return Ok(None);
    }
    let (sealed, openings) = seal::seal(&values).map_err(Error::Invalid)?;
    let mut to_args = args.to.clone();
    to_args.extend(extra_to.iter().map(|m| m.to_hex()));
    let to = if to_args.is_empty() {
        Vec::new()
    } else {
        recipients(store, me, &to_args)?
    };
    Ok(Some((sealed, Sealing { openings, to })))
}

/// Appends `data` (a declaration with `sealed`) with its openings, then its disclosure if any,
/// and prints both ids. The disclosure is encrypted before anything is appended.
pub(super) fn append_sealed(
    home: &Home,
    store: &mut Store,
    me: &MemberId,
    data: Data,
    sealing: Sealing,
) -> Result<Outcome> {
    // Encrypt first (the plaintext does not name the declaration), so a bad recipient stops
    // everything before the declaration is made.
    let pending = if sealing.to.is_empty() {
        None
    } else {
        Some(disclosure(&sealing.to, &sealing.openings, EntryId::ZERO)?)
    };
    let key = home.signing_key(store, me, &Terminal)?;
    let entry = store.append_sealed(&key.secret, me, data, &sealing.openings)?;
    out(entry.id.to_hex())?;
    let Some(Data::Disclosure(mut d)) = pending else {
        eprintln!(
            "coi: the sealed values are kept in your store only; nobody can read them until you `coi disclose {} --to MEMBER` or `coi unseal` them",
            &entry.id.to_hex()[..16]
        );
        return Ok(Outcome::Ok);
    };
    d.target = entry.id;
    let n = d.recipients.len();
    let disc = store
        .append(&key.secret, me, Data::Disclosure(d))
        .inspect_err(|_| {
            eprintln!(
                "coi: the declaration was made, its disclosure was not: run `coi disclose {} --to ...` again",
                &entry.id.to_hex()[..16]
            )
        })?;
    out(disc.id.to_hex())?;
    eprintln!("coi: disclosed to {n} member(s), encrypted to their published keys");
    Ok(Outcome::Ok)
}

pub(super) fn encryption_key(home: &Home, a: EncryptionKeyArgs) -> Result<Outcome> {
    let mut store = home.open_store()?;
    let me = home.member(&store)?;
    let cb = Remembering::new();
    let current = home.age_identity_path();
    let existing = if current.exists() {
        Some(home.read_age_identity(&current, &cb)?)
    } else {
        None
    };
    let (identity, fresh) = match existing {
        Some(f) if !a.rotate => {
            let id = Identity::parse(&f.identity).map_err(|reason| Error::KeyFile {
                path: current.clone(),
                reason,
            })?;
            if id.recipient() != f.recipient || f.member != me {
                return Err(Error::KeyFile {
                    path: current.clone(),
                    reason: "the identity is not the recipient it names, or not this member's"
                        .into(),
                });
            }
            (id, false)
        }
        _ => (Identity::generate(), true),
    };
    let recipient = identity.recipient();
    if fresh {
        home.write_age_identity(
            &AgeIdentityFile {
                member: me,
                recipient: recipient.clone(),
                identity: identity.secret_string(),
            },
            a.rotate,
            &cb,
        )?;
    }
    let published = store.encryption_key(&me)?.map(|(r, _)| r);
    if published.as_deref() != Some(recipient.as_str()) {
        let key = home.signing_key(&store, &me, &cb)?;
        let e = store.append(
            &key.secret,
            &me,
            Data::EncryptionKey(EncryptionKey {
                recipient: recipient.clone(),
            }),
        )?;
        eprintln!(
            "coi: published in entry {}; export and publish your ledger so others can disclose to you",
            e.id.fingerprint()
        );
    } else {
        eprintln!("coi: already published");
    }
    if let Some(path) = &a.export_identity {
        write_new_private(path, identity.identity_file().as_bytes())?;
        eprintln!(
            "coi: identity written to {} (mode 0600): it reads every disclosure made to you",
            escape(&path.display().to_string())
        );
    }
    out(recipient)?;
    Ok(Outcome::Ok)
}

/// Writes a new file readable by its owner only; an existing file is never replaced.
fn write_new_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    f.sync_all().map_err(|e| Error::io(path, e))
}

/// The caller's own declaration with sealed fields, and the openings the store keeps for it.
fn own_sealed(store: &Store, me: &MemberId, id: &str) -> Result<(Entry, Openings)> {
    let e = store.find(id)?.entry;
    if e.member != *me {
        return Err(Error::Invalid(format!(
            "{} is not your entry",
            e.id.fingerprint()
        )));
    }
    if e.data
        .declaration()
        .and_then(|d| d.sealed.as_ref())
        .is_none()
    {
        return Err(Error::Invalid(format!(
            "{} is not a declaration with sealed fields",
            e.id.fingerprint()
        )));
    }
    let openings = store.openings(&e.id)?;
    if openings.is_empty() {
        return Err(Error::Restricted(format!(
            "this store keeps no openings of {}: it was sealed in another store",
            e.id.fingerprint()
        )));
    }
    Ok((e, openings))
}

fn chosen(openings: &Openings, fields: &[SealedField]) -> Result<Openings> {
    if fields.is_empty() {
        return Ok(openings.clone());
    }
    fields
        .iter()
        .map(|f| {
            openings.get(f).map(|o| (*f, o.clone())).ok_or_else(|| {
                Error::Invalid(format!("{} is not a sealed field of it", f.as_str()))
            })
        })
        .collect()
}

pub(super) fn disclose(home: &Home, a: DiscloseArgs) -> Result<Outcome> {
    let mut store = home.open_store()?;
    let me = home.member(&store)?;
    let (e, openings) = own_sealed(&store, &me, &a.id)?;
    let give = chosen(&openings, &a.fields)?;
    let to = recipients(&store, &me, &a.to)?;
    let data = disclosure(&to, &give, e.id)?;
    let key = home.signing_key(&store, &me, &Terminal)?;
    let d = store.append(&key.secret, &me, data)?;
    out(d.id.to_hex())?;
    eprintln!(
        "coi: {} field(s) of {} disclosed to {} member(s)",
        give.len(),
        e.id.fingerprint(),
        to.len()
    );
    Ok(Outcome::Ok)
}

pub(super) fn unseal(home: &Home, a: UnsealArgs) -> Result<Outcome> {
    let mut store = home.open_store()?;
    let me = home.member(&store)?;
    let (e, openings) = own_sealed(&store, &me, &a.id)?;
    let fields = if a.all {
        openings.clone()
    } else {
        chosen(&openings, &a.fields)?
    };
    let n = fields.len();
    let key = home.signing_key(&store, &me, &Terminal)?;
    let u = store.append(
        &key.secret,
        &me,
        Data::Unseal(Unseal {
            fields,
            target: e.id,
        }),
    )?;
    out(u.id.to_hex())?;
    eprintln!(
        "coi: {n} field(s) of {} are public from this entry on; publish your ledger",
        e.id.fingerprint()
    );
    Ok(Outcome::Ok)
}

/// What `reveal` works over: declarations and disclosures, from the store or verified files.
struct Source {
    /// Declarations with `sealed`, by id.
    declarations: BTreeMap<EntryId, Entry>,
    /// Disclosures in order.
    disclosures: Vec<Entry>,
}

fn source_from_store(store: &Store) -> Result<Source> {
    let disclosures: Vec<Entry> = store
        .restricted_entries("disclosure")?
        .into_iter()
        .map(|s| s.entry)
        .collect();
    let mut declarations = BTreeMap::new();
    for d in &disclosures {
        if let Data::Disclosure(x) = &d.data {
            if let std::collections::btree_map::Entry::Vacant(v) = declarations.entry(x.target) {
                v.insert(store.find(&x.target.to_hex())?.entry);
            }
        }
    }
    Ok(Source {
        declarations,
        disclosures,
    })
}

/// Verifies `files` together and gathers what reveal needs; `None` (after saying why) if they
/// do not verify.
fn source_from_files(files: &[PathBuf]) -> Result<Option<Source>> {
    let mut readers = Vec::new();
    for f in files {
        readers.push(super::publish::open_input(f)?);
    }
    let mut src = Source {
        declarations: BTreeMap::new(),
        disclosures: Vec::new(),
    };
    let mut first_problem: Option<String> = None;
    let reports = coi_ledger::verify_files_accepted(
        readers,
        coi_ledger::VerifyOptions::default(),
        |_, _, e: &Entry| -> Result<()> {
            if e.data.declaration().is_some_and(|d| d.sealed.is_some()) {
                src.declarations.insert(e.id, e.clone());
            }
            if matches!(e.data, Data::Disclosure(_)) {
                src.disclosures.push(e.clone());
            }
            Ok(())
        },
        |f| -> Result<()> {
            if first_problem.is_none() {
                if let coi_ledger::Finding::Problem { problem: p, .. } = f {
                    first_problem = Some(format!("line {}: {}: {}", p.line, p.class, p.message));
                }
            }
            Ok(())
        },
        |_, _| {},
    )?;
    if reports.iter().any(|r| !r.valid) {
        eprintln!(
            "coi: the files do not verify ({}): nothing in them is revealed; `coi verify` says more",
            first_problem.unwrap_or_else(|| "see `coi verify`".into())
        );
        return Ok(None);
    }
    Ok(Some(src))
}

/// One revealed declaration.
struct Revealed<'a> {
    declaration: &'a Entry,
    disclosure: Option<&'a Entry>,
    openings: Openings,
}

pub(super) fn reveal(home: &Home, a: RevealArgs) -> Result<Outcome> {
    let store = home.open_store_read()?;
    let me = home.member(&store)?;
    let src = if a.ledgers.is_empty() {
        source_from_store(&store)?
    } else {
        match source_from_files(&a.ledgers)? {
            Some(s) => s,
            None => return Ok(Outcome::Failed),
        }
    };
    let wanted: Option<EntryId> = match &a.id {
        None => None,
        Some(text) => Some(resolve_in(&store, &src, text)?),
    };
    let cb = Remembering::new();
    let mut identities = Vec::new();
    for p in home.age_identity_paths()? {
        let f = home.read_age_identity(&p, &cb)?;
        identities.push(
            Identity::parse(&f.identity).map_err(|reason| Error::KeyFile {
                path: p.clone(),
                reason,
            })?,
        );
    }
    let mut revealed = Vec::new();
    let mut failures = Vec::new();
    // The author reads their own values from the store.
    if let Some(id) = wanted {
        if let Some(e) = src.declarations.get(&id).filter(|e| e.member == me) {
            let openings = store.openings(&e.id)?;
            if !openings.is_empty() {
                revealed.push(Revealed {
                    declaration: e,
                    disclosure: None,
                    openings,
                });
            }
        }
    }
    let mut addressed = 0;
    for d in &src.disclosures {
        let Data::Disclosure(x) = &d.data else {
            continue;
        };
        if wanted.is_some_and(|w| w != x.target && w != d.id) || !x.recipients.contains(&me) {
            continue;
        }
        addressed += 1;
        let Some(decl) = src.declarations.get(&x.target) else {
            failures.push(format!(
                "disclosure {}: its declaration {} is not in the {}",
                d.id.fingerprint(),
                x.target.fingerprint(),
                if a.ledgers.is_empty() {
                    "store"
                } else {
                    "files"
                }
            ));
            continue;
        };
        match open(&identities, x, decl) {
            Ok(openings) => revealed.push(Revealed {
                declaration: decl,
                disclosure: Some(d),
                openings,
            }),
            Err(why) => failures.push(format!("disclosure {}: {why}", d.id.fingerprint())),
        }
    }
    if identities.is_empty() && addressed > 0 {
        failures.push("this home has no encryption identity: run `coi encryption-key`".into());
    }
    if let Some(id) = wanted {
        if revealed.is_empty() && failures.is_empty() {
            failures.push(format!(
                "no disclosure of {} is addressed to you",
                id.fingerprint()
            ));
        }
    }
    if a.json {
        let items: Vec<_> = revealed.iter().map(reveal_json).collect();
        out_json(&json!({
            "revealed": items,
            "failures": failures,
        }))?;
    } else {
        for r in &revealed {
            print_revealed(r)?;
        }
        for f in &failures {
            eprintln!("coi: refused: {f}");
        }
        if revealed.is_empty() && failures.is_empty() {
            row("no disclosure is addressed to you")?;
        }
    }
    Ok(Outcome::of(failures.is_empty()))
}

/// Finds the declaration or disclosure `text` names among those of `src` (or in the store).
fn resolve_in(store: &Store, src: &Source, text: &str) -> Result<EntryId> {
    let Some(hex) = coi_ledger::store::entry_id_prefix(text) else {
        return Ok(store.find(text)?.entry.id);
    };
    let ids = src
        .declarations
        .keys()
        .chain(src.disclosures.iter().map(|d| &d.id))
        .filter(|id| id.to_hex().starts_with(&hex))
        .copied()
        .collect::<BTreeSet<_>>();
    match ids.len() {
        1 => Ok(ids.into_iter().next().unwrap_or(EntryId::ZERO)),
        0 => Ok(store.find(text)?.entry.id),
        _ => Err(Error::Invalid(format!(
            "{} names more than one entry: give more of it",
            quote(text)
        ))),
    }
}

/// Opens a disclosure addressed to the caller (spec §7.2).
fn open(
    identities: &[Identity],
    d: &Disclosure,
    decl: &Entry,
) -> std::result::Result<Openings, String> {
    let Some(x) = decl.data.declaration() else {
        return Err("its target is not a declaration".into());
    };
    sealage::open_disclosure(identities, d, x).map_err(|e| match e.class {
        sealage::RevealClass::NotSealed | sealage::RevealClass::BadCommitment => format!(
            "{e}: the disclosed values are not what {} signed",
            decl.member.fingerprint()
        ),
        _ => e.to_string(),
    })
}

fn print_revealed(r: &Revealed<'_>) -> Result<()> {
    let e = r.declaration;
    let Some(d) = e.data.declaration() else {
        return Ok(());
    };
    row(format!(
        "declaration {} by {} (seq {}, {})",
        e.id.fingerprint(),
        e.member.fingerprint(),
        e.seq,
        e.time.as_str()
    ))?;
    row(format!("  {}", decl_summary(d)))?;
    for (f, o) in &r.openings {
        row(format!("  {:<9} {}", f.as_str(), quote(&o.value)))?;
    }
    let sealed = d.sealed.as_ref().map_or(0, |s| s.len());
    let how = match r.disclosure {
        Some(x) => format!("disclosed to you in {}", x.id.fingerprint()),
        None => "your own, from your store".to_string(),
    };
    row(format!(
        "  {} of {} sealed field(s) shown, {how}; each matches the commitment in the signed declaration",
        r.openings.len(),
        sealed
    ))
}

fn reveal_json(r: &Revealed<'_>) -> serde_json::Value {
    let fields: serde_json::Map<String, serde_json::Value> = r
        .openings
        .iter()
        .map(|(f, o): (&SealedField, &Opening)| {
            (
                f.as_str().to_string(),
                json!({"salt": o.salt, "value": o.value}),
            )
        })
        .collect();
    json!({
        "declaration": super::render::entry_json(r.declaration),
        "disclosure": r.disclosure.map(|d| d.id.to_hex()),
        "fields": fields,
        "matches_commitments": true,
    })
}

/// What the views add to declaration `id` (`data`): who can read its sealed fields and which
/// were made public; nothing for a declaration without `sealed` or another entry.
pub(super) fn note(all: &BTreeMap<EntryId, Restricted>, id: &EntryId, data: &Data) -> String {
    match data.declaration().and_then(|d| d.sealed.as_ref()) {
        Some(_) => restricted_note(all.get(id)),
        None => String::new(),
    }
}

/// What the views say of a declaration's sealed fields: who can read them and what was made
/// public.
pub(super) fn restricted_note(info: Option<&Restricted>) -> String {
    let readers = info.map_or(0, |r| r.readers.len());
    let mut s = match readers {
        0 => " (readable by no other party yet)".to_string(),
        1 => " (readable by 1 party)".to_string(),
        n => format!(" (readable by {n} parties)"),
    };
    if let Some(r) = info.filter(|r| !r.unsealed.is_empty()) {
        let public: Vec<String> = r
            .unsealed
            .iter()
            .map(|(f, v)| format!("{} {}", f.as_str(), q(v)))
            .collect();
        s.push_str(&format!("; made public: {}", public.join(", ")));
    }
    s
}
