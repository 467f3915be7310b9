//! The renderings every view shares: one-line summaries of entries, member names, the JSON form
//! of entries and verification reports, and the printed verification report (problems as they
//! are found, then a summary per file).

use std::collections::HashMap;

use coi_ledger::display::{escape, quote_cut, sanitize};
use coi_ledger::store::Store;
use coi_ledger::store::{ForkRecord, ImportReport, Stale};
use coi_ledger::{
    ClassCounts, Data, Declaration, Entry, EntryId, ErrorClass, Finding, Matter, MemberId,
    MemberSummary, Notice, NoticeClass, Problem, Report, Result, DETAIL_LIMIT,
};
use serde::ser::{Serialize, Serializer};
use serde_json::{json, Value};

use super::{flush, out};

/// What a folded line's continuation starts with: no row of any view starts with it, so text
/// that reaches the edge of the screen can never look like a row of its own.
pub(super) const CONTINUATION: &str = "    \u{21B3} ";

/// The columns a one-line view may use: the terminal's width when standard output is one (at
/// least 40), else `COLUMNS` if set; `None` (lines whole) for a pipe or file, which no terminal
/// wraps and which `grep` should see whole.
fn width() -> Option<usize> {
    let term = console::Term::stdout();
    if term.is_term() {
        return Some(
            term.size_checked()
                .map_or(80, |(_, c)| usize::from(c))
                .max(40),
        );
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .map(|c| c.max(40))
}

/// `line` cut into pieces of at most `width` display columns, every piece after the first
/// starting with [`CONTINUATION`], so that a terminal never wraps a line itself and text that
/// reaches the edge can never look like a row of its own. Pieces end at a space when one is
/// near the edge.
pub(super) fn fold(line: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar as _;
    let indent = unicode_width::UnicodeWidthStr::width(CONTINUATION);
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut used = 0;
    // Where the current piece could end at a space: byte offset after it, and its column.
    let mut space: Option<(usize, usize)> = None;
    for c in line.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width && used > indent {
            let rest = match space.filter(|&(_, col)| col + 20 >= width) {
                Some((at, _)) => piece.split_off(at),
                None => String::new(),
            };
            pieces.push(std::mem::take(&mut piece));
            piece.push_str(CONTINUATION);
            piece.push_str(&rest);
            used = indent + unicode_width::UnicodeWidthStr::width(rest.as_str());
            space = None;
        }
        piece.push(c);
        used += w;
        if c == ' ' {
            space = Some((piece.len(), used));
        }
    }
    pieces.push(piece);
    pieces
}

/// Writes one line of a human view, folded to the screen ([`fold`]).
pub(super) fn row(line: impl AsRef<str>) -> Result<()> {
    match width() {
        Some(w) => {
            for piece in fold(line.as_ref(), w) {
                out(piece)?;
            }
            Ok(())
        }
        None => out(line),
    }
}

/// Longest untrusted value shown in a one-line view; `show` prints values whole.
pub(super) const ONE_LINE_VALUE: usize = 60;

pub(super) fn names(store: &Store) -> Result<HashMap<MemberId, String>> {
    store.names()
}

pub(super) fn who(names: &HashMap<MemberId, String>, m: &MemberId) -> String {
    match names.get(m) {
        Some(n) => format!("{} {}", m.fingerprint(), quote_cut(n, ONE_LINE_VALUE)),
        None => m.fingerprint(),
    }
}

/// An untrusted value in a one-line view: quoted, cut at [`ONE_LINE_VALUE`] characters.
pub(super) fn q(s: &str) -> String {
    quote_cut(s, ONE_LINE_VALUE)
}

/// A one-line summary of an entry's content, escaped for the terminal.
pub(super) fn summary(e: &Entry) -> String {
    match &e.data {
        Data::Profile(p) => format!(
            "name {}{}{}",
            q(&p.name),
            p.capacity
                .as_deref()
                .map(|c| format!(", capacity {}", q(c)))
                .unwrap_or_default(),
            p.affiliation
                .as_deref()
                .map(|c| format!(", affiliation {}", q(c)))
                .unwrap_or_default()
        ),
        Data::Declaration(d) => decl_summary(d),
        Data::Amend {
            target,
            declaration,
        } => format!(
            "amends {}: {}",
            target.fingerprint(),
            decl_summary(declaration)
        ),
        Data::NoConflict(n) => match &n.matters {
            Some(ms) => format!("no conflict on {}", join_matters(ms)),
            None => "nil return: no interests to register".into(),
        },
        Data::Withdraw(w) => format!(
            "withdraws {}{}",
            w.target.fingerprint(),
            w.until
                .as_ref()
                .map(|u| format!(" (ended {})", u.as_str()))
                .unwrap_or_default()
        ),
        Data::Retract(r) => format!("retracts {}: {}", r.target.fingerprint(), q(&r.reason)),
        Data::Reaffirm(r) => format!(
            "re-affirms live entries{}",
            r.note
                .as_deref()
                .map(|n| format!(": {}", q(n)))
                .unwrap_or_default()
        ),
        Data::KeyRotation(k) => format!("rotates to key {}", &k.new_key.to_hex()[..16]),
        Data::Disclosure(d) => format!(
            "restricted details of {} for {} recipient(s)",
            d.target.fingerprint(),
            d.recipients.len()
        ),
        Data::EncryptionKey(k) => format!("publishes encryption key {}", q(&k.recipient)),
        Data::Unseal(u) => format!(
            "makes public {} of {}",
            u.fields
                .iter()
                .map(|(f, o)| format!("{} {}", f.as_str(), q(&o.value)))
                .collect::<Vec<_>>()
                .join(", "),
            u.target.fingerprint()
        ),
        Data::Vote(v) => format!(
            "vote on {}: {} participants, {} heads",
            v.matter.as_str(),
            v.participation.len(),
            v.heads.len()
        ),
        Data::Determination(d) => format!(
            "determination on {}: {}",
            d.declaration.fingerprint(),
            d.outcome
        ),
        Data::Witness(w) => match &w.checkpoint {
            Some(c) => format!(
                "cosigns checkpoint {} of {} ({} lines){}",
                c.root.fingerprint(),
                q(&c.origin),
                c.size,
                if w.heads().is_empty() {
                    String::new()
                } else {
                    format!(", witnesses {} heads", w.heads().len())
                }
            ),
            None => format!("witnesses {} heads", w.heads().len()),
        },
        Data::LogKey(l) => format!("announces log key {} for {}", q(&l.vkey), q(&l.origin)),
        Data::Agenda(a) => format!(
            "agenda of {}{}: {} item(s): {}",
            a.meeting.as_str(),
            a.title
                .as_deref()
                .map(|t| format!(" {}", q(t)))
                .unwrap_or_default(),
            a.items.len(),
            a.items
                .iter()
                .map(|i| i.matter.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Data::Unknown { kind, .. } => format!("(kind {} not understood by this coi)", q(kind)),
        _ => String::new(),
    }
}

fn join_matters(ms: &[Matter]) -> String {
    ms.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
}

pub(super) fn decl_summary(d: &Declaration) -> String {
    let mut s = format!(
        "{} {} ({}, whose: {}) with {}",
        d.category,
        d.between,
        d.relationship
            .map(|r| r.as_str())
            .unwrap_or("relationship not given"),
        d.whose,
        q(&d.counterparty)
    );
    match &d.matters {
        Some(ms) => s.push_str(&format!(" on {}", join_matters(ms))),
        None => s.push_str(", standing"),
    }
    s.push_str(&format!("; mitigation {}", d.mitigation));
    if let Some(v) = &d.value {
        s.push_str(&format!("; value {}", q(v)));
    }
    if let Some(v) = &d.since {
        s.push_str(&format!("; since {}", v.as_str()));
    }
    if let Some(v) = &d.until {
        s.push_str(&format!("; until {}", v.as_str()));
    }
    if let Some(n) = &d.nature {
        s.push_str(&format!("; {}", q(n)));
    }
    if let Some(sealed) = &d.sealed {
        let names: Vec<&str> = sealed.keys().map(|f| f.as_str()).collect();
        s.push_str(&format!("; sealed {}", names.join(", ")));
    }
    s
}

/// The JSON form of an entry for `--json` outputs: the envelope fields, the data, and the line.
pub(super) fn entry_json(e: &Entry) -> Value {
    let entry: Value = serde_json::from_str(e.body()).unwrap_or(Value::Null);
    json!({
        "id": e.id.to_hex(),
        "member": e.member.to_hex(),
        "seq": e.seq,
        "kind": e.kind(),
        "time": e.time.as_str(),
        "prev": e.prev.to_hex(),
        "key": e.key.to_hex(),
        "data": entry.get("data").cloned().unwrap_or(Value::Null),
        "line": e.line,
    })
}

/// Members listed under a valid file's summary line, unless `--members` asks for all of them.
pub(super) const MEMBERS_LISTED: usize = 50;

/// The message of a problem for people. A fork found by comparing files names the other file.
fn problem_message<'a>(p: &'a Problem, names: &[String]) -> std::borrow::Cow<'a, str> {
    match (p.class, p.other_file, p.other_line) {
        (ErrorClass::Fork, Some(f), Some(l)) => format!(
            "two different validly signed entries for seq {} ({} line {l}): the member's key signed conflicting histories",
            p.seq.unwrap_or(0),
            names.get(f).map(String::as_str).unwrap_or("another file")
        )
        .into(),
        (ErrorClass::BadHead, Some(f), Some(l)) => match names.get(f) {
            Some(name) => p
                .message
                .replace(
                    &format!("(file {} at line {l})", f + 1),
                    &format!("({name} line {l})"),
                )
                .into(),
            None => p.message.as_str().into(),
        },
        _ => p.message.as_str().into(),
    }
}

/// `FILE:LINE: member M seq S: CLASS: message`, escaped.
fn problem_line(file: &str, p: &Problem, names: &[String]) -> String {
    let mut at = format!("{}:{}:", escape(file), p.line);
    if let Some(m) = p.member {
        at.push_str(&format!(" member {}", m.fingerprint()));
    }
    if let Some(s) = p.seq {
        at.push_str(&format!(" seq {s}"));
    }
    format!(
        "{at}: {}: {}",
        p.class,
        sanitize(&problem_message(p, names))
    )
}

fn notice_line(file: &str, n: &Notice) -> String {
    format!(
        "{}:{}: member {} seq {}: notice {}: {}",
        escape(file),
        n.line,
        n.member.fingerprint(),
        n.seq,
        n.class,
        sanitize(&n.message)
    )
}

/// Prints problems and notices as they are found, the first [`DETAIL_LIMIT`] of each per file
/// (what the reports keep); the summaries ([`print_summary`]) say how many more there were.
pub(super) struct Live<'a> {
    names: &'a [String],
    print: bool,
    problems: Vec<usize>,
    notices: Vec<usize>,
}

impl<'a> Live<'a> {
    /// For files named `names`; prints nothing unless `print`.
    pub(super) fn new(names: &'a [String], print: bool) -> Self {
        Live {
            names,
            print,
            problems: vec![0; names.len()],
            notices: vec![0; names.len()],
        }
    }

    /// Prints `f` if fewer than [`DETAIL_LIMIT`] of its kind were printed for its file, and
    /// flushes (the next may be a long time coming).
    pub(super) fn found(&mut self, f: Finding<'_>) -> Result<()> {
        if !self.print {
            return Ok(());
        }
        let names = self.names;
        let name = |file: usize| names.get(file).map(String::as_str).unwrap_or("");
        let line = match f {
            Finding::Problem { file, problem } => match self.problems.get_mut(file) {
                Some(n) if *n < DETAIL_LIMIT => {
                    *n += 1;
                    problem_line(name(file), problem, names)
                }
                _ => return Ok(()),
            },
            Finding::Notice { file, notice } => match self.notices.get_mut(file) {
                Some(n) if *n < DETAIL_LIMIT => {
                    *n += 1;
                    notice_line(name(file), notice)
                }
                _ => return Ok(()),
            },
            _ => return Ok(()),
        };
        row(line)?;
        flush()
    }
}

/// The summary of a file's report, after its problems and notices ([`Live`]): the verdict, and
/// the counts of what was not printed. A valid file's members are listed when there are at most
/// [`MEMBERS_LISTED`], or all of them with `all_members`.
pub(super) fn print_summary(file: &str, r: &Report, all_members: bool) -> Result<()> {
    let f = escape(file);
    if r.valid {
        row(format!(
            "{f}: valid: {} entries from {} members",
            r.entries,
            r.members.len()
        ))?;
        if all_members || r.members.len() <= MEMBERS_LISTED {
            for m in &r.members {
                row(format!(
                    "  {}  {:<24} seq 1..{}  head {}",
                    m.member.fingerprint(),
                    m.name
                        .as_deref()
                        .map(q)
                        .unwrap_or_else(|| "(no profile)".into()),
                    m.head_seq,
                    m.head_id
                        .map(|h| h.to_hex()[..16].to_string())
                        .unwrap_or_default()
                ))?;
            }
        } else {
            row(format!(
                "{f}: members not listed (more than {MEMBERS_LISTED}; `--members` lists them)"
            ))?;
        }
    } else {
        row(format!(
            "{f}: INVALID: {} problem(s); {} of {} lines accepted",
            r.problem_total(),
            r.entries,
            r.lines
        ))?;
        let hidden = r.problem_total() - r.problems.len() as u64;
        if hidden > 0 {
            let classes: Vec<String> = r
                .problem_counts
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            row(format!("{f}: problems by class: {}", classes.join(", ")))?;
            row(format!(
                "{f}: {hidden} more problem(s) not shown (the first {} are above)",
                r.problems.len()
            ))?;
        }
    }
    let hidden = r.notice_total() - r.notices.len() as u64;
    if hidden > 0 {
        row(format!(
            "{f}: {hidden} more notice(s) not shown (the first {} are above)",
            r.notices.len()
        ))?;
    }
    Ok(())
}

/// The number of members in `reports` together (each report's list is sorted by member id).
pub(super) fn distinct_members(reports: &[&Report]) -> usize {
    let mut lists: Vec<std::iter::Peekable<std::slice::Iter<'_, MemberSummary>>> = reports
        .iter()
        .map(|r| r.members.iter().peekable())
        .collect();
    let mut n = 0;
    loop {
        let Some(least) = lists
            .iter_mut()
            .filter_map(|l| l.peek().map(|m| m.member))
            .min()
        else {
            return n;
        };
        n += 1;
        for l in &mut lists {
            if l.peek().is_some_and(|m| m.member == least) {
                l.next();
            }
        }
    }
}

// The JSON reports. Written straight from the reports (never through a `serde_json::Value`, which
// would copy a report of a million members), with keys in alphabetical order.

/// A sequence serialised item by item from an iterator made on demand.
pub(super) struct SeqOf<F>(pub(super) F);

impl<F, I> Serialize for SeqOf<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

#[derive(serde::Serialize)]
struct ProblemJson<'a> {
    class: &'static str,
    file: &'a str,
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<&'a MemberId>,
    message: std::borrow::Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    other_file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    other_line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
}

fn problem_json<'a>(file: &'a str, p: &'a Problem, names: &'a [String]) -> ProblemJson<'a> {
    ProblemJson {
        class: p.class.as_str(),
        file,
        line: p.line,
        member: p.member.as_ref(),
        message: problem_message(p, names),
        other_file: p
            .other_file
            .map(|f| names.get(f).map(String::as_str).unwrap_or("")),
        other_line: p.other_line,
        seq: p.seq,
    }
}

#[derive(serde::Serialize)]
struct NoticeJson<'a> {
    class: &'static str,
    line: u64,
    member: &'a MemberId,
    message: &'a str,
    seq: u64,
}

#[derive(serde::Serialize)]
struct MemberJson<'a> {
    entries: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    head_id: Option<&'a EntryId>,
    head_seq: u64,
    member: &'a MemberId,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    unchecked: u64,
}

/// One file's report.
#[derive(serde::Serialize)]
#[serde(bound(serialize = "SeqOf<P>: Serialize, SeqOf<N>: Serialize, SeqOf<M>: Serialize"))]
pub(super) struct FileJson<'a, P, N, M> {
    entries: u64,
    file: &'a str,
    lines: u64,
    members: SeqOf<M>,
    members_count: usize,
    notice_classes: &'a ClassCounts<NoticeClass>,
    notices: SeqOf<N>,
    notices_count: u64,
    problem_classes: &'a ClassCounts<ErrorClass>,
    problems: SeqOf<P>,
    problems_count: u64,
    valid: bool,
}

/// The JSON form of `r`, the report of file `file` of `names`.
pub(super) fn file_json<'a>(
    file: &'a str,
    r: &'a Report,
    names: &'a [String],
) -> impl Serialize + 'a {
    FileJson {
        entries: r.entries,
        file,
        lines: r.lines,
        members: SeqOf(move || {
            r.members.iter().map(|m| MemberJson {
                entries: m.entries,
                head_id: m.head_id.as_ref(),
                head_seq: m.head_seq,
                member: &m.member,
                name: m.name.as_deref(),
                unchecked: m.unchecked,
            })
        }),
        members_count: r.members.len(),
        notice_classes: &r.notice_counts,
        notices: SeqOf(move || {
            r.notices.iter().map(|n| NoticeJson {
                class: n.class.as_str(),
                line: n.line,
                member: &n.member,
                message: &n.message,
                seq: n.seq,
            })
        }),
        notices_count: r.notice_total(),
        problem_classes: &r.problem_counts,
        problems: SeqOf(move || r.problems.iter().map(move |p| problem_json(file, p, names))),
        problems_count: r.problem_total(),
        valid: r.valid,
    }
}

#[derive(serde::Serialize)]
#[serde(bound(serialize = "F: Serialize, SeqOf<P>: Serialize"))]
struct BodyJson<F, P> {
    entries: u64,
    files: F,
    members: usize,
    problem_classes: ClassCounts<ErrorClass>,
    problems: SeqOf<P>,
    problems_count: u64,
    valid: bool,
}

/// The JSON report of `coi verify`: the files together, then each file. `problems` lists each
/// file's problems as its report keeps them (the first [`DETAIL_LIMIT`] of each file).
pub(super) fn body_json<'a>(names: &'a [String], reports: &'a [Report]) -> impl Serialize + 'a {
    let mut classes = ClassCounts::default();
    for r in reports {
        classes.add_all(&r.problem_counts);
    }
    let refs: Vec<&Report> = reports.iter().collect();
    BodyJson {
        entries: reports.iter().map(|r| r.entries).sum(),
        files: SeqOf(move || {
            names
                .iter()
                .zip(reports)
                .map(move |(n, r)| file_json(n, r, names))
        }),
        members: distinct_members(&refs),
        problems_count: classes.total(),
        problem_classes: classes,
        problems: SeqOf(move || {
            names
                .iter()
                .zip(reports)
                .flat_map(move |(n, r)| r.problems.iter().map(move |p| problem_json(n, p, names)))
        }),
        valid: reports.iter().all(|r| r.valid),
    }
}

#[derive(serde::Serialize)]
struct ImportJson<'a, V> {
    added: u64,
    evidence: &'a [ForkRecord],
    file: &'a str,
    fork_proof: bool,
    forks: &'a [ForkRecord],
    held: u64,
    merged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    refused: Option<&'a str>,
    stale: &'a [Stale],
    verification: V,
}

/// The JSON form of one file's import.
pub(super) fn import_json<'a>(
    names: &'a [String],
    index: usize,
    r: &'a ImportReport,
) -> impl Serialize + 'a {
    let file = names.get(index).map(String::as_str).unwrap_or("");
    ImportJson {
        added: r.added,
        evidence: &r.evidence,
        file,
        fork_proof: r.fork_proof,
        forks: &r.forks,
        held: r.held,
        merged: r.merged,
        refused: r.refused.as_deref(),
        stale: &r.stale,
        verification: file_json(file, &r.verification, names),
    }
}
