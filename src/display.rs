//! Safe display of untrusted text: nothing from a ledger reaches a terminal raw.
//!
//! The format forbids control and bidi characters in entries (spec §2), but text shown by coi also
//! comes from arguments, file names and error messages of other libraries, so every untrusted
//! string goes through [`escape`] on its way out.

use crate::canon::is_forbidden;

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
}
