//! C2SP transparency log proofs (`tlog-proof@v1`): one entry's index, its inclusion path and
//! the signed checkpoint the path leads to, in one text file that verifies offline
//! (`schema/ledger-v1.md` §13). In coi the `extra` data is the ledger line itself, so the file
//! alone holds the entry it proves.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra BASE64(leaf)
//! index 5
//! BASE64(hash)            (0 to 63 lines: the path, from the leaf's sibling up)
//!
//! the checkpoint note, verbatim, with its signature lines
//! ```

use super::{
    base64_canonical, base64_hash, decimal, leaf_hash, note, verify_inclusion, Checkpoint,
    FormatError, Hash, ProofError, Tree,
};

/// The first line of every proof.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";
/// The file extension C2SP recommends for proofs (without the dot).
pub const EXTENSION: &str = "tlog-proof";
/// The most hashes an inclusion path holds (that of a tree of up to 2^63 leaves).
pub const MAX_PATH: usize = 63;
/// The largest checkpoint note read, in bytes.
pub const MAX_NOTE: usize = 1 << 20;
/// The largest `extra` read, in bytes once decoded: a ledger line, which is what coi puts there.
pub const MAX_EXTRA: usize = crate::MAX_LINE_LEN;
/// The largest proof read, in bytes: every part at its largest.
pub const MAX_PROOF: usize = HEADER.len()
    + 1
    + EXTRA.len()
    + MAX_EXTRA.div_ceil(3) * 4
    + 1
    + INDEX.len()
    + 20
    + 1
    + MAX_PATH * 45
    + 1
    + MAX_NOTE;

/// What starts the `extra` line.
const EXTRA: &str = "extra ";
/// What starts the `index` line.
const INDEX: &str = "index ";
/// What starts a note's signature line: an em dash and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// A parsed C2SP tlog proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// Opaque extra data (not authenticated by the proof); in coi, the ledger line without LF.
    pub extra: Option<Vec<u8>>,
    /// The entry's zero-based index in the log.
    pub index: u64,
    /// The RFC 6962 inclusion path, from the leaf's sibling up to the root's child.
    pub path: Vec<Hash>,
    /// The checkpoint's signed note, verbatim, with its signature lines (ending in LF).
    pub note: String,
}

/// A proof whose checkpoint opened with the log's keys and whose path leads to its root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The checkpoint the entry is included in.
    pub checkpoint: Checkpoint,
    /// The opened note: the names of the keys that verified, and the count of other
    /// signatures.
    pub note: note::Opened,
}

/// Why a proof is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The proof is larger than any this module reads.
    #[error("the proof is {len} bytes, more than the {max} read")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The most read ([`MAX_PROOF`], or [`MAX_NOTE`] for the note).
        max: usize,
    },
    /// A line is not what the format puts there.
    #[error("line {line} of the proof: {reason}")]
    Format {
        /// The line, counted from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The note is not a signed note whose text is a checkpoint.
    #[error("the proof's checkpoint: {0}")]
    Checkpoint(#[source] FormatError),
    /// The note does not open with the log's keys.
    #[error("the proof's checkpoint is not signed by the log: {0}")]
    Signature(#[source] FormatError),
    /// The path does not lead from the leaf at the index to the checkpoint's root.
    #[error("the proof's inclusion path: {0}")]
    Inclusion(#[source] ProofError),
}

/// The lines of a proof, each ending in LF, counted for errors.
struct Lines<'a> {
    rest: &'a str,
    line: usize,
}

impl<'a> Lines<'a> {
    fn next(&mut self) -> Result<&'a str, Error> {
        self.line += 1;
        let (line, rest) = self
            .rest
            .split_once('\n')
            .ok_or_else(|| self.err("the proof ends before its checkpoint"))?;
        self.rest = rest;
        Ok(line)
    }

    fn err(&self, reason: impl Into<String>) -> Error {
        Error::Format {
            line: self.line,
            reason: reason.into(),
        }
    }
}

impl Proof {
    /// The proof of leaf `index` in `tree`, at the size of the checkpoint signed in `note`,
    /// which must be the tree's root at that size.
    pub fn build(
        tree: &Tree,
        index: u64,
        note: String,
        extra: Option<Vec<u8>>,
    ) -> Result<Proof, Error> {
        let checkpoint = checkpoint_of(&note).map_err(Error::Checkpoint)?;
        let root = tree.root(checkpoint.size).map_err(Error::Inclusion)?;
        if root != checkpoint.root {
            return Err(Error::Inclusion(ProofError::Mismatch));
        }
        let path = tree
            .inclusion_proof(index, checkpoint.size)
            .map_err(Error::Inclusion)?;
        Ok(Proof {
            extra,
            index,
            path,
            note,
        })
    }

    /// The leaf the proof carries: its `extra` data, when present (coi's convention).
    pub fn leaf(&self) -> Option<&[u8]> {
        self.extra.as_deref()
    }

    /// The proof's text: the header, `extra` if any, the index, the path, a blank line and the
    /// note. [`Proof::parse`] gives back this proof when its parts are within the limits.
    pub fn encode(&self) -> String {
        use base64::Engine as _;
        let b64 = &base64::engine::general_purpose::STANDARD;
        let mut s = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            s.push_str(EXTRA);
            s.push_str(&b64.encode(extra));
            s.push('\n');
        }
        s.push_str(&format!("{INDEX}{}\n", self.index));
        for h in &self.path {
            s.push_str(&b64.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.note);
        s
    }

    /// Parses a proof, strictly: UTF-8 with no control character but LF, the header line, an
    /// optional `extra` line in canonical standard base64 of at most [`MAX_EXTRA`] bytes, the
    /// index in decimal with no leading zero, at most [`MAX_PATH`] hashes in canonical base64,
    /// a blank line, and a signed note of at most [`MAX_NOTE`] bytes whose text is a checkpoint.
    /// Signatures are not checked here ([`Proof::check`] does). Whatever it accepts,
    /// [`Proof::encode`] writes back byte for byte.
    pub fn parse(bytes: &[u8]) -> Result<Proof, Error> {
        if bytes.len() > MAX_PROOF {
            return Err(Error::TooLarge {
                len: bytes.len(),
                max: MAX_PROOF,
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|e| Error::Format {
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            reason: "not UTF-8".into(),
        })?;
        if let Some(at) = text.find(|c: char| c.is_control() && c != '\n') {
            return Err(Error::Format {
                line: 1 + text[..at].matches('\n').count(),
                reason: "a control character".into(),
            });
        }
        let mut lines = Lines {
            rest: text,
            line: 0,
        };
        if lines.next()? != HEADER {
            return Err(lines.err(format!("the first line is not {HEADER:?}")));
        }
        let mut line = lines.next()?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix(EXTRA) {
            let data = base64_canonical(b64)
                .ok_or_else(|| lines.err("extra is not canonical standard base64"))?;
            if data.len() > MAX_EXTRA {
                return Err(lines.err(format!("extra is more than {MAX_EXTRA} bytes")));
            }
            extra = Some(data);
            line = lines.next()?;
        }
        let index = line
            .strip_prefix(INDEX)
            .and_then(decimal)
            .ok_or_else(|| lines.err("not `index N` (decimal, no leading zero)"))?;
        let mut path = Vec::new();
        loop {
            let line = lines.next()?;
            if line.is_empty() {
                break;
            }
            if path.len() == MAX_PATH {
                return Err(lines.err(format!("more than {MAX_PATH} hashes in the path")));
            }
            path.push(
                base64_hash(line)
                    .ok_or_else(|| lines.err("not a hash in canonical standard base64"))?,
            );
        }
        let note = lines.rest;
        if note.len() > MAX_NOTE {
            return Err(Error::TooLarge {
                len: note.len(),
                max: MAX_NOTE,
            });
        }
        checkpoint_of(note).map_err(Error::Checkpoint)?;
        Ok(Proof {
            extra,
            index,
            path,
            note: note.to_string(),
        })
    }

    /// Verifies the proof of `leaf` (the entry's bytes; in coi the ledger line without LF, as
    /// [`Proof::leaf`] gives): the note opens with `log_keys` ([`note::open`]: every signature
    /// by one of them verifies, and one at least), its text is a checkpoint, the index is below
    /// its size and the path leads from the leaf's RFC 6962 hash to its root.
    ///
    /// `log_keys` are the log's own keys, since any of them that verifies is taken as the
    /// log's signature; count witness cosignatures under your own policy by opening
    /// [`Proof::note`] with the witnesses' keys.
    pub fn check(&self, leaf: &[u8], log_keys: &[note::NoteVerifier]) -> Result<Verified, Error> {
        let opened = note::open(&self.note, log_keys).map_err(Error::Signature)?;
        let checkpoint = Checkpoint::parse(&opened.text).map_err(Error::Checkpoint)?;
        verify_inclusion(
            &leaf_hash(leaf),
            self.index,
            checkpoint.size,
            &self.path,
            &checkpoint.root,
        )
        .map_err(Error::Inclusion)?;
        Ok(Verified {
            checkpoint,
            note: opened,
        })
    }
}

/// The checkpoint of a signed note, without checking its signatures: the text up to the last
/// blank line is a checkpoint, and one or more signature lines follow.
fn checkpoint_of(note: &str) -> Result<Checkpoint, FormatError> {
    let bad = |s: &str| FormatError(s.to_string());
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| bad("no blank line before the signatures"))?;
    let sigs = note[split + 2..]
        .strip_suffix('\n')
        .ok_or_else(|| bad("the signature lines end with a newline"))?;
    if sigs.split('\n').any(|l| !l.starts_with(SIG_PREFIX)) {
        return Err(bad("a line after the blank line is not a signature"));
    }
    Checkpoint::parse(&note[..split + 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "example.org/board-log";

    fn lines(n: u64) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("line {i}").into_bytes()).collect()
    }

    fn key(seed: u8) -> (note::NoteKey, note::NoteVerifier) {
        let k = note::NoteKey::from_seed(ORIGIN, &[seed; 32]).unwrap();
        let v = note::NoteVerifier::parse(&k.vkey()).unwrap();
        (k, v)
    }

    /// A tree of `n` lines and the signed checkpoint of it.
    fn signed(n: u64) -> (Vec<Vec<u8>>, Tree, String, note::NoteVerifier) {
        let all = lines(n);
        let tree = Tree::from_leaves(all.iter().map(|l| leaf_hash(l)));
        let c = Checkpoint {
            origin: ORIGIN.into(),
            size: n,
            root: tree.root(n).unwrap(),
            extensions: vec![],
        };
        let (k, v) = key(3);
        (all, tree, note::sign(&c.body(), &k).unwrap(), v)
    }

    #[test]
    fn proofs_built_from_the_tree_verify_and_round_trip() {
        let (all, tree, note, v) = signed(21);
        for i in 0..21 {
            let p = Proof::build(&tree, i, note.clone(), Some(all[i as usize].clone())).unwrap();
            let text = p.encode();
            let back = Proof::parse(text.as_bytes()).unwrap();
            assert_eq!(back, p);
            assert_eq!(back.encode(), text);
            let ok = back
                .check(back.leaf().unwrap(), std::slice::from_ref(&v))
                .unwrap();
            assert_eq!(ok.checkpoint.size, 21);
            assert_eq!(ok.note.verified, vec![ORIGIN.to_string()]);
        }
        // Without extra, and a tree of one leaf (no path at all).
        let (all, tree, note, v) = signed(1);
        let p = Proof::build(&tree, 0, note, None).unwrap();
        assert!(p.path.is_empty() && p.leaf().is_none());
        let text = p.encode();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nindex 0\n\nexample.org/board-log\n1\n"));
        assert_eq!(Proof::parse(text.as_bytes()).unwrap(), p);
        p.check(&all[0], &[v]).unwrap();
    }

    #[test]
    fn a_tampered_proof_does_not_verify() {
        let (all, tree, note, v) = signed(13);
        let vs = [v];
        let p = Proof::build(&tree, 6, note.clone(), Some(all[6].clone())).unwrap();
        p.check(&all[6], &vs).unwrap();
        let refused = |q: &Proof, leaf: &[u8]| q.check(leaf, &vs).unwrap_err();
        assert!(matches!(refused(&p, &all[5]), Error::Inclusion(_)));
        let mut q = p.clone();
        q.index = 7;
        assert!(matches!(refused(&q, &all[6]), Error::Inclusion(_)));
        q.index = 13;
        assert!(matches!(
            refused(&q, &all[6]),
            Error::Inclusion(ProofError::Range(_))
        ));
        let mut q = p.clone();
        q.path[1][0] ^= 1;
        assert!(matches!(refused(&q, &all[6]), Error::Inclusion(_)));
        let mut q = p.clone();
        q.path.pop();
        assert!(matches!(refused(&q, &all[6]), Error::Inclusion(_)));
        // Another root, size or key: the note no longer opens.
        let (_, _, other_note, _) = signed(14);
        let mut q = p.clone();
        q.note = other_note.replacen("\n14\n", "\n13\n", 1);
        assert!(matches!(refused(&q, &all[6]), Error::Signature(_)));
        let (_, w) = key(4);
        assert!(matches!(
            p.check(&all[6], &[w]).unwrap_err(),
            Error::Signature(_)
        ));
        // A correctly signed checkpoint of another tree (the root differs).
        let (_, t14, n14, v14) = signed(14);
        let mut q = Proof::build(&t14, 6, n14, None).unwrap();
        q.path = p.path.clone();
        assert!(matches!(
            q.check(&all[6], &[v14]).unwrap_err(),
            Error::Inclusion(_)
        ));
        // Building refuses a note that is not the tree's.
        assert!(Proof::build(&tree, 6, signed(14).2, None).is_err());
        assert!(Proof::build(&tree, 13, note, None).is_err());
    }

    #[test]
    fn malformed_proofs_are_refused() {
        let (_, tree, note, _) = signed(5);
        let p = Proof::build(&tree, 4, note.clone(), Some(b"ab".to_vec())).unwrap();
        let good = p.encode();
        assert_eq!(p.path.len(), 1);
        let hash = good.lines().nth(3).unwrap().to_string();
        let extra = "extra YWI=";
        assert_eq!(good.lines().nth(1), Some(extra));
        let bad_hash = format!("{}B=", &hash[..hash.len() - 2]);
        let many = format!("{hash}\n").repeat(MAX_PATH + 1);
        let cases: Vec<(String, &str)> = vec![
            (good.replacen("@v1", "@v2", 1), "wrong header"),
            (format!("\n{good}"), "blank first line"),
            (good.replacen("index 4\n", "index 04\n", 1), "leading zero"),
            (good.replacen("index 4\n", "index +4\n", 1), "signed index"),
            (good.replacen("index 4\n", "index  4\n", 1), "two spaces"),
            (good.replacen("index 4\n", "index\n", 1), "no index"),
            (good.replacen("index 4\n", "", 1), "index line missing"),
            (
                good.replacen("index 4\n", "index 18446744073709551616\n", 1),
                "index overflows",
            ),
            (good.replacen(extra, "extra YWI==", 1), "extra: bad padding"),
            (good.replacen(extra, "extra YWI", 1), "extra: no padding"),
            (good.replacen(extra, "extra YWJ=", 1), "extra: stray bits"),
            (good.replacen(extra, "extra YW-=", 1), "extra: URL alphabet"),
            (good.replacen(extra, "extra  YWI=", 1), "extra: two spaces"),
            (good.replacen(extra, "extra", 1), "extra: no space"),
            (
                good.replacen("index 4\n", "index 4\nextra YWI=\n", 1),
                "extra after index",
            ),
            (good.replacen(&hash, &bad_hash, 1), "non-canonical hash"),
            (
                good.replacen(&hash, &hash[..hash.len() - 4], 1),
                "short hash",
            ),
            (good.replacen(&format!("{hash}\n"), &many, 1), "64 hashes"),
            (
                good.replacen(&format!("{hash}\n\n"), &format!("{hash}\n"), 1),
                "no blank line",
            ),
            (format!("{good}\n"), "trailing blank line"),
            (format!("{good}garbage\n"), "trailing garbage"),
            (format!("{good}garbage"), "trailing garbage, no LF"),
            (good[..good.len() - 1].to_string(), "no final LF"),
            (good.replacen('\n', "\r\n", 1), "CRLF"),
            (good.replacen("\n5\n", "\n05\n", 1), "note: bad size"),
            (
                format!("{HEADER}\nindex 0\n\n{}", note.replace("\n\n", "\n")),
                "note: no signatures",
            ),
            (format!("{HEADER}\nindex 0\n"), "nothing after the index"),
            (String::new(), "empty"),
        ];
        for (bad, why) in cases {
            assert!(Proof::parse(bad.as_bytes()).is_err(), "{why}: {bad:?}");
        }
        assert!(Proof::parse(b"c2sp.org/tlog-proof@v1\n\xff\n").is_err());
        // Too large: refused before anything is read.
        let huge = vec![b'a'; MAX_PROOF + 1];
        assert!(matches!(
            Proof::parse(&huge).unwrap_err(),
            Error::TooLarge { .. }
        ));
        let fat_note = format!("{HEADER}\nindex 0\n\n{}", "x".repeat(MAX_NOTE + 1));
        assert!(matches!(
            Proof::parse(fat_note.as_bytes()).unwrap_err(),
            Error::TooLarge { .. }
        ));
        // The largest extra is read; one byte more is refused.
        let mut q = p.clone();
        q.extra = Some(vec![b'x'; MAX_EXTRA]);
        assert_eq!(Proof::parse(q.encode().as_bytes()).unwrap(), q);
        q.extra = Some(vec![b'x'; MAX_EXTRA + 1]);
        assert!(Proof::parse(q.encode().as_bytes()).is_err());
        // An empty extra is a value of its own and round-trips.
        q.extra = Some(vec![]);
        assert_eq!(Proof::parse(q.encode().as_bytes()).unwrap(), q);
        // A full path of 63 hashes is read.
        q.path = vec![[7; 32]; MAX_PATH];
        assert_eq!(Proof::parse(q.encode().as_bytes()).unwrap(), q);
    }
}
