//! Benchmark harness: verification throughput against bare `verify_strict`, peak memory, and
//! import, query and append figures of the store.
//!
//! ```text
//! cargo run --release --example bench -- [--entries N] [--members M] [--seed S] [--quick]
//!     [--rounds R] [--dir DIR] [--file LEDGER] [--enforce] [--store-only] [--verify-only]
//!     [--memory-only] [--tlog-only]
//! ```
//!
//! Every figure is printed next to its reference, measured in the same run on the same data, and
//! the ratio is what the targets are about (machine speed cancels out). Each of our verify runs
//! sits between two bare runs, and with `--rounds R` the round with the median ratio is shown;
//! the CPU-time rows give the same comparison unaffected by other processes on the machine:
//! - verify: `coi_ledger::verify_stream` entries/s at least 90% of bare `verify_strict` entries/s
//!   (keys, messages and signatures pre-parsed outside the timed loop), on one thread and on all;
//! - memory: peak RSS of verifying the file in a child process at most 64 MiB;
//! - bounded memory: peak RSS of `coi verify` (plain and `--json`) at most 64 MiB on 5,000,000
//!   junk lines, on an endless stream (1 GiB of `y` lines through a pipe) and on one 1 GB line,
//!   and at most 512 MiB on 1,000,000 members of one entry each (smaller inputs under `--quick`,
//!   against the 64 MiB limit or the members limit scaled, whichever is higher);
//! - import: `coi import FILE` into an empty store at least 80% of `coi verify FILE` entries/s
//!   (verify runs before and after it; one import per round, the median shown), and importing
//!   the same file again at least as fast;
//! - queries: `coi conflicts --matter M`, `coi conflicts --member ID`, `coi log --member ID` on
//!   that store, whole processes, median under 100 ms (library times shown alongside);
//! - register: `coi register --html DIR --ledger FILE` at most 2x `coi verify FILE`'s time,
//!   and no page over 1 MiB;
//! - append: `Store::append` per call at most 2x a bare durable single-row INSERT (WAL,
//!   synchronous=FULL, own transaction, same file system, interleaved), and `coi declare` as a
//!   whole process, median under 20 ms;
//! - body log: the RFC 6962 tree (and the frontier) of the file's lines on one core at least half
//!   as fast as SHA-256 of the file; a checkpoint after 1,000 new lines from a stored frontier
//!   as fast at n as at n/4 (within 1.5x); verifying an inclusion proof, and a whole tlog-proof
//!   bundle, under 1 ms.
//!
//! With symbols for a profiler: `cargo run --profile profiling --example bench` (the release
//! profile has no debug info, as `cargo install` builds it).
//!
//! The store sections run the `coi` binary of the same profile, which the harness builds first
//! (`cargo build --bin coi`, a no-op when up to date: `cargo run --example` builds no binaries).
//!
//! `--quick` (20,000 entries, 50 members) is the CI smoke test. `--enforce` exits with status 1
//! when a target is missed (off by default: shared CI machines are noisy). `--store-only` skips
//! the verify and memory sections, `--verify-only` the store sections, `--memory-only` runs the
//! memory sections alone, `--tlog-only` the body log section alone.
//!
//! The ledger is generated deterministically (`tests/support/ledger_gen.rs`) into `--dir`
//! (default: `$TMPDIR/coi-bench`) and reused by later runs with the same parameters.

// The test support's generator, beside the one RNG it draws from (`use super::rng::Rng`).
#[path = "../tests/support/ledger_gen.rs"]
mod ledger_gen;
#[path = "../tests/support/rng.rs"]
mod rng;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use coi_ledger::{signing_message, verify_stream, Entry, PublicKey, Signature, VerifyOptions};
use rayon::prelude::*;

/// Target: our entries/s over bare verify_strict entries/s.
const MIN_VERIFY_RATIO: f64 = 0.90;
/// Target: peak RSS of verifying, bytes.
const MAX_VERIFY_RSS: u64 = 64 << 20;
/// Lines of the file used for the bare verify_strict figure (sampled evenly over the file).
const BARE_SAMPLE: usize = 100_000;

const USAGE: &str = "usage: bench [--entries N] [--members M] [--seed S] [--quick] [--rounds R] [--dir DIR] [--file LEDGER] [--enforce] [--store-only] [--verify-only] [--memory-only] [--tlog-only]\n       bench --verify-child LEDGER [--threads N]";

#[derive(Debug, Clone)]
struct Args {
    entries: u64,
    members: usize,
    seed: u64,
    quick: bool,
    rounds: usize,
    dir: Option<PathBuf>,
    file: Option<PathBuf>,
    enforce: bool,
    /// Only the store sections (import, queries, append).
    store_only: bool,
    /// Only the verify sections (verify, memory).
    verify_only: bool,
    /// Only the memory sections.
    memory_only: bool,
    /// Only the body log section.
    tlog_only: bool,
    verify_child: Option<PathBuf>,
    threads: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        entries: 1_000_000,
        members: 1000,
        seed: 7,
        quick: false,
        rounds: 1,
        dir: None,
        file: None,
        enforce: false,
        store_only: false,
        verify_only: false,
        memory_only: false,
        tlog_only: false,
        verify_child: None,
        threads: None,
    };
    let (mut entries, mut members) = (None, None);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let num = |s: String, name: &str| s.parse::<u64>().map_err(|e| format!("{name}: {e}"));
        match arg.as_str() {
            "--entries" => entries = Some(num(value("--entries")?, "--entries")?),
            "--members" => members = Some(num(value("--members")?, "--members")? as usize),
            "--seed" => a.seed = num(value("--seed")?, "--seed")?,
            "--rounds" => a.rounds = num(value("--rounds")?, "--rounds")?.max(1) as usize,
            "--threads" => a.threads = Some(num(value("--threads")?, "--threads")?.max(1) as usize),
            "--dir" => a.dir = Some(value("--dir")?.into()),
            "--file" => a.file = Some(value("--file")?.into()),
            "--verify-child" => a.verify_child = Some(value("--verify-child")?.into()),
            "--quick" => a.quick = true,
            "--enforce" => a.enforce = true,
            "--store-only" => a.store_only = true,
            "--verify-only" => a.verify_only = true,
            "--memory-only" => a.memory_only = true,
            "--tlog-only" => a.tlog_only = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if a.quick {
        a.entries = 20_000;
        a.members = 50;
    }
    a.entries = entries.unwrap_or(a.entries);
    a.members = members.unwrap_or(a.members).max(1);
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.verify_child {
        return verify_child(path, args.threads);
    }
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/// One line of the result table: a figure, its reference, and the target on their ratio.
struct Row {
    section: &'static str,
    what: String,
    value: String,
    reference: String,
    ratio: Option<f64>,
    target: String,
    /// `Some(false)` when a target exists and was missed.
    ok: Option<bool>,
}

#[derive(Default)]
struct Table {
    rows: Vec<Row>,
}

impl Table {
    fn add(
        &mut self,
        section: &'static str,
        what: impl Into<String>,
        value: impl Into<String>,
        reference: impl Into<String>,
    ) -> &mut Row {
        self.rows.push(Row {
            section,
            what: what.into(),
            value: value.into(),
            reference: reference.into(),
            ratio: None,
            target: String::new(),
            ok: None,
        });
        self.rows.last_mut().expect("just pushed")
    }

    fn print(&self, out: &mut impl Write) -> io::Result<()> {
        let headers = [
            "section",
            "measurement",
            "value",
            "reference",
            "ratio",
            "target",
            "",
        ];
        let cells: Vec<[String; 7]> = self
            .rows
            .iter()
            .map(|r| {
                [
                    r.section.to_string(),
                    r.what.clone(),
                    r.value.clone(),
                    r.reference.clone(),
                    r.ratio.map(|x| format!("{x:.3}")).unwrap_or_default(),
                    r.target.clone(),
                    match r.ok {
                        Some(true) => "ok".into(),
                        Some(false) => "MISSED".into(),
                        None => String::new(),
                    },
                ]
            })
            .collect();
        let mut width = headers.map(str::len);
        for c in &cells {
            for (w, s) in width.iter_mut().zip(c) {
                *w = (*w).max(s.chars().count());
            }
        }
        let line = |out: &mut dyn Write, c: &[String]| -> io::Result<()> {
            let mut s = String::new();
            for (i, (cell, w)) in c.iter().zip(width).enumerate() {
                let pad = w - cell.chars().count();
                // Numbers right-aligned, text left-aligned.
                if (2..=4).contains(&i) {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(cell);
                } else {
                    s.push_str(cell);
                    s.push_str(&" ".repeat(pad));
                }
                s.push_str("  ");
            }
            writeln!(out, "{}", s.trim_end())
        };
        line(out, &headers.map(String::from))?;
        line(out, &width.map(|w| "-".repeat(w)))?;
        for c in &cells {
            line(out, c)?;
        }
        Ok(())
    }

    fn all_ok(&self) -> bool {
        self.rows.iter().all(|r| r.ok != Some(false))
    }
}

impl Row {
    fn ratio_at_least(&mut self, ratio: f64, min: f64) {
        self.ratio = Some(ratio);
        self.target = format!(">= {min:.2}");
        self.ok = Some(ratio >= min);
    }
    fn ratio_at_most(&mut self, ratio: f64, max: f64) {
        self.ratio = Some(ratio);
        self.target = format!("<= {max:.2}");
        self.ok = Some(ratio <= max);
    }
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn fmt_rate(r: f64) -> String {
    format!("{} entries/s", group(r.round() as u64))
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

/// What every section gets: the ledger and where things are.
struct Ctx {
    args: Args,
    /// The ledger file.
    ledger: PathBuf,
    /// Lines in it.
    entries: u64,
    /// Scratch directory (stores, copies), for the store sections.
    dir: PathBuf,
    /// The `coi` binary next to this example, if built.
    coi: Option<PathBuf>,
    threads: usize,
}

fn run(args: &Args) -> Result<bool, String> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("coi-bench"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let threads = rayon::current_num_threads();
    let mut table = Table::default();

    let (ledger, entries) = match &args.file {
        Some(f) => {
            let n = count_lines(f).map_err(|e| format!("{}: {e}", f.display()))?;
            (f.clone(), n)
        }
        None => prepare_ledger(args, &dir, &mut table)?,
    };
    // The body log section runs no `coi` process.
    let coi = if args.tlog_only { None } else { ensure_coi() };
    let ctx = Ctx {
        args: args.clone(),
        ledger,
        entries,
        dir,
        coi,
        threads,
    };
    eprintln!(
        "bench: {} ({} entries), {} threads",
        ctx.ledger.display(),
        group(ctx.entries),
        ctx.threads
    );

    if ctx.args.tlog_only {
        bench_tlog(&ctx, &mut table)?;
    } else {
        run_sections(&ctx, &mut table)?;
    }

    println!();
    println!(
        "coi-ledger bench: {} entries{}, {} threads available, {} round(s)",
        group(ctx.entries),
        if ctx.args.file.is_none() {
            format!(" / {} members (seed {})", ctx.args.members, ctx.args.seed)
        } else {
            String::new()
        },
        ctx.threads,
        ctx.args.rounds
    );
    table.print(&mut io::stdout()).map_err(|e| e.to_string())?;
    let ok = table.all_ok();
    if !ok {
        println!(
            "\nsome targets were missed{}",
            if args.enforce {
                ""
            } else {
                " (not enforced; pass --enforce to fail)"
            }
        );
    }
    Ok(ok || !args.enforce)
}

/// Every section but the body log's alone (which `--tlog-only` runs).
fn run_sections(ctx: &Ctx, table: &mut Table) -> Result<(), String> {
    if !ctx.args.store_only {
        if !ctx.args.memory_only {
            bench_verify(ctx, table)?;
        }
        bench_verify_memory(ctx, table)?;
        bench_bounded_memory(ctx, table)?;
        if !ctx.args.memory_only {
            bench_tlog(ctx, table)?;
        }
    }
    if !ctx.args.verify_only && !ctx.args.memory_only {
        let picks = pick_from_ledger(&ctx.ledger, ctx.entries)?;
        let home = bench_import(ctx, table)?;
        bench_queries(ctx, home.as_ref(), &picks, table)?;
        bench_check(ctx, home.as_ref(), &picks, table)?;
        bench_register(ctx, table)?;
        bench_append(ctx, home.as_ref(), &picks, table)?;
        // The home (with the imported store) is deleted here, before the table is printed.
        drop(home);
    }
    Ok(())
}

fn count_lines(path: &Path) -> io::Result<u64> {
    let mut r = BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut n = 0u64;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(n);
        }
        n += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        let len = buf.len();
        r.consume(len);
    }
}

/// Generates the ledger, or reuses one generated before with the same parameters.
fn prepare_ledger(args: &Args, dir: &Path, table: &mut Table) -> Result<(PathBuf, u64), String> {
    let name = format!("gen-m{}-n{}-s{}", args.members, args.entries, args.seed);
    let path = dir.join(format!("{name}.ledger"));
    let done = dir.join(format!("{name}.done"));
    let expected_len = std::fs::read_to_string(&done)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let actual_len = std::fs::metadata(&path).map(|m| m.len()).ok();
    if expected_len.is_some() && expected_len == actual_len {
        eprintln!("bench: reusing {}", path.display());
        table.add(
            "generate",
            "ledger (reused)",
            format!("{} entries", group(args.entries)),
            mib(actual_len.unwrap_or(0)),
        );
        return Ok((path, args.entries));
    }
    eprintln!(
        "bench: generating {} entries of {} members into {}",
        group(args.entries),
        args.members,
        path.display()
    );
    let _ = std::fs::remove_file(&done);
    let start = Instant::now();
    let file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = io::BufWriter::with_capacity(1 << 20, file);
    let stats = ledger_gen::generate(
        ledger_gen::GenConfig::new(args.members, args.entries, args.seed),
        &mut w,
    )
    .map_err(|e| e.to_string())?;
    w.flush().map_err(|e| e.to_string())?;
    drop(w);
    let took = start.elapsed();
    std::fs::write(&done, format!("{}\n", stats.bytes)).map_err(|e| e.to_string())?;
    table.add(
        "generate",
        "generate + sign + write",
        fmt_rate(rate(stats.entries, took)),
        format!(
            "{}, avg line {} B",
            mib(stats.bytes),
            stats.bytes.checked_div(stats.entries).unwrap_or(0)
        ),
    );
    Ok((path, stats.entries))
}

// ---------------------------------------------------------------------------------------------
// Verify: throughput against bare verify_strict
// ---------------------------------------------------------------------------------------------

/// One pre-parsed line for the bare figure: everything decoded, only the check left.
struct Bare {
    key: PublicKey,
    message: Vec<u8>,
    sig: Signature,
}

/// Pre-parses up to `max` lines, sampled evenly over the file.
fn bare_sample(path: &Path, entries: u64, max: usize) -> Result<Vec<Bare>, String> {
    let stride = entries.div_ceil(max as u64).max(1);
    let r = BufReader::with_capacity(1 << 20, File::open(path).map_err(|e| e.to_string())?);
    let mut out = Vec::with_capacity(max.min(entries as usize));
    for (i, line) in r.lines().enumerate() {
        let line = line.map_err(|e| e.to_string())?;
        if !(i as u64).is_multiple_of(stride) {
            continue;
        }
        let e = Entry::parse(&line).map_err(|e| format!("line {}: {e:?}", i + 1))?;
        let sig = e
            .sig
            .ok_or_else(|| format!("line {}: sig is not of the spec's form", i + 1))?;
        out.push(Bare {
            key: e.key,
            message: signing_message(e.body().as_bytes()),
            sig,
        });
    }
    Ok(out)
}

/// A timed run: entries, wall time, and CPU time of this process (all threads).
#[derive(Clone, Copy)]
struct Timed {
    entries: u64,
    wall: Duration,
    cpu: Duration,
}

impl Timed {
    fn measure(f: impl FnOnce() -> Result<u64, String>) -> Result<Timed, String> {
        let (c0, w0) = (cpu_time(), Instant::now());
        let entries = f()?;
        let wall = w0.elapsed();
        let cpu = cpu_time().saturating_sub(c0);
        Ok(Timed { entries, wall, cpu })
    }
    fn rate(&self) -> f64 {
        rate(self.entries, self.wall)
    }
    /// CPU seconds per entry.
    fn cpu_per_entry(&self) -> f64 {
        self.cpu.as_secs_f64() / self.entries.max(1) as f64
    }
}

/// User + system time of this process so far, from `/proc/self/stat` (Linux; zero elsewhere).
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    // Clock ticks are 100 per second on every Linux this runs on (USER_HZ).
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn bare_1(sample: &[Bare]) -> Result<Timed, String> {
    Timed::measure(|| {
        let ok = sample
            .iter()
            .filter(|b| b.key.verify_strict(&b.message, &b.sig))
            .count();
        if ok != sample.len() {
            return Err("a sampled signature does not verify".into());
        }
        Ok(ok as u64)
    })
}

fn bare_all(sample: &[Bare]) -> Result<Timed, String> {
    Timed::measure(|| {
        let ok = sample
            .par_iter()
            .filter(|b| b.key.verify_strict(&b.message, &b.sig))
            .count();
        if ok != sample.len() {
            return Err("a sampled signature does not verify".into());
        }
        Ok(ok as u64)
    })
}

fn ours(path: &Path, threads: Option<usize>) -> Result<Timed, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    Timed::measure(|| {
        let report = verify_stream(
            BufReader::with_capacity(1 << 16, file),
            VerifyOptions { threads },
            |_| Ok::<(), io::Error>(()),
            |_| {},
        )
        .map_err(|e| e.to_string())?;
        if !report.valid {
            return Err(format!(
                "the ledger does not verify: {:?}",
                report.problems.first()
            ));
        }
        Ok(report.entries)
    })
}

fn bench_verify(ctx: &Ctx, table: &mut Table) -> Result<(), String> {
    let max = if ctx.args.quick {
        ctx.entries as usize
    } else {
        BARE_SAMPLE
    };
    let sample = bare_sample(&ctx.ledger, ctx.entries, max)?;
    // Warm up the page cache and the thread pool.
    let _ = bare_all(&sample[..sample.len().min(2000)]);
    // Side by side: each of our runs sits between two bare runs (A-B-A), so that both see the
    // same load from whatever else runs on the machine; the ratio of a round is ours over the
    // mean of its two bare runs, and the round with the median ratio is reported.
    let mut one: Vec<(Timed, Timed, f64)> = Vec::new();
    let mut all: Vec<(Timed, Timed, f64)> = Vec::new();
    for round in 0..ctx.args.rounds {
        let aba = |bare: &dyn Fn() -> Result<Timed, String>,
                   threads: Option<usize>|
         -> Result<(Timed, Timed, f64), String> {
            let (before, o, after) = (bare()?, ours(&ctx.ledger, threads)?, bare()?);
            let b = Timed {
                entries: before.entries + after.entries,
                wall: before.wall + after.wall,
                cpu: before.cpu + after.cpu,
            };
            Ok((o, b, o.rate() / b.rate()))
        };
        let r1 = aba(&|| bare_1(&sample), Some(1))?;
        let rn = aba(&|| bare_all(&sample), None)?;
        eprintln!(
            "bench: round {}: 1 thread: ours {:.0}/s, bare {:.0}/s ({:.3}); {} threads: ours {:.0}/s, bare {:.0}/s ({:.3})",
            round + 1,
            r1.0.rate(),
            r1.1.rate(),
            r1.2,
            ctx.threads,
            rn.0.rate(),
            rn.1.rate(),
            rn.2
        );
        one.push(r1);
        all.push(rn);
    }
    let median = |v: &mut Vec<(Timed, Timed, f64)>| {
        v.sort_by(|a, b| a.2.total_cmp(&b.2));
        v.get(v.len() / 2).copied()
    };
    let (Some((o1, b1, ratio1)), Some((on, bn, ratio_all))) = (median(&mut one), median(&mut all))
    else {
        return Err("no round ran".into());
    };
    let reference = |t: Timed| format!("bare verify_strict {}", fmt_rate(t.rate()));
    table
        .add(
            "verify",
            "verify_stream, 1 thread",
            fmt_rate(o1.rate()),
            reference(b1),
        )
        .ratio_at_least(ratio1, MIN_VERIFY_RATIO);
    table
        .add(
            "verify",
            format!("verify_stream, {} threads", ctx.threads),
            fmt_rate(on.rate()),
            reference(bn),
        )
        .ratio_at_least(ratio_all, MIN_VERIFY_RATIO);
    table.add(
        "verify",
        format!("parallel speed-up, {} threads", ctx.threads),
        format!("{:.2}x ours", on.rate() / o1.rate()),
        format!("{:.2}x bare", bn.rate() / b1.rate()),
    );
    // CPU time per entry does not depend on what else runs on the machine: the overhead alone.
    let us = |t: Timed| format!("{:.1} us CPU/entry", t.cpu_per_entry() * 1e6);
    if b1.cpu > Duration::ZERO && o1.cpu > Duration::ZERO {
        let row = table.add(
            "verify",
            "CPU per entry, 1 thread (ratio bare/ours)",
            us(o1),
            format!("bare {}", us(b1)),
        );
        row.ratio = Some(b1.cpu_per_entry() / o1.cpu_per_entry());
    }
    if bn.cpu > Duration::ZERO && on.cpu > Duration::ZERO {
        let row = table.add(
            "verify",
            format!("CPU per entry, {} threads (ratio bare/ours)", ctx.threads),
            us(on),
            format!("bare {}", us(bn)),
        );
        row.ratio = Some(bn.cpu_per_entry() / on.cpu_per_entry());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Verify: peak memory, in a child process
// ---------------------------------------------------------------------------------------------

/// `bench --verify-child FILE`: verifies FILE and prints one JSON line with the result and this
/// process's peak RSS (VmHWM).
fn verify_child(path: &Path, threads: Option<usize>) -> ExitCode {
    let run = || -> Result<String, String> {
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let start = Instant::now();
        let report = verify_stream(
            BufReader::with_capacity(1 << 16, file),
            VerifyOptions { threads },
            |_| Ok::<(), io::Error>(()),
            |_| {},
        )
        .map_err(|e| e.to_string())?;
        let secs = start.elapsed().as_secs_f64();
        let hwm = vm_hwm_kib(std::process::id()).unwrap_or(0);
        Ok(format!(
            "{{\"entries\":{},\"secs\":{secs:.3},\"valid\":{},\"vm_hwm_kib\":{hwm}}}",
            report.entries, report.valid
        ))
    };
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench --verify-child: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The peak resident set size of a process, from `/proc/PID/status` (Linux).
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `cmd`, polling the child's VmHWM until it exits; returns its stdout and the largest VmHWM
/// seen (the child's own report, when it gives one, is exact).
fn run_measured(mut cmd: Command) -> Result<(String, u64, Duration), String> {
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = child.id();
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let mut hwm = 0u64;
    let status = loop {
        if let Some(k) = vm_hwm_kib(pid) {
            hwm = hwm.max(k);
        }
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            break st;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = start.elapsed();
    let out = reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("{status}: {}", err.trim()));
    }
    Ok((out, hwm, took))
}

fn json_u64(text: &str, key: &str) -> Option<u64> {
    let v: serde_json::Value =
        serde_json::from_str(text.lines().find(|l| l.trim_start().starts_with('{'))?).ok()?;
    v.get(key)?.as_u64()
}

fn bench_verify_memory(ctx: &Ctx, table: &mut Table) -> Result<(), String> {
    // Prefer the real CLI; fall back to this example in child mode when the CLI cannot do it yet.
    let mut measured = None;
    if let Some(coi) = &ctx.coi {
        let mut cmd = Command::new(coi);
        cmd.arg("verify").arg(&ctx.ledger).arg("--json");
        match run_measured(cmd) {
            Ok((out, hwm, took)) if serde_json::from_str::<serde_json::Value>(out.trim()).is_ok() || json_u64(&out, "entries").is_some() => {
                measured = Some(("coi verify --json", hwm, took));
            }
            Ok(_) => eprintln!("bench: {} verify --json gave no JSON report; measuring the library in a child instead", coi.display()),
            Err(e) => eprintln!("bench: {} verify failed ({e}); measuring the library in a child instead", coi.display()),
        }
    }
    let (how, hwm, took) = match measured {
        Some(m) => m,
        None => {
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            let mut cmd = Command::new(exe);
            cmd.arg("--verify-child").arg(&ctx.ledger);
            let (out, polled, took) = run_measured(cmd)?;
            let own = json_u64(&out, "vm_hwm_kib").unwrap_or(0);
            let entries = json_u64(&out, "entries").unwrap_or(0);
            if entries != ctx.entries {
                return Err(format!(
                    "the verify child accepted {entries} entries of {}",
                    ctx.entries
                ));
            }
            ("verify_stream in a child", polled.max(own), took)
        }
    };
    let bytes = hwm * 1024;
    table
        .add(
            "memory",
            format!("peak RSS, {how}"),
            mib(bytes),
            format!("limit {}", mib(MAX_VERIFY_RSS)),
        )
        .ratio_at_most(bytes as f64 / MAX_VERIFY_RSS as f64, 1.0);
    table.add(
        "memory",
        format!("wall time, {how}"),
        format!("{:.2} s", took.as_secs_f64()),
        fmt_rate(rate(ctx.entries, took)),
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Bounded memory: hostile and huge inputs, in child `coi` processes
// ---------------------------------------------------------------------------------------------

/// Target: peak RSS of `coi verify` on junk lines, an endless stream and one huge line.
const MAX_HOSTILE_RSS: u64 = 64 << 20;
/// Target: peak RSS of `coi verify` on 1,000,000 members of one entry each.
const MAX_MEMBERS_RSS: u64 = 512 << 20;
/// Members of the full members row (the target is for this many).
const MEMBERS_FULL: u64 = 1_000_000;

/// What a measured `coi` run gave.
struct Peak {
    /// Peak RSS (VmHWM, polled), bytes.
    rss: u64,
    took: Duration,
    code: Option<i32>,
    /// Bytes written on standard output.
    out_bytes: u64,
    /// The last 4 KiB of standard output (the summary).
    tail: String,
    /// VmHWM when a tenth of the input had been fed (feeding runs only), bytes.
    early_rss: Option<u64>,
}

/// Runs `coi ARGS`, feeding it `feed` bytes of `y` lines on standard input if given (else none),
/// and polls its VmHWM until it exits. Standard output is counted, not kept (a report can be
/// hundreds of megabytes), but for its last 4 KiB.
fn run_peak(coi: &Path, args: &[std::ffi::OsString], feed: Option<u64>) -> Result<Peak, String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let mut cmd = Command::new(coi);
    cmd.args(args)
        .stdin(if feed.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", coi.display()))?;
    let pid = child.id();
    let fed = Arc::new(AtomicU64::new(0));
    let feeder = match (feed, child.stdin.take()) {
        (Some(total), Some(mut stdin)) => {
            let fed = Arc::clone(&fed);
            Some(std::thread::spawn(move || {
                let block = b"y\n".repeat(1 << 19);
                let mut left = total;
                while left > 0 {
                    let n = left.min(block.len() as u64) as usize;
                    if stdin.write_all(&block[..n]).is_err() {
                        break;
                    }
                    left -= n as u64;
                    fed.fetch_add(n as u64, Ordering::Relaxed);
                }
            }))
        }
        _ => None,
    };
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let (mut n, mut tail, mut buf) = (0u64, Vec::<u8>::new(), vec![0u8; 1 << 16]);
        while let Ok(k) = io::Read::read(&mut stdout, &mut buf) {
            if k == 0 {
                break;
            }
            n += k as u64;
            tail.extend_from_slice(&buf[..k]);
            if tail.len() > 8192 {
                tail.drain(..tail.len() - 4096);
            }
        }
        let keep = tail.len().saturating_sub(4096);
        (n, String::from_utf8_lossy(&tail[keep..]).into_owned())
    });
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let (mut hwm, mut early) = (0u64, None);
    let status = loop {
        if let Some(k) = vm_hwm_kib(pid) {
            hwm = hwm.max(k);
            if let Some(total) = feed {
                if early.is_none() && fed.load(Ordering::Relaxed) >= total / 10 {
                    early = Some(k * 1024);
                }
            }
        }
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            break st;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = start.elapsed();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let (out_bytes, tail) = reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if status.code().is_none_or(|c| c > 1) {
        return Err(format!("coi {args:?}: {status}: {}", err.trim()));
    }
    Ok(Peak {
        rss: hwm * 1024,
        took,
        code: status.code(),
        out_bytes,
        tail,
        early_rss: early,
    })
}

/// Writes `path` with `write` unless it already has `len` bytes (a run before wrote it).
fn write_input(
    path: &Path,
    len: u64,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), String> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() == len) {
        return Ok(());
    }
    eprintln!("bench: writing {}", path.display());
    let tmp = path.with_extension("tmp");
    let mut w =
        io::BufWriter::with_capacity(1 << 20, File::create(&tmp).map_err(|e| e.to_string())?);
    write(&mut w)
        .and_then(|()| w.flush())
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    drop(w);
    std::fs::rename(&tmp, path).map_err(|e| e.to_string())
}

/// Checks that a run gave the exit code and summary expected of it.
fn expect_run(what: &str, p: &Peak, code: i32, needle: &str) -> Result<(), String> {
    if p.code != Some(code) || !p.tail.contains(needle) {
        return Err(format!(
            "{what}: exit {:?}, expected {code} and {needle:?} in the report, whose end is:\n{}",
            p.code,
            p.tail.trim()
        ));
    }
    Ok(())
}

/// One row of peak RSS against `limit`.
fn peak_row(table: &mut Table, what: String, p: &Peak, limit: u64, note: String) {
    table
        .add(
            "bounded",
            what,
            mib(p.rss),
            format!(
                "limit {}; {:.1} s, {} out{note}",
                mib(limit),
                p.took.as_secs_f64(),
                mib(p.out_bytes)
            ),
        )
        .ratio_at_most(p.rss as f64 / limit as f64, 1.0);
}

/// Peak RSS of `coi verify` on inputs that used to exhaust memory (issue 9): junk lines, an
/// endless stream, one huge line, and a body of many members of one entry each.
fn bench_bounded_memory(ctx: &Ctx, table: &mut Table) -> Result<(), String> {
    let Some(coi) = &ctx.coi else {
        table.add(
            "bounded",
            "coi verify on hostile input",
            "skipped",
            "no coi binary",
        );
        return Ok(());
    };
    let quick = ctx.args.quick;
    let verify = |file: &Path, json: bool| -> Vec<std::ffi::OsString> {
        let mut v = vec!["verify".into(), file.as_os_str().to_owned()];
        if json {
            v.push("--json".into());
        }
        v
    };
    let flag = |json: bool| if json { " --json" } else { "" };

    // Junk: every line a problem.
    let junk_lines: u64 = if quick { 500_000 } else { 5_000_000 };
    let junk = ctx.dir.join(format!("junk-{junk_lines}.ledger"));
    write_input(&junk, junk_lines * 2, |w| {
        for _ in 0..junk_lines {
            w.write_all(b"{\n")?;
        }
        Ok(())
    })?;
    for json in [false, true] {
        let p = run_peak(coi, &verify(&junk, json), None)?;
        let needle = if json {
            format!("\"problems_count\":{junk_lines},\"valid\":false}}")
        } else {
            format!("INVALID: {junk_lines} problem(s)")
        };
        expect_run("junk lines", &p, 1, &needle)?;
        peak_row(
            table,
            format!(
                "peak RSS, coi verify{} FILE of {} `{{` lines",
                flag(json),
                group(junk_lines)
            ),
            &p,
            MAX_HOSTILE_RSS,
            String::new(),
        );
    }

    // An endless stream, cut after a bounded number of bytes: coi keeps bounded state and reads
    // to the end, printing the first problems as they come.
    let stream: u64 = if quick { 64 << 20 } else { 1 << 30 };
    let p = run_peak(coi, &["verify".into(), "-".into()], Some(stream))?;
    expect_run(
        "y stream",
        &p,
        1,
        &format!("INVALID: {} problem(s)", stream / 2),
    )?;
    let note = format!(
        ", {} MB/s, {} after a tenth",
        (stream as f64 / 1e6 / p.took.as_secs_f64().max(1e-9)).round(),
        p.early_rss.map(mib).unwrap_or_default()
    );
    peak_row(
        table,
        format!("peak RSS, {} of `y` lines | coi verify -", mib(stream)),
        &p,
        MAX_HOSTILE_RSS,
        note,
    );

    // One line far over the limit.
    let long: u64 = if quick { 64 << 20 } else { 1_000_000_000 };
    let line = ctx.dir.join(format!("line-{long}.ledger"));
    write_input(&line, long + 1, |w| {
        let block = vec![b'a'; 1 << 20];
        let mut left = long;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            w.write_all(&block[..n])?;
            left -= n as u64;
        }
        w.write_all(b"\n")
    })?;
    for json in [false, true] {
        let p = run_peak(coi, &verify(&line, json), None)?;
        expect_run("one long line", &p, 1, "line-too-long")?;
        peak_row(
            table,
            format!(
                "peak RSS, coi verify{} FILE of one {} line",
                flag(json),
                mib(long)
            ),
            &p,
            MAX_HOSTILE_RSS,
            String::new(),
        );
    }

    // Many members of one entry each: per-member state (and the report's member list).
    let members: u64 = if quick { 50_000 } else { MEMBERS_FULL };
    let mut args = ctx.args.clone();
    args.members = members as usize;
    args.entries = members;
    let (ledger, _) = prepare_ledger(&args, &ctx.dir, table)?;
    let limit = if quick {
        MAX_HOSTILE_RSS.max(MAX_MEMBERS_RSS * members / MEMBERS_FULL)
    } else {
        MAX_MEMBERS_RSS
    };
    for json in [false, true] {
        let p = run_peak(coi, &verify(&ledger, json), None)?;
        let needle = if json {
            format!("\"members\":{members},")
        } else {
            format!("valid: {members} entries from {members} members")
        };
        expect_run("members of one entry", &p, 0, &needle)?;
        let note = format!(", {} B/member", p.rss / members);
        peak_row(
            table,
            format!(
                "peak RSS, coi verify{} FILE of {} members x 1 entry",
                flag(json),
                group(members)
            ),
            &p,
            limit,
            note,
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Store figures: import, queries, append
// ---------------------------------------------------------------------------------------------
//
// They run the release `coi` binary (built by `ensure_coi` when missing or stale) against a
// fresh home in a temporary directory under `ctx.dir`; the home holds the imported ledger for the
// query and append sections and is deleted at the end.

/// Target: `coi import` entries/s over `coi verify` entries/s, into an empty store.
const MIN_IMPORT_RATIO: f64 = 0.80;
/// Target: importing the same file again, over `coi verify`.
const MIN_REIMPORT_RATIO: f64 = 1.0;
/// Target: wall time of one query command, as a whole process.
const MAX_QUERY: Duration = Duration::from_millis(100);
/// Target: building the RFC 6962 tree of a file's lines, one core, at least this fraction of
/// SHA-256's throughput over the same bytes.
const MIN_TREE_RATIO: f64 = 0.5;
/// Target: verifying one inclusion proof, or one tlog-proof bundle.
const MAX_PROOF_VERIFY: Duration = Duration::from_millis(1);
/// Target: an incremental checkpoint of the same appended lines at n over at n/4 (O(new lines +
/// log n): flat, up to noise).
const MAX_CHECKPOINT_GROWTH: f64 = 1.5;
/// Lines appended before an incremental checkpoint.
const TLOG_APPEND: usize = 1000;
/// Runs of each incremental checkpoint (the median is shown).
const TLOG_RUNS: usize = 31;
/// The origin of the bench's checkpoints.
const TLOG_ORIGIN: &str = "bench.example/log";
/// Target: `coi check --ledger FILE` at least this fraction of `coi verify FILE`'s speed.
const MIN_CHECK_LEDGER_RATIO: f64 = 0.85;
/// Target: `Store::append` per call over a bare durable single-row INSERT.
const MAX_APPEND_RATIO: f64 = 2.0;
/// Target: wall time of `coi declare`, as a whole process.
const MAX_DECLARE: Duration = Duration::from_millis(20);

/// Builds the `coi` binary of this example's profile (`cargo build [--release] --bin coi`; a
/// no-op when it is up to date: `cargo run --example` does not build binaries) and returns its
/// path. If the build fails (say, sources mid-edit), an existing binary is used as it is.
fn ensure_coi() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?.to_path_buf();
    let path = profile_dir.join("coi");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--bin", "coi"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(other) => {
            cmd.args(["--profile", other]);
        }
        None => {}
    }
    let start = Instant::now();
    match cmd.status() {
        Ok(s) if s.success() => eprintln!(
            "bench: {} is up to date ({:.1} s)",
            path.display(),
            start.elapsed().as_secs_f64()
        ),
        other => eprintln!(
            "bench: building the coi binary failed ({other:?}); using {} as it is",
            path.display()
        ),
    }
    path.is_file().then_some(path)
}

/// What the store sections pick from the ledger: matters and members that occur in it, and the
/// data of a declaration to append.
struct Picks {
    matters: Vec<coi_ledger::Matter>,
    members: Vec<coi_ledger::MemberId>,
    declaration: Option<coi_ledger::Data>,
    /// Votes' matters and participants, as `coi check` asks the register about them.
    votes: Vec<(coi_ledger::Matter, Vec<coi_ledger::MemberId>)>,
    /// Counterparties of standing declarations: what an agenda item may concern.
    concerns: Vec<String>,
}

/// Indexes a quarter, half and three quarters of the way through `0..n`.
fn thirds(n: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = [n / 4, n / 2, 3 * n / 4]
        .into_iter()
        .filter(|&i| i < n)
        .collect();
    idx.dedup();
    idx
}

/// Reads lines evenly spaced over the file: three matters and three members, from a quarter, half
/// and three quarters of the way through, and one declaration's data.
fn pick_from_ledger(path: &Path, entries: u64) -> Result<Picks, String> {
    let samples = 400u64;
    let stride = entries.div_ceil(samples).max(1);
    let r = BufReader::with_capacity(1 << 20, File::open(path).map_err(|e| e.to_string())?);
    let (mut matters, mut members, mut declaration) = (Vec::new(), Vec::new(), None);
    let (mut votes, mut concerns) = (Vec::new(), Vec::new());
    for (i, line) in r.lines().enumerate() {
        let line = line.map_err(|e| e.to_string())?;
        // Votes and standing declarations are looked for in every line (votes are rare).
        if line.contains(r#""kind":"vote""#) || line.contains(r#""scope":"standing""#) {
            let e = Entry::parse(&line).map_err(|e| format!("line {}: {e:?}", i + 1))?;
            match &e.data {
                coi_ledger::Data::Vote(v) => votes.push((
                    v.matter.clone(),
                    v.participation.iter().map(|p| p.member).collect(),
                )),
                coi_ledger::Data::Declaration(d)
                    if d.scope == coi_ledger::Scope::Standing
                        && !concerns.contains(&d.counterparty) =>
                {
                    concerns.push(d.counterparty.clone());
                }
                _ => {}
            }
        }
        if !(i as u64).is_multiple_of(stride) {
            continue;
        }
        let e = Entry::parse(&line).map_err(|e| format!("line {}: {e:?}", i + 1))?;
        matters.extend(e.data.matters().into_iter().cloned());
        members.push(e.member);
        if declaration.is_none() {
            if let coi_ledger::Data::Declaration(d) = &e.data {
                if d.sealed.is_none() && e.line.len() >= 400 {
                    declaration = Some(e.data.clone());
                }
            }
        }
    }
    let matters_i = thirds(matters.len());
    let members_i = thirds(members.len());
    let votes_i = thirds(votes.len());
    concerns.truncate(2);
    Ok(Picks {
        matters: matters_i.into_iter().map(|i| matters[i].clone()).collect(),
        members: members_i.into_iter().map(|i| members[i]).collect(),
        declaration,
        votes: votes_i.into_iter().map(|i| votes[i].clone()).collect(),
        concerns,
    })
}

/// The home the store sections share; its directory goes when this is dropped.
struct BenchHome {
    dir: tempfile::TempDir,
    home: PathBuf,
}

fn coi_cmd(coi: &Path, home: &Path) -> Command {
    let mut c = Command::new(coi);
    c.env("COI_HOME", home)
        .env_remove("COI_PASSPHRASE")
        .stdin(Stdio::null());
    c
}

/// Runs a command to completion, timing it precisely (no polling); returns the wall time and
/// its standard output.
fn time_cmd(cmd: Command) -> Result<(Duration, String), String> {
    time_cmd_codes(cmd, &[0])
}

/// [`time_cmd`] for a command whose exit codes `ok` all mean it ran to its end.
fn time_cmd_codes(mut cmd: Command, ok: &[i32]) -> Result<(Duration, String), String> {
    let start = Instant::now();
    let out = cmd.output().map_err(|e| e.to_string())?;
    let took = start.elapsed();
    if !out.status.code().is_some_and(|c| ok.contains(&c)) {
        return Err(format!(
            "{:?}: {}: {}",
            cmd.get_args().collect::<Vec<_>>(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok((took, String::from_utf8_lossy(&out.stdout).into_owned()))
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// `coi verify --json FILE`, checked: wall time and peak RSS.
fn cli_verify(ctx: &Ctx, coi: &Path) -> Result<(Duration, u64), String> {
    let mut cmd = Command::new(coi);
    cmd.arg("verify").arg(&ctx.ledger).arg("--json");
    let (out, hwm, took) = run_measured(cmd)?;
    let entries = json_u64(&out, "entries").unwrap_or(0);
    if entries != ctx.entries {
        return Err(format!(
            "coi verify accepted {entries} entries of {}",
            ctx.entries
        ));
    }
    Ok((took, hwm))
}

/// `coi import --json FILE` into `home`, checked: wall time, peak RSS, (added, held).
fn cli_import(ctx: &Ctx, coi: &Path, home: &Path) -> Result<(Duration, u64, u64, u64), String> {
    let mut cmd = coi_cmd(coi, home);
    cmd.arg("import").arg(&ctx.ledger).arg("--json");
    let (out, hwm, took) = run_measured(cmd)?;
    let v: serde_json::Value = serde_json::from_str(out.trim())
        .map_err(|e| format!("coi import --json gave no JSON report: {e}"))?;
    let file = &v["files"][0];
    if v["ok"] != serde_json::Value::Bool(true) || file["merged"] != serde_json::Value::Bool(true) {
        return Err(format!(
            "coi import did not merge the file: {}",
            file["refused"]
        ));
    }
    let added = file["added"].as_u64().unwrap_or(0);
    let held = file["held"].as_u64().unwrap_or(0);
    Ok((took, hwm, added, held))
}

/// `coi import FILE` into a fresh home (once per round, each into its own home), then again into
/// the last; each against `coi verify FILE` run just before and after it (V I V I V ... R V), so
/// that both see the same load. The round with the median ratio is shown.
fn bench_import(ctx: &Ctx, table: &mut Table) -> Result<Option<BenchHome>, String> {
    let Some(coi) = &ctx.coi else {
        table.add("import", "coi import FILE", "skipped", "no coi binary");
        return Ok(None);
    };
    let n = ctx.entries;
    let (mut v_prev, v_hwm) = cli_verify(ctx, coi)?;
    // (import time, its verify reference in entries/s, peak RSS), one per round.
    let mut rounds = Vec::new();
    let mut last = None;
    for round in 0..ctx.args.rounds {
        let dir = tempfile::Builder::new()
            .prefix("store-")
            .tempdir_in(&ctx.dir)
            .map_err(|e| e.to_string())?;
        let home = dir.path().join("home");
        let mut init = coi_cmd(coi, &home);
        init.args(["init", "--name", "Bench", "--no-passphrase"]);
        time_cmd(init)?;
        let (imp, imp_hwm, added, _) = cli_import(ctx, coi, &home)?;
        if added != n {
            return Err(format!("coi import added {added} entries of {n}"));
        }
        let (v_next, _) = cli_verify(ctx, coi)?;
        let reference = rate(2 * n, v_prev + v_next);
        eprintln!(
            "bench: import round {}: verify {:.2} s, import {:.2} s, verify {:.2} s ({:.3})",
            round + 1,
            v_prev.as_secs_f64(),
            imp.as_secs_f64(),
            v_next.as_secs_f64(),
            rate(n, imp) / reference
        );
        rounds.push((imp, reference, imp_hwm));
        v_prev = v_next;
        // Only the last round's store is kept (for the re-import and the queries).
        last = Some(BenchHome { dir, home });
    }
    let Some(kept) = last else {
        return Err("no import round ran".to_string());
    };
    rounds.sort_by(|a, b| (rate(n, a.0) / a.1).total_cmp(&(rate(n, b.0) / b.1)));
    let (imp, ref1, imp_hwm) = rounds[rounds.len() / 2];
    let (re, re_hwm, re_added, re_held) = cli_import(ctx, coi, &kept.home)?;
    if re_added != 0 || re_held != n {
        return Err(format!(
            "importing again added {re_added} and held {re_held} of {n} entries"
        ));
    }
    let (v3, _) = cli_verify(ctx, coi)?;
    eprintln!(
        "bench: verify {:.2} s, import again {:.2} s, verify {:.2} s",
        v_prev.as_secs_f64(),
        re.as_secs_f64(),
        v3.as_secs_f64()
    );
    let ref2 = rate(2 * n, v_prev + v3);
    table
        .add(
            "import",
            if rounds.len() > 1 {
                format!("coi import FILE, empty store (median of {})", rounds.len())
            } else {
                "coi import FILE, empty store".to_string()
            },
            fmt_rate(rate(n, imp)),
            format!("coi verify {}", fmt_rate(ref1)),
        )
        .ratio_at_least(rate(n, imp) / ref1, MIN_IMPORT_RATIO);
    table
        .add(
            "import",
            "coi import FILE again (all held)",
            fmt_rate(rate(n, re)),
            format!("coi verify {}", fmt_rate(ref2)),
        )
        .ratio_at_least(rate(n, re) / ref2, MIN_REIMPORT_RATIO);
    let row = table.add(
        "import",
        "peak RSS, coi import (again)",
        format!("{} ({})", mib(imp_hwm * 1024), mib(re_hwm * 1024)),
        format!("coi verify {}", mib(v_hwm * 1024)),
    );
    row.ratio = Some(imp_hwm as f64 / v_hwm.max(1) as f64);
    let db = kept.home.join(coi_ledger::home::STORE_FILE);
    let db_len = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    let wal_len = std::fs::metadata(db.with_extension("sqlite-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    let file_len = std::fs::metadata(&ctx.ledger).map(|m| m.len()).unwrap_or(0);
    let row = table.add(
        "import",
        "store size (database + WAL)",
        mib(db_len + wal_len),
        format!("ledger file {}", mib(file_len)),
    );
    row.ratio = Some((db_len + wal_len) as f64 / file_len.max(1) as f64);
    Ok(Some(kept))
}

/// `coi conflicts --matter M`, `coi conflicts --member ID` and `coi log --member ID` on the store
/// holding the imported ledger, as whole processes and through the library.
fn bench_queries(
    ctx: &Ctx,
    home: Option<&BenchHome>,
    picks: &Picks,
    table: &mut Table,
) -> Result<(), String> {
    let (Some(coi), Some(h)) = (&ctx.coi, home) else {
        table.add("queries", "coi conflicts / log", "skipped", "no store");
        return Ok(());
    };
    let runs = if ctx.args.quick { 3 } else { 5 };
    let db = h.home.join(coi_ledger::home::STORE_FILE);
    // Their query plans are checked by the store's unit tests: with no statistics in the store,
    // SQLite plans them the same on an empty store as on this one.

    // Process start-up alone, for scale.
    let mut startup = Vec::new();
    for _ in 0..runs * 2 {
        let mut c = Command::new(coi);
        c.arg("--version");
        startup.push(time_cmd(c)?.0);
    }
    table.add(
        "queries",
        format!("process start-up, coi --version (median of {})", runs * 2),
        ms(median(&mut startup)),
        "",
    );

    type LibQuery<'a> = Box<dyn Fn(&coi_ledger::store::Store) -> coi_ledger::Result<usize> + 'a>;
    struct Query<'a> {
        name: &'static str,
        library: &'static str,
        args: Vec<Vec<String>>,
        lib: Vec<LibQuery<'a>>,
    }
    let matter_args = picks
        .matters
        .iter()
        .map(|m| {
            vec![
                "conflicts".into(),
                "--matter".into(),
                m.as_str().to_string(),
            ]
        })
        .collect();
    let member_args = |cmd: &str| {
        picks
            .members
            .iter()
            .map(|m| vec![cmd.to_string(), "--member".into(), m.to_hex()])
            .collect()
    };
    let queries = [
        Query {
            name: "coi conflicts --matter M",
            library: "Store::conflicts(None, Some(M))",
            args: matter_args,
            lib: picks
                .matters
                .iter()
                .map(|m| -> LibQuery { Box::new(move |s| Ok(s.conflicts(None, Some(m))?.len())) })
                .collect(),
        },
        Query {
            name: "coi conflicts --member ID",
            library: "Store::conflicts(Some(ID), None)",
            args: member_args("conflicts"),
            lib: picks
                .members
                .iter()
                .map(|m| -> LibQuery { Box::new(move |s| Ok(s.conflicts(Some(m), None)?.len())) })
                .collect(),
        },
        Query {
            name: "coi log --member ID",
            library: "Store::log(Some(ID), None)",
            args: member_args("log"),
            lib: picks
                .members
                .iter()
                .map(|m| -> LibQuery { Box::new(move |s| Ok(s.log(Some(m), None)?.len())) })
                .collect(),
        },
    ];
    for q in &queries {
        let mut procs = Vec::new();
        let mut per_pick = Vec::new();
        for args in &q.args {
            // One untimed run to warm the page cache.
            let mut c = coi_cmd(coi, &h.home);
            c.args(args);
            time_cmd(c)?;
            let mut t = Vec::new();
            for _ in 0..runs {
                let mut c = coi_cmd(coi, &h.home);
                c.args(args);
                t.push(time_cmd(c)?.0);
            }
            procs.extend_from_slice(&t);
            per_pick.push(median(&mut t));
        }
        let mut libs = Vec::new();
        let mut opens = Vec::new();
        let mut results = Vec::new();
        for f in &q.lib {
            for _ in 0..runs {
                let start = Instant::now();
                let store = coi_ledger::store::Store::open(&db).map_err(|e| e.to_string())?;
                let opened = start.elapsed();
                let n = f(&store).map_err(|e| e.to_string())?;
                libs.push(start.elapsed());
                opens.push(opened);
                results.push(n);
            }
        }
        let value = median(&mut procs);
        let worst = per_pick.iter().max().copied().unwrap_or_default();
        eprintln!(
            "bench: {}: medians per pick {:?}; results {:?}",
            q.name,
            per_pick.iter().map(|d| ms(*d)).collect::<Vec<_>>(),
            results
        );
        table
            .add(
                "queries",
                format!("{} ({} x {runs} runs, median)", q.name, q.args.len()),
                ms(value),
                format!("limit {} (worst pick {})", ms(MAX_QUERY), ms(worst)),
            )
            .ratio_at_most(value.as_secs_f64() / MAX_QUERY.as_secs_f64(), 1.0);
        results.sort_unstable();
        let lib = median(&mut libs);
        let row = table.add(
            "queries",
            format!("  library: open + {} (ratio to process)", q.library),
            ms(lib),
            format!(
                "open {}, median {} results",
                ms(median(&mut opens)),
                results.get(results.len() / 2).copied().unwrap_or(0)
            ),
        );
        row.ratio = Some(lib.as_secs_f64() / value.as_secs_f64().max(1e-9));
    }
    bench_register_for(&db, picks, runs, table)
}

/// `Store::register_for` (what `coi check --matter M` asks the store) as a library call with the
/// store's opening, for votes in the ledger: their participants, then every member; against the
/// 100 ms limit of the whole `coi check` process.
fn bench_register_for(
    db: &Path,
    picks: &Picks,
    runs: usize,
    table: &mut Table,
) -> Result<(), String> {
    if picks.votes.is_empty() {
        table.add(
            "queries",
            "Store::register_for",
            "skipped",
            "no vote in the ledger",
        );
        return Ok(());
    }
    let all_members: Option<&[coi_ledger::MemberId]> = None;
    for (label, participants) in [("participants", true), ("every member", false)] {
        let mut times = Vec::new();
        let mut fed = Vec::new();
        for (matter, members) in &picks.votes {
            let members = if participants {
                Some(members.as_slice())
            } else {
                all_members
            };
            for _ in 0..runs {
                let start = Instant::now();
                let store = coi_ledger::store::Store::open(db).map_err(|e| e.to_string())?;
                let r = store
                    .register_for(matter, &picks.concerns, members)
                    .map_err(|e| e.to_string())?;
                times.push(start.elapsed());
                fed.push(
                    r.members()
                        .map(|(_, m)| {
                            m.interests.iter().map(|i| i.versions.len()).sum::<usize>()
                                + m.nil_returns.len()
                                + m.reaffirmations.len()
                        })
                        .sum::<usize>(),
                );
            }
        }
        fed.sort_unstable();
        let value = median(&mut times);
        let fed = fed.get(fed.len() / 2).copied().unwrap_or(0);
        let row = table.add(
            "queries",
            format!(
                "  library: open + Store::register_for(M, {} concerns, {label}) ({} votes x {runs}, median)",
                picks.concerns.len(),
                picks.votes.len()
            ),
            ms(value),
            if participants {
                format!("limit {} for coi check; median {fed} entries fed", ms(MAX_QUERY))
            } else {
                // What `coi check` reads before any vote (every member): no target.
                format!("check with no vote; median {fed} entries fed")
            },
        );
        if participants {
            row.ratio_at_most(value.as_secs_f64() / MAX_QUERY.as_secs_f64(), 1.0);
        }
    }
    Ok(())
}

/// (a) `Store::append` on the store holding the imported ledger against a bare durable INSERT of
/// a row of the same size in a database next to it, interleaved; (b) `coi declare` as a process.
fn bench_append(
    ctx: &Ctx,
    home: Option<&BenchHome>,
    picks: &Picks,
    table: &mut Table,
) -> Result<(), String> {
    let (Some(coi), Some(h)) = (&ctx.coi, home) else {
        table.add("append", "store append", "skipped", "no store");
        return Ok(());
    };
    let ops = if ctx.args.quick { 40 } else { 200 };
    let declares = if ctx.args.quick { 10 } else { 30 };
    let err = |e: coi_ledger::Error| e.to_string();
    let sql = |e: rusqlite::Error| e.to_string();

    // (a) library
    let lhome = coi_ledger::home::Home::locate(Some(h.home.clone())).map_err(err)?;
    let key = coi_ledger::KeyFile::decode(&lhome.read_key().map_err(err)?, None)
        .map_err(|e| format!("key file: {e:?}"))?;
    let mut store = lhome.open_store().map_err(err)?;
    let me = store
        .identity()
        .map_err(err)?
        .ok_or("the home has no identity")?;
    let data = picks.declaration.clone().unwrap_or_else(|| {
        coi_ledger::Data::NoConflict(coi_ledger::NoConflict {
            matters: picks.matters.first().map(|m| vec![m.clone()]),
            scope: coi_ledger::Scope::Specific,
        })
    });
    let first = store.append(&key.secret, &me, data.clone()).map_err(err)?;
    let line_len = first.line.len();

    let ref_path = h.dir.path().join("bare.sqlite");
    let bare = rusqlite::Connection::open(&ref_path).map_err(sql)?;
    bare.pragma_update(None, "journal_mode", "WAL")
        .map_err(sql)?;
    bare.pragma_update(None, "synchronous", "FULL")
        .map_err(sql)?;
    bare.execute_batch(
        "CREATE TABLE t (id BLOB NOT NULL, member BLOB NOT NULL, seq INTEGER NOT NULL, line TEXT NOT NULL)",
    )
    .map_err(sql)?;
    let line = "x".repeat(line_len);
    let mut bare_seq = 0u64;
    let mut bare_insert = |conn: &mut rusqlite::Connection| -> Result<(), String> {
        bare_seq += 1;
        let mut id = [0u8; 32];
        id[..8].copy_from_slice(&bare_seq.to_le_bytes());
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql)?;
        tx.prepare_cached("INSERT INTO t (id, member, seq, line) VALUES (?1, ?2, ?3, ?4)")
            .and_then(|mut st| st.execute(rusqlite::params![id, me.as_bytes(), bare_seq, line]))
            .map_err(sql)?;
        tx.commit().map_err(sql)
    };
    let mut bare = bare;
    // Warm up both.
    for _ in 0..5 {
        store.append(&key.secret, &me, data.clone()).map_err(err)?;
        bare_insert(&mut bare)?;
    }
    let (mut ours, mut theirs) = (Vec::with_capacity(ops), Vec::with_capacity(ops));
    for i in 0..ops {
        let mut one_ours = || -> Result<(), String> {
            let t = Instant::now();
            store.append(&key.secret, &me, data.clone()).map_err(err)?;
            ours.push(t.elapsed());
            Ok(())
        };
        if i % 2 == 0 {
            one_ours()?;
            let t = Instant::now();
            bare_insert(&mut bare)?;
            theirs.push(t.elapsed());
        } else {
            let t = Instant::now();
            bare_insert(&mut bare)?;
            theirs.push(t.elapsed());
            one_ours()?;
        }
    }
    drop(store);
    drop(bare);
    let (o, b) = (median(&mut ours), median(&mut theirs));
    table
        .add(
            "append",
            format!("Store::append, {line_len} B line (median of {ops})"),
            ms(o),
            format!("bare INSERT + COMMIT {}", ms(b)),
        )
        .ratio_at_most(
            o.as_secs_f64() / b.as_secs_f64().max(1e-9),
            MAX_APPEND_RATIO,
        );

    // What a one-shot process pays on top: open, one durable INSERT, close. The last connection
    // to close checkpoints the WAL into the database and deletes it (more fsyncs, and the next
    // open creates the WAL again) unless SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE is set.
    let mut one_shot = |no_ckpt: bool| -> Result<Duration, String> {
        let start = Instant::now();
        let mut conn = rusqlite::Connection::open(&ref_path).map_err(sql)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        if no_ckpt {
            conn.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            )
            .map_err(sql)?;
        }
        bare_insert(&mut conn)?;
        drop(conn);
        Ok(start.elapsed())
    };
    let shots = (ops / 4).max(10);
    let mut closing = Vec::with_capacity(shots);
    let mut keeping = Vec::with_capacity(shots);
    for _ in 0..shots {
        closing.push(one_shot(false)?);
    }
    for _ in 0..shots {
        keeping.push(one_shot(true)?);
    }
    let (c, k) = (median(&mut closing), median(&mut keeping));
    let row = table.add(
        "append",
        format!("bare open + INSERT + close, one-shot (median of {shots})"),
        ms(c),
        format!("with NO_CKPT_ON_CLOSE {}", ms(k)),
    );
    row.ratio = Some(c.as_secs_f64() / k.as_secs_f64().max(1e-9));

    // (b) `coi declare` as a process, unencrypted key.
    let mut times = Vec::with_capacity(declares);
    for i in 0..declares + 2 {
        let mut c = coi_cmd(coi, &h.home);
        c.args([
            "declare",
            "--matter",
            &format!("bench-2026-12/item-{}", i + 1),
            "--category",
            "financial",
            "--between",
            "personal-professional",
            "--counterparty",
            "Acme Networks",
            "--relationship",
            "consulting",
            "--value",
            "1,001-15,000 USD",
            "--mitigation",
            "abstain",
        ]);
        let (took, out) = time_cmd(c)?;
        if out.trim().len() != 64 {
            return Err(format!(
                "coi declare printed {:?}, not an entry id",
                out.trim()
            ));
        }
        // The first two runs warm the page cache.
        if i >= 2 {
            times.push(took);
        }
    }
    let d = median(&mut times);
    table
        .add(
            "append",
            format!("coi declare, unencrypted key (median of {declares})"),
            ms(d),
            format!("limit {}", ms(MAX_DECLARE)),
        )
        .ratio_at_most(d.as_secs_f64() / MAX_DECLARE.as_secs_f64(), 1.0);
    Ok(())
}

/// Runs a command that exits 0 or 1 (`coi check`: nothing flagged, or flagged), timing it.
fn time_check(cmd: Command) -> Result<Duration, String> {
    time_cmd_codes(cmd, &[0, 1]).map(|(d, _)| d)
}

/// `coi check --matter M` on the store (whole process, median against the query limit) for
/// the matters of votes picked from the ledger, and `coi check --matter M --ledger FILE` from
/// the file alone against `coi verify FILE` in the same run (verify before and after).
fn bench_check(
    ctx: &Ctx,
    home: Option<&BenchHome>,
    picks: &Picks,
    table: &mut Table,
) -> Result<(), String> {
    let (Some(coi), Some(h)) = (&ctx.coi, home) else {
        table.add("check", "coi check", "skipped", "no store");
        return Ok(());
    };
    if picks.votes.is_empty() {
        table.add("check", "coi check", "skipped", "no vote in the ledger");
        return Ok(());
    }
    let runs = if ctx.args.quick { 3 } else { 5 };
    let mut all = Vec::new();
    let mut worst = Duration::ZERO;
    for (matter, _) in &picks.votes {
        let cmd = || {
            let mut c = coi_cmd(coi, &h.home);
            c.args(["check", "--json", "--matter", matter.as_str()]);
            c
        };
        time_check(cmd())?;
        let mut t = Vec::new();
        for _ in 0..runs {
            t.push(time_check(cmd())?);
        }
        all.extend_from_slice(&t);
        worst = worst.max(median(&mut t));
    }
    let value = median(&mut all);
    table
        .add(
            "check",
            format!(
                "coi check --matter M on the store ({} votes x {runs} runs, median)",
                picks.votes.len()
            ),
            ms(value),
            format!("limit {} (worst pick {})", ms(MAX_QUERY), ms(worst)),
        )
        .ratio_at_most(value.as_secs_f64() / MAX_QUERY.as_secs_f64(), 1.0);
    let matter = picks.votes[0].0.as_str();
    let verify = || {
        let mut c = Command::new(coi);
        c.arg("verify").arg(&ctx.ledger).stdout(Stdio::null());
        time_cmd(c).map(|(d, _)| d)
    };
    let v1 = verify()?;
    let mut c = Command::new(coi);
    c.args(["check", "--matter", matter, "--ledger"])
        .arg(&ctx.ledger)
        .stdout(Stdio::null());
    let checked = time_check(c)?;
    let v2 = verify()?;
    let reference = (v1 + v2) / 2;
    let ratio = reference.as_secs_f64() / checked.as_secs_f64().max(1e-9);
    table
        .add(
            "check",
            "coi check --matter M --ledger FILE, speed over coi verify FILE",
            format!("{:.2} s", checked.as_secs_f64()),
            format!(
                "coi verify {:.2} s; target >= {MIN_CHECK_LEDGER_RATIO:.2}",
                reference.as_secs_f64()
            ),
        )
        .ratio_at_least(ratio, MIN_CHECK_LEDGER_RATIO);
    Ok(())
}

/// The public register (issue 14): `coi register --html DIR --ledger FILE` against `coi verify
/// FILE` (run before and after it), at most 2x its time, and the largest page written at most
/// 1 MiB.
fn bench_register(ctx: &Ctx, table: &mut Table) -> Result<(), String> {
    let Some(coi) = ctx.coi.as_deref() else {
        return Ok(());
    };
    let verify = || {
        let mut c = Command::new(coi);
        c.arg("verify").arg(&ctx.ledger).stdout(Stdio::null());
        time_cmd(c).map(|(d, _)| d)
    };
    let site = ctx.dir.join("register-site");
    let _ = std::fs::remove_dir_all(&site);
    let v1 = verify()?;
    let mut c = Command::new(coi);
    c.args(["register", "--html"])
        .arg(&site)
        .arg("--ledger")
        .arg(&ctx.ledger)
        .stdout(Stdio::null());
    let (took, _) = time_cmd(c)?;
    let v2 = verify()?;
    let reference = (v1 + v2) / 2;
    let mut largest = 0u64;
    let mut pages = 0u64;
    let mut stack = vec![site.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| e.to_string())? {
            let e = e.map_err(|e| e.to_string())?;
            let m = e.metadata().map_err(|e| e.to_string())?;
            if m.is_dir() {
                stack.push(e.path());
            } else if e.path().extension().is_some_and(|x| x == "html") {
                pages += 1;
                largest = largest.max(m.len());
            }
        }
    }
    let _ = std::fs::remove_dir_all(&site);
    table
        .add(
            "register",
            "coi register --html DIR --ledger FILE, time over coi verify FILE",
            format!("{:.2} s", took.as_secs_f64()),
            format!(
                "coi verify {:.2} s; target <= 2.00",
                reference.as_secs_f64()
            ),
        )
        .ratio_at_most(took.as_secs_f64() / reference.as_secs_f64().max(1e-9), 2.0);
    table
        .add(
            "register",
            format!("largest of the {pages} pages, in MiB"),
            format!("{:.3} MiB", largest as f64 / f64::from(1 << 20)),
            "limit 1 MiB",
        )
        .ratio_at_most(largest as f64 / f64::from(1 << 20), 1.0);
    Ok(())
}

/// The body log (issue 12): the RFC 6962 tree and the frontier over the file's lines on one
/// core, against SHA-256 over the same bytes (the file in memory, each timed twice, the faster
/// kept); an incremental checkpoint from a persisted frontier after appending
/// `TLOG_APPEND` lines, at the full size and at a quarter of it (the median of
/// `TLOG_RUNS`); proving one entry as a C2SP tlog-proof, and verifying an inclusion path and a
/// proof bundle.
fn bench_tlog(ctx: &Ctx, table: &mut Table) -> Result<(), String> {
    use coi_ledger::tlog::{self, note, proof::Proof, Checkpoint, Frontier};
    use sha2::Digest as _;
    let bytes = std::fs::read(&ctx.ledger).map_err(|e| e.to_string())?;
    let lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let best = |f: &dyn Fn() -> u64| {
        (0..2)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    let sha = best(&|| u64::from(sha2::Sha256::digest(&bytes)[0]));
    let tree_time = best(&|| {
        let t = tlog::Tree::from_leaves(lines.iter().map(|l| tlog::leaf_hash(l)));
        t.size()
    });
    let frontier_time = best(&|| {
        let mut f = Frontier::new();
        for l in &lines {
            if f.push(tlog::leaf_hash(l)).is_err() {
                return 0;
            }
        }
        u64::from(f.root()[0])
    });
    let reference = format!(
        "SHA-256 of the file ({}) {:.2} s",
        mib(bytes.len() as u64),
        sha.as_secs_f64()
    );
    for (what, took) in [("RFC 6962 tree", tree_time), ("frontier", frontier_time)] {
        table
            .add(
                "tlog",
                format!("{what} of {} lines, 1 thread", group(lines.len() as u64)),
                format!("{:.2} s", took.as_secs_f64()),
                reference.clone(),
            )
            .ratio_at_least(
                sha.as_secs_f64() / took.as_secs_f64().max(1e-9),
                MIN_TREE_RATIO,
            );
    }
    let tree = tlog::Tree::from_leaves(lines.iter().map(|l| tlog::leaf_hash(l)));
    let n = tree.size();
    if n == 0 {
        return Ok(());
    }
    let key = note::NoteKey::from_seed(TLOG_ORIGIN, &[7; 32]).map_err(|e| e.to_string())?;
    let vkey = note::NoteVerifier::parse(&key.vkey()).map_err(|e| e.to_string())?;

    // An incremental checkpoint: read the frontier stored with the last checkpoint, push the
    // new lines, sign the new checkpoint and store the frontier again.
    let checkpoint_after = |size: u64| -> Result<Duration, String> {
        let stored = tree.frontier(size).map_err(|e| e.to_string())?.to_bytes();
        let new = &lines[size as usize..size as usize + TLOG_APPEND];
        let mut runs = Vec::with_capacity(TLOG_RUNS);
        for _ in 0..TLOG_RUNS {
            let t = Instant::now();
            let mut f = Frontier::from_bytes(&stored).map_err(|e| e.to_string())?;
            for l in new {
                f.push(tlog::leaf_hash(l)).map_err(|e| e.to_string())?;
            }
            let c = Checkpoint {
                origin: TLOG_ORIGIN.into(),
                size: f.size(),
                root: f.root(),
                extensions: vec![],
            };
            let signed = note::sign(&c.body(), &key).map_err(|e| e.to_string())?;
            std::hint::black_box((signed, f.to_bytes()));
            runs.push(t.elapsed());
        }
        Ok(median(&mut runs))
    };
    let quarter = n / 4;
    if quarter >= TLOG_APPEND as u64 {
        let at_n = checkpoint_after(n - TLOG_APPEND as u64)?;
        let at_quarter = checkpoint_after(quarter - TLOG_APPEND as u64)?;
        table
            .add(
                "tlog",
                format!(
                    "checkpoint after {} new lines, from a stored frontier, at {}",
                    group(TLOG_APPEND as u64),
                    group(n)
                ),
                format!("{:.1} us", at_n.as_secs_f64() * 1e6),
                format!(
                    "at {}: {:.1} us",
                    group(quarter),
                    at_quarter.as_secs_f64() * 1e6
                ),
            )
            .ratio_at_most(
                at_n.as_secs_f64() / at_quarter.as_secs_f64().max(1e-9),
                MAX_CHECKPOINT_GROWTH,
            );
    }

    let i = n / 2;
    let root = tree.root(n).map_err(|e| e.to_string())?;
    let checkpoint = Checkpoint {
        origin: TLOG_ORIGIN.into(),
        size: n,
        root,
        extensions: vec![],
    };
    let signed = note::sign(&checkpoint.body(), &key).map_err(|e| e.to_string())?;
    let line = lines[i as usize];
    let rounds = 1000u32;
    let per_round = |f: &mut dyn FnMut() -> Result<(), String>| -> Result<Duration, String> {
        let t = Instant::now();
        for _ in 0..rounds {
            f()?;
        }
        Ok(t.elapsed() / rounds)
    };
    let prove = per_round(&mut || {
        let p = Proof::build(&tree, i, signed.clone(), Some(line.to_vec()))
            .map_err(|e| e.to_string())?;
        std::hint::black_box(p.encode());
        Ok(())
    })?;
    let bundle = Proof::build(&tree, i, signed.clone(), Some(line.to_vec()))
        .map_err(|e| e.to_string())?
        .encode();
    table.add(
        "tlog",
        format!("prove one entry: a tlog-proof of {} B", bundle.len()),
        format!("{:.1} us", prove.as_secs_f64() * 1e6),
        "no target",
    );
    let leaf = tlog::leaf_hash(line);
    let path = tree.inclusion_proof(i, n).map_err(|e| e.to_string())?;
    let verify_path = per_round(&mut || {
        tlog::verify_inclusion(&leaf, i, n, &path, &root).map_err(|e| e.to_string())
    })?;
    let verify_bundle = per_round(&mut || {
        let p = Proof::parse(bundle.as_bytes()).map_err(|e| e.to_string())?;
        let leaf = p.leaf().ok_or("the proof has no extra")?;
        p.check(leaf, std::slice::from_ref(&vkey))
            .map_err(|e| e.to_string())?;
        Ok(())
    })?;
    for (what, per) in [
        (
            format!("verify an inclusion proof ({} hashes)", path.len()),
            verify_path,
        ),
        (
            "verify a tlog-proof (parse, open the note, the path)".to_string(),
            verify_bundle,
        ),
    ] {
        table
            .add(
                "tlog",
                what,
                format!("{:.1} us", per.as_secs_f64() * 1e6),
                format!("limit {}", ms(MAX_PROOF_VERIFY)),
            )
            .ratio_at_most(per.as_secs_f64() / MAX_PROOF_VERIFY.as_secs_f64(), 1.0);
    }
    Ok(())
}
