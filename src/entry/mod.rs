//! Entries: the exact bytes that are hashed and signed, ids, and the one canonical line form
//! (spec §3, §4). The kinds' data is in `data`, the value types in `values`.
//!
//! Everything here is pure: values in, values out.

mod data;
mod values;
pub(crate) use values::is_canonical_base64;

use serde_json::{Map, Value};

pub use data::{
    Agenda, AgendaItem, CheckpointRef, Data, Declaration, Determination, Disclosure, EncryptionKey,
    Head, KeyRotation, Kind, LogKey, NoConflict, Participation, Profile, Reaffirm, Retract, Unseal,
    Vote, Withdraw, Witness, MAX_BAND, MAX_CIPHERTEXT, MAX_CONCERNS, MAX_HEADS, MAX_ITEMS,
    MAX_MATTERS, MAX_NAME, MAX_ORIGIN, MAX_RECIPIENTS, MAX_TEXT,
};
pub(crate) use values::token_enum;
pub use values::{
    text, Ballot, Between, Category, Date, EntryId, Matter, Mitigation, Outcome, Presence,
    Relationship, Scope, SealedField, Timestamp, VoteResult, Whose, MAX_MATTER_LEN,
};

use crate::canon;
use crate::error::{bad_field, ErrorClass, FormatError};
use crate::hash::{Hash32, CTX_ENTRY_ID, CTX_ENTRY_SIG};
use crate::keys::{MemberId, PublicKey, SecretKey, Signature, SIGNATURE_B64_LEN};

/// The format version this crate reads and writes.
pub const FORMAT_VERSION: u64 = 1;
/// Longest line, LF excluded (spec §9).
pub const MAX_LINE_LEN: usize = 65_535;
const LINE_PREFIX: &str = "{\"entry\":";
const SIG_INFIX: &str = ",\"sig\":\"";
const LINE_SUFFIX: &str = "\"}";
/// The frame around SIG's JSON string (quotes included), whatever SIG holds.
const SIG_KEY: &str = ",\"sig\":";
const LINE_END: &str = "}";

/// A verified-syntax entry: the envelope fields, its data, id and signature, and its line.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The entry id (spec §4.3).
    pub id: EntryId,
    /// The member id.
    pub member: MemberId,
    /// The key that signed it.
    pub key: PublicKey,
    /// Position in the member's chain, from 1.
    pub seq: u64,
    /// Id of the member's previous entry, or zeros at seq 1.
    pub prev: EntryId,
    /// Self-asserted time.
    pub time: Timestamp,
    /// Content.
    pub data: Data,
    /// The signature, or `None` when SIG is not of spec §3's form (88 characters of padded
    /// standard base64 encoding 64 bytes). Such a line is still well-formed: it belongs to its
    /// member, and its signature check fails with `bad-signature` (spec §5.1 step 6).
    pub sig: Option<Signature>,
    /// The canonical line, without LF.
    pub line: String,
    /// Where the body ends in `line`: SIG's length varies when it is not of §3's form.
    body_end: usize,
}

/// What a new entry says, before it is placed in a chain and signed.
#[derive(Clone, Debug)]
pub struct Draft {
    /// The member id.
    pub member: MemberId,
    /// Position in the chain.
    pub seq: u64,
    /// Previous entry's id (zeros at seq 1).
    pub prev: EntryId,
    /// Time.
    pub time: Timestamp,
    /// Content.
    pub data: Data,
}

impl Draft {
    /// The canonical body B (spec §4.2) for this draft signed by `key`.
    pub fn body(&self, key: &PublicKey) -> Result<String, FormatError> {
        self.data.validate()?;
        let mut obj = Map::new();
        obj.insert("data".into(), self.data.to_value());
        obj.insert("key".into(), Value::String(key.to_hex()));
        obj.insert("kind".into(), Value::String(self.data.kind().to_string()));
        obj.insert("member".into(), Value::String(self.member.to_hex()));
        obj.insert("prev".into(), Value::String(self.prev.to_hex()));
        obj.insert("seq".into(), Value::from(self.seq));
        obj.insert("time".into(), Value::String(self.time.as_str().to_string()));
        obj.insert("v".into(), Value::from(FORMAT_VERSION));
        Ok(canon::encode(&Value::Object(obj)))
    }

    /// Signs the draft, producing the entry and its line.
    pub fn sign(&self, secret: &SecretKey) -> Result<Entry, FormatError> {
        let key = secret.public();
        let body = self.body(&key)?;
        let sig = secret.sign(&signing_message(body.as_bytes()));
        let line = format!(
            "{LINE_PREFIX}{body}{SIG_INFIX}{}{LINE_SUFFIX}",
            sig.to_base64()
        );
        if line.len() > MAX_LINE_LEN {
            return Err(FormatError::new(
                ErrorClass::LineTooLong,
                format!(
                    "the entry would be {} bytes, more than {MAX_LINE_LEN}",
                    line.len()
                ),
            ));
        }
        Ok(Entry {
            id: entry_id(body.as_bytes()),
            member: self.member,
            key,
            seq: self.seq,
            prev: self.prev,
            time: self.time,
            data: self.data.clone(),
            sig: Some(sig),
            line,
            body_end: LINE_PREFIX.len() + body.len(),
        })
    }
}

/// The id of the entry with body `body` (spec §4.3).
pub fn entry_id(body: &[u8]) -> EntryId {
    Hash32::with_context(CTX_ENTRY_ID, &[body])
}

/// The message signed for body `body` (spec §4.3).
pub fn signing_message(body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(CTX_ENTRY_SIG.len() + 1 + body.len());
    write_signing_message(&mut m, body);
    m
}

/// Replaces the content of `m` with [`signing_message`]`(body)`.
fn write_signing_message(m: &mut Vec<u8>, body: &[u8]) {
    m.clear();
    m.extend_from_slice(CTX_ENTRY_SIG.as_bytes());
    m.push(0);
    m.extend_from_slice(body);
}

impl Entry {
    /// Parses one line (without its LF): canonical form, envelope, data. Does not check the signature.
    pub fn parse(line: &str) -> Result<Entry, FormatError> {
        if line.len() <= MAX_LINE_LEN {
            if let Some(e) = Entry::parse_fast(line) {
                // Debug builds (and so every test) check that the fast path agrees with the full one.
                #[cfg(debug_assertions)]
                Entry::assert_same_as_full(line, &e);
                return Ok(e);
            }
        }
        Entry::parse_full(line)
    }

    /// The fast path of [`Entry::parse`] for a well-formed line: the envelope is taken from its
    /// fixed canonical layout and `data` is decoded straight from its text, with no intermediate
    /// JSON tree. `Some` only when every check of [`Entry::parse_full`] passes, with the same
    /// result; `None` for anything else (the full path then names the fault).
    fn parse_fast(line: &str) -> Option<Entry> {
        let p = canon::split_entry_line(line)?;
        let member = Hash32::from_bytes(p.member);
        let prev = Hash32::from_bytes(p.prev);
        let time = Timestamp::parse(p.time).ok()?;
        if p.seq < 1 {
            return None;
        }
        let data = Data::from_canonical_text(p.kind, p.data)?;
        let key = crate::keycache::public_key_from_bytes(&p.key).ok()?;
        if let Data::KeyRotation(k) = &data {
            if k.new_key == key {
                return None;
            }
        }
        // The fast layout's SIG is 88 characters written as themselves; one that does not decode
        // is still the entry's (spec §5.1 step 6), as in the full path.
        let sig = Signature::from_base64(p.sig).ok();
        let body_end = line.len() - SIG_INFIX.len() - p.sig.len() - LINE_SUFFIX.len();
        let body = line.get(LINE_PREFIX.len()..body_end)?;
        Some(Entry {
            id: entry_id(body.as_bytes()),
            member,
            key,
            seq: p.seq,
            prev,
            time,
            data,
            sig,
            line: line.to_string(),
            body_end,
        })
    }

    #[cfg(debug_assertions)]
    fn assert_same_as_full(line: &str, fast: &Entry) {
        match Entry::parse_full(line) {
            Ok(full) => assert!(
                full.id == fast.id
                    && full.member == fast.member
                    && full.key == fast.key
                    && full.seq == fast.seq
                    && full.prev == fast.prev
                    && full.time == fast.time
                    && full.data == fast.data
                    && full.sig == fast.sig
                    && full.line == fast.line
                    && full.body_end == fast.body_end,
                "Entry::parse_fast disagrees with Entry::parse_full on {line:?}"
            ),
            Err(e) => panic!("Entry::parse_fast accepted a line that Entry::parse_full refuses ({e:?}): {line:?}"),
        }
    }

    /// [`Entry::parse`] with every check spelled out: the reference, and the path that names
    /// the fault of a line the fast path does not take.
    fn parse_full(line: &str) -> Result<Entry, FormatError> {
        if line.len() > MAX_LINE_LEN {
            return Err(FormatError::new(
                ErrorClass::LineTooLong,
                format!("line is {} bytes, more than {MAX_LINE_LEN}", line.len()),
            ));
        }
        let value = canon::parse(line)?;
        let Value::Object(mut top) = value else {
            return Err(bad_field(
                "a line must be an object {\"entry\":...,\"sig\":...}",
            ));
        };
        // Version first (spec §4.2): `entry.v` is looked at before anything else about the line,
        // its other keys included; nothing else about a line of another version is interpreted.
        let Some(Value::Object(entry)) = top.get("entry") else {
            return Err(bad_field("a line must have an `entry` object"));
        };
        match entry.get("v") {
            Some(Value::Number(n)) if n.as_u64() == Some(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(FormatError::new(
                    ErrorClass::UnsupportedVersion,
                    format!(
                        "format version {} is not supported (this coi reads version 1)",
                        crate::text::escape(&canon::encode(v))
                    ),
                ))
            }
            None => return Err(bad_field("entry: missing `v`")),
        }
        if top.len() != 2 || !top.contains_key("sig") {
            return Err(bad_field(
                "a line must have exactly the keys `entry` and `sig`",
            ));
        }
        let sig_text = match top.remove("sig") {
            Some(Value::String(s)) => s,
            _ => return Err(bad_field("`sig` must be a string")),
        };
        let Some(Value::Object(mut e)) = top.remove("entry") else {
            return Err(bad_field("`entry` must be an object"));
        };
        const KEYS: [&str; 8] = ["data", "key", "kind", "member", "prev", "seq", "time", "v"];
        if e.len() != KEYS.len() || !KEYS.iter().all(|k| e.contains_key(*k)) {
            let extra: Vec<&str> = e
                .keys()
                .map(String::as_str)
                .filter(|k| !KEYS.contains(k))
                .collect();
            let missing: Vec<&str> = KEYS
                .iter()
                .copied()
                .filter(|k| !e.contains_key(*k))
                .collect();
            return Err(bad_field(format!(
                "entry keys: missing [{}], unexpected [{}]",
                missing.join(", "),
                extra
                    .iter()
                    .map(|k| crate::text::escape(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let str_field = |e: &mut Map<String, Value>, k: &str| -> Result<String, FormatError> {
            match e.remove(k) {
                Some(Value::String(s)) => Ok(s),
                _ => Err(bad_field(format!("entry: `{k}` must be a string"))),
            }
        };
        let kind = str_field(&mut e, "kind")?;
        let member = Hash32::from_hex(&str_field(&mut e, "member")?)
            .ok_or_else(|| bad_field("entry: `member` must be 64 lowercase hex characters"))?;
        let prev = Hash32::from_hex(&str_field(&mut e, "prev")?)
            .ok_or_else(|| bad_field("entry: `prev` must be 64 lowercase hex characters"))?;
        let key_hex = str_field(&mut e, "key")?;
        let time = Timestamp::parse(&str_field(&mut e, "time")?)
            .map_err(|m| bad_field(format!("entry: {m}")))?;
        let seq = match e.remove("seq") {
            Some(Value::Number(n)) => n
                .as_u64()
                .filter(|&s| s >= 1)
                .ok_or_else(|| bad_field("entry: `seq` must be an integer from 1"))?,
            _ => return Err(bad_field("entry: `seq` must be an integer")),
        };
        // `prev` is checked against the chain (spec §5 rules 1 and 2), where a broken link stops
        // the member's chain; here it only has to be well-formed.
        let data = Data::from_value(&kind, e.remove("data").unwrap_or(Value::Null))?;
        let key = crate::keycache::public_key_from_hex(&key_hex)?;
        if let Data::KeyRotation(k) = &data {
            // Checked with the envelope, not with the signatures: a malformed line is attributed
            // to no member (spec §5).
            if k.new_key == key {
                return Err(bad_field("key-rotation: new_key equals the current key"));
            }
        }
        // SIG's form is part of the signature check (spec §5.1 step 6), not of the line's: a
        // line whose SIG is any other string is well-formed and belongs to its member.
        let sig = Signature::from_base64(&sig_text).ok();
        // The body is the bytes of the entry object as they stand in the line. The canonical check
        // above guarantees the line is exactly `{"entry":` BODY `,"sig":` SIG `}`, with SIG the
        // canonical encoding of `sig_text`, of any length when it is not of §3's form. The body
        // may hold any text, `"sig":` included, so its end is found from the line's end by SIG's
        // length, never by searching.
        let tail = format!(
            "{SIG_KEY}{}{LINE_END}",
            canon::encode(&Value::String(sig_text))
        );
        let body = line
            .strip_prefix(LINE_PREFIX)
            .and_then(|rest| rest.strip_suffix(tail.as_str()))
            .ok_or_else(|| bad_field("line is not {\"entry\":...,\"sig\":...}"))?;
        let body_end = LINE_PREFIX.len() + body.len();
        Ok(Entry {
            id: entry_id(body.as_bytes()),
            member,
            key,
            seq,
            prev,
            time,
            data,
            sig,
            line: line.to_string(),
            body_end,
        })
    }

    /// The body B: the bytes of the entry object within the line (spec §4.2).
    pub fn body(&self) -> &str {
        &self.line[LINE_PREFIX.len()..self.body_end]
    }

    /// Checks the signature with strict Ed25519 rules under the entry's own key.
    pub fn verify_signature(&self) -> Result<(), FormatError> {
        thread_local! {
            // The message buffer, reused: this runs for every line verified.
            static MESSAGE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let Some(sig) = &self.sig else {
            return Err(FormatError::new(
                ErrorClass::BadSignature,
                format!("sig is not {SIGNATURE_B64_LEN} characters of padded standard base64 encoding 64 bytes (spec §3)"),
            ));
        };
        let body = self.body().as_bytes();
        let ok = MESSAGE.with(|m| match m.try_borrow_mut() {
            Ok(mut m) => {
                write_signing_message(&mut m, body);
                self.key.verify_strict(&m, sig)
            }
            Err(_) => self.key.verify_strict(&signing_message(body), sig),
        });
        if ok {
            Ok(())
        } else {
            Err(FormatError::new(
                ErrorClass::BadSignature,
                "signature does not verify (strict Ed25519) with the entry's key",
            ))
        }
    }

    /// Checks the entry's signature and, for a key rotation, the new key's proof (spec §6.9).
    pub fn verify_signatures(&self) -> Result<(), FormatError> {
        self.verify_signature()?;
        if let Data::KeyRotation(k) = &self.data {
            let new = k.new_key;
            if !new.verify_strict(
                &crate::keys::key_accept_message(&self.member, &self.key, &new, self.seq),
                &k.proof,
            ) {
                return Err(FormatError::new(
                    ErrorClass::BadSignature,
                    "key-rotation proof does not verify with the new key",
                ));
            }
            if new == self.key {
                return Err(bad_field("key-rotation: new_key equals the current key"));
            }
        }
        Ok(())
    }

    /// Parses a line and checks its signatures: everything that can be checked about one line alone.
    pub fn parse_verified(line: &str) -> Result<Entry, FormatError> {
        let e = Entry::parse(line)?;
        e.verify_signatures()?;
        Ok(e)
    }

    /// The kind string.
    pub fn kind(&self) -> &str {
        self.data.kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_decl() -> Declaration {
        Declaration {
            between: Between::PersonalProfessional,
            category: Category::Financial,
            counterparty: "Acme Networks".into(),
            matters: Some(vec![Matter::parse("board-2026-12/item-4").unwrap()]),
            mitigation: Mitigation::Abstain,
            nature: Some("Paid consulting, \"quoted\" \\ text".into()),
            relationship: Some(Relationship::Consulting),
            scope: Scope::Specific,
            sealed: None,
            since: Some(Date::parse("2026-01-01").unwrap()),
            until: None,
            value: Some("1,001-15,000 USD".into()),
            whose: Whose::Own,
        }
    }

    #[test]
    fn sign_then_parse_round_trips() {
        let sk = SecretKey::from_seed(&[7; 32]);
        let member = sk.public().member_id();
        let draft = Draft {
            member,
            seq: 1,
            prev: Hash32::ZERO,
            time: Timestamp::parse("2026-11-27T10:00:00Z").unwrap(),
            data: Data::Declaration(sample_decl()),
        };
        let e = draft.sign(&sk).unwrap();
        let back = Entry::parse_verified(&e.line).unwrap();
        assert_eq!(back.id, e.id);
        assert_eq!(back.data, e.data);
        assert_eq!(back.line, e.line);
        assert!(e.line.starts_with("{\"entry\":{\"data\":{\"between\""));
    }

    /// A line whose SIG is any string but §3's form still parses, with no signature, and its body
    /// is exactly the entry object's bytes, however SIG is written (spec §3, §4.2, §5.1 step 6).
    #[test]
    fn body_is_the_entry_object_whatever_the_sig() {
        let sk = SecretKey::from_seed(&[9; 32]);
        // The body holds `,"sig":"` itself (escaped), so searching for it would cut it short.
        let e = Draft {
            member: sk.public().member_id(),
            seq: 1,
            prev: Hash32::ZERO,
            time: Timestamp::parse("2026-11-27T10:00:00Z").unwrap(),
            data: Data::Profile(Profile {
                affiliation: None,
                capacity: None,
                name: "Eve \",\"sig\":\"x".into(),
            }),
        }
        .sign(&sk)
        .unwrap();
        let good = e.sig.unwrap().to_base64();
        let url_safe = good.replace('+', "-").replace('/', "_");
        assert_ne!(url_safe, good, "the signature has a + or a /");
        let sigs = [
            String::new(),
            good.trim_end_matches('=').to_string(),
            url_safe,
            format!("{}A=", &good[..86]),
            format!("{good}AAAA"),
            format!("{}é", &good[..87]),
            format!("{}\"\\", &good[..86]),
            "\",\"sig\":\"".to_string(),
        ];
        for sig in sigs {
            assert_ne!(sig, good);
            let line = format!(
                "{LINE_PREFIX}{}{SIG_KEY}{}{LINE_END}",
                e.body(),
                canon::encode(&Value::String(sig.clone())),
            );
            let back = Entry::parse(&line).unwrap_or_else(|err| panic!("{sig:?}: {err:?}"));
            assert_eq!(back.body(), e.body(), "{sig:?}");
            assert_eq!(back.id, e.id, "{sig:?}");
            assert!(back.sig.is_none(), "{sig:?}");
            assert_eq!(back.line, line);
            let err = back.verify_signatures().unwrap_err();
            assert_eq!(err.class, ErrorClass::BadSignature, "{sig:?}");
            assert!(err.message.contains("spec §3"), "{}", err.message);
        }
        let back = Entry::parse(&e.line).unwrap();
        assert_eq!((back.body(), back.sig), (e.body(), e.sig));
    }

    #[test]
    fn amend_round_trips_with_target() {
        let sk = SecretKey::from_seed(&[8; 32]);
        let member = sk.public().member_id();
        let data = Data::Amend {
            target: Hash32::from_bytes([3; 32]),
            declaration: sample_decl(),
        };
        let e = Draft {
            member,
            seq: 2,
            prev: Hash32::from_bytes([1; 32]),
            time: Timestamp::now(),
            data,
        }
        .sign(&sk)
        .unwrap();
        let back = Entry::parse_verified(&e.line).unwrap();
        assert_eq!(back.data, e.data);
    }
}
