//! Canonical JSON (spec §2): the one encoding every line and key file must have.
//!
//! A text is accepted only if it parses, obeys the value rules, and re-encodes to exactly the same
//! bytes. Nothing here repairs input.

use serde_json::Value;

use crate::error::{ErrorClass, FormatError};

/// Largest integer the format allows (2^53 − 1).
pub const MAX_INTEGER: u64 = (1 << 53) - 1;
/// Deepest nesting of objects and arrays.
pub const MAX_DEPTH: usize = 8;
/// Longest object key, in bytes.
pub const MAX_KEY_LEN: usize = 32;

/// Whether `c` is a forbidden character (spec §2): controls, DEL, bidi controls, separators, BOM.
pub fn is_forbidden(c: char) -> bool {
    matches!(c,
        '\u{0000}'..='\u{001F}'
        | '\u{007F}'..='\u{009F}'
        | '\u{061C}'
        | '\u{200E}' | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{2028}' | '\u{2029}'
        | '\u{FEFF}')
}

/// Returns the first forbidden character of `s` with its byte offset, if any.
pub fn find_forbidden(s: &str) -> Option<(usize, char)> {
    // Fast path: ASCII bytes are forbidden only below 0x20 and at 0x7F.
    let bytes = s.as_bytes();
    if bytes.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    s.char_indices().find(|&(_, c)| is_forbidden(c))
}

/// Parses `text` and checks that it is canonical JSON; returns the parsed value.
///
/// Checks, in this order (the order fixes which class a line with several faults gets):
/// forbidden characters anywhere in the raw text, JSON syntax, value rules (no null, no
/// negative or fractional numbers, key syntax, depth, forbidden characters in decoded
/// strings), then byte-exact canonical form.
pub fn parse(text: &str) -> Result<Value, FormatError> {
    if let Some((at, c)) = find_forbidden(text) {
        return Err(FormatError::new(
            ErrorClass::ForbiddenCharacter,
            format!("forbidden character U+{:04X} at byte {}", c as u32, at + 1),
        ));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| FormatError::new(ErrorClass::JsonSyntax, format!("not valid JSON: {e}")))?;
    check_value(&value, 0)?;
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

fn check_value(value: &Value, depth: usize) -> Result<(), FormatError> {
    let syntax = |m: String| FormatError::new(ErrorClass::JsonSyntax, m);
    match value {
        Value::Null => Err(syntax("null is not allowed".into())),
        Value::Bool(_) => Ok(()),
        Value::Number(n) => match n.as_u64() {
            Some(v) if v <= MAX_INTEGER => Ok(()),
            Some(_) => Err(syntax(format!("integer larger than {MAX_INTEGER}"))),
            None => Err(syntax(
                "only non-negative integers are allowed (no sign, fraction or exponent)".into(),
            )),
        },
        Value::String(s) => check_string(s),
        Value::Array(items) => {
            if depth >= MAX_DEPTH {
                return Err(syntax(format!("nested deeper than {MAX_DEPTH}")));
            }
            items.iter().try_for_each(|v| check_value(v, depth + 1))
        }
        Value::Object(map) => {
            if depth >= MAX_DEPTH {
                return Err(syntax(format!("nested deeper than {MAX_DEPTH}")));
            }
            for (k, v) in map {
                if !is_valid_key(k) {
                    return Err(syntax(format!(
                        "object key {} is not [a-z][a-z0-9_]* of at most {MAX_KEY_LEN} bytes",
                        crate::display::quote(k)
                    )));
                }
                check_value(v, depth + 1)?;
            }
            Ok(())
        }
    }
}

fn check_string(s: &str) -> Result<(), FormatError> {
    match find_forbidden(s) {
        Some((_, c)) => Err(FormatError::new(
            ErrorClass::ForbiddenCharacter,
            format!(
                "a string contains the forbidden character U+{:04X}",
                c as u32
            ),
        )),
        None => Ok(()),
    }
}

/// Whether `k` is an allowed object key: `[a-z][a-z0-9_]*`, at most 32 bytes.
pub fn is_valid_key(k: &str) -> bool {
    let b = k.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_KEY_LEN
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
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
