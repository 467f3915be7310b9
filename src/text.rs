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

/// Whether `c` is shown escaped although the format allows it: characters that are invisible or
/// look like blank space, so that they cannot hide text, join or split what a reader sees, or
/// pad a value into a place where another row seems to begin. Zero-width and other format
/// characters, variation selectors, tags, fillers, and every space but U+0020.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00A0}' | '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{1680}'
        | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
        | '\u{2000}'..='\u{200D}' | '\u{202F}' | '\u{205F}'..='\u{206F}'
        | '\u{2800}' | '\u{3000}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Runs of more ASCII spaces than this are shown counted (`\u{0020}×N`): long runs could push
/// the rest of a value to where a terminal wraps it into what looks like a row of its own.
pub const MAX_SPACE_RUN: usize = 2;

/// Writes `s` into `out` by the policy: `\` doubled, `"` escaped when `quotes`, forbidden and
/// invisible characters as `\u{XXXX}`, long runs of spaces counted.
fn write_escaped(out: &mut String, s: &str, quotes: bool) {
    let mut spaces = 0usize;
    let flush = |out: &mut String, spaces: &mut usize| {
        if *spaces > MAX_SPACE_RUN {
            out.push_str(&format!("\\u{{0020}}\u{00D7}{spaces}", spaces = *spaces));
        } else {
            out.extend(std::iter::repeat_n(' ', *spaces));
        }
        *spaces = 0;
    };
    for c in s.chars() {
        if c == ' ' {
            spaces += 1;
            continue;
        }
        flush(out, &mut spaces);
        match c {
            '\\' => out.push_str("\\\\"),
            '"' if quotes => out.push_str("\\\""),
            c if is_forbidden(c) || is_invisible(c) => {
                out.push_str(&format!("\\u{{{:04X}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    flush(out, &mut spaces);
}

/// Escapes untrusted text for display: backslashes doubled (so the output is unambiguous),
/// forbidden characters (controls, DEL, C1, bidi controls, separators, BOM) and invisible ones
/// ([`is_invisible`]) as `\u{XXXX}`, runs of more than [`MAX_SPACE_RUN`] spaces counted.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    write_escaped(&mut out, s, false);
    out
}

/// Untrusted text as a quoted value: [`escape`] with `"` escaped too, in double quotes, so that
/// nothing inside can end the value or look like a field after it.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    write_escaped(&mut out, s, true);
    out.push('"');
    out
}

/// [`quote`] of at most the first `max` characters of `s`, for one-line views: a longer value
/// is cut and followed by a visible count of what was left out, e.g. `"Acme Ltd, a com"…(+42)`.
pub fn quote_cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => quote(s),
        Some((at, _)) => format!("{}\u{2026}(+{})", quote(&s[..at]), s[at..].chars().count()),
    }
}

/// Makes text that is already escaped where it quotes untrusted values (an error message)
/// safe for a terminal: forbidden and invisible characters as `\u{XXXX}`, nothing else changed
/// (backslashes are not doubled again).
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_forbidden(c) || is_invisible(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
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
    fn quotes_cannot_end_a_value_or_pad_it_into_another_row() {
        assert_eq!(
            quote("Acme\"; mitigation recuse; value \"0 USD"),
            "\"Acme\\\"; mitigation recuse; value \\\"0 USD\""
        );
        assert_eq!(quote("a\\\"b"), "\"a\\\\\\\"b\"");
        assert_eq!(quote("a  b"), "\"a  b\"");
        assert_eq!(quote("a     b"), "\"a\\u{0020}\u{00D7}5b\"");
        assert_eq!(
            quote("x\u{200B}y\u{00A0}z\u{3000}"),
            "\"x\\u{200B}y\\u{00A0}z\\u{3000}\""
        );
        assert_eq!(quote_cut("abcdef", 3), "\"abc\"\u{2026}(+3)");
        assert_eq!(quote_cut("abc", 3), "\"abc\"");
        assert_eq!(quote_cut("éé", 1), "\"é\"\u{2026}(+1)");
        // Already-escaped messages are not escaped twice; what a terminal would act on is.
        assert_eq!(
            sanitize("say \\\"x\\\" \u{1b}[2J"),
            "say \\\"x\\\" \\u{001B}[2J"
        );
    }

    #[test]
    fn finds_the_first_forbidden_character() {
        assert_eq!(find_forbidden("plain ascii"), None);
        assert_eq!(find_forbidden("é\u{202E}x\n"), Some((2, '\u{202E}')));
        assert!(is_forbidden('\u{FEFF}') && !is_forbidden('é'));
    }
}
