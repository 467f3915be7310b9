//! The value types of entries (spec §4.2, §6.2): times, dates, matters, the closed vocabularies
//! of the kinds' fields, and the text and base64 rules that fields obey.

use serde::{Deserialize, Serialize};

use crate::error::{bad_field, ErrorClass, FormatError};
use crate::hash::Hash32;

/// Longest matter id.
pub const MAX_MATTER_LEN: usize = 128;

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

    /// The date of `t`.
    pub fn of(t: &Timestamp) -> Date {
        Date(t.date().to_string())
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
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, ::serde::Serialize, ::serde::Deserialize)]
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
            /// The value written `s` in entries, if `s` names one.
            pub fn from_name(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::from_name(s).ok_or_else(|| format!("{} is not one of: {}", crate::text::quote(s), [$($text),+].join(", ")))
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

// For the one list of kinds, in `data`.
pub(crate) use token_enum;

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

pub(super) fn opt_text(name: &str, s: &Option<String>, max: usize) -> Result<(), FormatError> {
    s.as_deref().map_or(Ok(()), |s| text(name, s, max))
}

/// Whether `s` is padded standard base64 in its one canonical form (zero trailing bits).
pub(crate) fn is_canonical_base64(s: &str) -> bool {
    use base64::Engine as _;
    let e = base64::engine::general_purpose::STANDARD;
    e.decode(s).map(|b| e.encode(b) == s).unwrap_or(false)
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
