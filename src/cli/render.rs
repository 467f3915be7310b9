//! The renderings every view shares: one-line summaries of entries, member names, the JSON form
//! of entries and verification reports, and the printed verification report.

use std::collections::HashMap;

use coi_ledger::display::{escape, quote_cut};
use coi_ledger::store::Store;
use coi_ledger::{Data, Declaration, Entry, Matter, MemberId, Report, Result};
use serde_json::{json, Value};

use super::out;

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
fn q(s: &str) -> String {
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
        Data::Witness(w) => format!("witnesses {} heads", w.heads.len()),
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

pub(super) fn report_json(file: &str, r: &Report) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Some(ps) = v.get_mut("problems").and_then(Value::as_array_mut) {
        for p in ps {
            p["file"] = Value::String(file.to_string());
        }
    }
    v["file"] = Value::String(file.to_string());
    v["members_count"] = Value::from(r.members.len());
    v
}

pub(super) fn print_report(file: &str, r: &Report) -> Result<()> {
    let f = escape(file);
    for p in &r.problems {
        let mut at = format!("{f}:{}:", p.line);
        if let Some(m) = p.member {
            at.push_str(&format!(" member {}", m.fingerprint()));
        }
        if let Some(s) = p.seq {
            at.push_str(&format!(" seq {s}"));
        }
        row(format!("{at}: {}: {}", p.class, escape(&p.message)))?;
    }
    for n in &r.notices {
        row(format!(
            "{f}:{}: member {} seq {}: notice {}: {}",
            n.line,
            n.member.fingerprint(),
            n.seq,
            n.class,
            escape(&n.message)
        ))?;
    }
    if r.valid {
        row(format!(
            "{f}: valid: {} entries from {} members",
            r.entries,
            r.members.len()
        ))?;
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
            "{f}: INVALID: {} problem(s); {} of {} lines accepted",
            r.problems.len(),
            r.entries,
            r.lines
        ))?;
    }
    Ok(())
}
