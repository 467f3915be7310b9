//! Command-line interface: argument definitions and one file per command group, each args struct
//! beside the function that reads it. The only module that talks to the terminal. Every string
//! that came from a ledger or an argument is escaped before it is printed.
//!
//! A command returns an [`Outcome`] or an error; [`exit_code`] is the one place that turns them
//! into exit codes. A new command group is a new file and a line in [`run`].

mod checkpoint;
mod declare;
mod identity;
mod maintain;
mod meeting;
mod publish;
mod read;
mod register;
mod render;
mod seal;
mod shell;
mod sync;

use std::io::{self, IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use coi_ledger::display::escape;
use coi_ledger::home::{Callbacks, Home, HomeNotice, PassphraseRequest, Zeroizing};
use coi_ledger::store::Store;
use coi_ledger::{Data, Date, Error, Matter, MemberId, Result};

use declare::{AmendArgs, DeclareArgs, ReaffirmArgs, RetractArgs, WithdrawArgs};
use identity::{InitArgs, JsonArg, ProfileArgs, RotateKeyArgs};
use maintain::FsckArgs;
use publish::{ExportArgs, ForksArgs, ImportArgs, VerifyArgs};
use read::{ConflictsArgs, LogArgs, MembersArgs, ShowArgs};

/// Conflict-of-interest declarations that anyone can verify.
///
/// Members declare conflicts (or none) as entries signed with their Ed25519 key and hash-chained
/// to their previous entry; they publish the ledger as a text file; anyone verifies it offline.
#[derive(Parser, Debug)]
#[command(
    name = "coi",
    version,
    about,
    long_about = None,
    propagate_version = true,
    max_term_width = 80,
    after_help = "Examples:
  coi init --name \"Ada Lovelace\"       your key, store and profile
  coi declare --category financial --between personal-professional \\
      --counterparty \"Acme Corp\" --standing
  coi export -o ada.ledger             publish this file anywhere
  coi verify ada.ledger                anyone checks it, offline
  coi register --html site/            the public register

Exit status: 0 success, 1 the thing checked is bad, 2 usage or other errors.
Environment: COI_HOME (the home), COI_PASSPHRASE (the key's passphrase),
NO_COLOR (coi prints no colour in any case)."
)]
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
    ///
    /// With --observer, a home without a key instead: it imports, reads and verifies others'
    /// ledgers and is nobody's member. A home is made in a new directory (mode 0700) or an empty
    /// one, whose mode is kept; an observer home becomes a member's with --name, keeping what it
    /// imported.
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
    /// List entries in the order the store received them (each member's chain in order).
    Log(LogArgs),
    /// Show one entry in full.
    Show(ShowArgs),
    /// Show the current declarations after amendments, withdrawals and retractions.
    Conflicts(ConflictsArgs),
    /// List the members the store knows: name, capacity, fingerprint, chain length, head, forks.
    Members(MembersArgs),
    /// Write a ledger file to publish (default: your own chain).
    Export(ExportArgs),
    /// Verify ledger files. Needs no home, no key, no network.
    Verify(VerifyArgs),
    /// Verify ledger files and merge them into the store, all or nothing per file.
    ///
    /// With no home yet, makes an observer home (no key, nobody's member) to import into.
    Import(ImportArgs),
    /// List forks found (two validly signed entries for one member and seq) and export proofs.
    Forks(ForksArgs),
    /// Check the store against its own lines: every line verifies, every derived row matches.
    Fsck(FsckArgs),
    /// Publish a meeting's agenda: its items, and the counterparties each concerns.
    Agenda(meeting::AgendaArgs),
    /// List a meeting's agenda items with what you have declared on each, and what to run.
    Prompt(meeting::PromptArgs),
    /// Record a vote: each participant's presence and ballot, committed to their chain heads.
    Vote(meeting::VoteArgs),
    /// Record the body's determination on another member's declaration.
    Determine(meeting::DetermineArgs),
    /// Check who declared what on a matter before its vote, from the store or published files.
    ///
    /// Exit 0 when nothing is flagged, 1 when something is, 2 on usage or other errors.
    Check(meeting::CheckArgs),
    /// Print the conflicts-of-interest section of a meeting's minutes.
    ///
    /// Exit 0 when the check of every item flags nothing, 1 when something is flagged, 2 on
    /// usage or other errors.
    Minutes(meeting::MinutesArgs),
    /// Create this home's log key and announce it in your chain, or show it.
    ///
    /// The log key signs checkpoints of the store's export (every chain, in order of arrival):
    /// the body log (spec §13). It is not your signing key.
    LogKey(checkpoint::LogKeyArgs),
    /// Sign a C2SP checkpoint of the body log, and ask witnesses to cosign it.
    ///
    /// Prints it with every cosignature known: returned by witnesses, or published by members
    /// in `witness` entries the store imported.
    Checkpoint(checkpoint::CheckpointArgs),
    /// Cosign a body log's checkpoint after checking it against the published ledger file.
    ///
    /// Refuses a checkpoint that is not of the file, or not consistent with the last one you
    /// cosigned for that log, and keeps the evidence. Exit 0 cosigned, 1 refused, 2 errors.
    Witness(checkpoint::WitnessArgs),
    /// Create your encryption identity (age X25519) and publish its recipient in your chain.
    ///
    /// Others encrypt disclosures of restricted fields to it (`coi declare --sealed ... --to`).
    /// The identity is kept in your home like your signing key, under the same passphrase; it
    /// is not your signing key and survives `coi rotate-key`.
    EncryptionKey(seal::EncryptionKeyArgs),
    /// Disclose the sealed fields of one of your declarations to more members.
    Disclose(seal::DiscloseArgs),
    /// Decrypt the disclosures addressed to you and check them against the signed commitments.
    ///
    /// Exit 0 when every disclosure found opens and matches, 1 when one does not (encrypted to
    /// someone else, altered, or not what the member signed), 2 on other errors.
    Reveal(seal::RevealArgs),
    /// Make sealed fields of one of your declarations public, irrevocably.
    Unseal(seal::UnsealArgs),
    /// Write the public register: a static site (--html), or tables (--csv, --jsonl).
    ///
    /// From the store, or from published ledger files alone (--ledger). The site needs no
    /// server, no script and no network; every string from a ledger is escaped, sealed
    /// fields are shown as sealed. Exit 1 when the files do not verify.
    Register(register::RegisterArgs),
    /// Follow a published ledger (a URL or a file): `coi sync` fetches what is new there.
    Follow(sync::FollowArgs),
    /// Fetch, verify and import what is new in every followed ledger.
    ///
    /// Only the new bytes are fetched. A publication that shrank or changed its past is not
    /// imported: it is reported, with the fetched bytes kept as evidence, and exits 1.
    Sync(sync::SyncArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions(shell::CompletionsArgs),
    /// Print the manual page coi(1), or write a page per command into a folder.
    Man(shell::ManArgs),
    /// Write a C2SP tlog-proof that an entry is in a cosigned checkpoint (no home needed).
    ///
    /// Anyone checks it with `coi verify --proof FILE --log-key VKEY` (or --policy FILE).
    Prove(checkpoint::ProveArgs),
}

/// Runs one command.
pub fn run(args: Args) -> Result<Outcome> {
    let home = || {
        Home::locate(args.home.clone()).map(|h| {
            h.on_lock_wait(|store| {
                // Told from inside SQLite's busy handler: never panic there (eprintln! would
                // on a stderr that fails).
                let _ = writeln!(
                    io::stderr(),
                    "coi: waiting for another coi process using {} ...",
                    escape(&store.display().to_string())
                );
            })
        })
    };
    match args.command {
        Command::Init(a) => identity::init(&home()?, a),
        Command::Whoami(a) => identity::whoami(&home()?, a.json),
        Command::Declare(a) => declare::declare(&home()?, a),
        Command::Amend(a) => declare::amend(&home()?, a),
        Command::Withdraw(a) => declare::withdraw(&home()?, a),
        Command::Retract(a) => declare::retract(&home()?, a),
        Command::Profile(a) => identity::profile(&home()?, a),
        Command::Reaffirm(a) => declare::reaffirm(&home()?, a),
        Command::RotateKey(a) => identity::rotate_key(&home()?, a),
        Command::Log(a) => read::log(&home()?, a),
        Command::Show(a) => read::show(&home()?, a),
        Command::Conflicts(a) => read::conflicts(&home()?, a),
        Command::Members(a) => read::members(&home()?, a),
        Command::Export(a) => publish::export(&home()?, a),
        Command::Verify(a) => publish::verify(a),
        Command::Import(a) => publish::import(&home()?, a),
        Command::Forks(a) => publish::forks(&home()?, a),
        Command::Fsck(a) => maintain::fsck(&home()?, a),
        Command::Agenda(a) => meeting::agenda(&home()?, a),
        Command::Prompt(a) => meeting::prompt(&home()?, a),
        Command::Vote(a) => meeting::vote(&home()?, a),
        Command::Determine(a) => meeting::determine(&home()?, a),
        Command::Check(a) => meeting::check(home, a),
        Command::Minutes(a) => meeting::minutes(home, a),
        Command::LogKey(a) => checkpoint::log_key(&home()?, a),
        Command::Checkpoint(a) => checkpoint::checkpoint(&home()?, a),
        Command::Witness(a) => checkpoint::witness(&home()?, a),
        Command::Prove(a) => checkpoint::prove(a),
        Command::Register(a) => register::register(home, a),
        Command::Follow(a) => sync::follow(&home()?, a),
        Command::Sync(a) => sync::sync(&home()?, a),
        Command::Completions(a) => shell::completions(a),
        Command::Man(a) => shell::man(a),
        Command::EncryptionKey(a) => seal::encryption_key(&home()?, a),
        Command::Disclose(a) => seal::disclose(&home()?, a),
        Command::Reveal(a) => seal::reveal(&home()?, a),
        Command::Unseal(a) => seal::unseal(&home()?, a),
    }
}

/// How a command that ran to its end came out. An error is the third way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Outcome {
    /// Done, and whatever was checked is good.
    Ok,
    /// The thing checked is bad: a file does not verify, an import was refused, forks exist.
    Failed,
}

impl Outcome {
    /// [`Outcome::Ok`] if `good`, else [`Outcome::Failed`].
    fn of(good: bool) -> Outcome {
        if good {
            Outcome::Ok
        } else {
            Outcome::Failed
        }
    }
}

/// The exit code of a command's result: 0 success, 1 the thing checked is bad, 2 usage or
/// operational error. The only place exit codes are chosen (clap exits 2 on bad usage itself).
pub fn exit_code(result: &Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(_) => ExitCode::from(2),
    }
}

/// Parses the command line. The parser's own messages (usage errors, `--help`, `--version`)
/// are printed here with every line sanitized, since a usage error quotes the argument it
/// refused, and an argument can hold terminal escapes; the exit code is the parser's (0 for
/// help, 2 for a usage error).
pub fn parse_args() -> std::result::Result<Args, ExitCode> {
    use clap::Parser as _;
    // coi writes no colour (help and errors are printed as plain text below, progress bars
    // have none); NO_COLOR is honoured all the same, for anything a dependency might style.
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        console::set_colors_enabled(false);
        console::set_colors_enabled_stderr(false);
    }
    Args::try_parse().map_err(|e| {
        let text: Vec<String> = e
            .render()
            .to_string()
            .lines()
            .map(coi_ledger::display::sanitize)
            .collect();
        let text = text.join("\n");
        if e.use_stderr() {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
        if e.exit_code() == 0 {
            exit_code(&Ok(Outcome::Ok))
        } else {
            // A usage error exits as every other error does.
            exit_code(&Err(Error::Invalid(String::new())))
        }
    })
}

thread_local! {
    /// Standard output, buffered: listings print thousands of lines. Flushed by [`flush`].
    static OUT: std::cell::RefCell<io::BufWriter<io::Stdout>> =
        std::cell::RefCell::new(io::BufWriter::with_capacity(64 * 1024, io::stdout()));
}

thread_local! {
    /// Set once standard output's reader has gone (`coi log | head -1`).
    static CLOSED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// What a write to standard output came to: a reader that closed the pipe is not an error (the
/// command goes on to its verdict, and its exit code says it, as `grep -q` would), anything else
/// is.
fn written(r: io::Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            CLOSED.with(|c| c.set(true));
            Ok(())
        }
        other => other.map_err(|e| Error::io("standard output", e)),
    }
}

/// Prints a line on standard output (buffered; see [`flush`]). Nothing more is written once
/// the reader has closed the pipe.
fn out(text: impl AsRef<str>) -> Result<()> {
    if CLOSED.with(|c| c.get()) {
        return Ok(());
    }
    written(OUT.with(|o| writeln!(o.borrow_mut(), "{}", text.as_ref())))
}

/// Prints `value` as one line of JSON on standard output (buffered, as [`out`]), written as it is
/// serialised rather than built in memory first.
fn out_json(value: &impl serde::Serialize) -> Result<()> {
    OUT.with(|o| {
        let mut o = o.borrow_mut();
        serde_json::to_writer(&mut *o, value).map_err(io::Error::from)?;
        writeln!(o)
    })
    .map_err(|e| Error::io("standard output", e))
}

/// Writes out what [`out`] buffered. `main` calls it once a command has finished.
pub fn flush() -> Result<()> {
    if CLOSED.with(|c| c.get()) {
        return Ok(());
    }
    written(OUT.with(|o| o.borrow_mut().flush()))
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

/// The terminal side of the home's protocols: passphrases from COI_PASSPHRASE or a prompt, and
/// notices on standard error.
struct Terminal;

impl Callbacks for Terminal {
    fn passphrase(&self, request: PassphraseRequest<'_>) -> Result<Zeroizing<String>> {
        match request {
            PassphraseRequest::Unlock(path) => unlock_passphrase(path),
            PassphraseRequest::NewKey => new_passphrase(),
        }
    }

    fn notice(&self, notice: HomeNotice) {
        eprintln!("coi: {}", escape(&notice.to_string()));
    }
}

/// The passphrase of an encrypted key file: COI_PASSPHRASE, or asked on the terminal.
fn unlock_passphrase(path: &Path) -> Result<Zeroizing<String>> {
    match std::env::var_os("COI_PASSPHRASE") {
        Some(p) => passphrase_from_env(p),
        None if io::stdin().is_terminal() => Ok(Zeroizing::new(
            rpassword::prompt_password("Passphrase: ").map_err(|e| Error::io("terminal", e))?,
        )),
        None => Err(Error::Passphrase(format!(
            "the key {} is protected by a passphrase: set COI_PASSPHRASE or run on a terminal",
            path.display()
        ))),
    }
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

/// Appends an entry built by `data` to your own chain and prints its id.
fn append_own(
    home: &Home,
    data: impl FnOnce(&Store, &MemberId) -> Result<Data>,
) -> Result<Outcome> {
    let mut store = home.open_store()?;
    let me = home.member(&store)?;
    let d = data(&store, &me)?;
    let key = home.signing_key(&store, &me, &Terminal)?;
    let entry = store.append(&key.secret, &me, d)?;
    out(entry.id.to_hex())?;
    Ok(Outcome::Ok)
}

/// Resolves an optional `--member` argument.
fn member_arg(store: &Store, arg: Option<&str>) -> Result<Option<MemberId>> {
    arg.map(|m| store.resolve_member(m)).transpose()
}
