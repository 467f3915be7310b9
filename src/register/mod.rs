//! The register: a pure model of what each member has declared, folded from verified entries
//! (spec §6), and what was in force at a given point.
//!
//! Every declaration is an [`Interest`] with all its versions (the declaration and its
//! amendments) and how it ended (withdrawn or retracted), so that nothing said is lost and any
//! point in time or chain position can be looked at. Nil returns (`no-conflict`) and
//! reaffirmations are kept beside them. A [`Point`] says which entries count (those up to a time,
//! or up to a member's `seq`, as a vote's heads commit to) and on which date the declarations'
//! own `since` and `until` are judged.
//!
//! Feed entries that were accepted into their chains (verified files, or a store), each member's
//! in chain order; members may be interleaved. The model trusts that order and does not verify.

pub mod html;
pub mod site;
pub mod table;

use std::collections::{BTreeMap, HashMap};

use crate::entry::{Data, Date, Declaration, Entry, EntryId, Matter, Profile, Scope, Timestamp};
use crate::keys::MemberId;

/// Where an entry stands in its member's chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    /// The entry id.
    pub id: EntryId,
    /// Its seq.
    pub seq: u64,
    /// Its (self-asserted) time.
    pub time: Timestamp,
}

impl Mark {
    fn of(e: &Entry) -> Mark {
        Mark {
            id: e.id,
            seq: e.seq,
            time: e.time,
        }
    }
}

/// One version of a declaration: the original or an amendment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The entry that made it.
    pub mark: Mark,
    /// What it says.
    pub declaration: Declaration,
}

/// How a declaration ended in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The interest ended (`withdraw`), on `until` if the member said when.
    Withdrawn {
        /// When the interest ended, as the member said.
        until: Option<Date>,
    },
    /// The declaration was made in error (`retract`).
    Retracted {
        /// Why, as the member said.
        reason: String,
    },
}

/// The entry that ended a declaration, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct End {
    /// The `withdraw` or `retract` entry.
    pub mark: Mark,
    /// How.
    pub how: Ending,
}

/// A declared interest: its versions, oldest first, and its end if it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interest {
    /// The member.
    pub member: MemberId,
    /// The declaration and its amendments, in chain order (never empty).
    pub versions: Vec<Version>,
    /// The withdraw or retract that ended it.
    pub end: Option<End>,
}

/// What an interest is at a [`Point`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State<'a> {
    /// In force: declared by then, not ended, and the date is within its `since` and `until`.
    Current(&'a Version),
    /// Declared, but its `since` is after the date.
    NotYet(&'a Version),
    /// Declared, not withdrawn, but its `until` is before the date.
    Expired(&'a Version),
    /// Withdrawn (the interest ended) by then.
    Withdrawn(&'a Version, &'a End),
    /// Retracted (declared in error) by then.
    Retracted(&'a Version, &'a End),
}

impl State<'_> {
    /// Whether the interest is in force.
    pub fn is_current(&self) -> bool {
        matches!(self, State::Current(_))
    }

    /// The version the state is about: the last one made by the point.
    pub fn version(&self) -> &Version {
        match self {
            State::Current(v)
            | State::NotYet(v)
            | State::Expired(v)
            | State::Withdrawn(v, _)
            | State::Retracted(v, _) => v,
        }
    }
}

/// Which entries count, and on which date declarations are judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Point {
    cut: Cut,
    date: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Cut {
    /// Entries whose time is at most this.
    Time(Timestamp),
    /// Entries of each member up to a seq (members not named: none of their entries).
    Seqs(HashMap<MemberId, u64>),
}

impl Point {
    /// The register as it stood at `t`: entries made by then, declarations judged on `t`'s date.
    pub fn at_time(t: Timestamp) -> Point {
        Point {
            date: t.date().to_string(),
            cut: Cut::Time(t),
        }
    }

    /// The register at the end of `date` (UTC): entries made that day or before.
    pub fn end_of(date: &Date) -> Point {
        let t = Timestamp::parse(&format!("{}T23:59:59Z", date.as_str()))
            .unwrap_or_else(|_| Timestamp::from_unix(0));
        Point::at_time(t)
    }

    /// The register at these chain positions (a vote's heads): each named member's entries up to
    /// its seq, declarations judged on `date` (the vote's).
    pub fn at_heads(heads: impl IntoIterator<Item = (MemberId, u64)>, date: &Date) -> Point {
        Point {
            cut: Cut::Seqs(heads.into_iter().collect()),
            date: date.as_str().to_string(),
        }
    }

    /// Whether the entry at `mark` of `member` counts at this point.
    pub fn includes(&self, member: &MemberId, mark: &Mark) -> bool {
        match &self.cut {
            Cut::Time(t) => mark.time <= *t,
            Cut::Seqs(heads) => heads.get(member).is_some_and(|&s| mark.seq <= s),
        }
    }

    /// The date declarations are judged on (`YYYY-MM-DD`).
    pub fn date(&self) -> &str {
        &self.date
    }
}

impl Interest {
    /// The first version (the declaration itself).
    pub fn first(&self) -> &Version {
        &self.versions[0]
    }

    /// The versions `v` replaced, newest first.
    pub fn earlier<'a>(&'a self, v: &'a Version) -> impl Iterator<Item = &'a Version> + 'a {
        self.versions
            .iter()
            .rev()
            .filter(move |x| x.mark.seq < v.mark.seq)
    }

    /// The interest at `point`: `None` if it was not declared by then.
    pub fn state_at(&self, point: &Point) -> Option<State<'_>> {
        let v = self
            .versions
            .iter()
            .rev()
            .find(|v| point.includes(&self.member, &v.mark))?;
        if let Some(end) = self
            .end
            .as_ref()
            .filter(|e| point.includes(&self.member, &e.mark))
        {
            return Some(match end.how {
                Ending::Withdrawn { .. } => State::Withdrawn(v, end),
                Ending::Retracted { .. } => State::Retracted(v, end),
            });
        }
        let d = &v.declaration;
        let date = point.date();
        if d.since.as_ref().is_some_and(|s| s.as_str() > date) {
            return Some(State::NotYet(v));
        }
        if d.until.as_ref().is_some_and(|u| u.as_str() < date) {
            return Some(State::Expired(v));
        }
        Some(State::Current(v))
    }
}

/// Whether declaration `d` is about `matter`: a standing declaration is about every matter.
pub fn declaration_touches(d: &Declaration, matter: &Matter) -> bool {
    match d.scope {
        Scope::Standing => true,
        Scope::Specific => d.matters.as_ref().is_some_and(|ms| ms.contains(matter)),
    }
}

/// A nil return: the member said there is nothing to declare, on some matters or as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NilReturn {
    /// The `no-conflict` entry.
    pub mark: Mark,
    /// `standing` (nothing to declare at all) or `specific` (on `matters`).
    pub scope: Scope,
    /// The matters of a specific nil return.
    pub matters: Option<Vec<Matter>>,
}

impl NilReturn {
    /// Whether it speaks about `matter`: a standing nil return speaks about every matter.
    pub fn touches(&self, matter: &Matter) -> bool {
        match self.scope {
            Scope::Standing => true,
            Scope::Specific => self.matters.as_ref().is_some_and(|ms| ms.contains(matter)),
        }
    }
}

/// Everything the register knows of one member.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberRecord {
    /// The latest profile, with the entry that set it.
    pub profile: Option<(Mark, Profile)>,
    /// Declarations, in the order they were made.
    pub interests: Vec<Interest>,
    /// Nil returns, in chain order.
    pub nil_returns: Vec<NilReturn>,
    /// Reaffirmations, in chain order.
    pub reaffirmations: Vec<Mark>,
    /// The member's chain head: the last entry fed, unless set with [`Register::set_head`]. A
    /// register fed part of a chain (as `Store::register_for` feeds one) is not at the head by
    /// its last entry; the store sets the head it holds.
    pub head: Option<Mark>,
}

impl MemberRecord {
    /// The interests declared by `point`, with their state then.
    pub fn interests_at<'a>(
        &'a self,
        point: &'a Point,
    ) -> impl Iterator<Item = (&'a Interest, State<'a>)> + 'a {
        self.interests
            .iter()
            .filter_map(move |i| i.state_at(point).map(|s| (i, s)))
    }

    /// The nil returns made by `point`.
    pub fn nil_returns_at<'a>(
        &'a self,
        member: &'a MemberId,
        point: &'a Point,
    ) -> impl Iterator<Item = &'a NilReturn> + 'a {
        self.nil_returns
            .iter()
            .filter(move |n| point.includes(member, &n.mark))
    }

    /// The interests that were in force when nil return `nil` was made and that it contradicts:
    /// on a matter it names (or, for a standing nil return, any).
    pub fn contradicted_by<'a>(
        &'a self,
        member: &'a MemberId,
        nil: &'a NilReturn,
    ) -> impl Iterator<Item = &'a Interest> + 'a {
        let point = Point::at_seq(member, nil.mark.seq, nil.mark.time.date());
        self.interests.iter().filter(move |i| {
            i.state_at(&point).is_some_and(|s| {
                s.is_current()
                    && match nil.scope {
                        Scope::Standing => true,
                        Scope::Specific => nil
                            .matters
                            .iter()
                            .flatten()
                            .any(|m| declaration_touches(&s.version().declaration, m)),
                    }
            })
        })
    }
}

impl Point {
    /// One member's entries up to `seq`, judged on `date` (`YYYY-MM-DD`).
    fn at_seq(member: &MemberId, seq: u64, date: &str) -> Point {
        Point {
            cut: Cut::Seqs([(*member, seq)].into_iter().collect()),
            date: date.to_string(),
        }
    }
}

/// One member's declarations and nil returns at a point, as `coi conflicts` shows them.
#[derive(Debug)]
pub struct Standing<'a> {
    /// The member.
    pub member: &'a MemberId,
    /// The member's record.
    pub record: &'a MemberRecord,
    /// Interests declared by the point, in the order made, with their state then: current ones,
    /// and those that ended, expired or are not yet in force (a view chooses what to show).
    pub interests: Vec<(&'a Interest, State<'a>)>,
    /// Nil returns made by the point that speak to the matter asked about (with no matter: the
    /// standing ones), in chain order.
    pub nil_returns: Vec<&'a NilReturn>,
}

/// The register: every member's record, folded from entries.
#[derive(Clone, Debug, Default)]
pub struct Register {
    members: BTreeMap<MemberId, MemberRecord>,
    /// Any version's id → (member, index of its interest).
    versions: HashMap<EntryId, (MemberId, usize)>,
    /// Entries whose target was not fed before them (a stream that left the target out).
    orphans: u64,
}

impl Register {
    /// An empty register.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next entry of its member's chain.
    pub fn push(&mut self, e: &Entry) {
        let rec = self.members.entry(e.member).or_default();
        rec.head = Some(Mark::of(e));
        match &e.data {
            Data::Declaration(d) => {
                self.versions.insert(e.id, (e.member, rec.interests.len()));
                rec.interests.push(Interest {
                    member: e.member,
                    versions: vec![Version {
                        mark: Mark::of(e),
                        declaration: d.clone(),
                    }],
                    end: None,
                });
            }
            Data::Amend {
                target,
                declaration,
            } => match self.versions.get(target).copied() {
                Some((m, i)) if m == e.member => {
                    rec.interests[i].versions.push(Version {
                        mark: Mark::of(e),
                        declaration: declaration.clone(),
                    });
                    self.versions.insert(e.id, (m, i));
                }
                _ => self.orphans += 1,
            },
            Data::Withdraw(w) => self.end(
                e,
                &w.target,
                Ending::Withdrawn {
                    until: w.until.clone(),
                },
            ),
            Data::Retract(r) => self.end(
                e,
                &r.target,
                Ending::Retracted {
                    reason: r.reason.clone(),
                },
            ),
            Data::NoConflict(n) => rec.nil_returns.push(NilReturn {
                mark: Mark::of(e),
                scope: n.scope,
                matters: n.matters.clone(),
            }),
            Data::Reaffirm(_) => rec.reaffirmations.push(Mark::of(e)),
            Data::Profile(p) => rec.profile = Some((Mark::of(e), p.clone())),
            _ => {}
        }
    }

    fn end(&mut self, e: &Entry, target: &EntryId, how: Ending) {
        match self.versions.get(target).copied() {
            Some((m, i)) if m == e.member => {
                if let Some(rec) = self.members.get_mut(&m) {
                    rec.interests[i].end = Some(End {
                        mark: Mark::of(e),
                        how,
                    });
                }
            }
            _ => self.orphans += 1,
        }
    }

    /// Sets `member`'s chain head (see [`MemberRecord::head`]), giving it a record if it had
    /// none: for a register fed only some of a chain's entries.
    pub fn set_head(&mut self, member: MemberId, head: Mark) {
        self.members.entry(member).or_default().head = Some(head);
    }

    /// The members fed, ordered by member id.
    pub fn members(&self) -> impl Iterator<Item = (&MemberId, &MemberRecord)> {
        self.members.iter()
    }

    /// One member's record.
    pub fn member(&self, m: &MemberId) -> Option<&MemberRecord> {
        self.members.get(m)
    }

    /// Each member's standing at `point`: the interests declared by then that are about
    /// `matter` (every interest if `None`; a standing declaration is about every matter, judged
    /// on the version in force at the point), and the nil returns that speak to it. Members with
    /// neither are left out: silence is not shown as anything. Ordered by member id.
    pub fn standing<'a>(&'a self, point: &'a Point, matter: Option<&Matter>) -> Vec<Standing<'a>> {
        self.members
            .iter()
            .filter_map(|(member, record)| {
                let interests: Vec<_> = record
                    .interests_at(point)
                    .filter(|(_, s)| {
                        matter.is_none_or(|m| declaration_touches(&s.version().declaration, m))
                    })
                    .collect();
                let nil_returns: Vec<_> = record
                    .nil_returns_at(member, point)
                    .filter(|n| match matter {
                        Some(m) => n.touches(m),
                        None => n.scope == Scope::Standing,
                    })
                    .collect();
                (!interests.is_empty() || !nil_returns.is_empty()).then_some(Standing {
                    member,
                    record,
                    interests,
                    nil_returns,
                })
            })
            .collect()
    }

    /// Entries that named a target the register was not fed: a stream that left it out. Zero
    /// for a whole verified chain.
    pub fn orphans(&self) -> u64 {
        self.orphans
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{Between, Category, Mitigation, NoConflict, Retract, Whose, Withdraw};
    use crate::testutil::Chain;

    fn date(s: &str) -> Date {
        Date::parse(s).expect("a date")
    }

    fn matter(s: &str) -> Matter {
        Matter::parse(s).expect("a matter")
    }

    fn decl(
        scope: Scope,
        matters: &[&str],
        since: Option<&str>,
        until: Option<&str>,
    ) -> Declaration {
        Declaration {
            between: Between::PersonalProfessional,
            category: Category::Financial,
            counterparty: "Acme".into(),
            matters: (!matters.is_empty()).then(|| matters.iter().map(|m| matter(m)).collect()),
            mitigation: Mitigation::Recuse,
            nature: None,
            relationship: None,
            scope,
            sealed: None,
            since: since.map(date),
            until: until.map(date),
            value: None,
            whose: Whose::Own,
        }
    }

    fn register(entries: &[&Entry]) -> Register {
        let mut r = Register::new();
        for e in entries {
            r.push(e);
        }
        r
    }

    fn state_name(s: Option<State<'_>>) -> &'static str {
        match s {
            None => "undeclared",
            Some(State::Current(_)) => "current",
            Some(State::NotYet(_)) => "not-yet",
            Some(State::Expired(_)) => "expired",
            Some(State::Withdrawn(..)) => "withdrawn",
            Some(State::Retracted(..)) => "retracted",
        }
    }

    fn on(d: &str) -> Point {
        Point::end_of(&date(d))
    }

    #[test]
    fn a_declaration_is_current_between_its_dates_and_after_it_was_made() {
        let mut a = Chain::new(1);
        let d = a.push_at(
            "2026-03-01T10:00:00Z",
            Data::Declaration(decl(
                Scope::Standing,
                &[],
                Some("2026-04-01"),
                Some("2026-06-30"),
            )),
        );
        let r = register(&[&d]);
        let i = &r.member(&a.member).expect("a record").interests[0];
        assert_eq!(state_name(i.state_at(&on("2026-02-28"))), "undeclared");
        assert_eq!(state_name(i.state_at(&on("2026-03-15"))), "not-yet");
        assert_eq!(state_name(i.state_at(&on("2026-04-01"))), "current");
        assert_eq!(state_name(i.state_at(&on("2026-06-30"))), "current");
        assert_eq!(state_name(i.state_at(&on("2026-07-01"))), "expired");
    }

    #[test]
    fn amendments_withdrawals_and_retractions_take_effect_from_their_entry() {
        let mut a = Chain::new(1);
        let d = a.push_at(
            "2026-01-10T00:00:00Z",
            Data::Declaration(decl(Scope::Specific, &["b/1"], None, None)),
        );
        let amended = a.push_at(
            "2026-02-10T00:00:00Z",
            Data::Amend {
                target: d.id,
                declaration: decl(Scope::Specific, &["b/1", "b/2"], None, None),
            },
        );
        let w = a.push_at(
            "2026-03-10T00:00:00Z",
            Data::Withdraw(Withdraw {
                target: amended.id,
                until: Some(date("2026-03-01")),
            }),
        );
        let r = register(&[&d, &amended, &w]);
        let i = &r.member(&a.member).expect("a record").interests[0];
        assert_eq!(i.versions.len(), 2);
        let at = |day: &str| i.state_at(&on(day)).map(|s| s.version().mark.id);
        assert_eq!(at("2026-01-20"), Some(d.id));
        assert_eq!(at("2026-02-20"), Some(amended.id));
        assert_eq!(state_name(i.state_at(&on("2026-03-09"))), "current");
        assert_eq!(state_name(i.state_at(&on("2026-03-10"))), "withdrawn");
        // At a vote's heads: the member's seq 2 (the amendment), whatever the date.
        let heads = Point::at_heads([(a.member, 2)], &date("2027-01-01"));
        assert_eq!(state_name(i.state_at(&heads)), "current");
        let before = Point::at_heads([(a.member, 0)], &date("2027-01-01"));
        assert_eq!(state_name(i.state_at(&before)), "undeclared");
        // A member the heads do not name has nothing in force at them.
        let other = Point::at_heads([(Chain::new(2).member, 9)], &date("2027-01-01"));
        assert_eq!(state_name(i.state_at(&other)), "undeclared");

        let mut b = Chain::new(2);
        let d = b.push(Data::Declaration(decl(Scope::Standing, &[], None, None)));
        let x = b.push(Data::Retract(Retract {
            reason: "in error".into(),
            target: d.id,
        }));
        let r = register(&[&d, &x]);
        let i = &r.member(&b.member).expect("a record").interests[0];
        assert_eq!(state_name(i.state_at(&on("2026-01-01"))), "retracted");
        assert_eq!(r.orphans(), 0);
    }

    #[test]
    fn matters_and_nil_returns() {
        let standing = decl(Scope::Standing, &[], None, None);
        let specific = decl(Scope::Specific, &["b/1"], None, None);
        assert!(declaration_touches(&standing, &matter("b/9")));
        assert!(declaration_touches(&specific, &matter("b/1")));
        assert!(!declaration_touches(&specific, &matter("b/2")));

        let mut a = Chain::new(1);
        let d = a.push_at("2026-01-10T00:00:00Z", Data::Declaration(specific.clone()));
        let none_b1 = a.push_at(
            "2026-01-11T00:00:00Z",
            Data::NoConflict(NoConflict {
                matters: Some(vec![matter("b/1")]),
                scope: Scope::Specific,
            }),
        );
        let none_b2 = a.push_at(
            "2026-01-12T00:00:00Z",
            Data::NoConflict(NoConflict {
                matters: Some(vec![matter("b/2")]),
                scope: Scope::Specific,
            }),
        );
        let r = register(&[&d, &none_b1, &none_b2]);
        let rec = r.member(&a.member).expect("a record");
        assert_eq!(rec.nil_returns.len(), 2);
        // "none on b/1" while the declaration on b/1 is current is a contradiction; b/2 is not.
        assert_eq!(
            rec.contradicted_by(&a.member, &rec.nil_returns[0]).count(),
            1
        );
        assert_eq!(
            rec.contradicted_by(&a.member, &rec.nil_returns[1]).count(),
            0
        );
        assert!(rec.nil_returns[0].touches(&matter("b/1")));
        assert!(!rec.nil_returns[0].touches(&matter("b/2")));
        let seen: Vec<_> = rec
            .nil_returns_at(&a.member, &on("2026-01-11"))
            .map(|n| n.mark.id)
            .collect();
        assert_eq!(seen, vec![none_b1.id]);
    }
}
