//! A body's ledger as a transparency log: the RFC 6962 Merkle tree over its lines (SHA-256,
//! leaf = the line's bytes without LF), inclusion and consistency proofs (RFC 9162 §2.1),
//! C2SP checkpoints (`tlog-checkpoint`) carried in C2SP signed notes (`signed-note`), and a
//! [`Frontier`]: the O(log n) state a store keeps to extend the tree without its leaves.
//!
//! Written from the specs; `tests/tlog_go.rs` checks it against Go's `golang.org/x/mod/sumdb`
//! (`tlog` and `note`), and `tests/tlog_vectors.rs` against the transparency-dev/merkle test
//! vectors. Nothing here reads files.

use sha2::{Digest, Sha256};

/// A SHA-256 hash of the tree.
pub type Hash = [u8; 32];

/// The RFC 6962 hash of a leaf: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The RFC 6962 hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// A Merkle tree grown leaf by leaf. It keeps the hash of every complete subtree (2n hashes in
/// all), so appending costs O(log n) and any root or proof O(log² n) at most.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    /// `levels[h][i]`: the hash of the complete subtree of 2^h leaves from leaf i·2^h.
    levels: Vec<Vec<Hash>>,
}

/// Why a proof or tree request is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The index or sizes are out of range for the tree.
    #[error("out of range: {0}")]
    Range(String),
    /// The proof has the wrong number of hashes for the sizes.
    #[error("the proof has the wrong length")]
    Length,
    /// The proof does not lead to the root given.
    #[error("the proof does not match the root")]
    Mismatch,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Tree {
        Tree::default()
    }

    /// A tree of these leaf hashes.
    pub fn from_leaves(leaves: impl IntoIterator<Item = Hash>) -> Tree {
        let mut t = Tree::new();
        for l in leaves {
            t.push(l);
        }
        t
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(h);
            let n = self.levels[level].len();
            if n % 2 == 1 {
                break;
            }
            h = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            level += 1;
        }
    }

    /// MTH of the `n` leaves from `start`, where `start` is a multiple of the largest power of
    /// two not above `n` (as every range of RFC 6962's recursion is).
    fn mth(&self, start: u64, n: u64) -> Hash {
        if n == 0 {
            return empty_root();
        }
        if n.is_power_of_two() {
            let h = n.trailing_zeros() as usize;
            return self.levels[h][(start >> h) as usize];
        }
        let k = split(n);
        node_hash(&self.mth(start, k), &self.mth(start + k, n - k))
    }

    /// The root of the first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash, ProofError> {
        self.holds(size)?;
        Ok(self.mth(0, size))
    }

    /// Refuses a size beyond the tree's.
    fn holds(&self, size: u64) -> Result<(), ProofError> {
        if size > self.size() {
            return Err(ProofError::Range(format!(
                "tree size {size} > {}",
                self.size()
            )));
        }
        Ok(())
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves (RFC 6962
    /// PATH).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        if index >= size || size > self.size() {
            return Err(ProofError::Range(format!(
                "leaf {index} of a tree of {size} (of {})",
                self.size()
            )));
        }
        let mut out = Vec::new();
        self.path(index, 0, size, &mut out);
        Ok(out)
    }

    fn path(&self, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) {
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < k {
            self.path(m, start, k, out);
            out.push(self.mth(start + k, n - k));
        } else {
            self.path(m - k, start + k, n - k, out);
            out.push(self.mth(start, k));
        }
    }

    /// The consistency proof from the tree of the first `old` leaves to that of the first `new`
    /// (RFC 6962 PROOF), 0 < old ≤ new.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        if old == 0 || old > new || new > self.size() {
            return Err(ProofError::Range(format!(
                "consistency from {old} to {new} (of {})",
                self.size()
            )));
        }
        let mut out = Vec::new();
        self.subproof(old, 0, new, true, &mut out);
        Ok(out)
    }

    fn subproof(&self, m: u64, start: u64, n: u64, whole: bool, out: &mut Vec<Hash>) {
        if m == n {
            if !whole {
                out.push(self.mth(start, n));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, k, whole, out);
            out.push(self.mth(start + k, n - k));
        } else {
            self.subproof(m - k, start + k, n - k, false, out);
            out.push(self.mth(start, k));
        }
    }
}

/// The incremental state of a tree: the hashes of its complete subtrees, one per set bit of the
/// size (at most 64), so a tree persisted beside its checkpoint grows later at O(new leaves +
/// log n) without its leaves.
///
/// # Wire format
///
/// [`Frontier::to_bytes`] writes the size as 8 bytes big-endian, then the subtree hashes from
/// the leftmost (largest) subtree to the rightmost, 32 bytes each: 8 + 32 · popcount(size)
/// bytes. [`Frontier::from_bytes`] takes exactly that and nothing else.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// `subtrees[i]`: the root of the complete subtree of the i-th set bit of `size`, from the
    /// highest.
    subtrees: Vec<Hash>,
}

/// Why a [`Frontier`]'s bytes are refused, or it cannot grow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrontierError {
    /// The bytes are not the length their size requires (8 + 32 · popcount(size)).
    #[error("a frontier of {size} leaves is {expected} bytes, not {actual}")]
    Length {
        /// The size read (0 when not even 8 bytes were given).
        size: u64,
        /// The length that size requires.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// The tree already holds 2^64 − 1 leaves.
    #[error("the tree is full")]
    Full,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash: O(1) amortized, O(log n) at most.
    pub fn push(&mut self, leaf: Hash) -> Result<(), FrontierError> {
        let size = self.size.checked_add(1).ok_or(FrontierError::Full)?;
        let mut h = leaf;
        // Each trailing 1 bit of the old size is a subtree the new leaf completes.
        for _ in 0..self.size.trailing_ones() {
            let Some(left) = self.subtrees.pop() else {
                break;
            };
            h = node_hash(&left, &h);
        }
        self.subtrees.push(h);
        self.size = size;
        Ok(())
    }

    /// The tree's root (RFC 6962 MTH): the subtrees folded from the right.
    pub fn root(&self) -> Hash {
        let mut it = self.subtrees.iter().rev();
        let Some(last) = it.next() else {
            return empty_root();
        };
        it.fold(*last, |r, left| node_hash(left, &r))
    }

    /// The canonical bytes (see the type's wire format).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 32 * self.subtrees.len());
        out.extend_from_slice(&self.size.to_be_bytes());
        for h in &self.subtrees {
            out.extend_from_slice(h);
        }
        out
    }

    /// Reads [`Frontier::to_bytes`]'s encoding, strictly: exactly 8 + 32 · popcount(size)
    /// bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Frontier, FrontierError> {
        let bad = |size: u64, expected: usize| FrontierError::Length {
            size,
            expected,
            actual: bytes.len(),
        };
        let Some((head, rest)) = bytes.split_first_chunk::<8>() else {
            return Err(bad(0, 8));
        };
        let size = u64::from_be_bytes(*head);
        let count = size.count_ones() as usize;
        let (chunks, tail) = rest.as_chunks::<32>();
        if chunks.len() != count || !tail.is_empty() {
            return Err(bad(size, 8 + 32 * count));
        }
        Ok(Frontier {
            size,
            subtrees: chunks.to_vec(),
        })
    }
}

impl Tree {
    /// The frontier of the tree of the first `size` leaves: O(log n).
    pub fn frontier(&self, size: u64) -> Result<Frontier, ProofError> {
        self.holds(size)?;
        let mut subtrees = Vec::with_capacity(size.count_ones() as usize);
        let mut start = 0u64;
        for h in (0..64).rev() {
            if (size >> h) & 1 == 1 {
                subtrees.push(self.levels[h][(start >> h) as usize]);
                start += 1 << h;
            }
        }
        Ok(Frontier { size, subtrees })
    }
}

/// The root of a tree of these leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    Tree::from_leaves(leaves.iter().copied()).mth(0, leaves.len() as u64)
}

/// Checks that `proof` proves leaf hash `leaf` at `index` in a tree of `size` leaves with root
/// `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::Range(format!(
            "leaf {index} of a tree of {size}"
        )));
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::Length);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::Length);
    }
    if r != *root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// Checks that `proof` proves the tree of `old` leaves with root `old_root` is a prefix of the
/// tree of `new` leaves with root `new_root` (RFC 9162 §2.1.4.2), 0 < old ≤ new.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    // A proof from the empty tree proves nothing (and the reference code refuses it).
    if old == 0 || old > new {
        return Err(ProofError::Range(format!(
            "consistency from {old} to {new}"
        )));
    }
    if old == new {
        if !proof.is_empty() {
            return Err(ProofError::Length);
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return Err(ProofError::Length);
    };
    let (mut fnode, mut snode) = (old - 1, new - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::Length);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::Length);
    }
    if fr != *old_root || sr != *new_root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// A C2SP `tlog-checkpoint`: the log's origin, size and root hash, and extension lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin (its unique name, e.g. `example.org/board-log`).
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The tree's root.
    pub root: Hash,
    /// Extension lines, in order (opaque here).
    pub extensions: Vec<String>,
}

/// Why a checkpoint or note is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormatError(pub String);

fn ferr(s: impl Into<String>) -> FormatError {
    FormatError(s.into())
}

impl Checkpoint {
    /// The checkpoint's text: origin, size and base64 root, extensions, each ending in LF.
    pub fn body(&self) -> String {
        use base64::Engine as _;
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            base64::engine::general_purpose::STANDARD.encode(self.root)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parses a checkpoint's text (a signed note's text, §`tlog-checkpoint`), strictly: every
    /// line ends in LF, the origin and extensions are not empty, the size is decimal with no
    /// leading zero, the root is canonical standard base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<Checkpoint, FormatError> {
        let Some(body) = text.strip_suffix('\n') else {
            return Err(ferr("a checkpoint ends with a newline"));
        };
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(ferr("a checkpoint's origin line is empty"));
        }
        let size_text = lines.next().ok_or_else(|| ferr("no tree size line"))?;
        let size = decimal(size_text)
            .ok_or_else(|| ferr(format!("tree size {size_text:?} is not a decimal number")))?;
        let root_text = lines.next().ok_or_else(|| ferr("no root hash line"))?;
        let root = base64_hash(root_text)
            .ok_or_else(|| ferr("the root hash is not base64 of 32 bytes"))?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(ferr("an empty extension line"));
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }
}

/// A decimal number with no leading zero (but `0` itself), as C2SP writes sizes and indexes.
fn decimal(text: &str) -> Option<u64> {
    let ok = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    ok.then(|| text.parse().ok()).flatten()
}

/// Canonical standard base64 (padded, no stray bits): the bytes only if re-encoding them gives
/// `text` back.
fn base64_canonical(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let b64 = &base64::engine::general_purpose::STANDARD;
    b64.decode(text).ok().filter(|b| b64.encode(b) == text)
}

/// A hash in canonical standard base64.
fn base64_hash(text: &str) -> Option<Hash> {
    base64_canonical(text).and_then(|b| b.try_into().ok())
}

pub mod body;
pub mod note;
pub mod policy;
pub mod proof;
pub mod witness;

/// Checks a cosignature of the checkpoint `{origin, size, root}` (no extension lines) by the
/// cosigner `vkey`, as a `witness` entry gives them (spec §8.3): `cosignature` is the base64 of
/// the C2SP cosignature/v1 blob (key hash, timestamp, signature). Returns the cosignature's time.
pub fn cosigned_ref(
    origin: &str,
    size: u64,
    root: &Hash,
    vkey: &str,
    cosignature: &str,
) -> Result<u64, FormatError> {
    let cosigner = note::NoteVerifier::parse(vkey)?;
    if cosigner.kind() != note::KeyKind::CosignatureV1 {
        return Err(ferr(
            "the cosigner's key is not a cosignature/v1 key (type 0x04)",
        ));
    }
    if !crate::entry::is_canonical_base64(cosignature) {
        return Err(ferr("the cosignature is not canonical padded base64"));
    }
    let body = Checkpoint {
        origin: origin.to_string(),
        size,
        root: *root,
        extensions: vec![],
    }
    .body();
    note::verify_cosignature(
        &body,
        &cosignature_line(cosigner.name(), cosignature),
        &cosigner,
    )
}

/// The signature line of a cosignature kept as a name and a base64 blob.
pub fn cosignature_line(name: &str, blob: &str) -> String {
    format!("\u{2014} {name} {blob}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("line {i}").as_bytes()))
            .collect()
    }

    /// MTH as RFC 6962 defines it, by its recursion over a slice.
    fn mth(d: &[Hash]) -> Hash {
        match d.len() {
            0 => empty_root(),
            1 => d[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&mth(&d[..k]), &mth(&d[k..]))
            }
        }
    }

    #[test]
    fn roots_are_rfc_6962_mth_and_proofs_verify_for_every_size_and_index() {
        let all = leaves(40);
        let tree = Tree::from_leaves(all.iter().copied());
        for n in 1..=40u64 {
            let r = tree.root(n).unwrap();
            assert_eq!(r, mth(&all[..n as usize]), "size {n}");
            for i in 0..n {
                let p = tree.inclusion_proof(i, n).unwrap();
                verify_inclusion(&all[i as usize], i, n, &p, &r).unwrap();
                // Any flipped byte, or the wrong index, is refused.
                if !p.is_empty() {
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert!(verify_inclusion(&all[i as usize], i, n, &bad, &r).is_err());
                }
                if n > 1 {
                    assert!(verify_inclusion(&all[i as usize], (i + 1) % n, n, &p, &r).is_err());
                }
            }
            for m in 1..=n {
                let p = tree.consistency_proof(m, n).unwrap();
                let old = tree.root(m).unwrap();
                verify_consistency(m, n, &old, &r, &p).unwrap();
                if !p.is_empty() {
                    let mut bad = p.clone();
                    let last = bad.len() - 1;
                    bad[last][31] ^= 1;
                    assert!(verify_consistency(m, n, &old, &r, &bad).is_err(), "{m} {n}");
                }
                if m < n {
                    assert!(verify_consistency(m, n, &r, &old, &p).is_err());
                }
            }
        }
        assert_eq!(root(&[]), empty_root());
    }

    #[test]
    fn a_frontier_has_the_root_of_the_tree_at_every_size() {
        let all = leaves(300);
        let tree = Tree::from_leaves(all.iter().copied());
        let mut f = Frontier::new();
        assert_eq!(f.root(), empty_root());
        for n in 0..=300u64 {
            assert_eq!(f.size(), n);
            assert_eq!(f.root(), tree.root(n).unwrap(), "size {n}");
            assert_eq!(f.root(), mth(&all[..n as usize]), "size {n}");
            assert_eq!(tree.frontier(n).unwrap(), f, "size {n}");
            let bytes = f.to_bytes();
            assert_eq!(bytes.len(), 8 + 32 * n.count_ones() as usize);
            assert_eq!(Frontier::from_bytes(&bytes).unwrap(), f);
            // One byte more or less, or another size's count of hashes, is refused.
            assert!(Frontier::from_bytes(&bytes[..bytes.len() - 1]).is_err());
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(Frontier::from_bytes(&longer).is_err());
            let mut other = bytes.clone();
            other[..8].copy_from_slice(&(n + 1).to_be_bytes());
            if (n + 1).count_ones() != n.count_ones() {
                assert!(Frontier::from_bytes(&other).is_err(), "size {n}");
            }
            if let Some(&leaf) = all.get(n as usize) {
                f.push(leaf).unwrap();
            }
        }
        assert!(tree.frontier(301).is_err());
        assert!(Frontier::from_bytes(&[]).is_err());
        assert!(Frontier::from_bytes(&[0; 7]).is_err());
        // A persisted frontier grows into the same tree as one never stored.
        let mut g = Frontier::from_bytes(&tree.frontier(100).unwrap().to_bytes()).unwrap();
        for &l in &all[100..] {
            g.push(l).unwrap();
        }
        assert_eq!(g.root(), tree.root(300).unwrap());
        let mut full =
            Frontier::from_bytes(&[[0xff; 8].as_slice(), &[7; 32 * 64]].concat()).unwrap();
        assert_eq!(full.push([0; 32]), Err(FrontierError::Full));
    }

    #[test]
    fn a_checkpoint_round_trips_and_bad_ones_are_refused() {
        let c = Checkpoint {
            origin: "example.org/board-log".into(),
            size: 7,
            root: [9; 32],
            extensions: vec!["ext one".into()],
        };
        assert_eq!(Checkpoint::parse(&c.body()).unwrap(), c);
        for bad in [
            "",
            "\n7\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n",
            "o\n07\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n",
            "o\n7\nCQkJ\n",
            "o\n7\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=",
            "o\n7\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n\n",
            "o\n-1\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n",
        ] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn notes_sign_and_open_and_refuse_what_does_not_verify() {
        let k = note::NoteKey::from_seed("example.org/board-log", &[3; 32]).unwrap();
        let v = note::NoteVerifier::parse(&k.vkey()).unwrap();
        let text = "example.org/board-log\n7\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n";
        let signed = note::sign(text, &k).unwrap();
        let opened = note::open(&signed, std::slice::from_ref(&v)).unwrap();
        assert_eq!(opened.text, text);
        assert_eq!(opened.verified, vec!["example.org/board-log".to_string()]);
        let other = note::NoteKey::from_seed("example.org/board-log", &[4; 32]).unwrap();
        let w = note::NoteVerifier::parse(&other.vkey()).unwrap();
        assert!(note::open(&signed, &[w]).is_err(), "unknown key only");
        let tampered = signed.replacen("\n7\n", "\n8\n", 1);
        assert!(note::open(&tampered, std::slice::from_ref(&v)).is_err());
        assert!(note::sign("no newline", &k).is_err());
        assert!(note::NoteKey::from_seed("has space", &[1; 32]).is_err());
        // A verifier key whose hash does not match its key is refused.
        let vkey = k.vkey();
        let parts: Vec<&str> = vkey.split('+').collect();
        let wrong = if parts[1] == "00000000" {
            "00000001"
        } else {
            "00000000"
        };
        let forged = format!("{}+{wrong}+{}", parts[0], parts[2]);
        assert!(note::NoteVerifier::parse(&forged).is_err());
    }
}
