//! The untrusted-text policy: which characters the format forbids (spec §2) and how text that
//! may hold them is shown.
//!
//! The format forbids control and bidi characters in entries, but text shown by coi also comes
//! from arguments, file names and error messages of other libraries, so every untrusted string
//! goes through [`escape`] on its way out. This module imports nothing from the rest of the crate:
//! the canonical-JSON rules and every message that quotes input build on it.

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

/// Escapes forbidden characters (controls, DEL, C1, bidi controls, separators, BOM) as `\u{XXXX}`.
///
/// Backslashes are doubled so that the output is unambiguous.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if is_forbidden(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// [`escape`]s `s` and puts it in double quotes.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", escape(s))
}

/// Escapes bytes that may not be UTF-8 (e.g. a path or a hostile line) for display.
pub fn escape_bytes(b: &[u8]) -> String {
    escape(&String::from_utf8_lossy(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_and_bidi() {
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\u{001B}[2Jb");
        assert_eq!(
            escape("x\u{202E}y\u{7f}\u{85}"),
            "x\\u{202E}y\\u{007F}\\u{0085}"
        );
        assert_eq!(escape("plain é"), "plain é");
        assert_eq!(escape("a\\b"), "a\\\\b");
    }

    #[test]
    fn finds_the_first_forbidden_character() {
        assert_eq!(find_forbidden("plain ascii"), None);
        assert_eq!(find_forbidden("é\u{202E}x\n"), Some((2, '\u{202E}')));
        assert!(is_forbidden('\u{FEFF}') && !is_forbidden('é'));
    }
}
