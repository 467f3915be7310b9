//! The public register's model: everything a body's published ledgers say, folded once from
//! their accepted entries, for the static site ([`super::html`]) and the tables
//! ([`super::table`]) to write. Pure: takes entries with their places in the files, and what
//! the caller knows of the files (names, hashes) and of the checkpoints that cover them.
//!
//! Nothing here decides what is true beyond what the entries say: names, capacities and times
//! are self-asserted, and the views say so. Sealed fields stay sealed: the model keeps which
//! fields are sealed, how many members a disclosure names as readers, and the values an
//! `unseal` made public, never a disclosure's content.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::check::{self, Gather, Judgement, Options, Which};
use crate::entry::{Data, Declaration, Entry, EntryId, Matter, SealedField, Timestamp};
use crate::keys::MemberId;

use super::{Interest, Point, Register, State};

/// Where an entry is in the files given: the file's index and its line (from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    /// Index of the file in [`Site::files`].
    pub file: usize,
    /// Line number in that file, from 1.
    pub line: u64,
}

/// A ledger file the site is made from, offered for download beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The name shown and the file name in the site's `ledgers/` folder (a plain file name).
    pub name: String,
    /// Its length in bytes.
    pub bytes: u64,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its BLAKE3, hex.
    pub blake3: String,
}

/// A checkpoint that covers the first `size` lines of the first file (the body log, spec §13),
/// with the witnesses that cosigned it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edition {
    /// The log's origin.
    pub origin: String,
    /// Lines covered.
    pub size: u64,
    /// When the log signed it (RFC 3339 UTC).
    pub signed: String,
    /// The cosigners' key names with the time each cosigned (RFC 3339 UTC), sorted.
    pub witnesses: Vec<(String, String)>,
}

/// Who can read a declaration version's sealed fields, and what of them is public.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readers {
    /// Members a disclosure of the version names (the author's own copy not counted).
    pub members: BTreeSet<MemberId>,
    /// Fields made public by the author's `unseal`, with their values.
    pub unsealed: BTreeMap<SealedField, String>,
}

/// One entry as held by the site: where it is, and the entry.
#[derive(Clone, Debug)]
pub struct Held {
    /// Its place.
    pub place: Place,
    /// The entry.
    pub entry: Entry,
}

/// What changed since an edition: entries after a date, or after the first `size` lines of the
/// body log (a checkpoint's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Since {
    /// Entries whose time is after the end of this day (UTC).
    Date(crate::entry::Date),
    /// Entries after the first `size` lines of the first file (a checkpoint of the body log).
    Lines {
        /// The checkpoint's origin, for the label.
        origin: String,
        /// Its size.
        size: u64,
    },
}

impl Since {
    /// Whether the entry at `place` with time `time` came after the edition.
    pub fn after(&self, place: Place, time: Timestamp) -> bool {
        match self {
            Since::Date(d) => time.date() > d.as_str(),
            Since::Lines { size, .. } => place.file > 0 || place.line > *size,
        }
    }

    /// A label for views: `2026-03-01` or `example.org/log@120`.
    pub fn label(&self) -> String {
        match self {
            Since::Date(d) => d.as_str().to_string(),
            Since::Lines { origin, size } => format!("{origin}@{size}"),
        }
    }
}

/// Folds accepted entries into a [`Site`].
#[derive(Default)]
pub struct SiteBuilder {
    gather: Gather,
    chains: BTreeMap<MemberId, Vec<Held>>,
    arrival: Vec<(MemberId, u32)>,
    readers: BTreeMap<EntryId, Readers>,
    as_of: Option<Timestamp>,
}

impl SiteBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes an entry a chain accepted, at `place`. Each member's entries must come in chain
    /// order; an entry already taken (the same chain in an earlier file) is skipped.
    pub fn push(&mut self, place: Place, entry: &Entry) {
        let chain = self.chains.entry(entry.member).or_default();
        if entry.seq != chain.len() as u64 + 1 {
            return;
        }
        self.gather.push(entry);
        match &entry.data {
            Data::Disclosure(d) => {
                let r = self.readers.entry(d.target).or_default();
                r.members
                    .extend(d.recipients.iter().filter(|m| **m != entry.member));
            }
            Data::Unseal(u) => {
                let r = self.readers.entry(u.target).or_default();
                for (f, o) in &u.fields {
                    r.unsealed.insert(*f, o.value.clone());
                }
            }
            _ => {}
        }
        if self.as_of.is_none_or(|t| entry.time > t) {
            self.as_of = Some(entry.time);
        }
        let index = u32::try_from(chain.len()).unwrap_or(u32::MAX);
        chain.push(Held {
            place,
            entry: entry.clone(),
        });
        self.arrival.push((entry.member, index));
    }

    /// The site, with the files it was made from and the checkpoints known to cover the first.
    pub fn finish(self, files: Vec<SourceFile>, mut editions: Vec<Edition>) -> Site {
        editions.sort_by(|a, b| (a.size, &a.origin).cmp(&(b.size, &b.origin)));
        let mut ids = HashMap::new();
        for (m, chain) in &self.chains {
            for (i, h) in chain.iter().enumerate() {
                ids.insert(h.entry.id, (*m, i));
            }
        }
        let matters = index_matters(&self.chains, &self.arrival, self.gather.register());
        let mut determinations: HashMap<MemberId, Vec<(MemberId, usize)>> = HashMap::new();
        for (m, i) in &self.arrival {
            if let Data::Determination(d) = &self.chains[m][*i as usize].entry.data {
                determinations
                    .entry(d.member)
                    .or_default()
                    .push((*m, *i as usize));
            }
        }
        Site {
            matters,
            determinations,
            gather: self.gather,
            chains: self.chains,
            ids,
            arrival: self.arrival,
            readers: self.readers,
            as_of: self.as_of.unwrap_or_else(|| Timestamp::from_unix(0)),
            files,
            editions,
        }
    }
}

/// Everything the register shows.
pub struct Site {
    gather: Gather,
    chains: BTreeMap<MemberId, Vec<Held>>,
    ids: HashMap<EntryId, (MemberId, usize)>,
    arrival: Vec<(MemberId, u32)>,
    readers: BTreeMap<EntryId, Readers>,
    as_of: Timestamp,
    matters: BTreeMap<Matter, MatterIndex>,
    /// Each declarant's `determination` entries (by the member whose declaration they judge).
    determinations: HashMap<MemberId, Vec<(MemberId, usize)>>,
    /// The files, in the order given.
    pub files: Vec<SourceFile>,
    /// Checkpoints covering the first file, by size.
    pub editions: Vec<Edition>,
}

/// Every matter named by an agenda, vote, declaration, nil return or determination.
fn index_matters(
    chains: &BTreeMap<MemberId, Vec<Held>>,
    arrival: &[(MemberId, u32)],
    register: &Register,
) -> BTreeMap<Matter, MatterIndex> {
    let mut out: BTreeMap<Matter, MatterIndex> = BTreeMap::new();
    for (m, i) in arrival {
        let at = (*m, *i as usize);
        let h = &chains[m][*i as usize];
        match &h.entry.data {
            Data::Vote(v) => {
                let x = out.entry(v.matter.clone()).or_default();
                x.vote_entries.push(at);
                if v.continues.is_none() {
                    x.votes += 1;
                }
            }
            Data::Agenda(a) => {
                let mut seen = BTreeSet::new();
                for item in &a.items {
                    if seen.insert(&item.matter) {
                        let x = out.entry(item.matter.clone()).or_default();
                        x.agendas += 1;
                        x.entries.push(at);
                    }
                }
            }
            Data::Declaration(d) | Data::Amend { declaration: d, .. } => {
                for matter in d.matters.iter().flatten() {
                    let x = out.entry(matter.clone()).or_default();
                    x.declarations += 1;
                    x.members.insert(*m);
                }
            }
            Data::NoConflict(n) => {
                for matter in n.matters.iter().flatten() {
                    let x = out.entry(matter.clone()).or_default();
                    x.nil_returns += 1;
                    x.entries.push(at);
                    x.members.insert(*m);
                }
            }
            Data::Determination(d) => {
                if let Some(matter) = &d.matter {
                    out.entry(matter.clone()).or_default().entries.push(at);
                }
            }
            _ => {}
        }
    }
    for (m, rec) in register.members() {
        for (k, i) in rec.interests.iter().enumerate() {
            let mut named: Vec<&Matter> = i
                .versions
                .iter()
                .flat_map(|v| v.declaration.matters.iter().flatten())
                .collect();
            named.sort();
            named.dedup();
            for matter in named {
                if let Some(x) = out.get_mut(matter) {
                    x.interests.push((*m, k));
                }
            }
        }
    }
    out
}

/// What names one matter: counts, and where the entries are.
#[derive(Clone, Debug, Default)]
pub struct MatterIndex {
    /// Votes (first entries) on it.
    pub votes: usize,
    /// Declaration versions that list it.
    pub declarations: usize,
    /// Nil returns that list it.
    pub nil_returns: usize,
    /// Agendas that list it.
    pub agendas: usize,
    /// The agendas, nil returns and determinations that name it, in file order.
    pub entries: Vec<(MemberId, usize)>,
    /// The interests with a version that lists it: (member, index in the member's record).
    pub interests: Vec<(MemberId, usize)>,
    /// The members with a declaration or nil return that lists it.
    pub members: BTreeSet<MemberId>,
    /// Its `vote` entries (first entries and continuations), in file order.
    pub vote_entries: Vec<(MemberId, usize)>,
}

impl Site {
    /// The latest entry time: the register is shown as of then (not the time it was made, so
    /// that the same files make the same site).
    pub fn as_of(&self) -> Timestamp {
        self.as_of
    }

    /// The point the register is shown at.
    pub fn now(&self) -> Point {
        Point::at_time(self.as_of)
    }

    /// The folded register.
    pub fn register(&self) -> &Register {
        self.gather.register()
    }

    /// Each member's chain as held, by member id.
    pub fn chains(&self) -> &BTreeMap<MemberId, Vec<Held>> {
        &self.chains
    }

    /// Every entry, in the order the files gave them (file by file, line by line).
    pub fn in_order(&self) -> impl DoubleEndedIterator<Item = &Held> + '_ {
        self.arrival
            .iter()
            .map(|(m, i)| &self.chains[m][*i as usize])
    }

    /// The entry with id `id`.
    pub fn held(&self, id: &EntryId) -> Option<&Held> {
        self.ids.get(id).map(|(m, i)| &self.chains[m][*i])
    }

    /// The fields an amendment of `target` to `declaration` changed (none known if the target
    /// is not held).
    pub fn amended_fields(&self, target: &EntryId, declaration: &Declaration) -> Vec<&'static str> {
        match self.held(target).map(|t| &t.entry.data) {
            Some(Data::Declaration(old))
            | Some(Data::Amend {
                declaration: old, ..
            }) => changed_fields(old, declaration),
            _ => Vec::new(),
        }
    }

    /// A member's self-asserted name, if they published a profile.
    pub fn name(&self, m: &MemberId) -> Option<&str> {
        self.register()
            .member(m)
            .and_then(|r| r.profile.as_ref())
            .map(|(_, p)| p.name.as_str())
    }

    /// Who can read the sealed fields of declaration version `id`.
    pub fn readers(&self, id: &EntryId) -> Option<&Readers> {
        self.readers.get(id)
    }

    /// The first checkpoint that covers `place` (only lines of the first file are in the body
    /// log) and has at least one witness.
    pub fn first_witnessed(&self, place: Place) -> Option<&Edition> {
        if place.file != 0 {
            return None;
        }
        let start = self.editions.partition_point(|e| e.size < place.line);
        self.editions[start..]
            .iter()
            .find(|e| !e.witnesses.is_empty())
    }

    /// The matters named by any agenda, vote, declaration, nil return or determination, sorted.
    pub fn matters(&self) -> &BTreeMap<Matter, MatterIndex> {
        &self.matters
    }

    /// The entry at (member, index in its chain), as [`MatterIndex`] lists them.
    pub fn at(&self, at: (MemberId, usize)) -> Option<&Held> {
        self.chains.get(&at.0).and_then(|c| c.get(at.1))
    }

    /// The interest at (member, index in its record), as [`MatterIndex`] lists them.
    pub fn interest(&self, at: (MemberId, usize)) -> Option<&Interest> {
        self.register()
            .member(&at.0)
            .and_then(|r| r.interests.get(at.1))
    }

    /// `coi check`'s judgement of every vote on `matter` (spec §8.5), as of the latest entry;
    /// with no vote, of the members who declared or returned nil on it.
    pub fn judge(&self, matter: &Matter, max_age_days: u32) -> Vec<Judgement> {
        // The records `check` looks at for this matter, from the indexes: its votes, the
        // agendas that list it or that its votes name, and the determinations about the
        // declarations of its participants (`check` takes each participant's only).
        let index = self.matters.get(matter);
        let entry = |at: &(MemberId, usize)| self.at(*at).map(|h| h.entry.clone());
        let votes: Vec<Entry> = index
            .map(|x| x.vote_entries.iter().filter_map(entry).collect())
            .unwrap_or_default();
        let mut agendas: Vec<Entry> = index
            .map(|x| {
                x.entries
                    .iter()
                    .filter_map(entry)
                    .filter(|e| matches!(e.data, Data::Agenda(_)))
                    .collect()
            })
            .unwrap_or_default();
        let mut people: BTreeSet<MemberId> = index.map(|x| x.members.clone()).unwrap_or_default();
        for v in &votes {
            if let Data::Vote(v) = &v.data {
                people.extend(v.participation.iter().map(|p| p.member));
                if let Some(a) = v.agenda.and_then(|id| self.held(&id)) {
                    if !agendas.iter().any(|e| e.id == a.entry.id) {
                        agendas.push(a.entry.clone());
                    }
                }
            }
        }
        let determinations = people
            .iter()
            .filter_map(|m| self.determinations.get(m))
            .flatten()
            .filter_map(entry)
            .collect();
        let records = check::Records {
            votes,
            agendas,
            determinations,
        };
        let members: Vec<MemberId> = index
            .map(|x| x.members.iter().copied().collect())
            .unwrap_or_default();
        check::judge_matter(
            matter,
            self.register(),
            &records,
            &self.gather,
            &members,
            &Which::All,
            Options {
                now: self.as_of,
                max_age_days,
            },
        )
        .unwrap_or_default()
    }

    /// Every interest, with its member, in member then declaration order.
    pub fn interests(&self) -> impl Iterator<Item = &Interest> + '_ {
        self.register()
            .members()
            .flat_map(|(_, r)| r.interests.iter())
    }

    /// The state of `interest` now (as of the latest entry).
    pub fn state_now<'a>(&self, interest: &'a Interest) -> Option<State<'a>> {
        interest.state_at(&self.now())
    }
}

/// The word for a state, as views and tables show it.
pub fn state_word(s: &State<'_>) -> &'static str {
    match s {
        State::Current(_) => "current",
        State::NotYet(_) => "not yet in force",
        State::Expired(_) => "expired",
        State::Withdrawn(..) => "withdrawn",
        State::Retracted(..) => "retracted",
    }
}

/// The fields in which declaration `new` differs from `old`, by spec name.
pub fn changed_fields(old: &Declaration, new: &Declaration) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut diff = |name, a: bool| {
        if a {
            out.push(name)
        }
    };
    diff("between", old.between != new.between);
    diff("category", old.category != new.category);
    diff("counterparty", old.counterparty != new.counterparty);
    diff("matters", old.matters != new.matters);
    diff("mitigation", old.mitigation != new.mitigation);
    diff("nature", old.nature != new.nature);
    diff("relationship", old.relationship != new.relationship);
    diff("scope", old.scope != new.scope);
    diff("sealed", old.sealed != new.sealed);
    diff("since", old.since != new.since);
    diff("until", old.until != new.until);
    diff("value", old.value != new.value);
    diff("whose", old.whose != new.whose);
    out
}
