//! Store maintenance: `fsck`.

use clap::Args as ClapArgs;
use coi_ledger::display::escape;
use coi_ledger::home::Home;
use coi_ledger::Result;
use serde_json::json;

use super::render::row;
use super::{out, Outcome};

#[derive(ClapArgs, Debug)]
pub(super) struct FsckArgs {
    /// Machine-readable report.
    #[arg(long)]
    json: bool,
}

/// Checks the store against its own lines: every line verifies again, every derived row is what
/// the lines make. Exit 1 when anything differs.
pub(super) fn fsck(home: &Home, a: FsckArgs) -> Result<Outcome> {
    let store = home.open_store_read()?;
    let c = store.check()?;
    if a.json {
        out(json!({
            "sound": c.is_sound(),
            "entries": c.entries,
            "members": c.members,
            "problems": c.problems,
            "problems_total": c.total,
        })
        .to_string())?;
        return Ok(Outcome::of(c.is_sound()));
    }
    for p in &c.problems {
        row(format!("store: {}", escape(p)))?;
    }
    if c.total > c.problems.len() as u64 {
        row(format!(
            "store: and {} more problems",
            c.total - c.problems.len() as u64
        ))?;
    }
    if c.is_sound() {
        row(format!(
            "store: sound: {} entries from {} members verify, and every derived row matches them",
            c.entries, c.members
        ))?;
    } else {
        row(format!(
            "store: DAMAGED: {} problem(s). The lines are the record: re-import the published files into a fresh home, or restore a backup",
            c.total
        ))?;
    }
    Ok(Outcome::of(c.is_sound()))
}
