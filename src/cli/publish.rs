//! Publishing commands: `export`, `verify`, `import`, `forks`.

use std::fs::File;
use std::io::{self, BufReader, IsTerminal as _, Write};
use std::path::PathBuf;

use clap::Args as ClapArgs;
use coi_ledger::display::{escape, quote};
use coi_ledger::home::{own_chain, write_atomic, Home, OwnChain};
use coi_ledger::store::{ForkRecord, ImportReport};
use coi_ledger::{Error, MemberId, Result};
use serde_json::{json, Value};

use super::render::{print_report, report_json};
use super::{out, Outcome};

#[derive(ClapArgs, Debug)]
pub(super) struct ExportArgs {
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
pub(super) struct VerifyArgs {
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
pub(super) struct ImportArgs {
    /// Ledger files to import.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Machine-readable report.
    #[arg(long)]
    json: bool,
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
    Ok(Outcome::Ok)
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

pub(super) fn verify(a: VerifyArgs) -> Result<Outcome> {
    let mut all_valid = true;
    let mut reports = Vec::new();
    // Spec §5.3: the files are one body; their accepted entries are compared across files.
    let mut cross = coi_ledger::CrossFiles::new();
    let mut names: Vec<String> = Vec::new();
    let mut cross_at: Vec<(usize, u64, Option<String>)> = Vec::new();
    for (index, path) in a.files.iter().enumerate() {
        if index > 0 {
            cross.next_file();
        }
        let mut found = Vec::new();
        let stdin = path.as_os_str() == "-";
        let reader: Box<dyn io::BufRead> = if stdin {
            Box::new(io::BufReader::with_capacity(1 << 20, io::stdin().lock()))
        } else {
            Box::new(open_input(path)?)
        };
        let bar = if stdin { None } else { progress_bar(path) };
        let mut r = coi_ledger::verify_stream_lines(
            reader,
            coi_ledger::VerifyOptions { threads: a.threads },
            |_| false,
            |line, e| {
                found.extend(cross.accept(line, e));
                Ok::<(), Error>(())
            },
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
        for c in &found {
            let mut p = c.problem.clone();
            if let (Some(f), Some(l), coi_ledger::ErrorClass::Fork) =
                (c.other_file, p.other_line, p.class)
            {
                let other = names.get(f).cloned().unwrap_or_default();
                p.message = format!(
                    "two different validly signed entries for seq {} ({} line {l}): the member's key signed conflicting histories",
                    p.seq.unwrap_or(0),
                    escape(&other)
                );
            }
            cross_at.push((index, p.line, names.get(c.other_file.unwrap_or(0)).cloned()));
            let at = r.problems.partition_point(|q| q.line <= p.line);
            r.problems.insert(at, p);
            r.valid = false;
        }
        names.push(name.clone());
        all_valid &= r.valid;
        if !a.json {
            print_report(&name, &r)?;
        }
        reports.push((name, r));
    }
    if a.json {
        let mut files: Vec<Value> = reports.iter().map(|(n, r)| report_json(n, r)).collect();
        for (index, line, other) in &cross_at {
            let Some(ps) = files[*index]["problems"].as_array_mut() else {
                continue;
            };
            if let Some(p) = ps.iter_mut().find(|p| {
                p["line"] == *line && p["class"] == "fork" && p.get("other_file").is_none()
            }) {
                p["other_file"] = other.clone().map_or(Value::Null, Value::String);
            }
        }
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
    Ok(Outcome::of(all_valid))
}

pub(super) fn import(home: &Home, a: ImportArgs) -> Result<Outcome> {
    let mut store = home.open_or_create_store()?;
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
        // A fork recorded is a bad finding even when a fork proof's chains were merged.
        all_ok &= r.merged && r.forks.is_empty() && r.evidence.is_empty();
        if !a.json {
            print_import(&name, &r)?;
        }
        if let Some(me) = me {
            // Restoring a home from an old backup and declaring again forks one's own chain; say
            // so where this store can see it.
            match own_chain(&store, &me, own_before, &r)? {
                Some(OwnChain::Forked) => eprintln!(
                    "coi: warning: {} forks YOUR OWN chain: this store and the file hold different entries signed with your key at the same seq. \
                     This happens when a home is restored from an old backup and used to declare again. Stop declaring from this home until it is resolved.",
                    escape(&name)
                ),
                Some(OwnChain::CaughtUp { entries }) => eprintln!(
                    "coi: warning: {} carried {} entries of your own chain that this store did not have (was the home restored from a backup?); the store is now up to date",
                    escape(&name),
                    entries
                ),
                _ => {}
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
    Ok(Outcome::of(all_ok))
}

fn print_import(file: &str, r: &ImportReport) -> Result<()> {
    let f = escape(file);
    if !r.verification.valid && !r.fork_proof {
        print_report(file, &r.verification)?;
        out(format!("{f}: not imported: the file does not verify"))?;
        return Ok(());
    }
    if r.fork_proof {
        out(format!(
            "{f}: fork proof: every problem of the file is a fork ({}), each checked as evidence (spec §5.5)",
            r.verification.problems.len()
        ))?;
    }
    for k in &r.evidence {
        out(format!(
            "{f}: FORK: member {} seq {}: the store holds {} and the file also has {}, both signed with the member's key; recorded as evidence (see `coi forks`)",
            k.member.fingerprint(),
            k.seq,
            &k.held_id.to_hex()[..16],
            &k.other_id.to_hex()[..16]
        ))?;
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
    } else if r.fork_proof {
        out(format!(
            "{f}: imported the file's chains: {} new entries, {} already held, {} members; its fork lines are kept as evidence only",
            r.added,
            r.held,
            r.verification.members.len()
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
    Ok(Outcome::of(list.is_empty()))
}
