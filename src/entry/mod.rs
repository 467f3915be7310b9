//! Entries: their types, the exact bytes that are hashed and signed, ids, and the one canonical
//! line form (spec §3, §4, §6, §7, §8).
//!
//! Everything here is pure: values in, values out.

use std::collections::BTreeMap;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::canon;
use crate::error::{bad_field, ErrorClass, FormatError};
use crate::hash::{Hash32, CTX_ENTRY_ID, CTX_ENTRY_SIG};
use crate::keys::{MemberId, PublicKey, SecretKey, Signature, SIGNATURE_B64_LEN};

/// The format version this crate reads and writes.
pub const FORMAT_VERSION: u64 = 1;
/// Longest line, LF excluded (spec §9).
pub const MAX_LINE_LEN: usize = 65_536;
/// Longest matter id.
pub const MAX_MATTER_LEN: usize = 128;
/// Most matters in one list.
pub const MAX_MATTERS: usize = 64;
/// Most heads, participants or recipients in one list.
pub const MAX_HEADS: usize = 4096;
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

const LINE_PREFIX: &str = "{\"entry\":";
const SIG_INFIX: &str = ",\"sig\":\"";
const LINE_SUFFIX: &str = "\"}";

/// An entry id (spec §4.3).
pub type EntryId = Hash32;

/// A self-asserted UTC time, `YYYY-MM-DDTHH:MM:SSZ` (spec §4.2). Held as its 20 ASCII bytes
/// (no allocation: one is parsed for every line verified); ordered as its text.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp([u8; 20]);

/// The text of the Unix epoch, `Timestamp`'s fallback.
const EPOCH: &str = "1970-01-01T00:00:00Z";

impl Timestamp {
    /// Parses the exact form.
    pub fn parse(s: &str) -> Result<Timestamp, String> {
        Timestamp::check(s)?;
        let mut b = [0u8; 20];
        b.copy_from_slice(s.as_bytes());
        Ok(Timestamp(b))
    }

    fn check(s: &str) -> Result<(), String> {
        let b = s.as_bytes();
        let shape_ok = b.len() == 20
            && b.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                10 => *c == b'T',
                13 | 16 => *c == b':',
                19 => *c == b'Z',
                _ => c.is_ascii_digit(),
            });
        if !shape_ok {
            return Err(format!(
                "time must be YYYY-MM-DDTHH:MM:SSZ in UTC, got {}",
                crate::text::quote(s)
            ));
        }
        let (hour, minute, second) = (digits(&b[11..13]), digits(&b[14..16]), digits(&b[17..19]));
        if !is_real_date(&b[..10]) || hour > 23 || minute > 59 || second > 59 {
            return Err(format!("{s} is not a real date and time"));
        }
        if b.starts_with(b"0000") {
            return Err(format!("{s}: year must be 0001 to 9999"));
        }
        Ok(())
    }

    /// The current time, to the second.
    pub fn now() -> Timestamp {
        Self::from_unix(time::OffsetDateTime::now_utc().unix_timestamp())
    }

    /// The time `secs` seconds after the Unix epoch.
    pub fn from_unix(secs: i64) -> Timestamp {
        let fmt =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        let t = time::OffsetDateTime::from_unix_timestamp(secs)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let text = t.format(&fmt).unwrap_or_default();
        Timestamp::parse(&text).unwrap_or_else(|_| Timestamp::epoch())
    }

    fn epoch() -> Timestamp {
        let mut b = [0u8; 20];
        b.copy_from_slice(EPOCH.as_bytes());
        Timestamp(b)
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        // Every constructor checked the bytes, which are ASCII.
        std::str::from_utf8(&self.0).unwrap_or(EPOCH)
    }

    /// The calendar date part, `YYYY-MM-DD`.
    pub fn date(&self) -> &str {
        &self.as_str()[..10]
    }
}

impl std::fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Timestamp({:?})", self.as_str())
    }
}

impl TryFrom<String> for Timestamp {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Timestamp::parse(&s)
    }
}
impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.as_str().to_string()
    }
}

/// The number written by ASCII digits `b` (checked by the caller).
fn digits(b: &[u8]) -> u32 {
    b.iter()
        .fold(0, |n, c| n * 10 + u32::from(c.wrapping_sub(b'0')))
}

/// Whether `YYYY-MM-DD` (digits and dashes already checked) names a day of the proleptic
/// Gregorian calendar, year 0000 included (the callers refuse it with their own message).
fn is_real_date(b: &[u8]) -> bool {
    let (year, month, day) = (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10]));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    (1..=days).contains(&day)
}

/// A calendar date, `YYYY-MM-DD` (spec §6.2).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date(String);

impl Date {
    /// Parses the exact form.
    pub fn parse(s: &str) -> Result<Date, String> {
        Date::check(s)?;
        Ok(Date(s.to_string()))
    }

    fn check(s: &str) -> Result<(), String> {
        let b = s.as_bytes();
        let shape_ok = b.len() == 10
            && b.iter().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    *c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !shape_ok || !is_real_date(b) || s.starts_with("0000") {
            return Err(format!(
                "date must be a real date written YYYY-MM-DD, got {}",
                crate::text::quote(s)
            ));
        }
        Ok(())
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Date {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Date::check(&s)?;
        Ok(Date(s))
    }
}
impl From<Date> for String {
    fn from(d: Date) -> String {
        d.0
    }
}

/// A matter id: a meeting, agenda item, motion or vote (spec §6.2), e.g. `board-2026-12/item-4`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Matter(String);

impl Matter {
    /// Parses `[a-z0-9][a-z0-9._/-]*`, at most 128 bytes.
    pub fn parse(s: &str) -> Result<Matter, String> {
        Matter::check(s)?;
        Ok(Matter(s.to_string()))
    }

    fn check(s: &str) -> Result<(), String> {
        let b = s.as_bytes();
        let ok = !b.is_empty()
            && b.len() <= MAX_MATTER_LEN
            && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._/-".contains(c));
        if !ok {
            return Err(format!(
                "matter {} must be lowercase letters, digits and . _ / - (starting with a letter or digit), at most {MAX_MATTER_LEN} bytes, e.g. board-2026-12/item-4",
                crate::text::quote(s)
            ));
        }
        Ok(())
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Matter {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Matter::check(&s)?;
        Ok(Matter(s))
    }
}
impl From<Matter> for String {
    fn from(m: Matter) -> String {
        m.0
    }
}

macro_rules! token_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }
        impl $name {
            /// Every value, in the spec's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The value as written in entries.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("{} is not one of: {}", crate::text::quote(s), [$($text),+].join(", "))),
                }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

token_enum!(
    /// Scope of a declaration or no-conflict statement.
    Scope { /** The matters listed. */ Specific = "specific", /** Every matter touching the counterparty. */ Standing = "standing" }
);
token_enum!(
    /// Category of interest (ISOC item 8: financial or material; more for common registers).
    Category { /** Financial. */ Financial = "financial", /** Material. */ Material = "material", /** Gift or hospitality. */ Gift = "gift", /** Intellectual property. */ Ipr = "ipr", /** Another duty. */ OtherDuty = "other-duty", /** Other. */ Other = "other" }
);
token_enum!(
    /// Which interests conflict (ISOC item 8).
    Between { /** Personal vs professional. */ PersonalProfessional = "personal-professional", /** Two professional interests. */ ProfessionalProfessional = "professional-professional" }
);
token_enum!(
    /// Whose interest it is.
    Whose { /** The member's own. */ Own = "self", /** A family member's. */ Family = "family", /** A close associate's. */ Associate = "associate", /** The employer's. */ Employer = "employer", /** A client's. */ Client = "client" }
);
token_enum!(
    /// The relationship with the counterparty.
    Relationship {
        /** Employment. */ Employment = "employment", /** Consulting. */ Consulting = "consulting",
        /** Grant or contract. */ GrantContract = "grant-contract", /** Royalties. */ Royalties = "royalties",
        /** Honoraria. */ Honoraria = "honoraria", /** Travel. */ Travel = "travel",
        /** Advisory board. */ AdvisoryBoard = "advisory-board", /** Fiduciary role. */ Fiduciary = "fiduciary",
        /** Equity or options. */ Equity = "equity", /** Gift. */ Gift = "gift", /** Loan. */ Loan = "loan", /** Other. */ Other = "other"
    }
);
token_enum!(
    /// Proposed mitigation.
    Mitigation { /** Disclose only. */ DiscloseOnly = "disclose-only", /** Take part in discussion, do not vote. */ Abstain = "abstain", /** Neither discuss nor vote. */ Recuse = "recuse" }
);
token_enum!(
    /// Restricted field names (spec §7).
    SealedField { /** An address. */ Address = "address", /** An exact amount. */ Amount = "amount", /** A client under NDA. */ Client = "client", /** A contract. */ Contract = "contract", /** A family member. */ Family = "family", /** A note. */ Note = "note" }
);
token_enum!(
    /// Presence at a vote.
    Presence { /** Present. */ Present = "present", /** Absent. */ Absent = "absent", /** Excused. */ Excused = "excused" }
);
token_enum!(
    /// A recorded vote.
    Ballot { /** Yes. */ Yes = "yes", /** No. */ No = "no", /** Abstained. */ Abstain = "abstain", /** Recused. */ Recused = "recused" }
);
token_enum!(
    /// The result of a vote.
    VoteResult { /** Carried. */ Carried = "carried", /** Failed. */ Failed = "failed", /** Tied. */ Tied = "tied", /** Withdrawn. */ Withdrawn = "withdrawn", /** Deferred. */ Deferred = "deferred" }
);
token_enum!(
    /// A body's determination on a declaration.
    Outcome { /** No conflict. */ NoConflict = "no-conflict", /** Disclose only. */ DiscloseOnly = "disclose-only", /** Abstain. */ Abstain = "abstain", /** Recuse. */ Recuse = "recuse", /** Waiver. */ Waiver = "waiver" }
);

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

/// `key-rotation` data (spec §6.9).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct KeyRotation {
    pub new_key: String,
    pub proof: String,
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

/// A chain head (spec §8).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Head {
    pub id: EntryId,
    pub member: MemberId,
    pub seq: u64,
}

/// One member's participation in a vote (spec §8.1).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Participation {
    pub member: MemberId,
    pub presence: Presence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote: Option<Ballot>,
}

/// `vote` data (spec §8.1).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Vote {
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

/// `witness` data (spec §8.3).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Witness {
    pub heads: Vec<Head>,
}

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
    /// `vote`.
    Vote(Vote),
    /// `determination`.
    Determination(Determination),
    /// `witness`.
    Witness(Witness),
    /// A kind this version does not define (spec §6.1): carried, not interpreted.
    Unknown {
        /// The kind.
        kind: String,
        /// The data object, uninterpreted.
        data: Map<String, Value>,
    },
}

impl Data {
    /// The kind string.
    pub fn kind(&self) -> &str {
        match self {
            Data::Profile(_) => "profile",
            Data::Declaration(_) => "declaration",
            Data::NoConflict(_) => "no-conflict",
            Data::Amend { .. } => "amend",
            Data::Withdraw(_) => "withdraw",
            Data::Retract(_) => "retract",
            Data::Reaffirm(_) => "reaffirm",
            Data::KeyRotation(_) => "key-rotation",
            Data::Disclosure(_) => "disclosure",
            Data::Vote(_) => "vote",
            Data::Determination(_) => "determination",
            Data::Witness(_) => "witness",
            Data::Unknown { kind, .. } => kind,
        }
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

    /// The matters this entry names (declarations, amendments, no-conflict, votes, determinations).
    pub fn matters(&self) -> Vec<&Matter> {
        match self {
            Data::Declaration(d) | Data::Amend { declaration: d, .. } => {
                d.matters.iter().flatten().collect()
            }
            Data::NoConflict(n) => n.matters.iter().flatten().collect(),
            Data::Vote(v) => vec![&v.matter],
            Data::Determination(d) => d.matter.iter().collect(),
            _ => vec![],
        }
    }

    fn to_value(&self) -> Value {
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
            Data::Vote(x) => v(x),
            Data::Determination(x) => v(x),
            Data::Witness(x) => v(x),
            Data::Unknown { data, .. } => Value::Object(data.clone()),
        }
    }

    /// [`Data::from_value`] for `text`, the canonical JSON text of an object, decoding the usual
    /// kinds straight from the text. `Some` only when `from_value` accepts the value, with the same
    /// result (debug builds check this in [`Entry::parse`]); `None` for any fault.
    fn from_canonical_text(kind: &str, text: &str) -> Option<Data> {
        fn de<'a, T: Deserialize<'a>>(text: &'a str) -> Option<T> {
            serde_json::from_str(text).ok()
        }
        // A derived struct would also accept an array; `from_value` wants an object.
        if !text.starts_with('{') {
            return None;
        }
        let d = match kind {
            "profile" => Data::Profile(de(text)?),
            "declaration" => Data::Declaration(de(text)?),
            "no-conflict" => Data::NoConflict(de(text)?),
            "withdraw" => Data::Withdraw(de(text)?),
            "retract" => Data::Retract(de(text)?),
            "reaffirm" => Data::Reaffirm(de(text)?),
            "key-rotation" => Data::KeyRotation(de(text)?),
            "disclosure" => Data::Disclosure(de(text)?),
            "vote" => Data::Vote(de(text)?),
            "determination" => Data::Determination(de(text)?),
            "witness" => Data::Witness(de(text)?),
            // `amend` (its `target` sits among the declaration's keys) and unknown kinds: through
            // the value, by `from_value` itself.
            _ => return Data::from_value(kind, serde_json::from_str(text).ok()?).ok(),
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
        let d = match kind {
            "profile" => Data::Profile(de(kind, Value::Object(map))?),
            "declaration" => Data::Declaration(de(kind, Value::Object(map))?),
            "no-conflict" => Data::NoConflict(de(kind, Value::Object(map))?),
            "amend" => {
                let target = map
                    .remove("target")
                    .ok_or_else(|| bad_field("amend data: missing field `target`"))?;
                let target: EntryId = de(kind, target)?;
                Data::Amend {
                    target,
                    declaration: de(kind, Value::Object(map))?,
                }
            }
            "withdraw" => Data::Withdraw(de(kind, Value::Object(map))?),
            "retract" => Data::Retract(de(kind, Value::Object(map))?),
            "reaffirm" => Data::Reaffirm(de(kind, Value::Object(map))?),
            "key-rotation" => Data::KeyRotation(de(kind, Value::Object(map))?),
            "disclosure" => Data::Disclosure(de(kind, Value::Object(map))?),
            "vote" => Data::Vote(de(kind, Value::Object(map))?),
            "determination" => Data::Determination(de(kind, Value::Object(map))?),
            "witness" => Data::Witness(de(kind, Value::Object(map))?),
            other => {
                if !is_valid_kind(other) {
                    return Err(bad_field(format!(
                        "kind {} is not [a-z][a-z0-9-]* of at most 32 bytes",
                        crate::text::quote(other)
                    )));
                }
                Data::Unknown {
                    kind: other.to_string(),
                    data: map,
                }
            }
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
            Data::KeyRotation(k) => {
                PublicKey::from_hex(&k.new_key)?;
                Signature::from_base64(&k.proof)
                    .map_err(|e| bad_field(format!("proof: {}", e.message)))?;
                Ok(())
            }
            Data::Disclosure(d) => {
                if d.ciphertext.is_empty()
                    || d.ciphertext.len() > MAX_CIPHERTEXT
                    || !is_canonical_base64(&d.ciphertext)
                {
                    return Err(bad_field(format!("ciphertext must be 1 to {MAX_CIPHERTEXT} characters of padded standard base64")));
                }
                sorted_unique("recipients", d.recipients.iter(), MAX_RECIPIENTS)
            }
            Data::Vote(v) => {
                opt_text("motion", &v.motion, MAX_TEXT)?;
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
            Data::Witness(w) => {
                sorted_unique("heads", w.heads.iter().map(|h| &h.member), MAX_HEADS)?;
                heads_seq(&w.heads)
            }
            Data::Unknown { .. } => Ok(()),
        }
    }
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

/// Checks a text(N) field (spec §6.2): 1 to N bytes, no leading or trailing space.
pub fn text(name: &str, s: &str, max: usize) -> Result<(), FormatError> {
    if s.is_empty() || s.len() > max {
        return Err(bad_field(format!(
            "{name} must be 1 to {max} bytes (is {})",
            s.len()
        )));
    }
    if s.starts_with(' ') || s.ends_with(' ') {
        return Err(bad_field(format!(
            "{name} must not start or end with a space"
        )));
    }
    if let Some((_, c)) = crate::text::find_forbidden(s) {
        return Err(FormatError::new(
            ErrorClass::ForbiddenCharacter,
            format!("{name} contains the forbidden character U+{:04X} (control, bidi or separator characters are not allowed)", c as u32),
        ));
    }
    Ok(())
}

fn opt_text(name: &str, s: &Option<String>, max: usize) -> Result<(), FormatError> {
    s.as_deref().map_or(Ok(()), |s| text(name, s, max))
}

fn is_valid_kind(k: &str) -> bool {
    let b = k.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

fn is_canonical_base64(s: &str) -> bool {
    use base64::Engine as _;
    let e = base64::engine::general_purpose::STANDARD;
    e.decode(s).map(|b| e.encode(b) == s).unwrap_or(false)
}

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
    /// The signature.
    pub sig: Signature,
    /// The canonical line, without LF.
    pub line: String,
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
            sig,
            line,
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
            if k.new_key == p.key_hex {
                return None;
            }
        }
        let sig = Signature::from_base64(p.sig).ok()?;
        let body_end = line.len() - SIG_INFIX.len() - SIGNATURE_B64_LEN - LINE_SUFFIX.len();
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
                    && full.line == fast.line,
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
        if top.len() != 2 || !top.contains_key("entry") || !top.contains_key("sig") {
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
        // Version first: nothing else about a line of another version may be interpreted.
        match e.get("v") {
            Some(Value::Number(n)) if n.as_u64() == Some(FORMAT_VERSION) => {}
            Some(Value::Number(n)) => {
                return Err(FormatError::new(
                    ErrorClass::UnsupportedVersion,
                    format!("format version {n} is not supported (this coi reads version 1)"),
                ))
            }
            _ => return Err(bad_field("entry: missing or non-integer `v`")),
        }
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
            if k.new_key == key_hex {
                return Err(bad_field("key-rotation: new_key equals the current key"));
            }
        }
        let sig = Signature::from_base64(&sig_text)?;
        // The body is the bytes of the entry object as they stand in the line. The canonical check
        // above guarantees the line is exactly PREFIX body INFIX sig SUFFIX.
        let body_end = line.len() - SIG_INFIX.len() - SIGNATURE_B64_LEN - LINE_SUFFIX.len();
        let body = line
            .get(LINE_PREFIX.len()..body_end)
            .ok_or_else(|| bad_field("line is not {\"entry\":...,\"sig\":...}"))?;
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
        })
    }

    /// The body B: the bytes of the entry object within the line.
    pub fn body(&self) -> &str {
        &self.line[LINE_PREFIX.len()
            ..self.line.len() - SIG_INFIX.len() - SIGNATURE_B64_LEN - LINE_SUFFIX.len()]
    }

    /// Checks the signature with strict Ed25519 rules under the entry's own key.
    pub fn verify_signature(&self) -> Result<(), FormatError> {
        thread_local! {
            // The message buffer, reused: this runs for every line verified.
            static MESSAGE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let body = self.body().as_bytes();
        let ok = MESSAGE.with(|m| match m.try_borrow_mut() {
            Ok(mut m) => {
                write_signing_message(&mut m, body);
                self.key.verify_strict(&m, &self.sig)
            }
            Err(_) => self.key.verify_strict(&signing_message(body), &self.sig),
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
            let new = PublicKey::from_hex(&k.new_key)?;
            let proof = Signature::from_base64(&k.proof)?;
            if !new.verify_strict(
                &crate::keys::key_accept_message(&self.member, &self.key, &new, self.seq),
                &proof,
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

    /// The calendar checks agree with the `time` crate's parser (the reference they replaced) on
    /// every month and day around each kind of year, and on the edges of each clock field.
    #[test]
    fn calendar_checks_agree_with_the_time_crate() {
        let full =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        let date_only = time::macros::format_description!("[year]-[month]-[day]");
        let mut checked = 0;
        for year in [
            0, 1, 4, 100, 200, 400, 1582, 1900, 2000, 2023, 2024, 2100, 2400, 9999,
        ] {
            for month in 0..=13 {
                for day in 0..=32 {
                    let d = format!("{year:04}-{month:02}-{day:02}");
                    let want = time::Date::parse(&d, &date_only).is_ok() && year > 0;
                    assert_eq!(Date::parse(&d).is_ok(), want, "{d}");
                    for (h, mi, se) in [
                        (0, 0, 0),
                        (23, 59, 59),
                        (24, 0, 0),
                        (0, 60, 0),
                        (0, 0, 60),
                        (12, 30, 30),
                    ] {
                        let t = format!("{d}T{h:02}:{mi:02}:{se:02}Z");
                        let want = time::PrimitiveDateTime::parse(&t, &full).is_ok() && year > 0;
                        assert_eq!(Timestamp::parse(&t).is_ok(), want, "{t}");
                        if let Ok(ts) = Timestamp::parse(&t) {
                            assert_eq!(ts.as_str(), t);
                            assert_eq!(ts.date(), d);
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 20_000);
        assert_eq!(Timestamp::from_unix(0).as_str(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::from_unix(1_780_000_000).as_str(),
            "2026-05-28T20:26:40Z"
        );
    }

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

    #[test]
    fn timestamps_and_dates_are_strict() {
        assert!(Timestamp::parse("2026-02-30T00:00:00Z").is_err());
        assert!(Timestamp::parse("2026-02-03T00:00:00+00:00").is_err());
        assert!(Timestamp::parse("2026-02-03t00:00:00Z").is_err());
        assert!(Timestamp::parse("2026-02-03T24:00:00Z").is_err());
        assert!(Date::parse("2026-1-01").is_err());
        assert!(Matter::parse("Board/1").is_err());
        assert!(Matter::parse("board-2026-12/item-4").is_ok());
    }
}
