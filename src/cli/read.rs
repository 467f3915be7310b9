//! Reading commands: `log`, `show`, `conflicts`, `members`. They open the store read-only when
//! the home cannot be written, and work in an observer home (one without a key).

use std::collections::HashMap;

use clap::Args as ClapArgs;
use coi_ledger::display::{escape, quote};
use coi_ledger::home::Home;
use coi_ledger::store::{Current, StoredEntry};
use coi_ledger::{MemberId, Result};
use serde_json::{json, Value};

use super::render::{entry_json, names, summary, who};
use super::{member_arg, out, parse_matter, Outcome};

#[derive(ClapArgs, Debug)]
pub(super) struct LogArgs {
    /// Only this member (member id, fingerprint, or unique prefix).
    #[arg(long)]
    member: Option<String>,
    /// Only the last N entries.
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// Machine-readable output (one JSON object per line).
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
pub(super) struct ShowArgs {
    /// Entry id or unique prefix (at least 8 hex characters).
    id: String,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
pub(super) struct MembersArgs {
    /// Machine-readable output (one JSON array).
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
pub(super) struct ConflictsArgs {
    /// Only this member (member id, fingerprint, or unique prefix).
    #[arg(long)]
    member: Option<String>,
    /// Only declarations on this matter (plus standing declarations and no-conflict statements on it).
    #[arg(long)]
    matter: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

pub(super) fn log(home: &Home, a: LogArgs) -> Result<Outcome> {
    let store = home.open_store_read()?;
    let member = member_arg(&store, a.member.as_deref())?;
    let entries = store.log(member.as_ref(), a.limit)?;
    let names = names(&store)?;
    for StoredEntry { entry: e, .. } in &entries {
        if a.json {
            out(entry_json(e).to_string())?;
        } else {
            out(format!(
                "{}  {}  {} #{}  {:<13} {}",
                &e.id.to_hex()[..16],
                e.time.as_str(),
                who(&names, &e.member),
                e.seq,
                e.kind(),
                summary(e)
            ))?;
        }
    }
    if !a.json && entries.is_empty() {
        eprintln!("(no entries)");
    }
    Ok(Outcome::Ok)
}

pub(super) fn show(home: &Home, a: ShowArgs) -> Result<Outcome> {
    let store = home.open_store_read()?;
    let e = store.find(&a.id)?.entry;
    if a.json {
        out(entry_json(&e).to_string())?;
        return Ok(Outcome::Ok);
    }
    let names = names(&store)?;
    out(format!("id       {}", e.id))?;
    out(format!("member   {}", who(&names, &e.member)))?;
    out(format!("         {}", e.member))?;
    out(format!("seq      {}", e.seq))?;
    out(format!("prev     {}", e.prev))?;
    out(format!("time     {}", e.time.as_str()))?;
    out(format!("kind     {}", e.kind()))?;
    out(format!("key      {}", e.key.to_hex()))?;
    let body: Value = serde_json::from_str(e.body()).unwrap_or(Value::Null);
    if let Some(Value::Object(data)) = body.get("data") {
        for (k, v) in data {
            let shown = match v {
                Value::String(s) => quote(s),
                other => escape(&other.to_string()),
            };
            out(format!("  {k:<13} {shown}"))?;
        }
    }
    out(format!("summary  {}", summary(&e)))?;
    Ok(Outcome::Ok)
}

pub(super) fn conflicts(home: &Home, a: ConflictsArgs) -> Result<Outcome> {
    let store = home.open_store_read()?;
    let member = member_arg(&store, a.member.as_deref())?;
    let matter = a.matter.as_deref().map(parse_matter).transpose()?;
    let list = store.conflicts(member.as_ref(), matter.as_ref())?;
    let names = names(&store)?;
    if a.json {
        let v: Vec<Value> = list
            .iter()
            .map(|Current { entry, replaces }| {
                let mut j = entry_json(entry);
                j["name"] = names
                    .get(&entry.member)
                    .map(|n| Value::String(n.clone()))
                    .unwrap_or(Value::Null);
                j["replaces"] =
                    Value::Array(replaces.iter().map(|r| Value::String(r.to_hex())).collect());
                j
            })
            .collect();
        out(Value::Array(v).to_string())?;
        return Ok(Outcome::Ok);
    }
    if list.is_empty() {
        eprintln!(
            "(no current declarations{})",
            matter
                .as_ref()
                .map(|m| format!(" on {}", m.as_str()))
                .unwrap_or_default()
        );
    }
    let mut last: Option<MemberId> = None;
    for Current { entry: e, replaces } in &list {
        if last != Some(e.member) {
            out(who(&names, &e.member))?;
            last = Some(e.member);
        }
        let history = if replaces.is_empty() {
            String::new()
        } else {
            format!(
                " [version {} of {}]",
                replaces.len() + 1,
                replaces.last().map(|r| r.fingerprint()).unwrap_or_default()
            )
        };
        out(format!(
            "  {}  {}  {}{}",
            &e.id.to_hex()[..16],
            e.time.as_str(),
            summary(e),
            history
        ))?;
    }
    Ok(Outcome::Ok)
}

/// Columns of a `members` line before the name: fingerprint (19), entries (7), forks (5), head
/// (16), with two spaces after each.
const MEMBERS_FIXED: usize = 19 + 2 + 7 + 2 + 5 + 2 + 16 + 2;
/// The width every `members` line fits in.
const MEMBERS_WIDTH: usize = 80;
/// The fewest columns a capacity is cut to on a `members` line.
const MEMBERS_CAPACITY: usize = 10;

pub(super) fn members(home: &Home, a: MembersArgs) -> Result<Outcome> {
    let store = home.open_store_read()?;
    let heads = store.members()?;
    let profiles = store.profiles()?;
    let mut forks: HashMap<MemberId, u64> = HashMap::new();
    for f in store.forks()? {
        *forks.entry(f.member).or_default() += 1;
    }
    if a.json {
        let v: Vec<Value> = heads
            .iter()
            .map(|h| {
                let p = profiles.get(&h.member);
                json!({
                    "member": h.member.to_hex(),
                    "fingerprint": h.member.fingerprint(),
                    "name": p.map(|p| p.name.clone()),
                    "capacity": p.and_then(|p| p.capacity.clone()),
                    "affiliation": p.and_then(|p| p.affiliation.clone()),
                    "entries": h.seq,
                    "head": h.id.to_hex(),
                    "key": h.key.to_hex(),
                    "forks": forks.get(&h.member).copied().unwrap_or(0),
                })
            })
            .collect();
        out(Value::Array(v).to_string())?;
        return Ok(Outcome::Ok);
    }
    if heads.is_empty() {
        eprintln!("(no members: import their ledgers with `coi import FILE`)");
        return Ok(Outcome::Ok);
    }
    out(format!(
        "{:<19}  {:>7}  {:>5}  {:<16}  name, capacity",
        "fingerprint", "entries", "forks", "head"
    ))?;
    for h in &heads {
        let room = MEMBERS_WIDTH - MEMBERS_FIXED;
        let who = match profiles.get(&h.member) {
            None => "(no profile)".to_string(),
            Some(p) => match &p.capacity {
                None => fit(&p.name, room),
                Some(c) => {
                    // The name first: the capacity takes what the name leaves, but at least
                    // MEMBERS_CAPACITY columns when it is cut.
                    let name_wants = columns(&quote(&p.name));
                    let capacity =
                        fit(c, room.saturating_sub(name_wants + 2).max(MEMBERS_CAPACITY));
                    let name = fit(&p.name, room - columns(&capacity) - 2);
                    format!("{name}, {capacity}")
                }
            },
        };
        out(format!(
            "{}  {:>7}  {:>5}  {}  {}",
            h.member.fingerprint(),
            h.seq,
            forks.get(&h.member).copied().unwrap_or(0),
            &h.id.to_hex()[..16],
            who
        ))?;
    }
    Ok(Outcome::Ok)
}

/// The columns `s` may take on a terminal, counted high: two for every non-ASCII character (a
/// wide character takes two; the rest one or none).
fn columns(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// `s` quoted, cut so that it takes at most `room` columns; a cut value is marked with `…`
/// after its closing quote.
fn fit(s: &str, room: usize) -> String {
    let whole = quote(s);
    if columns(&whole) <= room {
        return whole;
    }
    // The longest prefix whose quoted form and the marker fit (quoting a longer prefix never
    // takes fewer columns).
    let mut ends: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
    ends.push(s.len());
    let (mut lo, mut hi) = (0, ends.len() - 1);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if columns(&quote(&s[..ends[mid]])) + 2 <= room {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    format!("{}…", quote(&s[..ends[lo]]))
}
