//! Small deterministic ledgers for the trust/robustness tests (`mutation`, `forks`, `bulk`,
//! `crash`), built through the store's append path.

use coi_ledger::store::Store;
use coi_ledger::{
    Between, Category, Data, Declaration, Matter, MemberId, Mitigation, NoConflict, Profile,
    Reaffirm, Retract, Scope, SecretKey, Timestamp, Whose, Withdraw,
};

use super::rng::Rng;

/// A ledger built by [`build_ledger`]: its lines in file order and, for each line, its member
/// (index into `members`) and seq.
pub struct Ledger {
    /// The member ids, in the order of their seeds.
    pub members: Vec<MemberId>,
    /// The seeds the members' keys were made from.
    pub seeds: Vec<[u8; 32]>,
    /// The lines, LF excluded.
    pub lines: Vec<String>,
    /// For each line: (member index, seq).
    pub pos: Vec<(usize, u64)>,
}

impl Ledger {
    /// The whole file.
    pub fn bytes(&self) -> Vec<u8> {
        join(self.lines.iter().map(String::as_str))
    }

    /// Index of the last line of member `m` in the file.
    pub fn last_line_of(&self, m: usize) -> usize {
        self.pos
            .iter()
            .rposition(|(x, _)| *x == m)
            .expect("member has lines")
    }

    /// The secret key of member `m`.
    pub fn key(&self, m: usize) -> SecretKey {
        SecretKey::from_seed(&self.seeds[m])
    }
}

/// Joins lines into a ledger file (each line LF-terminated).
pub fn join<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l.as_bytes());
        out.push(b'\n');
    }
    out
}

/// The seed of member `i` of ledger family `family`.
pub fn seed(family: u8, i: usize) -> [u8; 32] {
    let mut s = [0u8; 32];
    s[0] = family;
    s[1] = i as u8;
    s[31] = 0xA5;
    s
}

fn matter(s: &str) -> Matter {
    Matter::parse(s).expect("matter")
}

fn declaration(tag: u64, standing: bool) -> Declaration {
    Declaration {
        between: if tag.is_multiple_of(2) {
            Between::PersonalProfessional
        } else {
            Between::ProfessionalProfessional
        },
        category: [Category::Financial, Category::Gift, Category::Material][(tag % 3) as usize],
        counterparty: format!("Co{tag}"),
        matters: (!standing).then(|| vec![matter(&format!("m{}", tag % 7))]),
        mitigation: Mitigation::DiscloseOnly,
        nature: None,
        relationship: None,
        scope: if standing {
            Scope::Standing
        } else {
            Scope::Specific
        },
        sealed: None,
        since: None,
        until: None,
        value: None,
        whose: Whose::Own,
    }
}

/// Builds a ledger of `entries` entries from `members` members (keys from `seed(family, i)`),
/// through the store's append path with fixed increasing timestamps, with a deterministic mix of
/// kinds: each member starts with a profile, then declarations (specific and standing),
/// no-conflict statements, amendments, withdrawals, retractions, profile updates and
/// re-affirmations, interleaved between members. `variant` changes the content (not the keys),
/// so two variants of one family are different histories of the same members.
pub fn build_ledger(family: u8, variant: u64, members: usize, entries: usize) -> Ledger {
    assert!(members >= 1 && entries >= members);
    let mut store = Store::open_in_memory().expect("store");
    let seeds: Vec<[u8; 32]> = (0..members).map(|i| seed(family, i)).collect();
    let keys: Vec<SecretKey> = seeds.iter().map(SecretKey::from_seed).collect();
    let ids: Vec<MemberId> = keys.iter().map(|k| k.public().member_id()).collect();
    let mut live: Vec<Vec<coi_ledger::EntryId>> = vec![Vec::new(); members];
    let mut rng = Rng(0xC01_1ED6E5 ^ ((family as u64) << 32) ^ variant);
    let mut time = 1_780_000_000i64;
    let mut started = vec![false; members];
    for n in 0..entries {
        // The first `members` entries are the profiles; then members are chosen at random.
        let m = if n < members {
            n
        } else {
            rng.below(members as u64) as usize
        };
        let tag = rng.next_u64() % 1000;
        let data = if !started[m] {
            started[m] = true;
            Data::Profile(Profile {
                name: format!("M{m}v{variant}"),
                capacity: None,
                affiliation: None,
            })
        } else {
            let choice = rng.below(9);
            match (choice, live[m].is_empty()) {
                (0 | 1, _) | (4..=6, true) => Data::Declaration(declaration(tag, choice == 1)),
                (2, _) => Data::NoConflict(NoConflict {
                    matters: Some(vec![matter(&format!("m{}", tag % 7))]),
                    scope: Scope::Specific,
                }),
                (3, _) => Data::NoConflict(NoConflict {
                    matters: None,
                    scope: Scope::Standing,
                }),
                (4, false) => Data::Amend {
                    target: live[m][(tag as usize) % live[m].len()],
                    declaration: declaration(tag + 1, false),
                },
                (5, false) => Data::Withdraw(Withdraw {
                    target: live[m][(tag as usize) % live[m].len()],
                    until: None,
                }),
                (6, false) => Data::Retract(Retract {
                    reason: format!("err{tag}"),
                    target: live[m][(tag as usize) % live[m].len()],
                }),
                (7, _) => Data::Profile(Profile {
                    name: format!("M{m}v{variant}r{tag}"),
                    capacity: Some("Trustee".into()),
                    affiliation: None,
                }),
                _ => Data::Reaffirm(Reaffirm { note: None }),
            }
        };
        if let Some(t) = data.own_target() {
            let t = *t;
            live[m].retain(|x| *x != t);
        }
        let is_decl = data.declaration().is_some();
        time += 1 + rng.below(3) as i64;
        let e = store
            .append_at(&keys[m], &ids[m], data, Timestamp::from_unix(time))
            .expect("append");
        if is_decl {
            live[m].push(e.id);
        }
    }
    let mut out = Vec::new();
    store.export(None, &mut out).expect("export");
    let text = String::from_utf8(out).expect("utf8");
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert_eq!(lines.len(), entries);
    let pos = lines
        .iter()
        .map(|l| {
            let e = coi_ledger::Entry::parse(l).expect("parse");
            let m = ids.iter().position(|x| *x == e.member).expect("member");
            (m, e.seq)
        })
        .collect();
    Ledger {
        members: ids,
        seeds,
        lines,
        pos,
    }
}

/// Counts of kinds in a ledger, for the tests' sanity checks.
pub fn kinds(l: &Ledger) -> std::collections::BTreeMap<String, usize> {
    let mut k = std::collections::BTreeMap::new();
    for line in &l.lines {
        let e = coi_ledger::Entry::parse(line).expect("parse");
        *k.entry(e.kind().to_string()).or_insert(0) += 1;
    }
    k
}
