//! Keys at rest (issue item 7): permissions, tamper evidence, passphrase errors, bounded KDF cost,
//! public/secret consistency, and no secret or passphrase in any output.
//!
//! - key files are created 0600 (and the home 0700) even under `umask 000`;
//! - a key file readable or writable by group or others (640, 604, 644, 660, 606, 620, 602) is
//!   refused with the UNPROTECTED message and exit 2, and nothing is signed;
//! - an encrypted key file with any single bit flipped (every byte offset, bit = offset mod 8) is
//!   refused by `KeyFile::decode`;
//! - a wrong passphrase is a clear error (exit 2, "wrong passphrase");
//! - absurd KDF parameters are refused as parameters, in well under a second, before deriving;
//! - a key file whose public key does not match its secret is refused;
//! - every `coi` command and several error paths, run with a known passphrase, never print the
//!   passphrase or the secret seed (hex or base64), and the store does not hold them either.

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use coi_ledger::{KdfParams, KeyFile, KeyFileError, SecretKey};
use rayon::prelude::*;
use support::cli::COI;

const PASS: &str = "tr0ub4dor&3-Quokka-passphrase";
/// A mistyped passphrase: must not be echoed either.
const WRONG_PASS: &str = "tr0ub4dor&3-Quokka-passphrasf";

const FAST: KdfParams = KdfParams {
    m_kib: 8192,
    t: 1,
    p: 1,
};

fn coi(home: &Path, pass: Option<&str>, args: &[&str]) -> Output {
    let mut c = support::cli::command(home);
    c.args(args);
    if let Some(p) = pass {
        c.env("COI_PASSPHRASE", p);
    }
    c.output().expect("run coi")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

fn key_path(home: &Path) -> PathBuf {
    home.join("secret-key.json")
}

fn entries(home: &Path) -> usize {
    let o = coi(home, None, &["log", "--json"]);
    assert!(o.status.success(), "{o:?}");
    o.stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count()
}

#[test]
fn key_files_are_0600_even_under_umask_000() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, pass) in [("plain", None), ("encrypted", Some(PASS))] {
        let home = dir.path().join(name);
        let probe = dir.path().join(format!("{name}-probe"));
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(r#"umask 000; "$0" init --name Ada $1 && touch "$2""#)
            .arg(COI)
            .arg(if pass.is_none() {
                "--no-passphrase"
            } else {
                ""
            })
            .arg(&probe)
            .env("COI_HOME", &home);
        match pass {
            Some(p) => c.env("COI_PASSPHRASE", p),
            None => c.env_remove("COI_PASSPHRASE"),
        };
        let o = c.output().expect("sh");
        assert!(o.status.success(), "{o:?}");
        // The umask really was 000 for that shell: a file it created is 0666.
        assert_eq!(mode(&probe), 0o666, "umask not applied");
        assert_eq!(mode(&key_path(&home)), 0o600, "{name} key file");
        assert_eq!(mode(&home), 0o700, "{name} home");
        let k = std::fs::read(key_path(&home)).expect("read");
        assert_eq!(KeyFile::is_encrypted(&k), pass.is_some());
        // And the key is usable.
        let o = coi(&home, pass, &["declare", "--none", "--standing"]);
        assert!(o.status.success(), "{o:?}");
    }
}

#[test]
fn group_or_other_permissions_are_refused_with_the_unprotected_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("h");
    let o = coi(&home, None, &["init", "--name", "Ada", "--no-passphrase"]);
    assert!(o.status.success(), "{o:?}");
    let kp = key_path(&home);
    let modes = [
        0o640, 0o604, 0o644, 0o660, 0o606, 0o620, 0o602, 0o610, 0o601,
    ];
    for m in modes {
        std::fs::set_permissions(&kp, std::fs::Permissions::from_mode(m)).expect("chmod");
        let o = coi(&home, None, &["declare", "--none", "--standing"]);
        assert_eq!(o.status.code(), Some(2), "mode {m:o}: {o:?}");
        let t = text(&o);
        assert!(
            t.contains("UNPROTECTED PRIVATE KEY FILE"),
            "mode {m:o}: {t}"
        );
        assert!(t.contains(&format!("{m:o}")), "mode {m:o}: {t}");
        assert_eq!(entries(&home), 1, "mode {m:o}: something was signed");
    }
    std::fs::set_permissions(&kp, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let o = coi(&home, None, &["declare", "--none", "--standing"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(entries(&home), 2);
}

fn sample_key() -> KeyFile {
    let secret = SecretKey::from_seed(&[0x5e; 32]);
    KeyFile {
        member: secret.public().member_id(),
        secret,
    }
}

#[test]
fn every_single_bit_flip_of_an_encrypted_key_file_is_refused() {
    let kf = sample_key();
    let good = kf.encode(Some(PASS.as_bytes()), FAST).expect("encode");
    let good = good.as_bytes().to_vec();
    let back = KeyFile::decode(&good, Some(PASS.as_bytes())).expect("decode");
    assert_eq!(back.secret.public(), kf.secret.public());
    let t0 = Instant::now();
    let outcomes: Vec<Result<(), KeyFileError>> = (0..good.len())
        .into_par_iter()
        .map(|i| {
            let mut m = good.clone();
            m[i] ^= 1 << (i % 8);
            KeyFile::decode(&m, Some(PASS.as_bytes())).map(|_| ())
        })
        .collect();
    let accepted: Vec<usize> = (0..outcomes.len())
        .filter(|&i| outcomes[i].is_ok())
        .collect();
    let decrypt = outcomes
        .iter()
        .filter(|o| matches!(o, Err(KeyFileError::Decrypt)))
        .count();
    eprintln!(
        "encrypted key file: {} single-bit flips, {} accepted, {decrypt} refused by the AEAD tag, the rest as malformed, in {:?}",
        good.len(),
        accepted.len(),
        t0.elapsed()
    );
    assert!(
        accepted.is_empty(),
        "flips accepted at offsets {accepted:?}"
    );
    // The AEAD (tag over seed, member, public key and KDF parameters) catches the flips that
    // leave a well-formed file: in the salt, nonce, ciphertext, member, public key and numbers.
    assert!(decrypt >= 50, "{decrypt}");
}

/// A plain key file has no tag; its `member` is not derivable from its key (it stays the first
/// key's after a rotation), so a flip there decodes to another member, which the CLI refuses
/// ("signs for member ..., but this store belongs to ..."). Every other flip is refused.
#[test]
fn every_single_bit_flip_of_a_plain_key_file_is_refused_or_names_another_member() {
    let kf = sample_key();
    let good = kf.encode(None, FAST).expect("encode").as_bytes().to_vec();
    for i in 0..good.len() {
        let mut m = good.clone();
        m[i] ^= 1 << (i % 8);
        if let Ok(k) = KeyFile::decode(&m, None) {
            assert_ne!(k.member, kf.member, "flip at {i} accepted");
            assert_eq!(k.secret.public(), kf.secret.public());
        }
    }
}

#[test]
fn a_wrong_or_missing_passphrase_is_a_clear_error() {
    let kf = sample_key();
    let enc = kf.encode(Some(PASS.as_bytes()), FAST).expect("encode");
    let e = KeyFile::decode(enc.as_bytes(), Some(b"not the passphrase")).unwrap_err();
    assert_eq!(e, KeyFileError::Decrypt);
    assert!(e.to_string().contains("wrong passphrase"));
    assert_eq!(
        KeyFile::decode(enc.as_bytes(), None).unwrap_err(),
        KeyFileError::NeedPassphrase
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("h");
    let o = coi(&home, Some(PASS), &["init", "--name", "Ada"]);
    assert!(o.status.success(), "{o:?}");
    let o = coi(
        &home,
        Some("Tr0ub4dor&3"),
        &["declare", "--none", "--standing"],
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(text(&o).contains("wrong passphrase"), "{}", text(&o));
    let o = coi(&home, None, &["declare", "--none", "--standing"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(text(&o).contains("passphrase"), "{}", text(&o));
    let o = coi(&home, Some(""), &["declare", "--none", "--standing"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert_eq!(entries(&home), 1);
    let o = coi(&home, Some(PASS), &["declare", "--none", "--standing"]);
    assert!(o.status.success(), "{o:?}");
}

/// Runs `f` on another thread and fails if it takes a second or more (a KDF run with the absurd
/// parameters would take hours or abort on allocation).
fn within_a_second<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let t0 = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    let out = rx
        .recv_timeout(Duration::from_secs(1))
        .expect("refused within a second, without deriving");
    assert!(t0.elapsed() < Duration::from_secs(1));
    out
}

#[test]
fn absurd_kdf_parameters_are_refused_quickly_before_deriving() {
    let kf = sample_key();
    let good = kf.encode(Some(PASS.as_bytes()), FAST).expect("encode");
    let good = good.as_str();
    assert!(good.contains(r#""m_kib":8192,"p":1,"#) && good.contains(r#""t":1}"#));
    let cases = [
        ("m_kib 2^32-1", r#""m_kib":4294967295,"p":1,"#, r#""t":1}"#),
        ("t 10^9", r#""m_kib":8192,"p":1,"#, r#""t":1000000000}"#),
        ("p 1000", r#""m_kib":8192,"p":1000,"#, r#""t":1}"#),
        (
            "all three",
            r#""m_kib":4294967295,"p":1000,"#,
            r#""t":1000000000}"#,
        ),
        (
            "m_kib 2^53-1",
            r#""m_kib":9007199254740991,"p":1,"#,
            r#""t":1}"#,
        ),
        ("m_kib 4 GiB + 1", r#""m_kib":4194305,"p":1,"#, r#""t":1}"#),
        ("m_kib too small", r#""m_kib":8191,"p":1,"#, r#""t":1}"#),
        ("t 0", r#""m_kib":8192,"p":1,"#, r#""t":0}"#),
        ("t 17", r#""m_kib":8192,"p":1,"#, r#""t":17}"#),
        ("p 0", r#""m_kib":8192,"p":0,"#, r#""t":1}"#),
        ("p 9", r#""m_kib":8192,"p":9,"#, r#""t":1}"#),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (what, mp, t) in cases {
        let bad = good
            .replace(r#""m_kib":8192,"p":1,"#, mp)
            .replace(r#""t":1}"#, t);
        assert_ne!(bad, good);
        let b = bad.clone();
        let err = within_a_second(move || KeyFile::decode(b.as_bytes(), Some(PASS.as_bytes())))
            .expect_err(what);
        // Refused as parameters (not by a failed decryption after deriving with them).
        assert!(
            matches!(&err, KeyFileError::Malformed(m) if m.contains("kdf")),
            "{what}: {err:?}"
        );
        // The CLI too: exit 2, quickly, naming the kdf.
        let home = dir.path().join(what.replace(' ', "_"));
        let o = coi(&home, None, &["init", "--name", "Ada", "--no-passphrase"]);
        assert!(o.status.success(), "{o:?}");
        std::fs::remove_file(key_path(&home)).expect("rm");
        std::fs::write(key_path(&home), &bad).expect("write");
        std::fs::set_permissions(key_path(&home), std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
        let t0 = Instant::now();
        let o = coi(&home, Some(PASS), &["declare", "--none", "--standing"]);
        let took = t0.elapsed();
        assert_eq!(o.status.code(), Some(2), "{what}: {o:?}");
        assert!(text(&o).contains("kdf"), "{what}: {}", text(&o));
        // A whole process on a loaded CI machine: 5 s is still far below a derivation with these
        // parameters (hours, or gigabytes), and the error above shows it was refused unread.
        assert!(took < Duration::from_secs(5), "{what}: {took:?}");
    }
}

#[test]
fn a_key_file_whose_public_key_does_not_match_its_secret_is_refused() {
    let kf = sample_key();
    let other = SecretKey::from_seed(&[0x77; 32]).public().to_hex();
    let mine = kf.secret.public().to_hex();
    // Plain: the public key is checked against the secret.
    let plain = kf.encode(None, FAST).expect("encode").to_string();
    let bad = plain.replace(&mine, &other);
    assert_ne!(bad, plain);
    let err = KeyFile::decode(bad.as_bytes(), None).unwrap_err();
    assert!(
        matches!(&err, KeyFileError::Malformed(m) if m.contains("does not match")),
        "{err:?}"
    );
    // Encrypted: the public key is also bound to the ciphertext.
    let enc = kf
        .encode(Some(PASS.as_bytes()), FAST)
        .expect("encode")
        .to_string();
    let bad_enc = enc.replace(&mine, &other);
    assert!(KeyFile::decode(bad_enc.as_bytes(), Some(PASS.as_bytes())).is_err());

    // Through the CLI.
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("h");
    let o = coi(&home, None, &["init", "--name", "Ada", "--no-passphrase"]);
    assert!(o.status.success(), "{o:?}");
    let kp = key_path(&home);
    let text_now = std::fs::read_to_string(&kp).expect("read");
    let mine = KeyFile::decode(text_now.as_bytes(), None)
        .expect("decode")
        .secret
        .public()
        .to_hex();
    std::fs::write(&kp, text_now.replace(&mine, &other)).expect("write");
    let o = coi(&home, None, &["declare", "--none", "--standing"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(text(&o).contains("does not match"), "{}", text(&o));
    assert_eq!(entries(&home), 1);
}

#[test]
fn no_secret_or_passphrase_appears_in_any_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("h");
    let file = dir.path().join("out.ledger");
    let f = file.to_str().expect("utf8");
    let mut outputs: Vec<(String, Output)> = Vec::new();
    let mut run = |pass: Option<&str>, args: &[&str]| -> Output {
        let o = coi(&home, pass, args);
        outputs.push((args.join(" "), o.clone()));
        o
    };
    let p = Some(PASS);
    let o = run(p, &["init", "--name", "Ada", "--capacity", "Trustee"]);
    assert!(o.status.success(), "{o:?}");

    // The secret, read back by decrypting the key file.
    let key_text = std::fs::read(key_path(&home)).expect("read key");
    assert!(KeyFile::is_encrypted(&key_text));
    let kf = KeyFile::decode(&key_text, Some(PASS.as_bytes())).expect("decode");
    let plain = kf.encode(None, FAST).expect("encode").to_string();
    let v: serde_json::Value = serde_json::from_str(&plain).expect("json");
    let seed_hex = v["secret"].as_str().expect("secret").to_string();
    let seed = hex::decode(&seed_hex).expect("hex");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&seed);
    let b64_nopad = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&seed);
    let b64_url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&seed);
    let secrets = [
        PASS.to_string(),
        WRONG_PASS.to_string(),
        seed_hex.clone(),
        seed_hex.to_uppercase(),
        b64.clone(),
        b64_nopad,
        b64_url,
    ];

    let id = |o: &Output| String::from_utf8_lossy(&o.stdout).trim().to_string();
    let decl = [
        "declare",
        "--matter",
        "board/item-1",
        "--category",
        "financial",
        "--between",
        "personal-professional",
        "--counterparty",
        "Acme",
    ];
    let d1 = id(&run(p, &decl));
    let d2 = id(&run(p, &decl));
    let d3 = id(&run(p, &decl));
    assert_eq!((d1.len(), d2.len(), d3.len()), (64, 64, 64));
    assert!(run(p, &["declare", "--none", "--standing"])
        .status
        .success());
    assert!(run(p, &["amend", &d1, "--value", "1-100 USD"])
        .status
        .success());
    assert!(run(p, &["withdraw", &d2]).status.success());
    assert!(run(p, &["retract", &d3, "--reason", "made in error"])
        .status
        .success());
    assert!(run(p, &["profile", "--name", "Ada L."]).status.success());
    assert!(run(p, &["reaffirm", "--note", "all current"])
        .status
        .success());
    for args in [
        &["whoami"][..],
        &["whoami", "--json"],
        &["log"],
        &["log", "--json"],
        &["show", &d1],
        &["show", "--json", &d1],
        &["conflicts"],
        &["conflicts", "--json"],
        &["export"],
        &["export", "-o", f],
        &["verify", f],
        &["verify", "--json", f],
        &["import", f],
        &["import", "--json", f],
        &["forks"],
        &["forks", "--json"],
    ] {
        let o = run(p, args);
        assert!(o.status.success(), "{args:?}: {o:?}");
    }
    // Error paths.
    let errors: Vec<Vec<&str>> = vec![
        vec!["declare", "--none", "--standing"], // wrong passphrase, below
        vec!["init", "--name", "Again"],
        vec!["show", "00000000"],
        vec!["amend", &d2, "--value", "x"],
        vec!["withdraw", "ffffffffffff"],
        vec!["declare", "--category", "bogus"],
        vec!["forks", "--proof", "3", "-o", f],
        vec!["verify", "/nonexistent/ledger"],
    ];
    assert!(run(Some(WRONG_PASS), &errors[0]).status.code() == Some(2));
    assert!(run(Some(""), &errors[0]).status.code() == Some(2));
    assert!(run(None, &errors[0]).status.code() == Some(2));
    for args in &errors[1..] {
        let o = run(p, args);
        assert!(!o.status.success(), "{args:?}");
    }
    // A damaged key file and an unprotected one.
    let kp = key_path(&home);
    let mut damaged = key_text.clone();
    let at = damaged.len() - 20;
    damaged[at] ^= 0x01;
    std::fs::write(&kp, &damaged).expect("write");
    assert_eq!(run(p, &errors[0]).status.code(), Some(2));
    std::fs::write(&kp, &key_text).expect("write");
    std::fs::set_permissions(&kp, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    assert_eq!(run(p, &errors[0]).status.code(), Some(2));
    std::fs::set_permissions(&kp, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    // An invalid ledger to verify and import.
    let mut bad = std::fs::read(&file).expect("read");
    bad[10] ^= 0x01;
    std::fs::write(&file, &bad).expect("write");
    assert_eq!(run(p, &["verify", f]).status.code(), Some(1));
    assert_eq!(run(p, &["import", f]).status.code(), Some(1));

    let mut leaks = Vec::new();
    for (cmd, o) in &outputs {
        let all = text(o);
        for s in &secrets {
            if all.contains(s.as_str()) {
                leaks.push(format!("`coi {cmd}` printed a secret ({} chars)", s.len()));
            }
        }
    }
    // Nor does the store hold them (no connection is open now).
    let db = std::fs::read(home.join("store.sqlite")).expect("read store");
    for s in &secrets {
        if db.windows(s.len()).any(|w| w == s.as_bytes()) {
            leaks.push("the store holds a secret".into());
        }
    }
    if db.windows(32).any(|w| w == seed.as_slice()) {
        leaks.push("the store holds the raw seed".into());
    }
    eprintln!(
        "no-leak scan: {} coi invocations, {} secret forms",
        outputs.len(),
        secrets.len()
    );
    assert!(outputs.len() >= 40, "{}", outputs.len());
    assert!(leaks.is_empty(), "{leaks:#?}");
}
