//! `coi check`: a pure judgement of what each participant of a vote had declared on its matter
//! by the chain heads the vote committed to (spec §8.5), with a typed vocabulary of findings.
//!
//! The input is a [`Register`] folded from verified entries (the store's, or the files'), the vote
//! record, the agenda item it relied on, the determinations about the participants' declarations
//! and a view of the chains as held ([`Chains`]), which says whether each committed head is in
//! them. Nothing here reads files, SQLite or the terminal. Without a vote the judgement is of the
//! register as it stands now: who has declared what on the matter before a vote is called.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::entry::{
    token_enum, AgendaItem, Ballot, Data, Declaration, Entry, EntryId, Head, Matter, Mitigation,
    Outcome, Presence, Scope, Timestamp, Vote,
};
use crate::keys::MemberId;
use crate::register::{Interest, Mark, MemberRecord, Point, Register, Version};

/// Default `--max-age`: a standing declaration, nil return or reaffirmation older than this at
/// the vote is flagged `stale` (spec §8.5).
pub const DEFAULT_MAX_AGE_DAYS: u32 = 365;

token_enum!(
    /// What a participant had said on the matter by the head the vote committed to (spec §8.5).
    Status {
        /** A declaration on the matter, or a standing one the agenda item concerns, in force. */ Conflict = "conflict",
        /** An explicit `no-conflict` on the matter. */ NoConflict = "no-conflict",
        /** A standing nil return: no interests to register. */ NilReturn = "nil-return",
        /** Nothing on the matter. */ Silent = "silent",
        /** Nothing by the head; something on the matter only after it. */ Late = "late",
    }
);

token_enum!(
    /// A finding of `coi check` (spec §8.5). Every finding flags the vote: `coi check` exits 1.
    FindingClass {
        /** A declaration (or no-conflict) on the matter made only after the committed head. */ Late = "late",
        /** Voted yes or no although a declaration or determination in force says recuse. */ VotedDespiteRecuse = "voted-despite-recuse",
        /** Voted yes or no although a declaration or determination in force says abstain. */ VotedDespiteAbstain = "voted-despite-abstain",
        /** The committed head is beyond the end of the chain held: a rollback or an old copy. */ Rollback = "rollback",
        /** The chain held has another entry at the committed head's seq. */ Fork = "fork",
        /** The standing declaration or nil return relied on, and any reaffirmation, are older than the maximum age. */ Stale = "stale",
        /** No entry of the participant is held. */ MissingChain = "missing-chain",
        /** The vote commits to no head of the participant. */ NoHead = "no-head",
        /** A no-conflict on the matter and a declaration on it in force at once. */ Contradiction = "contradiction",
        /** The vote names an agenda that is not held, or that does not list the matter. */ MissingAgenda = "missing-agenda",
        /** A continuation that is not of the recorder's own vote, or disagrees with it. */ BadContinuation = "bad-continuation",
        /** A determination that names no declaration on the matter of that member. */ BadDetermination = "bad-determination",
    }
);

/// One finding: its class, the participant it is about (if any) and what it says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The class.
    #[serde(serialize_with = "ser_str")]
    pub class: FindingClass,
    /// The participant, for findings about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<MemberId>,
    /// The entries it is about.
    pub entries: Vec<EntryId>,
    /// What it means, in a sentence.
    pub message: String,
}

/// How a committed head stands in the chains held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    /// The chain held has this entry at that seq.
    Same,
    /// The chain held has another entry at that seq.
    Other,
    /// The chain held ends before that seq, at `end`.
    Beyond {
        /// The last seq held.
        end: u64,
    },
    /// No entry of the member is held.
    Missing,
}

/// The chains as held by a store or a set of files.
pub trait Chains {
    /// Where `head` stands in the chain held of its member.
    fn held(&self, head: &Head) -> Held;
    /// The last entry held of `member`'s chain (`None`: no entry held).
    fn head(&self, member: &MemberId) -> Option<Head>;
}

/// A vote as recorded: its first entry and continuations (spec §8.1).
#[derive(Clone, Debug)]
pub struct VoteRecord<'a> {
    /// The first `vote` entry.
    pub first: &'a Entry,
    /// Entries that name it in `continues`, in the order held.
    pub continuations: Vec<&'a Entry>,
}

impl VoteRecord<'_> {
    fn vote(&self) -> Option<&Vote> {
        match &self.first.data {
            Data::Vote(v) => Some(v),
            _ => None,
        }
    }
}

/// What to judge.
pub struct Input<'a> {
    /// The matter.
    pub matter: &'a Matter,
    /// The register, fed with (at least) every declaration-family entry of the participants that
    /// touches the matter, each interest whole.
    pub register: &'a Register,
    /// The vote, or `None` to judge the register as it stands (participants: `members`).
    pub vote: Option<VoteRecord<'a>>,
    /// The agenda entry the vote names, if held (or, without a vote, the latest listing the
    /// matter), with the item for the matter if it lists it.
    pub agenda: Option<(&'a Entry, Option<&'a AgendaItem>)>,
    /// Determinations held that may be about the participants' declarations.
    pub determinations: &'a [Entry],
    /// The chains held.
    pub chains: &'a dyn Chains,
    /// Without a vote: the members to judge (with a vote, its participants are judged).
    pub members: &'a [MemberId],
    /// The time the judgement is made at without a vote (with one: its `held`).
    pub now: Timestamp,
    /// Maximum age, in days, of a standing declaration or nil return relied on.
    pub max_age_days: u32,
}

/// A declaration a participant's status rests on.
#[derive(Clone, Debug, Serialize)]
pub struct Relied {
    /// The version in force.
    pub id: EntryId,
    /// Its seq and time.
    pub seq: u64,
    /// Its (self-asserted) time.
    pub time: Timestamp,
    /// The first version's id, when this one amended it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<EntryId>,
    /// `specific` (it lists the matter) or `standing` (the agenda item concerns its counterparty).
    #[serde(serialize_with = "ser_str")]
    pub scope: Scope,
    /// What it says.
    pub declaration: Declaration,
}

/// A determination about one of a participant's declarations.
#[derive(Clone, Debug, Serialize)]
pub struct Ruling {
    /// The determination entry.
    pub id: EntryId,
    /// Who made it.
    pub by: MemberId,
    /// Its time.
    pub time: Timestamp,
    /// The declaration version it is about.
    pub declaration: EntryId,
    /// The outcome.
    #[serde(serialize_with = "ser_str")]
    pub outcome: Outcome,
    /// The note, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Whether the vote's record orders it before the vote (always true without a vote).
    pub before_vote: bool,
}

/// What restricts a participant's vote, and where it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Restriction {
    /// Neither discuss nor vote.
    Recuse,
    /// Discuss, do not vote.
    Abstain,
    /// May vote.
    None,
}

/// One participant judged.
#[derive(Clone, Debug, Serialize)]
pub struct Participant {
    /// The member.
    pub member: MemberId,
    /// The latest name the register knows (self-asserted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Presence recorded by the vote.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_opt")]
    pub presence: Option<Presence>,
    /// Ballot recorded by the vote.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_opt")]
    pub vote: Option<Ballot>,
    /// The head the vote committed to (without a vote: the chain's end held).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<Head>,
    /// The status.
    #[serde(serialize_with = "ser_str")]
    pub status: Status,
    /// Declarations in force at the head that touch the matter.
    pub declarations: Vec<Relied>,
    /// The explicit no-conflict, or standing nil return, the status rests on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nil_return: Option<EntryId>,
    /// Entries on the matter made after the head.
    pub after: Vec<EntryId>,
    /// Determinations about the declarations in force.
    pub determinations: Vec<Ruling>,
    /// The restriction in force: a determination before the vote, else the strictest proposed
    /// mitigation (`none` with no declaration).
    pub restriction: Restriction,
    /// Findings about this participant.
    pub findings: Vec<Finding>,
}

/// The judgement of one vote (or of the register before one).
#[derive(Clone, Debug, Serialize)]
pub struct Judgement {
    /// The matter.
    pub matter: Matter,
    /// The vote entry judged (the first, with continuations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vote: Option<EntryId>,
    /// The recorder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorder: Option<MemberId>,
    /// When it was held (the judgement's time without a vote).
    pub at: Timestamp,
    /// The motion, as recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub motion: Option<String>,
    /// The result, as recorded.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_opt")]
    pub result: Option<crate::entry::VoteResult>,
    /// The agenda entry relied on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agenda: Option<EntryId>,
    /// The participants, by member id.
    pub participants: Vec<Participant>,
    /// Findings about the record itself (agenda, continuations).
    pub findings: Vec<Finding>,
}

impl Judgement {
    /// Every finding: the record's, then each participant's.
    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .chain(self.participants.iter().flat_map(|p| p.findings.iter()))
    }

    /// Whether anything is flagged.
    pub fn flagged(&self) -> bool {
        self.all_findings().next().is_some()
    }
}

fn ser_str<S: serde::Serializer, T: std::fmt::Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn ser_opt<S: serde::Serializer, T: std::fmt::Display>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

fn finding(
    class: FindingClass,
    member: Option<MemberId>,
    entries: Vec<EntryId>,
    message: String,
) -> Finding {
    Finding {
        class,
        member,
        entries,
        message,
    }
}

/// A vote merged over its continuations: participants with presence and ballot, heads, findings.
type Merged = (
    Vec<(MemberId, Presence, Option<Ballot>)>,
    BTreeMap<MemberId, Head>,
    Vec<Finding>,
);

/// The participants of a vote with their presence and ballot, and the heads it committed to,
/// merged over its continuations; findings about continuations that do not belong.
fn merge_record(record: &VoteRecord<'_>) -> Merged {
    let mut parts = BTreeMap::new();
    let mut heads = BTreeMap::new();
    let mut findings = Vec::new();
    let Some(first) = record.vote() else {
        return (Vec::new(), heads, findings);
    };
    let mut take = |v: &Vote, e: &Entry, findings: &mut Vec<Finding>| {
        for p in &v.participation {
            if parts.insert(p.member, (p.presence, p.vote)).is_some() {
                findings.push(finding(
                    FindingClass::BadContinuation,
                    Some(p.member),
                    vec![e.id],
                    format!(
                        "member {} is listed twice in the vote and its continuations",
                        p.member.fingerprint()
                    ),
                ));
            }
        }
        for h in &v.heads {
            heads.insert(h.member, h.clone());
        }
    };
    take(first, record.first, &mut findings);
    for c in &record.continuations {
        let Data::Vote(v) = &c.data else { continue };
        let agrees = c.member == record.first.member
            && c.seq > record.first.seq
            && v.continues == Some(record.first.id)
            && v.matter == first.matter
            && v.held == first.held
            && v.agenda == first.agenda
            && v.motion == first.motion
            && v.result == first.result;
        if agrees {
            take(v, c, &mut findings);
        } else {
            findings.push(finding(
                FindingClass::BadContinuation,
                None,
                vec![c.id],
                format!(
                    "entry {} says it continues vote {} but is not a later vote of the same recorder with the same matter, time, agenda, motion and result: its participants are not counted",
                    c.id.fingerprint(),
                    record.first.id.fingerprint()
                ),
            ));
        }
    }
    let parts = parts.into_iter().map(|(m, (p, b))| (m, p, b)).collect();
    (parts, heads, findings)
}

/// Whether version `v` touches the matter: it lists it, or it is standing and the agenda item
/// concerns its counterparty (spec §8.4).
fn touches(v: &Version, matter: &Matter, item: Option<&AgendaItem>) -> bool {
    let d = &v.declaration;
    match d.scope {
        Scope::Specific => d.matters.as_ref().is_some_and(|ms| ms.contains(matter)),
        Scope::Standing => item.is_some_and(|i| i.concerns(&d.counterparty)),
    }
}

/// Days from `from` to `to` (whole days between their dates; negative if `to` is earlier).
fn days_between(from: &Timestamp, to: &Timestamp) -> i64 {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    match (
        time::Date::parse(from.date(), &fmt),
        time::Date::parse(to.date(), &fmt),
    ) {
        (Ok(a), Ok(b)) => (b - a).whole_days(),
        _ => 0,
    }
}

fn strictest(a: Restriction, b: Restriction) -> Restriction {
    use Restriction::*;
    match (a, b) {
        (Recuse, _) | (_, Recuse) => Recuse,
        (Abstain, _) | (_, Abstain) => Abstain,
        _ => None,
    }
}

fn from_mitigation(m: Mitigation) -> Restriction {
    match m {
        Mitigation::Recuse => Restriction::Recuse,
        Mitigation::Abstain => Restriction::Abstain,
        Mitigation::DiscloseOnly => Restriction::None,
    }
}

fn from_outcome(o: Outcome) -> Restriction {
    match o {
        Outcome::Recuse => Restriction::Recuse,
        Outcome::Abstain => Restriction::Abstain,
        Outcome::NoConflict | Outcome::DiscloseOnly | Outcome::Waiver => Restriction::None,
    }
}

/// Judges the vote (or, without one, the register now) on `input.matter` (spec §8.5).
pub fn judge(input: &Input<'_>) -> Judgement {
    let matter = input.matter;
    let mut findings = Vec::new();
    let (vote_entry, vote) = match &input.vote {
        Some(r) => (Some(r.first), r.vote()),
        None => (None, None),
    };
    let at = vote.map_or(input.now, |v| v.held);
    // The agenda item: the vote's own, or (without a vote) the one given.
    let item = match (vote, &input.agenda) {
        (Some(v), agenda) => match (v.agenda, agenda) {
            (None, _) => None,
            (Some(want), Some((e, item))) if e.id == want => {
                if item.is_none() {
                    findings.push(finding(
                        FindingClass::MissingAgenda,
                        None,
                        vec![want],
                        format!(
                            "the vote names agenda {}, which does not list {}: no standing declaration can be linked to the item",
                            want.fingerprint(),
                            matter.as_str()
                        ),
                    ));
                }
                *item
            }
            (Some(want), _) => {
                findings.push(finding(
                    FindingClass::MissingAgenda,
                    None,
                    vec![want],
                    format!(
                        "the vote names agenda {}, which is not among the entries held: import the chair's ledger; until then no standing declaration can be linked to the item",
                        want.fingerprint()
                    ),
                ));
                None
            }
        },
        (None, Some((_, item))) => *item,
        (None, None) => None,
    };
    let (participants, heads) = match &input.vote {
        Some(record) => {
            let (parts, heads, mut f) = merge_record(record);
            findings.append(&mut f);
            (
                parts
                    .into_iter()
                    .map(|(m, p, b)| (m, Some(p), b))
                    .collect::<Vec<_>>(),
                Some(heads),
            )
        }
        None => (
            input
                .members
                .iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(|m| (*m, None, None))
                .collect(),
            None,
        ),
    };
    let judged = participants
        .into_iter()
        .map(|(member, presence, ballot)| {
            let committed = heads.as_ref().map(|h| h.get(&member).cloned());
            judge_one(
                input,
                item,
                vote_entry,
                heads.as_ref(),
                at,
                member,
                presence,
                ballot,
                committed,
            )
        })
        .collect();
    Judgement {
        matter: matter.clone(),
        vote: vote_entry.map(|e| e.id),
        recorder: vote_entry.map(|e| e.member),
        at,
        motion: vote.and_then(|v| v.motion.clone()),
        result: vote.and_then(|v| v.result),
        agenda: vote
            .and_then(|v| v.agenda)
            .or_else(|| input.agenda.as_ref().map(|(e, _)| e.id)),
        participants: judged,
        findings,
    }
}

/// Whether an entry of `member` at `seq` is ordered before the vote by its record: it is the
/// recorder's, earlier in the recorder's chain, or at or below the member's committed head.
fn before_vote(
    member: &MemberId,
    seq: u64,
    vote: Option<&Entry>,
    heads: Option<&BTreeMap<MemberId, Head>>,
) -> bool {
    match (vote, heads) {
        (Some(v), Some(heads)) => {
            (v.member == *member && seq < v.seq) || heads.get(member).is_some_and(|h| seq <= h.seq)
        }
        _ => true,
    }
}

#[allow(clippy::too_many_arguments)]
fn judge_one(
    input: &Input<'_>,
    item: Option<&AgendaItem>,
    vote: Option<&Entry>,
    heads: Option<&BTreeMap<MemberId, Head>>,
    at: Timestamp,
    member: MemberId,
    presence: Option<Presence>,
    ballot: Option<Ballot>,
    committed: Option<Option<Head>>,
) -> Participant {
    let matter = input.matter;
    let empty = MemberRecord::default();
    let record = input.register.member(&member).unwrap_or(&empty);
    let mut findings = Vec::new();
    let fp = member.fingerprint();
    let held_head = input.chains.head(&member);
    let end = held_head.as_ref().map(|h| h.seq);
    let no_vote = committed.is_none();
    // The seq up to which the member's entries count as before the vote.
    let (cut, head) = match committed {
        // No vote: everything held counts.
        None => (end.unwrap_or(0), None),
        Some(None) => {
            findings.push(finding(
                FindingClass::NoHead,
                Some(member),
                vec![],
                format!("the vote commits to no head of {fp}: nothing proves what they had declared before it"),
            ));
            // The recorder's own entries before the vote are still ordered before it.
            let own = vote.filter(|v| v.member == member).map_or(0, |v| v.seq - 1);
            (own, None)
        }
        Some(Some(h)) => {
            match input.chains.held(&h) {
                Held::Same | Held::Missing => {}
                Held::Other => findings.push(finding(
                    FindingClass::Fork,
                    Some(member),
                    vec![h.id],
                    format!(
                        "the vote committed to {fp}'s entry {} at seq {}, but the chain held has another entry there: the member's history was rewritten (a fork)",
                        h.id.fingerprint(),
                        h.seq
                    ),
                )),
                Held::Beyond { end } => findings.push(finding(
                    FindingClass::Rollback,
                    Some(member),
                    vec![h.id],
                    format!(
                        "the vote committed to {fp}'s chain up to seq {}, but the chain held ends at seq {end}: the published file was rolled back (or is an old copy), and what it dropped cannot be judged",
                        h.seq
                    ),
                )),
            }
            let own = vote.filter(|v| v.member == member).map_or(0, |v| v.seq - 1);
            (h.seq.max(own), Some(h))
        }
    };
    if end.is_none() {
        findings.push(finding(
            FindingClass::MissingChain,
            Some(member),
            vec![],
            format!("no entry of {fp} is held: import their published ledger"),
        ));
    }
    let point = Point::at_heads([(member, cut)], &crate::entry::Date::of(&at));
    // Declarations in force at the cut that touch the matter.
    let mut relied: Vec<(&Interest, &Version)> = Vec::new();
    for (interest, state) in record.interests_at(&point) {
        if let crate::register::State::Current(v) = state {
            if touches(v, matter, item) {
                relied.push((interest, v));
            }
        }
    }
    // Nil returns by the cut.
    let nils: Vec<_> = record.nil_returns_at(&member, &point).collect();
    let specific_nil = nils
        .iter()
        .rev()
        .find(|n| n.scope == Scope::Specific && n.touches(matter));
    // A standing nil return counts only if no interest in force at the cut was declared after it.
    let standing_nil = nils
        .iter()
        .rev()
        .find(|n| n.scope == Scope::Standing)
        .filter(|n| {
            record
                .interests_at(&point)
                .all(|(i, s)| !s.is_current() || i.first().mark.seq < n.mark.seq)
        });
    // Entries on the matter after the cut.
    let mut after = Vec::new();
    for interest in &record.interests {
        let touched_before = interest
            .versions
            .iter()
            .any(|v| v.mark.seq <= cut && touches(v, matter, item));
        if touched_before {
            continue;
        }
        if let Some(v) = interest
            .versions
            .iter()
            .find(|v| v.mark.seq > cut && touches(v, matter, item))
        {
            after.push(v.mark.clone());
        }
    }
    for n in &record.nil_returns {
        if n.mark.seq > cut && n.scope == Scope::Specific && n.touches(matter) {
            after.push(n.mark.clone());
        }
    }
    after.sort_by_key(|m| m.seq);
    let status = if !relied.is_empty() {
        Status::Conflict
    } else if specific_nil.is_some() {
        Status::NoConflict
    } else if standing_nil.is_some() {
        Status::NilReturn
    } else if !after.is_empty() {
        Status::Late
    } else {
        Status::Silent
    };
    if heads.is_some() && !after.is_empty() && status != Status::Conflict {
        let ids: Vec<EntryId> = after.iter().map(|m| m.id).collect();
        findings.push(finding(
            FindingClass::Late,
            Some(member),
            ids.clone(),
            format!(
                "{fp} declared on {} only after the head the vote committed to (entry {}, seq {}, self-dated {})",
                matter.as_str(),
                after[0].id.fingerprint(),
                after[0].seq,
                after[0].time.as_str()
            ),
        ));
    }
    if let (Some(nil), false) = (specific_nil, relied.is_empty()) {
        let contradicted: Vec<EntryId> = record
            .contradicted_by(&member, nil)
            .filter(|i| relied.iter().any(|(r, _)| std::ptr::eq(*r, *i)))
            .map(|i| i.first().mark.id)
            .collect();
        if !contradicted.is_empty() {
            findings.push(finding(
                FindingClass::Contradiction,
                Some(member),
                std::iter::once(nil.mark.id).chain(contradicted).collect(),
                format!(
                    "{fp} said no conflict on {} (entry {}) while a declaration on it was in force",
                    matter.as_str(),
                    nil.mark.id.fingerprint()
                ),
            ));
        }
    }
    // Staleness: what a standing status rests on, refreshed by the latest reaffirmation by the cut.
    let reaffirmed = record
        .reaffirmations
        .iter()
        .filter(|m| m.seq <= cut)
        .map(|m| m.time)
        .max();
    let stale_check = |mark: &Mark, what: &str, findings: &mut Vec<Finding>| {
        let fresh = reaffirmed.map_or(mark.time, |r| r.max(mark.time));
        let age = days_between(&fresh, &at);
        if age > i64::from(input.max_age_days) {
            findings.push(finding(
                FindingClass::Stale,
                Some(member),
                vec![mark.id],
                format!(
                    "{fp}'s {what} {} was made or last reaffirmed {age} days before {} (more than {}): it may no longer be current",
                    mark.id.fingerprint(),
                    if vote.is_some() { "the vote" } else { "now" },
                    input.max_age_days
                ),
            ));
        }
    };
    for (_, v) in &relied {
        if v.declaration.scope == Scope::Standing {
            stale_check(&v.mark, "standing declaration", &mut findings);
        }
    }
    if status == Status::NilReturn {
        if let Some(n) = standing_nil {
            stale_check(&n.mark, "nil return", &mut findings);
        }
    }
    // Determinations about the declarations relied on (or, with a matter, naming one).
    let mut rulings = Vec::new();
    for d in input.determinations {
        let Data::Determination(det) = &d.data else {
            continue;
        };
        if det.member != member || det.matter.as_ref().is_some_and(|m| m != matter) {
            continue;
        }
        let named = record
            .interests
            .iter()
            .flat_map(|i| i.versions.iter())
            .find(|v| v.mark.id == det.declaration);
        match named {
            Some(v) if touches(v, matter, item) || det.matter.is_some() => {
                rulings.push(Ruling {
                    id: d.id,
                    by: d.member,
                    time: d.time,
                    declaration: det.declaration,
                    outcome: det.outcome,
                    note: det.note.clone(),
                    before_vote: before_vote(&d.member, d.seq, vote, heads),
                });
            }
            Some(_) => {}
            None if det.matter.as_ref() == Some(matter) => findings.push(finding(
                FindingClass::BadDetermination,
                Some(member),
                vec![d.id, det.declaration],
                format!(
                    "determination {} on {} names {}, which is no declaration of {fp} on the matter held",
                    d.id.fingerprint(),
                    matter.as_str(),
                    det.declaration.fingerprint()
                ),
            )),
            None => {}
        }
    }
    // The restriction: per declaration in force, the latest determination before the vote on
    // that version, else its proposed mitigation; the strictest over them.
    let mut restriction = Restriction::None;
    for (_, v) in &relied {
        let ruled = rulings
            .iter()
            .filter(|r| r.before_vote && r.declaration == v.mark.id)
            .max_by_key(|r| r.time);
        let r = match ruled {
            Some(r) => from_outcome(r.outcome),
            None => from_mitigation(v.declaration.mitigation),
        };
        restriction = strictest(restriction, r);
    }
    if presence == Some(Presence::Present) && matches!(ballot, Some(Ballot::Yes | Ballot::No)) {
        let class = match restriction {
            Restriction::Recuse => Some((FindingClass::VotedDespiteRecuse, "recuse")),
            Restriction::Abstain => Some((FindingClass::VotedDespiteAbstain, "abstain")),
            Restriction::None => None,
        };
        if let Some((class, word)) = class {
            findings.push(finding(
                class,
                Some(member),
                relied.iter().map(|(_, v)| v.mark.id).collect(),
                format!(
                    "{fp} voted {} on {} although their declaration (or a determination) says {word}",
                    ballot.map_or("", |b| b.as_str()),
                    matter.as_str()
                ),
            ));
        }
    }
    Participant {
        member,
        name: record.profile.as_ref().map(|(_, p)| p.name.clone()),
        presence,
        vote: ballot,
        head: if no_vote { held_head } else { head },
        status,
        declarations: relied
            .iter()
            .map(|(i, v)| Relied {
                id: v.mark.id,
                seq: v.mark.seq,
                time: v.mark.time,
                declared: (i.first().mark.id != v.mark.id).then(|| i.first().mark.id),
                scope: v.declaration.scope,
                declaration: v.declaration.clone(),
            })
            .collect(),
        nil_return: match status {
            Status::NoConflict => specific_nil.map(|n| n.mark.id),
            Status::NilReturn => standing_nil.map(|n| n.mark.id),
            _ => None,
        },
        after: after.iter().map(|m| m.id).collect(),
        determinations: rulings,
        restriction,
        findings,
    }
}

/// The records `check` selects from: votes (with continuations), agendas and determinations.
#[derive(Clone, Debug, Default)]
pub struct Records {
    /// `vote` entries on the matter (first entries and continuations), in the order held.
    pub votes: Vec<Entry>,
    /// `agenda` entries: those listing the matter, and any a vote on it names.
    pub agendas: Vec<Entry>,
    /// `determination` entries that may be about declarations on the matter.
    pub determinations: Vec<Entry>,
}

impl Records {
    /// The records about `matter`: its votes; agendas and determinations as they are.
    pub fn for_matter(&self, matter: &Matter) -> Records {
        Records {
            votes: self
                .votes
                .iter()
                .filter(|e| matches!(&e.data, Data::Vote(v) if &v.matter == matter))
                .cloned()
                .collect(),
            agendas: self.agendas.clone(),
            determinations: self.determinations.clone(),
        }
    }
}

/// How `check` was asked to choose votes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Which {
    /// Every vote on the matter, in the order held; the register now if there is none.
    All,
    /// This vote.
    Vote(EntryId),
}

/// Why the votes asked for cannot be judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectError {
    /// `--vote` names an entry that is not a first `vote` entry on the matter.
    NotAVote(EntryId),
}

impl std::fmt::Display for SelectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SelectError::NotAVote(id) => write!(
                f,
                "{} is not a vote on this matter held here (a vote's first entry, not a continuation)",
                id.fingerprint()
            ),
        }
    }
}

/// Options of a judgement.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// See [`Input::now`].
    pub now: Timestamp,
    /// See [`Input::max_age_days`].
    pub max_age_days: u32,
}

/// The vote `e` records, if it is one on `matter`.
fn vote_on<'a>(e: &'a Entry, matter: &Matter) -> Option<&'a Vote> {
    match &e.data {
        Data::Vote(v) if &v.matter == matter => Some(v),
        _ => None,
    }
}

/// Judges `which` votes on `matter` (spec §8.5): each vote with its continuations and the agenda
/// it names; with no vote on the matter, the register as it stands for `members`, against the
/// latest agenda that lists the matter.
pub fn judge_matter(
    matter: &Matter,
    register: &Register,
    records: &Records,
    chains: &dyn Chains,
    members: &[MemberId],
    which: &Which,
    options: Options,
) -> Result<Vec<Judgement>, SelectError> {
    let firsts: Vec<&Entry> = records
        .votes
        .iter()
        .filter(|e| vote_on(e, matter).is_some_and(|v| v.continues.is_none()))
        .filter(|e| match which {
            Which::All => true,
            Which::Vote(id) => e.id == *id,
        })
        .collect();
    if let (Which::Vote(id), true) = (which, firsts.is_empty()) {
        return Err(SelectError::NotAVote(*id));
    }
    let agenda_by_id = |id: &EntryId| {
        records.agendas.iter().find(|e| e.id == *id).map(|e| {
            let item = match &e.data {
                Data::Agenda(a) => a.item(matter),
                _ => None,
            };
            (e, item)
        })
    };
    let judge_one_vote = |vote: Option<VoteRecord<'_>>, agenda| {
        judge(&Input {
            matter,
            register,
            vote,
            agenda,
            determinations: &records.determinations,
            chains,
            members,
            now: options.now,
            max_age_days: options.max_age_days,
        })
    };
    if firsts.is_empty() {
        // The latest agenda listing the matter, by time, then as held.
        let agenda = records
            .agendas
            .iter()
            .filter_map(|e| match &e.data {
                Data::Agenda(a) => a.item(matter).map(|i| (e, Some(i))),
                _ => None,
            })
            .max_by_key(|(e, _)| e.time);
        return Ok(vec![judge_one_vote(None, agenda)]);
    }
    let mut out = Vec::new();
    for first in firsts {
        let continuations = records
            .votes
            .iter()
            .filter(|e| vote_on(e, matter).is_some_and(|v| v.continues == Some(first.id)))
            .collect();
        let agenda = vote_on(first, matter)
            .and_then(|v| v.agenda)
            .and_then(|id| agenda_by_id(&id));
        let record = VoteRecord {
            first,
            continuations,
        };
        out.push(judge_one_vote(Some(record), agenda));
    }
    Ok(out)
}

impl Default for Gather {
    fn default() -> Self {
        Self::new()
    }
}

/// Gathers what `check` needs from the accepted entries of a set of files, in file order (the
/// same entry in several files is taken once), and answers [`Chains`] for them.
pub struct Gather {
    register: Register,
    /// Each member's chain as accepted: its entry ids, in seq order.
    chains: BTreeMap<MemberId, Vec<EntryId>>,
    records: Records,
}

impl Gather {
    /// An empty gathering.
    pub fn new() -> Self {
        Gather {
            register: Register::new(),
            chains: BTreeMap::new(),
            records: Records::default(),
        }
    }

    /// Takes an accepted entry. Entries of a member must come in chain order; an entry the
    /// gathered chain already holds (from an earlier file) is skipped.
    pub fn push(&mut self, e: &Entry) {
        let chain = self.chains.entry(e.member).or_default();
        if e.seq != chain.len() as u64 + 1 {
            return;
        }
        chain.push(e.id);
        match &e.data {
            Data::Vote(_) => self.records.votes.push(e.clone()),
            Data::Agenda(_) => self.records.agendas.push(e.clone()),
            Data::Determination(_) => self.records.determinations.push(e.clone()),
            _ => self.register.push(e),
        }
    }

    /// The register gathered.
    pub fn register(&self) -> &Register {
        &self.register
    }

    /// The records gathered.
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// The members whose chains were gathered, by id.
    pub fn members(&self) -> Vec<MemberId> {
        self.chains.keys().copied().collect()
    }
}

impl Chains for Gather {
    fn held(&self, head: &Head) -> Held {
        match self.chains.get(&head.member) {
            None => Held::Missing,
            Some(ids) => match (head.seq as usize).checked_sub(1).and_then(|i| ids.get(i)) {
                Some(id) if *id == head.id => Held::Same,
                Some(_) => Held::Other,
                None => Held::Beyond {
                    end: ids.len() as u64,
                },
            },
        }
    }

    fn head(&self, member: &MemberId) -> Option<Head> {
        let ids = self.chains.get(member)?;
        ids.last().map(|id| Head {
            id: *id,
            member: *member,
            seq: ids.len() as u64,
        })
    }
}

/// Chains as a store holds them, looked up beforehand: each member's head, and the entry at
/// each seq a vote committed to ([`KnownChains::wanted`]).
#[derive(Clone, Debug, Default)]
pub struct KnownChains {
    /// Each member's last entry held.
    pub heads: BTreeMap<MemberId, Head>,
    /// The entry held at (member, seq), for the seqs wanted.
    pub ids: BTreeMap<(MemberId, u64), EntryId>,
}

impl KnownChains {
    /// The (member, seq) positions whose entries [`Chains::held`] needs for `records`' votes.
    pub fn wanted(records: &Records) -> Vec<(MemberId, u64)> {
        let mut out: Vec<(MemberId, u64)> = records
            .votes
            .iter()
            .filter_map(|e| match &e.data {
                Data::Vote(v) => Some(v.heads.iter().map(|h| (h.member, h.seq))),
                _ => None,
            })
            .flatten()
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

impl Chains for KnownChains {
    fn held(&self, head: &Head) -> Held {
        match self.heads.get(&head.member) {
            None => Held::Missing,
            Some(h) if head.seq > h.seq => Held::Beyond { end: h.seq },
            Some(_) => match self.ids.get(&(head.member, head.seq)) {
                Some(id) if *id == head.id => Held::Same,
                // Not looked up, or another entry: either way not the one committed to.
                _ => Held::Other,
            },
        }
    }

    fn head(&self, member: &MemberId) -> Option<Head> {
        self.heads.get(member).cloned()
    }
}
