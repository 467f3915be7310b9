//! What the reading views say, as a careful reader acts on it: declarations are current only
//! between their dates, silence, "none" and "unknown" differ, and one member's long history
//! cannot break an answer for everyone.

mod support;

use coi_ledger::{
    Between, Category, Data, Declaration, Draft, EntryId, Mitigation, Scope, SecretKey, Timestamp,
    Whose,
};
use serde_json::Value;
use support::cli::Home;

fn declare<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    support::cli::declare_acme(extra)
}

fn states(j: &Value) -> Vec<(String, String)> {
    j.as_array()
        .expect("an array")
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap_or("").to_string(),
                r["state"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_declaration_is_current_only_between_since_and_until() {
    let h = Home::init("Ada");
    h.coi(&declare(&[
        "--standing",
        "--since",
        "2020-01-01",
        "--until",
        "2021-01-01",
    ]))
    .ok();
    h.coi(&declare(&["--standing", "--since", "2999-01-01"]))
        .ok();
    h.coi(&declare(&["--matter", "b/1"])).ok();
    // Now: only the open-ended one is current; the others are counted, not shown as current.
    let now = h.coi(&["conflicts", "--json"]).ok().json();
    assert_eq!(
        states(&now),
        [("declaration".into(), "current".into())],
        "{now}"
    );
    let text = h.coi(&["conflicts"]).ok();
    assert!(!text.stdout.contains("2021-01-01"), "{}", text.stdout);
    assert!(text.stderr.contains("2 declaration(s)"), "{}", text.stderr);
    // --ended shows them, marked.
    let all = h.coi(&["conflicts", "--ended"]).ok().stdout;
    assert!(all.contains("ENDED (until 2021-01-01)"), "{all}");
    assert!(all.contains("NOT YET (from 2999-01-01)"), "{all}");
    // As of a date inside the first one's range, nothing made later counts: entries made today
    // did not exist on 2020-06-01.
    let then = h
        .coi(&["conflicts", "--as-of", "2020-06-01", "--json"])
        .ok()
        .json();
    assert_eq!(states(&then), Vec::<(String, String)>::new(), "{then}");
}

#[test]
fn withdraw_refuses_a_date_to_come_and_ends_the_declaration_at_once() {
    let h = Home::init("Ada");
    let d = h.coi(&declare(&["--standing"])).ok().id();
    h.coi(&["withdraw", &d, "--until", "2999-12-31"])
        .code(2)
        .err_has("amend the declaration with --until 2999-12-31");
    assert_eq!(
        states(&h.coi(&["conflicts", "--json"]).ok().json()).len(),
        1
    );
    // Amending with a planned end keeps it current until then.
    h.coi(&["amend", &d, "--until", "2999-12-31"]).ok();
    let now = h.coi(&["conflicts", "--json"]).ok().json();
    assert_eq!(states(&now), [("amend".into(), "current".into())], "{now}");
    let amended = now[0]["id"].as_str().unwrap().to_string();
    h.coi(&["withdraw", &amended, "--until", "2026-01-31"]).ok();
    assert_eq!(
        states(&h.coi(&["conflicts", "--json"]).ok().json()).len(),
        0
    );
    let ended = h.coi(&["conflicts", "--ended"]).ok().stdout;
    assert!(ended.contains("ENDED 2026-01-31 (withdrawn "), "{ended}");
}

#[test]
fn nil_returns_show_and_contradictions_are_named() {
    let h = Home::init("Ada");
    let bob = Home::init("Bob");
    // Bob files a standing nil return: he is not silent, with or without --matter.
    bob.coi(&["declare", "--none", "--standing"]).ok();
    let bob_file = bob.file("bob.ledger");
    bob.coi(&["export", "-o", bob_file.to_str().unwrap()]).ok();
    h.coi(&["import", bob_file.to_str().unwrap()]).ok();
    let d = h.coi(&declare(&["--matter", "b/1"])).ok().id();
    let all = h.coi(&["conflicts"]).ok().stdout;
    assert!(all.contains("\"Bob\""), "{all}");
    assert!(all.contains("none: nil return"), "{all}");
    let on = h.coi(&["conflicts", "--matter", "b/1"]).ok().stdout;
    assert!(on.contains("none: nil return"), "{on}");
    // Ada says "none" on b/1 while her declaration on it is current: warned, and shown.
    let warned = h.coi(&["declare", "--none", "--matter", "b/1"]).ok();
    assert!(
        warned.stderr.contains("contradicts it"),
        "{}",
        warned.stderr
    );
    let on = h
        .coi(&["conflicts", "--matter", "b/1", "--json"])
        .ok()
        .json();
    let none = on
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "no-conflict" && r["name"] == "Ada")
        .expect("Ada's none");
    assert_eq!(none["contradicts"][0], d.as_str(), "{on}");
    let text = h.coi(&["conflicts", "--matter", "b/1"]).ok().stdout;
    assert!(text.contains("CONTRADICTS current declaration"), "{text}");
}

#[test]
fn a_matter_nobody_names_is_refused_unless_asked_for() {
    let h = Home::init("Ada");
    h.coi(&declare(&["--standing"])).ok();
    h.coi(&declare(&["--matter", "b/1"])).ok();
    let typo = h.coi(&["conflicts", "--matter", "b/nosuch"]).code(1);
    assert!(typo.stdout.is_empty());
    assert!(
        typo.stderr.contains("no entry in this store names matter"),
        "{}",
        typo.stderr
    );
    let j = h
        .coi(&[
            "conflicts",
            "--matter",
            "b/nosuch",
            "--allow-unknown",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(j.as_array().unwrap().len(), 1, "the standing one: {j}");
    let j = h
        .coi(&["conflicts", "--matter", "b/1", "--json"])
        .ok()
        .json();
    assert_eq!(j.as_array().unwrap().len(), 2, "{j}");
}

/// One member's valid chain of 100,001 amendments must not break `conflicts` for everyone (it
/// used to fail with "amendment chain does not end").
#[test]
fn a_long_amendment_history_does_not_break_conflicts() {
    let key = SecretKey::from_seed(&[0x42; 32]);
    let member = key.public().member_id();
    let decl = |value: u64| Declaration {
        between: Between::PersonalProfessional,
        category: Category::Financial,
        counterparty: "Acme".into(),
        matters: None,
        mitigation: Mitigation::Recuse,
        nature: None,
        relationship: None,
        scope: Scope::Standing,
        sealed: None,
        since: None,
        until: None,
        value: Some(format!("{value} USD")),
        whose: Whose::Own,
    };
    let n = 100_002u64;
    let mut prev = EntryId::ZERO;
    let mut first = EntryId::ZERO;
    let mut text = String::new();
    let time = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    for seq in 1..=n {
        let data = if seq == 1 {
            Data::Declaration(decl(0))
        } else {
            Data::Amend {
                target: if seq == 2 { first } else { prev },
                declaration: decl(seq),
            }
        };
        let e = Draft {
            member,
            seq,
            prev,
            time,
            data,
        }
        .sign(&key)
        .unwrap();
        if seq == 1 {
            first = e.id;
        }
        prev = e.id;
        text.push_str(&e.line);
        text.push('\n');
    }
    let h = Home::init("Ada");
    let file = h.file("long.ledger");
    std::fs::write(&file, text).unwrap();
    h.coi(&["import", file.to_str().unwrap()]).ok();
    h.coi(&declare(&["--standing"])).ok();
    let started = std::time::Instant::now();
    let j = h.coi(&["conflicts", "--json"]).ok().json();
    let rows = j.as_array().unwrap();
    assert_eq!(rows.len(), 2, "both members' current declarations");
    let long = rows
        .iter()
        .find(|r| r["kind"] == "amend")
        .expect("the long one");
    assert_eq!(long["data"]["value"], format!("{n} USD"));
    assert_eq!(long["replaces"].as_array().unwrap().len() as u64, n - 1);
    eprintln!("conflicts over {n} amendments: {:?}", started.elapsed());
}

#[test]
fn ids_are_accepted_in_every_form_they_are_printed() {
    let h = Home::init("Ada");
    let d = h.coi(&declare(&["--standing"])).ok().id();
    let fingerprint = format!("{}-{}-{}-{}", &d[..4], &d[4..8], &d[8..12], &d[12..16]);
    for form in [
        d.clone(),
        d.to_ascii_uppercase(),
        d[..16].to_string(),
        fingerprint.clone(),
        fingerprint.to_ascii_uppercase(),
    ] {
        let shown = h.coi(&["show", &form, "--json"]).ok().json();
        assert_eq!(shown["id"], d.as_str(), "{form}");
    }
    let me = h.coi(&["whoami", "--json"]).ok().json();
    let fp = me["fingerprint"].as_str().unwrap().to_ascii_uppercase();
    let mine = h.coi(&["conflicts", "--member", &fp, "--json"]).ok().json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
}

#[test]
fn log_limit_gives_the_last_entries_in_order() {
    let h = Home::init("Ada");
    for m in ["b/1", "b/2", "b/3"] {
        h.coi(&declare(&["--matter", m])).ok();
    }
    let seqs = |args: &[&str]| -> Vec<u64> {
        h.coi(args)
            .ok()
            .stdout
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["seq"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(seqs(&["log", "--json"]), [1, 2, 3, 4]);
    assert_eq!(seqs(&["log", "--json", "--limit", "2"]), [3, 4]);
    assert_eq!(seqs(&["log", "--json", "--limit", "9"]), [1, 2, 3, 4]);
    let me = h.coi(&["whoami", "--json"]).ok().json()["member"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        seqs(&["log", "--json", "--member", &me, "--limit", "3"]),
        [2, 3, 4]
    );
    assert_eq!(seqs(&["log", "--json", "--limit", "0"]), Vec::<u64>::new());
}

/// `coi log | head -1`: the reader closing the pipe ends the listing quietly, with the exit code
/// the command would have had (it used to be a broken-pipe error and exit 2).
#[test]
fn a_closed_pipe_ends_a_listing_quietly() {
    use std::io::{BufRead as _, BufReader};
    let h = Home::init("Ada");
    let ledger = support::builders::build_ledger(7, 0, 4, 2000);
    let file = h.file("many.ledger");
    std::fs::write(&file, ledger.bytes()).unwrap();
    h.coi(&["import", file.to_str().unwrap()]).ok();
    for args in [&["log"][..], &["log", "--json"], &["conflicts", "--ended"]] {
        let mut child = support::cli::command(&h.path)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        // The pipe's reader is gone now; more than a pipe's buffer was still to come.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

/// `export -o` writes through a symbolic link (the served file stays a link to the new export)
/// and refuses anything that is not a regular file, instead of replacing it with one.
#[test]
fn export_writes_through_links_and_refuses_special_files() {
    use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
    let h = Home::init("Ada");
    let real = h.file("ada-real.ledger");
    let link = h.file("ada.ledger");
    std::fs::write(&real, "old\n").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    h.coi(&["export", "-o", link.to_str().unwrap()]).ok();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let text = std::fs::read_to_string(&real).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("\"kind\":\"profile\""));
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640,
        "an existing file keeps its mode"
    );
    let fifo = h.file("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    h.coi(&["export", "-o", fifo.to_str().unwrap()])
        .code(2)
        .err_has("is a FIFO (named pipe), not a regular file");
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    let dir = h.file("a-dir");
    std::fs::create_dir(&dir).unwrap();
    h.coi(&["export", "-o", dir.to_str().unwrap()])
        .code(2)
        .err_has("is a directory, not a regular file");
}

/// Like a Unix tool: `-` reads standard input for import and writes standard output for
/// export; an empty input is refused unless asked for; `--threads` is bounded.
#[test]
fn inputs_and_outputs_like_a_unix_tool() {
    use std::io::Write as _;
    let ada = Home::init("Ada");
    ada.coi(&declare(&["--standing"])).ok();
    let exported = ada.coi(&["export", "-o", "-"]).ok().stdout;
    assert_eq!(exported.lines().count(), 2);
    assert!(!ada.file("-").exists(), "no file named -");
    let bob = Home::init("Bob");
    let run = |home: &Home, args: &[&str], input: &[u8]| {
        let mut child = support::cli::command(&home.path)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    };
    let r = run(&bob, &["import", "-"], exported.as_bytes());
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(
        String::from_utf8_lossy(&r.stdout).contains("(standard input): imported: 2 new entries")
    );
    // An empty download is not a valid ledger to rely on.
    for args in [&["verify", "-"][..], &["import", "-"]] {
        let r = run(&bob, args, b"");
        assert_eq!(r.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&r.stderr).contains("is empty"),
            "{args:?}"
        );
        let mut allowed = args.to_vec();
        allowed.push("--allow-empty");
        assert_eq!(
            run(&bob, &allowed, b"").status.code(),
            Some(0),
            "{allowed:?}"
        );
    }
    let empty = bob.file("empty.ledger");
    std::fs::write(&empty, "").unwrap();
    bob.coi(&["verify", empty.to_str().unwrap()])
        .code(2)
        .err_has("--allow-empty");
    for bad in ["0", "100000", "-1", "many"] {
        bob.coi(&["verify", "--threads", bad, empty.to_str().unwrap()])
            .code(2);
    }
    bob.coi(&[
        "verify",
        "--threads",
        "256",
        "--allow-empty",
        empty.to_str().unwrap(),
    ])
    .ok();
}
