//! The kinds of entry and their data (spec §6, §7, §8): one struct per kind, [`Data`] over them,
//! decoding from the `data` object and the rules that types alone do not capture.

use std::collections::BTreeMap;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};

use super::values::{
    is_canonical_base64, opt_text, text, token_enum, Ballot, Between, Category, Date, EntryId,
    Matter, Mitigation, Outcome, Presence, Relationship, Scope, SealedField, Timestamp, VoteResult,
    Whose,
};
use crate::error::{bad_field, FormatError};
use crate::hash::Hash32;
use crate::keys::{MemberId, PublicKey, Signature};

/// Most matters in one list.
pub const MAX_MATTERS: usize = 64;
/// Most heads, participants or recipients in one list.
pub const MAX_HEADS: usize = 200;
/// Most recipients of a disclosure.
pub const MAX_RECIPIENTS: usize = 64;
/// Longest disclosure ciphertext (base64 characters).
pub const MAX_CIPHERTEXT: usize = 49_152;
/// Longest name-like text.
pub const MAX_NAME: usize = 200;
/// Longest free text.
pub const MAX_TEXT: usize = 2000;
/// Longest value band.
pub const MAX_BAND: usize = 100;
/// Most items of one agenda entry.
pub const MAX_ITEMS: usize = 64;
/// Most counterparties one agenda item concerns.
pub const MAX_CONCERNS: usize = 8;
/// Longest checkpoint origin.
pub const MAX_ORIGIN: usize = 256;

/// `profile` data (spec §6.3).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affiliation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<String>,
    pub name: String,
}

/// `declaration` data, and the declaration part of `amend` (spec §6.4).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Declaration {
    pub between: Between,
    pub category: Category,
    pub counterparty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matters: Option<Vec<Matter>>,
    pub mitigation: Mitigation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<Relationship>,
    pub scope: Scope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<BTreeMap<SealedField, Hash32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub whose: Whose,
}

/// `no-conflict` data (spec §6.5).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct NoConflict {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matters: Option<Vec<Matter>>,
    pub scope: Scope,
}

/// `withdraw` data (spec §6.7).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Withdraw {
    pub target: EntryId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
}

/// `retract` data (spec §6.7).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Retract {
    pub reason: String,
    pub target: EntryId,
}

/// `reaffirm` data (spec §6.8).
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Reaffirm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `key-rotation` data (spec §6.9), checked: written as 64 lowercase hex characters and a
/// base64 signature.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(try_from = "KeyRotationText", into = "KeyRotationText")]
pub struct KeyRotation {
    /// The key that signs the member's entries from the next seq on.
    pub new_key: PublicKey,
    /// The new key's signature of [`key_accept_message`](crate::key_accept_message).
    pub proof: Signature,
}

/// `key-rotation` data as written, before its fields are checked.
#[derive(Serialize, Deserialize)]
#[serde(rename = "KeyRotation", deny_unknown_fields)]
struct KeyRotationText {
    new_key: String,
    proof: String,
}

impl KeyRotationText {
    /// Checks the fields with the spec's classes: `bad-key` for a weak or non-canonical
    /// `new_key`, `bad-field` for one that is not hex and for a malformed `proof`.
    fn check(self) -> Result<KeyRotation, FormatError> {
        let new_key = PublicKey::from_hex(&self.new_key)?;
        let proof = Signature::from_base64(&self.proof)
            .map_err(|e| bad_field(format!("proof: {}", e.message)))?;
        Ok(KeyRotation { new_key, proof })
    }
}

impl TryFrom<KeyRotationText> for KeyRotation {
    type Error = FormatError;
    fn try_from(text: KeyRotationText) -> Result<Self, FormatError> {
        text.check()
    }
}

impl From<KeyRotation> for KeyRotationText {
    fn from(k: KeyRotation) -> Self {
        KeyRotationText {
            new_key: k.new_key.to_hex(),
            proof: k.proof.to_base64(),
        }
    }
}

/// `disclosure` data (spec §7).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Disclosure {
    pub ciphertext: String,
    pub recipients: Vec<MemberId>,
    pub target: EntryId,
}

/// `encryption-key` data (spec §7.1): the age recipient to encrypt disclosures to.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct EncryptionKey {
    pub recipient: String,
}

/// `unseal` data (spec §7.3): restricted fields of the member's own declaration made public.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Unseal {
    pub fields: BTreeMap<SealedField, crate::seal::Opening>,
    pub target: EntryId,
}

/// A chain head (spec §8).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[allow(missing_docs)]
pub struct Head {
    pub id: EntryId,
    pub member: MemberId,
    pub seq: u64,
}

/// One member's participation in a vote (spec §8.1).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[allow(missing_docs)]
pub struct Participation {
    pub member: MemberId,
    pub presence: Presence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote: Option<Ballot>,
}

/// Decodes `T` from a JSON object only. A derived struct deserializer also takes a JSON array
/// (its fields in order), which the spec does not allow (`bad-field`): this visitor offers serde
/// nothing but `visit_map`.
fn object_only<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    struct ObjectOnly<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for ObjectOnly<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_map(ObjectOnly(std::marker::PhantomData))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeadFields {
    id: EntryId,
    member: MemberId,
    seq: u64,
}

impl<'de> Deserialize<'de> for Head {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let HeadFields { id, member, seq } = object_only(d)?;
        Ok(Head { id, member, seq })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParticipationFields {
    member: MemberId,
    presence: Presence,
    #[serde(default)]
    vote: Option<Ballot>,
}

impl<'de> Deserialize<'de> for Participation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let ParticipationFields {
            member,
            presence,
            vote,
        } = object_only(d)?;
        Ok(Participation {
            member,
            presence,
            vote,
        })
    }
}

/// A commitment to a checkpoint of a body's log (spec §8.1 `checkpoint`): its origin, size and
/// root hash.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[allow(missing_docs)]
pub struct CheckpointRef {
    pub origin: String,
    pub root: Hash32,
    pub size: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointRefFields {
    origin: String,
    root: Hash32,
    size: u64,
}

impl<'de> Deserialize<'de> for CheckpointRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let CheckpointRefFields { origin, root, size } = object_only(d)?;
        Ok(CheckpointRef { origin, root, size })
    }
}

/// `vote` data (spec §8.1).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Vote {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agenda: Option<EntryId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<CheckpointRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues: Option<EntryId>,
    pub heads: Vec<Head>,
    pub held: Timestamp,
    pub matter: Matter,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motion: Option<String>,
    pub participation: Vec<Participation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<VoteResult>,
}

/// `determination` data (spec §8.2).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Determination {
    pub declaration: EntryId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matter: Option<Matter>,
    pub member: MemberId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub outcome: Outcome,
}

/// One item of an agenda (spec §8.4).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[allow(missing_docs)]
pub struct AgendaItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concerns: Option<Vec<String>>,
    pub matter: Matter,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgendaItemFields {
    #[serde(default)]
    concerns: Option<Vec<String>>,
    matter: Matter,
    #[serde(default)]
    title: Option<String>,
}

impl<'de> Deserialize<'de> for AgendaItem {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let AgendaItemFields {
            concerns,
            matter,
            title,
        } = object_only(d)?;
        Ok(AgendaItem {
            concerns,
            matter,
            title,
        })
    }
}

impl AgendaItem {
    /// Whether the item concerns `counterparty` (spec §8.4): one of its `concerns` equals it,
    /// compared ASCII-case-insensitively.
    pub fn concerns(&self, counterparty: &str) -> bool {
        self.concerns
            .iter()
            .flatten()
            .any(|c| c.eq_ignore_ascii_case(counterparty))
    }
}

/// `agenda` data (spec §8.4).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Agenda {
    pub items: Vec<AgendaItem>,
    pub meeting: Matter,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Agenda {
    /// The item for `matter`, if the agenda lists it.
    pub fn item(&self, matter: &Matter) -> Option<&AgendaItem> {
        self.items.iter().find(|i| &i.matter == matter)
    }
}

/// `witness` data (spec §8.3): chain heads the signer saw, a checkpoint of a body's log it
/// cosigned, or both.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Witness {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<CheckpointRef>,
    /// The C2SP cosignature/v1 signature (base64 of key id, timestamp and signature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cosignature: Option<String>,
    /// The cosigner's verifier key (C2SP vkey, type 0x04).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cosigner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heads: Option<Vec<Head>>,
}

impl Witness {
    /// The heads the witness lists (none for a checkpoint-only witness).
    pub fn heads(&self) -> &[Head] {
        self.heads.as_deref().unwrap_or(&[])
    }
}

/// `log-key` data (spec §13): the member announces the key that signs a body log's
/// checkpoints.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct LogKey {
    pub origin: String,
    /// The log's verifier key (C2SP vkey, type 0x01), named `origin`.
    pub vkey: String,
}

token_enum!(
    /// A kind of entry that format version 1 defines (spec §6.1), in the spec's order: the one
    /// list of the kinds' names. Any other name of the kind syntax is unknown ([`Data::Unknown`]).
    Kind {
        /** `profile` (§6.3). */ Profile = "profile",
        /** `declaration` (§6.4). */ Declaration = "declaration",
        /** `no-conflict` (§6.5). */ NoConflict = "no-conflict",
        /** `amend` (§6.6). */ Amend = "amend",
        /** `withdraw` (§6.7). */ Withdraw = "withdraw",
        /** `retract` (§6.7). */ Retract = "retract",
        /** `reaffirm` (§6.8). */ Reaffirm = "reaffirm",
        /** `key-rotation` (§6.9). */ KeyRotation = "key-rotation",
        /** `disclosure` (§7.2). */ Disclosure = "disclosure",
        /** `encryption-key` (§7.1). */ EncryptionKey = "encryption-key",
        /** `unseal` (§7.3). */ Unseal = "unseal",
        /** `vote` (§8.1). */ Vote = "vote",
        /** `determination` (§8.2). */ Determination = "determination",
        /** `witness` (§8.3). */ Witness = "witness",
        /** `agenda` (§8.4). */ Agenda = "agenda",
        /** `log-key` (§13). */ LogKey = "log-key",
    }
);

/// The content of an entry, by kind (spec §6).
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Data {
    /// `profile`.
    Profile(Profile),
    /// `declaration`.
    Declaration(Declaration),
    /// `no-conflict`.
    NoConflict(NoConflict),
    /// `amend`: the target and the complete new version.
    Amend {
        /// The live declaration replaced.
        target: EntryId,
        /// The new version.
        declaration: Declaration,
    },
    /// `withdraw`.
    Withdraw(Withdraw),
    /// `retract`.
    Retract(Retract),
    /// `reaffirm`.
    Reaffirm(Reaffirm),
    /// `key-rotation`.
    KeyRotation(KeyRotation),
    /// `disclosure`.
    Disclosure(Disclosure),
    /// `encryption-key`.
    EncryptionKey(EncryptionKey),
    /// `unseal`.
    Unseal(Unseal),
    /// `vote`.
    Vote(Vote),
    /// `determination`.
    Determination(Determination),
    /// `witness`.
    Witness(Witness),
    /// `agenda`.
    Agenda(Agenda),
    /// `log-key`.
    LogKey(LogKey),
    /// A kind this version does not define (spec §6.1): carried, not interpreted.
    Unknown {
        /// The kind.
        kind: String,
        /// The data object, uninterpreted.
        data: Map<String, Value>,
    },
}

impl Data {
    /// The kind string: a [`Kind`]'s name, or the name of an unknown kind as written.
    pub fn kind(&self) -> &str {
        match self.which_kind() {
            Ok(kind) => kind.as_str(),
            Err(unknown) => unknown,
        }
    }

    /// The kind, if format version 1 defines it (`None` for [`Data::Unknown`]).
    pub fn known_kind(&self) -> Option<Kind> {
        self.which_kind().ok()
    }

    /// The defined kind, or the name of the unknown one.
    fn which_kind(&self) -> Result<Kind, &str> {
        Ok(match self {
            Data::Profile(_) => Kind::Profile,
            Data::Declaration(_) => Kind::Declaration,
            Data::NoConflict(_) => Kind::NoConflict,
            Data::Amend { .. } => Kind::Amend,
            Data::Withdraw(_) => Kind::Withdraw,
            Data::Retract(_) => Kind::Retract,
            Data::Reaffirm(_) => Kind::Reaffirm,
            Data::KeyRotation(_) => Kind::KeyRotation,
            Data::Disclosure(_) => Kind::Disclosure,
            Data::EncryptionKey(_) => Kind::EncryptionKey,
            Data::Unseal(_) => Kind::Unseal,
            Data::Vote(_) => Kind::Vote,
            Data::Determination(_) => Kind::Determination,
            Data::Witness(_) => Kind::Witness,
            Data::Agenda(_) => Kind::Agenda,
            Data::LogKey(_) => Kind::LogKey,
            Data::Unknown { kind, .. } => return Err(kind),
        })
    }

    /// The id this entry's data targets within the member's own chain (amend, withdraw, retract).
    pub fn own_target(&self) -> Option<&EntryId> {
        match self {
            Data::Amend { target, .. } => Some(target),
            Data::Withdraw(w) => Some(&w.target),
            Data::Retract(r) => Some(&r.target),
            _ => None,
        }
    }

    /// The declaration content if this entry is a declaration or an amendment.
    pub fn declaration(&self) -> Option<&Declaration> {
        match self {
            Data::Declaration(d) | Data::Amend { declaration: d, .. } => Some(d),
            _ => None,
        }
    }

    /// The matters this entry names (declarations, amendments, no-conflict, votes, determinations,
    /// an agenda's items and its meeting).
    pub fn matters(&self) -> Vec<&Matter> {
        match self {
            Data::Declaration(d) | Data::Amend { declaration: d, .. } => {
                d.matters.iter().flatten().collect()
            }
            Data::NoConflict(n) => n.matters.iter().flatten().collect(),
            Data::Vote(v) => vec![&v.matter],
            Data::Determination(d) => d.matter.iter().collect(),
            Data::Agenda(a) => {
                let mut v: Vec<&Matter> = a.items.iter().map(|i| &i.matter).collect();
                v.push(&a.meeting);
                v.sort();
                v.dedup();
                v
            }
            _ => vec![],
        }
    }

    /// The data object as it stands in the entry.
    pub(super) fn to_value(&self) -> Value {
        fn v<T: Serialize>(t: &T) -> Value {
            // Serialising these plain data types to a Value cannot fail.
            serde_json::to_value(t).unwrap_or(Value::Null)
        }
        match self {
            Data::Profile(x) => v(x),
            Data::Declaration(x) => v(x),
            Data::NoConflict(x) => v(x),
            Data::Amend {
                target,
                declaration,
            } => {
                let mut m = v(declaration);
                if let Value::Object(o) = &mut m {
                    o.insert("target".into(), Value::String(target.to_hex()));
                }
                m
            }
            Data::Withdraw(x) => v(x),
            Data::Retract(x) => v(x),
            Data::Reaffirm(x) => v(x),
            Data::KeyRotation(x) => v(x),
            Data::Disclosure(x) => v(x),
            Data::EncryptionKey(x) => v(x),
            Data::Unseal(x) => v(x),
            Data::Vote(x) => v(x),
            Data::Determination(x) => v(x),
            Data::Witness(x) => v(x),
            Data::Agenda(x) => v(x),
            Data::LogKey(x) => v(x),
            Data::Unknown { data, .. } => Value::Object(data.clone()),
        }
    }

    /// [`Data::from_value`] for `text`, the canonical JSON text of an object, decoding the usual
    /// kinds straight from the text. `Some` only when `from_value` accepts the value, with the same
    /// result (debug builds check this in [`Entry::parse`](super::Entry::parse)); `None` for any
    /// fault.
    pub(super) fn from_canonical_text(kind: &str, text: &str) -> Option<Data> {
        fn de<'a, T: Deserialize<'a>>(text: &'a str) -> Option<T> {
            serde_json::from_str(text).ok()
        }
        // A derived struct would also accept an array; `from_value` wants an object.
        if !text.starts_with('{') {
            return None;
        }
        let d = match Kind::from_name(kind) {
            Some(Kind::Profile) => Data::Profile(de(text)?),
            Some(Kind::Declaration) => Data::Declaration(de(text)?),
            Some(Kind::NoConflict) => Data::NoConflict(de(text)?),
            Some(Kind::Withdraw) => Data::Withdraw(de(text)?),
            Some(Kind::Retract) => Data::Retract(de(text)?),
            Some(Kind::Reaffirm) => Data::Reaffirm(de(text)?),
            Some(Kind::KeyRotation) => Data::KeyRotation(de(text)?),
            Some(Kind::Disclosure) => Data::Disclosure(de(text)?),
            Some(Kind::EncryptionKey) => Data::EncryptionKey(de(text)?),
            Some(Kind::Unseal) => Data::Unseal(de(text)?),
            Some(Kind::Vote) => Data::Vote(de(text)?),
            Some(Kind::Determination) => Data::Determination(de(text)?),
            Some(Kind::Witness) => Data::Witness(de(text)?),
            Some(Kind::Agenda) => Data::Agenda(de(text)?),
            Some(Kind::LogKey) => Data::LogKey(de(text)?),
            // `amend` (its `target` sits among the declaration's keys) and unknown kinds: through
            // the value, by `from_value` itself.
            Some(Kind::Amend) | None => {
                return Data::from_value(kind, serde_json::from_str(text).ok()?).ok()
            }
        };
        d.validate().ok()?;
        Some(d)
    }

    /// Decodes and validates `data` for `kind` (spec §6).
    pub fn from_value(kind: &str, data: Value) -> Result<Data, FormatError> {
        fn de<T: DeserializeOwned>(kind: &str, v: Value) -> Result<T, FormatError> {
            serde_json::from_value(v).map_err(|e| bad_field(format!("{kind} data: {e}")))
        }
        let Value::Object(mut map) = data else {
            return Err(bad_field("`data` must be an object"));
        };
        let Some(known) = Kind::from_name(kind) else {
            if !is_valid_kind(kind) {
                return Err(bad_field(format!(
                    "kind {} is not [a-z][a-z0-9-]* of at most 32 bytes",
                    crate::text::quote(kind)
                )));
            }
            // Spec §6.1: an unknown kind's data is carried, not interpreted.
            return Ok(Data::Unknown {
                kind: kind.to_string(),
                data: map,
            });
        };
        let d = match known {
            Kind::Profile => Data::Profile(de(kind, Value::Object(map))?),
            Kind::Declaration => Data::Declaration(de(kind, Value::Object(map))?),
            Kind::NoConflict => Data::NoConflict(de(kind, Value::Object(map))?),
            Kind::Amend => {
                let target = map
                    .remove("target")
                    .ok_or_else(|| bad_field("amend data: missing field `target`"))?;
                let target: EntryId = de(kind, target)?;
                Data::Amend {
                    target,
                    declaration: de(kind, Value::Object(map))?,
                }
            }
            Kind::Withdraw => Data::Withdraw(de(kind, Value::Object(map))?),
            Kind::Retract => Data::Retract(de(kind, Value::Object(map))?),
            Kind::Reaffirm => Data::Reaffirm(de(kind, Value::Object(map))?),
            // Through the text form, so that a bad field keeps its class (`bad-key`).
            Kind::KeyRotation => {
                Data::KeyRotation(de::<KeyRotationText>(kind, Value::Object(map))?.check()?)
            }
            Kind::Disclosure => Data::Disclosure(de(kind, Value::Object(map))?),
            Kind::EncryptionKey => Data::EncryptionKey(de(kind, Value::Object(map))?),
            Kind::Unseal => Data::Unseal(de(kind, Value::Object(map))?),
            Kind::Vote => Data::Vote(de(kind, Value::Object(map))?),
            Kind::Determination => Data::Determination(de(kind, Value::Object(map))?),
            Kind::Witness => Data::Witness(de(kind, Value::Object(map))?),
            Kind::Agenda => Data::Agenda(de(kind, Value::Object(map))?),
            Kind::LogKey => Data::LogKey(de(kind, Value::Object(map))?),
        };
        d.validate()?;
        Ok(d)
    }

    /// Checks the rules that types alone do not capture: text lengths, list order, consistency.
    pub fn validate(&self) -> Result<(), FormatError> {
        match self {
            Data::Profile(p) => {
                text("name", &p.name, MAX_NAME)?;
                opt_text("capacity", &p.capacity, MAX_NAME)?;
                opt_text("affiliation", &p.affiliation, MAX_NAME)
            }
            Data::Declaration(d) | Data::Amend { declaration: d, .. } => validate_declaration(d),
            Data::NoConflict(n) => scope_matters(n.scope, &n.matters),
            Data::Withdraw(_) => Ok(()),
            Data::Retract(r) => text("reason", &r.reason, MAX_TEXT),
            Data::Reaffirm(r) => opt_text("note", &r.note, MAX_TEXT),
            // Both fields were checked when the value was made.
            Data::KeyRotation(_) => Ok(()),
            Data::Disclosure(d) => {
                if d.ciphertext.is_empty()
                    || d.ciphertext.len() > MAX_CIPHERTEXT
                    || !is_canonical_base64(&d.ciphertext)
                {
                    return Err(bad_field(format!("ciphertext must be 4 to {MAX_CIPHERTEXT} characters of canonical padded standard base64 (at least one byte)")));
                }
                sorted_unique("recipients", d.recipients.iter(), MAX_RECIPIENTS)
            }
            Data::EncryptionKey(k) => crate::seal::check_recipient(&k.recipient)
                .map(|_| ())
                .map_err(bad_field),
            Data::Unseal(u) => {
                if u.fields.is_empty() {
                    return Err(bad_field("unseal fields must not be empty"));
                }
                u.fields
                    .iter()
                    .try_for_each(|(f, o)| o.validate(*f).map_err(bad_field))
            }
            Data::Vote(v) => {
                opt_text("motion", &v.motion, MAX_TEXT)?;
                if let Some(c) = &v.checkpoint {
                    text("checkpoint origin", &c.origin, MAX_ORIGIN)?;
                }
                sorted_unique("heads", v.heads.iter().map(|h| &h.member), MAX_HEADS)?;
                heads_seq(&v.heads)?;
                sorted_unique(
                    "participation",
                    v.participation.iter().map(|p| &p.member),
                    MAX_HEADS,
                )?;
                for p in &v.participation {
                    if p.vote.is_some() && p.presence != Presence::Present {
                        return Err(bad_field(
                            "participation: a vote is recorded only for a member who is present",
                        ));
                    }
                }
                Ok(())
            }
            Data::Determination(d) => opt_text("note", &d.note, MAX_TEXT),
            Data::Witness(w) => validate_witness(w),
            Data::LogKey(l) => validate_log_key(l),
            Data::Agenda(a) => {
                opt_text("title", &a.title, MAX_NAME)?;
                if a.items.is_empty() || a.items.len() > MAX_ITEMS {
                    return Err(bad_field(format!("items must have 1 to {MAX_ITEMS} items")));
                }
                let mut seen = std::collections::HashSet::new();
                for item in &a.items {
                    if !seen.insert(&item.matter) {
                        return Err(bad_field(format!(
                            "items: matter {} is listed twice",
                            item.matter.as_str()
                        )));
                    }
                    opt_text("title", &item.title, MAX_NAME)?;
                    if let Some(cs) = &item.concerns {
                        for c in cs {
                            text("concerns", c, MAX_NAME)?;
                        }
                        sorted_unique("concerns", cs.iter(), MAX_CONCERNS)?;
                    }
                }
                Ok(())
            }
            Data::Unknown { .. } => Ok(()),
        }
    }
}

/// Spec §8.3: heads, a cosigned checkpoint, or both; a checkpoint comes with its cosigner and a
/// cosignature that verifies.
fn validate_witness(w: &Witness) -> Result<(), FormatError> {
    if let Some(heads) = &w.heads {
        sorted_unique("heads", heads.iter().map(|h| &h.member), MAX_HEADS)?;
        heads_seq(heads)?;
    }
    match (&w.checkpoint, &w.cosigner, &w.cosignature) {
        (None, None, None) if w.heads.is_some() => Ok(()),
        (None, None, None) => Err(bad_field("a witness lists heads, a checkpoint, or both")),
        (Some(c), Some(cosigner), Some(cosignature)) => {
            checkpoint_origin(&c.origin)?;
            crate::tlog::cosigned_ref(&c.origin, c.size, c.root.as_bytes(), cosigner, cosignature)
                .map(|_| ())
                .map_err(|e| bad_field(format!("witness cosignature: {e}")))
        }
        _ => Err(bad_field(
            "a witness's checkpoint, cosigner and cosignature come together",
        )),
    }
}

/// An origin that can name a log key: text(256) with no white space and no `+` (spec §13).
fn checkpoint_origin(origin: &str) -> Result<(), FormatError> {
    text("checkpoint origin", origin, MAX_ORIGIN)?;
    if origin.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(bad_field(
            "a log's origin holds no white space and no `+` (it names the log's key)",
        ));
    }
    Ok(())
}

/// Spec §13: the vkey is an Ed25519 note key named by the origin.
fn validate_log_key(l: &LogKey) -> Result<(), FormatError> {
    checkpoint_origin(&l.origin)?;
    let v = crate::tlog::note::NoteVerifier::parse(&l.vkey)
        .map_err(|e| bad_field(format!("log-key vkey: {e}")))?;
    if v.name() != l.origin {
        return Err(bad_field(format!(
            "log-key vkey is named {}, not the origin {}",
            crate::text::quote(v.name()),
            crate::text::quote(&l.origin)
        )));
    }
    Ok(())
}

fn heads_seq(heads: &[Head]) -> Result<(), FormatError> {
    if heads.iter().any(|h| h.seq == 0) {
        return Err(bad_field("heads: seq starts at 1"));
    }
    Ok(())
}

fn validate_declaration(d: &Declaration) -> Result<(), FormatError> {
    text("counterparty", &d.counterparty, MAX_NAME)?;
    opt_text("nature", &d.nature, MAX_TEXT)?;
    opt_text("value", &d.value, MAX_BAND)?;
    scope_matters(d.scope, &d.matters)?;
    if let (Some(s), Some(u)) = (&d.since, &d.until) {
        if u < s {
            return Err(bad_field(format!(
                "until {} is before since {}",
                u.as_str(),
                s.as_str()
            )));
        }
    }
    if let Some(sealed) = &d.sealed {
        if sealed.is_empty() {
            return Err(bad_field("sealed must not be empty"));
        }
    }
    Ok(())
}

fn scope_matters(scope: Scope, matters: &Option<Vec<Matter>>) -> Result<(), FormatError> {
    match (scope, matters) {
        (Scope::Specific, Some(m)) => sorted_unique("matters", m.iter(), MAX_MATTERS),
        (Scope::Specific, None) => Err(bad_field("a specific scope needs `matters`")),
        (Scope::Standing, Some(_)) => Err(bad_field("a standing scope has no `matters`")),
        (Scope::Standing, None) => Ok(()),
    }
}

fn sorted_unique<'a, T: Ord + 'a>(
    name: &str,
    items: impl Iterator<Item = &'a T>,
    max: usize,
) -> Result<(), FormatError> {
    let items: Vec<&T> = items.collect();
    if items.is_empty() || items.len() > max {
        return Err(bad_field(format!("{name} must have 1 to {max} items")));
    }
    if items.windows(2).any(|w| w[0] >= w[1]) {
        return Err(bad_field(format!(
            "{name} must be unique and in ascending order"
        )));
    }
    Ok(())
}

fn is_valid_kind(k: &str) -> bool {
    let b = k.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec §6, §8: every struct-typed field of every kind is an object; the same field written
    /// as a JSON array (its values in field order, which a derived deserializer would take) is
    /// `bad-field` on both decoding paths. So is every kind's whole `data` as an array.
    #[test]
    fn struct_fields_given_as_arrays_are_bad_field() {
        let hex = |b: u8| "0".repeat(63) + &b.to_string();
        let head = serde_json::json!({"id": hex(1), "member": hex(2), "seq": 1});
        let head_arr = serde_json::json!([hex(1), hex(2), 1]);
        let part = serde_json::json!({"member": hex(2), "presence": "present", "vote": "yes"});
        let part_arr = serde_json::json!([hex(2), "present", "yes"]);
        let vote = |h: &Value, p: &Value| {
            serde_json::json!({"heads": [h], "held": "2026-12-01T10:00:00Z", "matter": "m",
                "participation": [p]})
        };
        let cases = [
            ("vote", vote(&head, &part), true),
            ("vote", vote(&head_arr, &part), false),
            ("vote", vote(&head, &part_arr), false),
            ("witness", serde_json::json!({ "heads": [head] }), true),
            ("witness", serde_json::json!({ "heads": [head_arr] }), false),
        ];
        for (kind, data, ok) in cases {
            let text = data.to_string();
            assert_eq!(Data::from_value(kind, data.clone()).is_ok(), ok, "{text}");
            assert_eq!(
                Data::from_canonical_text(kind, &text).is_some(),
                ok,
                "{text}"
            );
            if !ok {
                let e = Data::from_value(kind, data).expect_err("refused");
                assert_eq!(e.class, crate::error::ErrorClass::BadField, "{text}");
            }
        }
        for kind in Kind::ALL {
            let e = Data::from_value(kind.as_str(), serde_json::json!([])).expect_err("an array");
            assert_eq!(e.class, crate::error::ErrorClass::BadField, "{kind}");
            assert!(Data::from_canonical_text(kind.as_str(), "[]").is_none());
        }
    }

    /// Every defined kind's name is of the kind syntax, names it back, and is decoded as that
    /// kind (never as an unknown one); other names of the syntax are unknown and carried.
    #[test]
    fn every_kind_is_defined_once() {
        for &k in Kind::ALL {
            assert_eq!(Kind::from_name(k.as_str()), Some(k));
            assert_eq!(k.to_string(), k.as_str());
            assert!(is_valid_kind(k.as_str()), "{k}");
            match Data::from_value(k.as_str(), Value::Object(Map::new())) {
                Ok(d) => assert_eq!((d.known_kind(), d.kind()), (Some(k), k.as_str())),
                Err(e) => assert_eq!(e.class, crate::ErrorClass::BadField, "{k}: {e}"),
            }
        }
        let unknown = Data::from_value("later-kind", Value::Object(Map::new())).unwrap();
        assert_eq!((unknown.known_kind(), unknown.kind()), (None, "later-kind"));
        assert!(Data::from_value("Later", Value::Object(Map::new())).is_err());
    }

    /// Spec §8.1, §9: the largest `vote` the schema allows (200 heads at the largest seq, 200
    /// participants with the longest values, every optional field at its longest, text made of
    /// the one character that doubles when escaped) fits in one line, with room to spare.
    #[test]
    fn the_largest_vote_fits_in_a_line() {
        use super::super::values::{Ballot, Presence, VoteResult};
        let big_seq = (1u64 << 53) - 1;
        let member = |i: usize| {
            let mut b = [0u8; 32];
            b[..8].copy_from_slice(&(i as u64).to_be_bytes());
            Hash32::from_bytes(b)
        };
        let id = Hash32::from_bytes([0xab; 32]);
        let text = |n: usize| "\"".repeat(n);
        let vote = Data::Vote(Vote {
            agenda: Some(id),
            checkpoint: Some(CheckpointRef {
                origin: text(MAX_ORIGIN),
                root: id,
                size: big_seq,
            }),
            continues: Some(id),
            heads: (0..MAX_HEADS)
                .map(|i| Head {
                    id,
                    member: member(i),
                    seq: big_seq,
                })
                .collect(),
            held: Timestamp::parse("2026-12-01T10:00:00Z").unwrap(),
            matter: Matter::parse(&"m".repeat(crate::entry::MAX_MATTER_LEN)).unwrap(),
            motion: Some(text(MAX_TEXT)),
            participation: (0..MAX_HEADS)
                .map(|i| Participation {
                    member: member(i),
                    presence: Presence::Present,
                    vote: Some(Ballot::Recused),
                })
                .collect(),
            result: Some(VoteResult::Withdrawn),
        });
        vote.validate().expect("the largest vote is valid");
        let sk = crate::keys::SecretKey::from_seed(&[7; 32]);
        let draft = crate::entry::Draft {
            member: sk.public().member_id(),
            seq: big_seq,
            prev: id,
            time: Timestamp::parse("2026-12-01T10:00:00Z").unwrap(),
            data: vote,
        };
        let e = draft.sign(&sk).expect("the largest vote fits in a line");
        assert!(
            e.line.len() <= crate::entry::MAX_LINE_LEN - 2000,
            "{} bytes",
            e.line.len()
        );
    }

    /// A bad `key-rotation` field is refused with the spec's class and the same message as ever:
    /// a weak or non-canonical key is `bad-key`, anything else `bad-field`.
    #[test]
    fn key_rotation_faults_keep_their_class_and_message() {
        use crate::error::ErrorClass::{BadField, BadKey};
        let sk = crate::keys::SecretKey::from_seed(&[1; 32]);
        let key = sk.public().to_hex();
        let proof = sk.sign(b"any message").to_base64();
        let good = serde_json::json!({"new_key": key, "proof": proof});
        let data = Data::from_value("key-rotation", good.clone()).unwrap();
        assert_eq!(data.to_value(), good);
        let cases = [
            (
                serde_json::json!({"new_key": "00", "proof": proof}),
                BadField,
                "public key is not 64 lowercase hex characters",
            ),
            (
                serde_json::json!({"new_key": key.to_uppercase(), "proof": proof}),
                BadField,
                "public key is not 64 lowercase hex characters",
            ),
            (
                serde_json::json!({"new_key": format!("01{}", "0".repeat(62)), "proof": proof}),
                BadKey,
                "public key is of small order (weak)",
            ),
            (
                serde_json::json!({"new_key": format!("ee{}7f", "f".repeat(60)), "proof": proof}),
                BadKey,
                "public key is a non-canonical encoding of its point",
            ),
            (
                serde_json::json!({"new_key": key, "proof": "AAAA"}),
                BadField,
                "proof: signature is not 88 characters of padded standard base64 encoding 64 bytes",
            ),
            (
                serde_json::json!({"new_key": key}),
                BadField,
                "key-rotation data: missing field `proof`",
            ),
            (
                serde_json::json!({"new_key": key, "proof": proof, "x": 1}),
                BadField,
                "key-rotation data: unknown field `x`, expected `new_key` or `proof`",
            ),
            (
                serde_json::json!({"new_key": 1, "proof": proof}),
                BadField,
                "key-rotation data: invalid type: integer `1`, expected a string",
            ),
        ];
        for (value, class, message) in cases {
            let e = Data::from_value("key-rotation", value.clone()).unwrap_err();
            assert_eq!((e.class, e.message.as_str()), (class, message), "{value}");
        }
    }
}
