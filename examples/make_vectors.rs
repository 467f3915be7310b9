//! Writes the test vectors of `schema/ledger-v1.md` §11 into a directory.
//!
//! ```text
//! cargo run --example make_vectors -- schema/vectors   # and schema/vectors/check
//! ```
//!
//! The output is deterministic: running it again writes byte-identical files, and
//! `tests/vectors.rs` fails if the committed vectors differ from what it makes. Earlier `.ledger`
//! and `.expect` files in the directory that the generator no longer makes are removed.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;

// The generator lives with the test support: `tests/vectors.rs` runs the same code.
#[path = "../tests/support/vectors_gen.rs"]
mod vectors_gen;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: cargo run --example make_vectors -- DIR");
        return ExitCode::from(2);
    };
    match write(&dir) {
        Ok(n) => {
            println!("wrote {n} files to {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", dir.display());
            ExitCode::from(2)
        }
    }
}

fn write(dir: &std::path::Path) -> std::io::Result<usize> {
    let n = write_files(dir, vectors_gen::files(), &["ledger", "expect"])?;
    let check = dir.join("check");
    Ok(n + write_files(
        &check,
        vectors_gen::check_files(),
        &["ledger", "expect", "check"],
    )?)
}

fn write_files(
    dir: &std::path::Path,
    files: Vec<(String, Vec<u8>)>,
    extensions: &[&str],
) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let names: HashSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let stale = path
            .extension()
            .is_some_and(|x| extensions.iter().any(|e| x == *e))
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !names.contains(n));
        if stale {
            std::fs::remove_file(&path)?;
        }
    }
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(files.len())
}
