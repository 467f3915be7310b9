//! Meeting commands: `agenda`, `prompt`, `vote`, `determine`, `check`, `minutes` (spec §8).

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::PathBuf;

use clap::Args as ClapArgs;
use coi_ledger::check::{
    self, Chains, Gather, Judgement, Options, Participant, Records, Restriction, Status, Which,
};
use coi_ledger::home::Home;
use coi_ledger::register::{declaration_touches, Register, State};
use coi_ledger::store::Store;
use coi_ledger::{
    Agenda, AgendaItem, Ballot, Data, Determination, Entry, EntryId, Error, Matter, MemberId,
    Outcome as Ruling, Participation, Presence, Result, Scope, Timestamp, Vote, VoteResult,
    MAX_HEADS,
};
use serde::Serialize;

use super::publish::open_input;
use super::render::{self, decl_summary, q, row};
use super::{append_own, out, out_json, parse_matter, Outcome, Terminal};

/// The fewest hex characters that name a member or entry a command acts on for someone else
/// (a vote's participants, a determination's declaration): a fingerprint's 16.
const MIN_OTHER_PREFIX: usize = 16;

#[derive(ClapArgs, Debug)]
pub(super) struct AgendaArgs {
    /// The meeting, e.g. board-2026-12.
    #[arg(long)]
    meeting: String,
    /// An agenda item: its matter, optionally with a title (`board-2026-12/item-4=Budget`).
    /// Repeat for each item, in agenda order.
    #[arg(long = "item", value_name = "MATTER[=TITLE]", required = true)]
    items: Vec<String>,
    /// A counterparty an item concerns (`board-2026-12/item-4=Acme Corp`): standing
    /// declarations with that counterparty touch the item. Repeat as needed.
    #[arg(long = "concerns", value_name = "MATTER=COUNTERPARTY")]
    concerns: Vec<String>,
    /// The meeting's title.
    #[arg(long)]
    title: Option<String>,
    /// When the meeting is to be held (YYYY-MM-DDTHH:MM:SSZ).
    #[arg(long, value_name = "TIME")]
    scheduled: Option<String>,
}

#[derive(ClapArgs, Debug)]
pub(super) struct PromptArgs {
    /// The meeting [default: the one of the latest agenda held].
    #[arg(long)]
    meeting: Option<String>,
    /// Whose declarations to show [default: yours].
    #[arg(long)]
    member: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
pub(super) struct VoteArgs {
    /// The agenda item voted on.
    #[arg(long)]
    matter: String,
    /// Members who voted yes (fingerprint or id: at least 16 hex characters). Repeatable.
    #[arg(long = "yes", value_name = "ID")]
    yes: Vec<String>,
    /// Members who voted no.
    #[arg(long = "no", value_name = "ID")]
    no: Vec<String>,
    /// Members present who abstained.
    #[arg(long = "abstain", value_name = "ID")]
    abstain: Vec<String>,
    /// Members present who recused themselves.
    #[arg(long = "recused", value_name = "ID")]
    recused: Vec<String>,
    /// Members present whose ballot is secret (presence only).
    #[arg(long = "present", value_name = "ID")]
    present: Vec<String>,
    /// Members absent.
    #[arg(long = "absent", value_name = "ID")]
    absent: Vec<String>,
    /// Members excused.
    #[arg(long = "excused", value_name = "ID")]
    excused: Vec<String>,
    /// carried | failed | tied | withdrawn | deferred
    #[arg(long)]
    result: Option<VoteResult>,
    /// The motion put to the vote.
    #[arg(long)]
    motion: Option<String>,
    /// When the vote was held (YYYY-MM-DDTHH:MM:SSZ) [default: now].
    #[arg(long, value_name = "TIME")]
    held: Option<String>,
    /// The agenda entry the vote relies on [default: the latest agenda held that lists the matter].
    #[arg(long, value_name = "ID", conflicts_with = "no_agenda")]
    agenda: Option<String>,
    /// Record the vote without an agenda (no standing declaration is then linked to it).
    #[arg(long)]
    no_agenda: bool,
    /// Do not commit the vote to a checkpoint of this store's body log (by default, with a log
    /// key, it commits to the latest checkpoint with a cosignature).
    #[arg(long)]
    no_checkpoint: bool,
}

#[derive(ClapArgs, Debug)]
pub(super) struct DetermineArgs {
    /// The declaration decided on (entry id or prefix of at least 16 hex characters).
    declaration: String,
    /// no-conflict | disclose-only | abstain | recuse | waiver
    #[arg(long)]
    outcome: Ruling,
    /// The matter the determination is for [default: every matter the declaration touches].
    #[arg(long)]
    matter: Option<String>,
    /// A note for the minutes.
    #[arg(long)]
    note: Option<String>,
}

/// Where a judgement's entries come from.
#[derive(ClapArgs, Debug)]
pub(super) struct SourceArgs {
    /// Judge these published ledger files alone: no home, no store, no key (`-` reads standard
    /// input). Every file must verify.
    #[arg(long = "ledger", value_name = "FILE", num_args = 1..)]
    ledger: Vec<PathBuf>,
    /// Worker threads for verifying --ledger files, 1 to 256 [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,
    /// Flag a standing declaration, nil return or reaffirmation older than DAYS at the vote.
    #[arg(long, value_name = "DAYS", default_value_t = check::DEFAULT_MAX_AGE_DAYS)]
    max_age: u32,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  coi check --matter board-2026-12/item-2                 from your store
  coi check --matter board-2026-12/item-2 --ledger body.ledger a.ledger b.ledger
  coi check --matter board-2026-12/item-2 --json")]
pub(super) struct CheckArgs {
    /// The matter (agenda item) to check.
    #[arg(long)]
    matter: String,
    /// Only this vote (its entry id or a prefix of at least 16 hex characters) [default: every
    /// vote on the matter; with none, the register as it stands].
    #[arg(long, value_name = "ID")]
    vote: Option<String>,
    /// Judge a matter that nothing held names (otherwise refused as a likely typo, exit 1).
    #[arg(long)]
    allow_unknown: bool,
    /// Say, for the vote's checkpoint and each declaration's, whether the cosignatures meet the
    /// quorum of this C2SP tlog-policy file (the witnesses you trust).
    #[arg(long, value_name = "FILE")]
    policy: Option<std::path::PathBuf>,
    #[command(flatten)]
    source: SourceArgs,
}

#[derive(ClapArgs, Debug)]
pub(super) struct MinutesArgs {
    /// The meeting.
    #[arg(long)]
    meeting: String,
    #[command(flatten)]
    source: SourceArgs,
}

fn parse_time(s: &str) -> Result<Timestamp> {
    Timestamp::parse(s).map_err(Error::Invalid)
}

/// Refuses a prefix too short to name someone else's member id or entry safely.
fn long_enough(text: &str, what: &str) -> Result<()> {
    let hex = text
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .count();
    if hex < MIN_OTHER_PREFIX {
        return Err(Error::Invalid(format!(
            "{what} {}: give at least {MIN_OTHER_PREFIX} hex characters (a fingerprint such as 0123-4567-89ab-cdef, or the full id) when acting on someone else's record",
            q(text)
        )));
    }
    Ok(())
}

pub(super) fn agenda(home: &Home, a: AgendaArgs) -> Result<Outcome> {
    let meeting = parse_matter(&a.meeting)?;
    let mut items: Vec<AgendaItem> = Vec::new();
    for spec in &a.items {
        let (m, title) = match spec.split_once('=') {
            Some((m, t)) => (m, Some(t.to_string())),
            None => (spec.as_str(), None),
        };
        let matter = parse_matter(m)?;
        if items.iter().any(|i| i.matter == matter) {
            return Err(Error::Invalid(format!(
                "--item {} is given twice",
                matter.as_str()
            )));
        }
        items.push(AgendaItem {
            concerns: None,
            matter,
            title,
        });
    }
    for spec in &a.concerns {
        let Some((m, who)) = spec.split_once('=') else {
            return Err(Error::Invalid(format!(
                "--concerns {}: write MATTER=COUNTERPARTY",
                q(spec)
            )));
        };
        let matter = parse_matter(m)?;
        let Some(item) = items.iter_mut().find(|i| i.matter == matter) else {
            return Err(Error::Invalid(format!(
                "--concerns names {}, which is not an --item of this agenda",
                matter.as_str()
            )));
        };
        let list = item.concerns.get_or_insert_with(Vec::new);
        list.push(who.to_string());
        list.sort();
        list.dedup();
    }
    let scheduled = a.scheduled.as_deref().map(parse_time).transpose()?;
    let data = Data::Agenda(Agenda {
        items,
        meeting,
        scheduled,
        title: a.title,
    });
    // The schema's own rules (lengths, limits) with its messages.
    data.validate().map_err(|e| Error::Invalid(e.message))?;
    append_own(home, |_, _| Ok(data))
}

/// The latest agenda entry of `meeting` held, and the same publisher's agenda for it item by
/// item (spec §8.4: the latest of their entries that lists each item).
fn meeting_agenda(
    agendas: &[Entry],
    meeting: Option<&Matter>,
) -> Option<(Entry, Vec<AgendaItem>, usize)> {
    let of = |e: &Entry| match &e.data {
        Data::Agenda(a) => Some(a.clone()),
        _ => None,
    };
    let latest = agendas
        .iter()
        .filter(|e| of(e).is_some_and(|a| meeting.is_none_or(|m| &a.meeting == m)))
        .max_by_key(|e| (e.time, e.seq))?;
    let meeting = of(latest)?.meeting;
    let mine: Vec<(&Entry, Agenda)> = agendas
        .iter()
        .filter(|e| e.member == latest.member)
        .filter_map(|e| of(e).filter(|a| a.meeting == meeting).map(|a| (e, a)))
        .collect();
    // Items in the order of the first entry listing them; each as its latest listing says.
    let mut items: Vec<AgendaItem> = Vec::new();
    for (_, a) in mine.iter() {
        for i in &a.items {
            match items.iter_mut().find(|x| x.matter == i.matter) {
                Some(x) => *x = i.clone(),
                None => items.push(i.clone()),
            }
        }
    }
    Some((latest.clone(), items, mine.len()))
}

#[derive(Serialize)]
struct PromptItem<'a> {
    matter: &'a Matter,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    concerns: Vec<&'a str>,
    declarations: Vec<String>,
    no_conflict: Option<String>,
    nil_return: Option<String>,
    said_nothing: bool,
    commands: Vec<String>,
}

pub(super) fn prompt(home: &Home, a: PromptArgs) -> Result<Outcome> {
    let store = home.open_store_read()?;
    let member = match &a.member {
        Some(m) => store.resolve_member(m)?,
        None => home.member(&store)?,
    };
    let meeting = a.meeting.as_deref().map(parse_matter).transpose()?;
    let agendas = store.agendas(meeting.as_ref())?;
    let Some((latest, items, entries)) = meeting_agenda(&agendas, meeting.as_ref()) else {
        return Err(Error::Invalid(match &meeting {
            Some(m) => format!(
                "no agenda for {} is held: import the chair's ledger",
                m.as_str()
            ),
            None => "no agenda is held: import the chair's ledger, or give --meeting".into(),
        }));
    };
    let names = store.names()?;
    let register = store.register(Some(&member))?;
    let now = Timestamp::now();
    let point = coi_ledger::register::Point::at_time(now);
    let record = register.member(&member).cloned().unwrap_or_default();
    let Data::Agenda(head) = &latest.data else {
        return Ok(Outcome::Ok);
    };
    let mut views = Vec::new();
    for item in &items {
        let mut declarations = Vec::new();
        for (_, state) in record.interests_at(&point) {
            let State::Current(v) = state else { continue };
            let d = &v.declaration;
            let hit = match d.scope {
                Scope::Specific => declaration_touches(d, &item.matter),
                Scope::Standing => item.concerns(&d.counterparty),
            };
            if hit {
                declarations.push(format!(
                    "{}  {}",
                    &v.mark.id.to_hex()[..16],
                    decl_summary(d)
                ));
            }
        }
        let nils: Vec<_> = record.nil_returns_at(&member, &point).collect();
        let no_conflict = nils
            .iter()
            .rev()
            .find(|n| n.scope == Scope::Specific && n.touches(&item.matter))
            .map(|n| {
                format!(
                    "{}  no conflict, said {}",
                    &n.mark.id.to_hex()[..16],
                    n.mark.time.as_str()
                )
            });
        let nil_return = nils
            .iter()
            .rev()
            .find(|n| n.scope == Scope::Standing)
            .map(|n| {
                format!(
                    "{}  nil return of {}",
                    &n.mark.id.to_hex()[..16],
                    n.mark.time.as_str()
                )
            });
        let said_nothing = declarations.is_empty() && no_conflict.is_none();
        let m = item.matter.as_str();
        let commands = if said_nothing {
            vec![
                format!("coi declare --matter {m} --category CATEGORY --between BETWEEN --counterparty NAME --mitigation disclose-only|abstain|recuse"),
                format!("coi declare --none --matter {m}"),
            ]
        } else {
            Vec::new()
        };
        views.push(PromptItem {
            matter: &item.matter,
            title: item.title.as_deref(),
            concerns: item.concerns.iter().flatten().map(String::as_str).collect(),
            declarations,
            no_conflict,
            nil_return,
            said_nothing,
            commands,
        });
    }
    if a.json {
        out_json(&serde_json::json!({
            "meeting": head.meeting,
            "agenda": latest.id.to_hex(),
            "publisher": latest.member.to_hex(),
            "member": member.to_hex(),
            "items": views,
        }))?;
        return Ok(Outcome::Ok);
    }
    let who = |m: &MemberId| render::who(&names, m);
    row(format!(
        "meeting {}{}: agenda {} by {} ({} entr{}){}",
        head.meeting.as_str(),
        head.title
            .as_deref()
            .map(|t| format!(" {}", q(t)))
            .unwrap_or_default(),
        &latest.id.to_hex()[..16],
        who(&latest.member),
        entries,
        if entries == 1 { "y" } else { "ies" },
        head.scheduled
            .map(|t| format!(", scheduled {}", t.as_str()))
            .unwrap_or_default()
    ))?;
    row(format!("for {}", who(&member)))?;
    let mut silent = 0;
    for v in &views {
        out("")?;
        row(format!(
            "{}{}",
            v.matter.as_str(),
            v.title.map(|t| format!("  {}", q(t))).unwrap_or_default()
        ))?;
        if !v.concerns.is_empty() {
            row(format!(
                "  concerns {}",
                v.concerns
                    .iter()
                    .map(|c| q(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))?;
        }
        for d in &v.declarations {
            row(format!("  declared    {d}"))?;
        }
        if let Some(n) = &v.no_conflict {
            row(format!("  declared    {n}"))?;
        }
        if v.said_nothing {
            silent += 1;
            match &v.nil_return {
                Some(n) => row(format!(
                    "  nothing on this item; your standing {n} stands for it unless it has changed"
                ))?,
                None => row("  nothing said on this item yet")?,
            }
            row("  declare a conflict, or that you have none:")?;
            for c in &v.commands {
                row(format!("    {c}"))?;
            }
        }
    }
    out("")?;
    row(format!(
        "{} item(s), {} with nothing said by {}",
        views.len(),
        silent,
        member.fingerprint()
    ))?;
    Ok(Outcome::Ok)
}

pub(super) fn vote(home: &Home, a: VoteArgs) -> Result<Outcome> {
    let matter = parse_matter(&a.matter)?;
    let mut store = home.open_store()?;
    let me = home.member(&store)?;
    let groups: [(&[String], Presence, Option<Ballot>, &str); 7] = [
        (&a.yes, Presence::Present, Some(Ballot::Yes), "--yes"),
        (&a.no, Presence::Present, Some(Ballot::No), "--no"),
        (
            &a.abstain,
            Presence::Present,
            Some(Ballot::Abstain),
            "--abstain",
        ),
        (
            &a.recused,
            Presence::Present,
            Some(Ballot::Recused),
            "--recused",
        ),
        (&a.present, Presence::Present, None, "--present"),
        (&a.absent, Presence::Absent, None, "--absent"),
        (&a.excused, Presence::Excused, None, "--excused"),
    ];
    let heads = store.heads()?;
    let mut parts: BTreeMap<MemberId, (Presence, Option<Ballot>, &str)> = BTreeMap::new();
    for (list, presence, ballot, flag) in groups {
        for text in list {
            long_enough(text, flag)?;
            let m = store.resolve_member(text)?;
            if !heads.contains_key(&m) {
                return Err(Error::Invalid(format!(
                    "{flag} {}: the store holds no entry of this member, so the vote cannot commit to what they declared: import their ledger first",
                    m.fingerprint()
                )));
            }
            if let Some((_, _, other)) = parts.insert(m, (presence, ballot, flag)) {
                return Err(Error::Invalid(format!(
                    "{} is given twice ({other} and {flag})",
                    m.fingerprint()
                )));
            }
        }
    }
    if parts.is_empty() {
        return Err(Error::Invalid(
            "name the participants: --yes, --no, --abstain, --recused, --present, --absent or --excused".into(),
        ));
    }
    let held = match &a.held {
        Some(t) => parse_time(t)?,
        None => Timestamp::now(),
    };
    let agenda = if a.no_agenda {
        None
    } else if let Some(id) = &a.agenda {
        let e = store.find(id)?.entry;
        match &e.data {
            Data::Agenda(ag) if ag.item(&matter).is_some() => Some(e.id),
            Data::Agenda(_) => {
                return Err(Error::Invalid(format!(
                    "agenda {} does not list {}",
                    e.id.fingerprint(),
                    matter.as_str()
                )))
            }
            _ => {
                return Err(Error::Invalid(format!(
                    "{} is a {} entry, not an agenda",
                    e.id.fingerprint(),
                    e.kind()
                )))
            }
        }
    } else {
        let listing = store.entries_naming(&matter)?;
        match listing
            .iter()
            .filter(|e| matches!(&e.data, Data::Agenda(ag) if ag.item(&matter).is_some()))
            .max_by_key(|e| (e.time, e.seq))
        {
            Some(e) => Some(e.id),
            None => {
                return Err(Error::Invalid(format!(
                    "no agenda held lists {}: import the chair's ledger, give --agenda ID, or --no-agenda (then no standing declaration is linked to the vote)",
                    matter.as_str()
                )))
            }
        }
    };
    let checkpoint = if a.no_checkpoint {
        None
    } else {
        super::checkpoint::vote_checkpoint(home, &store)?
    };
    let key = home.signing_key(&store, &me, &Terminal)?;
    let all: Vec<_> = parts.into_iter().collect();
    let mut first: Option<EntryId> = None;
    for chunk in all.chunks(MAX_HEADS) {
        let participation = chunk
            .iter()
            .map(|(m, (presence, vote, _))| Participation {
                member: *m,
                presence: *presence,
                vote: *vote,
            })
            .collect();
        let vote_heads = chunk
            .iter()
            .filter_map(|(m, _)| heads.get(m).cloned())
            .collect();
        let data = Data::Vote(Vote {
            agenda,
            checkpoint: checkpoint.clone(),
            continues: first,
            heads: vote_heads,
            held,
            matter: matter.clone(),
            motion: a.motion.clone(),
            participation,
            result: a.result,
        });
        data.validate().map_err(|e| Error::Invalid(e.message))?;
        let entry = store.append(&key.secret, &me, data)?;
        out(entry.id.to_hex())?;
        first.get_or_insert(entry.id);
    }
    Ok(Outcome::Ok)
}

pub(super) fn determine(home: &Home, a: DetermineArgs) -> Result<Outcome> {
    long_enough(&a.declaration, "declaration")?;
    let matter = a.matter.as_deref().map(parse_matter).transpose()?;
    append_own(home, |store, me| {
        let e = store.find(&a.declaration)?.entry;
        let Some(d) = e.data.declaration() else {
            return Err(Error::Invalid(format!(
                "{} is a {} entry, not a declaration",
                e.id.fingerprint(),
                e.kind()
            )));
        };
        if e.member == *me {
            return Err(Error::Invalid(
                "a determination is made by another member than the declarant (spec §8.2)".into(),
            ));
        }
        if let Some(m) = &matter {
            if d.scope == Scope::Specific && !declaration_touches(d, m) {
                return Err(Error::Invalid(format!(
                    "declaration {} is not about {}",
                    e.id.fingerprint(),
                    m.as_str()
                )));
            }
        }
        Ok(Data::Determination(Determination {
            declaration: e.id,
            matter,
            member: e.member,
            note: a.note,
            outcome: a.outcome,
        }))
    })
}

/// Entries gathered from a store or from published files.
enum Source {
    Store(Store),
    Files(Box<Gather>),
}

impl Source {
    /// The store, or the files gathered; `None` (reported on standard error) when the files
    /// do not verify.
    fn open(home: impl FnOnce() -> Result<Home>, s: &SourceArgs) -> Result<Option<Source>> {
        if s.ledger.is_empty() {
            return Ok(Some(Source::Store(home()?.open_store_read()?)));
        }
        let mut names = Vec::new();
        let mut readers: Vec<Box<dyn io::BufRead>> = Vec::new();
        for path in &s.ledger {
            if path.as_os_str() == "-" {
                readers.push(Box::new(io::BufReader::with_capacity(1 << 20, io::stdin())));
                names.push("(standard input)".to_string());
            } else {
                readers.push(Box::new(open_input(path)?));
                names.push(path.display().to_string());
            }
        }
        let mut gather = Gather::new();
        let mut problems: Vec<String> = Vec::new();
        let mut count = 0u64;
        let reports = coi_ledger::verify_files_accepted(
            readers,
            coi_ledger::VerifyOptions {
                threads: s.threads.map(usize::from),
            },
            |_, _, e| {
                gather.push(e);
                Ok::<(), Error>(())
            },
            |f| {
                if let coi_ledger::Finding::Problem { file, problem } = f {
                    if problem.class != coi_ledger::ErrorClass::BadHead {
                        count += 1;
                        if problems.len() < 10 {
                            problems.push(format!(
                                "{}:{}: {}: {}",
                                names[file], problem.line, problem.class, problem.message
                            ));
                        }
                    }
                }
                Ok(())
            },
            |_, _| {},
        )?;
        if let Some(i) = reports.iter().position(|r| r.lines == 0) {
            return Err(Error::Invalid(format!(
                "{} is empty: nothing to check (an empty download usually means it failed)",
                names[i]
            )));
        }
        if count > 0 {
            for p in &problems {
                eprintln!("coi: {}", coi_ledger::display::sanitize(p));
            }
            eprintln!(
                "coi: the files do not verify ({count} problem(s), the first shown above): check judges only files that verify; run `coi verify` on them"
            );
            return Ok(None);
        }
        Ok(Some(Source::Files(Box::new(gather))))
    }

    /// Resolves `--vote` among the votes on `matter`.
    fn vote_id(&self, text: &str, records: &Records) -> Result<EntryId> {
        long_enough(text, "--vote")?;
        let hex: String = text
            .chars()
            .filter(|c| *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let found: Vec<EntryId> = records
            .votes
            .iter()
            .filter(|e| e.id.to_hex().starts_with(&hex))
            .map(|e| e.id)
            .collect();
        match found.as_slice() {
            [id] => Ok(*id),
            [] => Err(Error::Invalid(format!(
                "no vote on this matter has an id starting with {}",
                q(text)
            ))),
            _ => Err(Error::Invalid(format!(
                "{} names several votes: give more characters",
                q(text)
            ))),
        }
    }

    fn judge(&self, matter: &Matter, vote: Option<&str>, max_age: u32) -> Result<Vec<Judgement>> {
        let options = Options {
            now: Timestamp::now(),
            max_age_days: max_age,
        };
        let run = |register: &Register,
                   records: &Records,
                   chains: &dyn Chains,
                   members: &[MemberId]|
         -> Result<Vec<Judgement>> {
            let which = match vote {
                Some(text) => Which::Vote(self.vote_id(text, records)?),
                None => Which::All,
            };
            check::judge_matter(matter, register, records, chains, members, &which, options)
                .map_err(|e| Error::Invalid(e.to_string()))
        };
        match self {
            Source::Store(store) => {
                let i = store.check_input(matter)?;
                run(&i.register, &i.records, &i.chains, &i.members)
            }
            Source::Files(g) => {
                let records = g.records().for_matter(matter);
                run(g.register(), &records, g.as_ref(), &g.members())
            }
        }
    }

    /// Members' names (self-asserted), for the views.
    fn names(&self) -> Result<HashMap<MemberId, String>> {
        match self {
            Source::Store(s) => s.names(),
            Source::Files(g) => Ok(g
                .register()
                .members()
                .filter_map(|(m, r)| r.profile.as_ref().map(|(_, p)| (*m, p.name.clone())))
                .collect()),
        }
    }

    fn agendas(&self, meeting: &Matter) -> Result<Vec<Entry>> {
        match self {
            Source::Store(s) => s.agendas(Some(meeting)),
            Source::Files(g) => Ok(g.records().agendas.clone()),
        }
    }
}

pub(super) fn check(home: impl FnOnce() -> Result<Home>, a: CheckArgs) -> Result<Outcome> {
    let matter = parse_matter(&a.matter)?;
    let source = match Source::open(home, &a.source)? {
        Some(s) => s,
        None => return Ok(Outcome::Failed),
    };
    let judged = source.judge(&matter, a.vote.as_deref(), a.source.max_age)?;
    let unknown = judged.iter().all(|j| {
        j.vote.is_none()
            && j.agenda.is_none()
            && j.participants
                .iter()
                .all(|p| p.status == Status::Silent && p.after.is_empty())
    });
    if unknown && !a.allow_unknown {
        eprintln!(
            "coi: nothing held names {}: no vote, agenda item, declaration or no-conflict (a typo?); --allow-unknown judges it anyway",
            matter.as_str()
        );
        return Ok(Outcome::Failed);
    }
    let names = source.names()?;
    let policy = a
        .policy
        .as_deref()
        .map(super::checkpoint::read_policy)
        .transpose()?;
    if a.source.json {
        out_json(&judged)?;
    } else {
        for (i, j) in judged.iter().enumerate() {
            if i > 0 {
                out("")?;
            }
            let store = match &source {
                Source::Store(s) => Some(s),
                Source::Files(_) => None,
            };
            print_judgement(j, &names, store, policy.as_ref())?;
        }
    }
    Ok(Outcome::of(!judged.iter().any(Judgement::flagged)))
}

fn who(p: &Participant) -> String {
    match &p.name {
        Some(n) => format!("{} {}", p.member.fingerprint(), q(n)),
        None => p.member.fingerprint(),
    }
}

fn presence_text(p: &Participant) -> String {
    match (p.presence, p.vote) {
        (None, _) => "-".into(),
        (Some(Presence::Present), Some(b)) => format!("present, {b}"),
        (Some(pr), _) => pr.to_string(),
    }
}

fn print_judgement(
    j: &Judgement,
    names: &HashMap<MemberId, String>,
    store: Option<&Store>,
    policy: Option<&coi_ledger::tlog::policy::Policy>,
) -> Result<()> {
    match (&j.vote, &j.recorder) {
        (Some(v), Some(r)) => {
            let recorder = j
                .participants
                .iter()
                .find(|p| p.member == *r)
                .and_then(|p| p.name.clone())
                .or_else(|| names.get(r).cloned());
            row(format!(
                "{}: vote {} recorded by {}{}, held {}{}",
                j.matter.as_str(),
                &v.to_hex()[..16],
                r.fingerprint(),
                recorder.map(|n| format!(" {}", q(&n))).unwrap_or_default(),
                j.at.as_str(),
                j.result.map(|r| format!(", {r}")).unwrap_or_default()
            ))?;
            if let Some(m) = &j.motion {
                row(format!("motion {}", q(m)))?;
            }
            if let Some(store) = store {
                super::checkpoint::print_vote_checkpoint(store, v, policy)?;
            }
        }
        _ => row(format!(
            "{}: no vote recorded; the register as it stands at {}",
            j.matter.as_str(),
            j.at.as_str()
        ))?,
    }
    match &j.agenda {
        Some(a) => row(format!("agenda {}", &a.to_hex()[..16]))?,
        None => row("no agenda: standing declarations are not linked to this matter")?,
    }
    for p in &j.participants {
        row(format!(
            "  {:<12} {}  {}{}",
            p.status.as_str(),
            who(p),
            presence_text(p),
            p.head
                .as_ref()
                .map(|h| format!("  head seq {} {}", h.seq, &h.id.to_hex()[..16]))
                .unwrap_or_else(|| "  no head".into())
        ))?;
        for d in &p.declarations {
            row(format!(
                "      declared {} seq {} {}: {}{}",
                &d.id.to_hex()[..16],
                d.seq,
                d.time.as_str(),
                decl_summary(&d.declaration),
                match (store, &d.declaration.sealed) {
                    (Some(s), Some(_)) => super::seal::restricted_note(s.restricted()?.get(&d.id)),
                    _ => String::new(),
                }
            ))?;
            if let Some(store) = store {
                super::checkpoint::print_entry_checkpoint(store, &d.id, policy)?;
            }
        }
        if let Some(n) = &p.nil_return {
            let what = if p.status == Status::NilReturn {
                "nil return"
            } else {
                "no conflict"
            };
            row(format!("      {what} {}", &n.to_hex()[..16]))?;
        }
        for r in &p.determinations {
            row(format!(
                "      determination {} by {}: {}{}{}",
                &r.id.to_hex()[..16],
                r.by.fingerprint(),
                r.outcome,
                r.note
                    .as_deref()
                    .map(|n| format!(" {}", q(n)))
                    .unwrap_or_default(),
                if r.before_vote {
                    ""
                } else {
                    " (after the vote)"
                }
            ))?;
        }
        if p.restriction != Restriction::None {
            row(format!(
                "      restriction: {}",
                match p.restriction {
                    Restriction::Recuse => "recuse (neither discuss nor vote)",
                    Restriction::Abstain => "abstain (do not vote)",
                    Restriction::None => "",
                }
            ))?;
        }
        for id in &p.after {
            row(format!("      after the vote {}", &id.to_hex()[..16]))?;
        }
    }
    let findings: Vec<_> = j.all_findings().collect();
    if findings.is_empty() {
        row("nothing flagged")?;
    } else {
        for f in &findings {
            row(format!("FLAG {}: {}", f.class, f.message))?;
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &findings {
            *counts.entry(f.class.as_str()).or_default() += 1;
        }
        row(format!(
            "flagged: {}",
            counts
                .iter()
                .map(|(c, n)| format!("{c} ({n})"))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
    }
    Ok(())
}

#[derive(Serialize)]
struct MinutesItem<'a> {
    matter: &'a Matter,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    judgements: &'a [Judgement],
}

pub(super) fn minutes(home: impl FnOnce() -> Result<Home>, a: MinutesArgs) -> Result<Outcome> {
    let meeting = parse_matter(&a.meeting)?;
    let source = match Source::open(home, &a.source)? {
        Some(s) => s,
        None => return Ok(Outcome::Failed),
    };
    let agendas = source.agendas(&meeting)?;
    let Some((latest, items, _)) = meeting_agenda(&agendas, Some(&meeting)) else {
        return Err(Error::Invalid(format!(
            "no agenda for {} is held: the minutes are written per agenda item",
            meeting.as_str()
        )));
    };
    let mut judged = Vec::new();
    for item in &items {
        judged.push(source.judge(&item.matter, None, a.source.max_age)?);
    }
    let flagged = judged.iter().flatten().any(Judgement::flagged);
    if a.source.json {
        let view: Vec<MinutesItem<'_>> = items
            .iter()
            .zip(&judged)
            .map(|(i, j)| MinutesItem {
                matter: &i.matter,
                title: i.title.as_deref(),
                judgements: j,
            })
            .collect();
        out_json(&serde_json::json!({
            "meeting": meeting,
            "agenda": latest.id.to_hex(),
            "items": view,
        }))?;
        return Ok(Outcome::of(!flagged));
    }
    let Data::Agenda(head) = &latest.data else {
        return Ok(Outcome::Ok);
    };
    row(format!(
        "Declarations of interest: {}{}",
        meeting.as_str(),
        head.title
            .as_deref()
            .map(|t| format!(" {}", q(t)))
            .unwrap_or_default()
    ))?;
    row(format!(
        "(agenda {}; each item checked by coi check)",
        &latest.id.to_hex()[..16]
    ))?;
    let names: HashMap<MemberId, String> = judged
        .iter()
        .flatten()
        .flat_map(|j| j.participants.iter())
        .filter_map(|p| p.name.clone().map(|n| (p.member, n)))
        .collect();
    // The fingerprint first: it is the identity; a name is self-asserted.
    let name = |m: &MemberId| render::who(&names, m);
    for (item, js) in items.iter().zip(&judged) {
        out("")?;
        row(format!(
            "Item {}{}",
            item.matter.as_str(),
            item.title
                .as_deref()
                .map(|t| format!(": {}", q(t)))
                .unwrap_or_default()
        ))?;
        for j in js {
            let declared: Vec<&Participant> = j
                .participants
                .iter()
                .filter(|p| p.status == Status::Conflict)
                .collect();
            if j.vote.is_none() {
                row("  No vote recorded.")?;
            }
            if declared.is_empty() {
                row(if j.vote.is_some() {
                    "  No conflict of interest was declared before the vote."
                } else {
                    "  No conflict of interest is declared."
                })?;
            }
            for p in &declared {
                for d in &p.declarations {
                    row(format!(
                        "  {} declared {} (entry {}).",
                        name(&p.member),
                        decl_summary(&d.declaration),
                        &d.id.to_hex()[..16]
                    ))?;
                }
                for r in p.determinations.iter().filter(|r| r.before_vote) {
                    row(format!(
                        "  Determination by {}: {}{}.",
                        name(&r.by),
                        r.outcome,
                        r.note
                            .as_deref()
                            .map(|n| format!(", {}", q(n)))
                            .unwrap_or_default()
                    ))?;
                }
            }
            let none: Vec<String> = j
                .participants
                .iter()
                .filter(|p| p.status == Status::NoConflict)
                .map(|p| name(&p.member))
                .collect();
            if !none.is_empty() {
                row(format!("  Declared no conflict: {}.", none.join(", ")))?;
            }
            let nil: Vec<String> = j
                .participants
                .iter()
                .filter(|p| p.status == Status::NilReturn)
                .map(|p| name(&p.member))
                .collect();
            if !nil.is_empty() {
                row(format!(
                    "  Standing nil return (no interests registered): {}.",
                    nil.join(", ")
                ))?;
            }
            let of = |s: Status| -> Vec<String> {
                j.participants
                    .iter()
                    .filter(|p| p.status == s)
                    .map(|p| name(&p.member))
                    .collect()
            };
            let (silent, late) = (of(Status::Silent), of(Status::Late));
            if !silent.is_empty() {
                row(format!(
                    "  Made no declaration{}: {}.",
                    if j.vote.is_some() {
                        " before the vote"
                    } else {
                        ""
                    },
                    silent.join(", ")
                ))?;
            }
            if !late.is_empty() {
                row(format!(
                    "  Declared only after the vote: {}.",
                    late.join(", ")
                ))?;
            }
            let by = |b: Ballot| -> Vec<String> {
                j.participants
                    .iter()
                    .filter(|p| p.vote == Some(b))
                    .map(|p| name(&p.member))
                    .collect()
            };
            for (b, what) in [(Ballot::Recused, "Recused"), (Ballot::Abstain, "Abstained")] {
                let list = by(b);
                if !list.is_empty() {
                    row(format!("  {what}: {}.", list.join(", ")))?;
                }
            }
            if j.vote.is_some() {
                let count = |b| j.participants.iter().filter(|p| p.vote == Some(b)).count();
                row(format!(
                    "  Vote {}: {} yes, {} no, {} abstained, {} recused; {} absent or excused.",
                    j.vote
                        .map(|v| v.to_hex()[..16].to_string())
                        .unwrap_or_default(),
                    count(Ballot::Yes),
                    count(Ballot::No),
                    count(Ballot::Abstain),
                    count(Ballot::Recused),
                    j.participants
                        .iter()
                        .filter(|p| matches!(
                            p.presence,
                            Some(Presence::Absent | Presence::Excused)
                        ))
                        .count()
                ))?;
            }
            let findings: Vec<_> = j.all_findings().collect();
            if findings.is_empty() {
                row("  Check: nothing flagged.")?;
            } else {
                for f in findings {
                    row(format!("  Check flagged {}: {}", f.class, f.message))?;
                }
            }
        }
    }
    Ok(Outcome::of(!flagged))
}
