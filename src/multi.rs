//! Several files verified together (spec §5.3): per member, a reference chain built in file
//! order, against which each file's accepted entries are compared.

use std::collections::HashSet;

use crate::chain::{push_compact, MemberIndex, Problem};
use crate::entry::Entry;
use crate::error::ErrorClass;
use crate::keys::MemberId;

/// One entry of a reference chain: the first 16 bytes of its id, its file and its line
/// (24 bytes).
#[derive(Clone, Copy)]
struct RefEntry {
    id: [u8; 16],
    file: u32,
    line: u32,
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

/// A problem found by comparing files, located in file `file` (0-based, in the order given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossProblem {
    /// The file the problem is in (0-based index in the order the files were given).
    pub file: usize,
    /// The problem; its `other_line` is a line of file `other_file`.
    pub problem: Problem,
    /// The file of the reference entry named by `problem.other_line`.
    pub other_file: Option<usize>,
}

/// Compares the accepted entries of several files (spec §5.3).
///
/// Feed each file's accepted entries with [`CrossFiles::accept`], file after file, calling
/// [`CrossFiles::next_file`] before each file but the first, [`CrossFiles::chain_stopped`] when a
/// member's chain stops in the current file, and [`CrossFiles::finish`] after the last file.
/// Problems are returned as they are found, not kept.
#[derive(Default)]
pub struct CrossFiles {
    /// Numbers the members of `chains`.
    index: MemberIndex,
    chains: Vec<(MemberId, RefChain)>,
    /// Members whose chain in the current file already differed from the reference.
    diverged: HashSet<MemberId>,
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

    /// Compares an entry accepted at `line` of the current file with the reference chains;
    /// returns the problems it makes known: a `fork` on this line (spec §5.3), or problems of
    /// earlier lines.
    pub fn accept(&mut self, line: u64, e: &Entry) -> Vec<CrossProblem> {
        if self.diverged.contains(&e.member) {
            return Vec::new();
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&e.id.as_bytes()[..16]);
        let index = usize::try_from(e.seq.saturating_sub(1)).unwrap_or(usize::MAX);
        let entry = RefEntry {
            id,
            file: self.file,
            line: u32::try_from(line).unwrap_or(u32::MAX),
        };
        let next = self.chains.len();
        let chains = &self.chains;
        let m = self
            .index
            .number(&e.member, next, |i| chains.get(i).map(|c| &c.0));
        if m == next {
            // A chain starts at seq 1 in every file: a new member's first entry is at seq 1.
            let chain = if index == 0 {
                RefChain::One(entry)
            } else {
                RefChain::Many(Vec::new())
            };
            self.chains.push((e.member, chain));
            return Vec::new();
        }
        let Some((_, chain)) = self.chains.get_mut(m) else {
            return Vec::new();
        };
        match chain.get(index) {
            None => {
                if index == chain.len() {
                    chain.push(entry);
                }
                Vec::new()
            }
            Some(r) if r.id == id => Vec::new(),
            Some(r) => {
                let r = *r;
                self.diverged.insert(e.member);
                vec![CrossProblem {
                    file: self.file as usize,
                    problem: Problem {
                        line,
                        member: Some(e.member),
                        seq: Some(e.seq),
                        class: ErrorClass::Fork,
                        message: format!(
                            "two different validly signed entries for seq {} (the other is in file {} at line {}): the member's key signed conflicting histories",
                            e.seq,
                            r.file + 1,
                            r.line
                        ),
                        other_line: Some(u64::from(r.line)),
                        other_file: Some(r.file as usize),
                    },
                    other_file: Some(r.file as usize),
                }]
            }
        }
    }

    /// Tells that `member`'s chain stopped in the current file (spec §5.1, §5.2).
    pub fn chain_stopped(&mut self, _member: MemberId) {}

    /// Ends the comparison: the problems that only the end of the last file decides.
    pub fn finish(self) -> Vec<CrossProblem> {
        Vec::new()
    }
}
