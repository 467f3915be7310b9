//! Benchmark harness: verification throughput against bare `verify_strict`, peak memory, and
//! (once the store exists) import, query and append figures.
//!
//! ```text
//! cargo run --release --example bench -- [--entries N] [--members M] [--seed S] [--quick]
//!     [--rounds R] [--dir DIR] [--file LEDGER] [--enforce]
//! ```
//!
//! Every figure is printed next to its reference, measured in the same run on the same data, and
//! the ratio is what the targets are about (machine speed cancels out). Each of our verify runs
//! sits between two bare runs, and with `--rounds R` the round with the median ratio is shown;
//! the CPU-time rows give the same comparison unaffected by other processes on the machine:
//! - verify: `coi_ledger::verify_stream` entries/s at least 90% of bare `verify_strict` entries/s
//!   (keys, messages and signatures pre-parsed outside the timed loop), on one thread and on all;
//! - memory: peak RSS of verifying the file in a child process at most 64 MiB.
//!
//! `--quick` (20,000 entries, 50 members) is the CI smoke test. `--enforce` exits with status 1
//! when a target is missed (off by default: shared CI machines are noisy).
//!
//! The ledger is generated deterministically (`examples/support/ledger_gen.rs`) into `--dir`
//! (default: `$TMPDIR/coi-bench`) and reused by later runs with the same parameters.

#[path = "support/ledger_gen.rs"]
mod ledger_gen;

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

const USAGE: &str = "usage: bench [--entries N] [--members M] [--seed S] [--quick] [--rounds R] [--dir DIR] [--file LEDGER] [--enforce]\n       bench --verify-child LEDGER [--threads N]";

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
        if i > 0 && (s.len() - i) % 3 == 0 {
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
    #[allow(dead_code)]
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
    let coi = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("coi")))
        .filter(|p| p.is_file());
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

    bench_verify(&ctx, &mut table)?;
    bench_verify_memory(&ctx, &mut table)?;
    bench_import(&ctx, &mut table)?;
    bench_queries(&ctx, &mut table)?;
    bench_append(&ctx, &mut table)?;

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
        if i as u64 % stride != 0 {
            continue;
        }
        let e = Entry::parse(&line).map_err(|e| format!("line {}: {e:?}", i + 1))?;
        out.push(Bare {
            key: e.key,
            message: signing_message(e.body().as_bytes()),
            sig: e.sig,
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
// Store figures: to be filled in once the store exists.
// ---------------------------------------------------------------------------------------------
//
// Each section gets the ledger (`ctx.ledger`, `ctx.entries` lines) and a scratch directory
// (`ctx.dir`); it adds rows to the table with `table.add(section, what, value, reference)` and,
// where there is a target, `.ratio_at_least(..)` / `.ratio_at_most(..)`. Run CLI commands through
// `run_measured(Command)` to get their peak RSS and wall time too.

/// TODO(store): `coi import FILE` into a fresh home under `ctx.dir`: entries/s, reference: our
/// verify_stream entries/s (import = verify + write), and peak RSS.
fn bench_import(ctx: &Ctx, table: &mut Table) -> Result<(), String> {
    let _ = ctx;
    table.add(
        "import",
        "coi import FILE",
        "not measured yet",
        "needs the store",
    );
    Ok(())
}

/// TODO(store): after import, `coi conflicts --matter M` and `coi log --member ID`: latency per
/// query over a few matters and members picked from the ledger.
fn bench_queries(ctx: &Ctx, table: &mut Table) -> Result<(), String> {
    let _ = ctx;
    table.add(
        "queries",
        "coi conflicts --matter M",
        "not measured yet",
        "needs the store",
    );
    table.add(
        "queries",
        "coi log --member ID",
        "not measured yet",
        "needs the store",
    );
    Ok(())
}

/// TODO(store): appending signed entries to the store one at a time (each its own transaction):
/// appends/s, with the store already holding `ctx.entries` entries.
fn bench_append(ctx: &Ctx, table: &mut Table) -> Result<(), String> {
    let _ = ctx;
    table.add(
        "append",
        "store append",
        "not measured yet",
        "needs the store",
    );
    Ok(())
}
