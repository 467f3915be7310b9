//! The files of one body compared (spec §5.3, §5.4): per member, a reference chain built in file
//! order, against which each file's accepted entries are compared, and the heads that votes and
//! witnesses name, checked against those chains.
//!
//! Memory: 24 bytes per entry of a reference chain, about 100 bytes per member (a one-entry
//! chain is kept inline), and about 100 bytes per head that cannot be judged yet. Nothing here
//! keeps problems: each is handed back as found.

use std::collections::{BTreeMap, HashSet};

use crate::chain::{push_compact, MemberIndex, Problem};
use crate::entry::{Data, Entry, EntryId, Head};
use crate::error::ErrorClass;
use crate::keys::MemberId;

/// The first 16 bytes of an entry id: what the comparisons keep. Two different entries whose
/// ids share them would take about 2^64 work to find for each target, which nobody can do.
type IdPrefix = [u8; 16];

fn prefix(id: &EntryId) -> IdPrefix {
    let mut p = [0u8; 16];
    p.copy_from_slice(&id.as_bytes()[..16]);
    p
}

/// An id prefix written as [`EntryId::fingerprint`] writes ids.
fn fingerprint(p: &IdPrefix) -> String {
    let mut id = [0u8; 32];
    id[..16].copy_from_slice(p);
    EntryId::from_bytes(id).fingerprint()
}

/// A place in the files: file index and line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct At {
    file: u32,
    line: u32,
}

impl At {
    fn new(file: u32, line: u64) -> Self {
        At {
            file,
            line: u32::try_from(line).unwrap_or(u32::MAX),
        }
    }
}

/// One entry of a reference chain: the first 16 bytes of its id and where it is (24 bytes).
#[derive(Clone, Copy)]
struct RefEntry {
    id: IdPrefix,
    at: At,
}

/// A member's reference chain. In a large body most chains have one entry: kept inline, a member
/// costs 64 bytes here (and 32 in the index) instead of about 230 with a map of vectors.
enum RefChain {
    One(RefEntry),
    Many(Vec<RefEntry>),
}

impl RefChain {
    fn get(&self, index: usize) -> Option<&RefEntry> {
        match self {
            RefChain::One(r) => (index == 0).then_some(r),
            RefChain::Many(v) => v.get(index),
        }
    }

    fn len(&self) -> usize {
        match self {
            RefChain::One(_) => 1,
            RefChain::Many(v) => v.len(),
        }
    }

    fn push(&mut self, r: RefEntry) {
        match self {
            RefChain::One(first) => *self = RefChain::Many(vec![*first, r]),
            RefChain::Many(v) => push_compact(v, r),
        }
    }
}

/// A head that could not be judged when its vote or witness was accepted: the reference chain of
/// its member did not reach its `seq` yet.
#[derive(Clone, Copy)]
struct PendingHead {
    id: IdPrefix,
    /// The vote's or witness's member and seq, and where it is.
    by: MemberId,
    by_seq: u64,
    at: At,
}

/// A problem found by comparing files, located in file `file` (0-based, in the order given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossProblem {
    /// The file the problem is in (0-based index in the order the files were given).
    pub file: usize,
    /// The problem; its `other_line` is a line of file `other_file`.
    pub problem: Problem,
    /// The file of the entry named by `problem.other_line`.
    pub other_file: Option<usize>,
}

/// Compares the accepted entries of the files of one body (spec §5.3) and checks the heads of
/// their votes and witnesses (spec §5.4). One file is a body too.
///
/// Feed each file's accepted entries with [`CrossFiles::accept`], file after file, calling
/// [`CrossFiles::next_file`] before each file but the first and [`CrossFiles::chain_stopped`]
/// when a member's chain stops in the current file; [`CrossFiles::finish`] after the last file.
/// Each call returns the problems it found; none is kept.
#[derive(Default)]
pub struct CrossFiles {
    /// Numbers the members of `chains`.
    index: MemberIndex,
    chains: Vec<(MemberId, RefChain)>,
    /// Members whose chain in the current file already differed from the reference.
    diverged: HashSet<MemberId>,
    /// Members whose chain stopped in some file so far.
    stopped: HashSet<MemberId>,
    /// Heads beyond the end of their member's reference chain, by (member, seq).
    pending: BTreeMap<(MemberId, u64), Vec<PendingHead>>,
    file: u32,
}

impl CrossFiles {
    /// Nothing seen yet; the first file is file 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the next file.
    pub fn next_file(&mut self) {
        self.file += 1;
        self.diverged.clear();
    }

    /// The current file's index.
    pub fn file(&self) -> usize {
        self.file as usize
    }

    /// Says that `member`'s chain stopped in the current file (a problem of spec §5.1 or §5.2
    /// stopped it): a head beyond the end of its reference chain is then not judged (§5.4).
    pub fn chain_stopped(&mut self, member: MemberId) {
        self.stopped.insert(member);
    }

    /// Takes an entry accepted into its chain at `line` of the current file, and returns the
    /// problems it shows: a `fork` of this line against the reference chain (§5.3), `bad-head`
    /// for heads of this line (if it is a vote or witness) that the reference chains contradict,
    /// and `bad-head` for heads of earlier lines, of this file or an earlier one, that this
    /// entry contradicts (§5.4).
    pub fn accept(&mut self, line: u64, e: &Entry) -> Vec<CrossProblem> {
        let mut found = Vec::new();
        let at = At::new(self.file, line);
        if !self.diverged.contains(&e.member) {
            let id = prefix(&e.id);
            let index = usize::try_from(e.seq.saturating_sub(1)).unwrap_or(usize::MAX);
            let next = self.chains.len();
            let chains = &self.chains;
            let m = self
                .index
                .number(&e.member, next, |i| chains.get(i).map(|c| &c.0));
            if m == next {
                // A chain starts at seq 1 in every file: a new member's first entry is at seq 1.
                let chain = if index == 0 {
                    RefChain::One(RefEntry { id, at })
                } else {
                    RefChain::Many(Vec::new())
                };
                self.chains.push((e.member, chain));
                if index == 0 {
                    self.judge_pending(&e.member, e.seq, RefEntry { id, at }, &mut found);
                }
            } else if let Some((_, chain)) = self.chains.get_mut(m) {
                match chain.get(index) {
                    None if index == chain.len() => {
                        chain.push(RefEntry { id, at });
                        self.judge_pending(&e.member, e.seq, RefEntry { id, at }, &mut found);
                    }
                    // A file's chain starts at seq 1 and has no gaps (§3, §5.2), so an entry is
                    // never more than one beyond the reference chain's end.
                    None => {}
                    Some(r) if r.id == id => {}
                    Some(r) => {
                        let r = *r;
                        self.diverged.insert(e.member);
                        found.push(CrossProblem {
                            file: self.file as usize,
                            problem: Problem {
                                line,
                                member: Some(e.member),
                                seq: Some(e.seq),
                                class: ErrorClass::Fork,
                                message: format!(
                                    "two different validly signed entries for seq {} (the other is in file {} at line {}): the member's key signed conflicting histories",
                                    e.seq,
                                    r.at.file + 1,
                                    r.at.line
                                ),
                                other_line: Some(u64::from(r.at.line)),
                                other_file: Some(r.at.file as usize),
                            },
                            other_file: Some(r.at.file as usize),
                        });
                    }
                }
            }
        }
        let heads: &[Head] = match &e.data {
            Data::Vote(v) => &v.heads,
            Data::Witness(w) => w.heads(),
            _ => &[],
        };
        for h in heads {
            let pending = PendingHead {
                id: prefix(&h.id),
                by: e.member,
                by_seq: e.seq,
                at,
            };
            let reference = self
                .chain_of(&h.member)
                .and_then(|c| c.get(usize::try_from(h.seq.saturating_sub(1)).ok()?));
            match reference {
                Some(r) if r.id == pending.id => {}
                Some(r) => found.push(contradicted(&pending, &h.member, h.seq, r)),
                None => self
                    .pending
                    .entry((h.member, h.seq))
                    .or_default()
                    .push(pending),
            }
        }
        found
    }

    /// The reference chain of `member`, if any of its entries was accepted.
    fn chain_of(&self, member: &MemberId) -> Option<&RefChain> {
        let i = self
            .index
            .find(member, |i| self.chains.get(i).map(|c| &c.0))?;
        self.chains.get(i).map(|c| &c.1)
    }

    /// The heads that waited for `member`'s reference chain to reach `seq`, now that it holds
    /// `reference` there: those naming another entry are `bad-head`.
    fn judge_pending(
        &mut self,
        member: &MemberId,
        seq: u64,
        reference: RefEntry,
        found: &mut Vec<CrossProblem>,
    ) {
        if self.pending.is_empty() {
            return;
        }
        if let Some(heads) = self.pending.remove(&(*member, seq)) {
            found.extend(
                heads
                    .into_iter()
                    .filter(|h| h.id != reference.id)
                    .map(|h| contradicted(&h, member, seq, &reference)),
            );
        }
    }

    /// Ends the comparison: the heads still beyond the end of their member's reference chain are
    /// `bad-head` when the member has accepted entries in the files and its chain stopped in none
    /// of them (§5.4). In file order, then line order.
    pub fn finish(mut self) -> Vec<CrossProblem> {
        let mut found: Vec<CrossProblem> = Vec::new();
        let mut left: Vec<(MemberId, u64, PendingHead)> = Vec::new();
        for ((member, seq), heads) in std::mem::take(&mut self.pending) {
            if self.stopped.contains(&member) {
                continue;
            }
            if self.chain_of(&member).is_none() {
                continue;
            }
            left.extend(heads.into_iter().map(|h| (member, seq, h)));
        }
        left.sort_by_key(|(_, _, h)| (h.at.file, h.at.line));
        for (member, seq, h) in left {
            let end = self.chain_of(&member).map_or(0, RefChain::len);
            found.push(bad_head(
                &h,
                format!(
                    "head of member {} at seq {seq} names entry {}, but that member's chain in these files ends at seq {end}",
                    member.fingerprint(),
                    fingerprint(&h.id)
                ),
                None,
            ));
        }
        found
    }
}

/// The `bad-head` of head `h` (of `member` at `seq`) when the reference chain holds `reference`
/// there.
fn contradicted(
    h: &PendingHead,
    member: &MemberId,
    seq: u64,
    reference: &RefEntry,
) -> CrossProblem {
    let place = if reference.at.file == h.at.file {
        format!("line {}", reference.at.line)
    } else {
        format!(
            "file {} at line {}",
            reference.at.file + 1,
            reference.at.line
        )
    };
    bad_head(
        h,
        format!(
            "head of member {} at seq {seq} names entry {}, but that member's entry at seq {seq} is {} ({place})",
            member.fingerprint(),
            fingerprint(&h.id),
            fingerprint(&reference.id)
        ),
        Some(reference.at),
    )
}

/// A `bad-head` on the line of head `h`'s vote or witness; `other` is the reference entry's
/// place, when there is one.
fn bad_head(h: &PendingHead, message: String, other: Option<At>) -> CrossProblem {
    CrossProblem {
        file: h.at.file as usize,
        problem: Problem {
            line: u64::from(h.at.line),
            member: Some(h.by),
            seq: Some(h.by_seq),
            class: ErrorClass::BadHead,
            message,
            other_line: other.map(|o| u64::from(o.line)),
            other_file: other.map(|o| o.file as usize),
        },
        other_file: other.map(|o| o.file as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Witness;
    use crate::testutil::Chain;

    fn witness(heads: Vec<Head>) -> Data {
        Data::Witness(Witness {
            heads: Some(heads),
            ..Default::default()
        })
    }

    fn classes(found: &[CrossProblem]) -> Vec<(usize, u64, ErrorClass, Option<u64>)> {
        found
            .iter()
            .map(|c| {
                (
                    c.file,
                    c.problem.line,
                    c.problem.class,
                    c.problem.other_line,
                )
            })
            .collect()
    }

    #[test]
    fn heads_that_agree_with_the_chains_are_not_problems() {
        let (mut a, mut b, mut w) = (Chain::new(1), Chain::new(3), Chain::new(2));
        let mut x = CrossFiles::new();
        assert!(x.accept(1, &a.none()).is_empty());
        assert!(x.accept(2, &a.none()).is_empty());
        assert!(x.accept(3, &b.none()).is_empty());
        let mut h = vec![a.head(2), b.head(1)];
        h.sort_by_key(|h| h.member);
        assert!(x.accept(4, &w.push(witness(h))).is_empty());
        assert!(x.finish().is_empty());
    }

    #[test]
    fn a_head_naming_another_entry_is_bad_head_at_the_witness_line() {
        let (mut a, mut b, mut w) = (Chain::new(1), Chain::new(3), Chain::new(2));
        let mut x = CrossFiles::new();
        x.accept(1, &a.none());
        x.accept(2, &b.none());
        let wrong = Head {
            id: b.entries[0].id,
            member: a.member,
            seq: 1,
        };
        let found = x.accept(3, &w.push(witness(vec![wrong])));
        assert_eq!(classes(&found), vec![(0, 3, ErrorClass::BadHead, Some(1))]);
        assert_eq!(found[0].problem.member, Some(w.member));
        assert!(x.finish().is_empty());
    }

    #[test]
    fn a_head_beyond_the_chain_is_judged_when_the_chain_gets_there() {
        let (mut a, mut b, mut w) = (Chain::new(1), Chain::new(3), Chain::new(2));
        let a1 = a.none();
        let a2 = a.none();
        let b1 = b.none();
        let b2 = b.none();
        // The witness names a's and b's seq 2 before the file reaches them; b's with another id.
        let mut wrong = b.head(2);
        wrong.id = b.entries[0].id;
        let mut heads = vec![a.head(2), wrong];
        heads.sort_by_key(|h| h.member);
        let mut x = CrossFiles::new();
        x.accept(1, &a1);
        x.accept(2, &b1);
        assert!(x.accept(3, &w.push(witness(heads))).is_empty());
        assert!(x.accept(4, &a2).is_empty());
        let found = x.accept(5, &b2);
        assert_eq!(classes(&found), vec![(0, 3, ErrorClass::BadHead, Some(5))]);
        assert!(x.finish().is_empty());
    }

    #[test]
    fn a_head_beyond_the_end_is_bad_head_after_the_last_file_unless_the_chain_stopped() {
        let (mut a, mut w) = (Chain::new(1), Chain::new(2));
        let a1 = a.none();
        a.none();
        let wit = w.push(witness(vec![a.head(2)]));
        let mut x = CrossFiles::new();
        x.accept(1, &a1);
        assert!(x.accept(2, &wit).is_empty());
        assert_eq!(
            classes(&x.finish()),
            vec![(0, 2, ErrorClass::BadHead, None)]
        );
        // The same, but the member's chain stopped (its seq 2 line was bad): not judged.
        let mut x = CrossFiles::new();
        x.accept(1, &a1);
        x.accept(2, &wit);
        x.chain_stopped(a.member);
        assert!(x.finish().is_empty());
        // A member with no accepted entry in the files: not judged (its chain is elsewhere).
        let mut x = CrossFiles::new();
        x.accept(2, &wit);
        assert!(x.finish().is_empty());
    }

    #[test]
    fn a_later_file_can_complete_or_contradict_a_head() {
        let (mut a, mut w) = (Chain::new(1), Chain::new(2));
        let a1 = a.none();
        let a2 = a.none();
        let wit = w.push(witness(vec![a.head(2)]));
        // File 1 has a1 and the witness; file 2 carries a's chain to seq 2: the head agrees.
        let mut x = CrossFiles::new();
        x.accept(1, &a1);
        x.accept(2, &wit);
        x.next_file();
        assert!(x.accept(1, &a1).is_empty());
        assert!(x.accept(2, &a2).is_empty());
        assert!(x.finish().is_empty());
        // File 2 carries another seq 2 (a fork of a's key): the head is contradicted in file 1,
        // and nothing is said of a fork, since file 1 holds no seq 2.
        let mut other = Chain::new(1);
        other.entries.push(a1.clone());
        let b2 = other.named("B");
        let mut x = CrossFiles::new();
        x.accept(1, &a1);
        x.accept(2, &wit);
        x.next_file();
        x.accept(1, &a1);
        let found = x.accept(2, &b2);
        assert_eq!(classes(&found), vec![(0, 2, ErrorClass::BadHead, Some(2))]);
        assert_eq!(found[0].other_file, Some(1));
        assert!(x.finish().is_empty());
    }

    #[test]
    fn different_entries_at_one_seq_in_two_files_are_a_fork_once() {
        let mut a = Chain::new(1);
        let a1 = a.none();
        let a2 = a.none();
        let a3 = a.none();
        let mut b = Chain::new(1);
        b.entries.push(a1.clone());
        let b2 = b.named("B");
        let b3 = b.none();
        let mut x = CrossFiles::new();
        for (l, e) in [&a1, &a2, &a3].into_iter().enumerate() {
            assert!(x.accept(l as u64 + 1, e).is_empty());
        }
        x.next_file();
        assert!(x.accept(1, &a1).is_empty());
        let found = x.accept(2, &b2);
        assert_eq!(classes(&found), vec![(1, 2, ErrorClass::Fork, Some(2))]);
        assert_eq!(found[0].other_file, Some(0));
        // The rest of that file's chain is not compared.
        assert!(x.accept(3, &b3).is_empty());
        assert!(x.finish().is_empty());
    }
}
