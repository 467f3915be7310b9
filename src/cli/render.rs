//! The renderings every view shares: one-line summaries of entries, member names, the JSON form
//! of entries and verification reports, and the printed verification report.

use std::collections::HashMap;

use coi_ledger::display::{escape, quote};
use coi_ledger::store::Store;
use coi_ledger::{Data, Declaration, Entry, Matter, MemberId, Report, Result};
use serde_json::{json, Value};

use super::out;

pub(super) fn names(store: &Store) -> Result<HashMap<MemberId, String>> {
    store.names()
}

pub(super) fn who(names: &HashMap<MemberId, String>, m: &MemberId) -> String {
    match names.get(m) {
        Some(n) => format!("{} {}", m.fingerprint(), quote(n)),
        None => m.fingerprint(),
    }
}

/// A one-line summary of an entry's content, escaped for the terminal.
pub(super) fn summary(e: &Entry) -> String {
    match &e.data {
        Data::Profile(p) => format!(
            "name {}{}{}",
            quote(&p.name),
            p.capacity
                .as_deref()
                .map(|c| format!(", capacity {}", quote(c)))
                .unwrap_or_default(),
            p.affiliation
                .as_deref()
                .map(|c| format!(", affiliation {}", quote(c)))
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
        Data::Retract(r) => format!("retracts {}: {}", r.target.fingerprint(), quote(&r.reason)),
        Data::Reaffirm(r) => format!(
            "re-affirms live entries{}",
            r.note
                .as_deref()
                .map(|n| format!(": {}", quote(n)))
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
        Data::Unknown { kind, .. } => format!("(kind {} not understood by this coi)", quote(kind)),
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
        quote(&d.counterparty)
    );
    match &d.matters {
        Some(ms) => s.push_str(&format!(" on {}", join_matters(ms))),
        None => s.push_str(", standing"),
    }
    s.push_str(&format!("; mitigation {}", d.mitigation));
    if let Some(v) = &d.value {
        s.push_str(&format!("; value {}", quote(v)));
    }
    if let Some(v) = &d.since {
        s.push_str(&format!("; since {}", v.as_str()));
    }
    if let Some(v) = &d.until {
        s.push_str(&format!("; until {}", v.as_str()));
    }
    if let Some(n) = &d.nature {
        s.push_str(&format!("; {}", quote(n)));
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
        out(format!("{at}: {}: {}", p.class, escape(&p.message)))?;
    }
    for n in &r.notices {
        out(format!(
            "{f}:{}: member {} seq {}: notice {}: {}",
            n.line,
            n.member.fingerprint(),
            n.seq,
            n.class,
            escape(&n.message)
        ))?;
    }
    if r.valid {
        out(format!(
            "{f}: valid: {} entries from {} members",
            r.entries,
            r.members.len()
        ))?;
        for m in &r.members {
            out(format!(
                "  {}  {:<24} seq 1..{}  head {}",
                m.member.fingerprint(),
                m.name
                    .as_deref()
                    .map(quote)
                    .unwrap_or_else(|| "(no profile)".into()),
                m.head_seq,
                m.head_id
                    .map(|h| h.to_hex()[..16].to_string())
                    .unwrap_or_default()
            ))?;
        }
    } else {
        out(format!(
            "{f}: INVALID: {} problem(s); {} of {} lines accepted",
            r.problems.len(),
            r.entries,
            r.lines
        ))?;
    }
    Ok(())
}
