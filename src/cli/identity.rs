//! Identity commands: `init`, `whoami`, `profile`, `rotate-key`.

use clap::Args as ClapArgs;
use coi_ledger::display::escape;
use coi_ledger::home::{Home, KeyProtection};
use coi_ledger::store::Store;
use coi_ledger::{Data, Profile, Result};
use serde_json::json;

use super::render::row;
use super::{append_own, out, Outcome, Terminal};

#[derive(ClapArgs, Debug)]
pub(super) struct JsonArg {
    /// Machine-readable output.
    #[arg(long)]
    pub(super) json: bool,
}

/// A member's self-asserted profile, shared by `init` and `profile`.
#[derive(ClapArgs, Debug)]
pub(super) struct ProfileArgs {
    /// Your display name, as it will appear in published ledgers.
    #[arg(long)]
    name: String,
    /// Your capacity, e.g. "Trustee".
    #[arg(long)]
    capacity: Option<String>,
    /// Your affiliation.
    #[arg(long)]
    affiliation: Option<String>,
}

impl ProfileArgs {
    fn profile(&self) -> Profile {
        Profile {
            name: self.name.clone(),
            capacity: self.capacity.clone(),
            affiliation: self.affiliation.clone(),
        }
    }
}

// `init`: a member's home (`--name`), or an observer's (`--observer`).
#[derive(ClapArgs, Debug)]
pub(super) struct InitArgs {
    /// Your display name, as it will appear in published ledgers.
    #[arg(long, required_unless_present = "observer")]
    name: Option<String>,
    /// Your capacity, e.g. "Trustee".
    #[arg(long)]
    capacity: Option<String>,
    /// Your affiliation.
    #[arg(long)]
    affiliation: Option<String>,
    /// Store the key unencrypted (for scripts and tests). Otherwise the key is protected by a
    /// passphrase, prompted for on a terminal or taken from COI_PASSPHRASE.
    #[arg(long)]
    no_passphrase: bool,
    /// Make a home without a key, to import, read and verify others' ledgers; it is nobody's
    /// member. (`coi import` makes one too when there is no home.)
    #[arg(long, conflicts_with_all = ["name", "capacity", "affiliation", "no_passphrase"])]
    observer: bool,
}

#[derive(ClapArgs, Debug)]
pub(super) struct RotateKeyArgs {
    /// Store the new key unencrypted. Otherwise it is protected by a passphrase, prompted for on
    /// a terminal or taken from COI_PASSPHRASE.
    #[arg(long)]
    no_passphrase: bool,
}

/// How a new key is to be stored, from `--no-passphrase`.
fn protection(no_passphrase: bool) -> KeyProtection {
    if no_passphrase {
        KeyProtection::Unencrypted
    } else {
        KeyProtection::Passphrase
    }
}

pub(super) fn init(home: &Home, a: InitArgs) -> Result<Outcome> {
    let Some(name) = a.name else {
        home.init_observer()?;
        eprintln!(
            "Created the observer home {} (no key: it imports, reads and verifies ledgers; `coi init --name NAME` makes it a member's)",
            escape(&home.dir().display().to_string())
        );
        return Ok(Outcome::Ok);
    };
    let profile = Profile {
        name,
        capacity: a.capacity,
        affiliation: a.affiliation,
    };
    let member = home.init(profile, protection(a.no_passphrase), &Terminal)?;
    eprintln!(
        "Created {} with member {} ({})",
        escape(&home.dir().display().to_string()),
        member.fingerprint(),
        if a.no_passphrase {
            "key NOT encrypted"
        } else {
            "key protected by passphrase"
        }
    );
    out(member.to_hex())?;
    Ok(Outcome::Ok)
}

pub(super) fn whoami(home: &Home, json: bool) -> Result<Outcome> {
    let store = home.open_store_read()?;
    let me = match home.member(&store) {
        Ok(me) => me,
        Err(coi_ledger::Error::ObserverHome { .. }) => return whoami_observer(home, &store, json),
        Err(e) => return Err(e),
    };
    let head = store.head(&me)?;
    if json {
        let v = json!({
            "member": me.to_hex(),
            "observer": false,
            "fingerprint": me.fingerprint(),
            "name": head.as_ref().and_then(|h| h.name.clone()),
            "key": head.as_ref().map(|h| h.key.to_hex()),
            "entries": head.as_ref().map(|h| h.seq).unwrap_or(0),
            "head": head.as_ref().map(|h| h.id.to_hex()),
            "home": home.dir().display().to_string(),
        });
        out(v.to_string())?;
    } else {
        row(format!("member       {}", me.to_hex()))?;
        row(format!("fingerprint  {}", me.fingerprint()))?;
        row(format!(
            "name         {}",
            head.as_ref()
                .and_then(|h| h.name.as_deref())
                .map(escape)
                .unwrap_or_else(|| "(none)".into())
        ))?;
        row(format!(
            "entries      {}",
            head.as_ref().map(|h| h.seq).unwrap_or(0)
        ))?;
        row(format!(
            "head         {}",
            head.as_ref()
                .map(|h| h.id.to_hex())
                .unwrap_or_else(|| "(none)".into())
        ))?;
        row(format!(
            "home         {}",
            escape(&home.dir().display().to_string())
        ))?;
    }
    Ok(Outcome::Ok)
}

/// `whoami` in a home without a key: nobody, and how many members the store knows.
fn whoami_observer(home: &Home, store: &Store, json: bool) -> Result<Outcome> {
    let members = store.members()?.len();
    let dir = home.dir().display().to_string();
    if json {
        let v = json!({
            "member": null,
            "observer": true,
            "members_known": members,
            "home": dir,
        });
        out(v.to_string())?;
    } else {
        row("member       (none: an observer home, with no key)")?;
        row(format!("members      {members} known to the store"))?;
        row(format!("home         {}", escape(&dir)))?;
    }
    Ok(Outcome::Ok)
}

pub(super) fn profile(home: &Home, a: ProfileArgs) -> Result<Outcome> {
    append_own(home, |_, _| Ok(Data::Profile(a.profile())))
}

pub(super) fn rotate_key(home: &Home, a: RotateKeyArgs) -> Result<Outcome> {
    let mut store = home.open_store()?;
    let me = home.member(&store)?;
    let rotation = home.rotate_key(&mut store, &me, protection(a.no_passphrase), &Terminal)?;
    eprintln!(
        "Rotated to key {}; member id unchanged ({})",
        &rotation.key.to_hex()[..16],
        me.fingerprint()
    );
    out(rotation.entry.id.to_hex())?;
    Ok(Outcome::Ok)
}
