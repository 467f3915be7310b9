//! Reading commands: `log`, `show`, `conflicts`, `members`. They open the store read-only when
//! the home cannot be written, and work in an observer home (one without a key).

use std::collections::HashMap;

use clap::Args as ClapArgs;
use coi_ledger::display::{escape, quote};
use coi_ledger::home::Home;
use coi_ledger::register::{Ending, Point, State};
use coi_ledger::store::StoredEntry;
use coi_ledger::{MemberId, Result, Scope, Timestamp};
use serde_json::{json, Value};

use super::render::{decl_summary, entry_json, names, row, summary, who};
use super::{member_arg, out, parse_date, parse_matter, Outcome};

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
    /// The register as it stood at the end of DATE (YYYY-MM-DD, UTC) [default: now].
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Also show declarations not in force then: ended, withdrawn, retracted, not yet begun.
    #[arg(long)]
    ended: bool,
    /// Answer for a matter that no entry names (otherwise refused as a likely typo, exit 1).
    #[arg(long)]
    allow_unknown: bool,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

pub(super) fn log(home: &Home, a: LogArgs) -> Result<Outcome> {
    let store = home.open_store_read()?;
    let member = member_arg(&store, a.member.as_deref())?;
    let names = names(&store)?;
    let restricted = store.restricted()?;
    let mut any = false;
    store.log_each(
        member.as_ref(),
        a.limit,
        |StoredEntry { entry: e, .. }| {
            any = true;
            if a.json {
                out(entry_json(&e).to_string())
            } else {
                row(format!(
                    "{}  {}  {} #{}  {:<13} {}{}",
                    &e.id.to_hex()[..16],
                    e.time.as_str(),
                    who(&names, &e.member),
                    e.seq,
                    e.kind(),
                    summary(&e),
                    super::seal::note(&restricted, &e.id, &e.data)
                ))
            }
        },
    )?;
    if !a.json && !any {
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
    row(format!("id       {}", e.id))?;
    row(format!("member   {}", who(&names, &e.member)))?;
    row(format!("         {}", e.member))?;
    row(format!("seq      {}", e.seq))?;
    row(format!("prev     {}", e.prev))?;
    row(format!("time     {}", e.time.as_str()))?;
    row(format!("kind     {}", e.kind()))?;
    row(format!("key      {}", e.key.to_hex()))?;
    let body: Value = serde_json::from_str(e.body()).unwrap_or(Value::Null);
    if let Some(Value::Object(data)) = body.get("data") {
        for (k, v) in data {
            let shown = match v {
                Value::String(s) => quote(s),
                other => escape(&other.to_string()),
            };
            row(format!("  {k:<13} {shown}"))?;
        }
    }
    row(format!(
        "summary  {}{}",
        summary(&e),
        super::seal::note(&store.restricted()?, &e.id, &e.data)
    ))?;
    Ok(Outcome::Ok)
}

pub(super) fn conflicts(home: &Home, a: ConflictsArgs) -> Result<Outcome> {
    let store = home.open_store_read()?;
    let restricted = store.restricted()?;
    let member = member_arg(&store, a.member.as_deref())?;
    let matter = a.matter.as_deref().map(parse_matter).transpose()?;
    if let Some(m) = &matter {
        if !a.allow_unknown && !store.matter_known(m)? {
            eprintln!(
                "coi: no entry in this store names matter {} (a typo?); \
                 --allow-unknown lists the standing declarations that would apply to it anyway",
                quote(m.as_str())
            );
            return Ok(Outcome::Failed);
        }
    }
    let point = match &a.as_of {
        Some(d) => Point::end_of(&parse_date(d)?),
        None => Point::at_time(Timestamp::now()),
    };
    let register = store.register(member.as_ref())?;
    let standing = register.standing(&point, matter.as_ref());
    let names = names(&store)?;
    let shown = |s: &State<'_>| a.ended || s.is_current();
    if a.json {
        let mut rows: Vec<(MemberId, u64, Value)> = Vec::new();
        for st in &standing {
            for (interest, state) in &st.interests {
                if !shown(state) {
                    continue;
                }
                let v = state.version();
                let mut j = entry_json(&store.find(&v.mark.id.to_hex())?.entry);
                j["name"] = name_json(&names, st.member);
                j["state"] = Value::String(state_name(state).into());
                j["replaces"] = Value::Array(
                    interest
                        .earlier(v)
                        .map(|x| Value::String(x.mark.id.to_hex()))
                        .collect(),
                );
                if let State::Withdrawn(_, end) | State::Retracted(_, end) = state {
                    j["ended_by"] = Value::String(end.mark.id.to_hex());
                }
                rows.push((*st.member, v.mark.seq, j));
            }
            for nil in &st.nil_returns {
                let mut j = entry_json(&store.find(&nil.mark.id.to_hex())?.entry);
                j["name"] = name_json(&names, st.member);
                j["state"] = Value::String("none".into());
                j["contradicts"] = Value::Array(
                    st.record
                        .contradicted_by(st.member, nil)
                        .map(|i| Value::String(i.first().mark.id.to_hex()))
                        .collect(),
                );
                rows.push((*st.member, nil.mark.seq, j));
            }
        }
        rows.sort_by_key(|(m, seq, _)| (*m, *seq));
        out(Value::Array(rows.into_iter().map(|(_, _, j)| j).collect()).to_string())?;
        return Ok(Outcome::Ok);
    }
    let on = matter
        .as_ref()
        .map(|m| format!(" on {}", m.as_str()))
        .unwrap_or_default();
    let mut hidden = 0usize;
    let mut printed = false;
    for st in &standing {
        let mut lines: Vec<(u64, String)> = Vec::new();
        for (interest, state) in &st.interests {
            if !shown(state) {
                hidden += 1;
                continue;
            }
            let v = state.version();
            let earlier = interest.earlier(v).count();
            let history = if earlier == 0 {
                String::new()
            } else {
                format!(
                    " [version {} of {}]",
                    earlier + 1,
                    interest.first().mark.id.fingerprint()
                )
            };
            lines.push((
                v.mark.seq,
                format!(
                    "  {}  {}  {}{}{}{}",
                    &v.mark.id.to_hex()[..16],
                    v.mark.time.as_str(),
                    state_prefix(state),
                    decl_summary(&v.declaration),
                    v.declaration
                        .sealed
                        .as_ref()
                        .map(|_| super::seal::restricted_note(restricted.get(&v.mark.id)))
                        .unwrap_or_default(),
                    history
                ),
            ));
        }
        for nil in &st.nil_returns {
            let said = match (&nil.scope, &nil.matters) {
                (Scope::Specific, Some(ms)) => format!(
                    "none: no conflict on {}",
                    ms.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
                ),
                _ => "none: nil return, no interests to register".to_string(),
            };
            let against: Vec<String> = st
                .record
                .contradicted_by(st.member, nil)
                .map(|i| i.first().mark.id.fingerprint())
                .collect();
            let contradiction = if against.is_empty() {
                String::new()
            } else {
                format!(
                    "; CONTRADICTS current declaration(s) {}",
                    against.join(", ")
                )
            };
            lines.push((
                nil.mark.seq,
                format!(
                    "  {}  {}  {said}{contradiction}",
                    &nil.mark.id.to_hex()[..16],
                    nil.mark.time.as_str()
                ),
            ));
        }
        if lines.is_empty() {
            continue;
        }
        lines.sort_by_key(|(seq, _)| *seq);
        row(who(&names, st.member))?;
        for (_, l) in lines {
            row(l)?;
        }
        printed = true;
    }
    if !printed {
        eprintln!(
            "(no current declarations or nil returns{on} as of {})",
            point.date()
        );
    }
    if hidden > 0 {
        eprintln!(
            "({hidden} declaration(s){on} not in force as of {}: ended, withdrawn, retracted or not yet begun; --ended shows them)",
            point.date()
        );
    }
    Ok(Outcome::Ok)
}

fn name_json(names: &std::collections::HashMap<MemberId, String>, m: &MemberId) -> Value {
    names
        .get(m)
        .map(|n| Value::String(n.clone()))
        .unwrap_or(Value::Null)
}

/// The state's name in `--json`.
fn state_name(s: &State<'_>) -> &'static str {
    match s {
        State::Current(_) => "current",
        State::NotYet(_) => "not-yet",
        State::Expired(_) => "expired",
        State::Withdrawn(..) => "withdrawn",
        State::Retracted(..) => "retracted",
    }
}

/// What a line says first about a declaration that is not in force.
fn state_prefix(s: &State<'_>) -> String {
    match s {
        State::Current(_) => String::new(),
        State::NotYet(v) => format!(
            "NOT YET (from {}): ",
            v.declaration.since.as_ref().map_or("", |d| d.as_str())
        ),
        State::Expired(v) => format!(
            "ENDED (until {}): ",
            v.declaration.until.as_ref().map_or("", |d| d.as_str())
        ),
        State::Withdrawn(_, e) => match &e.how {
            Ending::Withdrawn { until: Some(u) } => {
                format!("ENDED {} (withdrawn {}): ", u.as_str(), e.mark.time.date())
            }
            _ => format!("ENDED (withdrawn {}): ", e.mark.time.date()),
        },
        State::Retracted(_, e) => match &e.how {
            Ending::Retracted { reason } => {
                format!("RETRACTED {} ({}): ", e.mark.time.date(), quote(reason))
            }
            Ending::Withdrawn { .. } => format!("RETRACTED {}: ", e.mark.time.date()),
        },
    }
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
