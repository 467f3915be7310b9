//! A deterministic, seeded generator of realistic, valid ledgers.
//!
//! Used by `tests/determinism.rs` (through `mod support`) and by `examples/generate.rs` and
//! `examples/bench.rs` (included with `#[path]`, beside `rng.rs`). It uses only the public API of
//! `coi_ledger`.
//!
//! Entries are planned sequentially (the plan decides kinds, content, times, references and, since
//! an id covers the body and not the signature, every id and `prev`), in batches; each batch is
//! then signed in parallel and written in order. Ed25519 signing is deterministic, so a seed fixes
//! every byte of the output whatever the number of threads.

#![allow(dead_code)]

use std::io::{self, Write};
use std::sync::mpsc;
use std::sync::Arc;

use coi_ledger::{
    entry_id, key_accept_message, signing_message, Ballot, Between, Category, Data, Date,
    Declaration, Determination, Disclosure, Draft, EntryId, Hash32, Head, Matter, MemberId,
    Mitigation, NoConflict, Outcome, Participation, Presence, Profile, PublicKey, Reaffirm,
    Relationship, Retract, Scope, SealedField, SecretKey, Timestamp, Vote, VoteResult, Whose,
    Withdraw, Witness,
};
use rayon::prelude::*;

use super::rng::Rng;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenConfig {
    /// Members (each starts with a profile). At most `entries` of them appear.
    pub members: usize,
    /// Entries (lines) in total.
    pub entries: u64,
    /// The seed: fixes every byte of the output.
    pub seed: u64,
    /// Entries planned (then signed in parallel) at a time.
    pub batch: usize,
}

impl GenConfig {
    /// A configuration with the default batch size.
    pub fn new(members: usize, entries: u64, seed: u64) -> Self {
        GenConfig {
            members,
            entries,
            seed,
            batch: 8192,
        }
    }
}

/// Totals of a generated ledger.
#[derive(Debug, Clone, Copy, Default)]
pub struct GenStats {
    /// Lines written.
    pub entries: u64,
    /// Bytes written (LFs included).
    pub bytes: u64,
    /// Members that appear.
    pub members: usize,
}

/// Mixed into the configured seed before it starts the generator's [`Rng`].
const SEED_SALT: u64 = 0x5851_F42D_4C95_7F2D;

const FIRST: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "John",
    "Radia",
    "Vint",
    "Katherine",
    "Leslie",
    "Margaret",
    "Niklaus",
    "Ole-Johan",
    "Shafi",
    "Tim",
    "Whitfield",
    "Yukihiro",
    "Zoë",
    "Anaïs",
    "José",
    "Søren",
    "Małgorzata",
    "Chidi",
    "Aroha",
    "Mei",
    "Priya",
    "Kwame",
    "Ingrid",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "McCarthy",
    "Perlman",
    "Cerf",
    "Johnson",
    "Lamport",
    "Hamilton",
    "Wirth",
    "Dahl",
    "Goldwasser",
    "Berners-Lee",
    "Diffie",
    "Matsumoto",
    "Okafor",
    "Ngata",
    "Zhang",
    "Raman",
    "Mensah",
    "Lindqvist",
    "García",
    "Kowalska",
    "Dubois",
];
const CAPACITY: &[&str] = &[
    "Trustee",
    "Board member",
    "Committee member",
    "Chair",
    "Treasurer",
    "Secretary",
    "Independent member",
    "Co-opted member",
    "Staff representative",
];
const ORGS: &[&str] = &[
    "Acme Networks Ltd",
    "Northwind Research",
    "University of Example",
    "Globex Corporation",
    "Initech Consulting",
    "Umbrella Health Trust",
    "Stark Foundation",
    "Wayne Enterprises",
    "Cyberdyne Systems",
    "Tyrell Biotech",
    "Soylent Foods plc",
    "Hooli",
    "Pied Piper Inc.",
    "Vandelay Industries",
    "Oceanic Airlines",
    "Massive Dynamic",
    "Aperture Science",
    "Black Mesa Labs",
    "Blue Sun Corporation",
    "Weyland Yutani",
    "Municipal Water Board",
    "National Science Council",
];
const DESCRIPTORS: &[&str] = &[
    "10-20 clients in financial services",
    "a regional healthcare provider",
    "three technology start-ups",
    "an infrastructure fund",
    "a family-owned property company",
    "several publishers of academic journals",
];
const COMMITTEES: &[&str] = &[
    "board",
    "audit",
    "finance",
    "ethics",
    "grants",
    "nominating",
    "research",
    "remuneration",
    "investment",
    "risk",
    "governance",
    "programme",
    "safety",
    "estates",
];
const VALUES: &[&str] = &[
    "under 1,000 USD",
    "1,001-15,000 USD",
    "15,001-50,000 USD",
    "50,001-100,000 USD",
    "over 100,000 USD",
    "non-monetary",
    "equity under 1%",
];
const WORDS: &[&str] = &[
    "the",
    "member",
    "receives",
    "paid",
    "consulting",
    "fees",
    "from",
    "counterparty",
    "for",
    "advice",
    "on",
    "network",
    "strategy",
    "and",
    "holds",
    "shares",
    "in",
    "a",
    "company",
    "that",
    "may",
    "bid",
    "contract",
    "under",
    "discussion",
    "spouse",
    "is",
    "employed",
    "by",
    "supplier",
    "grant",
    "application",
    "reviewed",
    "this",
    "committee",
    "serves",
    "as",
    "unpaid",
    "adviser",
    "to",
    "charity",
    "whose",
    "funding",
    "depends",
    "decision",
    "travel",
    "expenses",
    "were",
    "covered",
    "conference",
    "organised",
    "royalties",
    "textbook",
    "published",
    "partner",
    "of",
    "law",
    "firm",
    "acting",
    "client",
    "matter",
    "previously",
    "worked",
    "until",
    "last",
    "year",
    "still",
    "options",
    "which",
    "vest",
    "annually",
    "sits",
    "advisory",
    "board",
    "gift",
    "hospitality",
    "dinner",
    "tickets",
    "sporting",
    "event",
    "loan",
    "interest",
    "free",
    "family",
    "trust",
    "owns",
    "property",
    "adjacent",
    "site",
    "proposed",
    "development",
];

fn sentence(rng: &mut Rng, min_words: usize, max_words: usize) -> String {
    let n = min_words + rng.index(max_words - min_words + 1);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        let w = *rng.pick(WORDS);
        if i == 0 {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                s.extend(f.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

fn date_of(secs: i64) -> Date {
    // Timestamp::from_unix gives YYYY-MM-DDTHH:MM:SSZ; its first 10 bytes are the date.
    let t = Timestamp::from_unix(secs);
    Date::parse(t.date()).expect("a generated date is valid")
}

struct LiveDecl {
    id: EntryId,
    decl: Declaration,
}

struct MemberGen {
    id: MemberId,
    key: Arc<SecretKey>,
    public: PublicKey,
    seq: u64,
    head: EntryId,
    committee: usize,
    activity: f64,
    live: Vec<LiveDecl>,
    /// The member's declarations with `sealed` fields, live or not: what a disclosure may target.
    sealed: Vec<EntryId>,
    name: String,
}

/// One planned line: the body is final (its id is known); only the signature is missing.
struct Planned {
    key: Arc<SecretKey>,
    body: String,
}

struct Planner {
    cfg: GenConfig,
    rng: Rng,
    members: Vec<MemberGen>,
    /// Cumulative activity of members 0..introduced, for weighted picks.
    cumulative: Vec<f64>,
    introduced: usize,
    /// Per committee: its members (indices) and its secretary.
    committees: Vec<(Vec<usize>, usize)>,
    clock: i64,
    step_secs: f64,
    planned: u64,
}

impl Planner {
    fn new(cfg: GenConfig) -> Self {
        let mut rng = Rng(cfg.seed ^ SEED_SALT);
        let n = cfg.members.max(1);
        let committee_size = 8usize;
        let n_committees = n.div_ceil(committee_size);
        let mut members = Vec::with_capacity(n);
        let mut committees: Vec<(Vec<usize>, usize)> =
            (0..n_committees).map(|_| (Vec::new(), 0)).collect();
        for i in 0..n {
            let seed = rng.bytes32();
            let key = SecretKey::from_seed(&seed);
            let public = key.public();
            let committee = rng.index(n_committees);
            committees[committee].0.push(i);
            let name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
            // A skewed activity: a few members declare much more than others.
            let activity = 0.2 + 4.0 * rng.unit() * rng.unit();
            members.push(MemberGen {
                id: public.member_id(),
                key: Arc::new(key),
                public,
                seq: 0,
                head: Hash32::ZERO,
                committee,
                activity,
                live: Vec::new(),
                sealed: Vec::new(),
                name,
            });
        }
        for c in committees.iter_mut() {
            if !c.0.is_empty() {
                c.1 = c.0[rng.index(c.0.len())];
            }
        }
        // About three years of activity, starting 2024-01-01.
        let span = 3.0 * 365.0 * 86400.0;
        let step_secs = span / cfg.entries.max(1) as f64;
        Planner {
            cfg,
            rng,
            members,
            cumulative: Vec::with_capacity(n),
            introduced: 0,
            committees,
            clock: 1_704_067_200,
            step_secs,
            planned: 0,
        }
    }

    fn is_secretary(&self, m: usize) -> bool {
        self.committees[self.members[m].committee].1 == m
    }

    fn matter(&mut self, committee: usize) -> Matter {
        let t = Timestamp::from_unix(self.clock);
        let ym = &t.as_str()[..7];
        let item = 1 + self.rng.uniform(12);
        Matter::parse(&format!(
            "{}-{ym}/item-{item}",
            COMMITTEES[committee % COMMITTEES.len()]
        ))
        .expect("a generated matter is valid")
    }

    fn matters(&mut self, committee: usize) -> Vec<Matter> {
        let n = 1 + self.rng.index(2);
        let mut v: Vec<Matter> = (0..n).map(|_| self.matter(committee)).collect();
        v.sort();
        v.dedup();
        v
    }

    fn declaration(&mut self, m: usize, specific: bool) -> Declaration {
        let committee = self.members[m].committee;
        let rng = &mut self.rng;
        let counterparty = if rng.chance(0.9) {
            rng.pick(ORGS).to_string()
        } else {
            rng.pick(DESCRIPTORS).to_string()
        };
        let nature = rng.chance(0.85).then(|| {
            let n = 1 + rng.index(2);
            (0..n)
                .map(|_| sentence(rng, 4, 14))
                .collect::<Vec<_>>()
                .join(" ")
        });
        let relationship = rng.chance(0.8).then(|| *rng.pick(Relationship::ALL));
        let value = rng.chance(0.5).then(|| rng.pick(VALUES).to_string());
        let since = rng
            .chance(0.4)
            .then(|| date_of(self.clock - rng.uniform(3 * 365 * 86400) as i64));
        let sealed = rng.chance(0.1).then(|| {
            let mut map = std::collections::BTreeMap::new();
            for _ in 0..1 + rng.index(2) {
                map.insert(
                    *rng.pick(SealedField::ALL),
                    Hash32::from_bytes(rng.bytes32()),
                );
            }
            map
        });
        let between = *rng.pick(Between::ALL);
        let category = *rng.pick(Category::ALL);
        let mitigation = *rng.pick(Mitigation::ALL);
        let whose = *rng.pick(Whose::ALL);
        let matters = specific.then(|| self.matters(committee));
        Declaration {
            between,
            category,
            counterparty,
            matters,
            mitigation,
            nature,
            relationship,
            scope: if specific {
                Scope::Specific
            } else {
                Scope::Standing
            },
            sealed,
            since,
            until: None,
            value,
            whose,
        }
    }

    fn pick_member(&mut self) -> usize {
        let total = *self
            .cumulative
            .last()
            .expect("at least one member is introduced");
        let x = self.rng.unit() * total;
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.introduced - 1)
    }

    fn heads_of(&self, members: &[usize], except: usize) -> Vec<Head> {
        let mut heads: Vec<Head> = members
            .iter()
            .filter(|&&i| i != except && i < self.introduced && self.members[i].seq > 0)
            .map(|&i| Head {
                id: self.members[i].head,
                member: self.members[i].id,
                seq: self.members[i].seq,
            })
            .collect();
        heads.sort_by_key(|h| h.member);
        heads
    }

    fn vote(&mut self, m: usize) -> Option<Data> {
        let committee = self.members[m].committee;
        let body: Vec<usize> = self.committees[committee]
            .0
            .iter()
            .copied()
            .filter(|&i| i < self.introduced)
            .collect();
        let heads = self.heads_of(&body, m);
        if heads.is_empty() {
            return None;
        }
        let matter = self.matter(committee);
        let rng = &mut self.rng;
        let mut participation: Vec<Participation> = body
            .iter()
            .map(|&i| {
                let r = rng.unit();
                let presence = if r < 0.85 {
                    Presence::Present
                } else if r < 0.95 {
                    Presence::Absent
                } else {
                    Presence::Excused
                };
                let vote = (presence == Presence::Present).then(|| {
                    *rng.pick(&[
                        Ballot::Yes,
                        Ballot::Yes,
                        Ballot::Yes,
                        Ballot::No,
                        Ballot::Abstain,
                        Ballot::Recused,
                    ])
                });
                Participation {
                    member: self.members[i].id,
                    presence,
                    vote,
                }
            })
            .collect();
        participation.sort_by_key(|p| p.member);
        let held = Timestamp::from_unix(self.clock - 600 - rng.uniform(3600) as i64);
        let motion = rng.chance(0.7).then(|| sentence(rng, 5, 18));
        let result = rng.chance(0.9).then(|| {
            *rng.pick(&[
                VoteResult::Carried,
                VoteResult::Carried,
                VoteResult::Failed,
                VoteResult::Deferred,
                VoteResult::Tied,
            ])
        });
        Some(Data::Vote(Vote {
            agenda: None,
            checkpoint: None,
            continues: None,
            heads,
            held,
            matter,
            motion,
            participation,
            result,
        }))
    }

    fn determination(&mut self, m: usize) -> Option<Data> {
        let committee = self.members[m].committee;
        let body = self.committees[committee].0.clone();
        let candidates: Vec<usize> = body
            .into_iter()
            .filter(|&i| i != m && i < self.introduced && !self.members[i].live.is_empty())
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let who = *self.rng.pick(&candidates);
        let d = &self.members[who].live[self.rng.index(self.members[who].live.len())];
        let declaration = d.id;
        let member = self.members[who].id;
        let matter = self.rng.chance(0.5).then(|| self.matter(committee));
        let rng = &mut self.rng;
        let note = rng.chance(0.5).then(|| sentence(rng, 6, 20));
        Some(Data::Determination(Determination {
            declaration,
            matter,
            member,
            note,
            outcome: *rng.pick(Outcome::ALL),
        }))
    }

    fn witness(&mut self, m: usize) -> Option<Data> {
        let n = 2 + self.rng.index(6);
        let mut pick: Vec<usize> = (0..n).map(|_| self.rng.index(self.introduced)).collect();
        pick.sort_unstable();
        pick.dedup();
        let heads = self.heads_of(&pick, m);
        (!heads.is_empty()).then_some(Data::Witness(Witness {
            heads: Some(heads),
            ..Default::default()
        }))
    }

    /// Content of the next entry of member `m` (who has a profile already); may change `m`'s key.
    fn content(&mut self, m: usize) -> (Data, Option<Arc<SecretKey>>) {
        if self.is_secretary(m) && self.rng.chance(0.25) {
            let r = self.rng.unit();
            let d = if r < 0.8 {
                self.vote(m)
            } else if r < 0.95 {
                self.determination(m)
            } else {
                self.witness(m)
            };
            if let Some(d) = d {
                return (d, None);
            }
        }
        let live = self.members[m].live.len();
        // Endings become likelier as live declarations accumulate, so a member holds a handful.
        let end_weight = 0.02 * live as f64;
        let weights = [
            ("decl-specific", 0.12),
            ("decl-standing", 0.04),
            ("nc-specific", 0.40),
            ("nc-standing", 0.03),
            ("amend", if live > 0 { 0.07 } else { 0.0 }),
            ("withdraw", if live > 0 { end_weight } else { 0.0 }),
            ("retract", if live > 0 { end_weight / 4.0 } else { 0.0 }),
            ("reaffirm", 0.08),
            ("profile", 0.01),
            (
                "disclosure",
                if self.members[m].sealed.is_empty() {
                    0.0
                } else {
                    0.01
                },
            ),
            ("key-rotation", 0.0004),
        ];
        let total: f64 = weights.iter().map(|w| w.1).sum();
        let mut x = self.rng.unit() * total;
        let mut choice = "reaffirm";
        for (name, w) in weights {
            if x < w {
                choice = name;
                break;
            }
            x -= w;
        }
        let committee = self.members[m].committee;
        match choice {
            "decl-specific" => (Data::Declaration(self.declaration(m, true)), None),
            "decl-standing" => (Data::Declaration(self.declaration(m, false)), None),
            "nc-specific" => (
                Data::NoConflict(NoConflict {
                    matters: Some(self.matters(committee)),
                    scope: Scope::Specific,
                }),
                None,
            ),
            "nc-standing" => (
                Data::NoConflict(NoConflict {
                    matters: None,
                    scope: Scope::Standing,
                }),
                None,
            ),
            "amend" => {
                let i = self.rng.index(live);
                let mut decl = self.members[m].live[i].decl.clone();
                let target = self.members[m].live[i].id;
                let rng = &mut self.rng;
                decl.value = Some(rng.pick(VALUES).to_string());
                if rng.chance(0.5) {
                    decl.nature = Some(sentence(rng, 6, 20));
                }
                decl.mitigation = *rng.pick(Mitigation::ALL);
                // Spec §7: a new version seals its fields again with fresh salts, so every
                // commitment changes.
                if let Some(sealed) = decl.sealed.as_mut() {
                    for c in sealed.values_mut() {
                        *c = Hash32::from_bytes(rng.bytes32());
                    }
                }
                (
                    Data::Amend {
                        target,
                        declaration: decl,
                    },
                    None,
                )
            }
            "withdraw" => {
                let i = self.rng.index(live);
                let target = self.members[m].live[i].id;
                let until = self.rng.chance(0.7).then(|| date_of(self.clock));
                (Data::Withdraw(Withdraw { target, until }), None)
            }
            "retract" => {
                let i = self.rng.index(live);
                let target = self.members[m].live[i].id;
                let reason = sentence(&mut self.rng, 5, 20);
                (Data::Retract(Retract { reason, target }), None)
            }
            "reaffirm" => {
                let note = self.rng.chance(0.4).then(|| sentence(&mut self.rng, 5, 16));
                (Data::Reaffirm(Reaffirm { note }), None)
            }
            "profile" => (Data::Profile(self.profile(m)), None),
            "disclosure" => {
                let sealed = &self.members[m].sealed;
                let target = sealed[self.rng.index(sealed.len())];
                let n = 1 + self.rng.index(3);
                let committee_members = self.committees[committee].0.clone();
                let mut recipients: Vec<MemberId> = (0..n)
                    .map(|_| self.members[*self.rng.pick(&committee_members)].id)
                    .collect();
                recipients.sort();
                recipients.dedup();
                let len = 200 + self.rng.index(600);
                let raw: Vec<u8> = (0..len).map(|_| self.rng.next_u64() as u8).collect();
                use base64::Engine as _;
                let ciphertext = base64::engine::general_purpose::STANDARD.encode(raw);
                (
                    Data::Disclosure(Disclosure {
                        ciphertext,
                        recipients,
                        target,
                    }),
                    None,
                )
            }
            _ => {
                // key-rotation: the new key signs its acceptance (spec §6.9).
                let new = SecretKey::from_seed(&self.rng.bytes32());
                let new_public = new.public();
                let mg = &self.members[m];
                let proof = new.sign(&key_accept_message(
                    &mg.id,
                    &mg.public,
                    &new_public,
                    mg.seq + 1,
                ));
                let data = Data::KeyRotation(coi_ledger::KeyRotation {
                    new_key: new_public,
                    proof,
                });
                (data, Some(Arc::new(new)))
            }
        }
    }

    fn profile(&mut self, m: usize) -> Profile {
        let rng = &mut self.rng;
        let capacity = rng.chance(0.9).then(|| rng.pick(CAPACITY).to_string());
        let affiliation = rng.chance(0.8).then(|| rng.pick(ORGS).to_string());
        Profile {
            affiliation,
            capacity,
            name: self.members[m].name.clone(),
        }
    }

    /// Plans the next entry: decides its content and computes its body and id.
    fn next(&mut self) -> Planned {
        let n = self.members.len() as u64;
        let k = self.planned;
        self.planned += 1;
        self.clock += (self.step_secs * 2.0 * self.rng.unit()) as i64;
        // Members join during the first quarter of the file, in order.
        let join_every = (self.cfg.entries / 4 / n).max(1);
        let (m, data, new_key) = if self.introduced < self.members.len()
            && (k >= self.introduced as u64 * join_every || self.introduced == 0)
        {
            let m = self.introduced;
            self.introduced += 1;
            let prev = self.cumulative.last().copied().unwrap_or(0.0);
            self.cumulative.push(prev + self.members[m].activity);
            (m, Data::Profile(self.profile(m)), None)
        } else {
            let m = self.pick_member();
            let (d, k) = self.content(m);
            (m, d, k)
        };
        let mg = &self.members[m];
        let draft = Draft {
            member: mg.id,
            seq: mg.seq + 1,
            prev: mg.head,
            time: Timestamp::from_unix(self.clock),
            data,
        };
        let body = draft.body(&mg.public).expect("generated data is valid");
        let id = entry_id(body.as_bytes());
        let key = Arc::clone(&mg.key);
        let mg = &mut self.members[m];
        mg.seq += 1;
        mg.head = id;
        if draft.data.declaration().is_some_and(|d| d.sealed.is_some()) {
            mg.sealed.push(id);
        }
        match draft.data {
            Data::Declaration(d) => mg.live.push(LiveDecl { id, decl: d }),
            Data::Amend {
                target,
                declaration,
            } => {
                mg.live.retain(|l| l.id != target);
                mg.live.push(LiveDecl {
                    id,
                    decl: declaration,
                });
            }
            Data::Withdraw(Withdraw { target, .. }) | Data::Retract(Retract { target, .. }) => {
                mg.live.retain(|l| l.id != target)
            }
            _ => {}
        }
        if let Some(new) = new_key {
            mg.public = new.public();
            mg.key = new;
        }
        Planned { key, body }
    }
}

fn sign(p: &Planned) -> String {
    let sig = p.key.sign(&signing_message(p.body.as_bytes()));
    let mut line = String::with_capacity(p.body.len() + 120);
    line.push_str("{\"entry\":");
    line.push_str(&p.body);
    line.push_str(",\"sig\":\"");
    line.push_str(&sig.to_base64());
    line.push_str("\"}\n");
    line
}

/// Generates the ledger described by `cfg` into `out`.
///
/// Planning runs on its own thread while the current rayon pool signs the previous batch.
pub fn generate(cfg: GenConfig, out: &mut impl Write) -> io::Result<GenStats> {
    let batch = cfg.batch.max(1);
    let (tx, rx) = mpsc::sync_channel::<Vec<Planned>>(2);
    let planner = std::thread::spawn(move || {
        let mut p = Planner::new(cfg);
        let mut left = cfg.entries;
        while left > 0 {
            let n = left.min(batch as u64);
            let items: Vec<Planned> = (0..n).map(|_| p.next()).collect();
            left -= n;
            if tx.send(items).is_err() {
                break;
            }
        }
        p.introduced
    });
    let mut stats = GenStats::default();
    for items in rx {
        let lines: Vec<String> = items.par_iter().map(sign).collect();
        for l in &lines {
            out.write_all(l.as_bytes())?;
            stats.bytes += l.len() as u64;
        }
        stats.entries += lines.len() as u64;
    }
    stats.members = planner
        .join()
        .map_err(|_| io::Error::other("the planner thread panicked"))?;
    Ok(stats)
}

/// Generates the ledger described by `cfg` in memory.
pub fn generate_bytes(cfg: GenConfig) -> Vec<u8> {
    let mut out = Vec::new();
    generate(cfg, &mut out).expect("writing to memory cannot fail");
    out
}
