//! A published body log checked against a checkpoint with the file in hand: what a witness
//! and a prover check (spec §13). Pure: takes the file's bytes and parsed checkpoints.

use super::{leaf_hash, Checkpoint, Hash, Tree};

/// Why a checkpoint is refused against a body log file: the name evidence keeps, and words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{problem}: {detail}")]
pub struct Refusal {
    /// `truncated`, `root-mismatch`, `backwards`, `inconsistent` or `extensions`.
    pub problem: &'static str,
    /// What was found.
    pub detail: String,
}

fn refuse(problem: &'static str, detail: String) -> Refusal {
    Refusal { problem, detail }
}

/// The RFC 6962 tree of a ledger file: one leaf per line, the line's bytes without LF (spec
/// §13). A file that is not empty ends in LF (a ledger file that does not is refused by
/// verification before this is asked).
pub fn file_tree(bytes: &[u8]) -> Tree {
    let mut tree = Tree::new();
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if !bytes.is_empty() {
        for line in body.split(|b| *b == b'\n') {
            tree.push(leaf_hash(line));
        }
    }
    tree
}

/// Checks `checkpoint` against the tree of the log's file and the latest checkpoint cosigned
/// before for its origin (`previous`: size and root), as a witness holding the whole file
/// does (spec §13): the file holds at least `size` lines and their root is the checkpoint's;
/// the checkpoint does not go back from `previous`, and the file's first `previous.size` lines
/// have `previous.root`, so no line cosigned before was changed. coi cosigns checkpoints
/// without extension lines only (its `witness` entries record origin, size and root).
pub fn judge_checkpoint(
    checkpoint: &Checkpoint,
    tree: &Tree,
    previous: Option<(u64, Hash)>,
) -> Result<(), Refusal> {
    if !checkpoint.extensions.is_empty() {
        return Err(refuse(
            "extensions",
            "the checkpoint has extension lines, which coi does not cosign".into(),
        ));
    }
    if let Some((size, _)) = previous {
        if checkpoint.size < size {
            return Err(refuse(
                "backwards",
                format!(
                    "the checkpoint is of {} lines, and {} were cosigned before: a log only grows",
                    checkpoint.size, size
                ),
            ));
        }
    }
    if tree.size() < checkpoint.size {
        return Err(refuse(
            "truncated",
            format!(
                "the file holds {} lines and the checkpoint is of {}: lines were withheld",
                tree.size(),
                checkpoint.size
            ),
        ));
    }
    let root = tree
        .root(checkpoint.size)
        .map_err(|e| refuse("truncated", e.to_string()))?;
    if root != checkpoint.root {
        return Err(refuse(
            "root-mismatch",
            format!(
                "the file's first {} lines do not have the checkpoint's root: the file is not the log the checkpoint signs",
                checkpoint.size
            ),
        ));
    }
    if let Some((size, old_root)) = previous {
        let root = tree
            .root(size)
            .map_err(|e| refuse("inconsistent", e.to_string()))?;
        if root != old_root {
            return Err(refuse(
                "inconsistent",
                format!(
                    "the file's first {size} lines are not those cosigned before: the log's history was rewritten"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect()
    }

    fn cp(tree: &Tree, size: u64) -> Checkpoint {
        Checkpoint {
            origin: "example.org/log".into(),
            size,
            root: tree.root(size).expect("in range"),
            extensions: vec![],
        }
    }

    #[test]
    fn a_grown_log_passes_and_every_bad_one_is_named() {
        let t10 = file_tree(&file(10));
        let t12 = file_tree(&file(12));
        assert_eq!(t12.size(), 12);
        let c10 = cp(&t10, 10);
        let c12 = cp(&t12, 12);
        assert_eq!(judge_checkpoint(&c12, &t12, Some((10, c10.root))), Ok(()));
        assert_eq!(judge_checkpoint(&c10, &t12, None), Ok(()));
        let p = |r: Result<(), Refusal>| r.err().map(|e| e.problem);
        assert_eq!(p(judge_checkpoint(&c12, &t10, None)), Some("truncated"));
        assert_eq!(
            p(judge_checkpoint(&c10, &t12, Some((12, c12.root)))),
            Some("backwards")
        );
        let mut rewritten = file(12);
        rewritten[0] = b'L';
        let tr = file_tree(&rewritten);
        assert_eq!(
            p(judge_checkpoint(&cp(&tr, 12), &tr, Some((10, c10.root)))),
            Some("inconsistent")
        );
        assert_eq!(p(judge_checkpoint(&c12, &tr, None)), Some("root-mismatch"));
        let mut ext = c12.clone();
        ext.extensions.push("x".into());
        assert_eq!(p(judge_checkpoint(&ext, &t12, None)), Some("extensions"));
        assert_eq!(file_tree(b"").size(), 0);
    }
}
