//! Canonical JSON (spec §2): the one encoding every line and key file must have.
//!
//! A text is accepted only if it parses, obeys the value rules, and re-encodes to exactly the same
//! bytes. Nothing here repairs input.

mod scan;

use serde_json::Value;

use crate::error::{ErrorClass, FormatError};
use crate::text::{find_forbidden, is_forbidden};

/// Largest integer the format allows (2^53 − 1).
pub const MAX_INTEGER: u64 = (1 << 53) - 1;
/// Deepest nesting of objects and arrays.
pub const MAX_DEPTH: usize = 8;
/// Longest object key, in bytes.
pub const MAX_KEY_LEN: usize = 32;

/// Parses `text` and checks that it is canonical JSON; returns the parsed value.
///
/// Checks, in the three steps of spec §2 (which fix the class of a text with several faults):
/// forbidden characters anywhere in the raw text; then the first fault in text order of JSON
/// syntax and the value rules (no null, no sign, fraction or exponent, integers at most
/// 2^53 − 1, key syntax, depth, escapes of forbidden characters); then byte-exact canonical form.
pub fn parse(text: &str) -> Result<Value, FormatError> {
    // Fast path: a text that passes the one-pass validator is accepted by every check below, and
    // serde_json gives the same value for it, so the checks below would only repeat the work. Any
    // other text takes the full path, which decides the error class and message.
    if is_canonical(text.as_bytes()) {
        if let Ok(value) = serde_json::from_str(text) {
            return Ok(value);
        }
    }
    parse_checked(text)
}

/// Whether `text` is canonical JSON (spec §2), decided in one pass over the bytes, without
/// allocating. `true` implies that [`parse_checked`] accepts `text`; `false` says nothing (the
/// caller takes the full path, which names the fault).
pub fn is_canonical(text: &[u8]) -> bool {
    let mut v = Validator { b: text, i: 0 };
    v.value(0) && v.i == text.len()
}

/// The one-pass validator behind [`is_canonical`]: accepts exactly the texts that parse, obey the
/// value rules and re-encode to themselves.
struct Validator<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Validator<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> bool {
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().is_some(),
            Some(b'0'..=b'9') => self.integer(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            _ => false,
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn integer(&mut self) -> bool {
        let start = self.i;
        let mut n: u64 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n * 10 + u64::from(d - b'0');
            if n > MAX_INTEGER {
                return false;
            }
            self.i += 1;
        }
        // No leading zero (a lone 0 is fine).
        !(self.b[start] == b'0' && self.i - start > 1)
    }

    /// A string with only the escapes `\"` and `\\` and no forbidden character; returns the raw
    /// bytes between the quotes.
    fn string(&mut self) -> Option<&'a [u8]> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.i;
        loop {
            // Printable ASCII other than `"` and `\\` eight bytes at a time: most of any line.
            while let Some(w) = self.b.get(self.i..self.i + 8) {
                let mut word = [0u8; 8];
                word.copy_from_slice(w);
                if !all_plain(u64::from_le_bytes(word)) {
                    break;
                }
                self.i += 8;
            }
            let c = self.peek()?;
            match c {
                b'"' => {
                    self.i += 1;
                    let b: &'a [u8] = self.b;
                    return Some(&b[start..self.i - 1]);
                }
                b'\\' => match self.b.get(self.i + 1) {
                    Some(b'"' | b'\\') => self.i += 2,
                    _ => return None,
                },
                0x00..=0x1f | 0x7f => return None,
                0x20..=0x7e => self.i += 1,
                _ => {
                    // Non-ASCII: decode the one character and check it.
                    let len = match c {
                        0xc0..=0xdf => 2,
                        0xe0..=0xef => 3,
                        0xf0..=0xf7 => 4,
                        _ => return None,
                    };
                    let ch = std::str::from_utf8(self.b.get(self.i..self.i + len)?)
                        .ok()?
                        .chars()
                        .next()?;
                    if is_forbidden(ch) {
                        return None;
                    }
                    self.i += len;
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> bool {
        if depth >= MAX_DEPTH || !self.eat(b'{') {
            return false;
        }
        if self.eat(b'}') {
            return true;
        }
        let mut previous: &[u8] = &[];
        loop {
            let Some(key) = self.string() else {
                return false;
            };
            // Valid key syntax (which excludes escapes), strictly ascending: sorted and unique.
            if !is_valid_key_bytes(key) || (!previous.is_empty() && key <= previous) {
                return false;
            }
            previous = key;
            if !self.eat(b':') || !self.value(depth + 1) {
                return false;
            }
            if self.eat(b'}') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    fn array(&mut self, depth: usize) -> bool {
        if depth >= MAX_DEPTH || !self.eat(b'[') {
            return false;
        }
        if self.eat(b']') {
            return true;
        }
        loop {
            if !self.value(depth + 1) {
                return false;
            }
            if self.eat(b']') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }
}

/// Whether each of the eight bytes of `w` is printable ASCII (0x20 to 0x7e) other than `"` and
/// `\\`: none is below 0x20, 0x7f or above, `"` or `\\`. Exact (the zero-byte tests below have no
/// false positives for "some byte is"), so it only ever sends bytes to the slow path.
fn all_plain(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS != 0;
    let has_below_0x20 = w.wrapping_sub(ONES * 0x20) & !w & HIGHS != 0;
    w & HIGHS == 0
        && !has_below_0x20
        && !has_zero(w ^ (ONES * u64::from(b'"')))
        && !has_zero(w ^ (ONES * u64::from(b'\\')))
        && !has_zero(w ^ (ONES * 0x7f))
}

/// The fields of an entry line (spec §3, §4.2) as they stand in its text.
pub(crate) struct LineParts<'a> {
    pub data: &'a str,
    pub key: [u8; 32],
    pub kind: &'a str,
    pub member: [u8; 32],
    pub prev: [u8; 32],
    pub seq: u64,
    pub time: &'a str,
    pub sig: &'a str,
}

/// Splits `line` into its fields when it is canonical JSON of exactly the shape
/// `{"entry":{"data":{..},"key":"..","kind":"..","member":"..","prev":"..","seq":N,"time":"..","v":1},"sig":".."}`
/// where `key`, `member` and `prev` are 64 lowercase hex characters, `time` is 20 and `sig` 88
/// characters, and no string outside `data` has an escape or a character outside printable
/// ASCII; `None` otherwise (the caller then takes the full path, which names the fault). `Some`
/// implies that [`parse`] accepts `line` and that its value has exactly these fields, with these
/// string values and `v` 1.
pub(crate) fn split_entry_line(line: &str) -> Option<LineParts<'_>> {
    let b = line.as_bytes();
    let mut v = Validator { b, i: 0 };
    // A string of exactly `len` printable ASCII characters other than `"` and `\\`, then `"`:
    // written as itself, so its text is its value.
    fn fixed<'a>(v: &mut Validator<'a>, line: &'a str, len: usize) -> Option<&'a str> {
        let s = v.b.get(v.i..v.i + len)?;
        if v.b.get(v.i + len) != Some(&b'"')
            || !s
                .iter()
                .all(|&c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
        {
            return None;
        }
        v.i += len;
        line.get(v.i - len..v.i)
    }
    fn hex<'a>(v: &mut Validator<'a>, line: &'a str) -> Option<([u8; 32], &'a str)> {
        // Lowercase hex digits are printable ASCII other than `"` and `\\`.
        let s = line.get(v.i..v.i + 64)?;
        let bytes = crate::hash::decode_hex32(s)?;
        (v.b.get(v.i + 64) == Some(&b'"')).then_some(())?;
        v.i += 64;
        Some((bytes, s))
    }
    v.literal(b"{\"entry\":{\"data\":").then_some(())?;
    let data_start = v.i;
    // `data` sits at depth 2 (line object 0, entry object 1).
    (v.peek() == Some(b'{') && v.value(2)).then_some(())?;
    let data = &line[data_start..v.i];
    v.literal(b",\"key\":\"").then_some(())?;
    let (key, _) = hex(&mut v, line)?;
    v.literal(b"\",\"kind\":\"").then_some(())?;
    let kind_start = v.i;
    while v
        .peek()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        v.i += 1;
    }
    let kind = &line[kind_start..v.i];
    v.literal(b"\",\"member\":\"").then_some(())?;
    let (member, _) = hex(&mut v, line)?;
    v.literal(b"\",\"prev\":\"").then_some(())?;
    let (prev, _) = hex(&mut v, line)?;
    v.literal(b"\",\"seq\":").then_some(())?;
    let seq_start = v.i;
    (v.peek().is_some_and(|c| c.is_ascii_digit()) && v.integer()).then_some(())?;
    let seq = line[seq_start..v.i].parse().ok()?;
    v.literal(b",\"time\":\"").then_some(())?;
    let time = fixed(&mut v, line, 20)?;
    v.literal(b"\",\"v\":1},\"sig\":\"").then_some(())?;
    let sig = fixed(&mut v, line, 88)?;
    (v.literal(b"\"}") && v.i == b.len()).then_some(())?;
    Some(LineParts {
        data,
        key,
        kind,
        member,
        prev,
        seq,
        time,
        sig,
    })
}

fn is_valid_key_bytes(b: &[u8]) -> bool {
    !b.is_empty()
        && b.len() <= MAX_KEY_LEN
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// The full path of [`parse`]: every check, in the order that fixes the class of a faulty text.
fn parse_checked(text: &str) -> Result<Value, FormatError> {
    if let Some((at, c)) = find_forbidden(text) {
        return Err(FormatError::new(
            ErrorClass::ForbiddenCharacter,
            format!("forbidden character U+{:04X} at byte {}", c as u32, at + 1),
        ));
    }
    if let Some(fault) = scan::first_fault(text) {
        return Err(fault);
    }
    // The scanner found no fault, so the text is JSON of the allowed value types; serde_json only
    // builds its value (a refusal here would be a disagreement between the two readers).
    let value: Value = serde_json::from_str(text)
        .map_err(|e| FormatError::new(ErrorClass::JsonSyntax, format!("not valid JSON: {e}")))?;
    let encoded = encode(&value);
    if encoded.as_bytes() != text.as_bytes() {
        let at = encoded
            .bytes()
            .zip(text.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| encoded.len().min(text.len()));
        return Err(FormatError::new(
            ErrorClass::NonCanonical,
            format!(
                "not in canonical form (first difference at byte {}): no whitespace, keys sorted and unique, \
                 only \\\" and \\\\ escapes, integers without leading zeros",
                at + 1
            ),
        ));
    }
    Ok(value)
}

/// Whether `k` is an allowed object key: `[a-z][a-z0-9_]*`, at most 32 bytes.
pub fn is_valid_key(k: &str) -> bool {
    is_valid_key_bytes(k.as_bytes())
}

/// Encodes a value in canonical form. The value must obey the value rules (as produced by
/// [`parse`] or built from this crate's types); keys come out sorted because `serde_json`'s map
/// is ordered.
pub fn encode(value: &Value) -> String {
    // serde_json's compact writer emits no whitespace, escapes only `"`, `\` and controls (which
    // the value rules exclude), and writes integers in shortest decimal form.
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> Option<ErrorClass> {
        parse(text).err().map(|e| e.class)
    }

    /// `all_plain` agrees with the byte-by-byte rule on every byte value in every position, and
    /// on random words.
    #[test]
    fn all_plain_is_exact() {
        let plain = |c: u8| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\';
        for pos in 0..8 {
            for c in 0..=255u8 {
                let mut w = [b'a'; 8];
                w[pos] = c;
                assert_eq!(
                    all_plain(u64::from_le_bytes(w)),
                    plain(c),
                    "byte {c:#x} at {pos}"
                );
            }
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let w = x.to_le_bytes();
            assert_eq!(all_plain(x), w.iter().all(|&c| plain(c)), "{w:?}");
        }
    }

    #[test]
    fn accepts_canonical() {
        for ok in [
            r#"{}"#,
            r#"{"a":1,"b":[true,false],"c":"x\"y\\z"}"#,
            r#"{"a":"é ü 中"}"#,
            r#"{"a":9007199254740991}"#,
        ] {
            assert_eq!(parse(ok).map(|_| ()), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_each_deviation() {
        use ErrorClass::*;
        let cases = [
            (r#"{"a": 1}"#, NonCanonical),
            (r#"{"b":1,"a":2}"#, NonCanonical),
            (r#"{"a":1,"a":1}"#, NonCanonical),
            (r#"{"a":"\u0041"}"#, NonCanonical),
            (r#"{"a":"\/"}"#, NonCanonical),
            (r#"{"a":01}"#, JsonSyntax),
            (r#"{"a":1.0}"#, JsonSyntax),
            (r#"{"a":1e2}"#, JsonSyntax),
            (r#"{"a":-1}"#, JsonSyntax),
            (r#"{"a":-0}"#, JsonSyntax),
            (r#"{"a":null}"#, JsonSyntax),
            (r#"{"a":9007199254740992}"#, JsonSyntax),
            (r#"{"A":1}"#, JsonSyntax),
            (r#"{"a":"\n"}"#, ForbiddenCharacter),
            ("{\"a\":\"\u{202E}\"}", ForbiddenCharacter),
            ("{\"a\":\"\u{1b}[31m\"}", ForbiddenCharacter),
            ("{\"a\":1}\t", ForbiddenCharacter),
            (r#"{"a":1"#, JsonSyntax),
            (r#"[[[[[[[[[1]]]]]]]]]"#, JsonSyntax),
        ];
        for (text, want) in cases {
            assert_eq!(class(text), Some(want), "{text}");
        }
    }
}
