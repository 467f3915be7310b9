//! The RFC 6962 proofs of `coi_ledger::tlog` against the transparency-dev/merkle test vectors
//! (`tests/data/merkle/`, copied from that repository with its licence): every case whose
//! `wantErr` is false verifies, every other is refused.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use coi_ledger::tlog::{self, Hash};
use serde_json::Value;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("the vectors are there") {
        let p = e.expect("readable").path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    out.sort();
}

fn hash(v: &Value) -> Option<Hash> {
    B64.decode(v.as_str()?).ok()?.try_into().ok()
}

fn hashes(v: &Value) -> Option<Vec<Hash>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Array(a) => a.iter().map(hash).collect(),
        _ => None,
    }
}

fn run(kind: &str, check: impl Fn(&Value) -> bool) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/merkle")
        .join(kind);
    let mut all = Vec::new();
    files(&dir, &mut all);
    assert!(all.len() > 50, "{kind}: {} vectors", all.len());
    for p in &all {
        let v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        let want_err = v["wantErr"].as_bool().expect("wantErr");
        assert_eq!(check(&v), !want_err, "{}: {}", p.display(), v["desc"]);
    }
    all.len()
}

#[test]
fn inclusion_vectors() {
    run("inclusion", |v| {
        let (Some(leaf), Some(root), Some(proof)) =
            (hash(&v["leafHash"]), hash(&v["root"]), hashes(&v["proof"]))
        else {
            return false;
        };
        let (Some(index), Some(size)) = (v["leafIdx"].as_u64(), v["treeSize"].as_u64()) else {
            return false;
        };
        tlog::verify_inclusion(&leaf, index, size, &proof, &root).is_ok()
    });
}

#[test]
fn consistency_vectors() {
    run("consistency", |v| {
        // A case gives equal sizes (one), no proof and equal "roots" that are not 32 bytes
        // ("don't care"): a tree is consistent with itself. `Hash` cannot hold such a root, so the
        // comparison is of the bytes, as the reference code makes it.
        if v["size1"] == v["size2"]
            && v["size1"].as_u64() > Some(0)
            && hashes(&v["proof"]).is_some_and(|p| p.is_empty())
        {
            if let (Some(a), Some(b)) = (v["root1"].as_str(), v["root2"].as_str()) {
                if hash(&v["root1"]).is_none() {
                    return a == b;
                }
            }
        }
        let (Some(r1), Some(r2), Some(proof)) =
            (hash(&v["root1"]), hash(&v["root2"]), hashes(&v["proof"]))
        else {
            return false;
        };
        let (Some(s1), Some(s2)) = (v["size1"].as_u64(), v["size2"].as_u64()) else {
            return false;
        };
        tlog::verify_consistency(s1, s2, &r1, &r2, &proof).is_ok()
    });
}
