//! The C2SP `tlog-witness` protocol's `add-checkpoint` call, without the network: the request,
//! response and 409 bodies, and the witness's judgement of a request as a pure function
//! ([`add_checkpoint`]) that a real witness and a test witness both run, under a lock, between
//! reading and writing their stored tree head for the origin.
//!
//! The HTTP client is `crate::sync`; this module reads and writes text only.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::note::{self, CosignerKey, NoteVerifier};
use super::{base64_hash, decimal, empty_root, ferr, verify_consistency, Checkpoint};
use super::{FormatError, Hash};

/// The path of the call, after the witness's submission prefix.
pub const ADD_CHECKPOINT_PATH: &str = "/add-checkpoint";
/// The `Content-Type` of a 409 response, whose body is the witness's tree size.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";
/// The most consistency proof lines a request holds (`tlog-witness`).
pub const MAX_PROOF_LINES: usize = 63;
/// The longest request body read: a checkpoint with up to `note::MAX_SIGNATURES` signatures and
/// a full proof fit with room to spare.
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;
/// The most signature lines read in a 200 response.
pub const MAX_RESPONSE_LINES: usize = 16;
/// The longest 200 response body read (16 post-quantum cosignatures fit).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// The longest 409 body read: 20 digits and LF.
pub const MAX_SIZE_BYTES: usize = 21;

/// The prefix of the old size line.
const OLD_PREFIX: &str = "old ";
/// What starts a signature line.
const SIG_PREFIX: &str = "\u{2014} ";

/// An `add-checkpoint` request: the size the client believes the witness has, a consistency
/// proof from it, and the signed checkpoint note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    old: u64,
    proof: Vec<Hash>,
    note: String,
    checkpoint: Checkpoint,
}

impl AddCheckpoint {
    /// A request from old size `old` with `proof` for the signed checkpoint `note`: at most 63
    /// proof hashes, a note whose text is a checkpoint, `old` at most its size.
    pub fn new(old: u64, proof: Vec<Hash>, note: &str) -> Result<AddCheckpoint, FormatError> {
        if proof.len() > MAX_PROOF_LINES {
            return Err(ferr(format!(
                "a consistency proof of {} hashes (at most {MAX_PROOF_LINES})",
                proof.len()
            )));
        }
        let (text, _) = note::split(note)?;
        let checkpoint = Checkpoint::parse(text)?;
        if old > checkpoint.size {
            return Err(ferr(format!(
                "old size {old} is larger than the checkpoint's size {}",
                checkpoint.size
            )));
        }
        Ok(AddCheckpoint {
            old,
            proof,
            note: note.to_string(),
            checkpoint,
        })
    }

    /// Parses a request body strictly: `old N` (decimal, no leading zero), 0 to 63 lines of
    /// canonical base64 of 32 bytes, an empty line, and a signed note whose text is a
    /// checkpoint of at least `N` leaves; every line ends in LF; at most `MAX_REQUEST_BYTES`.
    pub fn parse(body: &[u8]) -> Result<AddCheckpoint, FormatError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(ferr(format!(
                "a request of more than {MAX_REQUEST_BYTES} bytes"
            )));
        }
        let body = std::str::from_utf8(body).map_err(|_| ferr("the request body is not UTF-8"))?;
        let (first, mut rest) = body
            .split_once('\n')
            .ok_or_else(|| ferr("no old size line"))?;
        let old = first
            .strip_prefix(OLD_PREFIX)
            .and_then(decimal)
            .ok_or_else(|| ferr(format!("{first:?} is not an old size line (`old N`)")))?;
        let mut proof = Vec::new();
        loop {
            let (line, after) = rest
                .split_once('\n')
                .ok_or_else(|| ferr("no empty line before the checkpoint"))?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(ferr(format!("more than {MAX_PROOF_LINES} proof lines")));
            }
            proof.push(
                base64_hash(line).ok_or_else(|| ferr(format!("{line:?} is not a base64 hash")))?,
            );
        }
        AddCheckpoint::new(old, proof, rest)
    }

    /// The request body.
    pub fn encode(&self) -> String {
        let mut s = format!("{OLD_PREFIX}{}\n", self.old);
        for h in &self.proof {
            s.push_str(&B64.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.note);
        s
    }

    /// The old size.
    pub fn old(&self) -> u64 {
        self.old
    }

    /// The consistency proof from the old size.
    pub fn proof(&self) -> &[Hash] {
        &self.proof
    }

    /// The signed checkpoint note, as sent.
    pub fn note(&self) -> &str {
        &self.note
    }

    /// The checkpoint (the note's text, not yet verified).
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }
}

/// Reads a 200 response body: one or more signature lines (`— NAME BASE64`, each ending in LF),
/// at most `MAX_RESPONSE_LINES` and `MAX_RESPONSE_BYTES`. Returns the lines without their LF,
/// unchecked (check them with `note::verify_cosignature`).
pub fn parse_cosignatures(body: &[u8]) -> Result<Vec<String>, FormatError> {
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(ferr(format!(
            "a response of more than {MAX_RESPONSE_BYTES} bytes"
        )));
    }
    let body = std::str::from_utf8(body).map_err(|_| ferr("the response is not UTF-8"))?;
    let lines = body
        .strip_suffix('\n')
        .ok_or_else(|| ferr("the response does not end with a newline"))?;
    let lines: Vec<&str> = lines.split('\n').collect();
    if lines.len() > MAX_RESPONSE_LINES {
        return Err(ferr(format!(
            "more than {MAX_RESPONSE_LINES} cosignature lines"
        )));
    }
    for line in &lines {
        if !line.starts_with(SIG_PREFIX) {
            return Err(ferr(format!("{line:?} is not a signature line")));
        }
        note::parse_line(line)?;
    }
    Ok(lines.into_iter().map(str::to_string).collect())
}

/// A 200 response body: the signature lines (without LF), each with LF.
pub fn encode_cosignatures(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Reads a 409 response body (`text/x.tlog.size`): a tree size in decimal and LF.
pub fn parse_size(body: &[u8]) -> Result<u64, FormatError> {
    let bad = || ferr("the 409 body is not a tree size (decimal and a newline)");
    if body.len() > MAX_SIZE_BYTES {
        return Err(bad());
    }
    std::str::from_utf8(body)
        .ok()
        .and_then(|b| b.strip_suffix('\n'))
        .and_then(decimal)
        .ok_or_else(bad)
}

/// A 409 response body: `size` in decimal and LF.
pub fn encode_size(size: u64) -> String {
    format!("{size}\n")
}

/// The tree head a witness keeps for an origin: the size and root of the latest checkpoint it
/// cosigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeHead {
    /// The tree size.
    pub size: u64,
    /// The root hash at that size.
    pub root: Hash,
}

/// The logs a witness follows: each origin's trusted verifier keys.
pub type TrustedLogs = BTreeMap<String, Vec<NoteVerifier>>;

/// A request the witness accepted: what to store, and what to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The new tree head for the origin, to persist before answering.
    pub head: TreeHead,
    /// The witness's cosignature lines (without LF), the 200 body.
    pub cosignatures: Vec<String>,
    /// The checkpoint with the log's verified signatures and the witness's cosignatures: what the
    /// witness serves at `GET <prefix>/<origin hash>/checkpoint`.
    pub cosigned_note: String,
}

/// Why a witness refuses a request, with the HTTP status `tlog-witness` names for it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// 400: the request is malformed, or its old size is larger than the checkpoint's.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 403: no signature by a key trusted for the origin verifies, or one fails.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: the origin is not one the witness follows.
    #[error("unknown origin {0:?}")]
    UnknownOrigin(String),
    /// 409: the old size is not the size the witness last cosigned (`size`, 0 if none).
    #[error("the witness has cosigned size {size}, not the old size given")]
    Conflict {
        /// The witness's size for the origin.
        size: u64,
        /// The signed note submitted (valid, by a trusted key).
        note: String,
    },
    /// 422: the checkpoint is not consistent with what the witness cosigned, or the proof is
    /// bad. The note, validly signed by the log, may be evidence of a misbehaving log: keep it.
    #[error("inconsistent: {reason}")]
    Inconsistent {
        /// What did not hold.
        reason: String,
        /// The signed note submitted (valid, by a trusted key).
        note: String,
    },
    /// 500: the witness could not cosign (its clock gave no valid time).
    #[error("the witness cannot cosign: {0}")]
    Internal(String),
}

impl Refusal {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::BadRequest(_) => 400,
            Refusal::Forbidden(_) => 403,
            Refusal::UnknownOrigin(_) => 404,
            Refusal::Conflict { .. } => 409,
            Refusal::Inconsistent { .. } => 422,
            Refusal::Internal(_) => 500,
        }
    }

    /// The validly signed note of a refused request worth keeping (409 and 422), if any.
    pub fn evidence(&self) -> Option<&str> {
        match self {
            Refusal::Conflict { note, .. } | Refusal::Inconsistent { note, .. } => Some(note),
            _ => None,
        }
    }
}

/// A witness's judgement of an `add-checkpoint` request (`tlog-witness`), given `stored`, the
/// tree head it keeps for the request's origin (`None` if it never cosigned one), the logs it
/// follows, its key and the time. On success the caller must persist `head` before answering,
/// and the read of `stored`, this call and that write must be one atomic step per origin.
///
/// Checks, in order: the origin is followed (404); a trusted signature verifies and none fails
/// (403); the old size is the stored size, or 0 if none (409); a size-0 checkpoint has the empty
/// root (422); from old size 0 the proof is empty, at the stored size the roots are equal, and
/// otherwise the proof is a consistency proof from the stored root (422).
pub fn add_checkpoint(
    logs: &TrustedLogs,
    stored: Option<&TreeHead>,
    request: &AddCheckpoint,
    key: &CosignerKey,
    time: u64,
) -> Result<Accepted, Refusal> {
    let cp = request.checkpoint();
    let keys = logs
        .get(&cp.origin)
        .ok_or_else(|| Refusal::UnknownOrigin(cp.origin.clone()))?;
    let opened = note::open(request.note(), keys).map_err(|e| Refusal::Forbidden(e.to_string()))?;
    let note = request.note().to_string();
    let stored_size = stored.map_or(0, |s| s.size);
    if request.old() != stored_size {
        return Err(Refusal::Conflict {
            size: stored_size,
            note,
        });
    }
    let inconsistent = |reason: String| Refusal::Inconsistent {
        reason,
        note: note.clone(),
    };
    if cp.size == 0 && cp.root != empty_root() {
        return Err(inconsistent(
            "a checkpoint of size 0 whose root is not the empty tree's".into(),
        ));
    }
    if request.old() == 0 {
        if !request.proof().is_empty() {
            return Err(inconsistent(
                "a consistency proof from size 0 must be empty".into(),
            ));
        }
    } else {
        // old == the stored size, so there is a stored head; at equal sizes this checks the roots.
        let head = stored.ok_or_else(|| Refusal::Internal("no stored tree head".into()))?;
        verify_consistency(head.size, cp.size, &head.root, &cp.root, request.proof()).map_err(
            |e| {
                inconsistent(format!(
                    "not consistent with the cosigned size {} (to {}): {e}",
                    head.size, cp.size
                ))
            },
        )?;
    }
    let line = key
        .cosign(&opened.text, time)
        .map_err(|e| Refusal::Internal(e.to_string()))?;
    let mut cosigned_note = format!("{}\n", opened.text);
    for s in &opened.signatures {
        cosigned_note.push_str(&s.line);
        cosigned_note.push('\n');
    }
    cosigned_note.push_str(&line);
    cosigned_note.push('\n');
    Ok(Accepted {
        head: TreeHead {
            size: cp.size,
            root: cp.root,
        },
        cosignatures: vec![line],
        cosigned_note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::note::{NoteKey, NoteVerifier};
    use crate::tlog::{leaf_hash, Tree};

    const ORIGIN: &str = "example.org/board-log";
    const T: u64 = 1_700_000_000;

    fn tree(n: u64, tag: &str) -> Tree {
        Tree::from_leaves((0..n).map(|i| leaf_hash(format!("{tag} {i}").as_bytes())))
    }

    fn log_key() -> NoteKey {
        NoteKey::from_seed(ORIGIN, &[1; 32]).unwrap()
    }

    fn witness_key() -> CosignerKey {
        CosignerKey::from_seed("witness.example.org/w1", &[2; 32]).unwrap()
    }

    fn logs() -> TrustedLogs {
        let v = NoteVerifier::parse(&log_key().vkey()).unwrap();
        TrustedLogs::from([(ORIGIN.to_string(), vec![v])])
    }

    fn signed(t: &Tree, n: u64, key: &NoteKey) -> String {
        let cp = Checkpoint {
            origin: ORIGIN.into(),
            size: n,
            root: t.root(n).unwrap(),
            extensions: vec![],
        };
        note::sign(&cp.body(), key).unwrap()
    }

    fn request(t: &Tree, old: u64, n: u64) -> AddCheckpoint {
        let proof = if old == 0 {
            vec![]
        } else {
            t.consistency_proof(old, n).unwrap()
        };
        AddCheckpoint::new(old, proof, &signed(t, n, &log_key())).unwrap()
    }

    fn judge(stored: Option<TreeHead>, req: &AddCheckpoint) -> Result<Accepted, Refusal> {
        add_checkpoint(&logs(), stored.as_ref(), req, &witness_key(), T)
    }

    fn head(t: &Tree, n: u64) -> TreeHead {
        TreeHead {
            size: n,
            root: t.root(n).unwrap(),
        }
    }

    #[test]
    fn requests_round_trip_and_malformed_ones_are_refused() {
        let t = tree(9, "a");
        let req = request(&t, 5, 9);
        let body = req.encode();
        assert!(body.starts_with("old 5\n"));
        assert_eq!(AddCheckpoint::parse(body.as_bytes()).unwrap(), req);
        let from_zero = request(&t, 0, 9).encode();
        assert!(from_zero.starts_with("old 0\n\n"));
        assert_eq!(
            AddCheckpoint::parse(from_zero.as_bytes()).unwrap().encode(),
            from_zero
        );
        let note = signed(&t, 9, &log_key());
        let proof_line = B64.encode([7u8; 32]);
        for bad in [
            format!("old 05\n\n{note}"),
            format!("old +5\n\n{note}"),
            format!("old  5\n\n{note}"),
            format!("old 10\n\n{note}"),
            format!("old 5\n{note}"),
            format!("old 5\r\n\n{note}"),
            format!("old 5\n{}\n\n{note}", &proof_line[..43]),
            format!("old 5\n{}\n\n{note}", B64.encode([7u8; 31])),
            format!("old 5\n{}\n\n{note}", format!("{proof_line}\n").repeat(64)),
            format!("old 5\n\n{}", note.replace("\n\n", "\n")),
            "old 5\n\nnot a checkpoint\n\n\u{2014} a AAAAAAA=\n".to_string(),
            String::new(),
        ] {
            assert!(AddCheckpoint::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let full = format!("old 5\n{}\n{note}", format!("{proof_line}\n").repeat(63));
        assert_eq!(
            AddCheckpoint::parse(full.as_bytes()).unwrap().proof().len(),
            63
        );
        assert!(AddCheckpoint::parse(&[b'o', 0xff]).is_err());
        let long = format!("old 5\n\n{note}{}", "x".repeat(MAX_REQUEST_BYTES));
        assert!(AddCheckpoint::parse(long.as_bytes()).is_err());
        assert!(AddCheckpoint::new(0, vec![[0; 32]; 64], &note).is_err());
    }

    #[test]
    fn responses_and_sizes_parse_strictly() {
        let line = witness_key()
            .cosign(
                &Checkpoint::parse("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
                    .unwrap()
                    .body(),
                T,
            )
            .unwrap();
        let body = encode_cosignatures(&[line.clone(), line.clone()]);
        assert_eq!(
            parse_cosignatures(body.as_bytes()).unwrap(),
            [line.clone(), line.clone()]
        );
        for bad in [
            String::new(),
            "\n".to_string(),
            line.clone(),
            format!("{line}\n\n"),
            format!("- {}\n", &line[4..]),
            format!("{line}\r\n"),
            format!("{line}\n").repeat(MAX_RESPONSE_LINES + 1),
            "\u{2014} name\n".to_string(),
        ] {
            assert!(parse_cosignatures(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert_eq!(parse_size(encode_size(42).as_bytes()).unwrap(), 42);
        assert_eq!(parse_size(b"0\n").unwrap(), 0);
        assert_eq!(parse_size(b"18446744073709551615\n").unwrap(), u64::MAX);
        for bad in [
            &b""[..],
            b"\n",
            b"42",
            b"042\n",
            b"42\n\n",
            b" 42\n",
            b"18446744073709551616\n",
            b"000000000000000000042\n",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_witness_cosigns_a_consistent_checkpoint_and_moves_forward() {
        let t = tree(20, "a");
        let w = NoteVerifier::parse(&witness_key().vkey()).unwrap();
        let first = judge(None, &request(&t, 0, 7)).unwrap();
        assert_eq!(first.head, head(&t, 7));
        let text = note::split(request(&t, 0, 7).note()).unwrap().0.to_string();
        assert_eq!(
            note::verify_cosignature(&text, &first.cosignatures[0], &w).unwrap(),
            T
        );
        // The served note opens with the log's key and with the witness's.
        let opened = note::open(&first.cosigned_note, std::slice::from_ref(&w)).unwrap();
        assert_eq!(opened.unknown.len(), 1);
        assert!(note::open(&first.cosigned_note, &logs()[ORIGIN]).is_ok());
        let next = judge(Some(first.head), &request(&t, 7, 20)).unwrap();
        assert_eq!(next.head, head(&t, 20));
        // The same checkpoint again is cosigned again; its size stays.
        let again = judge(Some(next.head), &request(&t, 20, 20)).unwrap();
        assert_eq!(again.head, next.head);
        // A stored empty tree moves on from 0 with no proof.
        let e = Tree::new();
        let empty = judge(None, &request(&e, 0, 0)).unwrap();
        assert_eq!(empty.head.root, empty_root());
        assert!(judge(Some(empty.head), &request(&t, 0, 3)).is_ok());
    }

    #[test]
    fn a_witness_refuses_with_the_status_the_spec_names() {
        let t = tree(20, "a");
        let stored = Some(head(&t, 7));
        // 404: an origin it does not follow.
        let other = NoteKey::from_seed("example.org/other", &[1; 32]).unwrap();
        let cp = Checkpoint::parse(
            "example.org/other\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        )
        .unwrap();
        let req = AddCheckpoint::new(0, vec![], &note::sign(&cp.body(), &other).unwrap()).unwrap();
        assert_eq!(judge(None, &req).unwrap_err().status(), 404);
        // 403: signed by another key only, or a trusted signature that fails.
        let stranger = NoteKey::from_seed(ORIGIN, &[9; 32]).unwrap();
        let req = AddCheckpoint::new(0, vec![], &signed(&t, 7, &stranger)).unwrap();
        let r = judge(None, &req).unwrap_err();
        assert_eq!((r.status(), r.evidence()), (403, None));
        let good = signed(&t, 7, &log_key());
        let forged = good.replacen(
            &B64.encode(t.root(7).unwrap()),
            &B64.encode(t.root(6).unwrap()),
            1,
        );
        let req = AddCheckpoint::new(0, vec![], &forged).unwrap();
        assert_eq!(judge(None, &req).unwrap_err().status(), 403);
        // 409: the old size is not the stored one; the body names the stored size.
        match judge(stored, &request(&t, 0, 20)).unwrap_err() {
            Refusal::Conflict { size, note } => {
                assert_eq!((size, note.as_str()), (7, request(&t, 0, 20).note()))
            }
            r => panic!("{r:?}"),
        }
        assert_eq!(judge(None, &request(&t, 5, 20)).unwrap_err().status(), 409);
        assert_eq!(
            judge(stored, &request(&t, 5, 20)).unwrap_err().status(),
            409
        );
        // 422: a bad proof, a proof from 0, a rewritten tree of the same or a larger size.
        let mut bad = request(&t, 7, 20);
        bad.proof[0][0] ^= 1;
        let r = judge(stored, &bad).unwrap_err();
        assert_eq!((r.status(), r.evidence()), (422, Some(bad.note())));
        let mut from_zero = request(&t, 0, 20);
        from_zero.proof = vec![[0; 32]];
        assert_eq!(judge(None, &from_zero).unwrap_err().status(), 422);
        let u = tree(20, "b");
        assert_eq!(judge(stored, &request(&u, 7, 7)).unwrap_err().status(), 422);
        let rewritten = AddCheckpoint::new(
            7,
            t.consistency_proof(7, 20).unwrap(),
            &signed(&u, 20, &log_key()),
        )
        .unwrap();
        assert_eq!(judge(stored, &rewritten).unwrap_err().status(), 422);
        let mut same = request(&t, 7, 7);
        same.proof = vec![[0; 32]];
        assert_eq!(judge(stored, &same).unwrap_err().status(), 422);
        // 422: a size-0 checkpoint whose root is not the empty tree's.
        let zero = Checkpoint {
            origin: ORIGIN.into(),
            size: 0,
            root: [1; 32],
            extensions: vec![],
        };
        let req =
            AddCheckpoint::new(0, vec![], &note::sign(&zero.body(), &log_key()).unwrap()).unwrap();
        assert_eq!(judge(None, &req).unwrap_err().status(), 422);
        // 500: no valid time to cosign at.
        let r = add_checkpoint(&logs(), None, &request(&t, 0, 7), &witness_key(), 0).unwrap_err();
        assert_eq!(r.status(), 500);
    }
}
