//! Pure chain verification (spec §5): feeds entries in file order, checks every chain rule, and
//! keeps per-member state only, never entry bodies, and a bounded report (spec §9).
//!
//! Memory: a [`Report`] keeps the first [`DETAIL_LIMIT`] problems and notices in full and counts
//! the rest by class. Per member, the verifier keeps about 200 bytes (its summary, the last
//! entry's time and line, and an index slot); a member with more than one entry, a live
//! declaration or a key rotation also has a history: 20 bytes per accepted entry (16 bytes of its
//! id and its line, for rule 3), 40 per key, and its live and sealed declarations' ids.

use std::collections::hash_map::Entry as Slot;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::entry::{Data, Entry, EntryId, SealedField, Timestamp};
use crate::error::{ErrorClass, FormatError};
use crate::hash::Hash32;
use crate::keys::{MemberId, PublicKey};

/// A problem found in a file, located by line, member and seq where known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line number (0 for the file as a whole).
    pub line: u64,
    /// The member, when the line could be read that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<MemberId>,
    /// The seq, when the line could be read that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The spec's class.
    #[serde(serialize_with = "ser_class")]
    pub class: ErrorClass,
    /// What is wrong.
    pub message: String,
    /// For `fork` and `duplicate-entry`: the line of the earlier entry at the same position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_line: Option<u64>,
    /// For a problem found by comparing files (spec §5.3, §5.4): the file (0-based, in the order
    /// given) that `other_line` is a line of. `None`: the problem's own file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_file: Option<usize>,
}

fn ser_class<S: serde::Serializer>(c: &ErrorClass, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.as_str())
}

/// Something worth saying that does not make a file invalid (spec §6.1: `unknown-kind`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// 1-based line number.
    pub line: u64,
    /// The member.
    pub member: MemberId,
    /// The seq.
    pub seq: u64,
    /// The notice's class, written e.g. `unknown-kind`.
    pub class: NoticeClass,
    /// What it means.
    pub message: String,
}

/// A class of [`Notice`]: something a verifier reports that is not a problem.
///
/// The string form (`as_str`, and the serialisation) is part of the format's contract, as for
/// [`ErrorClass`]: test vectors and `--json` reports use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NoticeClass {
    /// An entry of a kind that format version 1 does not define (spec §6.1).
    UnknownKind,
}

impl NoticeClass {
    /// Every class.
    pub const ALL: [NoticeClass; 1] = [NoticeClass::UnknownKind];

    /// The class's name, e.g. `unknown-kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeClass::UnknownKind => "unknown-kind",
        }
    }

    /// Parses a class name.
    pub fn from_name(name: &str) -> Option<NoticeClass> {
        NoticeClass::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl std::fmt::Display for NoticeClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for NoticeClass {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Compares with the name, as the class compared when it was a string.
impl PartialEq<&str> for NoticeClass {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

/// How many problems, and how many notices, a [`Report`] keeps with their full detail: the first
/// `DETAIL_LIMIT` of each, in the order found (spec §9).
///
/// Beyond it a report only counts them, by class, so that no input can make a verifier's memory
/// grow with the number of problems: the verdict, the counts per class and the totals stay exact.
/// `coi verify` prints the same number of problems per file before its summary.
pub const DETAIL_LIMIT: usize = 1_000;

/// Exact counts of problems (or notices) per class.
///
/// Serialised as a JSON object from class name to count, holding only the classes counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassCounts<C: Ord> {
    counts: BTreeMap<C, u64>,
}

impl<C: Ord> Default for ClassCounts<C> {
    fn default() -> Self {
        ClassCounts {
            counts: BTreeMap::new(),
        }
    }
}

impl<C: Ord + Copy> ClassCounts<C> {
    /// Counts one more of `class`.
    pub fn add(&mut self, class: C) {
        *self.counts.entry(class).or_insert(0) += 1;
    }

    /// Adds every count of `other`.
    pub fn add_all(&mut self, other: &ClassCounts<C>) {
        for (c, n) in &other.counts {
            *self.counts.entry(*c).or_insert(0) += n;
        }
    }

    /// How many of `class` were counted.
    pub fn get(&self, class: C) -> u64 {
        self.counts.get(&class).copied().unwrap_or(0)
    }

    /// How many were counted in all.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Each class counted with its count, in the order of the class enum (the spec's table).
    pub fn iter(&self) -> impl Iterator<Item = (C, u64)> + '_ {
        self.counts.iter().map(|(c, n)| (*c, *n))
    }
}

impl<C: Ord + std::fmt::Display> Serialize for ClassCounts<C> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.counts.iter().map(|(c, n)| (c.to_string(), n)))
    }
}

/// What is known about one member after a file: for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberSummary {
    /// The member id.
    pub member: MemberId,
    /// The display name of the member's latest profile in the file, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Entries of the member accepted into the chain (always `head_seq`).
    pub entries: u64,
    /// The last accepted seq (0 if none).
    pub head_seq: u64,
    /// The last accepted entry's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_id: Option<EntryId>,
    /// Lines of the member after a chain problem, not checked further.
    pub unchecked: u64,
}

/// The outcome of verifying a file.
///
/// Bounded whatever the file (spec §9): `problems` and `notices` hold the first [`DETAIL_LIMIT`]
/// of each, in the order found, and `problem_counts` and `notice_counts` count all of them by
/// class. `members` has one small summary per member.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Whether the file breaks no rule.
    pub valid: bool,
    /// Lines read.
    pub lines: u64,
    /// Entries accepted into chains.
    pub entries: u64,
    /// Members seen, ordered by member id.
    pub members: Vec<MemberSummary>,
    /// The first [`DETAIL_LIMIT`] problems, in the order found: file order, then any found by
    /// comparing the file with files after it (spec §5.3, §5.4).
    pub problems: Vec<Problem>,
    /// Every problem, counted by class.
    pub problem_counts: ClassCounts<ErrorClass>,
    /// The first [`DETAIL_LIMIT`] notices, in file order.
    pub notices: Vec<Notice>,
    /// Every notice, counted by class.
    pub notice_counts: ClassCounts<NoticeClass>,
}

impl Report {
    /// Records a problem: counted, and kept in full while fewer than [`DETAIL_LIMIT`] are. The
    /// file is then invalid.
    pub fn add_problem(&mut self, p: Problem) {
        self.valid = false;
        self.problem_counts.add(p.class);
        if self.problems.len() < DETAIL_LIMIT {
            self.problems.push(p);
        }
    }

    /// Records a notice: counted, and kept in full while fewer than [`DETAIL_LIMIT`] are.
    pub fn add_notice(&mut self, n: Notice) {
        self.notice_counts.add(n.class);
        if self.notices.len() < DETAIL_LIMIT {
            self.notices.push(n);
        }
    }

    /// How many problems were found, kept in full or not.
    pub fn problem_total(&self) -> u64 {
        self.problem_counts.total()
    }

    /// How many notices were given, kept in full or not.
    pub fn notice_total(&self) -> u64 {
        self.notice_counts.total()
    }
}

/// Why a line could not be turned into a verified entry, with what could be read of it.
#[derive(Debug, Clone)]
pub struct LineError {
    /// The problem.
    pub error: FormatError,
    /// The member, if the envelope was readable.
    pub member: Option<MemberId>,
    /// The seq, if the envelope was readable.
    pub seq: Option<u64>,
}

impl From<FormatError> for LineError {
    fn from(error: FormatError) -> Self {
        LineError {
            error,
            member: None,
            seq: None,
        }
    }
}

/// What [`ChainVerifier::push_with`] reports, as it finds it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Found<'a> {
    /// A problem. `stops` is set when it stopped its member's chain (spec §5.1 step 6, §5.2
    /// rules 1, 2 and 4): the member's later lines of the file are unchecked.
    Problem {
        /// The problem.
        problem: &'a Problem,
        /// Whether it stopped `problem.member`'s chain.
        stops: bool,
    },
    /// A notice.
    Notice(&'a Notice),
}

/// What the chain rules need of a member beside its summary (which holds the head's seq and id).
/// 40 bytes; what grows with the chain is in `history`.
#[derive(Clone)]
struct Chain {
    /// The last accepted entry's time (`None` before the first).
    last_time: Option<Timestamp>,
    /// The last accepted entry's line.
    head_line: u32,
    /// Whether the chain has stopped (spec §5.1, §5.2).
    stopped: bool,
    /// Allocated for a member with more than one entry, a live declaration or a key rotation.
    history: Option<Box<History>>,
}

impl Chain {
    fn new() -> Self {
        Chain {
            last_time: None,
            head_line: 0,
            stopped: false,
            history: None,
        }
    }

    /// Whether `key` is the key `member`'s chain authorises at `seq`, which is at most one past
    /// the head's.
    fn signs_at(&self, member: &MemberId, seq: u64, key: &PublicKey) -> bool {
        match &self.history {
            Some(h) => h
                .keys
                .iter()
                .rev()
                .find(|(from, _)| *from <= seq)
                .is_some_and(|(_, k)| *k == key.to_bytes()),
            // No history: at most one entry and no rotation, so the only key is the founding
            // key, the one whose hash is the member id (§4.4).
            None => key.member_id() == *member,
        }
    }
}

/// The part of a member's state that grows with its chain.
#[derive(Clone)]
struct History {
    /// Each key with the first seq it signs for: the founding key at 1, then one per rotation.
    keys: Vec<(u64, [u8; 32])>,
    /// For each seq from 1 to the head's seq minus one, the accepted entry (the head itself is
    /// in the summary).
    seen: Vec<Seen>,
    /// Live declarations (§6.2).
    live: HashSet<EntryId>,
    /// The member's declarations with `sealed`, live or not, with their commitments: what a
    /// disclosure or `unseal` may target and what an `unseal` must match (§7).
    sealed: HashMap<EntryId, Box<[(SealedField, Hash32)]>>,
}

/// An accepted entry, for rule 3: the first 16 bytes of its id and its line (20 bytes).
///
/// Rule 3 tells a duplicate from a fork by these bytes: making a fork look like a duplicate would
/// take a key holder about 2^128 hashes (8 bytes, as kept before, would take 2^64).
#[derive(Clone, Copy)]
struct Seen {
    id: [u8; 16],
    line: u32,
}

/// Pushes `x` onto `v`, growing it by a quarter rather than doubling it when full: per-entry lists
/// (here and in [`crate::CrossFiles`]) are most of what verifying a large file keeps, and doubling
/// leaves up to half of each unused. Still amortised constant time.
pub(crate) fn push_compact<T>(v: &mut Vec<T>, x: T) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.len() / 4).max(4));
    }
    v.push(x);
}

/// The first 16 bytes of an id.
fn id16(id: &EntryId) -> [u8; 16] {
    let mut a = [0u8; 16];
    a.copy_from_slice(&id.as_bytes()[..16]);
    a
}

/// Why a reference of `data`, an entry of `member`, does not resolve in the member's chain (spec
/// §6.2, §7), or names the member's own declaration where another member's is meant (§8.2).
fn unresolved_reference(
    member: &MemberId,
    data: &Data,
    history: Option<&History>,
) -> Option<String> {
    let live = |t: &EntryId| history.is_some_and(|h| h.live.contains(t));
    let sealed = |t: &EntryId| history.is_some_and(|h| h.sealed.contains_key(t));
    if let Some(target) = data.own_target().filter(|t| !live(t)) {
        return Some(format!(
            "target {} is not a live declaration of this member earlier in the chain",
            target.fingerprint()
        ));
    }
    match data {
        Data::Determination(d) if d.member == *member => Some(
            "a determination is about another member's declaration, not the recorder's own".into(),
        ),
        Data::Disclosure(d) if !sealed(&d.target) => Some(format!(
            "disclosure target {} is not a declaration of this member with sealed fields earlier in the chain",
            d.target.fingerprint()
        )),
        Data::Unseal(u) if !sealed(&u.target) => Some(format!(
            "unseal target {} is not a declaration of this member with sealed fields earlier in the chain",
            u.target.fingerprint()
        )),
        Data::Unseal(u) => {
            let commitments = history.and_then(|h| h.sealed.get(&u.target))?;
            u.fields
                .keys()
                .find(|f| !commitments.iter().any(|(g, _)| g == *f))
                .map(|f| {
                    format!(
                        "unseal opens {}, which declaration {} did not seal",
                        f.as_str(),
                        u.target.fingerprint()
                    )
                })
        }
        _ => None,
    }
}

/// Why `data` breaks a commitment rule of spec §7.3 (`bad-commitment`): an `unseal` whose value
/// does not match its target's commitment, or an `amend` that repeats a commitment of the
/// version it replaces (a reused salt). Run after [`unresolved_reference`] passed.
fn broken_commitment(data: &Data, history: Option<&History>) -> Option<String> {
    let commitments = |t: &EntryId| history.and_then(|h| h.sealed.get(t));
    match data {
        Data::Unseal(u) => {
            let c = commitments(&u.target)?;
            u.fields.iter().find_map(|(f, o)| {
                let want = c.iter().find(|(g, _)| g == f).map(|(_, h)| h)?;
                (o.commitment(*f).as_ref() != Some(want)).then(|| {
                    format!(
                        "the value unsealed for {} does not match the commitment of declaration {}",
                        f.as_str(),
                        u.target.fingerprint()
                    )
                })
            })
        }
        Data::Amend {
            target,
            declaration,
        } => {
            let old = commitments(target)?;
            declaration.sealed.as_ref()?.iter().find_map(|(f, h)| {
                old.iter().any(|(_, o)| o == h).then(|| {
                    format!(
                        "the commitment of {} repeats one of declaration {}: a salt was reused",
                        f.as_str(),
                        target.fingerprint()
                    )
                })
            })
        }
        _ => None,
    }
}

/// Members numbered in order of first appearance, found by the first 8 bytes of their id: 16
/// bytes a slot where a map keyed by the whole id takes 40, which counts in a body of a million
/// members. A member whose 8 bytes another member already has (anyone can make such member ids,
/// with some work) is found by its whole id in `overflow`. The ids themselves are kept by the
/// caller, beside what it keeps per member.
#[derive(Clone, Default)]
pub(crate) struct MemberIndex {
    by_prefix: HashMap<u64, usize>,
    overflow: HashMap<MemberId, usize>,
}

impl MemberIndex {
    /// The number of member `m`, where `member_at` gives the id of each member numbered so far
    /// and `next` their count. A new member gets `next`, which the caller must then add.
    pub(crate) fn number<'a>(
        &mut self,
        m: &MemberId,
        next: usize,
        member_at: impl Fn(usize) -> Option<&'a MemberId>,
    ) -> usize {
        match self.by_prefix.entry(m.prefix64()) {
            Slot::Occupied(o) if member_at(*o.get()) == Some(m) => *o.get(),
            Slot::Occupied(_) => *self.overflow.entry(*m).or_insert(next),
            Slot::Vacant(v) => *v.insert(next),
        }
    }
}

impl MemberIndex {
    /// The number of member `m` if it has one, without numbering it.
    pub(crate) fn find<'a>(
        &self,
        m: &MemberId,
        member_at: impl Fn(usize) -> Option<&'a MemberId>,
    ) -> Option<usize> {
        match self.by_prefix.get(&m.prefix64()) {
            Some(&i) if member_at(i) == Some(m) => Some(i),
            Some(_) => self.overflow.get(m).copied(),
            None => None,
        }
    }
}

/// Checks the chain rules over entries fed in file order.
///
/// A clone carries on from the same state: a store judging a fork proof tries the other entry at
/// a position on a clone and goes on with the chain's own (spec §5.5).
///
/// Members are numbered in order of appearance (`MemberIndex`): `summaries` and `chains` are
/// indexed by that number.
#[derive(Clone, Default)]
pub struct ChainVerifier {
    index: MemberIndex,
    summaries: Vec<MemberSummary>,
    chains: Vec<Chain>,
    report: Report,
}

impl ChainVerifier {
    /// A verifier that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of member `m`, who is added if new.
    fn member(&mut self, m: &MemberId) -> usize {
        let next = self.summaries.len();
        let summaries = &self.summaries;
        let i = self
            .index
            .number(m, next, |i| summaries.get(i).map(|s| &s.member));
        if i == next {
            self.summaries.push(MemberSummary {
                member: *m,
                name: None,
                entries: 0,
                head_seq: 0,
                head_id: None,
                unchecked: 0,
            });
            self.chains.push(Chain::new());
        }
        i
    }

    /// Feeds the outcome of line `line_no`; returns whether the entry was accepted into its chain.
    pub fn push(&mut self, line_no: u64, outcome: &Result<Entry, LineError>) -> bool {
        self.push_with(line_no, outcome, &mut |_| {})
    }

    /// [`ChainVerifier::push`] that also shows `found` the problem or notice of the line, if any,
    /// as it is recorded (reports that stream, spec §9).
    pub fn push_with(
        &mut self,
        line_no: u64,
        outcome: &Result<Entry, LineError>,
        found: &mut dyn FnMut(Found<'_>),
    ) -> bool {
        self.report.lines += 1;
        match outcome {
            Err(e) => {
                let mut stops = false;
                if let Some(m) = e.member {
                    let i = self.member(&m);
                    if self.chains[i].stopped {
                        self.summaries[i].unchecked += 1;
                        return false;
                    }
                    // A line whose member is known but which is itself bad ends that chain here:
                    // nothing after it can link to it.
                    self.chains[i].stopped = true;
                    stops = true;
                }
                let p = Problem {
                    line: line_no,
                    member: e.member,
                    seq: e.seq,
                    class: e.error.class,
                    message: e.error.message.clone(),
                    other_line: None,
                    other_file: None,
                };
                self.found_problem(p, stops, found);
                false
            }
            Ok(entry) => self.push_entry(line_no, entry, found),
        }
    }

    fn found_problem(&mut self, p: Problem, stops: bool, found: &mut dyn FnMut(Found<'_>)) {
        found(Found::Problem { problem: &p, stops });
        self.report.add_problem(p);
    }

    fn push_entry(&mut self, line_no: u64, e: &Entry, found: &mut dyn FnMut(Found<'_>)) -> bool {
        let i = self.member(&e.member);
        let (sum, st) = (&mut self.summaries[i], &mut self.chains[i]);
        let problem = |class: ErrorClass, message: String, other: Option<u64>| Problem {
            line: line_no,
            member: Some(e.member),
            seq: Some(e.seq),
            class,
            message,
            other_line: other,
            other_file: None,
        };
        if st.stopped {
            sum.unchecked += 1;
            return false;
        }
        let next_seq = sum.head_seq + 1;
        let head = sum.head_id.unwrap_or(EntryId::ZERO);
        if e.seq < next_seq {
            // Rule 3: a second line for a position already taken. Does not stop the chain.
            let (same, other) = if e.seq == sum.head_seq {
                (e.id == head, st.head_line)
            } else {
                // The history holds every seq below the head's.
                let seen = usize::try_from(e.seq - 1)
                    .ok()
                    .and_then(|k| st.history.as_ref().and_then(|h| h.seen.get(k)).copied());
                seen.map_or((false, 0), |s| (s.id == id16(&e.id), s.line))
            };
            let p = if same {
                problem(
                    ErrorClass::DuplicateEntry,
                    format!(
                        "entry {} appears again (first at line {other})",
                        e.id.fingerprint()
                    ),
                    Some(u64::from(other)),
                )
            } else if st.signs_at(&e.member, e.seq, &e.key) {
                problem(ErrorClass::Fork, format!("two different validly signed entries for seq {} (the other is at line {other}): the member's key signed conflicting histories", e.seq), Some(u64::from(other)))
            } else {
                problem(ErrorClass::WrongKey, format!("a second entry for seq {} (the first is at line {other}) is signed with a key that is not the member's", e.seq), Some(u64::from(other)))
            };
            self.found_problem(p, false, found);
            return false;
        }
        let fail = if e.seq > next_seq {
            Some((
                ErrorClass::SeqGap,
                if next_seq == 1 {
                    format!("the member's first line has seq {}; a file must carry each chain from seq 1", e.seq)
                } else {
                    format!(
                        "expected seq {}, found {}: entries missing or out of order",
                        next_seq, e.seq
                    )
                },
            ))
        } else if e.seq == 1 && e.key.member_id() != e.member {
            Some((
                ErrorClass::MemberKeyMismatch,
                "the first entry's key does not hash to the member id".to_string(),
            ))
        } else if e.seq == 1 && e.prev != EntryId::ZERO {
            Some((
                ErrorClass::BrokenLink,
                "the first entry's prev must be all zeros".to_string(),
            ))
        } else if e.prev != head {
            Some((
                ErrorClass::BrokenLink,
                format!(
                    "prev {} is not the id of the member's entry at seq {} ({})",
                    e.prev.fingerprint(),
                    e.seq - 1,
                    head.fingerprint()
                ),
            ))
        } else if e.seq > 1 && !st.signs_at(&e.member, e.seq, &e.key) {
            Some((
                ErrorClass::WrongKey,
                "signed with a key that is not the member's current key".to_string(),
            ))
        } else if st.last_time.as_ref().is_some_and(|t| e.time < *t) {
            Some((
                ErrorClass::TimeRegression,
                format!(
                    "time {} is earlier than the previous entry's {}",
                    e.time.as_str(),
                    st.last_time.as_ref().map(|t| t.as_str()).unwrap_or("")
                ),
            ))
        } else {
            unresolved_reference(&e.member, &e.data, st.history.as_deref())
                .map(|m| (ErrorClass::BadReference, m))
                .or_else(|| {
                    broken_commitment(&e.data, st.history.as_deref())
                        .map(|m| (ErrorClass::BadCommitment, m))
                })
        };
        if let Some((class, message)) = fail {
            st.stopped = true;
            let p = problem(class, message, None);
            self.found_problem(p, true, found);
            return false;
        }
        // Accepted: advance the chain. A chain of one entry without declarations or rotation
        // needs no history (most members of a large body, whose chains are short).
        let grows = e.seq > 1
            || matches!(
                e.data,
                Data::Declaration(_) | Data::Amend { .. } | Data::KeyRotation(_)
            );
        if grows {
            // Created at seq 1, or at seq 2 (where rule 2 found the key to be the founding key).
            let h = st.history.get_or_insert_with(|| {
                Box::new(History {
                    keys: vec![(1, e.key.to_bytes())],
                    seen: Vec::new(),
                    live: HashSet::new(),
                    sealed: HashMap::new(),
                })
            });
            if sum.head_seq >= 1 {
                push_compact(
                    &mut h.seen,
                    Seen {
                        id: id16(&head),
                        line: st.head_line,
                    },
                );
            }
            if let Some(t) = e.data.own_target() {
                h.live.remove(t);
            }
            if let Data::Declaration(_) | Data::Amend { .. } = &e.data {
                h.live.insert(e.id);
                if let Some(sealed) = e.data.declaration().and_then(|d| d.sealed.as_ref()) {
                    h.sealed
                        .insert(e.id, sealed.iter().map(|(f, c)| (*f, *c)).collect());
                }
            }
            if let Data::KeyRotation(k) = &e.data {
                h.keys.push((e.seq + 1, k.new_key.to_bytes()));
            }
        }
        let mut notice = None;
        match &e.data {
            Data::Profile(p) => sum.name = Some(p.name.clone()),
            Data::Unknown { kind, .. } => notice = Some(Notice {
                line: line_no,
                member: e.member,
                seq: e.seq,
                class: NoticeClass::UnknownKind,
                message: format!("kind {} is not defined by format version 1; its signature and chain position were checked, its content was not", crate::text::quote(kind)),
            }),
            _ => {}
        }
        sum.head_seq = e.seq;
        sum.entries += 1;
        sum.head_id = Some(e.id);
        st.head_line = u32::try_from(line_no).unwrap_or(u32::MAX);
        st.last_time = Some(e.time);
        self.report.entries += 1;
        if let Some(n) = notice {
            found(Found::Notice(&n));
            self.report.add_notice(n);
        }
        true
    }

    /// Whether no problem has been found so far.
    pub fn is_valid(&self) -> bool {
        self.report.problem_counts.is_empty()
    }

    /// Adds a problem found outside the chain rules (e.g. by comparing files, spec §5.3).
    pub fn add_problem(&mut self, p: Problem) {
        self.report.add_problem(p);
    }

    /// Ends verification and produces the report.
    pub fn finish(self) -> Report {
        let ChainVerifier {
            index,
            mut summaries,
            chains,
            mut report,
        } = self;
        // Free the chain state before the report is handed on.
        drop((index, chains));
        summaries.sort_unstable_by_key(|m| m.member);
        report.members = summaries;
        report.valid = report.problem_counts.is_empty();
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A notice's class is written as its name, in reports and in JSON.
    #[test]
    fn notice_class_is_written_by_name() {
        for c in NoticeClass::ALL {
            assert_eq!(NoticeClass::from_name(c.as_str()), Some(c));
            assert_eq!(c.to_string(), c.as_str());
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
        assert_eq!(NoticeClass::UnknownKind, "unknown-kind");
        assert_eq!(NoticeClass::from_name("unknown"), None);
    }

    fn signed(key: &crate::keys::SecretKey, seq: u64, prev: EntryId, data: Data) -> Entry {
        crate::entry::Draft {
            member: key.public().member_id(),
            seq,
            prev,
            time: Timestamp::parse("2026-12-01T09:00:00Z").unwrap(),
            data,
        }
        .sign(key)
        .unwrap()
    }

    fn profile(name: &str) -> Data {
        Data::Profile(crate::entry::Profile {
            name: name.into(),
            capacity: None,
            affiliation: None,
        })
    }

    /// `e` with an id that agrees with `like`'s in the first `n` bytes and with `e`'s after.
    fn id_like(mut e: Entry, like: &EntryId, n: usize) -> Entry {
        let mut id = *e.id.as_bytes();
        assert_ne!(id[n..], like.as_bytes()[n..]);
        id[..n].copy_from_slice(&like.as_bytes()[..n]);
        e.id = EntryId::from_bytes(id);
        e
    }

    /// Rule 3 tells a duplicate from a fork by more than 8 bytes of the id: a key holder who
    /// ground 2^64 hashes for a second entry whose id starts like the first's still makes a
    /// `fork`, at the head's seq (compared with the whole id) and below it (16 bytes kept).
    #[test]
    fn ids_equal_in_their_first_8_bytes_are_a_fork_not_a_duplicate() {
        let key = crate::keys::SecretKey::from_seed(&[3; 32]);
        let one = signed(&key, 1, EntryId::ZERO, profile("Ada"));
        let two = signed(&key, 2, one.id, profile("Ada L."));
        let mut v = ChainVerifier::new();
        assert!(v.push(1, &Ok(one.clone())));
        assert!(v.push(2, &Ok(two.clone())));
        let below = id_like(signed(&key, 1, EntryId::ZERO, profile("Eve")), &one.id, 8);
        let at_head = id_like(signed(&key, 2, one.id, profile("Eve")), &two.id, 8);
        assert!(!v.push(3, &Ok(below)));
        assert!(!v.push(4, &Ok(at_head)));
        // The same entries again are duplicates.
        assert!(!v.push(5, &Ok(one)));
        assert!(!v.push(6, &Ok(two)));
        let r = v.finish();
        let got: Vec<_> = r
            .problems
            .iter()
            .map(|p| (p.line, p.class, p.other_line))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, ErrorClass::Fork, Some(1)),
                (4, ErrorClass::Fork, Some(2)),
                (5, ErrorClass::DuplicateEntry, Some(1)),
                (6, ErrorClass::DuplicateEntry, Some(2)),
            ]
        );
        assert_eq!(r.members.len(), 1);
        assert_eq!((r.members[0].head_seq, r.members[0].entries), (2, 2));
    }

    /// A member of one entry has no history; its second entry is checked against the founding
    /// key (the one that hashes to the member id), and a rotation changes the key from then on.
    #[test]
    fn chains_without_history_check_keys_like_those_with_one() {
        let key = crate::keys::SecretKey::from_seed(&[4; 32]);
        let other = crate::keys::SecretKey::from_seed(&[5; 32]);
        let one = signed(&key, 1, EntryId::ZERO, profile("Ada"));
        let mut v = ChainVerifier::new();
        assert!(v.push(1, &Ok(one.clone())));
        // Signed by another key, as if by the member: wrong-key at rule 2, then unchecked.
        let mut forged = signed(&other, 2, one.id, profile("Ada"));
        forged.member = one.member;
        assert!(!v.push(2, &Ok(forged.clone())));
        let r = v.finish();
        assert_eq!(r.problems[0].class, ErrorClass::WrongKey);
        // Rule 3 at seq 1 with another key: wrong-key, not a fork.
        let mut v = ChainVerifier::new();
        assert!(v.push(1, &Ok(one.clone())));
        let mut forged1 = signed(&other, 1, EntryId::ZERO, profile("Ada"));
        forged1.member = one.member;
        assert!(!v.push(2, &Ok(forged1)));
        assert!(v.push(3, &Ok(signed(&key, 2, one.id, profile("Ada")))));
        let r = v.finish();
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].class, ErrorClass::WrongKey);
        assert_eq!(r.problems[0].other_line, Some(1));
        assert_eq!(r.entries, 2);
    }

    /// However many problems, a report keeps the first DETAIL_LIMIT in full and counts all of
    /// them exactly, by class; `push_with` shows every one as it is found.
    #[test]
    fn reports_keep_the_first_problems_and_count_all() {
        let mut v = ChainVerifier::new();
        let n = DETAIL_LIMIT as u64 * 3 + 7;
        let mut shown = 0u64;
        for line in 1..=n {
            let class = if line % 3 == 0 {
                ErrorClass::EmptyLine
            } else {
                ErrorClass::JsonSyntax
            };
            let e = LineError::from(FormatError::new(class, "junk"));
            v.push_with(line, &Err(e), &mut |f| {
                if let Found::Problem { problem, stops } = f {
                    assert_eq!(problem.line, shown + 1);
                    assert!(!stops);
                    shown += 1;
                }
            });
        }
        assert!(!v.is_valid());
        let r = v.finish();
        assert!(!r.valid);
        assert_eq!(shown, n);
        assert_eq!(r.lines, n);
        assert_eq!(r.problems.len(), DETAIL_LIMIT);
        assert!(r
            .problems
            .iter()
            .enumerate()
            .all(|(i, p)| p.line == i as u64 + 1));
        assert_eq!(r.problem_total(), n);
        assert_eq!(r.problem_counts.get(ErrorClass::EmptyLine), n / 3);
        assert_eq!(r.problem_counts.get(ErrorClass::JsonSyntax), n - n / 3);
        assert_eq!(r.problem_counts.get(ErrorClass::Fork), 0);
        assert_eq!(
            serde_json::to_string(&r.problem_counts).unwrap(),
            format!("{{\"empty-line\":{},\"json-syntax\":{}}}", n / 3, n - n / 3)
        );
    }
}
