//! `coi log-key`, `coi checkpoint`, `coi witness` and `coi prove`: the body log as a C2SP
//! transparency log (spec §13).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use clap::Args as ClapArgs;
use coi_ledger::display::escape;
use coi_ledger::home::{write_atomic, Home};
use coi_ledger::store::{Evidence, Store, Witnessed};
use coi_ledger::tlog::body::{file_tree, judge_checkpoint};
use coi_ledger::tlog::note::{self, CosignerKey, NoteKey, NoteVerifier};
use coi_ledger::tlog::policy::Policy;
use coi_ledger::tlog::proof::Proof;
use coi_ledger::tlog::Checkpoint;
use coi_ledger::{
    CheckpointRef, Data, Error, Hash32, LogKey, Result, TlogKeyFile, TlogRole, Witness,
};

use super::{append_own, out, Outcome, Terminal};

/// Largest checkpoint or proof file read.
const MAX_NOTE: u64 = 1 << 20;
/// Largest ledger file a witness or prover reads.
const MAX_LEDGER: u64 = 1 << 30;

use super::render::q;

#[derive(ClapArgs, Debug)]
pub(super) struct LogKeyArgs {
    /// Create the log key for this origin (a schema-less URL naming the log, such as
    /// example.org/board-log) and announce it in your chain. Without it, show the key.
    #[arg(long)]
    origin: Option<String>,
}

/// `coi log-key`.
pub(super) fn log_key(home: &Home, a: LogKeyArgs) -> Result<Outcome> {
    let Some(origin) = a.origin else {
        let key = home.read_tlog_key(TlogRole::Log)?.ok_or_else(no_log_key)?;
        out(note_key(&key)?.vkey())?;
        return Ok(Outcome::Ok);
    };
    if home.read_tlog_key(TlogRole::Log)?.is_some() {
        return Err(Error::Invalid(format!(
            "this home already has a log key ({}); a log keeps one key for life",
            escape(&home.tlog_key_path(TlogRole::Log).display().to_string())
        )));
    }
    // Check the announcement first, so that a bad origin leaves no key file behind.
    let probe = NoteKey::from_seed(&origin, &[0; 32]).map_err(|e| Error::Tlog(e.to_string()))?;
    Data::LogKey(LogKey {
        origin: origin.clone(),
        vkey: probe.vkey(),
    })
    .validate()?;
    // The member's key is needed for the announcement: fail before creating the log key.
    {
        let store = home.open_store()?;
        let me = home.member(&store)?;
        home.signing_key(&store, &me, &Terminal)?;
    }
    let key = home.create_tlog_key(TlogRole::Log, &origin)?;
    let vkey = note_key(&key)?.vkey();
    eprintln!(
        "coi: log key written to {}",
        escape(&home.tlog_key_path(TlogRole::Log).display().to_string())
    );
    eprintln!("coi: announcing it in your chain (entry id below); publish your ledger so that witnesses find it");
    out(&vkey)?;
    append_own(home, |_, _| Ok(Data::LogKey(LogKey { origin, vkey })))
}

fn no_log_key() -> Error {
    Error::Invalid(
        "this home has no log key: run `coi log-key --origin ORIGIN` (e.g. example.org/board-log) first"
            .into(),
    )
}

fn note_key(k: &TlogKeyFile) -> Result<NoteKey> {
    NoteKey::from_seed(&k.name, &k.seed()).map_err(|e| Error::Tlog(e.to_string()))
}

fn cosigner_key(k: &TlogKeyFile) -> Result<CosignerKey> {
    CosignerKey::from_seed(&k.name, &k.seed()).map_err(|e| Error::Tlog(e.to_string()))
}

#[derive(ClapArgs, Debug)]
pub(super) struct CheckpointArgs {
    /// Write the checkpoint (with every cosignature known) to FILE atomically (default:
    /// standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Ask the C2SP tlog-witness at this URL prefix to cosign (POST PREFIX/add-checkpoint).
    /// Repeatable.
    #[arg(long = "submit", value_name = "URL", requires = "witness_keys")]
    submit: Vec<String>,
    /// The key (vkey) of the witness at the --submit URL of the same position: only its
    /// cosignatures are kept. Repeatable, once per --submit.
    #[arg(long = "witness-key", value_name = "VKEY")]
    witness_keys: Vec<String>,
    /// Also submit to every witness with a URL in this C2SP tlog-policy file.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Sign nothing: write the checkpoint of SIZE lines signed before, with its cosignatures.
    #[arg(long, value_name = "SIZE", conflicts_with_all = ["cosigned", "list"])]
    size: Option<u64>,
    /// Sign nothing: write the latest checkpoint signed before that has a cosignature (what
    /// a vote commits to and a proof is made against).
    #[arg(long, conflicts_with = "list")]
    cosigned: bool,
    /// Sign nothing: list the checkpoints signed, with their cosigners.
    #[arg(long)]
    list: bool,
}

/// `coi checkpoint`: signs a checkpoint of the store's export (every chain, in order of
/// arrival) if it grew since the last one, and prints it with the cosignatures known.
pub(super) fn checkpoint(home: &Home, a: CheckpointArgs) -> Result<Outcome> {
    let key = home.read_tlog_key(TlogRole::Log)?.ok_or_else(no_log_key)?;
    if a.list {
        return list_checkpoints(&home.open_store_read()?, &key.name);
    }
    let mut store = home.open_store()?;
    let signed = if a.size.is_some() || a.cosigned {
        stored_checkpoint(&store, &key.name, a.size)?
    } else {
        sign_checkpoint(&mut store, &key)?
    };
    let (mut urls, mut vkeys) = (a.submit.clone(), a.witness_keys.clone());
    if let Some(path) = &a.policy {
        let policy = read_policy(path)?;
        for w in policy.witnesses() {
            if let Some(url) = w.url() {
                urls.push(url.to_string());
                vkeys.push(w.vkey().text().to_string());
            }
        }
    }
    let failed = submit(&mut store, &signed, &urls, &vkeys)?;
    publish_checkpoint(&store, &signed, a.output.as_deref())?;
    Ok(Outcome::of(!failed))
}

/// How long one exchange with a witness or a download may take.
const NET_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Submits `signed` to each witness (URL and vkey) and keeps the cosignatures that verify by
/// its key; says on standard error how each went. Returns whether any refused.
fn submit(
    store: &mut Store,
    signed: &coi_ledger::store::SignedCheckpoint,
    urls: &[String],
    vkeys: &[String],
) -> Result<bool> {
    if urls.len() != vkeys.len() {
        return Err(Error::Invalid(format!(
            "give one --witness-key per --submit ({} URL(s), {} key(s))",
            urls.len(),
            vkeys.len()
        )));
    }
    if urls.is_empty() {
        return Ok(false);
    }
    let witnesses = vkeys
        .iter()
        .map(|k| NoteVerifier::parse(k).map_err(|e| Error::Tlog(format!("--witness-key: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    let tree = store.log_tree(signed.size)?;
    let text = &signed.note[..signed.note.find("\n\n").map_or(0, |i| i + 1)];
    let mut failed = false;
    for ((url, witness), vkey) in urls.iter().zip(&witnesses).zip(vkeys) {
        let hint = store.submitted_size(&signed.origin, url)?.unwrap_or(0);
        let prove = |old: u64| tree.consistency_proof(old, signed.size);
        match coi_ledger::sync::submit_checkpoint(url, &signed.note, hint, prove, NET_TIMEOUT) {
            Ok(lines) => {
                let good: Vec<(String, String)> = lines
                    .iter()
                    .filter(|l| note::verify_cosignature(text, l, witness).is_ok())
                    .map(|l| (vkey.clone(), l.clone()))
                    .collect();
                if good.is_empty() {
                    eprintln!(
                        "coi: {} answered with no cosignature by {} ({} line(s) by other keys, ignored)",
                        escape(url),
                        q(witness.name()),
                        lines.len()
                    );
                    failed = true;
                    continue;
                }
                store.add_cosignatures(&signed.origin, signed.size, &good, url)?;
                eprintln!("coi: {} cosigned as {}", escape(url), q(witness.name()));
            }
            Err(e) => {
                eprintln!(
                    "coi: {} did not cosign: {}",
                    escape(url),
                    escape(&e.to_string())
                );
                failed = true;
            }
        }
    }
    Ok(failed)
}

/// Writes a checkpoint signed here, with every cosignature known, to `output` (a file, or the
/// terminal).
fn publish_checkpoint(
    store: &Store,
    signed: &coi_ledger::store::SignedCheckpoint,
    output: Option<&Path>,
) -> Result<()> {
    let note = cosigned_note(store, signed)?;
    write_text(
        output,
        &note,
        &format!("checkpoint of {} lines", signed.size),
    )
}

/// Writes `text` to `output` atomically (saying so, as `what`, on standard error), or to
/// standard output with every line escaped.
fn write_text(output: Option<&Path>, text: &str, what: &str) -> Result<()> {
    match output {
        Some(path) => {
            write_atomic(path, |w| {
                w.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))
            })?;
            eprintln!(
                "coi: {what} written to {}",
                escape(&path.display().to_string())
            );
        }
        None => {
            for line in text.lines() {
                out(escape(line))?;
            }
        }
    }
    Ok(())
}

/// A checkpoint signed before: of `size` lines, or (`None`) the latest with a cosignature.
fn stored_checkpoint(
    store: &Store,
    origin: &str,
    size: Option<u64>,
) -> Result<coi_ledger::store::SignedCheckpoint> {
    let all = store.signed_checkpoints(origin)?;
    let found = match size {
        Some(n) => all.into_iter().find(|c| c.size == n),
        None => {
            let mut found = None;
            for c in all.into_iter().rev() {
                if cosigners(store, &c)? > 0 {
                    found = Some(c);
                    break;
                }
            }
            found
        }
    };
    found.ok_or_else(|| {
        Error::Invalid(match size {
            Some(n) => format!("no checkpoint of {n} lines was signed (`coi checkpoint --list`)"),
            None => "no checkpoint signed here has a cosignature yet: members cosign with `coi witness`, and their published files are imported".into(),
        })
    })
}

/// The checkpoint a vote recorded now commits to: with a log key, the latest checkpoint of the
/// body log that has a cosignature, or else the latest signed (said on standard error).
pub(super) fn vote_checkpoint(home: &Home, store: &Store) -> Result<Option<CheckpointRef>> {
    let Some(key) = home.read_tlog_key(TlogRole::Log)? else {
        return Ok(None);
    };
    let c = match stored_checkpoint(store, &key.name, None) {
        Ok(c) => c,
        Err(_) => match store.latest_checkpoint(&key.name)? {
            Some(c) => {
                eprintln!(
                    "coi: no checkpoint of the body log is cosigned yet: the vote commits to the latest signed ({} lines)",
                    c.size
                );
                c
            }
            None => {
                eprintln!("coi: no checkpoint of the body log signed yet (`coi checkpoint`): the vote commits to none");
                return Ok(None);
            }
        },
    };
    Ok(Some(CheckpointRef {
        origin: c.origin,
        root: Hash32::from_bytes(c.root),
        size: c.size,
    }))
}

/// A cosignature's time as people read it.
fn when(t: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t as i64)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

/// Reads a C2SP tlog-policy file.
pub(super) fn read_policy(path: &Path) -> Result<Policy> {
    let bytes = read_source(&path.display().to_string(), MAX_NOTE)?;
    Policy::parse_bytes(&bytes)
        .map_err(|e| Error::Tlog(format!("{}: {e}", escape(&path.display().to_string()))))
}

/// Whether a checkpoint's cosigners meet a policy's quorum: a policy witness counts when one
/// of the cosignatures was verified by its very key (name and public key).
fn quorum_text(policy: Option<&Policy>, c: &coi_ledger::store::Cosigned) -> String {
    let Some(p) = policy else {
        return String::new();
    };
    let by = |w: &coi_ledger::tlog::policy::Witness| {
        let want = NoteVerifier::parse(w.vkey().text()).ok();
        c.cosigners
            .iter()
            .any(|(_, _, vkey)| want.is_some() && NoteVerifier::parse(vkey).ok() == want)
    };
    if p.satisfied(&by) {
        "; the policy's quorum is met".into()
    } else {
        "; the policy's quorum is NOT met".into()
    }
}

fn cosigners_text(c: &coi_ledger::store::Cosigned) -> String {
    if c.cosigners.is_empty() {
        return "not cosigned".into();
    }
    let list: Vec<String> = c
        .cosigners
        .iter()
        .map(|(n, t, _)| format!("{} at {}", q(n), when(*t)))
        .collect();
    format!("cosigned by {}", list.join(", "))
}

/// `coi check`: the checkpoint of the body log a vote commits to, as this store knows it.
pub(super) fn print_vote_checkpoint(
    store: &Store,
    vote: &coi_ledger::EntryId,
    policy: Option<&Policy>,
) -> Result<()> {
    let e = store.find(&vote.to_hex())?.entry;
    let Data::Vote(v) = &e.data else {
        return Ok(());
    };
    let Some(c) = &v.checkpoint else {
        return super::render::row("checkpoint: the vote commits to none");
    };
    let known = store.signed_checkpoint(&c.origin, c.size)?;
    let text = match known {
        Some(k) if k.checkpoint.root == *c.root.as_bytes() => {
            format!(
                "signed here, {}{}",
                cosigners_text(&k),
                quorum_text(policy, &k)
            )
        }
        Some(_) => "NOT the checkpoint of that size signed here (its root differs)".into(),
        None => "not a checkpoint signed here".into(),
    };
    super::render::row(format!(
        "checkpoint: {} lines of {} root {}: {text}",
        c.size,
        q(&c.origin),
        c.root.fingerprint()
    ))
}

/// `coi check`: the earliest cosigned checkpoint of the body log that holds an entry.
pub(super) fn print_entry_checkpoint(
    store: &Store,
    id: &coi_ledger::EntryId,
    policy: Option<&Policy>,
) -> Result<()> {
    match store.earliest_cosigned(id)? {
        Some(c) => super::render::row(format!(
            "      in checkpoint of {} lines, {}{}",
            c.checkpoint.size,
            cosigners_text(&c),
            quorum_text(policy, &c)
        )),
        None => Ok(()),
    }
}

/// How many cosignatures the store knows of a checkpoint it signed.
fn cosigners(store: &Store, c: &coi_ledger::store::SignedCheckpoint) -> Result<usize> {
    Ok(store.submitted_cosignatures(&c.origin, c.size)?.len()
        + store.member_cosignatures(&c.origin, c.size, &c.root)?.len())
}

fn list_checkpoints(store: &Store, origin: &str) -> Result<Outcome> {
    let all = store.signed_checkpoints(origin)?;
    for c in &all {
        out(format!(
            "{:>10} lines  root {}  signed {}  {} cosignature(s)",
            c.size,
            Hash32::from_bytes(c.root).fingerprint(),
            c.signed,
            cosigners(store, c)?
        ))?;
    }
    out(format!("{} checkpoint(s) of {}", all.len(), q(origin)))?;
    Ok(Outcome::Ok)
}

/// `coi export --all --checkpoint FILE`: the checkpoint of the `lines` just exported.
pub(super) fn export_checkpoint(home: &Home, lines: u64, path: &Path) -> Result<()> {
    let key = home.read_tlog_key(TlogRole::Log)?.ok_or_else(no_log_key)?;
    let mut store = home.open_store()?;
    let signed = sign_checkpoint(&mut store, &key)?;
    if signed.size != lines {
        return Err(Error::Conflict(format!(
            "the store changed while exporting ({lines} lines written, {} now): run the export again",
            signed.size
        )));
    }
    publish_checkpoint(&store, &signed, Some(path))
}

/// Signs a checkpoint of the store's log as it stands, unless the latest one already covers
/// it; returns the checkpoint to publish.
pub(super) fn sign_checkpoint(
    store: &mut Store,
    key: &TlogKeyFile,
) -> Result<coi_ledger::store::SignedCheckpoint> {
    let origin = key.name.clone();
    let state = store.log_state(&origin)?;
    if let Some(latest) = store.latest_checkpoint(&origin)? {
        if latest.size == state.size() {
            return Ok(latest);
        }
    }
    let text = Checkpoint {
        origin: origin.clone(),
        size: state.size(),
        root: state.root(),
        extensions: vec![],
    }
    .body();
    let signed = note::sign(&text, &note_key(key)?).map_err(|e| Error::Tlog(e.to_string()))?;
    store.record_checkpoint(&state, &signed)
}

/// The log's note with every cosignature the store knows of that checkpoint appended: those
/// witnesses returned and those members published in `witness` entries.
fn cosigned_note(store: &Store, c: &coi_ledger::store::SignedCheckpoint) -> Result<String> {
    let (origin, size, root, note) = (&c.origin, c.size, &c.root, &c.note);
    let mut lines: Vec<String> = store.submitted_cosignatures(origin, size)?;
    lines.extend(
        store
            .member_cosignatures(origin, size, root)?
            .into_iter()
            .map(|c| c.line),
    );
    let mut out = note.to_string();
    let mut seen = std::collections::HashSet::new();
    for l in lines {
        if !note.contains(&l) && seen.insert(l.clone()) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    Ok(out)
}

/// Reads a file or, for an `http://` or `https://` argument, downloads it; at most `limit`
/// bytes.
pub(super) fn read_source(arg: &str, limit: u64) -> Result<Vec<u8>> {
    if arg.starts_with("https://") || arg.starts_with("http://") {
        return coi_ledger::sync::fetch(arg, limit, NET_TIMEOUT)
            .map_err(|e| Error::Tlog(e.to_string()));
    }
    let path = Path::new(arg);
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut buf = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    if buf.len() as u64 > limit {
        return Err(Error::Invalid(format!(
            "{} is larger than {limit} bytes",
            escape(arg)
        )));
    }
    Ok(buf)
}

fn utf8(bytes: Vec<u8>, what: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| Error::Tlog(format!("{what} is not UTF-8")))
}

/// The text part of a note (up to the blank line), parsed as a checkpoint, without checking
/// signatures: to learn the origin before knowing which key to check it with.
fn peek_checkpoint(note: &str) -> Result<Checkpoint> {
    let text = note.find("\n\n").map(|i| &note[..i + 1]).ok_or_else(|| {
        Error::Tlog("not a signed note: no blank line before the signatures".into())
    })?;
    Checkpoint::parse(text).map_err(|e| Error::Tlog(format!("not a checkpoint: {e}")))
}

/// A published checkpoint of a body log checked with the log's file in hand, as a follower
/// does on each sync: signed by the log key the ledger announces for its origin (or `pinned`,
/// the one that signed the last good checkpoint), of the file's first lines, and consistent
/// with `previous` (size and root). The checkpoint and its log key, or the problem.
pub(super) fn check_published(
    note_text: &str,
    ledger: &[u8],
    pinned: Option<&str>,
    previous: Option<(u64, coi_ledger::tlog::Hash)>,
) -> Result<std::result::Result<(Checkpoint, String), String>> {
    let origin = match peek_checkpoint(note_text) {
        Ok(c) => c.origin,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let announced = match verified_log_keys(ledger, &origin)? {
        Ok(k) => k,
        Err(problem) => return Ok(Err(problem)),
    };
    let vkey = match (pinned, announced.as_slice()) {
        (Some(p), _) => p.to_string(),
        (None, [one]) => one.clone(),
        (None, []) => {
            return Ok(Err(format!(
                "the ledger announces no log key for {}",
                q(&origin)
            )))
        }
        (None, _) => {
            return Ok(Err(format!(
                "the ledger announces {} log keys for {}",
                announced.len(),
                q(&origin)
            )))
        }
    };
    let log = match NoteVerifier::parse(&vkey) {
        Ok(l) if l.name() == origin => l,
        Ok(_) | Err(_) => {
            return Ok(Err(format!(
                "the log key {} is not one for origin {}",
                q(&vkey),
                q(&origin)
            )))
        }
    };
    let opened = match note::open(note_text, std::slice::from_ref(&log)) {
        Ok(o) => o,
        Err(e) => {
            return Ok(Err(format!(
                "the checkpoint is not signed by the log key {}: {e}",
                q(&vkey)
            )))
        }
    };
    let cp = match Checkpoint::parse(&opened.text) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e.to_string())),
    };
    if let Err(r) = judge_checkpoint(&cp, &file_tree(ledger), previous) {
        return Ok(Err(r.to_string()));
    }
    Ok(Ok((cp, vkey)))
}

/// Verifies a ledger file strictly and returns the log keys its `log-key` entries announce for
/// `origin`, or the first problem.
fn verified_log_keys(
    bytes: &[u8],
    origin: &str,
) -> Result<std::result::Result<Vec<String>, String>> {
    let mut keys = Vec::new();
    let reports = coi_ledger::verify_files_accepted(
        [bytes],
        coi_ledger::VerifyOptions::default(),
        |_, _, e| {
            if let Data::LogKey(l) = &e.data {
                if l.origin == origin && !keys.contains(&l.vkey) {
                    keys.push(l.vkey.clone());
                }
            }
            Ok::<(), std::io::Error>(())
        },
        |_| Ok(()),
        |_, _| {},
    )
    .map_err(|e| Error::io("ledger", e))?;
    let report = reports.into_iter().next().unwrap_or_default();
    if let Some(p) = report.problems.first() {
        return Ok(Err(format!(
            "the ledger file does not verify ({} problem(s); first: line {}: {}: {})",
            report.problems.len(),
            p.line,
            p.class,
            p.message
        )));
    }
    Ok(Ok(keys))
}

#[derive(ClapArgs, Debug)]
pub(super) struct WitnessArgs {
    /// The checkpoint to cosign: a file or an http(s) URL.
    #[arg(value_name = "CHECKPOINT")]
    checkpoint: Option<String>,
    /// The log's published ledger file (or URL) the checkpoint is of.
    #[arg(long, value_name = "FILE-or-URL", required_unless_present = "evidence")]
    ledger: Option<String>,
    /// The log's key (vkey) [default: the key pinned at your first cosignature of this origin,
    /// or the one the ledger's `log-key` entries announce].
    #[arg(long, value_name = "VKEY")]
    log_key: Option<String>,
    /// Your witness key's name, when the first cosignature creates it [default:
    /// coi.witness/FINGERPRINT].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Also write the checkpoint with your cosignature added to FILE.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// List the logs you witness and the evidence kept of any that misbehaved, then exit.
    #[arg(long, conflicts_with_all = ["checkpoint", "ledger"])]
    evidence: bool,
}

/// `coi witness`.
pub(super) fn witness(home: &Home, a: WitnessArgs) -> Result<Outcome> {
    if a.evidence {
        return list_evidence(home);
    }
    let (Some(cp_arg), Some(ledger_arg)) = (&a.checkpoint, &a.ledger) else {
        return Err(Error::Invalid(
            "give the CHECKPOINT and --ledger FILE".into(),
        ));
    };
    let note_text = utf8(read_source(cp_arg, MAX_NOTE)?, "the checkpoint")?;
    let ledger = read_source(ledger_arg, MAX_LEDGER)?;
    let origin = peek_checkpoint(&note_text)?.origin;
    let mut store = home.open_store()?;
    let previous = store.witnessed(&origin)?;
    let announced = match verified_log_keys(&ledger, &origin)? {
        Ok(k) => k,
        Err(problem) => {
            return refuse(
                &mut store,
                &origin,
                previous.as_ref(),
                &note_text,
                &ledger,
                "ledger-invalid",
                problem,
            );
        }
    };
    let vkey = match (&a.log_key, &previous, announced.as_slice()) {
        (Some(k), _, _) => k.clone(),
        (None, Some(p), _) => p.log_vkey.clone(),
        (None, None, [one]) => one.clone(),
        (None, None, []) => {
            return Err(Error::Invalid(format!(
                "the ledger announces no log key for {}: pass --log-key VKEY",
                q(&origin)
            )))
        }
        (None, None, _) => {
            return Err(Error::Invalid(format!(
                "the ledger announces {} log keys for {}: pass the right one with --log-key VKEY",
                announced.len(),
                q(&origin)
            )))
        }
    };
    if let Some(p) = &previous {
        if p.log_vkey != vkey {
            let detail = format!(
                "the log key {} is not the one pinned at the first cosignature ({})",
                q(&vkey),
                q(&p.log_vkey)
            );
            return refuse(
                &mut store,
                &origin,
                previous.as_ref(),
                &note_text,
                &ledger,
                "key-change",
                detail,
            );
        }
    }
    let log = NoteVerifier::parse(&vkey).map_err(|e| Error::Tlog(format!("--log-key: {e}")))?;
    if log.name() != origin {
        return Err(Error::Tlog(format!(
            "the log key is named {}, and the checkpoint's origin is {}",
            q(log.name()),
            q(&origin)
        )));
    }
    let opened = note::open(&note_text, std::slice::from_ref(&log)).map_err(|e| {
        Error::Tlog(format!(
            "the checkpoint is not signed by the log's key: {e}"
        ))
    })?;
    let cp = Checkpoint::parse(&opened.text).map_err(|e| Error::Tlog(e.to_string()))?;
    let tree = file_tree(&ledger);
    if let Err(r) = judge_checkpoint(&cp, &tree, previous.as_ref().map(|p| (p.size, p.root))) {
        return refuse(
            &mut store,
            &origin,
            previous.as_ref(),
            &note_text,
            &ledger,
            r.problem,
            r.detail,
        );
    }
    let me = home.member(&store).ok();
    let wkey = match home.read_tlog_key(TlogRole::Witness)? {
        Some(k) => k,
        None => {
            let name = match (&a.name, &me) {
                (Some(n), _) => n.clone(),
                (None, Some(m)) => format!("coi.witness/{}", m.to_hex()[..16].to_owned()),
                (None, None) => {
                    return Err(Error::Invalid(
                        "an observer home names its witness key: pass --name NAME (e.g. witness.example.org)".into(),
                    ))
                }
            };
            let k = home.create_tlog_key(TlogRole::Witness, &name)?;
            eprintln!("coi: witness key {} created", q(&name));
            k
        }
    };
    let cosigner = cosigner_key(&wkey)?;
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let line = cosigner
        .cosign(&opened.text, time)
        .map_err(|e| Error::Tlog(e.to_string()))?;
    let next = Witnessed {
        origin: origin.clone(),
        size: cp.size,
        root: cp.root,
        note: note_text.clone(),
        log_vkey: vkey,
        cosigned: coi_ledger::Timestamp::now().as_str().to_string(),
    };
    // The state moves first: a cosignature is never out while the state could still go back.
    store.witness_advance(previous.as_ref(), &next)?;
    out(&line)?;
    if let Some(path) = &a.output {
        let text = format!("{note_text}{line}\n");
        write_atomic(path, |w| {
            w.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))
        })?;
    }
    drop(store);
    if me.is_none() {
        eprintln!("coi: an observer home has no chain: no witness entry recorded");
        return Ok(Outcome::Ok);
    }
    let blob = line.rsplit(' ').next().unwrap_or("").to_string();
    append_own(home, |_, _| {
        Ok(Data::Witness(Witness {
            checkpoint: Some(CheckpointRef {
                origin: cp.origin.clone(),
                root: Hash32::from_bytes(cp.root),
                size: cp.size,
            }),
            cosignature: Some(blob),
            cosigner: Some(cosigner.vkey()),
            heads: None,
        }))
    })
}

/// Keeps the evidence of a refused checkpoint and says why it was refused.
fn refuse(
    store: &mut Store,
    origin: &str,
    previous: Option<&Witnessed>,
    note: &str,
    ledger: &[u8],
    problem: &'static str,
    detail: String,
) -> Result<Outcome> {
    use sha2::Digest as _;
    store.keep_evidence(&Evidence {
        origin: origin.to_string(),
        problem: problem.to_string(),
        detail: detail.clone(),
        held: previous.map(|p| p.note.clone()),
        refused: note.to_string(),
        ledger: Some(sha2::Sha256::digest(ledger).into()),
        detected: coi_ledger::Timestamp::now().as_str().to_string(),
    })?;
    eprintln!(
        "coi: refused to cosign {}: {problem}: {}",
        q(origin),
        escape(&detail)
    );
    eprintln!("coi: the evidence is kept in your store: `coi witness --evidence` lists it");
    Ok(Outcome::Failed)
}

fn list_evidence(home: &Home) -> Result<Outcome> {
    let store = home.open_store_read()?;
    for w in store.witnessed_all()? {
        out(format!(
            "witnessing {}: cosigned size {} root {} at {}",
            q(&w.origin),
            w.size,
            Hash32::from_bytes(w.root).fingerprint(),
            w.cosigned
        ))?;
    }
    let evidence = store.evidence()?;
    for e in &evidence {
        out(format!(
            "evidence {} {}: {} ({})",
            e.detected,
            q(&e.origin),
            e.problem,
            escape(&e.detail)
        ))?;
    }
    out(format!("{} piece(s) of evidence kept", evidence.len()))?;
    Ok(Outcome::of(evidence.is_empty()))
}

#[derive(ClapArgs, Debug)]
#[command(override_usage = "coi prove [OPTIONS] --ledger <FILE-or-URL> \\
           --checkpoint <FILE-or-URL> <ENTRY>")]
pub(super) struct ProveArgs {
    /// The entry to prove (its id, or at least 16 hex characters of it).
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// The body log's published ledger file.
    #[arg(long, value_name = "FILE-or-URL")]
    ledger: String,
    /// The cosigned checkpoint of that log to prove inclusion in.
    #[arg(long, value_name = "FILE-or-URL")]
    checkpoint: String,
    /// Write the C2SP tlog-proof to FILE atomically (default: standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `coi prove`: needs no home; the proof is made from the published files alone.
pub(super) fn prove(a: ProveArgs) -> Result<Outcome> {
    let note_text = utf8(read_source(&a.checkpoint, MAX_NOTE)?, "the checkpoint")?;
    let cp = peek_checkpoint(&note_text)?;
    let ledger = read_source(&a.ledger, MAX_LEDGER)?;
    let wanted = a.entry.trim().to_ascii_lowercase();
    if wanted.len() < 16 || !wanted.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Invalid(format!(
            "{}: give the entry's id, or at least 16 hex characters of it",
            q(&a.entry)
        )));
    }
    let mut found: Vec<u64> = Vec::new();
    let reports = coi_ledger::verify_files_accepted(
        [ledger.as_slice()],
        coi_ledger::VerifyOptions::default(),
        |_, line, e| {
            if e.id.to_hex().starts_with(&wanted) {
                found.push(line);
            }
            Ok::<(), std::io::Error>(())
        },
        |_| Ok(()),
        |_, _| {},
    )
    .map_err(|e| Error::io("ledger", e))?;
    if let Some(p) = reports.first().and_then(|r| r.problems.first()) {
        return Err(Error::Tlog(format!(
            "the ledger file does not verify (line {}: {}: {}); no proof is made from it",
            p.line, p.class, p.message
        )));
    }
    let line_no = match found.as_slice() {
        [one] => *one,
        [] => {
            return Err(Error::Invalid(format!(
                "no entry {} in the ledger file",
                q(&wanted)
            )))
        }
        _ => {
            return Err(Error::Invalid(format!(
                "{} names {} entries: give more of the id",
                q(&wanted),
                found.len()
            )))
        }
    };
    let index = line_no - 1;
    let tree = file_tree(&ledger);
    judge_checkpoint(&cp, &tree, None)
        .map_err(|r| Error::Tlog(format!("the checkpoint is not of this ledger file: {r}")))?;
    if index >= cp.size {
        return Err(Error::Invalid(format!(
            "the entry is line {line_no}, after the checkpoint's {} lines: it is not in that checkpoint yet (sign and cosign a newer one)",
            cp.size
        )));
    }
    let leaf = ledger
        .split(|b| *b == b'\n')
        .nth(index as usize)
        .unwrap_or_default()
        .to_vec();
    let path = tree
        .inclusion_proof(index, cp.size)
        .map_err(|e| Error::Tlog(e.to_string()))?;
    let proof = Proof {
        extra: Some(leaf),
        index,
        path,
        note: note_text,
    };
    let text = proof.encode();
    write_text(
        a.output.as_deref(),
        &text,
        &format!(
            "proof that line {line_no} is in the checkpoint of {} lines",
            cp.size
        ),
    )?;
    Ok(Outcome::Ok)
}

/// The keys a proof is checked against.
#[derive(ClapArgs, Debug)]
pub(super) struct ProofKeys {
    /// With --proof: the log's key (vkey, as `coi log-key` prints it and the body's ledger
    /// announces it).
    #[arg(
        long,
        value_name = "VKEY",
        requires = "proof",
        conflicts_with = "policy"
    )]
    log_key: Option<String>,
    /// With --proof: a witness whose cosignature counts (vkey). Repeatable.
    #[arg(
        long = "witness",
        value_name = "VKEY",
        requires = "proof",
        conflicts_with = "policy"
    )]
    witnesses: Vec<String>,
    /// With --proof: how many of the --witness keys must have cosigned [default: all given].
    #[arg(long, value_name = "K", requires = "proof", conflicts_with = "policy")]
    quorum: Option<usize>,
    /// With --proof: the logs, witnesses and quorum to trust, as a C2SP tlog-policy file
    /// (instead of --log-key, --witness and --quorum).
    #[arg(long, value_name = "FILE", requires = "proof")]
    policy: Option<PathBuf>,
}

/// Whom a proof's checkpoint must be signed and cosigned by.
enum Trust {
    /// Keys given on the command line: k of these witnesses.
    Keys {
        log: Box<NoteVerifier>,
        witnesses: Vec<NoteVerifier>,
        need: usize,
    },
    /// A C2SP tlog-policy.
    Policy(Box<Policy>),
}

impl Trust {
    fn of(keys: &ProofKeys) -> Result<Trust> {
        if let Some(path) = &keys.policy {
            return Ok(Trust::Policy(Box::new(read_policy(path)?)));
        }
        let Some(log_vkey) = &keys.log_key else {
            return Err(Error::Invalid(
                "give the log's key with --log-key VKEY (or a --policy FILE): a proof is only as good as the key that signed its checkpoint".into(),
            ));
        };
        let log =
            NoteVerifier::parse(log_vkey).map_err(|e| Error::Tlog(format!("--log-key: {e}")))?;
        let witnesses = keys
            .witnesses
            .iter()
            .map(|w| NoteVerifier::parse(w).map_err(|e| Error::Tlog(format!("--witness: {e}"))))
            .collect::<Result<Vec<_>>>()?;
        let need = keys.quorum.unwrap_or(witnesses.len());
        if need > witnesses.len() {
            return Err(Error::Invalid(format!(
                "--quorum {need} is more than the {} --witness key(s) given",
                witnesses.len()
            )));
        }
        Ok(Trust::Keys {
            log: Box::new(log),
            witnesses,
            need,
        })
    }

    /// The log keys for a checkpoint of `origin`.
    fn logs(&self, origin: &str) -> Result<Vec<NoteVerifier>> {
        match self {
            Trust::Keys { log, .. } => Ok(vec![(**log).clone()]),
            Trust::Policy(p) => p
                .logs_for_origin(origin)
                .map(|l| {
                    NoteVerifier::parse(l.vkey().text()).map_err(|e| Error::Tlog(e.to_string()))
                })
                .collect(),
        }
    }

    /// The witnesses whose cosignatures count: a label and a key.
    fn witnesses(&self) -> Result<Vec<(String, NoteVerifier)>> {
        match self {
            Trust::Keys { witnesses, .. } => Ok(witnesses
                .iter()
                .map(|w| (w.name().to_string(), w.clone()))
                .collect()),
            Trust::Policy(p) => p
                .witnesses()
                .iter()
                .map(|w| {
                    NoteVerifier::parse(w.vkey().text())
                        .map(|v| (w.name().to_string(), v))
                        .map_err(|e| Error::Tlog(e.to_string()))
                })
                .collect(),
        }
    }

    /// Whether the witnesses (by label) that cosigned meet the quorum, and why, in words.
    fn judge(&self, cosigned: &[String], given: usize) -> (bool, Vec<String>) {
        match self {
            Trust::Keys { need, .. } => {
                let ok = cosigned.len() >= *need;
                let mut lines = vec![format!(
                    "{} of the {} witness(es) given cosigned; {} required",
                    cosigned.len(),
                    given,
                    need
                )];
                if *need == 0 {
                    lines.push(
                        "no witness was required: the log's own signature vouches for this alone"
                            .into(),
                    );
                }
                (ok, lines)
            }
            Trust::Policy(p) => {
                let by =
                    |w: &coi_ledger::tlog::policy::Witness| cosigned.iter().any(|c| c == w.name());
                let ok = p.satisfied(&by);
                let mut lines: Vec<String> =
                    p.explain(&by).into_iter().map(|l| escape(&l)).collect();
                lines.push(format!(
                    "policy quorum {}: {}",
                    q(p.quorum()),
                    if ok { "met" } else { "NOT met" }
                ));
                (ok, lines)
            }
        }
    }
}

/// The signature lines of a note (after its blank line).
fn signature_lines(note: &str) -> impl Iterator<Item = &str> {
    note.find("\n\n")
        .map_or("", |i| &note[i + 2..])
        .lines()
        .filter(|l| l.starts_with('\u{2014}'))
}

/// `coi verify --proof`: needs nothing but the proof and the keys.
pub(super) fn verify_proof(path: &Path, keys: &ProofKeys, json: bool) -> Result<Outcome> {
    let bytes = read_source(&path.display().to_string(), MAX_NOTE * 2)?;
    let proof = Proof::parse(&bytes).map_err(|e| Error::Tlog(format!("not a tlog-proof: {e}")))?;
    let trust = Trust::of(keys)?;
    let Some(leaf) = proof.leaf() else {
        return Err(Error::Tlog(
            "the proof carries no ledger line (no `extra` line)".into(),
        ));
    };
    // The line itself: a signed entry, checked alone (spec §5.1).
    let entry = std::str::from_utf8(leaf)
        .ok()
        .and_then(|l| coi_ledger::Entry::parse(l).ok())
        .filter(|e| e.verify_signature().is_ok())
        .ok_or_else(|| Error::Tlog("the proof's line is not a validly signed ledger entry".into()));
    let origin = peek_checkpoint(&proof.note)?.origin;
    let logs = trust.logs(&origin)?;
    let verdict = if logs.is_empty() {
        Err(Error::Tlog(format!(
            "no log key given for origin {}",
            q(&origin)
        )))
    } else {
        proof
            .check(leaf, &logs)
            .map_err(|e| Error::Tlog(e.to_string()))
    };
    let text = &proof.note[..proof.note.find("\n\n").map_or(0, |i| i + 1)];
    let witnesses = trust.witnesses()?;
    let mut cosigned: Vec<(String, u64)> = Vec::new();
    for (label, w) in &witnesses {
        if let Some(t) =
            signature_lines(&proof.note).find_map(|l| note::verify_cosignature(text, l, w).ok())
        {
            cosigned.push((label.clone(), t));
        }
    }
    let labels: Vec<String> = cosigned.iter().map(|(l, _)| l.clone()).collect();
    let (quorum, why) = trust.judge(&labels, witnesses.len());
    let ok = entry.is_ok() && verdict.is_ok() && quorum;
    if json {
        super::out_json(&serde_json::json!({
            "valid": ok,
            "entry": entry.as_ref().ok().map(|e| e.id.to_hex()),
            "member": entry.as_ref().ok().map(|e| e.member.to_hex()),
            "index": proof.index,
            "checkpoint": verdict.as_ref().ok().map(|v| serde_json::json!({"origin": v.checkpoint.origin, "size": v.checkpoint.size})),
            "cosigned_by": cosigned.iter().map(|(n, t)| serde_json::json!({"name": n, "time": t})).collect::<Vec<_>>(),
            "quorum_met": quorum,
        }))?;
        return Ok(Outcome::of(ok));
    }
    match &entry {
        Ok(e) => out(format!(
            "entry {} (member {}, seq {}): {}",
            e.id.fingerprint(),
            e.member.fingerprint(),
            e.seq,
            super::render::summary(e)
        ))?,
        Err(err) => out(format!("NOT VALID: {}", escape(&err.to_string())))?,
    }
    match &verdict {
        Ok(v) => out(format!(
            "included as line {} of {} lines of log {}, in a checkpoint signed by its log key",
            proof.index + 1,
            v.checkpoint.size,
            q(&v.checkpoint.origin)
        ))?,
        Err(e) => out(format!("NOT VALID: {}", escape(&e.to_string())))?,
    }
    for (name, t) in &cosigned {
        out(format!("cosigned by {} at {}", q(name), when(*t)))?;
    }
    for line in why {
        out(line)?;
    }
    out(if ok { "VALID" } else { "NOT VALID" })?;
    Ok(Outcome::of(ok))
}
