//! Interoperability of `coi_ledger::tlog` with code this project did not write: Go's original
//! `golang.org/x/mod/sumdb/note` and `golang.org/x/mod/sumdb/tlog` (the code the Go checksum
//! database runs on), through the small program `tests/interop/tlogcheck/main.go`.
//!
//! The program is built offline from Debian's `golang-go` and `golang-golang-x-mod-dev` in GOPATH
//! mode (see [`build_checker`]). Both directions are checked on logs of 1 to 1000 lines of a
//! generated ledger: coi's checkpoint notes, vkeys and proofs verify in Go; Go's verify in coi,
//! and coi produces the same proofs and, from the same seed, the same vkey and note bytes. Each
//! kind of tampering is refused by both.
//!
//! Without `go` or the x/mod sources the tests print a notice and pass, unless `CI` is set: then
//! they fail naming the packages (`.ci/run` installs them).

mod support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use coi_ledger::tlog::{
    self, leaf_hash,
    note::{self, NoteKey, NoteVerifier},
    Checkpoint, Hash, Tree,
};
use serde::{Deserialize, Serialize};
use support::ledger_gen::{generate_bytes, GenConfig};

/// The Debian packages the checker is built from.
const PACKAGES: &str = "golang-go golang-golang-x-mod-dev";
/// Where Debian installs Go library sources, in GOPATH layout.
const GOCODE: &str = "/usr/share/gocode";
/// The log sizes tried: the edges of the tree's shape (1, 2^k - 1, 2^k, 2^k + 1) and two larger.
const SIZES: &[u64] = &[1, 2, 3, 7, 8, 9, 100, 1000];
/// The origin (and note key name) of the checkpoints coi signs here.
const ORIGIN: &str = "example.org/coi-log";
/// How long building the checker may take (a cold build is a few seconds).
const BUILD_LIMIT: Duration = Duration::from_secs(180);
/// How long one run of the checker may take.
const RUN_LIMIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// The Go checker

/// The built checker, or why it could not be found (a skip outside CI).
enum Checker {
    Built {
        bin: PathBuf,
        _dir: tempfile::TempDir,
    },
    Missing(String),
}

/// The path of the built checker, built once per test binary; `None` means skip (printed).
fn checker() -> Option<&'static Path> {
    static CHECKER: OnceLock<Checker> = OnceLock::new();
    match CHECKER.get_or_init(build_checker) {
        Checker::Built { bin, .. } => Some(bin),
        Checker::Missing(why) => {
            let fix = format!(
                "install the Debian packages {PACKAGES} (apt-get update && apt-get install -y \
                 {PACKAGES}), as .ci/run does in CI"
            );
            if std::env::var_os("CI").is_some() {
                panic!("the Go interop test cannot run in CI: {why}; {fix}");
            }
            eprintln!("notice: skipping the Go interop test: {why}; to run it, {fix}");
            None
        }
    }
}

/// Builds `tests/interop/tlogcheck` in a temporary GOPATH: no module proxy, no network, no cgo,
/// the x/mod sources from [`GOCODE`].
fn build_checker() -> Checker {
    match Command::new("go").arg("version").output() {
        Ok(o) if o.status.success() => {
            eprintln!("using {}", String::from_utf8_lossy(&o.stdout).trim());
        }
        Ok(o) => {
            return Checker::Missing(format!(
                "`go version` failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ))
        }
        Err(e) => return Checker::Missing(format!("`go` is not on PATH ({e})")),
    }
    for pkg in ["note", "tlog"] {
        let src = Path::new(GOCODE)
            .join("src/golang.org/x/mod/sumdb")
            .join(pkg);
        if !src.is_dir() {
            return Checker::Missing(format!(
                "the Go sources of golang.org/x/mod/sumdb/{pkg} are not in {}",
                src.display()
            ));
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let pkg = dir.path().join("src/tlogcheck");
    std::fs::create_dir_all(&pkg).expect("create GOPATH package dir");
    let main = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/tlogcheck/main.go");
    std::fs::copy(&main, pkg.join("main.go")).expect("copy main.go");
    let bin = dir.path().join("tlogcheck");
    let mut cmd = Command::new("go");
    cmd.args(["build", "-o"])
        .arg(&bin)
        .arg("tlogcheck")
        .current_dir(dir.path())
        .env(
            "GOPATH",
            format!("{}:{GOCODE}", dir.path().to_str().expect("UTF-8 temp path")),
        )
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", dir.path().join("cache"));
    let out = run_bounded(&mut cmd, BUILD_LIMIT);
    assert!(
        out.status.success(),
        "building {} failed (GOPATH mode, offline):\n{}",
        main.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Checker::Built { bin, _dir: dir }
}

/// Runs `cmd` to completion with its output captured, killing it (and failing) after `limit`.
fn run_bounded(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    // Drained on threads so that a full pipe cannot stall the child.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            r.read_to_end(&mut buf).map(|_| buf).unwrap_or_default()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// What `tlogcheck verify DIR` said: its exit code (0 or 1) and its report.
fn go_verify(bin: &Path, dir: &Path) -> (i32, String) {
    let out = run_bounded(Command::new(bin).arg("verify").arg(dir), RUN_LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = out.status.code().expect("tlogcheck exited by a signal");
    assert!(
        code == 0 || code == 1,
        "tlogcheck verify {} exited {code} (2 = it could not read its input):\n{stdout}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (code, stdout)
}

fn go_make(bin: &Path, dir: &Path) {
    let out = run_bounded(Command::new(bin).arg("make").arg(dir), RUN_LIMIT);
    assert!(
        out.status.success(),
        "tlogcheck make {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// The files both sides read and write (the wire format of tests/interop/tlogcheck/main.go)

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Inclusion {
    index: u64,
    size: u64,
    proof: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Consistency {
    old: u64,
    new: u64,
    old_root: String,
    new_root: String,
    proof: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Proofs {
    inclusion: Vec<Inclusion>,
    consistency: Vec<Consistency>,
}

/// Everything `tlogcheck verify` reads from a directory.
#[derive(Clone)]
struct Artefacts {
    lines: Vec<Vec<u8>>,
    vkey: String,
    note: String,
    proofs: Proofs,
}

impl Artefacts {
    fn write(&self, dir: &Path) {
        let mut text = Vec::new();
        for l in &self.lines {
            text.extend_from_slice(l);
            text.push(b'\n');
        }
        std::fs::write(dir.join("lines.txt"), text).expect("write lines.txt");
        std::fs::write(dir.join("vkey.txt"), format!("{}\n", self.vkey)).expect("write vkey");
        std::fs::write(dir.join("checkpoint.note"), &self.note).expect("write note");
        let js = serde_json::to_string_pretty(&self.proofs).expect("proofs to JSON");
        std::fs::write(dir.join("proofs.json"), js).expect("write proofs.json");
    }
}

fn b64(h: &Hash) -> String {
    B64.encode(h)
}

fn unb64(s: &str) -> Result<Hash, String> {
    B64.decode(s)
        .ok()
        .filter(|b| B64.encode(b) == s)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("{s:?} is not canonical base64 of 32 bytes"))
}

fn unb64_all(ss: &[String]) -> Result<Vec<Hash>, String> {
    ss.iter().map(|s| unb64(s)).collect()
}

/// Flips one bit of a base64 hash (byte `at` of its 32), keeping it canonical base64.
fn flip(s: &str, at: usize) -> String {
    let mut h = unb64(s).expect("a hash");
    h[at % 32] ^= 0x01;
    b64(&h)
}

// ---------------------------------------------------------------------------------------------
// The coi side

/// The first 1000 lines of a generated ledger: real coi lines, all distinct.
fn ledger_lines() -> &'static [Vec<u8>] {
    static LINES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let max = *SIZES.iter().max().expect("sizes");
        let bytes = generate_bytes(GenConfig::new(12, max, 12));
        let lines: Vec<Vec<u8>> = bytes
            .strip_suffix(b"\n")
            .expect("a ledger ends with LF")
            .split(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        assert_eq!(lines.len() as u64, max);
        lines
    })
}

fn tree_of(lines: &[Vec<u8>]) -> Tree {
    Tree::from_leaves(lines.iter().map(|l| leaf_hash(l)))
}

/// The distinct values of `xs` in `lo..=hi`, in order.
fn some(lo: u64, hi: u64, xs: &[u64]) -> Vec<u64> {
    let mut out = Vec::new();
    for &x in xs {
        if (lo..=hi).contains(&x) && !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

/// coi's proofs over the first `n` leaves of `tree`: inclusion of the first, middle and last leaf
/// in the whole tree and in an older one, consistency from a few older sizes (and the same size).
fn coi_proofs(tree: &Tree) -> Proofs {
    let n = tree.size();
    let mut p = Proofs::default();
    for size in some(1, n, &[n, n / 2 + 1, 1]) {
        for index in some(0, size - 1, &[0, size / 2, size - 1]) {
            let proof = tree.inclusion_proof(index, size).expect("inclusion proof");
            p.inclusion.push(Inclusion {
                index,
                size,
                proof: proof.iter().map(b64).collect(),
            });
        }
    }
    for new in some(1, n, &[n, n / 2 + 1]) {
        for old in some(1, new, &[1, new / 2, new - 1, new]) {
            let proof = tree.consistency_proof(old, new).expect("consistency proof");
            p.consistency.push(Consistency {
                old,
                new,
                old_root: b64(&tree.root(old).expect("old root")),
                new_root: b64(&tree.root(new).expect("new root")),
                proof: proof.iter().map(b64).collect(),
            });
        }
    }
    p
}

fn key(name: &str, seed: u8) -> NoteKey {
    NoteKey::from_seed(name, &[seed; 32]).expect("note key")
}

/// coi's checkpoint note, vkey and proofs for `lines`, signed by `key`.
fn coi_artefacts(lines: &[Vec<u8>], key: &NoteKey, extensions: &[&str]) -> Artefacts {
    let tree = tree_of(lines);
    let checkpoint = Checkpoint {
        origin: ORIGIN.to_string(),
        size: tree.size(),
        root: tree.root(tree.size()).expect("root"),
        extensions: extensions.iter().map(|e| e.to_string()).collect(),
    };
    Artefacts {
        lines: lines.to_vec(),
        vkey: key.vkey(),
        note: note::sign(&checkpoint.body(), key).expect("sign"),
        proofs: coi_proofs(&tree),
    }
}

/// What `tlogcheck verify` checks, done by coi: the note opens with the vkey, its checkpoint's root
/// is that of the lines, every proof verifies against the lines' own roots. Returns the number of
/// checks, or the first failure.
fn coi_verify(a: &Artefacts) -> Result<usize, String> {
    let tree = tree_of(&a.lines);
    let root = |size: u64| tree.root(size).map_err(|e| format!("root of {size}: {e}"));
    let verifier = NoteVerifier::parse(&a.vkey).map_err(|e| format!("vkey: {e}"))?;
    let opened = note::open(&a.note, &[verifier]).map_err(|e| format!("note: {e}"))?;
    let cp = Checkpoint::parse(&opened.text).map_err(|e| format!("checkpoint: {e}"))?;
    if cp.body() != opened.text {
        return Err("the checkpoint does not re-encode to the note's text".into());
    }
    if root(cp.size)? != cp.root {
        return Err(format!("checkpoint: not the root of {} lines", cp.size));
    }
    for p in &a.proofs.inclusion {
        let what = format!("inclusion of {} in {}", p.index, p.size);
        let line = a
            .lines
            .get(p.index as usize)
            .ok_or_else(|| format!("{what}: no such line"))?;
        let proof = unb64_all(&p.proof).map_err(|e| format!("{what}: {e}"))?;
        tlog::verify_inclusion(&leaf_hash(line), p.index, p.size, &proof, &root(p.size)?)
            .map_err(|e| format!("{what}: {e}"))?;
    }
    for p in &a.proofs.consistency {
        let what = format!("consistency of {} with {}", p.old, p.new);
        let proof = unb64_all(&p.proof).map_err(|e| format!("{what}: {e}"))?;
        let (old_root, new_root) = (unb64(&p.old_root)?, unb64(&p.new_root)?);
        if old_root != root(p.old)? || new_root != root(p.new)? {
            return Err(format!("{what}: a root given is not the lines' own"));
        }
        tlog::verify_consistency(p.old, p.new, &old_root, &new_root, &proof)
            .map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(1 + a.proofs.inclusion.len() + a.proofs.consistency.len())
}

/// Reads what `tlogcheck make` wrote into `dir` for `lines`.
fn read_go_artefacts(dir: &Path, lines: &[Vec<u8>]) -> (Artefacts, String) {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    };
    let proofs: Proofs = serde_json::from_str(&read("go-proofs.json")).expect("go-proofs.json");
    let a = Artefacts {
        lines: lines.to_vec(),
        vkey: read("go-vkey.txt").trim_end().to_string(),
        note: read("go-checkpoint.note"),
        proofs,
    };
    (a, read("go-skey.txt").trim_end().to_string())
}

/// The coi key with the seed of Go's signer key `PRIVATE+KEY+name+hash+base64(0x01 ‖ seed)`.
fn key_of_go_skey(skey: &str) -> NoteKey {
    let parts: Vec<&str> = skey.splitn(5, '+').collect();
    let [_, _, name, _, key] = parts.as_slice() else {
        panic!("{skey:?} is not a Go note signer key")
    };
    let key = B64.decode(key).expect("base64 signer key");
    assert_eq!(
        key.len(),
        33,
        "an Ed25519 signer key is 0x01 and a 32-byte seed"
    );
    assert_eq!(key[0], 1, "algorithm 1 is Ed25519");
    let seed: [u8; 32] = key[1..].try_into().expect("32 bytes");
    NoteKey::from_seed(name, &seed).expect("note key")
}

// ---------------------------------------------------------------------------------------------
// The tests

#[test]
fn coi_checkpoints_and_proofs_verify_in_go() {
    let Some(bin) = checker() else { return };
    for &n in SIZES {
        let lines = &ledger_lines()[..n as usize];
        // Extension lines are opaque to both sides but must survive signing and parsing.
        let extensions: &[&str] = if n % 2 == 1 {
            &["coi-ledger body log", "extension two"]
        } else {
            &[]
        };
        let a = coi_artefacts(lines, &key(ORIGIN, n as u8), extensions);
        let checks =
            coi_verify(&a).unwrap_or_else(|e| panic!("size {n}: coi refuses its own: {e}"));
        let dir = tempfile::tempdir().expect("temp dir");
        a.write(dir.path());
        let (code, report) = go_verify(bin, dir.path());
        assert_eq!(
            code, 0,
            "size {n}: Go refuses coi's checkpoint or proofs:\n{report}"
        );
        assert!(report.contains("all checks passed"), "size {n}:\n{report}");
        // vkey, note, checkpoint parse, root, then one line per proof: nothing was skipped.
        let oks = report.lines().filter(|l| l.starts_with("ok ")).count();
        assert_eq!(
            oks,
            3 + checks,
            "size {n}: Go ran fewer checks than given:\n{report}"
        );
        assert!(
            report.contains(&format!("origin \"{ORIGIN}\" size {n} ")),
            "size {n}:\n{report}"
        );
        assert!(
            report.contains(&format!("extensions {}", extensions.len())),
            "size {n}:\n{report}"
        );
    }
}

#[test]
fn go_checkpoints_and_proofs_verify_in_coi() {
    let Some(bin) = checker() else { return };
    for &n in SIZES {
        let lines = &ledger_lines()[..n as usize];
        let dir = tempfile::tempdir().expect("temp dir");
        Artefacts {
            lines: lines.to_vec(),
            vkey: String::new(),
            note: String::new(),
            proofs: Proofs::default(),
        }
        .write(dir.path());
        go_make(bin, dir.path());
        let (go, skey) = read_go_artefacts(dir.path(), lines);

        let checks = coi_verify(&go).unwrap_or_else(|e| panic!("size {n}: coi refuses Go's: {e}"));
        assert!(checks > 2, "size {n}: Go wrote no proofs");
        let opened = note::open(&go.note, &[NoteVerifier::parse(&go.vkey).expect("vkey")]).unwrap();
        assert_eq!(opened.verified, ["example.org/go-log"], "size {n}");
        let cp = Checkpoint::parse(&opened.text).expect("Go's checkpoint");
        assert_eq!((cp.origin.as_str(), cp.size), ("example.org/go-log", n));

        // RFC 6962 proofs are unique: coi must produce exactly Go's.
        let tree = tree_of(lines);
        for p in &go.proofs.inclusion {
            let ours = tree.inclusion_proof(p.index, p.size).expect("inclusion");
            assert_eq!(
                ours.iter().map(b64).collect::<Vec<_>>(),
                p.proof,
                "size {n}: inclusion of {} in {}",
                p.index,
                p.size
            );
        }
        for p in &go.proofs.consistency {
            let ours = tree.consistency_proof(p.old, p.new).expect("consistency");
            assert_eq!(
                ours.iter().map(b64).collect::<Vec<_>>(),
                p.proof,
                "size {n}: consistency {} to {}",
                p.old,
                p.new
            );
        }
        // Ed25519 is deterministic: from Go's seed coi derives Go's vkey and signs Go's bytes.
        let same = key_of_go_skey(&skey);
        assert_eq!(same.vkey(), go.vkey, "size {n}: vkey from the same seed");
        assert_eq!(
            note::sign(&opened.text, &same).expect("sign"),
            go.note,
            "size {n}: the note coi signs with Go's key is not Go's"
        );

        // Any changed hash in any of Go's proofs is refused by coi.
        for i in 0..go.proofs.inclusion.len() {
            for h in 0..go.proofs.inclusion[i].proof.len() {
                let mut bad = go.clone();
                let p = &mut bad.proofs.inclusion[i].proof[h];
                *p = flip(p, h * 7);
                assert!(
                    coi_verify(&bad).is_err(),
                    "size {n}: inclusion {i} hash {h}"
                );
            }
        }
        for i in 0..go.proofs.consistency.len() {
            for h in 0..go.proofs.consistency[i].proof.len() {
                let mut bad = go.clone();
                let p = &mut bad.proofs.consistency[i].proof[h];
                *p = flip(p, h * 7);
                assert!(
                    coi_verify(&bad).is_err(),
                    "size {n}: consistency {i} hash {h}"
                );
            }
        }
    }
}

/// A tampering, and the start of the FAIL line Go must print for it.
struct Tamper {
    what: &'static str,
    go_fails: &'static str,
    apply: fn(&mut Artefacts),
}

/// Re-signs `a`'s checkpoint after `change` with the honest key (seed 1), so that only the
/// change, not the signature, is wrong.
fn resign(a: &mut Artefacts, change: impl FnOnce(&mut Checkpoint)) {
    let opened = note::open(&a.note, &[NoteVerifier::parse(&a.vkey).expect("vkey")]).expect("open");
    let mut cp = Checkpoint::parse(&opened.text).expect("checkpoint");
    change(&mut cp);
    a.note = note::sign(&cp.body(), &key(ORIGIN, 1)).expect("sign");
}

/// The first proof with at least two hashes, so that the tampering below has something to change.
fn long_inclusion(a: &mut Artefacts) -> &mut Inclusion {
    (a.proofs.inclusion.iter_mut())
        .find(|p| p.proof.len() >= 2)
        .expect("an inclusion proof of two hashes or more")
}

fn long_consistency(a: &mut Artefacts) -> &mut Consistency {
    (a.proofs.consistency.iter_mut())
        .find(|p| p.proof.len() >= 2 && p.old + 1 < p.new)
        .expect("a consistency proof of two hashes or more")
}

const TAMPERS: &[Tamper] = &[
    Tamper {
        what: "a flipped byte in an inclusion proof",
        go_fails: "FAIL inclusion of leaf",
        apply: |a| {
            let p = long_inclusion(a);
            p.proof[1] = flip(&p.proof[1], 31);
        },
    },
    Tamper {
        what: "a flipped byte in a consistency proof",
        go_fails: "FAIL consistency of tree",
        apply: |a| {
            let p = long_consistency(a);
            p.proof[0] = flip(&p.proof[0], 0);
        },
    },
    Tamper {
        what: "an inclusion proof claimed for a tree one leaf smaller",
        go_fails: "FAIL inclusion of leaf",
        apply: |a| {
            let p = long_inclusion(a);
            p.size -= 1;
            if p.index >= p.size {
                p.index = 0;
            }
        },
    },
    Tamper {
        what: "a consistency proof claimed from a tree one leaf larger (with that tree's root)",
        go_fails: "FAIL consistency of tree",
        apply: |a| {
            let lines = a.lines.clone();
            let p = long_consistency(a);
            p.old += 1;
            p.old_root = b64(&tree_of(&lines).root(p.old).expect("root"));
        },
    },
    Tamper {
        what: "a checkpoint signed with a size one smaller than its root's tree",
        go_fails: "FAIL checkpoint root is the RFC 6962 root",
        apply: |a| resign(a, |cp| cp.size -= 1),
    },
    Tamper {
        what: "a checkpoint signed over a log whose middle line was then rewritten",
        go_fails: "FAIL checkpoint root is the RFC 6962 root",
        apply: |a| {
            let mid = a.lines.len() / 2;
            a.lines[mid].push(b' ');
        },
    },
    Tamper {
        what: "a note signed by another key of the same name",
        go_fails: "FAIL note opens",
        apply: |a| {
            let text = note::open(&a.note, &[NoteVerifier::parse(&a.vkey).unwrap()]).unwrap();
            a.note = note::sign(&text.text, &key(ORIGIN, 2)).expect("sign");
        },
    },
    Tamper {
        what: "a note signed by another key of another name",
        go_fails: "FAIL note opens",
        apply: |a| {
            let text = note::open(&a.note, &[NoteVerifier::parse(&a.vkey).unwrap()]).unwrap();
            a.note = note::sign(&text.text, &key("example.org/other", 1)).expect("sign");
        },
    },
    Tamper {
        what: "a note whose size line was changed after signing",
        go_fails: "FAIL note opens",
        apply: |a| {
            let (text, sigs) = a.note.split_once("\n\n").expect("a note");
            let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
            let size: u64 = lines[1].parse().expect("size");
            lines[1] = (size - 1).to_string();
            a.note = format!("{}\n\n{sigs}", lines.join("\n"));
        },
    },
];

#[test]
fn tampering_is_refused_by_go_and_by_coi() {
    let Some(bin) = checker() else { return };
    for n in [9u64, 100] {
        let honest = coi_artefacts(&ledger_lines()[..n as usize], &key(ORIGIN, 1), &[]);
        // The control: the same files untampered pass on both sides, so each refusal below is the
        // tampering's doing.
        let dir = tempfile::tempdir().expect("temp dir");
        honest.write(dir.path());
        let (code, report) = go_verify(bin, dir.path());
        assert_eq!(
            code, 0,
            "size {n}: the untampered control fails in Go:\n{report}"
        );
        coi_verify(&honest).expect("the untampered control verifies in coi");

        for t in TAMPERS {
            let mut a = honest.clone();
            (t.apply)(&mut a);
            let dir = tempfile::tempdir().expect("temp dir");
            a.write(dir.path());
            let (code, report) = go_verify(bin, dir.path());
            assert_eq!(code, 1, "size {n}, {}: Go accepts it:\n{report}", t.what);
            assert!(
                report.lines().any(|l| l.starts_with(t.go_fails)),
                "size {n}, {}: Go refuses it, but not with {:?}:\n{report}",
                t.what,
                t.go_fails
            );
            if let Ok(checks) = coi_verify(&a) {
                panic!("size {n}, {}: coi accepts it ({checks} checks)", t.what);
            }
        }
    }
}

/// What `coi` itself publishes, end to end: the body log a store exports, the checkpoint
/// `coi checkpoint` signs (with the members' cosignatures it collected), the vkey `coi log-key`
/// prints, and the inclusion proof of every line that `coi prove` writes. Go checks them all.
#[test]
fn the_cli_body_log_checkpoint_and_proofs_verify_in_go() {
    use support::cli::Home;
    let Some(bin) = checker() else { return };
    let s = |p: PathBuf| p.to_str().expect("a UTF-8 path").to_string();
    let sec = Home::init("Sam Secretary");
    let vkey = sec
        .coi(&["log-key", "--origin", "example.org/board-log"])
        .ok()
        .stdout
        .lines()
        .next()
        .expect("the vkey")
        .to_string();
    let ada = Home::init("Ada");
    ada.coi(&["declare", "--none", "--standing"]).ok();
    let ada_file = s(ada.file("ada.ledger"));
    ada.coi(&["export", "-o", &ada_file]).ok();
    sec.coi(&["import", &ada_file]).ok();
    let first = s(sec.file("first.ledger"));
    sec.coi(&["export", "--all", "-o", &first]).ok();
    let first_cp = s(sec.file("first.checkpoint"));
    sec.coi(&["checkpoint", "-o", &first_cp]).ok();
    ada.coi(&["witness", &first_cp, "--ledger", &first]).ok();
    ada.coi(&["export", "-o", &ada_file]).ok();
    sec.coi(&["import", &ada_file]).ok();
    let ledger = s(sec.file("body.ledger"));
    sec.coi(&["export", "--all", "-o", &ledger]).ok();
    let note_path = s(sec.file("cosigned.checkpoint"));
    sec.coi(&["checkpoint", "--cosigned", "-o", &note_path])
        .ok();
    let note = std::fs::read_to_string(&note_path).expect("the checkpoint");
    assert_eq!(note.matches('\u{2014}').count(), 2, "{note}");
    let size: u64 = note
        .lines()
        .nth(1)
        .expect("a size")
        .parse()
        .expect("a number");
    let text = std::fs::read(&ledger).expect("the body log");
    let lines: Vec<Vec<u8>> = text
        .strip_suffix(b"\n")
        .expect("ends in LF")
        .split(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .take(size as usize)
        .collect();
    let mut proofs = Proofs::default();
    for (i, line) in lines.iter().enumerate() {
        let entry =
            coi_ledger::Entry::parse(std::str::from_utf8(line).expect("UTF-8")).expect("an entry");
        let out = s(sec.file(&format!("line-{i}.tlog-proof")));
        support::cli::coi(
            &sec.file("no-home"),
            &[
                "prove",
                &entry.id.to_hex(),
                "--ledger",
                &ledger,
                "--checkpoint",
                &note_path,
                "-o",
                &out,
            ],
        );
        let proof = coi_ledger::tlog::proof::Proof::parse(&std::fs::read(&out).expect("proof"))
            .expect("a tlog-proof");
        assert_eq!(proof.index, i as u64);
        assert_eq!(proof.leaf(), Some(line.as_slice()));
        proofs.inclusion.push(Inclusion {
            index: proof.index,
            size,
            proof: proof.path.iter().map(b64).collect(),
        });
    }
    let a = Artefacts {
        lines,
        vkey,
        note,
        proofs,
    };
    let dir = tempfile::tempdir().expect("temp dir");
    a.write(dir.path());
    let (code, report) = go_verify(bin, dir.path());
    assert_eq!(code, 0, "Go refuses what coi published:\n{report}");
    assert!(report.contains("all checks passed"), "{report}");
    let oks = report.lines().filter(|l| l.starts_with("ok ")).count();
    // vkey, note, checkpoint, root, then one line per inclusion proof.
    assert_eq!(oks, 4 + size as usize, "{report}");
}
