//! `coi follow` and `coi sync`: remember where members (or a body) publish their ledgers, and
//! fetch, verify and import what is new there.
//!
//! A publication is append-only. The home keeps the bytes of each that were verified and
//! imported (`follows/ID.ledger`); a sync asks only for what follows them (see
//! `coi_ledger::sync::fetch_tail`), verifies the known bytes with the new lines as one file
//! and imports it, all or nothing. A publication that shrank or changed its past is not
//! imported: the fetched bytes are kept as evidence and the sync exits 1.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args as ClapArgs;
use coi_ledger::display::escape;
use coi_ledger::home::Home;
use coi_ledger::store::{Follow, FollowEvent, FollowState, Store};
use coi_ledger::sync::{self, Known, Tail, Traffic};
use coi_ledger::{Error, Result, Timestamp};

use super::render::row;
use super::{out_json, Outcome};

#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  coi follow https://example.org/coi/alice.ledger --name alice
  coi follow /srv/www/bob.ledger
  coi follow https://example.org/board/body.ledger \\
      --checkpoint https://example.org/board/body.checkpoint
  coi follow --list")]
pub(super) struct FollowArgs {
    /// Where the ledger is published: an http(s) URL, or a file.
    #[arg(required_unless_present = "list")]
    source: Option<String>,
    /// A short name for reports [default: the file name in the source].
    #[arg(long)]
    name: Option<String>,
    /// Where the body's checkpoint of this ledger is published (a C2SP checkpoint signed by a
    /// log key announced in the ledger): each sync checks it against the ledger.
    #[arg(long, value_name = "URL-or-FILE")]
    checkpoint: Option<String>,
    /// List what is followed, with the last sync of each.
    #[arg(long, conflicts_with_all = ["source", "name", "checkpoint"])]
    list: bool,
    /// Machine-readable output (with --list).
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  coi sync                 every followed ledger
  coi sync alice           one of them (its name or source)
  coi sync --json          a line of JSON per ledger

Exit status: 0 all synced, 1 a publication shrank, changed its past, does not
verify or forks the store (evidence kept), 2 one could not be fetched.")]
pub(super) struct SyncArgs {
    /// Only these follows (names or sources) [default: all].
    only: Vec<String>,
    /// Seconds each request may take, all told (stalled servers are given up on).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    timeout: u64,
    /// Fetch every publication whole and compare it with what was verified before, byte for
    /// byte (a range request sees only what follows the last known line).
    #[arg(long)]
    full: bool,
    /// A line of JSON per follow.
    #[arg(long)]
    json: bool,
}

fn is_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

pub(super) fn follow(home: &Home, a: FollowArgs) -> Result<Outcome> {
    let mut store = home.open_or_create_store()?;
    if a.list {
        return list(&store, a.json);
    }
    let Some(source) = a.source else {
        return Err(Error::Invalid("give the URL or file to follow".into()));
    };
    let source = if is_url(&source) {
        // Parsed as ureq will, so that a typo is refused now rather than at every sync.
        source
            .parse::<ureq::http::Uri>()
            .map_err(|e| Error::Invalid(format!("{}: not a URL: {e}", escape(&source))))?;
        source
    } else if source.contains("://") {
        return Err(Error::Invalid(format!(
            "{}: only http:// and https:// URLs (or files) can be followed",
            escape(&source)
        )));
    } else {
        let p = std::fs::canonicalize(&source).map_err(|e| Error::io(Path::new(&source), e))?;
        if !p.is_file() {
            return Err(Error::Invalid(format!(
                "{} is not a file",
                escape(&p.display().to_string())
            )));
        }
        p.to_string_lossy().into_owned()
    };
    let name = a.name.unwrap_or_else(|| {
        source
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(&source)
            .trim_end_matches(".ledger")
            .to_string()
    });
    let (f, new) = store.add_follow(
        &source,
        &name,
        a.checkpoint.as_deref(),
        Timestamp::now().as_str(),
    )?;
    if new {
        eprintln!(
            "coi: following {} as {}",
            escape(&f.source),
            escape(&f.name)
        );
        eprintln!("coi: `coi sync` fetches it");
    } else {
        eprintln!(
            "coi: already following {} (as {})",
            escape(&f.source),
            escape(&f.name)
        );
    }
    Ok(Outcome::Ok)
}

fn list(store: &Store, json: bool) -> Result<Outcome> {
    let follows = store.follows()?;
    if json {
        for f in &follows {
            out_json(f)?;
        }
        return Ok(Outcome::Ok);
    }
    if follows.is_empty() {
        eprintln!("coi: nothing is followed; `coi follow URL` follows a published ledger");
    }
    for f in follows {
        row(format!(
            "{}  {}  {} bytes known; last sync {}: {}",
            escape(&f.name),
            escape(&f.source),
            f.state.known_len,
            f.last_sync.as_deref().unwrap_or("never"),
            escape(f.last_outcome.as_deref().unwrap_or("-"))
        ))?;
    }
    Ok(Outcome::Ok)
}

/// How one follow's sync came out.
#[derive(serde::Serialize)]
struct Synced<'a> {
    name: &'a str,
    source: &'a str,
    /// `unchanged`, `new`, `rollback`, `rewritten`, `refused`, `checkpoint` or `error`.
    outcome: &'static str,
    /// Entries the store did not hold before.
    new_entries: u64,
    /// Bytes of new complete lines.
    new_bytes: u64,
    requests: u32,
    bytes_fetched: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<String>,
    message: String,
}

/// The known bytes of `f`, if the cache holds exactly what the store says was verified.
fn known_bytes(path: &Path, state: &FollowState) -> Result<Option<Vec<u8>>> {
    if state.known_len == 0 {
        return Ok(Some(Vec::new()));
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let good = bytes.len() as u64 == state.known_len
        && blake3::hash(&bytes).to_hex().as_str() == state.known_hash;
    Ok(good.then_some(bytes))
}

/// A new file in `dir` named `stem.N.ledger` holding `bytes`.
fn keep_evidence(dir: &Path, stem: &str, bytes: &[u8]) -> Result<PathBuf> {
    keep_file(dir, stem, "ledger", bytes)
}

/// A new file in `dir` named `stem.N.ext` holding `bytes`, or the last one if it holds them
/// already (a publication still rolled back at the next sync is the same evidence).
fn keep_file(dir: &Path, stem: &str, ext: &str, bytes: &[u8]) -> Result<PathBuf> {
    for n in 1.. {
        let p = dir.join(format!("{stem}.{n}.{ext}"));
        let next = dir.join(format!("{stem}.{}.{ext}", n + 1));
        if p.exists() && !next.exists() && std::fs::read(&p).is_ok_and(|b| b == bytes) {
            return Ok(p);
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(mut f) => {
                f.write_all(bytes).map_err(|e| Error::io(&p, e))?;
                f.sync_all().map_err(|e| Error::io(&p, e))?;
                return Ok(p);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(&p, e)),
        }
    }
    unreachable!("an unbounded search ends")
}

/// The last line's length (LF included) of whole lines `bytes`.
fn last_line_len(bytes: &[u8]) -> u64 {
    match bytes.len() {
        0 => 0,
        n => {
            let before = bytes[..n - 1].iter().rposition(|b| *b == b'\n');
            (n - before.map_or(0, |i| i + 1)) as u64
        }
    }
}

pub(super) fn sync(home: &Home, a: SyncArgs) -> Result<Outcome> {
    let mut store = home.open_or_create_store()?;
    let dir = home.follows_dir()?;
    let all = store.follows()?;
    let chosen: Vec<Follow> = if a.only.is_empty() {
        all
    } else {
        let mut v = Vec::new();
        for want in &a.only {
            match all.iter().find(|f| &f.name == want || &f.source == want) {
                Some(f) => v.push(f.clone()),
                None => {
                    return Err(Error::Invalid(format!(
                        "{} is not followed (`coi follow --list` lists what is)",
                        escape(want)
                    )))
                }
            }
        }
        v
    };
    if chosen.is_empty() {
        eprintln!("coi: nothing is followed; `coi follow URL` follows a published ledger");
        return Ok(Outcome::Ok);
    }
    let bar = super::publish::count_bar(chosen.len() as u64, "syncing");
    let timeout = Duration::from_secs(a.timeout.max(1));
    let (mut bad, mut failed) = (false, false);
    for (i, f) in chosen.iter().enumerate() {
        let s = sync_one(&mut store, &dir, f, timeout, a.full);
        let s = match s {
            Ok(s) => s,
            Err(e) => Synced {
                name: &f.name,
                source: &f.source,
                outcome: "error",
                new_entries: 0,
                new_bytes: 0,
                requests: 0,
                bytes_fetched: 0,
                evidence: None,
                message: e.to_string(),
            },
        };
        match s.outcome {
            "error" => failed = true,
            "rollback" | "rewritten" | "refused" | "checkpoint" => bad = true,
            _ => {}
        }
        let now = Timestamp::now();
        store.record_sync(f.id, None, &s.message, now.as_str())?;
        let print = || -> Result<()> {
            if a.json {
                out_json(&s)
            } else {
                row(format!(
                    "{}: {}",
                    escape(s.name),
                    coi_ledger::display::sanitize(&s.message)
                ))
            }
        };
        match &bar {
            Some(b) => {
                b.suspend(print)?;
                b.set_position(i as u64 + 1);
            }
            None => print()?,
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if failed {
        return Err(Error::Invalid(
            "some publications could not be fetched (above); the others were synced".into(),
        ));
    }
    Ok(Outcome::of(!bad))
}

fn sync_one<'a>(
    store: &mut Store,
    dir: &Path,
    f: &'a Follow,
    timeout: Duration,
    full: bool,
) -> Result<Synced<'a>> {
    let cache = dir.join(format!("{}.ledger", f.id));
    let mut state = f.state.clone();
    let mut known = match known_bytes(&cache, &state)? {
        Some(k) => k,
        None => {
            // The cache is gone or not what was verified: start again from the whole file
            // (the store keeps every entry it imported, so nothing is lost).
            state = FollowState::default();
            Vec::new()
        }
    };
    let net = |e: sync::FetchError| Error::Invalid(e.to_string());
    let (mut tail, traffic) = if is_url(&f.source) && full {
        sync::fetch_whole(&f.source, &known, timeout).map_err(net)?
    } else if is_url(&f.source) {
        sync::fetch_tail(
            &f.source,
            &Known {
                bytes: &known,
                last_line_len: state.last_line_len,
                etag: state.etag.as_deref(),
            },
            timeout,
        )
        .map_err(net)?
    } else {
        let path = Path::new(&f.source);
        let len = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        if len > sync::MAX_PUBLICATION_BYTES {
            return Err(Error::Invalid(format!(
                "{}: larger than {} bytes",
                escape(&f.source),
                sync::MAX_PUBLICATION_BYTES
            )));
        }
        let body = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        (sync::classify(&known, body, None), Traffic::default())
    };
    let mut s = Synced {
        name: &f.name,
        source: &f.source,
        outcome: "unchanged",
        new_entries: 0,
        new_bytes: 0,
        requests: traffic.requests,
        bytes_fetched: traffic.bytes,
        evidence: None,
        message: String::new(),
    };
    let now = Timestamp::now();
    let event = |store: &mut Store, kind: &str, detail: String, evidence: &Path| {
        store.record_follow_event(&FollowEvent {
            follow: f.id,
            time: now.as_str().to_string(),
            kind: kind.to_string(),
            detail,
            evidence: Some(evidence.display().to_string()),
        })
    };
    let mut rechecked = full || !is_url(&f.source);
    loop {
        match tail {
            Tail::Unchanged { partial } => {
                s.message = match partial {
                    0 => "nothing new".to_string(),
                    n => {
                        format!("nothing new (a line of {n} bytes is not complete yet: next time)")
                    }
                };
            }
            Tail::Grew { new, partial, etag } => {
                let known_len = known.len();
                let mut all = std::mem::take(&mut known);
                all.extend_from_slice(&new);
                let temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
                std::fs::write(temp.path(), &all).map_err(|e| Error::io(temp.path(), e))?;
                let reader = std::io::BufReader::new(
                    std::fs::File::open(temp.path()).map_err(|e| Error::io(temp.path(), e))?,
                );
                let r = store.import_sized(
                    reader,
                    Some(all.len() as u64),
                    &f.source,
                    coi_ledger::VerifyOptions::default(),
                    |_| {},
                )?;
                if !r.verification.valid && !rechecked {
                    // New lines that do not follow the known ones: has the past changed?
                    rechecked = true;
                    drop(temp);
                    let (whole, more) =
                        sync::fetch_whole(&f.source, &all[..known_len], timeout).map_err(net)?;
                    s.requests += more.requests;
                    s.bytes_fetched += more.bytes;
                    if matches!(whole, Tail::Rewritten { .. } | Tail::Shrank { .. }) {
                        known = all;
                        known.truncate(known_len);
                        tail = whole;
                        continue;
                    }
                    tail = Tail::Grew { new, partial, etag };
                    known = all;
                    known.truncate(known_len);
                    continue;
                }
                if !r.merged || !r.forks.is_empty() {
                    let kept = keep_evidence(dir, &format!("{}.refused", f.id), &all)?;
                    let why = if !r.verification.valid {
                        let first = r
                            .verification
                            .problems
                            .first()
                            .map(|p| format!(": line {}: {}: {}", p.line, p.class, p.message))
                            .unwrap_or_default();
                        format!("REFUSED: it does not verify{first}")
                    } else if !r.forks.is_empty() {
                        format!(
                        "REFUSED: it forks {} chain(s) the store holds (kept as evidence: `coi forks`)",
                        r.forks.len()
                    )
                    } else {
                        format!("REFUSED: {}", r.refused.as_deref().unwrap_or("not merged"))
                    };
                    event(store, "refused", why.clone(), &kept)?;
                    s.outcome = "refused";
                    s.message = format!("{why}; evidence kept in {}", kept.display());
                    s.evidence = Some(kept.display().to_string());
                    return Ok(s);
                }
                temp.persist(&cache)
                    .map_err(|e| Error::io(&cache, e.error))?;
                let members = r.verification.members.len();
                s.outcome = "new";
                s.new_entries = r.added;
                s.new_bytes = new.len() as u64;
                let plural = |n: u64, one: &str, many: &str| {
                    format!("{n} {}", if n == 1 { one } else { many })
                };
                s.message = format!(
                    "{} ({} bytes; the file now has {} of {}){}",
                    plural(r.added, "new entry", "new entries"),
                    new.len(),
                    plural(r.verification.lines, "line", "lines"),
                    plural(members as u64, "member", "members"),
                    match partial {
                        0 => String::new(),
                        n => format!("; a line of {n} bytes is not complete yet"),
                    }
                );
                if !r.stale.is_empty() {
                    s.message.push_str(&format!(
                        "; {} member(s) behind the store (an old copy of their chain)",
                        r.stale.len()
                    ));
                }
                state = FollowState {
                    etag,
                    known_len: all.len() as u64,
                    last_line_len: last_line_len(&all),
                    known_hash: blake3::hash(&all).to_hex().to_string(),
                };
                store.record_sync(f.id, Some(&state), &s.message, now.as_str())?;
            }
            Tail::Shrank { body } => {
                let kept = keep_evidence(dir, &format!("{}.rollback", f.id), &body)?;
                let detail = format!(
                "ROLLBACK: the publication shrank from {} to {} bytes (its first {} bytes are those verified before)",
                state.known_len,
                body.len(),
                body.len()
            );
                event(store, "rollback", detail.clone(), &kept)?;
                s.outcome = "rollback";
                s.message = format!(
                    "{detail}; nothing imported; evidence kept in {}",
                    kept.display()
                );
                s.evidence = Some(kept.display().to_string());
            }
            Tail::Rewritten { body, at } => {
                let kept = keep_evidence(dir, &format!("{}.rewritten", f.id), &body)?;
                let line = known[..at as usize].iter().filter(|b| **b == b'\n').count() + 1;
                let detail = format!(
                "REWRITTEN: the publication changed its past: it differs from the bytes verified before at byte {at} (line {line})"
            );
                event(store, "rewritten", detail.clone(), &kept)?;
                s.outcome = "rewritten";
                s.message = format!(
                    "{detail}; nothing imported; evidence kept in {}",
                    kept.display()
                );
                s.evidence = Some(kept.display().to_string());
            }
        }
        break;
    }
    if let (Some(cp), "new" | "unchanged") = (&f.checkpoint, s.outcome) {
        check_checkpoint(store, dir, f, cp, &cache, &mut s)?;
    }
    Ok(s)
}

/// Checks the body's published checkpoint `cp` of follow `f` against the bytes verified
/// (`cache`): see `checkpoint::check_published`. A checkpoint found bad is kept as evidence.
fn check_checkpoint(
    store: &mut Store,
    dir: &Path,
    f: &Follow,
    cp: &str,
    cache: &Path,
    s: &mut Synced<'_>,
) -> Result<()> {
    let ledger = match std::fs::read(cache) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(cache, e)),
    };
    let note = super::checkpoint::read_source(cp, 64 << 10)?;
    let pinned = f.checkpoint_seen.as_ref().map(|(_, _, v)| v.as_str());
    let previous = f.checkpoint_seen.as_ref().and_then(|(size, root, _)| {
        let r: [u8; 32] = hex::decode(root).ok()?.try_into().ok()?;
        Some((*size, r))
    });
    let verdict = match std::str::from_utf8(&note) {
        Ok(text) => super::checkpoint::check_published(text, &ledger, pinned, previous)?,
        Err(_) => Err("the checkpoint is not UTF-8 text".to_string()),
    };
    match verdict {
        Ok((c, vkey)) => {
            store.record_follow_checkpoint(f.id, c.size, &c.root, &vkey)?;
            s.message
                .push_str(&format!("; its checkpoint of {} lines is good", c.size));
        }
        Err(problem) => {
            let kept = keep_file(dir, &format!("{}.checkpoint", f.id), "txt", &note)?;
            store.record_follow_event(&FollowEvent {
                follow: f.id,
                time: Timestamp::now().as_str().to_string(),
                kind: "checkpoint".into(),
                detail: problem.clone(),
                evidence: Some(kept.display().to_string()),
            })?;
            s.outcome = "checkpoint";
            s.message.push_str(&format!(
                "; CHECKPOINT REFUSED: {problem}; evidence kept in {}",
                kept.display()
            ));
            s.evidence = Some(kept.display().to_string());
        }
    }
    Ok(())
}
