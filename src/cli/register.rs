//! `coi register`: the public register as a static site (`--html`), and as tables for
//! journalists (`--csv`, `--jsonl`), from the store or from published ledger files.
//!
//! The files are verified first (every one must); the store's export is the body log, so from
//! a store the checkpoints it signed, with their cosignatures, are shown as each row's first
//! witnessed checkpoint. The output folder is made whole beside its destination and then moved
//! into place, so a reader never sees half a site, and an old site leaves no stale page.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use clap::Args as ClapArgs;
use coi_ledger::display::escape;
use coi_ledger::home::Home;
use coi_ledger::register::html::{self, SiteOptions};
use coi_ledger::register::site::{Edition, Place, Since, SiteBuilder, SourceFile};
use coi_ledger::register::table;
use coi_ledger::{check, Date, Error, Result, Timestamp};

use super::publish::open_input;
use super::Outcome;

/// The file that marks a folder as one `coi register` wrote, and so one it may replace.
const MARKER: &str = ".coi-register";

#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  coi register --html site/                  the store's register, as a site
  coi register --html site/ --ledger a.ledger b.ledger
                                             the register of published files
  coi register --csv tables/ --since 2026-01-01
                                             interests, votes, changes as CSV
  coi register --jsonl tables/ --ledger body.ledger

Open site/index.html in a browser: it needs no server, script or network.")]
pub(super) struct RegisterArgs {
    /// Write the static site into DIR (made, or replaced if `coi register` made it).
    #[arg(long, value_name = "DIR", required_unless_present_any = ["csv", "jsonl"])]
    html: Option<PathBuf>,
    /// Write interests.csv, votes.csv and changes.csv into DIR.
    #[arg(long, value_name = "DIR")]
    csv: Option<PathBuf>,
    /// Write interests.jsonl, votes.jsonl and changes.jsonl into DIR.
    #[arg(long, value_name = "DIR")]
    jsonl: Option<PathBuf>,
    /// Make the register of these published ledger files alone (no home needed). Every file
    /// must verify.
    #[arg(long = "ledger", value_name = "FILE", num_args = 1..)]
    ledger: Vec<PathBuf>,
    /// What changed since this date (YYYY-MM-DD): the changes page and table hold entries made
    /// after it [default: every entry].
    #[arg(long, value_name = "DATE", conflicts_with = "since_checkpoint")]
    since: Option<String>,
    /// What changed since this checkpoint of the body log (a C2SP checkpoint file, checked
    /// against the first file): entries after its lines.
    #[arg(long, value_name = "FILE")]
    since_checkpoint: Option<PathBuf>,
    /// The site's title.
    #[arg(long, default_value = "Register of interests")]
    title: String,
    /// `coi check`'s maximum age, in days, of a standing declaration relied on at a vote.
    #[arg(long, value_name = "DAYS", default_value_t = check::DEFAULT_MAX_AGE_DAYS)]
    max_age: u32,
}

/// A file name that is safe in a URL and on every file system, unique among `taken`.
fn safe_name(path: &Path, taken: &[SourceFile]) -> String {
    let base: String = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ledger".into())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let base = base.trim_start_matches('.').to_string();
    let base = if base.is_empty() {
        "ledger".into()
    } else {
        base
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|f| f.name == name) {
        name = format!("{n}-{base}");
        n += 1;
    }
    name
}

/// Hashes of a file, and its length.
fn describe(path: &Path, name: String) -> Result<SourceFile> {
    use sha2::Digest as _;
    let mut f = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut sha = sha2::Sha256::new();
    let mut b3 = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = io::Read::read(&mut f, &mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        b3.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok(SourceFile {
        name,
        bytes,
        sha256: hex::encode(sha.finalize()),
        blake3: b3.finalize().to_hex().to_string(),
    })
}

/// The edition `--since`/`--since-checkpoint` name.
fn since(a: &RegisterArgs, first: Option<&Path>) -> Result<Option<Since>> {
    if let Some(d) = &a.since {
        let date = Date::parse(d)
            .map_err(|e| Error::Invalid(format!("--since {}: {e} (give YYYY-MM-DD)", escape(d))))?;
        return Ok(Some(Since::Date(date)));
    }
    let Some(path) = &a.since_checkpoint else {
        return Ok(None);
    };
    let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let c = coi_ledger::tlog::Checkpoint::parse(&text)
        .map_err(|e| Error::Tlog(format!("{}: {e}", escape(&path.display().to_string()))))?;
    // The checkpoint must be of the first file: its first `size` lines have its root.
    let Some(first) = first else {
        return Err(Error::Invalid("--since-checkpoint needs a ledger".into()));
    };
    let bytes = fs::read(first).map_err(|e| Error::io(first, e))?;
    let tree = coi_ledger::tlog::body::file_tree(&bytes);
    let root = tree.root(c.size).map_err(|_| {
        Error::Invalid(format!(
            "the checkpoint is of {} lines and {} has {}: it is not a checkpoint of this ledger",
            c.size,
            escape(&first.display().to_string()),
            tree.size()
        ))
    })?;
    if root != c.root {
        return Err(Error::Invalid(format!(
            "the checkpoint's root is not that of the first {} lines of {}: it is not a checkpoint of this ledger",
            c.size,
            escape(&first.display().to_string())
        )));
    }
    Ok(Some(Since::Lines {
        origin: c.origin,
        size: c.size,
    }))
}

/// The folder `dest` will be written into: a new sibling, moved into place by [`Staged::commit`].
struct Staged {
    dest: PathBuf,
    temp: tempfile::TempDir,
}

impl Staged {
    fn new(dest: &Path) -> Result<Staged> {
        if dest.exists() {
            let empty = fs::read_dir(dest)
                .map_err(|e| Error::io(dest, e))?
                .next()
                .is_none();
            if !empty && !dest.join(MARKER).exists() {
                return Err(Error::Invalid(format!(
                    "{} exists and was not written by `coi register`: give a new or empty folder",
                    escape(&dest.display().to_string())
                )));
            }
        }
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let temp = tempfile::Builder::new()
            .prefix(".coi-register-")
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        Ok(Staged {
            dest: dest.to_path_buf(),
            temp,
        })
    }

    fn path(&self) -> &Path {
        self.temp.path()
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let p = self.temp.path().join(rel);
        if let Some(dir) = p.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(p, bytes)
    }

    /// Moves the finished folder into place, replacing an earlier one.
    fn commit(self) -> Result<()> {
        self.write(
            MARKER,
            b"written by coi register; the folder is replaced on the next run\n",
        )
        .map_err(|e| Error::io(self.temp.path(), e))?;
        let temp = self.temp.keep();
        // Permissions of a published site: readable by all (tempdir makes it 0700).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = fs::set_permissions(&temp, fs::Permissions::from_mode(0o755));
        }
        if self.dest.exists() {
            let old = self.dest.with_extension("coi-register-old");
            let _ = fs::remove_dir_all(&old);
            fs::rename(&self.dest, &old).map_err(|e| Error::io(&self.dest, e))?;
            fs::rename(&temp, &self.dest).map_err(|e| Error::io(&self.dest, e))?;
            fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        } else {
            fs::rename(&temp, &self.dest).map_err(|e| Error::io(&self.dest, e))?;
        }
        Ok(())
    }
}

pub(super) fn register(home: impl FnOnce() -> Result<Home>, a: RegisterArgs) -> Result<Outcome> {
    // From the store: its export is the body log, written beside the tables (or a temp file).
    let scratch = tempfile::tempdir().map_err(|e| Error::io(Path::new("."), e))?;
    let mut editions = Vec::new();
    let files: Vec<PathBuf> = if a.ledger.is_empty() {
        let store = home()?.open_store_read()?;
        let path = scratch.path().join("body.ledger");
        let mut out = io::BufWriter::new(fs::File::create(&path).map_err(|e| Error::io(&path, e))?);
        store.export(None, &mut out)?;
        out.flush().map_err(|e| Error::io(&path, e))?;
        for origin in store.signed_origins()? {
            for c in store.signed_checkpoints(&origin)? {
                let c = store.cosigned(c)?;
                editions.push(Edition {
                    origin: c.checkpoint.origin.clone(),
                    size: c.checkpoint.size,
                    signed: c.checkpoint.signed.clone(),
                    witnesses: c
                        .cosigners
                        .iter()
                        .map(|(name, t, _)| {
                            (
                                name.clone(),
                                Timestamp::from_unix(*t as i64).as_str().to_string(),
                            )
                        })
                        .collect(),
                });
            }
        }
        vec![path]
    } else {
        if a.ledger.iter().any(|p| p.as_os_str() == "-") {
            return Err(Error::Invalid(
                "coi register reads files, not standard input: the site offers them for download"
                    .into(),
            ));
        }
        a.ledger.clone()
    };
    let since = since(&a, files.first().map(PathBuf::as_path))?;
    let mut sources = Vec::new();
    for p in &files {
        let name = safe_name(p, &sources);
        sources.push(describe(p, name)?);
    }

    let readers = files.iter().map(open_input).collect::<Result<Vec<_>>>()?;
    let total: u64 = sources.iter().map(|s| s.bytes).sum();
    let bar = super::publish::bytes_bar(total, "verifying");
    let mut builder = SiteBuilder::new();
    let mut problems = 0u64;
    let mut first: Vec<String> = Vec::new();
    let mut done = vec![0u64; files.len()];
    let reports = coi_ledger::verify_files_accepted(
        readers,
        coi_ledger::VerifyOptions::default(),
        |file, line, e| {
            builder.push(Place { file, line }, e);
            Ok::<(), Error>(())
        },
        |f| {
            if let coi_ledger::Finding::Problem { file, problem } = f {
                problems += 1;
                if first.len() < 10 {
                    first.push(format!(
                        "{}:{}: {}: {}",
                        sources[file].name, problem.line, problem.class, problem.message
                    ));
                }
            }
            Ok(())
        },
        |file, n| {
            if let Some(b) = &bar {
                done[file] = n;
                b.set_position(done.iter().sum());
            }
        },
    )?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if problems > 0 {
        for p in &first {
            eprintln!("coi: {}", coi_ledger::display::sanitize(p));
        }
        eprintln!(
            "coi: the files do not verify ({problems} problem(s), the first shown above): a register shows only files that verify; run `coi verify` on them"
        );
        return Ok(Outcome::Failed);
    }
    let entries: u64 = reports.iter().map(|r| r.lines).sum();
    let site = builder.finish(sources, editions);
    let options = SiteOptions {
        title: a.title.clone(),
        since: since.clone(),
        max_age_days: a.max_age,
    };

    if let Some(dir) = &a.html {
        let staged = Staged::new(dir)?;
        for (p, s) in files.iter().zip(&site.files) {
            let to = staged.path().join("ledgers").join(&s.name);
            fs::create_dir_all(staged.path().join("ledgers"))
                .map_err(|e| Error::io(staged.path(), e))?;
            fs::copy(p, &to).map_err(|e| Error::io(&to, e))?;
        }
        let bar = super::publish::count_bar(site.chains().len() as u64, "writing pages");
        let mut members_done = 0;
        let written = html::write_site(&site, &options, &mut |path, bytes| {
            if path.starts_with("members/") && !path.contains("-") {
                members_done += 1;
                if let Some(b) = &bar {
                    b.set_position(members_done);
                }
            }
            staged.write(path, bytes)
        })
        .map_err(|e| Error::io(dir, e))?;
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        staged.commit()?;
        eprintln!(
            "coi: wrote {} pages (largest {} KiB) into {}, from {entries} entries",
            written.pages,
            written.largest.div_ceil(1024),
            escape(&dir.display().to_string()),
        );
        eprintln!(
            "coi: open {} in a browser",
            escape(&dir.join("index.html").display().to_string())
        );
    }
    let tables = || {
        [
            table::interests(&site),
            table::votes(&site, a.max_age),
            table::changes(&site, since.as_ref()),
        ]
    };
    for (dir, ext) in [(&a.csv, "csv"), (&a.jsonl, "jsonl")] {
        let Some(dir) = dir else { continue };
        let staged = Staged::new(dir)?;
        let mut counts = Vec::new();
        for t in tables() {
            let bytes = if ext == "csv" { t.csv() } else { t.jsonl() };
            staged
                .write(&format!("{}.{ext}", t.name), &bytes)
                .map_err(|e| Error::io(dir, e))?;
            counts.push(format!("{} ({} rows)", t.name, t.rows.len()));
        }
        staged.commit()?;
        eprintln!(
            "coi: wrote {} into {}",
            counts.join(", "),
            escape(&dir.display().to_string())
        );
    }
    Ok(Outcome::Ok)
}
