//! Command-line interface: argument definitions and one function per command. The only module
//! that talks to the terminal. Every string that came from a ledger or an argument is escaped
//! before it is printed.

use std::fs::File;
use std::io::{self, BufReader, IsTerminal as _, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args as ClapArgs, Parser, Subcommand};
use coi_ledger::display::{escape, quote};
use coi_ledger::home::{write_atomic, Home};
use coi_ledger::store::{Current, ForkRecord, ImportReport, Store, StoredEntry};
use coi_ledger::{
    Between, Category, Data, Date, Declaration, Entry, Error, Hash32, KdfParams, KeyFile,
    KeyFileError, Matter, MemberId, Mitigation, NoConflict, Profile, Reaffirm, Relationship,
    Report, Result, Retract, Scope, Whose, Withdraw,
};
use serde_json::{json, Value};
use zeroize::Zeroizing;

/// Conflict-of-interest declarations that anyone can verify.
///
/// Members declare conflicts (or none) as entries signed with their Ed25519 key and hash-chained
/// to their previous entry; they publish the ledger as a text file; anyone verifies it offline.
#[derive(Parser, Debug)]
#[command(name = "coi", version, about, long_about = None, propagate_version = true)]
pub struct Args {
    /// The home holding your key and store [default: the platform data directory, coi-ledger].
    #[arg(long, global = true, env = "COI_HOME", value_name = "DIR")]
    home: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create your home: a new Ed25519 key, the store, and your first entry (a profile).
    Init(InitArgs),
    /// Show your member id, fingerprint, name, chain length and head.
    Whoami(JsonArg),
    /// Declare an interest (or, with --none, that you have no conflict).
    Declare(DeclareArgs),
    /// Replace one of your live declarations with a new version (the old one stays visible).
    Amend(AmendArgs),
    /// Say that a declared interest has ended.
    Withdraw(WithdrawArgs),
    /// Say that a declaration was made in error.
    Retract(RetractArgs),
    /// Set your display name, capacity and affiliation (self-asserted).
    Profile(ProfileArgs),
    /// Re-affirm that your live entries are complete and current (e.g. yearly).
    Reaffirm(ReaffirmArgs),
    /// Replace your signing key; your member id stays the same (the old key signs the change).
    RotateKey(RotateKeyArgs),
    /// List entries in the store, oldest first.
    Log(LogArgs),
    /// Show one entry in full.
    Show(ShowArgs),
    /// Show the current declarations after amendments, withdrawals and retractions.
    Conflicts(ConflictsArgs),
    /// Write a ledger file to publish (default: your own chain).
    Export(ExportArgs),
    /// Verify ledger files. Needs no home, no key, no network.
    Verify(VerifyArgs),
    /// Verify ledger files and merge them into the store, all or nothing per file.
    Import(ImportArgs),
    /// List forks found (two validly signed entries for one member and seq) and export proofs.
    Forks(ForksArgs),
}

#[derive(ClapArgs, Debug)]
struct JsonArg {
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// A member's self-asserted profile, shared by `init` and `profile`.
#[derive(ClapArgs, Debug)]
struct ProfileArgs {
    /// Your display name, as it will appear in published ledgers.
    #[arg(long)]
    name: String,
    /// Your capacity, e.g. "Trustee".
    #[arg(long)]
    capacity: Option<String>,
    /// Your affiliation.
    #[arg(long)]
    affiliation: Option<String>,
}

impl ProfileArgs {
    fn data(&self) -> Data {
        Data::Profile(Profile {
            name: self.name.clone(),
            capacity: self.capacity.clone(),
            affiliation: self.affiliation.clone(),
        })
    }
}

#[derive(ClapArgs, Debug)]
struct InitArgs {
    #[command(flatten)]
    profile: ProfileArgs,
    /// Store the key unencrypted (for scripts and tests). Otherwise the key is protected by a
    /// passphrase, prompted for on a terminal or taken from COI_PASSPHRASE.
    #[arg(long)]
    no_passphrase: bool,
}

/// Fields of a declaration, shared by `declare` and `amend`.
#[derive(ClapArgs, Debug)]
struct FieldArgs {
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
struct DeclareArgs {
    /// Declare that you have no conflict on the --matter given (or, with --standing, a nil return:
    /// no interests to register).
    #[arg(long, conflicts_with_all = ["category", "between", "whose", "counterparty", "relationship", "nature", "value", "since", "until", "mitigation"])]
    none: bool,
    #[command(flatten)]
    fields: FieldArgs,
}

#[derive(ClapArgs, Debug)]
struct AmendArgs {
    /// The live declaration to amend (id or unique prefix of at least 8 hex characters).
    id: String,
    #[command(flatten)]
    fields: FieldArgs,
}

#[derive(ClapArgs, Debug)]
struct WithdrawArgs {
    /// The live declaration whose interest ended.
    id: String,
    /// When it ended (YYYY-MM-DD).
    #[arg(long)]
    until: Option<String>,
}

#[derive(ClapArgs, Debug)]
struct RetractArgs {
    /// The declaration made in error.
    id: String,
    /// Why it is retracted.
    #[arg(long)]
    reason: String,
}

#[derive(ClapArgs, Debug)]
struct RotateKeyArgs {
    /// Store the new key unencrypted. Otherwise it is protected by a passphrase, prompted for on
    /// a terminal or taken from COI_PASSPHRASE.
    #[arg(long)]
    no_passphrase: bool,
}

#[derive(ClapArgs, Debug)]
struct ReaffirmArgs {
    /// An optional note.
    #[arg(long)]
    note: Option<String>,
}

#[derive(ClapArgs, Debug)]
struct LogArgs {
    /// Only this member (member id, fingerprint, or unique prefix).
    #[arg(long)]
    member: Option<String>,
    /// Only the last N entries.
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// Machine-readable output (one JSON object per line).
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
struct ShowArgs {
    /// Entry id or unique prefix (at least 8 hex characters).
    id: String,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
struct ConflictsArgs {
    /// Only this member (member id, fingerprint, or unique prefix).
    #[arg(long)]
    member: Option<String>,
    /// Only declarations on this matter (plus standing declarations and no-conflict statements on it).
    #[arg(long)]
    matter: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
struct ExportArgs {
    /// Write to FILE atomically (default: standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Export this member's chain (repeatable).
    #[arg(long = "member", value_name = "ID")]
    members: Vec<String>,
    /// Export every chain in the store.
    #[arg(long, conflicts_with = "members")]
    all: bool,
}

#[derive(ClapArgs, Debug)]
struct VerifyArgs {
    /// Ledger files to verify (`-` reads standard input, e.g. `curl -s URL | coi verify -`).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Machine-readable report.
    #[arg(long)]
    json: bool,
    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

#[derive(ClapArgs, Debug)]
struct ImportArgs {
    /// Ledger files to import.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Machine-readable report.
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
struct ForksArgs {
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// Write the proof of fork number N (as listed) to the --output file.
    #[arg(long, value_name = "N", requires = "output")]
    proof: Option<usize>,
    /// Where to write the proof.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Runs one command; returns the exit code for outcomes that are not errors.
pub fn run(args: Args) -> Result<ExitCode> {
    let home = || Home::locate(args.home.clone());
    match args.command {
        Command::Init(a) => init(&home()?, a),
        Command::Whoami(a) => whoami(&home()?, a.json),
        Command::Declare(a) => declare(&home()?, a),
        Command::Amend(a) => amend(&home()?, a),
        Command::Withdraw(a) => {
            let data = |s: &Store, _: &MemberId| -> Result<Data> {
                Ok(Data::Withdraw(Withdraw {
                    target: s.find(&a.id)?.entry.id,
                    until: a.until.as_deref().map(parse_date).transpose()?,
                }))
            };
            append_own(&home()?, data)
        }
        Command::Retract(a) => append_own(&home()?, |s: &Store, _: &MemberId| -> Result<Data> {
            Ok(Data::Retract(Retract {
                reason: a.reason.clone(),
                target: s.find(&a.id)?.entry.id,
            }))
        }),
        Command::Profile(a) => append_own(&home()?, |_: &Store, _: &MemberId| -> Result<Data> {
            Ok(a.data())
        }),
        Command::Reaffirm(a) => append_own(&home()?, |_: &Store, _: &MemberId| -> Result<Data> {
            Ok(Data::Reaffirm(Reaffirm {
                note: a.note.clone(),
            }))
        }),
        Command::RotateKey(a) => rotate_key(&home()?, a),
        Command::Log(a) => log(&home()?, a),
        Command::Show(a) => show(&home()?, a),
        Command::Conflicts(a) => conflicts(&home()?, a),
        Command::Export(a) => export(&home()?, a),
        Command::Verify(a) => verify(a),
        Command::Import(a) => import(&home()?, a),
        Command::Forks(a) => forks(&home()?, a),
    }
}

fn ok() -> Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}

thread_local! {
    /// Standard output, buffered: listings print thousands of lines. Flushed by [`flush`].
    static OUT: std::cell::RefCell<io::BufWriter<io::Stdout>> =
        std::cell::RefCell::new(io::BufWriter::with_capacity(64 * 1024, io::stdout()));
}

fn out(text: impl AsRef<str>) -> Result<()> {
    OUT.with(|o| writeln!(o.borrow_mut(), "{}", text.as_ref()))
        .map_err(|e| Error::io("standard output", e))
}

/// Writes out what [`out`] buffered. `main` calls it once a command has finished.
pub fn flush() -> Result<()> {
    OUT.with(|o| o.borrow_mut().flush())
        .map_err(|e| Error::io("standard output", e))
}

fn parse_date(s: &str) -> Result<Date> {
    Date::parse(s).map_err(Error::Invalid)
}

fn parse_matter(s: &str) -> Result<Matter> {
    Matter::parse(s).map_err(Error::Invalid)
}

fn matters(list: &[String]) -> Result<Option<Vec<Matter>>> {
    if list.is_empty() {
        return Ok(None);
    }
    let mut m = list
        .iter()
        .map(|s| parse_matter(s))
        .collect::<Result<Vec<_>>>()?;
    m.sort();
    m.dedup();
    Ok(Some(m))
}

/// The passphrase for a new key: COI_PASSPHRASE, or asked twice on the terminal.
fn new_passphrase() -> Result<Zeroizing<String>> {
    if let Some(p) = std::env::var_os("COI_PASSPHRASE") {
        return passphrase_from_env(p);
    }
    if !io::stdin().is_terminal() {
        return Err(Error::Passphrase("a passphrase is needed to protect the new key: set COI_PASSPHRASE, run on a terminal, or pass --no-passphrase".into()));
    }
    let a = Zeroizing::new(
        rpassword::prompt_password("Passphrase for the new key: ")
            .map_err(|e| Error::io("terminal", e))?,
    );
    let b = Zeroizing::new(
        rpassword::prompt_password("Repeat passphrase: ").map_err(|e| Error::io("terminal", e))?,
    );
    if *a != *b {
        return Err(Error::Passphrase("the passphrases do not match".into()));
    }
    if a.is_empty() {
        return Err(Error::Passphrase(
            "empty passphrase: use --no-passphrase for an unencrypted key".into(),
        ));
    }
    Ok(a)
}

fn passphrase_from_env(p: std::ffi::OsString) -> Result<Zeroizing<String>> {
    let s = Zeroizing::new(
        p.into_string()
            .map_err(|_| Error::Passphrase("COI_PASSPHRASE is not valid UTF-8".into()))?,
    );
    if s.is_empty() {
        return Err(Error::Passphrase("COI_PASSPHRASE is set but empty".into()));
    }
    Ok(s)
}

fn load_key(home: &Home) -> Result<KeyFile> {
    decode_key(&home.read_key()?, home.key_path())
}

fn decode_key(text: &[u8], path: PathBuf) -> Result<KeyFile> {
    let pass = if KeyFile::is_encrypted(text) {
        Some(match std::env::var_os("COI_PASSPHRASE") {
            Some(p) => passphrase_from_env(p)?,
            None if io::stdin().is_terminal() => Zeroizing::new(
                rpassword::prompt_password("Passphrase: ").map_err(|e| Error::io("terminal", e))?,
            ),
            None => {
                return Err(Error::Passphrase(format!(
                "the key {} is protected by a passphrase: set COI_PASSPHRASE or run on a terminal",
                path.display()
            )))
            }
        })
    } else {
        None
    };
    KeyFile::decode(text, pass.as_ref().map(|p| p.as_bytes())).map_err(|e| match e {
        KeyFileError::Decrypt => Error::WrongPassphrase { path },
        KeyFileError::NeedPassphrase => {
            Error::Passphrase("the key is protected by a passphrase".into())
        }
        KeyFileError::Malformed(reason) => Error::KeyFile { path, reason },
        _ => Error::KeyFile {
            path,
            reason: e.to_string(),
        },
    })
}

fn init(home: &Home, a: InitArgs) -> Result<ExitCode> {
    let profile = a.profile.data();
    profile.validate()?;
    let pass = if a.no_passphrase {
        None
    } else {
        Some(new_passphrase()?)
    };
    home.create()?;
    let secret = coi_ledger::SecretKey::generate();
    let member = secret.public().member_id();
    let kf = KeyFile { member, secret };
    let text = kf
        .encode(pass.as_ref().map(|p| p.as_bytes()), KdfParams::DEFAULT)
        .map_err(Error::Invalid)?;
    let mut store = home.create_store()?;
    if let Some(existing) = store.identity()? {
        return Err(Error::AlreadyInitialised(format!(
            "the store in {} already belongs to member {}",
            home.dir().display(),
            existing.fingerprint()
        )));
    }
    home.write_key(&text)?;
    store.set_identity(&member)?;
    store.append(&kf.secret, &member, profile)?;
    eprintln!(
        "Created {} with member {} ({})",
        escape(&home.dir().display().to_string()),
        member.fingerprint(),
        if pass.is_some() {
            "key protected by passphrase"
        } else {
            "key NOT encrypted"
        }
    );
    out(member.to_hex())?;
    ok()
}

fn identity(store: &Store, home: &Home) -> Result<MemberId> {
    store.identity()?.ok_or_else(|| {
        Error::NoIdentity(format!(
            "the store in {} has no identity: run `coi init --name NAME`",
            home.dir().display()
        ))
    })
}

fn whoami(home: &Home, json: bool) -> Result<ExitCode> {
    let store = home.open_store()?;
    let me = identity(&store, home)?;
    let head = store.head(&me)?;
    if json {
        let v = json!({
            "member": me.to_hex(),
            "fingerprint": me.fingerprint(),
            "name": head.as_ref().and_then(|h| h.name.clone()),
            "key": head.as_ref().map(|h| h.key.to_hex()),
            "entries": head.as_ref().map(|h| h.seq).unwrap_or(0),
            "head": head.as_ref().map(|h| h.id.to_hex()),
            "home": home.dir().display().to_string(),
        });
        out(v.to_string())?;
    } else {
        out(format!("member       {}", me.to_hex()))?;
        out(format!("fingerprint  {}", me.fingerprint()))?;
        out(format!(
            "name         {}",
            head.as_ref()
                .and_then(|h| h.name.as_deref())
                .map(escape)
                .unwrap_or_else(|| "(none)".into())
        ))?;
        out(format!(
            "entries      {}",
            head.as_ref().map(|h| h.seq).unwrap_or(0)
        ))?;
        out(format!(
            "head         {}",
            head.as_ref()
                .map(|h| h.id.to_hex())
                .unwrap_or_else(|| "(none)".into())
        ))?;
        out(format!(
            "home         {}",
            escape(&home.dir().display().to_string())
        ))?;
    }
    ok()
}

/// Appends an entry built by `data` to your own chain and prints its id.
fn append_own(
    home: &Home,
    data: impl FnOnce(&Store, &MemberId) -> Result<Data>,
) -> Result<ExitCode> {
    let mut store = home.open_store()?;
    let me = identity(&store, home)?;
    let d = data(&store, &me)?;
    let key = signing_key(home, &store, &me)?;
    let entry = store.append(&key.secret, &me, d)?;
    out(entry.id.to_hex())?;
    ok()
}

/// The key that signs for `me` now: the key file, or, if a key rotation was interrupted after its
/// entry was stored but before the new key replaced the old file, the pending new key (moved into
/// place here).
fn signing_key(home: &Home, store: &Store, me: &MemberId) -> Result<KeyFile> {
    let key = load_key(home)?;
    if key.member != *me {
        return Err(Error::Invalid(format!(
            "the key file signs for member {}, but this store belongs to {}",
            key.member.fingerprint(),
            me.fingerprint()
        )));
    }
    let Some(current) = store.head(me)?.map(|h| h.key) else {
        return Ok(key);
    };
    if key.secret.public() == current {
        return Ok(key);
    }
    if let Some(text) = home.read_pending_key()? {
        let pending = decode_key(&text, home.pending_key_path())?;
        if pending.member == *me && pending.secret.public() == current {
            home.commit_pending_key()?;
            eprintln!(
                "coi: finished an interrupted key rotation: {} now holds the new key",
                escape(&home.key_path().display().to_string())
            );
            return Ok(pending);
        }
    }
    Err(Error::Invalid(format!(
        "{} does not hold your chain's current key (the chain was rotated to key {}); restore that key file",
        escape(&home.key_path().display().to_string()),
        &current.to_hex()[..16]
    )))
}

fn rotate_key(home: &Home, a: RotateKeyArgs) -> Result<ExitCode> {
    let mut store = home.open_store()?;
    let me = identity(&store, home)?;
    let old = signing_key(home, &store, &me)?;
    if home.pending_key_path().exists() {
        return Err(Error::Invalid(format!(
            "{} exists but is not your chain's current key (a rotation that was never recorded?); move it away and try again",
            escape(&home.pending_key_path().display().to_string())
        )));
    }
    let pass = if a.no_passphrase {
        None
    } else {
        Some(new_passphrase()?)
    };
    let new = KeyFile {
        member: me,
        secret: coi_ledger::SecretKey::generate(),
    };
    let text = new
        .encode(pass.as_ref().map(|p| p.as_bytes()), KdfParams::DEFAULT)
        .map_err(Error::Invalid)?;
    // The new key is on disk before the chain names it, so no crash can leave a chain whose
    // current key exists nowhere.
    home.write_pending_key(&text)?;
    let entry = match store.rotate_key(&old.secret, &me, &new.secret) {
        Ok(e) => e,
        Err(e) => {
            home.discard_pending_key()?;
            return Err(e);
        }
    };
    home.commit_pending_key()?;
    eprintln!(
        "Rotated to key {}; member id unchanged ({})",
        &new.secret.public().to_hex()[..16],
        me.fingerprint()
    );
    out(entry.id.to_hex())?;
    ok()
}

fn declare(home: &Home, a: DeclareArgs) -> Result<ExitCode> {
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
    if a.none {
        return append_own(home, |_: &Store, _: &MemberId| -> Result<Data> {
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
    append_own(home, |_: &Store, _: &MemberId| -> Result<Data> {
        Ok(Data::Declaration(decl))
    })
}

fn amend(home: &Home, a: AmendArgs) -> Result<ExitCode> {
    let f = a.fields;
    let build = |store: &Store, me: &MemberId| -> Result<Data> {
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
        if d == *old {
            return Err(Error::Invalid(
                "nothing to amend: give at least one field that changes".into(),
            ));
        }
        Ok(Data::Amend {
            target: target.id,
            declaration: d,
        })
    };
    append_own(home, build)
}

fn resolve_member(store: &Store, s: &str) -> Result<MemberId> {
    let p: String = s.trim().chars().filter(|c| *c != '-').collect();
    if p.len() < 8
        || !p
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        return Err(Error::Invalid(format!("{} is not a member id: give the 64-character id, its fingerprint, or at least 8 hex characters of it", quote(s))));
    }
    if let Some(m) = Hash32::from_hex(&p) {
        return Ok(m);
    }
    let hits = store.members_with_prefix(&p, 2)?;
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::NotFound(format!("member {}", escape(s)))),
        _ => Err(Error::Invalid(format!(
            "{} matches several members; give more characters",
            escape(s)
        ))),
    }
}

/// Resolves an optional `--member` argument.
fn member_arg(store: &Store, arg: Option<&str>) -> Result<Option<MemberId>> {
    arg.map(|m| resolve_member(store, m)).transpose()
}

fn names(store: &Store) -> Result<std::collections::HashMap<MemberId, String>> {
    store.names()
}

fn who(names: &std::collections::HashMap<MemberId, String>, m: &MemberId) -> String {
    match names.get(m) {
        Some(n) => format!("{} {}", m.fingerprint(), quote(n)),
        None => m.fingerprint(),
    }
}

/// A one-line summary of an entry's content, escaped for the terminal.
fn summary(e: &Entry) -> String {
    match &e.data {
        Data::Profile(p) => format!(
            "name {}{}{}",
            quote(&p.name),
            p.capacity
                .as_deref()
                .map(|c| format!(", capacity {}", quote(c)))
                .unwrap_or_default(),
            p.affiliation
                .as_deref()
                .map(|c| format!(", affiliation {}", quote(c)))
                .unwrap_or_default()
        ),
        Data::Declaration(d) => decl_summary(d),
        Data::Amend {
            target,
            declaration,
        } => format!(
            "amends {}: {}",
            target.fingerprint(),
            decl_summary(declaration)
        ),
        Data::NoConflict(n) => match &n.matters {
            Some(ms) => format!("no conflict on {}", join_matters(ms)),
            None => "nil return: no interests to register".into(),
        },
        Data::Withdraw(w) => format!(
            "withdraws {}{}",
            w.target.fingerprint(),
            w.until
                .as_ref()
                .map(|u| format!(" (ended {})", u.as_str()))
                .unwrap_or_default()
        ),
        Data::Retract(r) => format!("retracts {}: {}", r.target.fingerprint(), quote(&r.reason)),
        Data::Reaffirm(r) => format!(
            "re-affirms live entries{}",
            r.note
                .as_deref()
                .map(|n| format!(": {}", quote(n)))
                .unwrap_or_default()
        ),
        Data::KeyRotation(k) => format!("rotates to key {}", &k.new_key[..16]),
        Data::Disclosure(d) => format!(
            "restricted details of {} for {} recipient(s)",
            d.target.fingerprint(),
            d.recipients.len()
        ),
        Data::Vote(v) => format!(
            "vote on {}: {} participants, {} heads",
            v.matter.as_str(),
            v.participation.len(),
            v.heads.len()
        ),
        Data::Determination(d) => format!(
            "determination on {}: {}",
            d.declaration.fingerprint(),
            d.outcome
        ),
        Data::Witness(w) => format!("witnesses {} heads", w.heads.len()),
        Data::Unknown { kind, .. } => format!("(kind {} not understood by this coi)", quote(kind)),
        _ => String::new(),
    }
}

fn join_matters(ms: &[Matter]) -> String {
    ms.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
}

fn decl_summary(d: &Declaration) -> String {
    let mut s = format!(
        "{} {} ({}, whose: {}) with {}",
        d.category,
        d.between,
        d.relationship
            .map(|r| r.as_str())
            .unwrap_or("relationship not given"),
        d.whose,
        quote(&d.counterparty)
    );
    match &d.matters {
        Some(ms) => s.push_str(&format!(" on {}", join_matters(ms))),
        None => s.push_str(", standing"),
    }
    s.push_str(&format!("; mitigation {}", d.mitigation));
    if let Some(v) = &d.value {
        s.push_str(&format!("; value {}", quote(v)));
    }
    if let Some(v) = &d.since {
        s.push_str(&format!("; since {}", v.as_str()));
    }
    if let Some(v) = &d.until {
        s.push_str(&format!("; until {}", v.as_str()));
    }
    if let Some(n) = &d.nature {
        s.push_str(&format!("; {}", quote(n)));
    }
    s
}

/// The JSON form of an entry for `--json` outputs: the envelope fields, the data, and the line.
fn entry_json(e: &Entry) -> Value {
    let entry: Value = serde_json::from_str(e.body()).unwrap_or(Value::Null);
    json!({
        "id": e.id.to_hex(),
        "member": e.member.to_hex(),
        "seq": e.seq,
        "kind": e.kind(),
        "time": e.time.as_str(),
        "prev": e.prev.to_hex(),
        "key": e.key.to_hex(),
        "data": entry.get("data").cloned().unwrap_or(Value::Null),
        "line": e.line,
    })
}

fn log(home: &Home, a: LogArgs) -> Result<ExitCode> {
    let store = home.open_store()?;
    let member = member_arg(&store, a.member.as_deref())?;
    let entries = store.log(member.as_ref(), a.limit)?;
    let names = names(&store)?;
    for StoredEntry { entry: e, .. } in &entries {
        if a.json {
            out(entry_json(e).to_string())?;
        } else {
            out(format!(
                "{}  {}  {} #{}  {:<13} {}",
                &e.id.to_hex()[..16],
                e.time.as_str(),
                who(&names, &e.member),
                e.seq,
                e.kind(),
                summary(e)
            ))?;
        }
    }
    if !a.json && entries.is_empty() {
        eprintln!("(no entries)");
    }
    ok()
}

fn show(home: &Home, a: ShowArgs) -> Result<ExitCode> {
    let store = home.open_store()?;
    let e = store.find(&a.id)?.entry;
    if a.json {
        out(entry_json(&e).to_string())?;
        return ok();
    }
    let names = names(&store)?;
    out(format!("id       {}", e.id))?;
    out(format!("member   {}", who(&names, &e.member)))?;
    out(format!("         {}", e.member))?;
    out(format!("seq      {}", e.seq))?;
    out(format!("prev     {}", e.prev))?;
    out(format!("time     {}", e.time.as_str()))?;
    out(format!("kind     {}", e.kind()))?;
    out(format!("key      {}", e.key.to_hex()))?;
    let body: Value = serde_json::from_str(e.body()).unwrap_or(Value::Null);
    if let Some(Value::Object(data)) = body.get("data") {
        for (k, v) in data {
            let shown = match v {
                Value::String(s) => quote(s),
                other => escape(&other.to_string()),
            };
            out(format!("  {k:<13} {shown}"))?;
        }
    }
    out(format!("summary  {}", summary(&e)))?;
    ok()
}

fn conflicts(home: &Home, a: ConflictsArgs) -> Result<ExitCode> {
    let store = home.open_store()?;
    let member = member_arg(&store, a.member.as_deref())?;
    let matter = a.matter.as_deref().map(parse_matter).transpose()?;
    let list = store.conflicts(member.as_ref(), matter.as_ref())?;
    let names = names(&store)?;
    if a.json {
        let v: Vec<Value> = list
            .iter()
            .map(|Current { entry, replaces }| {
                let mut j = entry_json(entry);
                j["name"] = names
                    .get(&entry.member)
                    .map(|n| Value::String(n.clone()))
                    .unwrap_or(Value::Null);
                j["replaces"] =
                    Value::Array(replaces.iter().map(|r| Value::String(r.to_hex())).collect());
                j
            })
            .collect();
        out(Value::Array(v).to_string())?;
        return ok();
    }
    if list.is_empty() {
        eprintln!(
            "(no current declarations{})",
            matter
                .as_ref()
                .map(|m| format!(" on {}", m.as_str()))
                .unwrap_or_default()
        );
    }
    let mut last: Option<MemberId> = None;
    for Current { entry: e, replaces } in &list {
        if last != Some(e.member) {
            out(who(&names, &e.member))?;
            last = Some(e.member);
        }
        let history = if replaces.is_empty() {
            String::new()
        } else {
            format!(
                " [version {} of {}]",
                replaces.len() + 1,
                replaces.last().map(|r| r.fingerprint()).unwrap_or_default()
            )
        };
        out(format!(
            "  {}  {}  {}{}",
            &e.id.to_hex()[..16],
            e.time.as_str(),
            summary(e),
            history
        ))?;
    }
    ok()
}

fn export(home: &Home, a: ExportArgs) -> Result<ExitCode> {
    let store = home.open_store()?;
    let members: Option<Vec<MemberId>> = if a.all {
        None
    } else if a.members.is_empty() {
        Some(vec![identity(&store, home)?])
    } else {
        Some(
            a.members
                .iter()
                .map(|m| resolve_member(&store, m))
                .collect::<Result<_>>()?,
        )
    };
    let n = match &a.output {
        Some(path) => write_atomic(path, |w| store.export(members.as_deref(), w))?,
        None => {
            let mut o = io::BufWriter::new(io::stdout().lock());
            let n = store.export(members.as_deref(), &mut o)?;
            o.flush().map_err(|e| Error::io("standard output", e))?;
            n
        }
    };
    if let Some(p) = &a.output {
        eprintln!("Wrote {n} entries to {}", escape(&p.display().to_string()));
    }
    ok()
}

fn open_input(path: &PathBuf) -> Result<BufReader<File>> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    if f.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(Error::Invalid(format!(
            "{} is a directory, not a ledger file",
            escape(&path.display().to_string())
        )));
    }
    Ok(BufReader::with_capacity(1 << 20, f))
}

fn progress_bar(path: &PathBuf) -> Option<indicatif::ProgressBar> {
    let len = std::fs::metadata(path).ok()?.len();
    if !io::stderr().is_terminal() || len < 4 << 20 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .ok()?
        .progress_chars("=> "),
    );
    bar.set_message(escape(&path.display().to_string()));
    Some(bar)
}

fn report_json(file: &str, r: &Report) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Some(ps) = v.get_mut("problems").and_then(Value::as_array_mut) {
        for p in ps {
            p["file"] = Value::String(file.to_string());
        }
    }
    v["file"] = Value::String(file.to_string());
    v["members_count"] = Value::from(r.members.len());
    v
}

fn print_report(file: &str, r: &Report) -> Result<()> {
    let f = escape(file);
    for p in &r.problems {
        let mut at = format!("{f}:{}:", p.line);
        if let Some(m) = p.member {
            at.push_str(&format!(" member {}", m.fingerprint()));
        }
        if let Some(s) = p.seq {
            at.push_str(&format!(" seq {s}"));
        }
        out(format!("{at}: {}: {}", p.class, escape(&p.message)))?;
    }
    for n in &r.notices {
        out(format!(
            "{f}:{}: member {} seq {}: notice {}: {}",
            n.line,
            n.member.fingerprint(),
            n.seq,
            n.class,
            escape(&n.message)
        ))?;
    }
    if r.valid {
        out(format!(
            "{f}: valid: {} entries from {} members",
            r.entries,
            r.members.len()
        ))?;
        for m in &r.members {
            out(format!(
                "  {}  {:<24} seq 1..{}  head {}",
                m.member.fingerprint(),
                m.name
                    .as_deref()
                    .map(quote)
                    .unwrap_or_else(|| "(no profile)".into()),
                m.head_seq,
                m.head_id
                    .map(|h| h.to_hex()[..16].to_string())
                    .unwrap_or_default()
            ))?;
        }
    } else {
        out(format!(
            "{f}: INVALID: {} problem(s); {} of {} lines accepted",
            r.problems.len(),
            r.entries,
            r.lines
        ))?;
    }
    Ok(())
}

fn verify(a: VerifyArgs) -> Result<ExitCode> {
    let mut all_valid = true;
    let mut reports = Vec::new();
    for path in &a.files {
        let stdin = path.as_os_str() == "-";
        let reader: Box<dyn io::BufRead> = if stdin {
            Box::new(io::BufReader::with_capacity(1 << 20, io::stdin().lock()))
        } else {
            Box::new(open_input(path)?)
        };
        let bar = if stdin { None } else { progress_bar(path) };
        let r = coi_ledger::verify_stream(
            reader,
            coi_ledger::VerifyOptions { threads: a.threads },
            |_| Ok::<(), Error>(()),
            |n| {
                if let Some(b) = &bar {
                    b.set_position(n)
                }
            },
        )?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        let name = if stdin {
            "(standard input)".to_string()
        } else {
            path.display().to_string()
        };
        all_valid &= r.valid;
        if !a.json {
            print_report(&name, &r)?;
        }
        reports.push((name, r));
    }
    if a.json {
        let files: Vec<Value> = reports.iter().map(|(n, r)| report_json(n, r)).collect();
        let problems: Vec<Value> = files
            .iter()
            .flat_map(|f| f["problems"].as_array().cloned().unwrap_or_default())
            .collect();
        let entries: u64 = reports.iter().map(|(_, r)| r.entries).sum();
        let members: std::collections::BTreeSet<MemberId> = reports
            .iter()
            .flat_map(|(_, r)| r.members.iter().map(|m| m.member))
            .collect();
        out(json!({"valid": all_valid, "entries": entries, "members": members.len(), "problems": problems, "files": files}).to_string())?;
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn import(home: &Home, a: ImportArgs) -> Result<ExitCode> {
    let mut store = home.open_store()?;
    let me = store.identity()?;
    let mut all_ok = true;
    let mut results = Vec::new();
    for path in &a.files {
        let reader = open_input(path)?;
        let own_before = me
            .map(|m| store.head(&m))
            .transpose()?
            .flatten()
            .map(|h| h.seq);
        let bar = progress_bar(path);
        let name = path.display().to_string();
        let size = std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        let r = store.import_sized(
            reader,
            size,
            &name,
            coi_ledger::VerifyOptions::default(),
            |n| {
                if let Some(b) = &bar {
                    b.set_position(n)
                }
            },
        )?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        all_ok &= r.merged;
        if !a.json {
            print_import(&name, &r)?;
        }
        if let Some(me) = me {
            // Restoring a home from an old backup and declaring again forks one's own chain; say
            // so where this store can see it.
            if r.forks.iter().any(|k| k.member == me) {
                eprintln!(
                    "coi: warning: {} forks YOUR OWN chain: this store and the file hold different entries signed with your key at the same seq. \
                     This happens when a home is restored from an old backup and used to declare again. Stop declaring from this home until it is resolved.",
                    escape(&name)
                );
            }
            let own_after = store.head(&me)?.map(|h| h.seq);
            if r.merged && own_after > own_before {
                eprintln!(
                    "coi: warning: {} carried {} entries of your own chain that this store did not have (was the home restored from a backup?); the store is now up to date",
                    escape(&name),
                    own_after.unwrap_or(0) - own_before.unwrap_or(0)
                );
            }
        }
        results.push((name, r));
    }
    if a.json {
        let files: Vec<Value> = results
            .iter()
            .map(|(n, r)| {
                let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
                v["file"] = Value::String(n.clone());
                v["verification"] = report_json(n, &r.verification);
                v
            })
            .collect();
        out(json!({"ok": all_ok, "files": files}).to_string())?;
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_import(file: &str, r: &ImportReport) -> Result<()> {
    let f = escape(file);
    if !r.verification.valid {
        print_report(file, &r.verification)?;
        out(format!("{f}: not imported: the file does not verify"))?;
        return Ok(());
    }
    for k in &r.forks {
        out(format!(
            "{f}: FORK: member {} seq {}: the store holds {} but the file has {}; both kept as evidence (see `coi forks`)",
            k.member.fingerprint(),
            k.seq,
            &k.held_id.to_hex()[..16],
            &k.other_id.to_hex()[..16]
        ))?;
    }
    for s in &r.stale {
        out(format!("{f}: stale: member {} is at seq {} in the file but {} in the store (an old copy or a rollback); nothing lost", s.member.fingerprint(), s.file_seq, s.store_seq))?;
    }
    if let Some(why) = &r.refused {
        out(format!("{f}: not imported: {why}"))?;
    } else if !r.forks.is_empty() {
        out(format!(
            "{f}: not imported: it forks {} chain(s) the store holds",
            r.forks.len()
        ))?;
    } else {
        out(format!(
            "{f}: imported: {} new entries, {} already held, {} members",
            r.added,
            r.held,
            r.verification.members.len()
        ))?;
    }
    Ok(())
}

fn forks(home: &Home, a: ForksArgs) -> Result<ExitCode> {
    let store = home.open_store()?;
    let list = store.forks()?;
    if let (Some(n), Some(path)) = (a.proof, &a.output) {
        let fork: &ForkRecord = list.get(n.wrapping_sub(1)).ok_or_else(|| {
            Error::Invalid(format!(
                "there is no fork number {n} (there are {})",
                list.len()
            ))
        })?;
        write_atomic(path, |w| store.fork_proof(fork, w))?;
        eprintln!(
            "Wrote the proof of fork {n} to {}; check it with `coi verify`",
            escape(&path.display().to_string())
        );
        return ok();
    }
    if a.json {
        out(serde_json::to_string(&list).unwrap_or_default())?;
        return Ok(if list.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if list.is_empty() {
        eprintln!("(no forks found)");
    }
    for (i, k) in list.iter().enumerate() {
        out(format!(
            "{}. member {} seq {}: held {} vs {} from {} (detected {})",
            i + 1,
            k.member.fingerprint(),
            k.seq,
            &k.held_id.to_hex()[..16],
            &k.other_id.to_hex()[..16],
            quote(&k.source),
            k.detected
        ))?;
    }
    Ok(if list.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
