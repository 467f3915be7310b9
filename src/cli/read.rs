//! Reading commands: `log`, `show`, `conflicts`.

use clap::Args as ClapArgs;
use coi_ledger::display::{escape, quote};
use coi_ledger::home::Home;
use coi_ledger::store::{Current, StoredEntry};
use coi_ledger::{MemberId, Result};
use serde_json::Value;

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
    let store = home.open_store()?;
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
    let store = home.open_store()?;
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
    let store = home.open_store()?;
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
