//! Pure chain verification (spec §5): feeds entries in file order, checks every chain rule, and
//! keeps per-member state only (memory grows with members, live declarations and 12 bytes per
//! entry for fork and duplicate detection, never with entry bodies).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::entry::{Data, Entry, EntryId, Timestamp};
use crate::error::{ErrorClass, FormatError};
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

/// What is known about one member after a file: for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberSummary {
    /// The member id.
    pub member: MemberId,
    /// The display name of the member's latest profile in the file, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Entries of the member accepted into the chain.
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
    /// Problems, in file order.
    pub problems: Vec<Problem>,
    /// Notices, in file order.
    pub notices: Vec<Notice>,
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

struct MemberState {
    /// Keys with the first seq each signs for.
    keys: Vec<(u64, PublicKey)>,
    next_seq: u64,
    head: EntryId,
    last_time: Option<Timestamp>,
    broken: bool,
    /// For each accepted seq: the id's first 8 bytes (high and low halves) and the line number,
    /// in 12 bytes (a tuple of a u64 and a u32 would take 16).
    seen: Vec<[u32; 3]>,
    live: HashSet<EntryId>,
    /// The member's declarations with `sealed`, live or not: what a disclosure may target (§7).
    sealed: HashSet<EntryId>,
    name: Option<String>,
    entries: u64,
    unchecked: u64,
}

impl MemberState {
    fn new() -> Self {
        MemberState {
            keys: Vec::new(),
            next_seq: 1,
            head: EntryId::ZERO,
            last_time: None,
            broken: false,
            seen: Vec::new(),
            live: HashSet::new(),
            sealed: HashSet::new(),
            name: None,
            entries: 0,
            unchecked: 0,
        }
    }

    fn key_at(&self, seq: u64) -> Option<&PublicKey> {
        self.keys
            .iter()
            .rev()
            .find(|(from, _)| *from <= seq)
            .map(|(_, k)| k)
    }
}

/// Why a reference of `data`, an entry of `member`, does not resolve in the member's chain (spec
/// §6.2, §7), or names the member's own declaration where another member's is meant (§8.2).
fn unresolved_reference(member: &MemberId, data: &Data, st: &MemberState) -> Option<String> {
    if let Some(target) = data.own_target().filter(|t| !st.live.contains(*t)) {
        return Some(format!(
            "target {} is not a live declaration of this member earlier in the chain",
            target.fingerprint()
        ));
    }
    match data {
        Data::Determination(d) if d.member == *member => Some(
            "a determination is about another member's declaration, not the recorder's own".into(),
        ),
        Data::Disclosure(d) if !st.sealed.contains(&d.target) => Some(format!(
            "disclosure target {} is not a declaration of this member with sealed fields earlier in the chain",
            d.target.fingerprint()
        )),
        _ => None,
    }
}

/// Checks the chain rules over entries fed in file order.
#[derive(Default)]
pub struct ChainVerifier {
    members: HashMap<MemberId, MemberState>,
    problems: Vec<Problem>,
    notices: Vec<Notice>,
    lines: u64,
    entries: u64,
}

impl ChainVerifier {
    /// A verifier that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the outcome of line `line_no`; returns whether the entry was accepted into its chain.
    pub fn push(&mut self, line_no: u64, outcome: &Result<Entry, LineError>) -> bool {
        self.lines += 1;
        match outcome {
            Err(e) => {
                if let Some(m) = e.member {
                    let st = self.members.entry(m).or_insert_with(MemberState::new);
                    if st.broken {
                        st.unchecked += 1;
                        return false;
                    }
                    // A line whose member is known but which is itself bad ends that chain here:
                    // nothing after it can link to it.
                    st.broken = true;
                }
                self.report_problem(Problem {
                    line: line_no,
                    member: e.member,
                    seq: e.seq,
                    class: e.error.class,
                    message: e.error.message.clone(),
                    other_line: None,
                });
                false
            }
            Ok(entry) => self.push_entry(line_no, entry),
        }
    }

    fn push_entry(&mut self, line_no: u64, e: &Entry) -> bool {
        let st = self
            .members
            .entry(e.member)
            .or_insert_with(MemberState::new);
        let problem = |class: ErrorClass, message: String, other: Option<u64>| Problem {
            line: line_no,
            member: Some(e.member),
            seq: Some(e.seq),
            class,
            message,
            other_line: other,
        };
        if st.broken {
            st.unchecked += 1;
            return false;
        }
        if e.seq < st.next_seq {
            // Rule 3: a second line for a position already taken. Does not stop the chain.
            let [high, low, other] = st.seen[(e.seq - 1) as usize];
            let prefix = (u64::from(high) << 32) | u64::from(low);
            let p = if prefix == e.id.prefix64() {
                problem(
                    ErrorClass::DuplicateEntry,
                    format!(
                        "entry {} appears again (first at line {other})",
                        e.id.fingerprint()
                    ),
                    Some(other as u64),
                )
            } else if st.key_at(e.seq) == Some(&e.key) {
                problem(ErrorClass::Fork, format!("two different validly signed entries for seq {} (the other is at line {other}): the member's key signed conflicting histories", e.seq), Some(other as u64))
            } else {
                problem(ErrorClass::WrongKey, format!("a second entry for seq {} (the first is at line {other}) is signed with a key that is not the member's", e.seq), Some(other as u64))
            };
            self.report_problem(p);
            return false;
        }
        let fail = if e.seq > st.next_seq {
            Some((
                ErrorClass::SeqGap,
                if st.next_seq == 1 {
                    format!("the member's first line has seq {}; a file must carry each chain from seq 1", e.seq)
                } else {
                    format!(
                        "expected seq {}, found {}: entries missing or out of order",
                        st.next_seq, e.seq
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
        } else if e.prev != st.head {
            Some((
                ErrorClass::BrokenLink,
                format!(
                    "prev {} is not the id of the member's entry at seq {} ({})",
                    e.prev.fingerprint(),
                    e.seq - 1,
                    st.head.fingerprint()
                ),
            ))
        } else if e.seq > 1 && st.key_at(e.seq) != Some(&e.key) {
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
            unresolved_reference(&e.member, &e.data, st).map(|m| (ErrorClass::BadReference, m))
        };
        if let Some((class, message)) = fail {
            st.broken = true;
            let p = problem(class, message, None);
            self.report_problem(p);
            return false;
        }
        // Accepted: advance the chain.
        if let Some(t) = e.data.own_target() {
            st.live.remove(t);
        }
        let mut notice = None;
        match &e.data {
            Data::Declaration(_) | Data::Amend { .. } => {
                st.live.insert(e.id);
                if e.data.declaration().is_some_and(|d| d.sealed.is_some()) {
                    st.sealed.insert(e.id);
                }
            }
            Data::Profile(p) => st.name = Some(p.name.clone()),
            Data::Unknown { kind, .. } => notice = Some(Notice {
                line: line_no,
                member: e.member,
                seq: e.seq,
                class: NoticeClass::UnknownKind,
                message: format!("kind {} is not defined by format version 1; its signature and chain position were checked, its content was not", crate::text::quote(kind)),
            }),
            _ => {}
        }
        if e.seq == 1 {
            st.keys.push((1, e.key));
        }
        if let Data::KeyRotation(k) = &e.data {
            st.keys.push((e.seq + 1, k.new_key));
        }
        let prefix = e.id.prefix64();
        st.seen.push([
            (prefix >> 32) as u32,
            prefix as u32,
            u32::try_from(line_no).unwrap_or(u32::MAX),
        ]);
        st.next_seq += 1;
        st.head = e.id;
        st.last_time = Some(e.time);
        st.entries += 1;
        self.entries += 1;
        if let Some(n) = notice {
            self.report_notice(n);
        }
        true
    }

    /// Records a problem: every problem found goes through here.
    fn report_problem(&mut self, p: Problem) {
        self.problems.push(p);
    }

    /// Records a notice: every notice goes through here.
    fn report_notice(&mut self, n: Notice) {
        self.notices.push(n);
    }

    /// Whether `member`'s chain has stopped (a problem of spec §5.1 or §5.2 stopped it).
    pub fn is_stopped(&self, member: &MemberId) -> bool {
        self.members.get(member).is_some_and(|st| st.broken)
    }

    /// Whether no problem has been found so far.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// Adds a problem found outside the chain rules (e.g. a file-level byte problem).
    pub fn add_problem(&mut self, p: Problem) {
        self.report_problem(p);
    }

    /// Ends verification and produces the report.
    pub fn finish(self) -> Report {
        let mut members: Vec<MemberSummary> = self
            .members
            .into_iter()
            .map(|(member, st)| MemberSummary {
                member,
                name: st.name,
                entries: st.entries,
                head_seq: st.next_seq - 1,
                head_id: (st.next_seq > 1).then_some(st.head),
                unchecked: st.unchecked,
            })
            .collect();
        members.sort_by_key(|m| m.member);
        Report {
            valid: self.problems.is_empty(),
            lines: self.lines,
            entries: self.entries,
            members,
            problems: self.problems,
            notices: self.notices,
        }
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
}
