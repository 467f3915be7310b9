//! The `coi` command as a user runs it: every command, its output contract, exit codes, and
//! error paths (one clear line, non-zero exit, no change to the store).

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::cli::{copy_dir, Home, Run, COI};

fn declare_args<'a>(matter: &'a str, counterparty: &'a str) -> Vec<&'a str> {
    vec![
        "declare",
        "--matter",
        matter,
        "--category",
        "financial",
        "--between",
        "personal-professional",
        "--counterparty",
        counterparty,
    ]
}

#[test]
fn init_creates_private_home_and_refuses_a_second_identity() {
    let h = Home::new();
    let id = h
        .coi(&[
            "init",
            "--name",
            "Ada",
            "--capacity",
            "Trustee",
            "--no-passphrase",
        ])
        .ok()
        .id();
    let key = h.path.join("secret-key.json");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(&h.path).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let who = h.coi(&["whoami", "--json"]).ok().json();
    assert_eq!(who["member"], id.as_str());
    assert_eq!(who["name"], "Ada");
    assert_eq!(who["entries"], 1);
    assert_eq!(who["fingerprint"].as_str().unwrap().len(), 19);
    let text = h.coi(&["whoami"]).ok().stdout;
    assert!(
        text.contains(&id) && text.contains("Ada") && text.contains("entries      1"),
        "{text}"
    );
    h.coi(&["init", "--name", "Other", "--no-passphrase"])
        .code(2)
        .err_has("already has an identity");
    assert_eq!(
        h.coi(&["whoami", "--json"]).ok().json()["member"],
        id.as_str()
    );
}

#[test]
fn init_needs_a_passphrase_source_without_a_terminal() {
    let h = Home::new();
    h.coi(&["init", "--name", "Ada"])
        .code(2)
        .err_has("COI_PASSPHRASE");
    assert!(!h.path.join("secret-key.json").exists());
    h.coi(&["init", "--name", "  Ada", "--no-passphrase"])
        .code(2)
        .err_has("space");
}

#[test]
fn passphrase_protected_key_is_used_and_a_wrong_one_refused() {
    let h = Home::new();
    h.coi_env(
        &["init", "--name", "Ada"],
        &[("COI_PASSPHRASE", "correct horse")],
    )
    .ok();
    let text = std::fs::read_to_string(h.path.join("secret-key.json")).unwrap();
    assert!(text.contains("argon2id") && text.contains("xchacha20poly1305"));
    h.coi_env(
        &declare_args("m1", "X"),
        &[("COI_PASSPHRASE", "correct horse")],
    )
    .ok()
    .id();
    h.coi_env(&declare_args("m1", "Y"), &[("COI_PASSPHRASE", "wrong")])
        .code(2)
        .err_has("wrong passphrase");
    h.coi(&declare_args("m1", "Y"))
        .code(2)
        .err_has("COI_PASSPHRASE");
    assert_eq!(h.count(), 2);
}

#[test]
fn declare_variants_print_ids_and_bad_input_changes_nothing() {
    let h = Home::init("Ada");
    let mut args = declare_args("board-2026-12/item-4", "Acme Networks");
    args.extend([
        "--relationship",
        "consulting",
        "--value",
        "1,001-15,000 USD",
        "--since",
        "2026-01-01",
        "--mitigation",
        "abstain",
        "--whose",
        "family",
        "--nature",
        "paid advice",
    ]);
    let id = h.coi(&args).ok().id();
    h.coi(&[
        "declare",
        "--standing",
        "--category",
        "material",
        "--between",
        "professional-professional",
        "--counterparty",
        "Partner Org",
    ])
    .ok()
    .id();
    h.coi(&["declare", "--none", "--matter", "board-2026-12/item-5"])
        .ok()
        .id();
    h.coi(&["declare", "--none", "--standing"]).ok().id();
    let shown = h.coi(&["show", &id[..10], "--json"]).ok().json();
    assert_eq!(shown["data"]["whose"], "family");
    assert_eq!(shown["data"]["mitigation"], "abstain");
    assert_eq!(shown["data"]["matters"][0], "board-2026-12/item-4");
    let before = h.count();
    h.coi(&[
        "declare",
        "--matter",
        "m",
        "--between",
        "personal-professional",
        "--counterparty",
        "X",
    ])
    .code(2)
    .err_has("--category");
    h.coi(&[
        "declare",
        "--category",
        "financial",
        "--between",
        "personal-professional",
        "--counterparty",
        "X",
    ])
    .code(2)
    .err_has("--matter");
    h.coi(&declare_args("Board/Item", "X"))
        .code(2)
        .err_has("lowercase");
    h.coi(&[
        "declare",
        "--matter",
        "m",
        "--standing",
        "--category",
        "financial",
    ])
    .code(2);
    h.coi(&["declare", "--none"]).code(2).err_has("--matter");
    h.coi(&[
        "declare",
        "--none",
        "--matter",
        "m",
        "--category",
        "financial",
    ])
    .code(2);
    h.coi(&[
        "declare",
        "--matter",
        "m",
        "--category",
        "money",
        "--between",
        "personal-professional",
        "--counterparty",
        "X",
    ])
    .code(2);
    let mut bad_date = declare_args("m", "X");
    bad_date.extend(["--since", "2026-02-30"]);
    h.coi(&bad_date).code(2).err_has("real date");
    let mut reversed = declare_args("m", "X");
    reversed.extend(["--since", "2026-05-01", "--until", "2026-01-01"]);
    h.coi(&reversed).code(2).err_has("before since");
    h.coi(&declare_args("m", "evil\u{1b}[2Jname"))
        .code(2)
        .err_has("forbidden character U+001B");
    h.coi(&declare_args("m", &"x".repeat(201)))
        .code(2)
        .err_has("1 to 200 bytes");
    assert_eq!(
        h.count(),
        before,
        "failed commands must not change the store"
    );
}

#[test]
fn amend_withdraw_retract_keep_history_and_update_current_state() {
    let h = Home::init("Ada");
    let d1 = h.coi(&declare_args("item-1", "Acme")).ok().id();
    let d2 = h.coi(&declare_args("item-2", "Beta")).ok().id();
    let d3 = h.coi(&declare_args("item-3", "Gamma")).ok().id();
    let a1 = h
        .coi(&[
            "amend",
            &d1[..12],
            "--value",
            "15,001-50,000 USD",
            "--mitigation",
            "recuse",
        ])
        .ok()
        .id();
    h.coi(&["amend", &d1, "--value", "1 USD"])
        .code(2)
        .err_has("not one of your live declarations");
    h.coi(&["amend", &a1]).code(2).err_has("nothing to amend");
    h.coi(&["withdraw", &d2, "--until", "2999-12-31"])
        .code(2)
        .err_has("after today");
    h.coi(&["withdraw", &d2, "--until", "2026-01-31"]).ok().id();
    h.coi(&["retract", &d3, "--reason", "declared on the wrong item"])
        .ok()
        .id();
    h.coi(&["retract", &d3, "--reason", "again"])
        .code(2)
        .err_has("not one of your live declarations");
    h.coi(&["retract", &d3]).code(2);
    let current = h.coi(&["conflicts", "--json"]).ok().json();
    let list = current.as_array().unwrap();
    assert_eq!(list.len(), 1, "{current}");
    assert_eq!(list[0]["id"], a1.as_str());
    assert_eq!(list[0]["replaces"][0], d1.as_str());
    assert_eq!(list[0]["data"]["value"], "15,001-50,000 USD");
    let text = h.coi(&["conflicts"]).ok().stdout;
    assert!(text.contains("version 2 of"), "{text}");
    // The old versions stay visible in the log.
    let log = h.coi(&["log"]).ok().stdout;
    for kind in ["profile", "declaration", "amend", "withdraw", "retract"] {
        assert!(log.contains(kind), "{log}");
    }
    assert_eq!(h.count(), 7);
}

#[test]
fn profile_reaffirm_log_show_conflicts_filters() {
    let h = Home::init("Ada");
    h.coi(&[
        "profile",
        "--name",
        "Ada L.",
        "--capacity",
        "Chair",
        "--affiliation",
        "Engines Ltd",
    ])
    .ok()
    .id();
    h.coi(&["reaffirm", "--note", "no change"]).ok().id();
    h.coi(&declare_args("item-1", "Acme")).ok().id();
    h.coi(&[
        "declare",
        "--standing",
        "--category",
        "material",
        "--between",
        "professional-professional",
        "--counterparty",
        "Partner",
    ])
    .ok()
    .id();
    h.coi(&["declare", "--none", "--matter", "item-1"])
        .ok()
        .id();
    h.coi(&declare_args("item-2", "Beta")).ok().id();
    let me = h.coi(&["whoami", "--json"]).ok().json()["member"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(h.coi(&["whoami", "--json"]).ok().json()["name"], "Ada L.");
    let last = h.coi(&["log", "--limit", "2", "--json"]).ok().stdout;
    assert_eq!(last.lines().count(), 2);
    let first: Value = serde_json::from_str(last.lines().next().unwrap()).unwrap();
    assert_eq!(first["seq"], 6);
    assert_eq!(
        h.coi(&["log", "--member", &me[..8], "--json"])
            .ok()
            .stdout
            .lines()
            .count(),
        7
    );
    let on1 = h
        .coi(&["conflicts", "--matter", "item-1", "--json"])
        .ok()
        .json();
    let kinds: Vec<&str> = on1
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["declaration", "declaration", "no-conflict"],
        "{on1}"
    );
    let mine = h.coi(&["conflicts", "--member", &me, "--json"]).ok().json();
    assert_eq!(mine.as_array().unwrap().len(), 3);
    let shown = h.coi(&["show", ""]).code(2);
    assert!(shown.stderr.contains("8"));
    h.coi(&["show", "ffffffffffff"]).code(2).err_has("no entry");
    h.coi(&["log", "--member", "zzzz"])
        .code(2)
        .err_has("not a member id");
    h.coi(&["conflicts", "--matter", "Bad Matter"]).code(2);
}

#[test]
fn export_verify_import_round_trip() {
    let ada = Home::init("Ada");
    ada.coi(&declare_args("item-1", "Acme")).ok();
    let bob = Home::init("Bob");
    bob.coi(&["declare", "--none", "--matter", "item-1"]).ok();
    let ada_file = ada.file("ada.ledger");
    ada.coi(&["export", "-o", ada_file.to_str().unwrap()]).ok();
    let stdout_export = ada.coi(&["export"]).ok().stdout;
    assert_eq!(std::fs::read_to_string(&ada_file).unwrap(), stdout_export);
    assert_eq!(stdout_export.lines().count(), 2);

    // Verify needs no home at all.
    let nohome = Home::new();
    let v = nohome.coi(&["verify", ada_file.to_str().unwrap()]).ok();
    assert!(
        v.stdout.contains("valid: 2 entries from 1 members"),
        "{}",
        v.stdout
    );
    assert!(!nohome.path.exists());
    let j = nohome
        .coi(&["verify", "--json", ada_file.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(j["valid"], true);
    assert_eq!(j["entries"], 2);
    assert_eq!(j["members"], 1);
    assert_eq!(j["problems"].as_array().unwrap().len(), 0);

    // Bob imports Ada's file; twice is idempotent; then publishes both.
    let r = bob
        .coi(&["import", "--json", ada_file.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(r["files"][0]["added"], 2);
    let r = bob
        .coi(&["import", "--json", ada_file.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(r["files"][0]["added"], 0);
    assert_eq!(r["files"][0]["held"], 2);
    let all = bob.file("all.ledger");
    bob.coi(&["export", "--all", "-o", all.to_str().unwrap()])
        .ok();
    assert_eq!(std::fs::read_to_string(&all).unwrap().lines().count(), 4);
    let ada_id = ada.coi(&["whoami", "--json"]).ok().json()["member"]
        .as_str()
        .unwrap()
        .to_string();
    let only = bob.coi(&["export", "--member", &ada_id[..8]]).ok().stdout;
    assert_eq!(only, stdout_export);
    let on = bob
        .coi(&["conflicts", "--matter", "item-1", "--json"])
        .ok()
        .json();
    assert_eq!(on.as_array().unwrap().len(), 2);

    // Publishing an update only appends lines.
    ada.coi(&declare_args("item-2", "Beta")).ok();
    let updated = ada.coi(&["export"]).ok().stdout;
    assert!(updated.starts_with(&stdout_export));

    // A stale copy is reported, nothing lost.
    let newer = ada.file("ada2.ledger");
    std::fs::write(&newer, &updated).unwrap();
    bob.coi(&["import", newer.to_str().unwrap()]).ok();
    let stale = bob.coi(&["import", ada_file.to_str().unwrap()]).ok();
    assert!(stale.stdout.contains("stale"), "{}", stale.stdout);
    assert_eq!(bob.count(), 5);
}

#[test]
fn verify_reports_problems_with_location_and_exit_1() {
    let ada = Home::init("Ada");
    ada.coi(&declare_args("item-1", "Acme")).ok();
    let text = ada.coi(&["export"]).ok().stdout;
    let bad = ada.file("bad.ledger");
    std::fs::write(&bad, text.replacen("Acme", "Acmf", 1)).unwrap();
    let r = ada.coi(&["verify", bad.to_str().unwrap()]).code(1);
    assert!(
        r.stdout.contains(":2: member ") && r.stdout.contains("seq 2: bad-signature"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("INVALID"));
    let j = ada
        .coi(&["verify", "--json", bad.to_str().unwrap()])
        .code(1)
        .json();
    assert_eq!(j["valid"], false);
    let p = &j["problems"][0];
    assert_eq!(p["class"], "bad-signature");
    assert_eq!(p["line"], 2);
    assert_eq!(p["seq"], 2);
    assert!(p["file"].as_str().unwrap().ends_with("bad.ledger"));
    assert!(p["member"].as_str().unwrap().len() == 64);
    // Invalid files are not imported, and the store is unchanged.
    let bob = Home::init("Bob");
    bob.coi(&["import", bad.to_str().unwrap()]).code(1);
    assert_eq!(bob.count(), 1);
    // Usage and I/O errors exit 2.
    ada.coi(&["verify"]).code(2);
    ada.coi(&["verify", "/nonexistent/file.ledger"])
        .code(2)
        .err_has("No such file");
    ada.coi(&["verify", ada.path.to_str().unwrap()])
        .code(2)
        .err_has("directory");
    ada.coi(&["frobnicate"]).code(2);
}

#[test]
fn hostile_text_is_never_written_raw() {
    let h = Home::init("Ada");
    let f = h.file("hostile.ledger");
    let hostile = "{\"entry\":{\"data\":{\"name\":\"\u{1b}]0;pwned\u{7}\u{202e}evil\u{9b}\"}}}\n\u{feff}x\r\n\u{2066}\u{85}\u{7f}\n";
    std::fs::write(&f, hostile).unwrap();
    let name = f.to_str().unwrap();
    for args in [
        vec!["verify", name],
        vec!["verify", "--json", name],
        vec!["import", name],
    ] {
        let r = h.coi(&args).code(1);
        for s in [&r.stdout, &r.stderr] {
            for c in [
                '\u{1b}', '\u{7}', '\u{202e}', '\u{9b}', '\u{2066}', '\u{85}', '\u{7f}', '\r',
                '\u{feff}',
            ] {
                assert!(!s.contains(c), "raw {:?} in output of {args:?}: {s:?}", c);
            }
        }
    }
    // A file name with controls is shown escaped too.
    let weird = h.file("we\u{1b}[1mird.ledger");
    std::fs::write(&weird, "").unwrap();
    let r = h
        .coi(&["verify", "--allow-empty", weird.to_str().unwrap()])
        .ok();
    assert!(
        !r.stdout.contains('\u{1b}') && r.stdout.contains("\\u{001B}"),
        "{}",
        r.stdout
    );
}

#[test]
fn missing_home_newer_store_and_broken_key_are_clear_errors() {
    let h = Home::new();
    h.coi(&["log"]).code(2).err_has("coi init");
    h.coi(&["declare", "--none", "--matter", "m"])
        .code(2)
        .err_has("coi init");
    let h = Home::init("Ada");
    let key = h.path.join("secret-key.json");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    h.coi(&["declare", "--none", "--matter", "m"])
        .code(2)
        .err_has("chmod 600");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    h.coi(&["declare", "--none", "--matter", "m"]).ok();
    set_user_version(&h.path.join("store.sqlite"), 99);
    h.coi(&["log"])
        .code(2)
        .err_has("newer than this coi supports");
}

fn set_user_version(db: &Path, v: i64) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.pragma_update(None, "user_version", v).unwrap();
}

#[test]
fn forks_command_with_no_forks() {
    let h = Home::init("Ada");
    let r = h.coi(&["forks"]).ok();
    assert!(r.stderr.contains("no forks"));
    assert_eq!(
        h.coi(&["forks", "--json"]).ok().json(),
        Value::Array(vec![])
    );
    h.coi(&["forks", "--proof", "1", "-o", h.file("p").to_str().unwrap()])
        .code(2)
        .err_has("no fork number 1");
}

#[test]
fn help_and_version() {
    let h = Home::new();
    let r = h.coi(&["--help"]).ok();
    for cmd in [
        "init",
        "whoami",
        "declare",
        "amend",
        "withdraw",
        "retract",
        "profile",
        "log",
        "show",
        "conflicts",
        "members",
        "export",
        "verify",
        "import",
        "forks",
    ] {
        assert!(r.stdout.contains(cmd), "help lacks {cmd}");
    }
    assert!(h.coi(&["--version"]).ok().stdout.starts_with("coi "));
}

#[test]
fn restore_from_backup_is_noticed() {
    let h = Home::init("Ada");
    h.coi(&declare_args("item-1", "Acme")).ok();
    let backup = Home::new();
    copy_dir(&h.path, &backup.path);
    let backup2 = Home::new();
    copy_dir(&h.path, &backup2.path);
    h.coi(&declare_args("item-2", "Beta")).ok();
    h.coi(&declare_args("item-3", "Gamma")).ok();
    let published = h.file("published.ledger");
    h.coi(&["export", "-o", published.to_str().unwrap()]).ok();

    // A restored home that imports its own publication catches up, and says so.
    let r = backup.coi(&["import", published.to_str().unwrap()]).ok();
    assert!(
        r.stderr.contains("2 entries of your own chain"),
        "{}",
        r.stderr
    );
    assert_eq!(backup.count(), 4);

    // A restored home that declared again before importing has forked its own chain: refused, warned.
    backup2.coi(&declare_args("item-9", "Other")).ok();
    let r = backup2
        .coi(&["import", published.to_str().unwrap()])
        .code(1);
    assert!(r.stderr.contains("YOUR OWN chain"), "{}", r.stderr);
    assert!(r.stdout.contains("FORK"), "{}", r.stdout);
    assert_eq!(
        backup2
            .coi(&["forks", "--json"])
            .code(1)
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(backup2.count(), 3);
}

#[test]
fn verify_reads_standard_input() {
    use std::io::Write as _;
    let h = Home::init("Ada");
    let text = h.coi(&["export"]).ok().stdout;
    let run = |input: String| {
        let mut c = Command::new(COI)
            .args(["verify", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let o = c.wait_with_output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, out) = run(text.clone());
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("(standard input): valid: 1 entries"), "{out}");
    let (code, _) = run(text.replace("Ada", "Adb"));
    assert_eq!(code, Some(1));
}

#[test]
fn rotate_key_keeps_the_member_id_and_recovers_an_interrupted_rotation() {
    let h = Home::init("Ada");
    let me = h.coi(&["whoami", "--json"]).ok().json()["member"]
        .as_str()
        .unwrap()
        .to_string();
    h.coi(&declare_args("item-1", "Acme")).ok();
    let key = h.path.join("secret-key.json");
    let old_key = std::fs::read(&key).unwrap();
    let r = h.coi(&["rotate-key", "--no-passphrase"]).ok();
    r.id();
    assert!(r.stderr.contains("member id unchanged"), "{}", r.stderr);
    assert_ne!(std::fs::read(&key).unwrap(), old_key);
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!h.path.join("secret-key.json.new").exists());
    let who = h.coi(&["whoami", "--json"]).ok().json();
    assert_eq!(who["member"], me.as_str());
    h.coi(&declare_args("item-2", "Beta")).ok();
    let file = h.file("rotated.ledger");
    h.coi(&["export", "-o", file.to_str().unwrap()]).ok();
    let v = h
        .coi(&["verify", "--json", file.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["entries"], 4);
    assert!(h.coi(&["log"]).ok().stdout.contains("key-rotation"));
    let bob = Home::init("Bob");
    bob.coi(&["import", file.to_str().unwrap()]).ok();

    // The old key no longer signs for the chain: a clear error, nothing written.
    let new_key = std::fs::read(&key).unwrap();
    std::fs::write(&key, &old_key).unwrap();
    h.coi(&declare_args("item-3", "Gamma"))
        .code(2)
        .err_has("does not hold your chain's current key");
    assert_eq!(h.count(), 4);

    // A crash after the rotation entry was stored but before the key file was replaced leaves
    // the new key pending beside the old one: the next command finishes the rotation.
    let pending = h.path.join("secret-key.json.new");
    std::fs::write(&pending, &new_key).unwrap();
    std::fs::set_permissions(&pending, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = h.coi(&declare_args("item-3", "Gamma")).ok();
    assert!(
        r.stderr.contains("finished an interrupted key rotation"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&key).unwrap(), new_key);
    assert!(!pending.exists());

    // Rotating to a passphrase-protected key; neither the passphrase nor the new secret is shown.
    let r = h
        .coi_env(&["rotate-key"], &[("COI_PASSPHRASE", "s3cret")])
        .ok();
    let text = std::fs::read(&key).unwrap();
    assert!(String::from_utf8_lossy(&text).contains("argon2id"));
    let kf = coi_ledger::KeyFile::decode(&text, Some(b"s3cret")).unwrap();
    let fast = coi_ledger::KdfParams {
        m_kib: 8192,
        t: 1,
        p: 1,
    };
    let plain: Value = serde_json::from_str(&kf.encode(None, fast).unwrap()).unwrap();
    let seed = plain["secret"].as_str().unwrap().to_string();
    assert_eq!(seed.len(), 64);
    for out in [&r.stdout, &r.stderr] {
        assert!(
            !out.contains("s3cret") && !out.contains(&seed),
            "secret in output: {out}"
        );
    }
    h.coi_env(
        &declare_args("item-4", "Delta"),
        &[("COI_PASSPHRASE", "s3cret")],
    )
    .ok();
    h.coi(&["export", "-o", file.to_str().unwrap()]).ok();
    h.coi(&["verify", file.to_str().unwrap()]).ok();
}

/// Spec §5.3: files given together are one body; an entry of file 2 at a seq file 1 holds with
/// another id is a `fork` on file 2's line, naming file 1's line; the same chain twice is valid.
#[test]
fn verify_compares_several_files() {
    let dir = Home::init("Ada");
    let fork = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/vectors/fork.ledger"),
    )
    .unwrap();
    let lines: Vec<&str> = fork.lines().collect();
    let a = dir.file("a.ledger");
    let b = dir.file("b.ledger");
    std::fs::write(&a, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    std::fs::write(&b, format!("{}\n{}\n", lines[0], lines[2])).unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    dir.coi(&["verify", a, a]).ok();
    // A longer chain in file 2 extends the reference chain: valid.
    let short = dir.file("short.ledger");
    std::fs::write(&short, format!("{}\n", lines[0])).unwrap();
    dir.coi(&["verify", short.to_str().unwrap(), a]).ok();
    dir.coi(&["verify", a, short.to_str().unwrap()]).ok();
    dir.coi(&["verify", a]).ok();
    dir.coi(&["verify", b]).ok();
    let r = dir.coi(&["verify", a, b]).code(1);
    assert!(
        r.stdout.contains("b.ledger:2: member ")
            && r.stdout.contains("seq 2: fork: ")
            && r.stdout.contains("a.ledger line 2)"),
        "{}",
        r.stdout
    );
    let j = dir.coi(&["verify", "--json", a, b]).code(1).json();
    assert_eq!(j["problems"][0]["class"], "fork");
    assert_eq!(j["problems"][0]["other_line"], 2);
    assert_eq!(j["problems"][0]["other_file"], a);
    assert_eq!(j["problems"][0]["file"], b);
}

/// Issue 9 item 5: a fork proof exported by one home is evidence in another. Home A sees a fork
/// (its restored backup declared again), exports the proof; a fresh home B imports it and lists
/// the same fork, and exports the same proof byte for byte. A forged proof is refused.
#[test]
fn a_fork_proof_travels_to_another_home() {
    let a = Home::init("Ada");
    a.coi(&declare_args("board/item-1", "Acme")).ok();
    let backup = Home::new();
    copy_dir(&a.path, &backup.path);
    a.coi(&["declare", "--none", "--matter", "board/item-2"])
        .ok();
    backup
        .coi(&["declare", "--none", "--matter", "board/item-3"])
        .ok();
    let branch = backup.file("branch.ledger");
    let branch = branch.to_str().unwrap();
    backup.coi(&["export", "-o", branch]).ok();
    a.coi(&["import", branch]).code(1);
    let proof = a.file("proof.ledger");
    let proof = proof.to_str().unwrap();
    a.coi(&["forks", "--proof", "1", "-o", proof]).ok();
    // Before the import, B knows of no fork.
    let b = Home::init("Bea");
    b.coi(&["forks"]).ok();

    // Exit 1: the import found a fork, as any import that finds one.
    let r = b.coi(&["import", proof]).code(1);
    assert!(r.stdout.contains("fork proof"), "{}", r.stdout);
    assert!(
        r.stdout.contains("FORK: member ") && r.stdout.contains(" seq 3: "),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("recorded as evidence"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("imported the file's chains: 3 new entries, 0 already held, 1 members"),
        "{}",
        r.stdout
    );
    assert_eq!(b.count(), 4);
    let listing = b.coi(&["forks"]).code(1).stdout;
    assert_eq!(listing.lines().count(), 1, "{listing}");
    assert!(
        listing.starts_with("1. member ") && listing.contains(" seq 3: "),
        "{listing}"
    );
    // The same fork as A's: member, seq, both ids and both lines.
    let fa = a.coi(&["forks", "--json"]).code(1).json();
    let fb = b.coi(&["forks", "--json"]).code(1).json();
    for k in [
        "member",
        "seq",
        "held_id",
        "held_line",
        "other_id",
        "other_line",
    ] {
        assert_eq!(fa[0][k], fb[0][k], "{k}");
    }
    assert_eq!(fb[0]["source"], proof);
    let p2 = b.file("p2.ledger");
    let p2 = p2.to_str().unwrap();
    b.coi(&["forks", "--proof", "1", "-o", p2]).ok();
    assert_eq!(std::fs::read(p2).unwrap(), std::fs::read(proof).unwrap());

    // Again: nothing new.
    let j = b.coi(&["import", "--json", proof]).code(1).json();
    assert_eq!(j["ok"], false);
    let f = &j["files"][0];
    assert_eq!(
        (&f["fork_proof"], &f["merged"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    assert_eq!(
        (&f["added"], &f["held"]),
        (&Value::from(0), &Value::from(3))
    );
    assert_eq!(f["evidence"].as_array().unwrap().len(), 1);
    assert_eq!(f["forks"].as_array().unwrap().len(), 0);
    assert_eq!(b.coi(&["forks"]).code(1).stdout.lines().count(), 1);
    assert_eq!(b.count(), 4);

    // A's own chain: importing the proof into A warns as any fork of one's own chain does.
    let r = a.coi(&["import", proof]).code(1);
    assert!(r.stderr.contains("YOUR OWN chain"), "{}", r.stderr);

    // Forged: a line of another class added; refused whole, nothing recorded.
    let forged = b.file("forged.ledger");
    let mut bytes = std::fs::read(proof).unwrap();
    bytes.extend_from_slice(b"{}\n");
    std::fs::write(&forged, bytes).unwrap();
    let c = Home::init("Cy");
    let r = c.coi(&["import", forged.to_str().unwrap()]).code(1);
    assert!(
        r.stdout.contains("not imported: the file does not verify"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("fork proof"), "{}", r.stdout);
    c.coi(&["forks"]).ok();
    assert_eq!(c.count(), 1);
}

/// Spec §9, issue 9: however many problems a file has, `verify` and `import` print the first
/// 1,000 of it (as they are found) and then its counts per class; `--json` keeps the same detail
/// and exact counts.
#[test]
fn many_problems_are_counted_and_only_the_first_are_shown() {
    let h = Home::init("Ada");
    let own = h.coi(&["export"]).ok().stdout;
    let limit = coi_ledger::DETAIL_LIMIT;
    let mut text = own.clone();
    for _ in 0..limit + 500 {
        text.push_str("{\n");
    }
    for _ in 0..20 {
        text.push('\n');
    }
    let bad = h.file("junk.ledger");
    std::fs::write(&bad, &text).unwrap();
    let name = bad.to_str().unwrap();
    let total = limit + 520;
    let r = h.coi(&["verify", name]).code(1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains(": json-syntax: "))
            .count(),
        limit,
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(": empty-line: "));
    assert_eq!(
        &lines[limit..],
        [
            format!(
                "{name}: INVALID: {total} problem(s); 1 of {} lines accepted",
                total + 1
            ),
            format!(
                "{name}: problems by class: empty-line 20, json-syntax {}",
                limit + 500
            ),
            format!("{name}: 520 more problem(s) not shown (the first {limit} are above)"),
        ]
    );
    let j = h.coi(&["verify", "--json", name]).code(1).json();
    assert_eq!(j["problems"].as_array().unwrap().len(), limit);
    assert_eq!(j["problems_count"], total);
    assert_eq!(j["problem_classes"]["empty-line"], 20);
    assert_eq!(j["problem_classes"]["json-syntax"], limit + 500);
    assert_eq!(j["files"][0]["problems"].as_array().unwrap().len(), limit);
    assert_eq!(j["files"][0]["problems_count"], total);
    assert_eq!(j["files"][0]["lines"], total + 1);
    // Import reports the same way and refuses the file.
    let bob = Home::init("Bob");
    let r = bob.coi(&["import", name]).code(1);
    assert_eq!(
        r.stdout
            .lines()
            .filter(|l| l.contains(": json-syntax: "))
            .count(),
        limit
    );
    assert!(r
        .stdout
        .contains(&format!("{name}: 520 more problem(s) not shown")));
    assert!(r
        .stdout
        .ends_with(&format!("{name}: not imported: the file does not verify\n")));
    let j = bob.coi(&["import", "--json", name]).code(1).json();
    let v = &j["files"][0]["verification"];
    assert_eq!(v["problems"].as_array().unwrap().len(), limit);
    assert_eq!(v["problems_count"], total);
    assert_eq!(j["files"][0]["merged"], false);
    assert_eq!(bob.count(), 1);
}

/// A valid file of more than 50 members is summed up in two lines; `--members` lists them all.
#[test]
fn a_large_body_is_summed_up_unless_members_are_asked_for() {
    let dir = Home::new();
    let file = dir.file("body.ledger");
    let mut text = String::new();
    for i in 0..51u8 {
        let key = coi_ledger::SecretKey::from_seed(&[i; 32]);
        let e = coi_ledger::Draft {
            member: key.public().member_id(),
            seq: 1,
            prev: coi_ledger::Hash32::ZERO,
            time: coi_ledger::Timestamp::parse("2026-12-01T09:00:00Z").unwrap(),
            data: coi_ledger::Data::Profile(coi_ledger::Profile {
                name: format!("Member {i}"),
                capacity: None,
                affiliation: None,
            }),
        }
        .sign(&key)
        .unwrap();
        text.push_str(&e.line);
        text.push('\n');
    }
    std::fs::write(&file, text).unwrap();
    let name = file.to_str().unwrap();
    let r = dir.coi(&["verify", name]).ok();
    assert_eq!(
        r.stdout,
        format!(
            "{name}: valid: 51 entries from 51 members\n{name}: members not listed (more than 50; `--members` lists them)\n"
        )
    );
    let r = dir.coi(&["verify", "--members", name]).ok();
    assert_eq!(r.stdout.lines().count(), 52);
    assert!(r.stdout.contains("\"Member 50\""));
}

#[test]
fn completions_man_pages_help_examples_and_no_colour() {
    let h = Home::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let r = h.coi(&["completions", shell]).ok();
        assert!(
            r.stdout.contains("register") && r.stdout.contains("declare"),
            "{shell}"
        );
    }
    h.coi(&["completions", "tcsh"]).code(2);
    let man = h.coi(&["man"]).ok();
    assert!(man.stdout.starts_with(".ie") || man.stdout.contains(".TH coi 1"));
    assert!(man.stdout.contains("register"));
    let dir = h.file("man1");
    h.coi(&["man", "--dir", dir.to_str().unwrap()]).ok();
    let page = std::fs::read_to_string(dir.join("coi-declare.1")).unwrap();
    assert!(
        page.contains(".TH coi\\-declare 1") || page.contains(".TH coi-declare 1"),
        "{page}"
    );
    assert!(
        dir.join("coi-register.1").exists()
            && dir.join("coi-sync.1").exists() == dir.join("coi-follow.1").exists()
    );
    // Examples in --help, within 80 columns; and never a colour, even when forced.
    for args in [
        &["--help"][..],
        &["declare", "--help"],
        &["register", "--help"],
    ] {
        let r = Run::from(
            support::cli::command(&h.path)
                .args(args)
                .env("CLICOLOR_FORCE", "1")
                .env("NO_COLOR", "1")
                .output()
                .unwrap(),
        )
        .ok();
        assert!(r.stdout.contains("Examples:"), "{args:?}");
        assert!(!r.stdout.contains('\u{1b}'), "{args:?}: colour");
    }
    // Every command's help fits an 80-column terminal, whatever COLUMNS says.
    for page in std::fs::read_dir(&dir).unwrap() {
        let name = page.unwrap().file_name().to_string_lossy().into_owned();
        let Some(cmd) = name.strip_prefix("coi-").and_then(|n| n.strip_suffix(".1")) else {
            continue;
        };
        let r = Run::from(
            support::cli::command(&h.path)
                .args([cmd, "--help"])
                .env("COLUMNS", "200")
                .output()
                .unwrap(),
        )
        .ok();
        for line in r.stdout.lines() {
            assert!(line.chars().count() <= 80, "coi {cmd} --help: {line:?}");
        }
    }
}
