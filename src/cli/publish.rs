//! Publishing commands: `export`, `verify`, `import`, `forks`.

use std::fs::File;
use std::io::{self, BufReader, IsTerminal as _, Write};
use std::path::PathBuf;

use super::render::{body_json, import_json, print_summary, row, Live, SeqOf};
use super::{out, out_json, Outcome};
use clap::Args as ClapArgs;
use coi_ledger::display::{escape, quote};
use coi_ledger::home::{own_chain, write_atomic, Home, OwnChain};
use coi_ledger::store::{ForkRecord, ImportReport};
use coi_ledger::{Error, MemberId, Result};

#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  coi export -o alice.ledger         your chain, to publish anywhere
  coi export --all -o body.ledger    every chain held (the body log)")]
pub(super) struct ExportArgs {
    /// Write to FILE atomically (default, or `-`: standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Export this member's chain (repeatable).
    #[arg(long = "member", value_name = "ID")]
    members: Vec<String>,
    /// Export every chain in the store.
    #[arg(long, conflicts_with = "members")]
    all: bool,
    /// With --all: also sign a checkpoint of the body log just written (the home's log key,
    /// `coi log-key`) and write it to FILE, to publish beside the ledger.
    #[arg(long, value_name = "FILE", requires = "all")]
    checkpoint: Option<PathBuf>,
}

#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  coi verify alice.ledger                      one member's published file
  coi verify body.ledger alice.ledger --json    files of one body, compared
  curl -fsS https://example.org/alice.ledger | coi verify -")]
pub(super) struct VerifyArgs {
    /// Ledger files to verify (`-` reads standard input, e.g. `curl -s URL | coi verify -`).
    #[arg(required_unless_present = "proof", value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Check a C2SP tlog-proof (from `coi prove`) instead: the entry it carries is signed, and
    /// is in a checkpoint signed by the log key (--log-key) and cosigned as required.
    #[arg(long, value_name = "FILE", conflicts_with = "files")]
    pub(super) proof: Option<PathBuf>,
    #[command(flatten)]
    pub(super) proof_keys: super::checkpoint::ProofKeys,
    /// Machine-readable report.
    #[arg(long)]
    json: bool,
    /// Worker threads, 1 to 256 [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,
    /// List every member of a valid file (by default only up to 50 are listed).
    #[arg(long)]
    members: bool,
    /// Accept an empty file (zero bytes) as the valid, empty ledger it is; otherwise it is an
    /// error, since an empty download usually means the download failed.
    #[arg(long)]
    allow_empty: bool,
}

#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  coi import alice.ledger bob.ledger    merge published files (all or nothing)
  coi follow https://example.org/alice.ledger    or follow it, then coi sync")]
pub(super) struct ImportArgs {
    /// Ledger files to import (`-` reads standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Machine-readable report.
    #[arg(long)]
    json: bool,
    /// Accept an empty file (it imports nothing); otherwise it is an error, since an empty
    /// download usually means the download failed.
    #[arg(long)]
    allow_empty: bool,
}

#[derive(ClapArgs, Debug)]
pub(super) struct ForksArgs {
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

pub(super) fn export(home: &Home, a: ExportArgs) -> Result<Outcome> {
    let store = home.open_store_read()?;
    let members: Option<Vec<MemberId>> = if a.all {
        None
    } else if a.members.is_empty() {
        Some(vec![home.member(&store)?])
    } else {
        Some(
            a.members
                .iter()
                .map(|m| store.resolve_member(m))
                .collect::<Result<_>>()?,
        )
    };
    // `-o -` is standard output, as for every command that writes a file.
    let output = a.output.as_ref().filter(|p| p.as_os_str() != "-");
    let n = match output {
        Some(path) => write_atomic(path, |w| store.export(members.as_deref(), w))?,
        None => {
            let mut o = io::BufWriter::new(io::stdout().lock());
            let n = store.export(members.as_deref(), &mut o)?;
            o.flush().map_err(|e| Error::io("standard output", e))?;
            n
        }
    };
    if let Some(p) = output {
        eprintln!("Wrote {n} entries to {}", escape(&p.display().to_string()));
    }
    if let Some(path) = &a.checkpoint {
        drop(store);
        super::checkpoint::export_checkpoint(home, n, path)?;
    }
    Ok(Outcome::Ok)
}

pub(super) fn open_input(path: &PathBuf) -> Result<BufReader<File>> {
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
    if len < 4 << 20 {
        return None;
    }
    bytes_bar(len, &escape(&path.display().to_string()))
}

/// A progress bar over `total` bytes, on a terminal only (standard error).
pub(super) fn bytes_bar(total: u64, message: &str) -> Option<indicatif::ProgressBar> {
    bar(
        total,
        message,
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
}

/// A progress bar over `total` things, on a terminal only (standard error).
pub(super) fn count_bar(total: u64, message: &str) -> Option<indicatif::ProgressBar> {
    bar(total, message, "{msg} [{bar:30}] {pos}/{len} eta {eta}")
}

fn bar(total: u64, message: &str, template: &str) -> Option<indicatif::ProgressBar> {
    if !io::stderr().is_terminal() || total == 0 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .ok()?
            .progress_chars("=> "),
    );
    bar.set_message(message.to_string());
    Some(bar)
}

/// Shows the current file's progress bar, if any, again after `f` prints.
fn beside_bar<T>(bar: Option<&indicatif::ProgressBar>, f: impl FnOnce() -> T) -> T {
    match bar {
        Some(b) => b.suspend(f),
        None => f(),
    }
}

/// How an input is named in reports: its path, or `(standard input)` for `-`.
fn input_name(path: &std::path::Path) -> String {
    if path.as_os_str() == "-" {
        "(standard input)".to_string()
    } else {
        path.display().to_string()
    }
}

/// The refusal of an empty input: an empty ledger is valid, an empty download usually a failure.
fn empty_input(name: &str) -> Error {
    Error::Invalid(format!(
        "{} is empty: nothing to verify or import. An empty download usually means it failed \
         (fetch with `curl -fsS`, and `set -o pipefail`); --allow-empty accepts an empty ledger",
        escape(name)
    ))
}

pub(super) fn verify(a: VerifyArgs) -> Result<Outcome> {
    if let Some(proof) = &a.proof {
        return super::checkpoint::verify_proof(proof, &a.proof_keys, a.json);
    }
    let mut names: Vec<String> = Vec::new();
    let mut readers: Vec<Box<dyn io::BufRead>> = Vec::new();
    let mut bars = Vec::new();
    for path in &a.files {
        let stdin = path.as_os_str() == "-";
        if stdin {
            // Not `stdin().lock()`: `-` may be given twice (the second reads nothing).
            readers.push(Box::new(io::BufReader::with_capacity(1 << 20, io::stdin())));
            bars.push(None);
            names.push("(standard input)".to_string());
        } else {
            readers.push(Box::new(open_input(path)?));
            bars.push(progress_bar(path));
            names.push(path.display().to_string());
        }
    }
    // Problems and notices are printed as they are found; the summaries after the last file,
    // since comparing files can find a problem of an earlier file later (spec §5.4).
    let mut live = Live::new(&names, !a.json);
    let current = std::cell::Cell::new(0usize);
    let bar = |file: usize| bars.get(file).and_then(Option::as_ref);
    let reports = coi_ledger::verify_files(
        readers,
        coi_ledger::VerifyOptions {
            threads: a.threads.map(usize::from),
        },
        |f| beside_bar(bar(current.get()), || live.found(f)),
        |file, n| {
            if file != current.get() {
                if let Some(b) = bar(current.get()) {
                    b.finish_and_clear();
                }
                current.set(file);
            }
            if let Some(b) = bar(file) {
                b.set_position(n)
            }
        },
    )?;
    for b in bars.iter().flatten() {
        b.finish_and_clear();
    }
    if !a.allow_empty {
        if let Some(i) = reports.iter().position(|r| r.lines == 0) {
            return Err(empty_input(&names[i]));
        }
    }
    if a.json {
        out_json(&body_json(&names, &reports))?;
    } else {
        for (name, r) in names.iter().zip(&reports) {
            print_summary(name, r, a.members)?;
        }
    }
    Ok(Outcome::of(reports.iter().all(|r| r.valid)))
}

pub(super) fn import(home: &Home, a: ImportArgs) -> Result<Outcome> {
    let mut store = home.open_or_create_store()?;
    let me = store.identity()?;
    let mut all_ok = true;
    let names: Vec<String> = a.files.iter().map(|p| input_name(p)).collect();
    let mut results = Vec::new();
    for (index, path) in a.files.iter().enumerate() {
        let name = &names[index];
        let stdin = path.as_os_str() == "-";
        let reader: Box<dyn io::BufRead> = if stdin {
            Box::new(io::BufReader::with_capacity(1 << 20, io::stdin()))
        } else {
            Box::new(open_input(path)?)
        };
        let own_before = me
            .map(|m| store.head(&m))
            .transpose()?
            .flatten()
            .map(|h| h.seq);
        let bar = if stdin { None } else { progress_bar(path) };
        let size = std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file() && !stdin)
            .map(|m| m.len());
        let mut live = Live::new(std::slice::from_ref(name), !a.json);
        let r = store.import_streamed(
            reader,
            size,
            name,
            coi_ledger::VerifyOptions::default(),
            |n| {
                if let Some(b) = &bar {
                    b.set_position(n)
                }
            },
            |f| beside_bar(bar.as_ref(), || live.found(f)),
        )?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        if r.verification.lines == 0 && !a.allow_empty {
            return Err(empty_input(name));
        }
        // A fork recorded is a bad finding even when a fork proof's chains were merged.
        all_ok &= r.merged && r.forks.is_empty() && r.evidence.is_empty();
        if !a.json {
            print_import(name, &r)?;
        }
        if let Some(me) = me {
            // Restoring a home from an old backup and declaring again forks one's own chain; say
            // so where this store can see it.
            match own_chain(&store, &me, own_before, &r)? {
                Some(OwnChain::Forked) => eprintln!(
                    "coi: warning: {} forks YOUR OWN chain: this store and the file hold different entries signed with your key at the same seq. \
                     This happens when a home is restored from an old backup and used to declare again. Stop declaring from this home until it is resolved.",
                    escape(name)
                ),
                Some(OwnChain::CaughtUp { entries }) => eprintln!(
                    "coi: warning: {} carried {} entries of your own chain that this store did not have (was the home restored from a backup?); the store is now up to date",
                    escape(name),
                    entries
                ),
                _ => {}
            }
        }
        results.push(r);
    }
    if a.json {
        let files = SeqOf(|| {
            results
                .iter()
                .enumerate()
                .map(|(i, r)| import_json(&names, i, r))
        });
        out_json(&ImportBody { files, ok: all_ok })?;
    }
    Ok(Outcome::of(all_ok))
}

/// The JSON report of `coi import`.
#[derive(serde::Serialize)]
struct ImportBody<F> {
    files: F,
    ok: bool,
}

fn print_import(file: &str, r: &ImportReport) -> Result<()> {
    let f = escape(file);
    if !r.verification.valid && !r.fork_proof {
        print_summary(file, &r.verification, false)?;
        row(format!("{f}: not imported: the file does not verify"))?;
        return Ok(());
    }
    if r.fork_proof {
        row(format!(
            "{f}: fork proof: every problem of the file is a fork ({}), each checked as evidence (spec §5.5)",
            r.verification.problems.len()
        ))?;
    }
    for k in &r.evidence {
        row(format!(
            "{f}: FORK: member {} seq {}: the store holds {} and the file also has {}, both signed with the member's key; recorded as evidence (see `coi forks`)",
            k.member.fingerprint(),
            k.seq,
            &k.held_id.to_hex()[..16],
            &k.other_id.to_hex()[..16]
        ))?;
    }
    for k in &r.forks {
        row(format!(
            "{f}: FORK: member {} seq {}: the store holds {} but the file has {}; both kept as evidence (see `coi forks`)",
            k.member.fingerprint(),
            k.seq,
            &k.held_id.to_hex()[..16],
            &k.other_id.to_hex()[..16]
        ))?;
    }
    for s in &r.stale {
        row(format!("{f}: stale: member {} is at seq {} in the file but {} in the store (an old copy or a rollback); nothing lost", s.member.fingerprint(), s.file_seq, s.store_seq))?;
    }
    if let Some(why) = &r.refused {
        row(format!("{f}: not imported: {why}"))?;
    } else if !r.forks.is_empty() {
        row(format!(
            "{f}: not imported: it forks {} chain(s) the store holds",
            r.forks.len()
        ))?;
    } else if r.fork_proof {
        row(format!(
            "{f}: imported the file's chains: {} new entries, {} already held, {} members; its fork lines are kept as evidence only",
            r.added,
            r.held,
            r.verification.members.len()
        ))?;
    } else {
        row(format!(
            "{f}: imported: {} new entries, {} already held, {} members",
            r.added,
            r.held,
            r.verification.members.len()
        ))?;
    }
    Ok(())
}

pub(super) fn forks(home: &Home, a: ForksArgs) -> Result<Outcome> {
    let store = home.open_store_read()?;
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
        return Ok(Outcome::Ok);
    }
    if a.json {
        out(serde_json::to_string(&list).unwrap_or_default())?;
        return Ok(Outcome::of(list.is_empty()));
    }
    if list.is_empty() {
        eprintln!("(no forks found)");
    }
    for (i, k) in list.iter().enumerate() {
        row(format!(
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
    Ok(Outcome::of(list.is_empty()))
}
