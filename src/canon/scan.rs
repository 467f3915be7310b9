//! The first fault of a JSON text in text order (spec §2, step 2).
//!
//! The canonical fast path accepts a good text in one pass; a text it refuses comes here to be
//! given its class. Faults are found in the order they stand in the text, whatever their kind, so
//! that a streaming reader and a tree-building reader name the same one. Whitespace between
//! tokens is still allowed here (it is a matter of canonical form, step 3).

use crate::error::{ErrorClass, FormatError};
use crate::text::is_forbidden;

use super::{MAX_DEPTH, MAX_INTEGER, MAX_KEY_LEN};

/// The first fault of `text` in text order under the rules of spec §2 step 2, or `None` if the
/// text is JSON of the allowed value types (it may still be non-canonical).
pub(crate) fn first_fault(text: &str) -> Option<FormatError> {
    let mut s = Scanner {
        b: text.as_bytes(),
        i: 0,
    };
    let r = s.ws().and_then(|()| s.value(1)).and_then(|()| s.ws());
    match r {
        Err(f) => Some(f),
        Ok(()) if s.i < s.b.len() => Some(s.syntax("unexpected text after the JSON value")),
        Ok(()) => None,
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

type Step = Result<(), FormatError>;

impl Scanner<'_> {
    fn syntax(&self, what: &str) -> FormatError {
        FormatError::new(
            ErrorClass::JsonSyntax,
            format!("not valid JSON: {what} at byte {}", self.i + 1),
        )
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Whitespace as RFC 8259 allows it; only the space can reach here (TAB, LF and CR are
    /// forbidden characters, refused in step 1), but the grammar is kept whole.
    fn ws(&mut self) -> Step {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Step {
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(|_| ()),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => {
                self.literal(b"null")?;
                self.i -= 4;
                Err(self.syntax("null is not allowed"))
            }
            None => Err(self.syntax("unexpected end of text")),
            Some(_) => Err(self.syntax("expected a value")),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Step {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.syntax("invalid literal"))
        }
    }

    fn deeper(&self, depth: usize) -> Step {
        if depth > MAX_DEPTH {
            Err(FormatError::new(
                ErrorClass::JsonSyntax,
                format!("nested deeper than {MAX_DEPTH} at byte {}", self.i + 1),
            ))
        } else {
            Ok(())
        }
    }

    fn object(&mut self, depth: usize) -> Step {
        self.deeper(depth)?;
        self.i += 1;
        self.ws()?;
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.syntax("expected a key"));
            }
            let start = self.i;
            let key = self.string()?;
            if !(1..=MAX_KEY_LEN).contains(&key.len())
                || !key.as_bytes()[0].is_ascii_lowercase()
                || !key
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
            {
                return Err(FormatError::new(
                    ErrorClass::JsonSyntax,
                    format!(
                        "object key {} at byte {} is not [a-z][a-z0-9_]* of at most {MAX_KEY_LEN} bytes",
                        crate::text::quote(&key),
                        start + 1
                    ),
                ));
            }
            self.ws()?;
            if self.peek() != Some(b':') {
                return Err(self.syntax("expected `:`"));
            }
            self.i += 1;
            self.ws()?;
            self.value(depth + 1)?;
            self.ws()?;
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                    self.ws()?;
                }
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.syntax("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Step {
        self.deeper(depth)?;
        self.i += 1;
        self.ws()?;
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.value(depth + 1)?;
            self.ws()?;
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                    self.ws()?;
                }
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.syntax("expected `,` or `]`")),
            }
        }
    }

    /// An RFC 8259 number: refused at its first byte if it has a sign, fraction or exponent or
    /// is too large, and as a syntax error if it is not a number at all.
    fn number(&mut self) -> Step {
        let start = self.i;
        let only_integers = |s: &Self| {
            FormatError::new(
                ErrorClass::JsonSyntax,
                format!(
                    "only non-negative integers are allowed (no sign, fraction or exponent) at byte {}",
                    s.i + 1
                ),
            )
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.i += 1;
                }
            }
            _ => return Err(self.syntax("invalid number")),
        }
        if matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.syntax("number with a leading zero"));
        }
        let int_end = self.i;
        let mut plain = self.b[start] != b'-';
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.syntax("invalid number"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
            plain = false;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.syntax("invalid number"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
            plain = false;
        }
        let end = self.i;
        self.i = start;
        if !plain {
            return Err(only_integers(self));
        }
        let digits = &self.b[start..int_end];
        let too_big = digits.len() > 16
            || digits
                .iter()
                .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'))
                > MAX_INTEGER;
        if too_big {
            return Err(FormatError::new(
                ErrorClass::JsonSyntax,
                format!("integer larger than {MAX_INTEGER} at byte {}", start + 1),
            ));
        }
        self.i = end;
        Ok(())
    }

    /// A string starting at the `"` under the cursor; returns its decoded value. An escape that
    /// decodes to a forbidden character is `forbidden-character` at that escape.
    fn string(&mut self) -> Result<String, FormatError> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = &self.b[self.i..];
            // Copy the run of plain characters up to the next quote, backslash or control.
            let run = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(rest.len());
            // The text is valid UTF-8 and the run ends at an ASCII byte, so it is whole characters.
            out.push_str(std::str::from_utf8(&rest[..run]).unwrap_or_default());
            self.i += run;
            match self.peek() {
                None => return Err(self.syntax("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let at = self.i;
                    self.i += 1;
                    let c = self.escape()?;
                    if is_forbidden(c) {
                        return Err(FormatError::new(
                            ErrorClass::ForbiddenCharacter,
                            format!(
                                "a string contains the forbidden character U+{:04X}, escaped at byte {}",
                                c as u32,
                                at + 1
                            ),
                        ));
                    }
                    out.push(c);
                }
                Some(_) => return Err(self.syntax("control character in a string")),
            }
        }
    }

    /// The escape after a backslash; the cursor ends after it.
    fn escape(&mut self) -> Result<char, FormatError> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.i += 1;
                let hi = self.hex4()?;
                if (0xDC00..0xE000).contains(&hi) {
                    return Err(self.syntax("lone low surrogate escape"));
                }
                if (0xD800..0xDC00).contains(&hi) {
                    if !self.b[self.i..].starts_with(b"\\u") {
                        return Err(self.syntax("high surrogate escape not followed by a low one"));
                    }
                    self.i += 2;
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(self.syntax("high surrogate escape not followed by a low one"));
                    }
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return char::from_u32(c).ok_or_else(|| self.syntax("invalid escape"));
                }
                return char::from_u32(hi).ok_or_else(|| self.syntax("invalid escape"));
            }
            _ => return Err(self.syntax("invalid escape")),
        };
        self.i += 1;
        Ok(c)
    }

    fn hex4(&mut self) -> Result<u32, FormatError> {
        let digits = self
            .b
            .get(self.i..self.i + 4)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .ok_or_else(|| self.syntax("invalid \\u escape"))?;
        let v = digits.iter().fold(0u32, |n, &d| {
            n * 16 + (d as char).to_digit(16).unwrap_or_default()
        });
        self.i += 4;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(t: &str) -> Option<ErrorClass> {
        first_fault(t).map(|f| f.class)
    }

    #[test]
    fn good_texts_have_no_fault() {
        for t in [
            "{}",
            "[]",
            r#"{"a":1,"b":[true,false,"x"]}"#,
            r#"{ "b" : 1 , "a" : 2 }"#,
            r#"{"a":1,"a":2}"#,
            r#""\u0041\/""#,
            "9007199254740991",
            r#""\ud83d\ude00""#,
        ] {
            assert_eq!(first_fault(t), None, "{t}");
        }
    }

    #[test]
    fn faults_are_classed_in_text_order() {
        use ErrorClass::*;
        let cases = [
            (r#"{"a":"\u0000","b":nul}"#, ForbiddenCharacter),
            (r#"{"a":nul,"b":"\u0000"}"#, JsonSyntax),
            (r#"{"a":null,"b":"\u0000"}"#, JsonSyntax),
            (r#"{"b":"\u0000","a":null}"#, ForbiddenCharacter),
            (r#"{"a":1,"a":null}"#, JsonSyntax),
            (r#"{"\u0000":1}"#, ForbiddenCharacter),
            (r#"{"A":"\u0000"}"#, JsonSyntax),
            (r#""\ud800""#, JsonSyntax),
            (r#""\ud800\u0041""#, JsonSyntax),
            (r#""\udc00""#, JsonSyntax),
            ("-1", JsonSyntax),
            ("1.0", JsonSyntax),
            ("1e3", JsonSyntax),
            ("01", JsonSyntax),
            ("9007199254740992", JsonSyntax),
            ("{} x", JsonSyntax),
            ("", JsonSyntax),
            (r#"{"a":"x"#, JsonSyntax),
            (r#""\u001f\x""#, ForbiddenCharacter),
            (r#""\x\u001f""#, JsonSyntax),
        ];
        for (t, c) in cases {
            assert_eq!(class(t), Some(c), "{t}");
        }
    }

    #[test]
    fn depth_counts_the_outermost_value_as_one() {
        let ok = format!("{}{}", "[".repeat(8), "]".repeat(8));
        assert_eq!(first_fault(&ok), None);
        let deep = format!("{}{}", "[".repeat(9), "]".repeat(9));
        assert_eq!(class(&deep), Some(ErrorClass::JsonSyntax));
        // A forbidden escape before the ninth level is found first.
        let t = format!(r#"["\u0000",{}{}]"#, "[".repeat(8), "]".repeat(8));
        assert_eq!(class(&t), Some(ErrorClass::ForbiddenCharacter));
    }
}
