//! Property tests (proptest):
//!
//! (a) any valid draft of any kind signs to a line that parses and verifies back to the same data
//!     and id, and re-signing the parsed entry gives the byte-identical line;
//! (a2) any other SIG string leaves the same entry, body and id, and is `bad-signature` (§5.1);
//! (b) on arbitrary bytes, JSON-flavoured garbage and random mutations of valid lines,
//!     `check_line`, `Entry::parse` and `verify_bytes` never panic, and a line that is accepted
//!     is canonical (re-encodes to the same bytes) and is the unmutated line;
//! (c) any single-byte change to a valid multi-member file makes `verify_bytes` report it invalid.
//!
//! Case counts are modest so the file runs in seconds in the test profile; raise them with
//! `PROPTEST_CASES=10000 cargo test --release --test properties`.

mod support;

use std::collections::BTreeSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use coi_ledger::{
    check_line, is_forbidden, key_accept_message, parse_canonical, verify_bytes, Agenda,
    AgendaItem, Ballot, Between, Category, CheckpointRef, Data, Date, Declaration, Determination,
    Disclosure, Draft, Entry, Hash32, Head, KeyRotation, Matter, Mitigation, NoConflict, Outcome,
    Participation, Presence, Profile, RawLine, Reaffirm, Relationship, Retract, Scope, SealedField,
    SecretKey, Timestamp, Vote, VoteResult, Whose, Withdraw, Witness, MAX_BAND, MAX_NAME,
    MAX_ORIGIN, MAX_TEXT,
};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::{Map, Value};
use support::roundtrip::assert_line_round_trip;

/// `n`, or `PROPTEST_CASES` from the environment when set.
fn cases(n: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(n)
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// Characters allowed in text fields: mostly printable ASCII (including `"` and `\`), some
/// hand-picked non-ASCII (accents, CJK, emoji, combining marks, NBSP, U+FFFD, the last code
/// point), and any other non-forbidden scalar value.
fn text_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => proptest::char::range(' ', '~'),
        2 => select(vec!['é', 'ü', 'ß', 'Ω', '中', '文', '🙂', '\u{0301}', '\u{00A0}', '\u{FFFD}', '\u{10FFFF}', '"', '\\', '/']),
        1 => any::<char>().prop_filter("not forbidden", |c| !is_forbidden(*c)),
    ]
}

/// A text(max) value (spec §6.2): 1 to `max` bytes, no forbidden character, no leading or
/// trailing space. Usually short; sometimes up to the limit.
fn text(max: usize) -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        9 => prop::collection::vec(text_char(), 1..24),
        1 => prop::collection::vec(text_char(), 1..=max),
    ];
    chars.prop_map(move |cs| {
        let mut s: String = cs.into_iter().collect();
        while s.len() > max {
            s.pop();
        }
        let t = s.trim_matches(' ');
        if t.is_empty() {
            "x".to_string()
        } else {
            t.to_string()
        }
    })
}

fn opt<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    prop::option::of(s)
}

fn hash() -> impl Strategy<Value = Hash32> {
    any::<[u8; 32]>().prop_map(Hash32::from_bytes)
}

fn matter() -> impl Strategy<Value = Matter> {
    "[a-z0-9][a-z0-9._/-]{0,40}".prop_map(|s| Matter::parse(&s).expect("generated matter is valid"))
}

fn matters() -> impl Strategy<Value = Vec<Matter>> {
    prop::collection::btree_set(matter(), 1..6).prop_map(|s| s.into_iter().collect())
}

fn date() -> impl Strategy<Value = Date> {
    (1u32..=9999, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| Date::parse(&format!("{y:04}-{m:02}-{d:02}")).expect("date"))
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (date(), 0u32..24, 0u32..60, 0u32..60).prop_map(|(d, h, m, s)| {
        Timestamp::parse(&format!("{}T{h:02}:{m:02}:{s:02}Z", d.as_str())).expect("timestamp")
    })
}

fn pick<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
    select(all)
}

/// Scope with matching `matters` (specific has them, standing has none).
fn scope_matters() -> impl Strategy<Value = (Scope, Option<Vec<Matter>>)> {
    prop_oneof![
        Just(Scope::Standing).prop_map(|s| (s, None)),
        matters().prop_map(|m| (Scope::Specific, Some(m)))
    ]
}

fn declaration() -> impl Strategy<Value = Declaration> {
    let enums = (
        pick(Between::ALL),
        pick(Category::ALL),
        pick(Mitigation::ALL),
        opt(pick(Relationship::ALL)),
        pick(Whose::ALL),
    );
    let texts = (text(MAX_NAME), opt(text(MAX_TEXT)), opt(text(MAX_BAND)));
    let rest = (
        scope_matters(),
        opt(prop::collection::btree_map(
            pick(SealedField::ALL),
            hash(),
            1..4,
        )),
        opt(date()),
        opt(date()),
    );
    (enums, texts, rest).prop_map(
        |(
            (between, category, mitigation, relationship, whose),
            (counterparty, nature, value),
            ((scope, matters), sealed, since, until),
        )| {
            let (since, until) = match (since, until) {
                (Some(a), Some(b)) if b < a => (Some(b), Some(a)),
                other => other,
            };
            Declaration {
                between,
                category,
                counterparty,
                matters,
                mitigation,
                nature,
                relationship,
                scope,
                sealed,
                since,
                until,
                value,
                whose,
            }
        },
    )
}

fn heads() -> impl Strategy<Value = Vec<Head>> {
    prop::collection::btree_map(hash(), (1u64..=(1 << 53) - 1, hash()), 1..5).prop_map(|m| {
        m.into_iter()
            .map(|(member, (seq, id))| Head { id, member, seq })
            .collect()
    })
}

fn participation() -> impl Strategy<Value = Vec<Participation>> {
    prop::collection::btree_map(hash(), (pick(Presence::ALL), opt(pick(Ballot::ALL))), 1..5)
        .prop_map(|m| {
            m.into_iter()
                .map(|(member, (presence, vote))| Participation {
                    member,
                    presence,
                    vote: vote.filter(|_| presence == Presence::Present),
                })
                .collect()
        })
}

const KNOWN_KINDS: [&str; 13] = [
    "agenda",
    "profile",
    "declaration",
    "no-conflict",
    "amend",
    "withdraw",
    "retract",
    "reaffirm",
    "key-rotation",
    "disclosure",
    "vote",
    "determination",
    "witness",
];

/// Values allowed in an unknown kind's data: booleans, integers up to 2^53 − 1, strings (possibly
/// empty) and small arrays and objects of them.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        (0u64..=(1 << 53) - 1).prop_map(Value::from),
        prop_oneof![Just(String::new()), text(60)].prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z][a-z0-9_]{0,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// What the data of a draft will be. A key rotation's proof depends on the signer and the
/// envelope, so it is completed when the draft is built.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // test data, built a few hundred times
enum DataGen {
    Ready(Data),
    Rotation { new_seed: [u8; 32] },
}

fn data() -> impl Strategy<Value = DataGen> {
    let ready = prop_oneof![
        (text(MAX_NAME), opt(text(MAX_NAME)), opt(text(MAX_NAME))).prop_map(
            |(name, capacity, affiliation)| Data::Profile(Profile {
                affiliation,
                capacity,
                name
            })
        ),
        declaration().prop_map(Data::Declaration),
        scope_matters()
            .prop_map(|(scope, matters)| Data::NoConflict(NoConflict { matters, scope })),
        (hash(), declaration()).prop_map(|(target, declaration)| Data::Amend {
            target,
            declaration
        }),
        (hash(), opt(date()))
            .prop_map(|(target, until)| Data::Withdraw(Withdraw { target, until })),
        (text(MAX_TEXT), hash())
            .prop_map(|(reason, target)| Data::Retract(Retract { reason, target })),
        opt(text(MAX_TEXT)).prop_map(|note| Data::Reaffirm(Reaffirm { note })),
        (
            prop::collection::vec(any::<u8>(), 1..300),
            prop::collection::btree_set(hash(), 1..6),
            hash()
        )
            .prop_map(|(ct, recipients, target)| Data::Disclosure(Disclosure {
                ciphertext: STANDARD.encode(ct),
                recipients: recipients.into_iter().collect(),
                target
            })),
        (
            (
                opt(hash()),
                opt((text(MAX_ORIGIN), hash(), 0u64..(1u64 << 53))),
                opt(hash())
            ),
            heads(),
            timestamp(),
            matter(),
            opt(text(MAX_TEXT)),
            participation(),
            opt(pick(VoteResult::ALL))
        )
            .prop_map(
                |(
                    (agenda, checkpoint, continues),
                    heads,
                    held,
                    matter,
                    motion,
                    participation,
                    result,
                )| Data::Vote(Vote {
                    agenda,
                    checkpoint: checkpoint.map(|(origin, root, size)| CheckpointRef {
                        origin,
                        root,
                        size
                    }),
                    continues,
                    heads,
                    held,
                    matter,
                    motion,
                    participation,
                    result
                })
            ),
        (
            prop::collection::btree_map(
                matter(),
                (
                    opt(prop::collection::btree_set(text(MAX_NAME), 1..4)),
                    opt(text(MAX_NAME))
                ),
                1..6
            ),
            matter(),
            opt(timestamp()),
            opt(text(MAX_NAME))
        )
            .prop_map(|(items, meeting, scheduled, title)| Data::Agenda(Agenda {
                items: items
                    .into_iter()
                    .map(|(matter, (concerns, title))| AgendaItem {
                        concerns: concerns.map(|c| c.into_iter().collect()),
                        matter,
                        title,
                    })
                    .collect(),
                meeting,
                scheduled,
                title,
            })),
        (
            hash(),
            opt(matter()),
            hash(),
            opt(text(MAX_TEXT)),
            pick(Outcome::ALL)
        )
            .prop_map(|(declaration, matter, member, note, outcome)| {
                Data::Determination(Determination {
                    declaration,
                    matter,
                    member,
                    note,
                    outcome,
                })
            }),
        heads().prop_map(|heads| Data::Witness(Witness {
            heads: Some(heads),
            ..Default::default()
        })),
        (
            "[a-z][a-z0-9-]{0,31}"
                .prop_filter("not a known kind", |k| !KNOWN_KINDS.contains(&k.as_str())),
            prop::collection::btree_map("[a-z][a-z0-9_]{0,31}", json_value(), 0..5),
        )
            .prop_map(|(kind, data)| Data::Unknown {
                kind,
                data: data.into_iter().collect::<Map<String, Value>>()
            }),
    ];
    prop_oneof![12 => ready.prop_map(DataGen::Ready), 1 => any::<[u8; 32]>().prop_map(|new_seed| DataGen::Rotation { new_seed })]
}

/// A signer and a draft of any kind, with a consistent envelope (prev is zero exactly at seq 1).
#[derive(Debug, Clone)]
struct Case {
    seed: [u8; 32],
    member: Option<Hash32>,
    seq: u64,
    prev: Hash32,
    time: Timestamp,
    data: DataGen,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<[u8; 32]>(),
        opt(hash()),
        prop_oneof![Just(1u64), 2u64..=(1 << 53) - 1],
        hash().prop_filter("non-zero prev", |h| *h != Hash32::ZERO),
        timestamp(),
        data(),
    )
        .prop_map(|(seed, member, seq, prev, time, data)| Case {
            seed,
            member,
            seq,
            prev: if seq == 1 { Hash32::ZERO } else { prev },
            time,
            data,
        })
}

impl Case {
    fn build(&self) -> (SecretKey, Draft) {
        let sk = SecretKey::from_seed(&self.seed);
        let member = self.member.unwrap_or_else(|| sk.public().member_id());
        let data = match &self.data {
            DataGen::Ready(d) => d.clone(),
            DataGen::Rotation { new_seed } => {
                let mut new_seed = *new_seed;
                if new_seed == self.seed {
                    new_seed[0] ^= 1;
                }
                let new = SecretKey::from_seed(&new_seed);
                let proof = new.sign(&key_accept_message(
                    &member,
                    &sk.public(),
                    &new.public(),
                    self.seq,
                ));
                Data::KeyRotation(KeyRotation {
                    new_key: new.public(),
                    proof,
                })
            }
        };
        (
            sk,
            Draft {
                member,
                seq: self.seq,
                prev: self.prev,
                time: self.time,
                data,
            },
        )
    }
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Replace(Index, u8),
    Insert(Index, u8),
    Delete(Index),
}

fn edit_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        any::<u8>(),
        select(vec![
            b'"', b'\\', b'0', b'1', b'9', b' ', b'{', b'}', b'[', b']', b',', b':', b'a', b'f',
            b'=', b'+', b'/', b'\n', b'\r', 0, 0x7f, 0x80, 0xc3, 0xe2, 0xff
        ]),
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<Index>(), edit_byte()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<Index>(), edit_byte()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<Index>().prop_map(Edit::Delete),
    ];
    prop::collection::vec(edit, 1..4)
}

fn apply(bytes: &mut Vec<u8>, edits: &[Edit]) {
    for e in edits {
        match e {
            Edit::Replace(i, b) if !bytes.is_empty() => {
                let i = i.index(bytes.len());
                bytes[i] = *b;
            }
            Edit::Insert(i, b) => {
                let i = i.index(bytes.len() + 1);
                bytes.insert(i, *b);
            }
            Edit::Delete(i) if !bytes.is_empty() => {
                let i = i.index(bytes.len());
                bytes.remove(i);
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checks shared by (b); the line round trip is `support::roundtrip`
// ---------------------------------------------------------------------------------------------

fn whole_file_accepts(bytes: &[u8]) -> bool {
    let report = verify_bytes(bytes);
    assert!(report.entries <= report.lines);
    report.valid
}

// ---------------------------------------------------------------------------------------------
// (a) sign → line → parse round trip
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn signed_drafts_round_trip(c in case()) {
        let (sk, draft) = c.build();
        let entry = draft.sign(&sk).expect("a generated draft is valid and signs");
        prop_assert_eq!(entry.kind(), draft.data.kind());
        let back = Entry::parse_verified(&entry.line).expect("a signed line parses and verifies");
        prop_assert_eq!(&back.data, &draft.data);
        prop_assert_eq!(back.id, entry.id);
        prop_assert_eq!(back.member, draft.member);
        prop_assert_eq!(back.key, sk.public());
        prop_assert_eq!(back.seq, draft.seq);
        prop_assert_eq!(back.prev, draft.prev);
        prop_assert_eq!(&back.time, &draft.time);
        prop_assert_eq!(&back.line, &entry.line);
        // Re-signing what was parsed gives the same bytes (Ed25519 is deterministic, the encoding
        // is canonical).
        let again = Draft { member: back.member, seq: back.seq, prev: back.prev, time: back.time, data: back.data.clone() };
        let resigned = again.sign(&sk).expect("re-sign");
        prop_assert_eq!(&resigned.line, &entry.line);
        prop_assert_eq!(parse_canonical(&entry.line).expect("canonical").to_string(), entry.line.clone());
        prop_assert!(assert_line_round_trip(entry.line.as_bytes()));
        let raw = RawLine { number: 1, bytes: entry.line.clone().into_bytes(), fault: None };
        prop_assert!(check_line(&raw).is_ok());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(128)))]

    /// Spec §5.1 step 6: a line whose SIG is any other string (escapes and non-ASCII included)
    /// is still the same well-formed entry, with the same body and id, no signature, and
    /// `bad-signature` from the line check, located at its member and seq.
    #[test]
    fn any_other_sig_keeps_the_entry_and_is_a_bad_signature(c in case(), sig in prop_oneof![text(120), Just(String::new())]) {
        let (sk, draft) = c.build();
        let entry = draft.sign(&sk).expect("sign");
        let good = entry.sig.expect("signed").to_base64();
        prop_assume!(sig != good);
        let line = format!("{{\"entry\":{},\"sig\":{}}}", entry.body(), Value::String(sig));
        let back = Entry::parse(&line).expect("well-formed");
        prop_assert_eq!(back.body(), entry.body());
        prop_assert_eq!(back.id, entry.id);
        prop_assert!(back.sig.is_none());
        prop_assert!(!assert_line_round_trip(line.as_bytes()));
        let err = check_line(&RawLine { number: 1, bytes: line.into_bytes(), fault: None }).expect_err("bad signature");
        prop_assert_eq!((err.error.class, err.member, err.seq), (coi_ledger::ErrorClass::BadSignature, Some(entry.member), Some(entry.seq)));
    }
}

// ---------------------------------------------------------------------------------------------
// (b) robustness: no panics, accepted ⇒ canonical
// ---------------------------------------------------------------------------------------------

/// JSON-flavoured garbage: gets further into the parser than uniform bytes do.
fn jsonish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        select(vec![
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"",
            "\\",
            "\\u0000",
            "\\n",
            "0",
            "1",
            "-1",
            "1.5",
            "1e3",
            "9007199254740992",
            "true",
            "null",
            " ",
            "\"entry\"",
            "\"sig\"",
            "\"data\"",
            "\"key\"",
            "\"kind\"",
            "\"member\"",
            "\"prev\"",
            "\"seq\"",
            "\"time\"",
            "\"v\"",
            "\"profile\"",
            "\"key-rotation\"",
            "\"name\"",
            "é",
            "\u{202e}",
            "\u{feff}",
        ])
        .prop_map(|s: &str| s.as_bytes().to_vec()),
        "[a-z0-9\"{}:,]{1,8}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        assert_line_round_trip(&bytes);
        whole_file_accepts(&bytes);
        let mut file = bytes.clone();
        file.push(b'\n');
        whole_file_accepts(&file);
    }

    #[test]
    fn json_like_garbage_never_panics(bytes in jsonish()) {
        assert_line_round_trip(&bytes);
        let mut file = bytes.clone();
        file.push(b'\n');
        whole_file_accepts(&file);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    /// A mutated valid line never panics anything, and is accepted only if it is unchanged: a
    /// change anywhere either breaks the canonical form or the signature.
    #[test]
    fn mutated_lines_never_panic_and_only_the_original_is_accepted(c in case(), edits in edits()) {
        let (sk, draft) = c.build();
        let entry = draft.sign(&sk).expect("sign");
        let original = entry.line.into_bytes();
        let mut bytes = original.clone();
        apply(&mut bytes, &edits);
        if assert_line_round_trip(&bytes) {
            prop_assert_eq!(&bytes, &original, "a mutated line was accepted");
        }
        let mut file = bytes.clone();
        file.push(b'\n');
        if whole_file_accepts(&file) {
            prop_assert_eq!(&bytes, &original, "a mutated file was accepted");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (c) every single-byte change to a valid file is detected
// ---------------------------------------------------------------------------------------------

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("time")
}

fn decl(counterparty: &str, matter: Option<&str>) -> Declaration {
    Declaration {
        between: Between::PersonalProfessional,
        category: Category::Financial,
        counterparty: counterparty.into(),
        matters: matter.map(|m| vec![Matter::parse(m).expect("matter")]),
        mitigation: Mitigation::Abstain,
        nature: Some("Paid consulting, \"quoted\" \\ text, é 中 🙂".into()),
        relationship: Some(Relationship::Consulting),
        scope: if matter.is_some() {
            Scope::Specific
        } else {
            Scope::Standing
        },
        sealed: None,
        since: Some(Date::parse("2026-01-01").expect("date")),
        until: None,
        value: Some("1,001-15,000 USD".into()),
        whose: Whose::Own,
    }
}

/// Appends entries to one member's chain.
struct Chain {
    key: SecretKey,
    member: Hash32,
    seq: u64,
    prev: Hash32,
}

impl Chain {
    fn new(seed: u8) -> Chain {
        let key = SecretKey::from_seed(&[seed; 32]);
        let member = key.public().member_id();
        Chain {
            key,
            member,
            seq: 0,
            prev: Hash32::ZERO,
        }
    }

    fn push(&mut self, time: &str, data: Data, file: &mut String) -> Hash32 {
        self.seq += 1;
        let e = Draft {
            member: self.member,
            seq: self.seq,
            prev: self.prev,
            time: t(time),
            data,
        }
        .sign(&self.key)
        .expect("sign");
        self.prev = e.id;
        file.push_str(&e.line);
        file.push('\n');
        e.id
    }

    fn rotate(&mut self, time: &str, new_seed: u8, file: &mut String) {
        let new = SecretKey::from_seed(&[new_seed; 32]);
        let proof = new.sign(&key_accept_message(
            &self.member,
            &self.key.public(),
            &new.public(),
            self.seq + 1,
        ));
        self.push(
            time,
            Data::KeyRotation(KeyRotation {
                new_key: new.public(),
                proof,
            }),
            file,
        );
        self.key = new;
    }
}

/// Two members, eight entries of six kinds, including a key rotation and an amendment.
fn valid_file() -> Vec<u8> {
    let mut f = String::new();
    let mut a = Chain::new(21);
    let mut b = Chain::new(22);
    let profile = |name: &str| {
        Data::Profile(Profile {
            name: name.into(),
            capacity: Some("board".into()),
            affiliation: None,
        })
    };
    a.push("2026-01-01T09:00:00Z", profile("Ada Lovelace"), &mut f);
    b.push("2026-01-01T09:30:00Z", profile("Émile Zola"), &mut f);
    a.push(
        "2026-01-02T10:00:00Z",
        Data::Declaration(decl("Acme Networks", Some("board-2026-01/item-4"))),
        &mut f,
    );
    b.push(
        "2026-01-02T11:00:00Z",
        Data::NoConflict(NoConflict {
            matters: Some(vec![Matter::parse("board-2026-01/item-4").expect("m")]),
            scope: Scope::Specific,
        }),
        &mut f,
    );
    let d = b.push(
        "2026-01-03T11:00:00Z",
        Data::Declaration(decl("中文 Holdings", None)),
        &mut f,
    );
    a.rotate("2026-01-04T08:00:00Z", 23, &mut f);
    b.push(
        "2026-01-05T12:00:00Z",
        Data::Amend {
            target: d,
            declaration: decl("中文 Holdings Ltd", None),
        },
        &mut f,
    );
    a.push(
        "2026-01-06T12:00:00Z",
        Data::Reaffirm(Reaffirm {
            note: Some("all current".into()),
        }),
        &mut f,
    );
    f.into_bytes()
}

#[test]
fn every_single_byte_flip_of_a_valid_file_is_invalid() {
    let file = valid_file();
    let report = verify_bytes(&file);
    assert!(report.valid, "{:?}", report.problems);
    assert_eq!(report.entries, 8);
    // Every offset, one deterministic change each (alternating masks), plus deleting each byte.
    let mut checked = 0;
    for i in 0..file.len() {
        let mut m = file.clone();
        m[i] ^= if i % 2 == 0 { 0x01 } else { 0x20 };
        assert!(!verify_bytes(&m).valid, "flip at byte {i} went unnoticed");
        checked += 1;
    }
    assert_eq!(checked, file.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn any_single_byte_mutation_of_a_valid_file_is_invalid(at in any::<Index>(), byte in any::<u8>(), op in 0u8..3) {
        static FILE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let file = FILE.get_or_init(valid_file);
        let mut m = file.clone();
        match op {
            0 => {
                let i = at.index(m.len());
                prop_assume!(m[i] != byte);
                m[i] = byte;
            }
            1 => m.insert(at.index(m.len() + 1), byte),
            _ => {
                m.remove(at.index(m.len()));
            }
        }
        prop_assert!(!verify_bytes(&m).valid, "mutation {} of byte {} at {:?} went unnoticed", op, byte, at);
    }
}

/// Sanity check of the generators: every kind is produced.
#[test]
fn generators_cover_every_kind() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let mut kinds = BTreeSet::new();
    for _ in 0..2000 {
        let c = strategy.new_tree(&mut runner).expect("tree").current();
        let (_, draft) = c.build();
        let kind = draft.data.kind().to_string();
        kinds.insert(if KNOWN_KINDS.contains(&kind.as_str()) {
            kind
        } else {
            "<unknown>".to_string()
        });
    }
    let want: BTreeSet<String> = KNOWN_KINDS
        .iter()
        .map(|k| k.to_string())
        .chain(["<unknown>".to_string()])
        .collect();
    assert_eq!(kinds, want);
}
