//! The test vectors of `schema/ledger-v1.md` §11, built deterministically.
//!
//! Shared by `examples/make_vectors.rs`, which writes the files, and `tests/vectors.rs`, which checks
//! that the committed files are exactly what this code makes. Every key comes from a fixed seed and
//! every time is fixed; Ed25519 signing is deterministic, so the output never changes.
//!
//! The expected outcome of each case is written here by hand from the spec. It is never computed by
//! the verifier: that is what the vectors test.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use coi_ledger::{
    key_accept_message, signing_message, Agenda, AgendaItem, Ballot, Between, Category,
    CheckpointRef, Data, Date, Declaration, Determination, Disclosure, Draft, EncryptionKey, Entry,
    EntryId, ErrorClass, Hash32, Head, KeyRotation, LogKey, Matter, MemberId, Mitigation,
    NoConflict, Outcome, Participation, Presence, Profile, Reaffirm, Relationship, Retract, Scope,
    SealedField, SecretKey, Timestamp, Unseal, Vote, VoteResult, Whose, Withdraw, Witness,
    CTX_MEMBER_ID, CTX_SEAL,
};
use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// What a verifier must report for one case (spec §11).
pub struct Expect {
    /// Whether the file is valid.
    pub valid: bool,
    /// Problems in report order: line, class, and the earlier line for problems that name one.
    pub problems: Vec<(u64, ErrorClass, Option<u64>)>,
    /// Notices in file order: line and name.
    pub notices: Vec<(u64, &'static str)>,
}

impl Expect {
    /// The `.expect` file's text.
    pub fn render(&self) -> String {
        let mut out = String::from(if self.valid { "valid\n" } else { "invalid\n" });
        for (line, class, other) in &self.problems {
            match other {
                Some(o) => out.push_str(&format!("{line} {class} {o}\n")),
                None => out.push_str(&format!("{line} {class}\n")),
            }
        }
        for (line, name) in &self.notices {
            out.push_str(&format!("notice {line} {name}\n"));
        }
        out
    }
}

/// One case: `NAME.ledger` and `NAME.expect`.
pub struct Case {
    /// The file name without extension.
    pub name: &'static str,
    /// The ledger file.
    pub ledger: Vec<u8>,
    /// Its outcome.
    pub expect: Expect,
}

/// One case of several files verified together (spec §5.3, §11): `NAME.1.ledger`, `NAME.2.ledger`,
/// … and one `NAME.expect`, whose places are written `F:LINE`.
pub struct SetCase {
    /// The case's name.
    pub name: &'static str,
    /// The files, in the order they are given to the verifier.
    pub files: Vec<Vec<u8>>,
    /// The `.expect` text.
    pub expect: String,
}

/// Every file of `schema/vectors/`, by file name, in a fixed order.
pub fn files() -> Vec<(String, Vec<u8>)> {
    let keys = Keys::new();
    let mut out = vec![("keys.txt".to_string(), keys.listing().into_bytes())];
    for case in cases(&keys)
        .into_iter()
        .chain(head_cases(&keys))
        .chain(answer_cases(&keys))
    {
        out.push((format!("{}.ledger", case.name), case.ledger));
        out.push((
            format!("{}.expect", case.name),
            case.expect.render().into_bytes(),
        ));
    }
    for case in set_cases(&keys) {
        for (i, f) in case.files.into_iter().enumerate() {
            out.push((format!("{}.{}.ledger", case.name, i + 1), f));
        }
        out.push((format!("{}.expect", case.name), case.expect.into_bytes()));
    }
    out
}

const SEEDS: [(&str, u8); 8] = [
    ("alice", 0xa1),
    ("alice-2", 0xa2),
    ("bob", 0xb0),
    ("carol", 0xc0),
    ("dave", 0xd0),
    ("mallory", 0xee),
    ("chair", 0x5e),
    ("eve", 0xe5),
];

/// The test keys: each seed is one byte repeated 32 times.
struct Keys {
    alice: SecretKey,
    alice2: SecretKey,
    bob: SecretKey,
    carol: SecretKey,
    dave: SecretKey,
    mallory: SecretKey,
    chair: SecretKey,
    eve: SecretKey,
}

impl Keys {
    fn new() -> Keys {
        let k = |i: usize| SecretKey::from_seed(&[SEEDS[i].1; 32]);
        Keys {
            alice: k(0),
            alice2: k(1),
            bob: k(2),
            carol: k(3),
            dave: k(4),
            mallory: k(5),
            chair: k(6),
            eve: k(7),
        }
    }

    fn listing(&self) -> String {
        let mut out = String::from(
            "# Secret seeds of the keys used to build these vectors (spec §11). Test keys only: never use them.\n\
             # Rebuild with: cargo run --example make_vectors -- schema/vectors\n\
             # NAME SEED PUBLIC-KEY MEMBER-ID-OF-A-CHAIN-IT-STARTS\n",
        );
        for (name, byte) in SEEDS {
            let public = SecretKey::from_seed(&[byte; 32]).public();
            out.push_str(&format!(
                "{name} {} {} {}\n",
                Hash32::from_bytes([byte; 32]).to_hex(),
                public.to_hex(),
                public.member_id().to_hex()
            ));
        }
        out.push_str(
            "# alice-2 is alice's key after her key-rotation; her member id does not change.\n\
             # The weak key (the identity point) and the non-canonical key of the bad-key cases have no seed;\n\
             # they are written into their lines directly.\n",
        );
        out
    }
}

/// Fixed times: `i` ten-minute steps after 2026-01-05T09:00:00Z.
fn t(i: i64) -> Timestamp {
    Timestamp::from_unix(1_767_603_600 + 600 * i)
}

fn date(s: &str) -> Date {
    Date::parse(s).expect("a vector's date is valid")
}

fn matters(list: &[&str]) -> Option<Vec<Matter>> {
    Some(
        list.iter()
            .map(|m| Matter::parse(m).expect("a vector's matter is valid"))
            .collect(),
    )
}

fn profile(name: &str) -> Data {
    Data::Profile(Profile {
        affiliation: None,
        capacity: None,
        name: name.into(),
    })
}

fn declaration(counterparty: &str, scope: Scope, list: &[&str]) -> Declaration {
    Declaration {
        between: Between::PersonalProfessional,
        category: Category::Financial,
        counterparty: counterparty.into(),
        matters: if scope == Scope::Specific {
            matters(list)
        } else {
            None
        },
        mitigation: Mitigation::Abstain,
        nature: None,
        relationship: Some(Relationship::Consulting),
        scope,
        sealed: None,
        since: None,
        until: None,
        value: None,
        whose: Whose::Own,
    }
}

fn specific(counterparty: &str) -> Data {
    Data::Declaration(declaration(
        counterparty,
        Scope::Specific,
        &["board-2026-01/item-3"],
    ))
}

/// A declaration with one sealed field.
fn sealed(counterparty: &str) -> Data {
    let mut d = declaration(counterparty, Scope::Standing, &[]);
    d.sealed = Some(
        [(
            SealedField::Amount,
            commitment(0x5c, "amount", "12,500 USD"),
        )]
        .into_iter()
        .collect(),
    );
    Data::Declaration(d)
}

/// A restricted-field commitment (spec §7) with a fixed salt.
fn commitment(salt: u8, field: &str, value: &str) -> Hash32 {
    Hash32::with_context(
        CTX_SEAL,
        &[&[salt; 32], field.as_bytes(), &[0], value.as_bytes()],
    )
}

fn withdraw(target: &Entry) -> Data {
    Data::Withdraw(Withdraw {
        target: target.id,
        until: None,
    })
}

fn disclosure(target: &Entry, recipients: &[MemberId]) -> Data {
    // Public verification checks only the envelope of a disclosure; this placeholder is not an age
    // file and cannot be decrypted.
    let ciphertext = B64.encode(
        b"age-encryption.org/v1\n-> placeholder: coi-ledger test vector, not a real age file\n",
    );
    let mut recipients = recipients.to_vec();
    recipients.sort();
    Data::Disclosure(Disclosure {
        ciphertext,
        recipients,
        target: target.id,
    })
}

/// A member's chain as it is built: the next seq, the head and the current key.
struct Chain<'k> {
    member: MemberId,
    key: &'k SecretKey,
    next: u64,
    head: EntryId,
}

impl<'k> Chain<'k> {
    fn new(key: &'k SecretKey) -> Chain<'k> {
        Chain {
            member: key.public().member_id(),
            key,
            next: 1,
            head: Hash32::ZERO,
        }
    }

    /// The draft of the next entry, without advancing the chain.
    fn draft(&self, time: i64, data: Data) -> Draft {
        Draft {
            member: self.member,
            seq: self.next,
            prev: self.head,
            time: t(time),
            data,
        }
    }

    /// The next entry, signed with the current key; the chain advances.
    fn push(&mut self, time: i64, data: Data) -> Entry {
        let e = sign(&self.draft(time, data), self.key);
        self.next += 1;
        self.head = e.id;
        e
    }

    /// A key rotation to `new`; later entries are signed with `new`.
    fn rotate(&mut self, new: &'k SecretKey, time: i64) -> Entry {
        let proof = new.sign(&key_accept_message(
            &self.member,
            &self.key.public(),
            &new.public(),
            self.next,
        ));
        let e = self.push(
            time,
            Data::KeyRotation(KeyRotation {
                new_key: new.public(),
                proof,
            }),
        );
        self.key = new;
        e
    }

    /// The same member at another position (for lines that do not extend the chain as built).
    fn at(&self, next: u64, head: EntryId) -> Chain<'k> {
        Chain {
            member: self.member,
            key: self.key,
            next,
            head,
        }
    }

    /// The chain's head as listed in votes and witnesses.
    fn head(&self) -> Head {
        Head {
            id: self.head,
            member: self.member,
            seq: self.next - 1,
        }
    }
}

fn sign(draft: &Draft, key: &SecretKey) -> Entry {
    draft.sign(key).expect("a vector's draft is well-formed")
}

/// `{"entry":BODY,"sig":SIG}` for a body used exactly as given, canonical or not.
fn assemble(body: &str, sig: &str) -> String {
    format!("{{\"entry\":{body},\"sig\":\"{sig}\"}}")
}

/// The line of `body` (used exactly as given) signed by `key`.
fn signed_line(body: &str, key: &SecretKey) -> String {
    assemble(
        body,
        &key.sign(&signing_message(body.as_bytes())).to_base64(),
    )
}

/// `e` with its entry object edited as JSON, re-encoded canonically and signed by `key` again.
fn edit(e: &Entry, key: &SecretKey, f: impl FnOnce(&mut Map<String, Value>)) -> String {
    let mut body: Map<String, Value> =
        serde_json::from_str(e.body()).expect("an entry body is a JSON object");
    f(&mut body);
    signed_line(&Value::Object(body).to_string(), key)
}

/// `e` with the first `from` in its body replaced by `to` as text, and signed by `key` again, so that
/// the only fault of the line is the edit.
fn edit_text(e: &Entry, key: &SecretKey, from: &str, to: &str) -> String {
    let body = e.body();
    assert!(body.contains(from), "{from} is not in the body");
    signed_line(&body.replacen(from, to, 1), key)
}

/// The `data` object of an entry object.
fn data(entry: &mut Map<String, Value>) -> &mut Map<String, Value> {
    entry
        .get_mut("data")
        .and_then(Value::as_object_mut)
        .expect("an entry has a data object")
}

/// A ledger file: each line terminated by LF.
fn ledger(lines: &[&str]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| l.bytes().chain([b'\n']))
        .collect()
}

fn valid() -> Expect {
    Expect {
        valid: true,
        problems: vec![],
        notices: vec![],
    }
}

fn valid_notices(lines: &[u64]) -> Expect {
    Expect {
        valid: true,
        problems: vec![],
        notices: lines.iter().map(|&l| (l, "unknown-kind")).collect(),
    }
}

fn invalid(problems: &[(u64, ErrorClass)]) -> Expect {
    Expect {
        valid: false,
        problems: problems.iter().map(|&(l, c)| (l, c, None)).collect(),
        notices: vec![],
    }
}

/// One problem that names an earlier line (fork, duplicate-entry, a second entry under another key).
fn invalid_other(line: u64, class: ErrorClass, other: u64) -> Expect {
    Expect {
        valid: false,
        problems: vec![(line, class, Some(other))],
        notices: vec![],
    }
}

/// Adds `n` to the 256-bit little-endian `a` (no overflow for the values used here).
fn add_le(a: &mut [u8], n: &[u8; 32]) {
    let mut carry = 0u16;
    for (x, y) in a.iter_mut().zip(n) {
        let s = u16::from(*x) + u16::from(*y) + carry;
        *x = (s & 0xff) as u8;
        carry = s >> 8;
    }
}

/// ℓ, the order of the Ed25519 base point, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The identity point: a weak (small-order) public key.
const WEAK_KEY: [u8; 32] = {
    let mut k = [0u8; 32];
    k[0] = 1;
    k
};

/// y = p + 3 with x even: a non-canonical encoding of the point with y = 3, which is on the curve
/// and not of small order (its canonical encoding is 03 00 … 00).
const NON_CANONICAL_KEY: [u8; 32] = {
    let mut k = [0xffu8; 32];
    k[0] = 0xf0;
    k[31] = 0x7f;
    k
};

/// y = 2: not the encoding of any curve point.
const NOT_A_POINT: [u8; 32] = {
    let mut k = [0u8; 32];
    k[0] = 2;
    k
};

/// R = the identity, S = 0: "valid" for every message under a weak key with lax (non-strict)
/// verification.
fn lax_signature() -> String {
    let mut s = [0u8; 64];
    s[0] = 1;
    B64.encode(s)
}

/// A seq-1 profile line that claims the key `key` (bytes written as they are) and the member id it
/// would found, signed by `signer` (whose signature is never reached) or with `sig`.
fn raw_key_line(key: &[u8; 32], sig: Option<&str>, signer: &SecretKey) -> String {
    let body = json!({
        "data": {"name": "Mallory"},
        "key": Hash32::from_bytes(*key).to_hex(),
        "kind": "profile",
        "member": Hash32::with_context(CTX_MEMBER_ID, &[key]).to_hex(),
        "prev": Hash32::ZERO.to_hex(),
        "seq": 1,
        "time": t(0).as_str(),
        "v": 1,
    })
    .to_string();
    match sig {
        Some(sig) => assemble(&body, sig),
        None => signed_line(&body, signer),
    }
}

/// The line of `e` with its base64 signature replaced by `f(sig)`.
fn with_sig(e: &Entry, f: impl FnOnce(&str) -> String) -> String {
    let sig = e.sig.expect("a vector's entry is signed").to_base64();
    assemble(e.body(), &f(&sig))
}

/// The line of `e` with SIG the string `sig`, in its canonical JSON encoding (spec §2).
fn with_sig_text(e: &Entry, sig: &str) -> String {
    format!(
        "{{\"entry\":{},\"sig\":{}}}",
        e.body(),
        Value::String(sig.into())
    )
}

/// An unknown-kind entry whose line is exactly `len` bytes (LF excluded).
fn padded_line(chain: &Chain<'_>, time: i64, len: usize) -> String {
    let data = |pad: usize| Data::Unknown {
        kind: "padding".into(),
        data: [("pad".to_string(), Value::String("x".repeat(pad)))]
            .into_iter()
            .collect(),
    };
    let body_len = |pad: usize| {
        chain
            .draft(time, data(pad))
            .body(&chain.key.public())
            .expect("an unknown kind is well-formed")
            .len()
    };
    // A line is the body plus a fixed frame: {"entry": BODY ,"sig":" 88 characters "}.
    let frame = assemble("", &"A".repeat(88)).len();
    let pad = len - frame - body_len(0);
    let body = chain
        .draft(time, data(pad))
        .body(&chain.key.public())
        .expect("an unknown kind is well-formed");
    let line = signed_line(&body, chain.key);
    assert_eq!(line.len(), len);
    line
}

fn cases(k: &Keys) -> Vec<Case> {
    use ErrorClass::*;
    let mut out = Vec::new();
    let mut add = |name: &'static str, ledger: Vec<u8>, expect: Expect| {
        out.push(Case {
            name,
            ledger,
            expect,
        })
    };

    // A short chain of alice's used by many cases: profile, declaration, reaffirm.
    let mut a = Chain::new(&k.alice);
    let a1 = a.push(0, profile("Ada Lovelace"));
    let a2 = a.push(1, specific("Acme Networks"));
    let a3 = a.push(2, Data::Reaffirm(Reaffirm::default()));
    let (l1, l2, l3) = (a1.line.as_str(), a2.line.as_str(), a3.line.as_str());
    let a2_sig = a2.sig.expect("a signed entry has a signature");
    let mut b = Chain::new(&k.bob);
    let b1 = b.push(0, profile("Bob"));
    let b2 = b.push(1, specific("Globex"));

    // ---- Valid cases.
    add("valid-empty", vec![], valid());
    add("valid-one-member", ledger(&[l1, l2]), valid());
    add("valid-three-members", three_members(k), valid());
    {
        let mut c = Chain::new(&k.alice);
        let e1 = c.push(0, profile("Ada Lovelace"));
        let trips = json!({"trips": [{"to": "Lisbon", "when": "2026-03"}], "version": 2});
        let Value::Object(data) = trips else {
            unreachable!()
        };
        let e2 = c.push(
            1,
            Data::Unknown {
                kind: "travel-log".into(),
                data,
            },
        );
        let e3 = c.push(
            2,
            Data::Reaffirm(Reaffirm {
                note: Some("Entries after an unknown kind are checked as usual".into()),
            }),
        );
        add(
            "valid-unknown-kind",
            ledger(&[&e1.line, &e2.line, &e3.line]),
            valid_notices(&[2]),
        );
    }
    {
        let mut c = Chain::new(&k.alice);
        let e1 = c.push(0, profile("Ada Lovelace"));
        let long = padded_line(&c, 1, 65_535);
        add(
            "valid-line-max-length",
            ledger(&[&e1.line, &long]),
            valid_notices(&[2]),
        );
    }
    {
        // A disclosure needs a declaration with `sealed`, not a live one (spec §7).
        let mut c = Chain::new(&k.alice);
        let e1 = c.push(0, profile("Ada Lovelace"));
        let e2 = c.push(1, sealed("Example Foundation"));
        let e3 = c.push(2, withdraw(&e2));
        let e4 = c.push(3, disclosure(&e2, &[k.carol.public().member_id()]));
        add(
            "valid-disclosure-after-withdraw",
            ledger(&[&e1.line, &e2.line, &e3.line, &e4.line]),
            valid(),
        );
    }

    {
        // Spec §7.1: an encryption key is an age recipient; an X25519 one is checked Bech32.
        let recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
        let mut c = Chain::new(&k.alice);
        let e1 = c.push(0, profile("Ada Lovelace"));
        let ek = c.push(
            1,
            Data::EncryptionKey(EncryptionKey {
                recipient: recipient.into(),
            }),
        );
        add(
            "valid-encryption-key",
            ledger(&[&e1.line, &ek.line]),
            valid(),
        );
        let with_recipient = |r: &str| {
            edit(&ek, &k.alice, |e| {
                data(e).insert("recipient".into(), json!(r));
            })
        };
        add(
            "valid-encryption-key-other-type",
            ledger(&[&e1.line, &with_recipient("age1pq1qqqqqqqqqqqqqqqq")]),
            valid(),
        );
        add(
            "bad-field-encryption-key-checksum",
            ledger(&[
                &e1.line,
                &with_recipient(&recipient.replace("mcac8p", "mcac8q")),
            ]),
            invalid(&[(2, BadField)]),
        );
        add(
            "bad-field-encryption-key-uppercase",
            ledger(&[&e1.line, &with_recipient(&recipient.to_uppercase())]),
            invalid(&[(2, BadField)]),
        );
        add(
            "bad-field-encryption-key-not-age",
            ledger(&[&e1.line, &with_recipient("ssh-ed25519")]),
            invalid(&[(2, BadField)]),
        );
    }
    {
        // Spec §7.3: `unseal` makes openings public; every verifier checks them.
        let opening =
            |salt: u8, value: &str| json!({"salt": B64.encode([salt; 32]), "value": value});
        let unseal = |target: &Entry, fields: Value| {
            let fields: BTreeMap<SealedField, coi_ledger::seal::Opening> =
                serde_json::from_value(fields).expect("openings");
            Data::Unseal(Unseal {
                fields,
                target: target.id,
            })
        };
        let mut c = Chain::new(&k.alice);
        let e1 = c.push(0, profile("Ada Lovelace"));
        let e2 = c.push(1, sealed("Example Foundation"));
        let e3 = c.push(
            2,
            unseal(&e2, json!({"amount": opening(0x5c, "12,500 USD")})),
        );
        add(
            "valid-unseal",
            ledger(&[&e1.line, &e2.line, &e3.line]),
            valid(),
        );
        let wrong = edit(&e3, &k.alice, |e| {
            data(e)["fields"]["amount"]["value"] = json!("1 USD");
        });
        add(
            "bad-commitment-unseal-value",
            ledger(&[&e1.line, &e2.line, &wrong]),
            invalid(&[(3, BadCommitment)]),
        );
        let other_salt = edit(&e3, &k.alice, |e| {
            data(e)["fields"]["amount"]["salt"] = json!(B64.encode([0x5d; 32]));
        });
        add(
            "bad-commitment-unseal-salt",
            ledger(&[&e1.line, &e2.line, &other_salt]),
            invalid(&[(3, BadCommitment)]),
        );
        let not_sealed = edit(&e3, &k.alice, |e| {
            data(e)["fields"] = json!({"client": opening(0x5c, "Initech")});
        });
        add(
            "bad-reference-unseal-field-not-sealed",
            ledger(&[&e1.line, &e2.line, &not_sealed]),
            invalid(&[(3, BadReference)]),
        );
        let short = edit(&e3, &k.alice, |e| {
            data(e)["fields"]["amount"]["salt"] = json!(B64.encode([0x5c; 31]));
        });
        add(
            "bad-field-unseal-salt-short",
            ledger(&[&e1.line, &e2.line, &short]),
            invalid(&[(3, BadField)]),
        );
        let empty = edit(&e3, &k.alice, |e| {
            data(e)["fields"] = json!({});
        });
        add(
            "bad-field-unseal-empty",
            ledger(&[&e1.line, &e2.line, &empty]),
            invalid(&[(3, BadField)]),
        );
        // The target must have `sealed`.
        let mut c = Chain::new(&k.alice);
        c.push(0, profile("Ada Lovelace"));
        let plain = c.push(1, specific("Example Foundation"));
        let at_plain = c.push(
            2,
            unseal(&plain, json!({"amount": opening(0x5c, "12,500 USD")})),
        );
        add(
            "bad-reference-unseal-target-not-sealed",
            ledger(&[&e1.line, &plain.line, &at_plain.line]),
            invalid(&[(3, BadReference)]),
        );
        // Spec §7: an amendment seals again with fresh salts; a repeated commitment is refused.
        let mut c = Chain::new(&k.alice);
        c.push(0, profile("Ada Lovelace"));
        let s2 = c.push(1, sealed("Example Foundation"));
        let Data::Declaration(mut again) = sealed("Example Foundation") else {
            unreachable!("sealed() makes a declaration")
        };
        again.value = Some("10,001-50,000 USD".into());
        let reused = c.push(
            2,
            Data::Amend {
                target: s2.id,
                declaration: again.clone(),
            },
        );
        add(
            "bad-commitment-amend-repeats-salt",
            ledger(&[&e1.line, &s2.line, &reused.line]),
            invalid(&[(3, BadCommitment)]),
        );
        let mut c = Chain::new(&k.alice);
        c.push(0, profile("Ada Lovelace"));
        c.push(1, sealed("Example Foundation"));
        again.sealed = Some(
            [(
                SealedField::Amount,
                commitment(0x5e, "amount", "12,500 USD"),
            )]
            .into_iter()
            .collect(),
        );
        let fresh = c.push(
            2,
            Data::Amend {
                target: s2.id,
                declaration: again,
            },
        );
        add(
            "valid-amend-fresh-salts",
            ledger(&[&e1.line, &s2.line, &fresh.line]),
            valid(),
        );
    }

    // ---- Byte-level problems (spec §3).
    {
        let mut bad = a2.line.clone().into_bytes();
        let at = bad
            .windows(4)
            .position(|w| w == b"Acme")
            .expect("the counterparty is in the line");
        bad[at] = 0xff;
        let mut file = ledger(&[l1]);
        file.extend_from_slice(&bad);
        file.push(b'\n');
        add("invalid-utf8", file, invalid(&[(2, InvalidUtf8)]));
        // An overlong encoding of "/" (C0 AF) in the matter.
        let at = a2.line.find("2026-01/").expect("the matter is in the line") + 7;
        let mut bad = a2.line.clone().into_bytes();
        bad.splice(at..at + 1, [0xc0, 0xaf]);
        let mut file = ledger(&[l1]);
        file.extend_from_slice(&bad);
        file.push(b'\n');
        add("invalid-utf8-overlong", file, invalid(&[(2, InvalidUtf8)]));
    }
    {
        // The line with the BOM is not read; alice's chain on lines 2 and 3 is.
        let mut file = vec![0xef, 0xbb, 0xbf];
        file.extend(ledger(&[&b1.line, l1, l2]));
        add("bom", file, invalid(&[(1, Bom)]));
        // Only the file's first bytes can be a BOM; later, U+FEFF is a forbidden character.
        let mut file = ledger(&[l1]);
        file.extend_from_slice("\u{feff}".as_bytes());
        file.extend(ledger(&[l2]));
        add(
            "forbidden-character-bom-not-at-start",
            file,
            invalid(&[(2, ForbiddenCharacter)]),
        );
    }
    add(
        "nul-byte",
        ledger(&[l1, &a2.line.replacen("Acme", "Ac\0me", 1)]),
        invalid(&[(2, NulByte)]),
    );
    add(
        "carriage-return",
        format!("{l1}\r\n{l2}\r\n").into_bytes(),
        invalid(&[(1, CarriageReturn), (2, CarriageReturn)]),
    );
    // The empty line belongs to no chain: alice's seq 2 on line 3 is accepted.
    add(
        "empty-line",
        ledger(&[l1, "", l2]),
        invalid(&[(2, EmptyLine)]),
    );
    {
        let c = Chain {
            member: a.member,
            key: &k.alice,
            next: 2,
            head: a1.id,
        };
        let long = padded_line(&c, 1, 65_536);
        add(
            "line-too-long",
            ledger(&[l1, &long]),
            invalid(&[(2, LineTooLong)]),
        );
    }
    add(
        "missing-final-newline",
        format!("{l1}\n{l2}").into_bytes(),
        invalid(&[(2, MissingFinalNewline)]),
    );
    // Byte checks come before JSON: an unterminated last line is not parsed.
    add(
        "missing-final-newline-not-json",
        format!("{l1}\n{}", &l2[..l2.len() / 2]).into_bytes(),
        invalid(&[(2, MissingFinalNewline)]),
    );
    // `missing-final-newline` is the last byte check of an unterminated line (spec §3).
    add("bom-only", vec![0xef, 0xbb, 0xbf], invalid(&[(1, Bom)]));
    add(
        "carriage-return-unterminated",
        format!("{l1}\n{l2}\r").into_bytes(),
        invalid(&[(2, CarriageReturn)]),
    );
    add(
        "nul-byte-unterminated",
        format!("{l1}\n{}", a2.line.replacen("Acme", "Ac\0me", 1)).into_bytes(),
        invalid(&[(2, NulByte)]),
    );
    {
        let mut file = ledger(&[l1]);
        file.extend_from_slice(l2.as_bytes());
        file.push(0xff);
        add(
            "invalid-utf8-unterminated",
            file,
            invalid(&[(2, InvalidUtf8)]),
        );
    }

    // ---- Canonical JSON (spec §2).
    add(
        "json-syntax",
        ledger(&[l1, &l2[..l2.len() / 2]]),
        invalid(&[(2, JsonSyntax)]),
    );
    add(
        "json-syntax-null",
        ledger(&[
            l1,
            &edit_text(
                &a2,
                &k.alice,
                "\"relationship\":\"consulting\"",
                "\"relationship\":null",
            ),
        ]),
        invalid(&[(2, JsonSyntax)]),
    );
    add(
        "json-syntax-number-fraction",
        ledger(&[l1, &edit_text(&a2, &k.alice, "\"v\":1", "\"v\":1.0")]),
        invalid(&[(2, JsonSyntax)]),
    );
    add(
        "json-syntax-number-exponent",
        ledger(&[l1, &edit_text(&a2, &k.alice, "\"seq\":2", "\"seq\":2e0")]),
        invalid(&[(2, JsonSyntax)]),
    );
    add(
        "json-syntax-leading-zero",
        ledger(&[l1, &edit_text(&a2, &k.alice, "\"seq\":2", "\"seq\":02")]),
        invalid(&[(2, JsonSyntax)]),
    );
    add(
        "json-syntax-too-large",
        ledger(&[
            l1,
            &edit_text(&a2, &k.alice, "\"seq\":2", "\"seq\":9007199254740992"),
        ]),
        invalid(&[(2, JsonSyntax)]),
    );
    add(
        "json-syntax-uppercase-object-key",
        ledger(&[l1, &edit_text(&a2, &k.alice, "\"whose\"", "\"Whose\"")]),
        invalid(&[(2, JsonSyntax)]),
    );
    add(
        "forbidden-character",
        ledger(&[l1, &edit_text(&a2, &k.alice, "Acme", "Acme\u{202e}")]),
        invalid(&[(2, ForbiddenCharacter)]),
    );
    add(
        "forbidden-character-escaped-newline",
        ledger(&[
            l1,
            &edit_text(&a2, &k.alice, "Acme Networks", "Acme\\nNetworks"),
        ]),
        invalid(&[(2, ForbiddenCharacter)]),
    );
    add(
        "forbidden-character-c1-control",
        ledger(&[l1, &edit_text(&a2, &k.alice, "Acme", "Acme\u{85}")]),
        invalid(&[(2, ForbiddenCharacter)]),
    );
    // A forbidden character outside strings is still a forbidden character, not whitespace.
    add(
        "forbidden-character-tab-between-tokens",
        ledger(&[l1, &edit_text(&a2, &k.alice, "\"seq\":", "\"seq\":\t")]),
        invalid(&[(2, ForbiddenCharacter)]),
    );
    // Spec §2 step 2: the first fault in text order decides the class, whatever its kind.
    add(
        "forbidden-character-escape-before-syntax-error",
        ledger(&[
            l1,
            &edit_text(&a2, &k.alice, "Acme Networks", "Acme\\u0000\\qNetworks"),
        ]),
        invalid(&[(2, ForbiddenCharacter)]),
    );
    add(
        "json-syntax-before-forbidden-escape",
        ledger(&[
            l1,
            &edit_text(&a2, &k.alice, "Acme Networks", "Acme\\q\\u0000Networks"),
        ]),
        invalid(&[(2, JsonSyntax)]),
    );
    // The value of a duplicated key is checked like any other: null there is json-syntax, not
    // the duplicate's non-canonical.
    add(
        "json-syntax-null-in-duplicate-key",
        ledger(&[
            l1,
            &edit_text(
                &a2,
                &k.alice,
                "\"whose\":\"self\"",
                "\"whose\":null,\"whose\":\"self\"",
            ),
        ]),
        invalid(&[(2, JsonSyntax)]),
    );
    add(
        "json-syntax-lone-surrogate",
        ledger(&[l1, &edit_text(&a2, &k.alice, "Acme", "\\ud800cme")]),
        invalid(&[(2, JsonSyntax)]),
    );
    add(
        "non-canonical-whitespace",
        ledger(&[l1, &edit_text(&a2, &k.alice, "\"seq\":", "\"seq\": ")]),
        invalid(&[(2, NonCanonical)]),
    );
    add(
        "non-canonical-key-order",
        ledger(&[
            l1,
            &edit_text(
                &a2,
                &k.alice,
                "\"scope\":\"specific\",\"whose\":\"self\"",
                "\"whose\":\"self\",\"scope\":\"specific\"",
            ),
        ]),
        invalid(&[(2, NonCanonical)]),
    );
    add(
        "non-canonical-unicode-escape",
        ledger(&[l1, &edit_text(&a2, &k.alice, "Acme", "\\u0041cme")]),
        invalid(&[(2, NonCanonical)]),
    );
    add(
        "non-canonical-escaped-slash",
        ledger(&[
            l1,
            &edit_text(&a2, &k.alice, "2026-01/item", "2026-01\\/item"),
        ]),
        invalid(&[(2, NonCanonical)]),
    );
    add(
        "non-canonical-duplicate-key",
        ledger(&[
            l1,
            &edit_text(
                &a2,
                &k.alice,
                "\"whose\":\"self\"",
                "\"whose\":\"self\",\"whose\":\"self\"",
            ),
        ]),
        invalid(&[(2, NonCanonical)]),
    );
    {
        let sig = a2_sig.to_base64();
        add(
            "non-canonical-line-key-order",
            ledger(&[
                l1,
                &format!("{{\"sig\":\"{sig}\",\"entry\":{}}}", a2.body()),
            ]),
            invalid(&[(2, NonCanonical)]),
        );
    }

    // ---- The envelope and the kinds' fields (spec §4.2, §6).
    add(
        "unsupported-version",
        ledger(&[
            l1,
            &edit(&a2, &k.alice, |e| {
                e.insert("v".into(), json!(2));
            }),
        ]),
        invalid(&[(2, UnsupportedVersion)]),
    );
    // A line of another version is not interpreted further, whatever its entry holds.
    add(
        "unsupported-version-other-shape",
        ledger(&[
            l1,
            &signed_line(
                &json!({"future": {"anything": true}, "v": 2}).to_string(),
                &k.alice,
            ),
        ]),
        invalid(&[(2, UnsupportedVersion)]),
    );
    // Any `v` other than the integer 1 is unsupported-version, looked at before the line's keys.
    for (name, v) in [
        ("unsupported-version-string", json!("1")),
        ("unsupported-version-true", json!(true)),
        ("unsupported-version-object", json!({"major": 1})),
    ] {
        add(
            name,
            ledger(&[
                l1,
                &edit(&a2, &k.alice, |e| {
                    e.insert("v".into(), v);
                }),
            ]),
            invalid(&[(2, UnsupportedVersion)]),
        );
    }
    {
        let Value::Object(mut body) = serde_json::from_str::<Value>(a2.body()).unwrap_or_default()
        else {
            unreachable!()
        };
        body.insert("v".into(), json!(2));
        let body = Value::Object(body);
        add(
            "unsupported-version-no-sig",
            ledger(&[l1, &json!({ "entry": body }).to_string()]),
            invalid(&[(2, UnsupportedVersion)]),
        );
        add(
            "unsupported-version-extra-line-key",
            ledger(&[
                l1,
                &json!({ "entry": body, "more": 1, "sig": a2_sig.to_base64() }).to_string(),
            ]),
            invalid(&[(2, UnsupportedVersion)]),
        );
        let Value::Object(mut no_v) = body else {
            unreachable!()
        };
        no_v.remove("v");
        add(
            "bad-field-no-version",
            ledger(&[
                l1,
                &json!({ "entry": no_v, "sig": a2_sig.to_base64() }).to_string(),
            ]),
            invalid(&[(2, BadField)]),
        );
        add(
            "bad-field-no-entry",
            ledger(&[
                l1,
                &json!({ "line": {"v": 1}, "sig": a2_sig.to_base64() }).to_string(),
            ]),
            invalid(&[(2, BadField)]),
        );
    }
    add(
        "bad-field",
        ledger(&[
            l1,
            &edit(&a2, &k.alice, |e| {
                data(e).remove("whose");
            }),
        ]),
        invalid(&[(2, BadField)]),
    );
    // A line that cannot be read belongs to no chain: the member's next line then skips a seq.
    add(
        "bad-field-line-ignored",
        ledger(&[
            l1,
            &edit(&a2, &k.alice, |e| {
                data(e).remove("whose");
            }),
            l3,
        ]),
        invalid(&[(2, BadField), (3, SeqGap)]),
    );
    add(
        "bad-field-text-leading-space",
        ledger(&[l1, &edit_text(&a2, &k.alice, "\"Acme", "\" Acme")]),
        invalid(&[(2, BadField)]),
    );
    add(
        "bad-field-matters-unsorted",
        ledger(&[
            l1,
            &edit_text(
                &a2,
                &k.alice,
                "[\"board-2026-01/item-3\"]",
                "[\"board-2026-01/item-3\",\"board-2026-01/item-1\"]",
            ),
        ]),
        invalid(&[(2, BadField)]),
    );
    add(
        "bad-field-specific-without-matters",
        ledger(&[
            l1,
            &edit(&a2, &k.alice, |e| {
                data(e).remove("matters");
            }),
        ]),
        invalid(&[(2, BadField)]),
    );
    add(
        "bad-field-unknown-value",
        ledger(&[
            l1,
            &edit_text(&a2, &k.alice, "\"whose\":\"self\"", "\"whose\":\"cousin\""),
        ]),
        invalid(&[(2, BadField)]),
    );
    add(
        "bad-field-time-not-a-date",
        ledger(&[
            l1,
            &edit(&a2, &k.alice, |e| {
                e.insert("time".into(), json!("2026-02-30T09:10:00Z"));
            }),
        ]),
        invalid(&[(2, BadField)]),
    );
    add(
        "bad-field-time-offset",
        ledger(&[
            l1,
            &edit(&a2, &k.alice, |e| {
                e.insert("time".into(), json!("2026-01-05T09:10:00+00:00"));
            }),
        ]),
        invalid(&[(2, BadField)]),
    );
    add(
        "bad-field-extra-entry-key",
        ledger(&[
            l1,
            &edit(&a2, &k.alice, |e| {
                e.insert("note".into(), json!("extra"));
            }),
        ]),
        invalid(&[(2, BadField)]),
    );
    add(
        "bad-field-extra-data-key",
        ledger(&[
            l1,
            &edit(&a2, &k.alice, |e| {
                data(e).insert("colour".into(), json!("blue"));
            }),
        ]),
        invalid(&[(2, BadField)]),
    );
    add(
        "bad-field-uppercase-hex",
        ledger(&[
            l1,
            &edit(&a2, &k.alice, |e| {
                e.insert("prev".into(), json!(a1.id.to_hex().to_uppercase()));
            }),
        ]),
        invalid(&[(2, BadField)]),
    );
    add(
        "bad-field-missing-sig",
        ledger(&[l1, &format!("{{\"entry\":{}}}", a2.body())]),
        invalid(&[(2, BadField)]),
    );
    add(
        "bad-field-seq-zero",
        ledger(&[
            l1,
            &edit(&a2, &k.alice, |e| {
                e.insert("seq".into(), json!(0));
            }),
        ]),
        invalid(&[(2, BadField)]),
    );
    add(
        "bad-field-kind-syntax",
        ledger(&[
            l1,
            &edit(&a2, &k.alice, |e| {
                e.insert("kind".into(), json!("Declaration"));
            }),
        ]),
        invalid(&[(2, BadField)]),
    );
    // An unknown kind's data is not interpreted, but it must be an object.
    add(
        "bad-field-unknown-kind-data-not-object",
        ledger(&[
            l1,
            &edit(&a2, &k.alice, |e| {
                e.insert("kind".into(), json!("travel-log"));
                e.insert("data".into(), json!("Lisbon"));
            }),
        ]),
        invalid(&[(2, BadField)]),
    );
    {
        let mut c = Chain::new(&k.carol);
        let c1 = c.push(0, profile("Carol"));
        let vote = Data::Vote(Vote {
            agenda: None,
            checkpoint: None,
            continues: None,
            heads: vec![Head {
                id: a2.id,
                member: a.member,
                seq: 2,
            }],
            held: t(1),
            matter: Matter::parse("board-2026-01/item-3").expect("a vector's matter is valid"),
            motion: None,
            participation: vec![Participation {
                member: a.member,
                presence: Presence::Present,
                vote: Some(Ballot::Yes),
            }],
            result: None,
        });
        let c2 = c.push(2, vote);
        let bad = edit_text(
            &c2,
            &k.carol,
            "\"presence\":\"present\"",
            "\"presence\":\"absent\"",
        );
        add(
            "bad-field-vote-by-absent-member",
            ledger(&[l1, l2, &c1.line, &bad]),
            invalid(&[(4, BadField)]),
        );
        let checkpoint = edit(&c2, &k.carol, |e| {
            data(e).insert(
                "checkpoint".into(),
                json!({"origin": "example.org/board-log", "root": "ab".repeat(32), "size": 7}),
            );
        });
        add(
            "valid-vote-with-checkpoint",
            ledger(&[l1, l2, &c1.line, &checkpoint]),
            valid(),
        );
        let as_array = edit(&c2, &k.carol, |e| {
            data(e).insert(
                "checkpoint".into(),
                json!(["example.org/board-log", "ab".repeat(32), 7]),
            );
        });
        add(
            "bad-field-vote-checkpoint-as-array",
            ledger(&[l1, l2, &c1.line, &as_array]),
            invalid(&[(4, BadField)]),
        );
        // Spec §8.4: an agenda lists each item once; an item's concerns are unique and ascending.
        let mut c = Chain::new(&k.carol);
        let c1 = c.push(0, profile("Carol"));
        let item = |m: &str, concerns: Option<Vec<&str>>| AgendaItem {
            concerns: concerns.map(|v| v.into_iter().map(String::from).collect()),
            matter: Matter::parse(m).expect("a vector's matter is valid"),
            title: None,
        };
        let agenda = c.push(
            1,
            Data::Agenda(Agenda {
                items: vec![
                    item("board-2026-01/item-2", Some(vec!["Acme", "Globex"])),
                    item("board-2026-01/item-1", None),
                ],
                meeting: Matter::parse("board-2026-01").expect("a vector's matter is valid"),
                scheduled: None,
                title: None,
            }),
        );
        add(
            "valid-agenda-items-in-agenda-order",
            ledger(&[&c1.line, &agenda.line]),
            valid(),
        );
        let twice = edit_text(&agenda, &k.carol, "item-1", "item-2");
        add(
            "bad-field-agenda-item-twice",
            ledger(&[&c1.line, &twice]),
            invalid(&[(2, BadField)]),
        );
        let unsorted = edit_text(
            &agenda,
            &k.carol,
            "[\"Acme\",\"Globex\"]",
            "[\"Globex\",\"Acme\"]",
        );
        add(
            "bad-field-agenda-concerns-unsorted",
            ledger(&[&c1.line, &unsorted]),
            invalid(&[(2, BadField)]),
        );
        let no_items = edit(&agenda, &k.carol, |e| {
            data(e).insert("items".into(), json!([]));
        });
        add(
            "bad-field-agenda-without-items",
            ledger(&[&c1.line, &no_items]),
            invalid(&[(2, BadField)]),
        );
    }
    {
        // A key rotation must name a new key.
        let c = Chain {
            member: a.member,
            key: &k.alice,
            next: 2,
            head: a1.id,
        };
        let proof = k.alice.sign(&key_accept_message(
            &a.member,
            &k.alice.public(),
            &k.alice.public(),
            2,
        ));
        let rot = sign(
            &c.draft(
                1,
                Data::KeyRotation(KeyRotation {
                    new_key: k.alice.public(),
                    proof,
                }),
            ),
            &k.alice,
        );
        add(
            "bad-field-rotation-to-same-key",
            ledger(&[l1, &rot.line]),
            invalid(&[(2, BadField)]),
        );
    }

    // ---- Keys (spec §4.3).
    add(
        "bad-key",
        ledger(&[
            l1,
            &raw_key_line(&WEAK_KEY, Some(&lax_signature()), &k.mallory),
        ]),
        invalid(&[(2, BadKey)]),
    );
    add(
        "bad-key-non-canonical",
        ledger(&[l1, &raw_key_line(&NON_CANONICAL_KEY, None, &k.mallory)]),
        invalid(&[(2, BadKey)]),
    );
    add(
        "bad-key-not-a-point",
        ledger(&[l1, &raw_key_line(&NOT_A_POINT, None, &k.mallory)]),
        invalid(&[(2, BadKey)]),
    );
    add(
        "bad-key-rotation-to-weak-key",
        ledger(&[
            l1,
            &edit(&a2, &k.alice, |e| {
                e.insert("kind".into(), json!("key-rotation"));
                e.insert("data".into(), json!({"new_key": Hash32::from_bytes(WEAK_KEY).to_hex(), "proof": lax_signature()}));
            }),
        ]),
        invalid(&[(2, BadKey)]),
    );

    // ---- Signatures (spec §3, §4.3, §6.9).
    {
        // Signed over the body without the context string: domain separation must make it fail.
        let no_context = assemble(a2.body(), &k.alice.sign(a2.body().as_bytes()).to_base64());
        add(
            "bad-signature",
            ledger(&[l1, &no_context]),
            invalid(&[(2, BadSignature)]),
        );
        // A line whose signature fails ends its member's chain: the next line is not checked.
        add(
            "bad-signature-stops-chain",
            ledger(&[l1, &no_context, l3]),
            invalid(&[(2, BadSignature)]),
        );
    }
    add(
        "bad-signature-base64-unpadded",
        ledger(&[l1, &with_sig(&a2, |s| s.trim_end_matches('=').to_string())]),
        invalid(&[(2, BadSignature)]),
    );
    add(
        "bad-signature-base64-trailing-bits",
        ledger(&[
            l1,
            &with_sig(&a2, |s| {
                // The last data character carries 2 bits of the last byte and 4 unused bits: set one.
                const ALPHABET: &[u8] =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                let mut b = s.as_bytes().to_vec();
                let v = ALPHABET
                    .iter()
                    .position(|&c| c == b[85])
                    .expect("base64 character");
                b[85] = ALPHABET[v | 1];
                String::from_utf8(b).expect("ASCII")
            }),
        ]),
        invalid(&[(2, BadSignature)]),
    );
    // SIG of any other form than §3's is a bad signature on a well-formed line (spec §5.1 step 6):
    // the line is its member's, stops the chain, and the member's next line is unchecked.
    {
        let unpadded = with_sig(&a2, |s| s.trim_end_matches('=').to_string());
        add(
            "bad-signature-malformed-stops-chain",
            ledger(&[l1, &unpadded, &b1.line, l3, &b2.line]),
            invalid(&[(2, BadSignature)]),
        );
        // At a position already taken, a malformed SIG is still `bad-signature`, not a fork or a
        // duplicate, and the chain stops there: the same line validly signed, next, is unchecked
        // (else a `fork` or a `duplicate-entry`).
        let other = sign(&a.at(2, a1.id).draft(1, specific("Initech")), &k.alice);
        let other_unpadded = with_sig(&other, |s| s.trim_end_matches('=').to_string());
        add(
            "bad-signature-malformed-at-taken-position",
            ledger(&[l1, l2, &other_unpadded, &other.line]),
            invalid(&[(3, BadSignature)]),
        );
        add(
            "bad-signature-malformed-duplicate",
            ledger(&[l1, l2, &unpadded, l2]),
            invalid(&[(3, BadSignature)]),
        );
        // After the chain stopped, a line with a malformed SIG is unchecked like any other.
        let no_context = assemble(a2.body(), &k.alice.sign(a2.body().as_bytes()).to_base64());
        add(
            "bad-signature-stops-chain-malformed-after",
            ledger(&[l1, &no_context, &with_sig_text(&a3, "AAAA")]),
            invalid(&[(2, BadSignature)]),
        );
    }
    {
        // Shapes of SIG that are not §3's; each line is alice's seq 2, so her seq 3 on line 3 is
        // unchecked. The last two are written with more bytes than characters, so that a
        // reader that finds the body's end by assuming 88 bytes of SIG gets it wrong.
        let good = a2_sig.to_base64();
        let url_safe = if good.contains(['+', '/']) {
            good.replace('+', "-").replace('/', "_")
        } else {
            format!("-{}", &good[1..])
        };
        let mut long = a2_sig.to_bytes().to_vec();
        long.push(0);
        let shapes = [
            ("bad-signature-base64-url-safe", url_safe),
            // 88 characters with one `=`: 65 bytes.
            ("bad-signature-base64-65-bytes", B64.encode(&long)),
            ("bad-signature-base64-too-long", format!("{good}AAAA")),
            ("bad-signature-sig-empty", String::new()),
            // 88 characters, 89 bytes.
            ("bad-signature-sig-not-ascii", format!("{}é", &good[..87])),
            // 88 characters written as 90 bytes (`\\` and `\"`).
            ("bad-signature-sig-escapes", format!("{}\\\"", &good[..86])),
        ];
        for (name, sig) in shapes {
            assert_ne!(sig, good, "{name}");
            add(
                name,
                ledger(&[l1, &with_sig_text(&a2, &sig), l3]),
                invalid(&[(2, BadSignature)]),
            );
        }
    }
    add(
        "bad-signature-s-not-reduced",
        ledger(&[
            l1,
            &with_sig(&a2, |_| {
                // S + ℓ verifies under the lax equation but is not canonical: the malleated signature.
                let mut sig = a2_sig.to_bytes();
                add_le(&mut sig[32..], &ELL);
                B64.encode(sig)
            }),
        ]),
        invalid(&[(2, BadSignature)]),
    );
    add(
        "bad-signature-wrong-signer",
        ledger(&[
            l1,
            &with_sig(&a2, |_| {
                k.mallory
                    .sign(&signing_message(a2.body().as_bytes()))
                    .to_base64()
            }),
        ]),
        invalid(&[(2, BadSignature)]),
    );
    {
        // The proof names the wrong seq.
        let c = Chain {
            member: a.member,
            key: &k.alice,
            next: 2,
            head: a1.id,
        };
        let proof = k.alice2.sign(&key_accept_message(
            &a.member,
            &k.alice.public(),
            &k.alice2.public(),
            3,
        ));
        let rot = sign(
            &c.draft(
                1,
                Data::KeyRotation(KeyRotation {
                    new_key: k.alice2.public(),
                    proof,
                }),
            ),
            &k.alice,
        );
        add(
            "bad-signature-rotation-proof",
            ledger(&[l1, &rot.line]),
            invalid(&[(2, BadSignature)]),
        );
    }

    // ---- Chains (spec §5).
    {
        // A seq-1 entry for bob's member id signed with dave's key.
        let d = sign(
            &Draft {
                member: b.member,
                seq: 1,
                prev: Hash32::ZERO,
                time: t(0),
                data: profile("Bob"),
            },
            &k.dave,
        );
        add(
            "member-key-mismatch",
            ledger(&[l1, &d.line]),
            invalid(&[(2, MemberKeyMismatch)]),
        );
    }
    {
        let w = sign(
            &a.at(2, a1.id).draft(1, specific("Acme Networks")),
            &k.mallory,
        );
        add(
            "wrong-key",
            ledger(&[l1, &w.line]),
            invalid(&[(2, WrongKey)]),
        );
        // Mallory's seq 1 for alice: a second line for a taken position, under another key.
        let w1 = sign(
            &Draft {
                member: a.member,
                seq: 1,
                prev: Hash32::ZERO,
                time: t(0),
                data: profile("Not Ada"),
            },
            &k.mallory,
        );
        add(
            "wrong-key-impostor-seq-1",
            ledger(&[l1, &w1.line, l2]),
            invalid_other(2, WrongKey, 1),
        );
    }
    {
        let mut c = Chain::new(&k.alice);
        let e1 = c.push(0, profile("Ada Lovelace"));
        let e2 = c.rotate(&k.alice2, 1);
        let stale = sign(&c.draft(2, Data::Reaffirm(Reaffirm::default())), &k.alice);
        add(
            "wrong-key-after-rotation",
            ledger(&[&e1.line, &e2.line, &stale.line]),
            invalid(&[(3, WrongKey)]),
        );
    }
    {
        let bad = sign(
            &Draft {
                prev: b1.id,
                ..a.at(2, a1.id).draft(1, specific("Acme Networks"))
            },
            &k.alice,
        );
        add(
            "broken-link",
            ledger(&[l1, &b1.line, &bad.line]),
            invalid(&[(3, BrokenLink)]),
        );
        // A seq-1 entry must have an all-zero prev; the chain stops there.
        let mut c = Chain::new(&k.alice);
        c.head = b1.id;
        let e1 = c.push(0, profile("Ada Lovelace"));
        let e2 = c.push(1, specific("Acme Networks"));
        add(
            "broken-link-seq-1",
            ledger(&[&e1.line, &e2.line]),
            invalid(&[(1, BrokenLink)]),
        );
        // Past seq 1 an all-zero prev is a broken link too.
        let zero = sign(
            &Draft {
                prev: Hash32::ZERO,
                ..a.at(2, a1.id).draft(1, specific("Acme Networks"))
            },
            &k.alice,
        );
        add(
            "broken-link-zero-prev",
            ledger(&[l1, &zero.line]),
            invalid(&[(2, BrokenLink)]),
        );
    }
    add("seq-gap", ledger(&[l1, l3]), invalid(&[(2, SeqGap)]));
    add(
        "seq-gap-first-line",
        ledger(&[l1, &b2.line, l2]),
        invalid(&[(2, SeqGap)]),
    );
    // The chain stops at the gap: line 3 is not checked.
    add(
        "seq-gap-swapped-lines",
        ledger(&[l1, l3, l2]),
        invalid(&[(2, SeqGap)]),
    );
    // A line of bob's chain spliced into a file of alice's.
    add(
        "seq-gap-spliced-line",
        ledger(&[l1, l2, &b2.line, l3]),
        invalid(&[(3, SeqGap)]),
    );
    {
        let mut c = Chain::new(&k.alice);
        let e1 = c.push(5, profile("Ada Lovelace"));
        let e2 = c.push(4, specific("Acme Networks"));
        add(
            "time-regression",
            ledger(&[&e1.line, &e2.line]),
            invalid(&[(2, TimeRegression)]),
        );
    }
    {
        let nowhere = Hash32::with_context("coi-ledger/v1/entry-id", &[b"{}"]);
        let w = sign(
            &a.at(2, a1.id).draft(
                1,
                Data::Withdraw(Withdraw {
                    target: nowhere,
                    until: None,
                }),
            ),
            &k.alice,
        );
        add(
            "bad-reference",
            ledger(&[l1, &w.line]),
            invalid(&[(2, BadReference)]),
        );

        let mut c = Chain::new(&k.alice);
        let e1 = c.push(0, profile("Ada Lovelace"));
        let e2 = c.push(1, specific("Acme Networks"));
        let e3 = c.push(
            2,
            Data::Withdraw(Withdraw {
                target: e2.id,
                until: Some(date("2026-01-04")),
            }),
        );
        let amend = Data::Amend {
            target: e2.id,
            declaration: declaration("Acme Networks", Scope::Standing, &[]),
        };
        let e4 = c.push(3, amend);
        add(
            "bad-reference-withdrawn",
            ledger(&[&e1.line, &e2.line, &e3.line, &e4.line]),
            invalid(&[(4, BadReference)]),
        );

        let mut c = Chain::new(&k.alice);
        let e1 = c.push(0, profile("Ada Lovelace"));
        let e2 = c.push(1, specific("Acme Networks"));
        let e3 = c.push(
            2,
            Data::Amend {
                target: e2.id,
                declaration: declaration("Acme Networks", Scope::Standing, &[]),
            },
        );
        let e4 = c.push(
            3,
            Data::Retract(Retract {
                reason: "Declared in error".into(),
                target: e2.id,
            }),
        );
        add(
            "bad-reference-amended",
            ledger(&[&e1.line, &e2.line, &e3.line, &e4.line]),
            invalid(&[(4, BadReference)]),
        );

        let w = sign(&a.at(2, a1.id).draft(1, withdraw(&b2)), &k.alice);
        add(
            "bad-reference-other-member",
            ledger(&[&b1.line, &b2.line, l1, &w.line]),
            invalid(&[(4, BadReference)]),
        );

        let r = sign(
            &a.at(2, a1.id).draft(
                1,
                Data::Retract(Retract {
                    reason: "Not a declaration".into(),
                    target: a1.id,
                }),
            ),
            &k.alice,
        );
        add(
            "bad-reference-not-a-declaration",
            ledger(&[l1, &r.line]),
            invalid(&[(2, BadReference)]),
        );

        let d = sign(
            &a.at(3, a2.id)
                .draft(2, disclosure(&a2, &[k.carol.public().member_id()])),
            &k.alice,
        );
        add(
            "bad-reference-disclosure-unsealed",
            ledger(&[l1, l2, &d.line]),
            invalid(&[(3, BadReference)]),
        );

        // Spec §8.2: a determination is about another member's declaration.
        let own = sign(
            &a.at(3, a2.id).draft(
                2,
                Data::Determination(Determination {
                    declaration: a2.id,
                    matter: None,
                    member: a.member,
                    note: None,
                    outcome: Outcome::NoConflict,
                }),
            ),
            &k.alice,
        );
        add(
            "bad-reference-determination-own",
            ledger(&[l1, l2, &own.line]),
            invalid(&[(3, BadReference)]),
        );

        // Spec §8, §9: at most 200 heads; a head or a participation given as an array is not
        // the object the schema names (`bad-field`).
        let heads = |n: usize| -> Vec<Head> {
            let mut v: Vec<Head> = (0..n)
                .map(|i| Head {
                    id: Hash32::with_context(
                        "coi-ledger/v1/entry-id",
                        &[&(i as u64).to_be_bytes()],
                    ),
                    member: Hash32::with_context(
                        "coi-ledger/v1/member-id",
                        &[&(i as u64).to_be_bytes()],
                    ),
                    seq: 1,
                })
                .collect();
            v.sort_by_key(|h| h.member);
            v
        };
        let w200 = sign(
            &a.at(3, a2.id).draft(
                2,
                Data::Witness(Witness {
                    heads: Some(heads(200)),
                    ..Default::default()
                }),
            ),
            &k.alice,
        );
        add(
            "valid-witness-200-heads",
            ledger(&[l1, l2, &w200.line]),
            valid(),
        );
        let w201 = edit(&w200, &k.alice, |e| {
            let extra = serde_json::to_value(Head {
                id: Hash32::ZERO,
                member: Hash32::from_bytes([0xff; 32]),
                seq: 1,
            })
            .expect("a head encodes");
            data(e)["heads"].as_array_mut().expect("heads").push(extra);
        });
        add(
            "bad-field-witness-201-heads",
            ledger(&[l1, l2, &w201]),
            invalid(&[(3, BadField)]),
        );
        let w_array = edit(&w200, &k.alice, |e| {
            let h = &mut data(e)["heads"][0];
            let (id, member, seq) = (h["id"].clone(), h["member"].clone(), h["seq"].clone());
            *h = Value::Array(vec![id, member, seq]);
        });
        add(
            "bad-field-head-as-array",
            ledger(&[l1, l2, &w_array]),
            invalid(&[(3, BadField)]),
        );
    }
    {
        // Spec §13: a `log-key` entry binds an origin to the log's vkey, named by the origin.
        use coi_ledger::tlog::note::{CosignerKey, NoteKey};
        let origin = "example.org/board-log";
        let log = NoteKey::from_seed(origin, &[0x10; 32]).expect("a valid key name");
        let mut c = a.at(3, a2.id);
        let lk = c.push(
            2,
            Data::LogKey(LogKey {
                origin: origin.into(),
                vkey: log.vkey(),
            }),
        );
        add("valid-log-key", ledger(&[l1, l2, &lk.line]), valid());
        let other = NoteKey::from_seed("example.org/other-log", &[0x10; 32]).expect("name");
        let misnamed = edit(&lk, &k.alice, |e| {
            data(e).insert("vkey".into(), Value::String(other.vkey()));
        });
        add(
            "bad-field-log-key-named-otherwise",
            ledger(&[l1, l2, &misnamed]),
            invalid(&[(3, BadField)]),
        );
        let vkey = log.vkey();
        let mut parts: Vec<&str> = vkey.splitn(3, '+').collect();
        let bad_hash = "00000000";
        parts[1] = bad_hash;
        let wrong_hash = edit(&lk, &k.alice, |e| {
            data(e).insert("vkey".into(), Value::String(parts.join("+")));
        });
        add(
            "bad-field-log-key-hash",
            ledger(&[l1, l2, &wrong_hash]),
            invalid(&[(3, BadField)]),
        );
        let spaced = edit(&lk, &k.alice, |e| {
            data(e).insert(
                "origin".into(),
                Value::String("example.org/board log".into()),
            );
        });
        add(
            "bad-field-log-key-origin-with-space",
            ledger(&[l1, l2, &spaced]),
            invalid(&[(3, BadField)]),
        );

        // Spec §8.3: a witness entry carrying a cosignature/v1 of a checkpoint.
        let root = [0xab; 32];
        let text = format!("{origin}\n7\n{}\n", B64.encode(root));
        let cosigner = CosignerKey::from_seed("witness.example.org/alice", &[0x20; 32])
            .expect("a valid key name");
        let line = cosigner.cosign(&text, 1_780_000_000).expect("cosigns");
        let blob = line
            .rsplit(' ')
            .next()
            .expect("a signature line")
            .to_string();
        let cp = CheckpointRef {
            origin: origin.into(),
            root: Hash32::from_bytes(root),
            size: 7,
        };
        let w = a.at(3, a2.id).push(
            2,
            Data::Witness(Witness {
                checkpoint: Some(cp),
                cosignature: Some(blob),
                cosigner: Some(cosigner.vkey()),
                heads: None,
            }),
        );
        add(
            "valid-witness-cosigned-checkpoint",
            ledger(&[l1, l2, &w.line]),
            valid(),
        );
        let other_size = edit(&w, &k.alice, |e| {
            data(e)["checkpoint"]["size"] = json!(8);
        });
        add(
            "bad-field-witness-cosignature-of-another-checkpoint",
            ledger(&[l1, l2, &other_size]),
            invalid(&[(3, BadField)]),
        );
        let bare = edit(&w, &k.alice, |e| {
            data(e).remove("cosignature");
        });
        add(
            "bad-field-witness-checkpoint-without-cosignature",
            ledger(&[l1, l2, &bare]),
            invalid(&[(3, BadField)]),
        );
        let note_key = edit(&w, &k.alice, |e| {
            let as_note = NoteKey::from_seed("witness.example.org/alice", &[0x20; 32])
                .expect("name")
                .vkey();
            data(e).insert("cosigner".into(), Value::String(as_note));
        });
        add(
            "bad-field-witness-cosigner-is-a-note-key",
            ledger(&[l1, l2, &note_key]),
            invalid(&[(3, BadField)]),
        );
        let empty = edit(&w, &k.alice, |e| {
            *data(e) = Map::new();
        });
        add(
            "bad-field-witness-empty",
            ledger(&[l1, l2, &empty]),
            invalid(&[(3, BadField)]),
        );
    }
    add(
        "duplicate-entry",
        ledger(&[l1, l2, l1]),
        invalid_other(3, DuplicateEntry, 1),
    );
    {
        let other2 = sign(
            &a.at(2, a1.id).draft(
                1,
                Data::NoConflict(NoConflict {
                    matters: matters(&["board-2026-01/item-3"]),
                    scope: Scope::Specific,
                }),
            ),
            &k.alice,
        );
        add(
            "fork",
            ledger(&[l1, l2, &other2.line]),
            invalid_other(3, Fork, 2),
        );
        // A fork does not stop the chain: line 5 (seq 4) is checked and accepted.
        let a4 = a.push(
            3,
            Data::Reaffirm(Reaffirm {
                note: Some("Still current".into()),
            }),
        );
        add(
            "fork-chain-continues",
            ledger(&[l1, l2, l3, &other2.line, &a4.line]),
            invalid_other(4, Fork, 2),
        );
        let other1 = sign(
            &Draft {
                member: a.member,
                seq: 1,
                prev: Hash32::ZERO,
                time: t(0),
                data: profile("Ada King"),
            },
            &k.alice,
        );
        add(
            "fork-seq-1",
            ledger(&[l1, &other1.line]),
            invalid_other(2, Fork, 1),
        );
    }
    {
        // After a rotation at seq 2, a second seq 2 under the old key is a fork; under the new key it
        // is not the key the member had at seq 2.
        let mut c = Chain::new(&k.alice);
        let e1 = c.push(0, profile("Ada Lovelace"));
        let e2 = c.rotate(&k.alice2, 1);
        let e3 = c.push(2, Data::Reaffirm(Reaffirm::default()));
        let at2 = Chain {
            member: c.member,
            key: &k.alice,
            next: 2,
            head: e1.id,
        };
        let fork = sign(&at2.draft(1, specific("Acme Networks")), &k.alice);
        let new_key = sign(&at2.draft(1, specific("Acme Networks")), &k.alice2);
        add(
            "fork-across-rotation",
            ledger(&[&e1.line, &e2.line, &e3.line, &fork.line, &new_key.line]),
            Expect {
                valid: false,
                problems: vec![(4, Fork, Some(2)), (5, WrongKey, Some(2))],
                notices: vec![],
            },
        );
    }
    out
}

/// Three members interleaved, with every kind: alice and bob declare, carol chairs.
fn three_members(k: &Keys) -> Vec<u8> {
    const ITEM3: &str = "board-2026-01/item-3";
    const ITEM4: &str = "board-2026-01/item-4";
    let mut a = Chain::new(&k.alice);
    let mut b = Chain::new(&k.bob);
    let mut c = Chain::new(&k.carol);
    let mut lines = Vec::new();

    lines.push(a.push(
        0,
        Data::Profile(Profile {
            affiliation: Some("Example University".into()),
            capacity: Some("Trustee".into()),
            name: "Ada Lovelace-Ünal".into(),
        }),
    ));
    lines.push(b.push(
        1,
        Data::Profile(Profile {
            affiliation: None,
            capacity: Some("Treasurer".into()),
            name: "Bob \"Bobby\" O'Brien".into(),
        }),
    ));
    lines.push(c.push(
        2,
        Data::Profile(Profile {
            affiliation: Some("Example Society".into()),
            capacity: Some("Chair".into()),
            name: "Carol Chen (陈嘉)".into(),
        }),
    ));
    let consulting = Declaration {
        between: Between::PersonalProfessional,
        category: Category::Financial,
        counterparty: "Acme Networks Ltd".into(),
        matters: matters(&[ITEM3, ITEM4]),
        mitigation: Mitigation::Abstain,
        nature: Some(
            "Paid consulting on network planning; invoices filed under \"ACME\\2025\"".into(),
        ),
        relationship: Some(Relationship::Consulting),
        scope: Scope::Specific,
        sealed: None,
        since: Some(date("2025-03-01")),
        until: None,
        value: Some("1,001-15,000 USD".into()),
        whose: Whose::Own,
    };
    let a2 = a.push(3, Data::Declaration(consulting.clone()));
    lines.push(a2.clone());
    lines.push(b.push(
        4,
        Data::NoConflict(NoConflict {
            matters: matters(&[ITEM3, ITEM4]),
            scope: Scope::Specific,
        }),
    ));
    let foundation = Declaration {
        between: Between::ProfessionalProfessional,
        category: Category::OtherDuty,
        counterparty: "Example Foundation".into(),
        matters: None,
        mitigation: Mitigation::Recuse,
        nature: Some("A family member sits on the counterparty's board".into()),
        relationship: Some(Relationship::Fiduciary),
        scope: Scope::Standing,
        sealed: Some(
            [
                (
                    SealedField::Family,
                    commitment(0x5a, "family", "Grace Lovelace"),
                ),
                (
                    SealedField::Amount,
                    commitment(0x5b, "amount", "2,400 USD a year"),
                ),
            ]
            .into_iter()
            .collect(),
        ),
        since: Some(date("2024-06-01")),
        until: None,
        value: Some("1,001-15,000 USD".into()),
        whose: Whose::Family,
    };
    let a3 = a.push(5, Data::Declaration(foundation));
    lines.push(a3.clone());
    lines.push(b.push(
        6,
        Data::NoConflict(NoConflict {
            matters: None,
            scope: Scope::Standing,
        }),
    ));
    let amended = Declaration {
        mitigation: Mitigation::Recuse,
        value: Some("15,001-50,000 USD".into()),
        ..consulting
    };
    let a4 = a.push(
        7,
        Data::Amend {
            target: a2.id,
            declaration: amended,
        },
    );
    lines.push(a4.clone());

    let mut heads = vec![a.head(), b.head(), c.head()];
    heads.sort_by_key(|h| h.member);
    let ballot = |key: &SecretKey, presence: Presence, vote: Option<Ballot>| Participation {
        member: key.public().member_id(),
        presence,
        vote,
    };
    let mut participation = vec![
        ballot(&k.alice, Presence::Present, Some(Ballot::Recused)),
        ballot(&k.bob, Presence::Present, Some(Ballot::Yes)),
        ballot(&k.carol, Presence::Present, Some(Ballot::Yes)),
        ballot(&k.dave, Presence::Excused, None),
    ];
    participation.sort_by_key(|p| p.member);
    let agenda = c.push(
        8,
        Data::Agenda(Agenda {
            items: vec![
                AgendaItem {
                    concerns: Some(vec![
                        "Acme Networks Ltd".into(),
                        "Globex Corporation".into(),
                    ]),
                    matter: Matter::parse(ITEM3).expect("a vector's matter is valid"),
                    title: Some("Network upgrade contract".into()),
                },
                AgendaItem {
                    concerns: None,
                    matter: Matter::parse(ITEM4).expect("a vector's matter is valid"),
                    title: None,
                },
            ],
            meeting: Matter::parse("board-2026-01").expect("a vector's matter is valid"),
            scheduled: Some(t(8)),
            title: Some("Board meeting, January 2026".into()),
        }),
    );
    lines.push(agenda.clone());
    let vote = Vote {
        agenda: Some(agenda.id),
        checkpoint: None,
        continues: None,
        heads,
        held: t(8),
        matter: Matter::parse(ITEM3).expect("a vector's matter is valid"),
        motion: Some("Award the network upgrade contract to Acme Networks Ltd".into()),
        participation,
        result: Some(VoteResult::Carried),
    };
    lines.push(c.push(9, Data::Vote(vote)));
    // Same time as the vote: a member's times may be equal.
    lines.push(c.push(
        9,
        Data::Determination(Determination {
            declaration: a4.id,
            matter: Some(Matter::parse(ITEM3).expect("a vector's matter is valid")),
            member: a.member,
            note: Some("Recusal recorded in the minutes".into()),
            outcome: Outcome::Recuse,
        }),
    ));
    lines.push(a.push(10, disclosure(&a3, &[c.member])));
    let gift = Declaration {
        between: Between::PersonalProfessional,
        category: Category::Gift,
        counterparty: "Globex Corporation".into(),
        matters: None,
        mitigation: Mitigation::DiscloseOnly,
        nature: None,
        relationship: Some(Relationship::Gift),
        scope: Scope::Standing,
        sealed: None,
        since: None,
        until: None,
        value: Some("under 100 EUR".into()),
        whose: Whose::Own,
    };
    let b4 = b.push(11, Data::Declaration(gift));
    lines.push(b4.clone());
    lines.push(b.push(
        12,
        Data::Retract(Retract {
            reason: "Declared in error: the invitation was declined".into(),
            target: b4.id,
        }),
    ));
    lines.push(a.push(
        13,
        Data::Withdraw(Withdraw {
            target: a4.id,
            until: Some(date("2026-01-31")),
        }),
    ));
    lines.push(a.rotate(&k.alice2, 14));
    let advisory = Declaration {
        between: Between::ProfessionalProfessional,
        category: Category::Material,
        counterparty: "Initech".into(),
        matters: matters(&["board-2026-02/item-1"]),
        mitigation: Mitigation::DiscloseOnly,
        nature: None,
        relationship: Some(Relationship::AdvisoryBoard),
        scope: Scope::Specific,
        sealed: None,
        since: Some(date("2026-01-15")),
        until: Some(date("2026-12-31")),
        value: None,
        whose: Whose::Associate,
    };
    lines.push(a.push(15, Data::Declaration(advisory)));
    lines.push(a.push(16, Data::Reaffirm(Reaffirm::default())));
    lines.push(b.push(
        17,
        Data::Reaffirm(Reaffirm {
            note: Some("Annual re-affirmation 2026".into()),
        }),
    ));
    let mut heads = vec![a.head(), b.head()];
    heads.sort_by_key(|h| h.member);
    lines.push(c.push(
        18,
        Data::Witness(Witness {
            heads: Some(heads),
            ..Default::default()
        }),
    ));
    lines.push(c.push(
        19,
        Data::NoConflict(NoConflict {
            matters: matters(&["board-2026-02/item-1"]),
            scope: Scope::Specific,
        }),
    ));
    let text: Vec<&str> = lines.iter().map(|e| e.line.as_str()).collect();
    ledger(&text)
}

/// A witness by carol naming `heads` (sorted by member, as the schema wants).
fn witness_of(c: &mut Chain<'_>, time: i64, mut heads: Vec<Head>) -> Entry {
    heads.sort_by_key(|h| h.member);
    c.push(
        time,
        Data::Witness(Witness {
            heads: Some(heads),
            ..Default::default()
        }),
    )
}

/// Heads checked against the chains of one file (spec §5.4).
fn head_cases(k: &Keys) -> Vec<Case> {
    use ErrorClass::*;
    let mut out = Vec::new();
    let mut add = |name: &'static str, ledger: Vec<u8>, expect: Expect| {
        out.push(Case {
            name,
            ledger,
            expect,
        })
    };
    let mut a = Chain::new(&k.alice);
    let a1 = a.push(0, profile("Ada Lovelace"));
    let h1 = a.head();
    let a2 = a.push(1, specific("Acme Networks"));
    let h2 = a.head();
    let a3 = a.push(2, Data::Reaffirm(Reaffirm::default()));
    let h3 = a.head();
    let wrong = |h: &Head, id: EntryId| Head { id, ..h.clone() };
    let nobody = Head {
        id: Hash32::with_context("coi-ledger/v1/entry-id", &[b"elsewhere"]),
        member: k.dave.public().member_id(),
        seq: 4,
    };
    {
        // Heads that name the entries the file holds, before or after the witness's line, and a
        // member whose chain is not in the file at all (not judged).
        let mut b = Chain::new(&k.bob);
        let b1 = b.push(0, profile("Bob"));
        let mut c = Chain::new(&k.carol);
        let w = witness_of(&mut c, 3, vec![b.head(), h3.clone(), nobody.clone()]);
        add(
            "valid-heads-agree",
            ledger(&[&a1.line, &b1.line, &w.line, &a2.line, &a3.line]),
            valid(),
        );
    }
    {
        // The head names alice's seq 2 with the id of her seq 1: contradicted by line 2.
        let mut c = Chain::new(&k.carol);
        let w = witness_of(&mut c, 3, vec![wrong(&h2, a1.id)]);
        add(
            "bad-head-other-id",
            ledger(&[&a1.line, &a2.line, &w.line]),
            invalid_other(3, BadHead, 2),
        );
        // The same head before the file reaches alice's seq 2: judged at line 3, reported then.
        add(
            "bad-head-other-id-later-line",
            ledger(&[&a1.line, &w.line, &a2.line, &a3.line]),
            invalid_other(2, BadHead, 3),
        );
    }
    {
        // The file's chain for alice ends at seq 2; the head names seq 3: reported after the
        // last line, after the problems found on the way.
        let mut c = Chain::new(&k.carol);
        let w = witness_of(&mut c, 3, vec![h3.clone()]);
        let mut b = Chain::new(&k.bob);
        let b1 = b.push(0, profile("Bob"));
        let b1_again = edit_text(&b1, &k.bob, "\"Bob\"", "\"Robert\"");
        add(
            "bad-head-beyond-end",
            ledger(&[&a1.line, &w.line, &a2.line, &b1.line, &b1_again]),
            Expect {
                valid: false,
                problems: vec![(5, Fork, Some(4)), (2, BadHead, None)],
                notices: vec![],
            },
        );
        // Alice's chain stops at line 2 (a bad signature): a head beyond its end is not judged,
        // since the file is invalid anyway and her chain may go on elsewhere.
        let bad_a2 = with_sig(&a2, |_| k.mallory.sign(b"not this").to_base64());
        add(
            "bad-signature-then-head-beyond-end",
            ledger(&[&a1.line, &bad_a2, &w.line, &a3.line]),
            invalid(&[(2, BadSignature)]),
        );
    }
    {
        // A vote commits to heads the same way.
        let mut c = Chain::new(&k.carol);
        let mut heads = vec![wrong(&h1, a2.id)];
        heads.sort_by_key(|h| h.member);
        let vote = c.push(
            3,
            Data::Vote(Vote {
                agenda: None,
                checkpoint: None,
                continues: None,
                heads,
                held: t(3),
                matter: Matter::parse("board-2026-01/item-3").expect("a vector's matter is valid"),
                motion: None,
                participation: vec![Participation {
                    member: a.member,
                    presence: Presence::Present,
                    vote: Some(Ballot::Recused),
                }],
                result: Some(VoteResult::Carried),
            }),
        );
        add(
            "bad-head-in-vote",
            ledger(&[&a1.line, &a2.line, &vote.line]),
            invalid_other(3, BadHead, 1),
        );
    }
    out
}

/// Several files verified together (spec §5.3, §5.4).
fn set_cases(k: &Keys) -> Vec<SetCase> {
    let mut out = Vec::new();
    let mut add = |name: &'static str, files: Vec<Vec<u8>>, expect: &str| {
        out.push(SetCase {
            name,
            files,
            expect: expect.to_string(),
        })
    };
    let mut a = Chain::new(&k.alice);
    let a1 = a.push(0, profile("Ada Lovelace"));
    let base = a.at(2, a1.id);
    let a2 = a.push(1, specific("Acme Networks"));
    let h2 = a.head();
    let a3 = a.push(2, Data::Reaffirm(Reaffirm::default()));
    // Another seq 2 signed by alice's key: the other side of a fork.
    let mut other = base;
    let b2 = other.push(1, specific("Initech"));
    let b3 = other.push(2, Data::Reaffirm(Reaffirm::default()));
    add(
        "valid-set-one-chain-in-two-files",
        vec![ledger(&[&a1.line]), ledger(&[&a1.line, &a2.line, &a3.line])],
        "valid\n",
    );
    add(
        "fork-set-two-files",
        vec![
            ledger(&[&a1.line, &a2.line, &a3.line]),
            ledger(&[&a1.line, &b2.line, &b3.line]),
        ],
        "invalid\n2:2 fork 1:2\n",
    );
    {
        // File 1 holds the witness and alice's seq 1; file 2 carries her chain on.
        let mut c = Chain::new(&k.carol);
        let w = witness_of(&mut c, 3, vec![h2.clone()]);
        add(
            "valid-set-head-in-a-later-file",
            vec![ledger(&[&a1.line, &w.line]), ledger(&[&a1.line, &a2.line])],
            "valid\n",
        );
        // File 2 carries the other side of a fork: the head in file 1 is contradicted.
        add(
            "bad-head-set-contradicted-by-a-later-file",
            vec![ledger(&[&a1.line, &w.line]), ledger(&[&a1.line, &b2.line])],
            "invalid\n1:2 bad-head 2:2\n",
        );
        // No file reaches seq 2: reported after the last file.
        add(
            "bad-head-set-beyond-every-file",
            vec![ledger(&[&a1.line, &w.line]), ledger(&[&a1.line])],
            "invalid\n1:2 bad-head\n",
        );
    }
    out
}

/// An unknown kind's entry with `data`.
fn unknown(kind: &str, data: Value) -> Data {
    match data {
        Value::Object(data) => Data::Unknown {
            kind: kind.into(),
            data,
        },
        _ => panic!("unknown-kind data is an object"),
    }
}

/// `n` nested objects `{"a":{"a":…{}}}`.
fn nested(n: usize) -> Value {
    (0..n).fold(json!({}), |inner, _| json!({ "a": inner }))
}

/// The questions a second verifier found open in the spec (format v1), each answered by a
/// sentence of the spec and shown here by a case.
fn answer_cases(k: &Keys) -> Vec<Case> {
    use ErrorClass::*;
    let mut out = Vec::new();
    let mut add = |name: &'static str, ledger: Vec<u8>, expect: Expect| {
        out.push(Case {
            name,
            ledger,
            expect,
        })
    };
    let expect = |problems: &[(u64, ErrorClass, Option<u64>)], notices: &[u64]| Expect {
        valid: problems.is_empty(),
        problems: problems.to_vec(),
        notices: notices.iter().map(|&l| (l, "unknown-kind")).collect(),
    };
    let mut a = Chain::new(&k.alice);
    let a1 = a.push(0, profile("Ada Lovelace"));
    let a2 = a.push(1, specific("Acme Networks"));
    let a3 = a.push(2, Data::Reaffirm(Reaffirm::default()));
    let bad = |e: &Entry| with_sig(e, |_| k.mallory.sign(b"something else").to_base64());

    // §5.2: only an accepted entry of an unknown kind gets the notice; a duplicate, a fork or a
    // line of a stopped chain does not.
    {
        let mut c = a.at(2, a1.id);
        let u2 = c.push(1, unknown("travel-log", json!({"trips": 2})));
        let mut d = a.at(2, a1.id);
        let u2b = d.push(1, unknown("travel-log", json!({"trips": 3})));
        add(
            "duplicate-entry-unknown-kind",
            ledger(&[&a1.line, &u2.line, &u2.line]),
            expect(&[(3, DuplicateEntry, Some(2))], &[2]),
        );
        add(
            "fork-unknown-kind",
            ledger(&[&a1.line, &u2.line, &u2b.line]),
            expect(&[(3, Fork, Some(2))], &[2]),
        );
        let mut c = a.at(3, a2.id);
        let u3 = c.push(2, unknown("travel-log", json!({"trips": 2})));
        add(
            "bad-signature-then-unknown-kind",
            ledger(&[&a1.line, &bad(&a2), &u3.line]),
            expect(&[(2, BadSignature, None)], &[]),
        );
        add(
            "seq-gap-unknown-kind",
            ledger(&[&a1.line, &u3.line]),
            expect(&[(2, SeqGap, None)], &[]),
        );
    }

    // §5.1: the signature is checked before the chain rules; a line with a bad signature is
    // `bad-signature` whatever the rules would say, and later lines of its member are unchecked,
    // well-formed ones silently, others reported.
    {
        let broken = edit(&a2, &k.alice, |e| {
            e.insert("prev".into(), json!(Hash32::from_bytes([7; 32]).to_hex()));
        });
        let broken_unsigned = {
            let e = Entry::parse(&broken).expect("a well-formed line");
            with_sig(&e, |_| a2.sig.expect("signed").to_base64())
        };
        add(
            "bad-signature-and-broken-link",
            ledger(&[&a1.line, &broken_unsigned]),
            expect(&[(2, BadSignature, None)], &[]),
        );
        add(
            "bad-signature-and-seq-gap",
            ledger(&[&a1.line, &bad(&a3)]),
            expect(&[(2, BadSignature, None)], &[]),
        );
        add(
            "bad-signature-later-lines-unchecked",
            ledger(&[&a1.line, &bad(&a2), &bad(&a3), "{\"entry\":"]),
            expect(&[(2, BadSignature, None), (4, JsonSyntax, None)], &[]),
        );
    }

    // §5.2 rule 3: a line at a position already taken is compared with the chain's entry only.
    {
        let mut c = a.at(2, a1.id);
        let b2 = c.push(1, specific("Initech"));
        let imp = edit(&a2, &k.mallory, |e| {
            e.insert("key".into(), json!(k.mallory.public().to_hex()));
        });
        add(
            "fork-repeated",
            ledger(&[&a1.line, &a2.line, &b2.line, &b2.line, &a3.line]),
            expect(&[(3, Fork, Some(2)), (4, Fork, Some(2))], &[]),
        );
        add(
            "wrong-key-repeated",
            ledger(&[&a1.line, &a2.line, &imp, &imp]),
            expect(&[(3, WrongKey, Some(2)), (4, WrongKey, Some(2))], &[]),
        );
    }

    // §5.2 rule 1: at seq 1, member-key-mismatch, then broken-link, then bad-reference.
    {
        let target = Hash32::from_bytes([9; 32]);
        let first = |key: &SecretKey, prev: EntryId| -> String {
            let e = sign(
                &Draft {
                    member: k.alice.public().member_id(),
                    seq: 1,
                    prev,
                    time: t(0),
                    data: Data::Withdraw(Withdraw {
                        target,
                        until: None,
                    }),
                },
                key,
            );
            e.line
        };
        let junk = Hash32::from_bytes([8; 32]);
        add(
            "member-key-mismatch-before-broken-link",
            ledger(&[&first(&k.mallory, junk)]),
            expect(&[(1, MemberKeyMismatch, None)], &[]),
        );
        add(
            "broken-link-before-bad-reference",
            ledger(&[&first(&k.alice, junk)]),
            expect(&[(1, BrokenLink, None)], &[]),
        );
        add(
            "bad-reference-at-seq-1",
            ledger(&[&first(&k.alice, Hash32::ZERO)]),
            expect(&[(1, BadReference, None)], &[]),
        );
    }

    // §6.9: a proof not of SIG's form is bad-field (the line is not well-formed); "the current
    // key" new_key must differ from is the entry's own `key`.
    {
        let mut c = a.at(2, a1.id);
        let rot = c.rotate(&k.alice2, 1);
        let rot_proof = |f: &dyn Fn(&str) -> String| {
            edit(&rot, &k.alice, |e| {
                let d = data(e);
                let p = d["proof"].as_str().expect("a proof").to_string();
                d.insert("proof".into(), json!(f(&p)));
            })
        };
        add(
            "bad-field-rotation-proof-unpadded",
            ledger(&[&a1.line, &rot_proof(&|p| p.trim_end_matches('=').into())]),
            expect(&[(2, BadField, None)], &[]),
        );
        add(
            "bad-field-rotation-proof-url-safe",
            ledger(&[&a1.line, &rot_proof(&|p| format!("-{}", &p[1..]))]),
            expect(&[(2, BadField, None)], &[]),
        );
        // Mallory signs a rotation of alice's chain to alice's own key: new_key differs from the
        // entry's `key` (mallory's), so the line is well-formed; the chain says wrong-key.
        let proof = k.alice.sign(&key_accept_message(
            &a.member,
            &k.mallory.public(),
            &k.alice.public(),
            2,
        ));
        let to_own = sign(
            &a.at(2, a1.id).draft(
                1,
                Data::KeyRotation(KeyRotation {
                    new_key: k.alice.public(),
                    proof,
                }),
            ),
            &k.mallory,
        );
        add(
            "wrong-key-rotation-to-the-chains-key",
            ledger(&[&a1.line, &to_own.line]),
            expect(&[(2, WrongKey, None)], &[]),
        );
    }

    // §2: empty arrays are the schema's business; depth counts from the line's own object.
    {
        let empty = edit(&a2, &k.alice, |e| {
            data(e).insert("matters".into(), json!([]));
        });
        add(
            "bad-field-empty-array",
            ledger(&[&a1.line, &empty]),
            expect(&[(2, BadField, None)], &[]),
        );
        let mut c = a.at(2, a1.id);
        let u = c.push(1, unknown("travel-log", json!({"trips": []})));
        add(
            "valid-unknown-kind-empty-array",
            ledger(&[&a1.line, &u.line]),
            expect(&[], &[2]),
        );
        // data is at depth 3: five more objects reach depth 8, six reach 9.
        let mut c = a.at(2, a1.id);
        let deep8 = c.push(1, unknown("travel-log", nested(5)));
        add(
            "valid-unknown-kind-depth-8",
            ledger(&[&a1.line, &deep8.line]),
            expect(&[], &[2]),
        );
        let deep9 = edit(&deep8, &k.alice, |e| {
            e.insert("data".into(), nested(6));
        });
        add(
            "json-syntax-depth-9",
            ledger(&[&a1.line, &deep9]),
            expect(&[(2, JsonSyntax, None)], &[]),
        );
    }

    // §4.2, §6.2: no leap second, no year 0000; noncharacters are text like any other.
    {
        let at = |time: &str| {
            edit(&a2, &k.alice, |e| {
                e.insert("time".into(), json!(time));
            })
        };
        add(
            "bad-field-time-leap-second",
            ledger(&[&a1.line, &at("2026-06-30T23:59:60Z")]),
            expect(&[(2, BadField, None)], &[]),
        );
        add(
            "bad-field-time-year-0",
            ledger(&[&at("0000-01-05T09:00:00Z")]),
            expect(&[(1, BadField, None)], &[]),
        );
        let since0 = edit(&a2, &k.alice, |e| {
            data(e).insert("since".into(), json!("0000-01-01"));
        });
        add(
            "bad-field-date-year-0",
            ledger(&[&a1.line, &since0]),
            expect(&[(2, BadField, None)], &[]),
        );
        let mut c = Chain::new(&k.alice);
        let named = c.push(0, profile("Ada \u{FDD0} Lovelace \u{FFFF}"));
        add("valid-noncharacters", ledger(&[&named.line]), valid());
    }

    // §7: ciphertext is 4 to 49,152 characters of canonical padded base64 of at least one byte.
    {
        let mut c = a.at(2, a1.id);
        let s2 = c.push(1, sealed("Example Foundation"));
        let d3 = c.push(2, disclosure(&s2, &[k.carol.public().member_id()]));
        let with_ct = |ct: String| {
            edit(&d3, &k.alice, |e| {
                data(e).insert("ciphertext".into(), json!(ct));
            })
        };
        add(
            "bad-field-ciphertext-empty",
            ledger(&[&a1.line, &s2.line, &with_ct(String::new())]),
            expect(&[(3, BadField, None)], &[]),
        );
        add(
            "bad-field-ciphertext-trailing-bits",
            ledger(&[&a1.line, &s2.line, &with_ct("QR==".into())]),
            expect(&[(3, BadField, None)], &[]),
        );
        add(
            "bad-field-ciphertext-too-long",
            ledger(&[&a1.line, &s2.line, &with_ct("QUJD".repeat(12_289))]),
            expect(&[(3, BadField, None)], &[]),
        );
        add(
            "valid-ciphertext-limits",
            ledger(&[&a1.line, &s2.line, &with_ct("QQ==".into())]),
            valid(),
        );
        let mut c = a.at(2, a1.id);
        c.push(1, sealed("Example Foundation"));
        let long = c.push(
            2,
            Data::Disclosure(Disclosure {
                ciphertext: "QUJD".repeat(12_288),
                recipients: vec![k.carol.public().member_id()],
                target: s2.id,
            }),
        );
        add(
            "valid-ciphertext-longest",
            ledger(&[&a1.line, &s2.line, &long.line]),
            valid(),
        );
    }

    // §8.1: a present participant's vote is optional (a secret ballot records presence alone);
    // §6.7: withdraw.until is information and is not compared with the target's dates.
    {
        let mut c = Chain::new(&k.carol);
        let v = c.push(
            3,
            Data::Vote(Vote {
                agenda: None,
                checkpoint: None,
                continues: None,
                heads: vec![Head {
                    id: a2.id,
                    member: a.member,
                    seq: 2,
                }],
                held: t(3),
                matter: Matter::parse("board-2026-01/item-3").expect("a vector's matter is valid"),
                motion: None,
                participation: vec![Participation {
                    member: a.member,
                    presence: Presence::Present,
                    vote: None,
                }],
                result: None,
            }),
        );
        add(
            "valid-vote-present-without-ballot",
            ledger(&[&a1.line, &a2.line, &v.line]),
            valid(),
        );
        let mut d = a.at(2, a1.id);
        let mut since = declaration("Acme Networks", Scope::Standing, &[]);
        since.since = Some(date("2025-03-01"));
        let s2 = d.push(1, Data::Declaration(since));
        let w = d.push(
            2,
            Data::Withdraw(Withdraw {
                target: s2.id,
                until: Some(date("1999-01-01")),
            }),
        );
        add(
            "valid-withdraw-until-before-since",
            ledger(&[&a1.line, &s2.line, &w.line]),
            valid(),
        );
    }
    out
}

// ---- Check vectors (spec §8.5): files of a meeting, what to check, the findings expected.

/// One check case: the files given to `coi check --ledger`, its `.check` text (what to judge)
/// and its `.expect` text.
pub struct CheckCase {
    /// The case's name.
    pub name: &'static str,
    /// The files, in order.
    pub files: Vec<Vec<u8>>,
    /// The `.check` text.
    pub check: String,
    /// The `.expect` text.
    pub expect: String,
}

/// Every file of `schema/vectors/check/`, by file name, in a fixed order.
pub fn check_files() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for case in check_cases(&Keys::new()) {
        for (i, f) in case.files.into_iter().enumerate() {
            out.push((format!("{}.{}.ledger", case.name, i + 1), f));
        }
        out.push((format!("{}.check", case.name), case.check.into_bytes()));
        out.push((format!("{}.expect", case.name), case.expect.into_bytes()));
    }
    out
}

const ITEM1: &str = "board-2026-12/item-1";
const ITEM2: &str = "board-2026-12/item-2";

/// How a meeting case departs from the plain one.
#[derive(Default, Clone, Copy)]
struct Twist {
    /// Eve declares on item 2 after the vote.
    late: bool,
    /// Bob, who proposed to recuse, votes yes.
    bob_yes: bool,
    /// Ada, who proposed to abstain, votes yes.
    ada_yes: bool,
    /// Bob's published chain stops before the head the vote committed to.
    rollback: bool,
    /// Bob's published chain has another entry at the committed head.
    fork: bool,
    /// The vote lists no head of Dave.
    no_head_dave: bool,
    /// Dave's chain is not among the files.
    no_chain_dave: bool,
    /// The vote is a year and more after the declarations; Ada reaffirmed shortly before it,
    /// Dave's standing nil return is as old as it is.
    stale: bool,
    /// The chair determines a waiver on Bob's declaration before the vote (and Bob votes yes).
    waiver: bool,
    /// Carol declares a conflict on item 2, then says she has none.
    contradiction: bool,
    /// Ada's standing declaration is with a counterparty the item does not concern.
    other_counterparty: bool,
    /// The vote names an agenda entry the files do not hold.
    missing_agenda: bool,
    /// The vote is recorded in two entries, the second continuing the first.
    continued: bool,
    /// ...and the continuation disagrees with the first entry (another `held`).
    bad_continuation: bool,
    /// No vote is recorded: the register as it stands.
    no_vote: bool,
    /// The chair records a determination on item 2 naming Dave's profile.
    bad_determination: bool,
}

/// The meeting: the chair's agenda (item 2 concerns `acme corp`); Ada's standing declaration with
/// Acme Corp (abstain), Bob's on item 2 (recuse), Carol's no-conflict on item 2, Dave silent
/// (with a standing nil return when `stale`), Eve silent; the vote with Ada abstaining and Bob
/// recused. Files: the chair's chain, then every member's.
fn meeting(k: &Keys, tw: Twist) -> (Vec<Vec<u8>>, String) {
    let far = if tw.stale { 60_000 } else { 0 };
    let mut chair = Chain::new(&k.chair);
    let mut chair_lines = vec![chair.push(0, profile("Chair")).line];
    let agenda = chair.push(
        1,
        Data::Agenda(Agenda {
            items: vec![
                AgendaItem {
                    concerns: None,
                    matter: Matter::parse(ITEM1).expect("a vector's matter is valid"),
                    title: Some("Minutes of the last meeting".into()),
                },
                AgendaItem {
                    concerns: Some(vec!["acme corp".into()]),
                    matter: Matter::parse(ITEM2).expect("a vector's matter is valid"),
                    title: Some("Network contract".into()),
                },
            ],
            meeting: Matter::parse("board-2026-12").expect("a vector's matter is valid"),
            scheduled: None,
            title: Some("Board, December 2026".into()),
        }),
    );
    chair_lines.push(agenda.line.clone());
    let mut member_lines: Vec<String> = Vec::new();
    let mut heads = Vec::new();

    let mut ada = Chain::new(&k.alice);
    member_lines.push(ada.push(0, profile("Ada")).line);
    let mut standing = declaration(
        if tw.other_counterparty {
            "Globex"
        } else {
            "Acme Corp"
        },
        Scope::Standing,
        &[],
    );
    standing.mitigation = Mitigation::Abstain;
    member_lines.push(ada.push(2, Data::Declaration(standing)).line);
    if tw.stale {
        member_lines.push(ada.push(far - 10, Data::Reaffirm(Reaffirm::default())).line);
    }
    heads.push(ada.head());

    let mut bob = Chain::new(&k.bob);
    let bob1 = bob.push(0, profile("Bob"));
    member_lines.push(bob1.line.clone());
    let mut on_item = declaration("Acme Corp", Scope::Specific, &[ITEM2]);
    on_item.mitigation = Mitigation::Recuse;
    let bob_decl = bob.push(2, Data::Declaration(on_item));
    let bob_head = bob.head();
    heads.push(bob_head.clone());
    if tw.fork {
        let other = bob.at(2, bob1.id).push(
            2,
            Data::NoConflict(NoConflict {
                matters: matters(&[ITEM2]),
                scope: Scope::Specific,
            }),
        );
        member_lines.push(other.line);
    } else if !tw.rollback {
        member_lines.push(bob_decl.line.clone());
    }

    let mut carol = Chain::new(&k.carol);
    member_lines.push(carol.push(0, profile("Carol")).line);
    if tw.contradiction {
        let mut d = declaration("Acme Corp", Scope::Specific, &[ITEM2]);
        d.mitigation = Mitigation::DiscloseOnly;
        member_lines.push(carol.push(2, Data::Declaration(d)).line);
    }
    member_lines.push(
        carol
            .push(
                2,
                Data::NoConflict(NoConflict {
                    matters: matters(&[ITEM2]),
                    scope: Scope::Specific,
                }),
            )
            .line,
    );
    heads.push(carol.head());

    let mut dave = Chain::new(&k.dave);
    let dave1 = dave.push(0, profile("Dave"));
    let mut dave_lines = vec![dave1.line.clone()];
    if tw.stale {
        dave_lines.push(
            dave.push(
                1,
                Data::NoConflict(NoConflict {
                    matters: None,
                    scope: Scope::Standing,
                }),
            )
            .line,
        );
    }
    if !tw.no_chain_dave {
        member_lines.extend(dave_lines);
    }
    if !tw.no_head_dave {
        heads.push(dave.head());
    }

    let mut eve = Chain::new(&k.eve);
    member_lines.push(eve.push(0, profile("Eve")).line);
    heads.push(eve.head());

    if tw.waiver {
        chair_lines.push(
            chair
                .push(
                    3,
                    Data::Determination(Determination {
                        declaration: bob_decl.id,
                        matter: Matter::parse(ITEM2).ok(),
                        member: bob.member,
                        note: Some("The contract is the member's employer's competitor's".into()),
                        outcome: Outcome::Waiver,
                    }),
                )
                .line,
        );
    }
    if tw.bad_determination {
        chair_lines.push(
            chair
                .push(
                    3,
                    Data::Determination(Determination {
                        declaration: dave1.id,
                        matter: Matter::parse(ITEM2).ok(),
                        member: dave.member,
                        note: None,
                        outcome: Outcome::Recuse,
                    }),
                )
                .line,
        );
    }
    let ballot = |key: &SecretKey, vote: Ballot| Participation {
        member: key.public().member_id(),
        presence: Presence::Present,
        vote: Some(vote),
    };
    let mut participation = vec![
        ballot(
            &k.alice,
            if tw.ada_yes {
                Ballot::Yes
            } else {
                Ballot::Abstain
            },
        ),
        ballot(
            &k.bob,
            if tw.bob_yes || tw.waiver {
                Ballot::Yes
            } else {
                Ballot::Recused
            },
        ),
        ballot(&k.carol, Ballot::Yes),
        ballot(&k.dave, Ballot::Yes),
        ballot(&k.eve, Ballot::No),
    ];
    participation.sort_by_key(|p| p.member);
    heads.sort_by_key(|h| h.member);
    let vote = |participation: Vec<Participation>, heads: Vec<Head>, continues, held| Vote {
        agenda: Some(if tw.missing_agenda {
            Hash32::from_bytes([0x77; 32])
        } else {
            agenda.id
        }),
        checkpoint: None,
        continues,
        heads,
        held: t(held),
        matter: Matter::parse(ITEM2).expect("a vector's matter is valid"),
        motion: Some("Award the network contract to Acme Corp".into()),
        participation,
        result: Some(VoteResult::Carried),
    };
    if !tw.no_vote {
        if tw.continued || tw.bad_continuation {
            let second: Vec<Participation> = participation.split_off(3);
            let members: Vec<MemberId> = second.iter().map(|p| p.member).collect();
            let (h2, h1): (Vec<Head>, Vec<Head>) =
                heads.into_iter().partition(|h| members.contains(&h.member));
            let first = chair.push(far + 4, Data::Vote(vote(participation, h1, None, far + 3)));
            chair_lines.push(first.line.clone());
            let held = if tw.bad_continuation {
                far + 2
            } else {
                far + 3
            };
            chair_lines.push(
                chair
                    .push(far + 4, Data::Vote(vote(second, h2, Some(first.id), held)))
                    .line,
            );
        } else {
            chair_lines.push(
                chair
                    .push(
                        far + 4,
                        Data::Vote(vote(participation, heads, None, far + 3)),
                    )
                    .line,
            );
        }
    }
    if tw.late {
        member_lines.push(
            eve.push(
                5,
                Data::Declaration(declaration("Acme Corp", Scope::Specific, &[ITEM2])),
            )
            .line,
        );
    }
    let now = t(far + 3);
    let check = format!("matter {ITEM2}\nnow {}\n", now.as_str());
    let a: Vec<&str> = chair_lines.iter().map(String::as_str).collect();
    let b: Vec<&str> = member_lines.iter().map(String::as_str).collect();
    (vec![ledger(&a), ledger(&b)], check)
}

fn check_cases(k: &Keys) -> Vec<CheckCase> {
    let m = |key: &SecretKey| key.public().member_id().to_hex();
    let (ada, bob, carol, dave, eve, chair) = (
        m(&k.alice),
        m(&k.bob),
        m(&k.carol),
        m(&k.dave),
        m(&k.eve),
        m(&k.chair),
    );
    // The statuses of the plain meeting.
    let plain = |over: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = [
            (ada.clone(), "conflict"),
            (bob.clone(), "conflict"),
            (carol.clone(), "no-conflict"),
            (dave.clone(), "silent"),
            (eve.clone(), "silent"),
        ]
        .into_iter()
        .map(|(a, b)| {
            let s = over
                .iter()
                .find(|(who, _)| *who == a)
                .map_or(b, |(_, s)| *s);
            (a, s.to_string())
        })
        .collect();
        v.sort();
        v
    };
    let expect = |vote: bool, statuses: Vec<(String, String)>, findings: &[(&str, &str)]| {
        let mut out = String::new();
        out.push_str(if vote {
            "judgement vote\n"
        } else {
            "judgement none\n"
        });
        for (who, status) in statuses {
            out.push_str(&format!("participant {who} {status}\n"));
        }
        let mut f: Vec<(String, String)> = findings
            .iter()
            .map(|(c, w)| (w.to_string(), c.to_string()))
            .collect();
        f.sort();
        for (who, class) in f {
            out.push_str(&format!("finding {class} {who}\n"));
        }
        out
    };
    let mut out = Vec::new();
    let mut add = |name: &'static str, tw: Twist, expect: String| {
        let (files, check) = meeting(k, tw);
        out.push(CheckCase {
            name,
            files,
            check,
            expect,
        });
    };
    add(
        "check-valid-meeting",
        Twist::default(),
        expect(true, plain(&[]), &[]),
    );
    add(
        "check-late",
        Twist {
            late: true,
            ..Twist::default()
        },
        expect(true, plain(&[(&eve, "late")]), &[("late", &eve)]),
    );
    add(
        "check-voted-despite-recuse",
        Twist {
            bob_yes: true,
            ..Twist::default()
        },
        expect(true, plain(&[]), &[("voted-despite-recuse", &bob)]),
    );
    add(
        "check-voted-despite-abstain",
        Twist {
            ada_yes: true,
            ..Twist::default()
        },
        expect(true, plain(&[]), &[("voted-despite-abstain", &ada)]),
    );
    add(
        "check-rollback",
        Twist {
            rollback: true,
            ..Twist::default()
        },
        expect(true, plain(&[(&bob, "silent")]), &[("rollback", &bob)]),
    );
    add(
        "check-fork",
        Twist {
            fork: true,
            ..Twist::default()
        },
        expect(true, plain(&[(&bob, "no-conflict")]), &[("fork", &bob)]),
    );
    add(
        "check-no-head",
        Twist {
            no_head_dave: true,
            ..Twist::default()
        },
        expect(true, plain(&[]), &[("no-head", &dave)]),
    );
    add(
        "check-missing-chain",
        Twist {
            no_chain_dave: true,
            ..Twist::default()
        },
        expect(true, plain(&[]), &[("missing-chain", &dave)]),
    );
    add(
        "check-stale-nil-return",
        Twist {
            stale: true,
            ..Twist::default()
        },
        expect(true, plain(&[(&dave, "nil-return")]), &[("stale", &dave)]),
    );
    add(
        "check-waiver-allows-the-vote",
        Twist {
            waiver: true,
            ..Twist::default()
        },
        expect(true, plain(&[]), &[]),
    );
    add(
        "check-contradiction",
        Twist {
            contradiction: true,
            ..Twist::default()
        },
        expect(
            true,
            plain(&[(&carol, "conflict")]),
            &[("contradiction", &carol)],
        ),
    );
    add(
        "check-standing-not-concerned",
        Twist {
            other_counterparty: true,
            ..Twist::default()
        },
        expect(true, plain(&[(&ada, "silent")]), &[]),
    );
    add(
        "check-missing-agenda",
        Twist {
            missing_agenda: true,
            ..Twist::default()
        },
        expect(true, plain(&[(&ada, "silent")]), &[("missing-agenda", "-")]),
    );
    add(
        "check-continuation",
        Twist {
            continued: true,
            ..Twist::default()
        },
        expect(true, plain(&[]), &[]),
    );
    {
        // The continuation's participants are not counted, so they are not judged.
        let mut statuses = plain(&[]);
        let mut ps = vec![
            ada.clone(),
            bob.clone(),
            carol.clone(),
            dave.clone(),
            eve.clone(),
        ];
        ps.sort();
        let kept: Vec<String> = ps.into_iter().take(3).collect();
        statuses.retain(|(w, _)| kept.contains(w));
        add(
            "check-bad-continuation",
            Twist {
                bad_continuation: true,
                ..Twist::default()
            },
            expect(true, statuses, &[("bad-continuation", "-")]),
        );
    }
    {
        let mut statuses = plain(&[]);
        statuses.push((chair.clone(), "silent".into()));
        statuses.sort();
        add(
            "check-no-vote",
            Twist {
                no_vote: true,
                ..Twist::default()
            },
            expect(false, statuses, &[]),
        );
    }
    add(
        "check-bad-determination",
        Twist {
            bad_determination: true,
            ..Twist::default()
        },
        expect(true, plain(&[]), &[("bad-determination", &dave)]),
    );
    out
}
