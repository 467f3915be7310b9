//! Generates a deterministic, realistic, valid ledger for tests and benchmarks.
//!
//! ```text
//! cargo run --release --example generate -- --members 1000 --entries 1000000 --seed 7 -o big.ledger
//! ```
//!
//! The same arguments always give the same bytes. Without `-o` the ledger goes to stdout.

// The test support's generator, beside the one RNG it draws from (`use super::rng::Rng`).
#[path = "../tests/support/ledger_gen.rs"]
mod ledger_gen;
#[path = "../tests/support/rng.rs"]
mod rng;

use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use ledger_gen::GenConfig;

const USAGE: &str = "usage: generate [--members M] [--entries N] [--seed S] [-o FILE]";

fn main() -> ExitCode {
    let mut members = 1000usize;
    let mut entries = 100_000u64;
    let mut seed = 7u64;
    let mut output: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let r: Result<(), String> = (|| {
            match a.as_str() {
                "--members" => {
                    members = value("--members")?
                        .parse()
                        .map_err(|e| format!("--members: {e}"))?
                }
                "--entries" => {
                    entries = value("--entries")?
                        .parse()
                        .map_err(|e| format!("--entries: {e}"))?
                }
                "--seed" => {
                    seed = value("--seed")?
                        .parse()
                        .map_err(|e| format!("--seed: {e}"))?
                }
                "-o" | "--output" => output = Some(value("-o")?),
                "-h" | "--help" => return Err(USAGE.to_string()),
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
            Ok(())
        })();
        if let Err(e) = r {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    }
    if members == 0 {
        eprintln!("--members must be at least 1");
        return ExitCode::from(2);
    }
    let cfg = GenConfig::new(members, entries, seed);
    let start = Instant::now();
    let result = match &output {
        Some(path) => std::fs::File::create(path).and_then(|f| {
            let mut w = BufWriter::with_capacity(1 << 20, f);
            let stats = ledger_gen::generate(cfg, &mut w)?;
            w.flush()?;
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            Ok(stats)
        }),
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::with_capacity(1 << 20, stdout.lock());
            ledger_gen::generate(cfg, &mut w).and_then(|s| w.flush().map(|_| s))
        }
    };
    match result {
        Ok(stats) => {
            let secs = start.elapsed().as_secs_f64();
            eprintln!(
                "generated {} entries of {} members, {:.1} MB (average line {} bytes) in {:.2} s: {:.0} entries/s",
                stats.entries,
                stats.members,
                stats.bytes as f64 / 1e6,
                stats.bytes.checked_div(stats.entries).unwrap_or(0),
                secs,
                stats.entries as f64 / secs.max(1e-9)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::FAILURE
        }
    }
}
