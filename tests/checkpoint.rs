//! The body log as a transparency log, as a secretary, members and an outsider use it: `coi
//! log-key`, `coi checkpoint`, `coi witness`, `coi vote` committing to a cosigned checkpoint,
//! `coi prove` and `coi verify --proof`; and every witness refusing a rewritten or truncated
//! log, with the evidence kept (spec §13).

mod support;

use std::path::Path;

use support::cli::{coi, Home};

const ORIGIN: &str = "example.org/board-log";
const ITEM: &str = "board-2026-12/item-4";

fn s(p: &Path) -> String {
    p.to_str().expect("a UTF-8 path").to_string()
}

fn member(h: &Home) -> String {
    h.coi(&["whoami", "--json"]).ok().json()["member"]
        .as_str()
        .expect("a member id")
        .to_string()
}

fn export(h: &Home, name: &str) -> String {
    let p = s(&h.file(name));
    h.coi(&["export", "-o", &p]).ok();
    p
}

/// The body: a secretary running the log and two members, Ada (who declares on the item) and
/// Bob; the secretary holds every chain, has signed a checkpoint and published it with the
/// body log.
struct Body {
    sec: Home,
    ada: Home,
    bob: Home,
    vkey: String,
    ledger: String,
    checkpoint: String,
    declaration: String,
}

fn body() -> Body {
    let sec = Home::init("Sam Secretary");
    let run = sec.coi(&["log-key", "--origin", ORIGIN]).ok();
    let vkey = run.stdout.lines().next().expect("the vkey").to_string();
    assert!(vkey.starts_with(&format!("{ORIGIN}+")), "{vkey}");
    assert_eq!(sec.coi(&["log-key"]).ok().stdout.trim(), vkey);
    let ada = Home::init("Ada");
    let declaration = ada
        .coi(&[
            "declare",
            "--matter",
            ITEM,
            "--category",
            "financial",
            "--between",
            "personal-professional",
            "--counterparty",
            "Acme Corp",
            "--relationship",
            "consulting",
            "--nature",
            "paid adviser",
        ])
        .ok()
        .id();
    let bob = Home::init("Bob");
    let (a, b) = (export(&ada, "ada.ledger"), export(&bob, "bob.ledger"));
    sec.coi(&["import", &a, &b]).ok();
    let ledger = s(&sec.file("body.ledger"));
    let checkpoint = s(&sec.file("body.checkpoint"));
    sec.coi(&[
        "export",
        "--all",
        "-o",
        &ledger,
        "--checkpoint",
        &checkpoint,
    ])
    .ok();
    Body {
        sec,
        ada,
        bob,
        vkey,
        ledger,
        checkpoint,
        declaration,
    }
}

/// Cosigns the body's checkpoint as `h` and returns the cosigner's vkey, from the witness
/// entry `h` published.
fn cosign(b: &Body, h: &Home) -> String {
    let run = h
        .coi(&["witness", &b.checkpoint, "--ledger", &b.ledger])
        .ok();
    let mut lines = run.stdout.lines();
    assert!(lines
        .next()
        .expect("a cosignature")
        .starts_with("\u{2014} "));
    let entry = lines.next().expect("the witness entry's id");
    let shown = h.coi(&["show", entry, "--json"]).ok().json();
    shown["data"]["cosigner"]
        .as_str()
        .unwrap_or_else(|| panic!("a cosigner in {shown}"))
        .to_string()
}

#[test]
fn members_cosign_a_vote_commits_and_an_outsider_proves_with_the_proof_alone() {
    let b = body();
    let wa = cosign(&b, &b.ada);
    let wb = cosign(&b, &b.bob);
    // The members publish their witness entries; the secretary imports them.
    let (a, bb) = (export(&b.ada, "ada.ledger"), export(&b.bob, "bob.ledger"));
    b.sec.coi(&["import", &a, &bb]).ok();
    let list = b.sec.coi(&["checkpoint", "--list"]).ok().stdout;
    assert!(list.contains("2 cosignature(s)"), "{list}");
    let cosigned = s(&b.sec.file("cosigned.checkpoint"));
    b.sec
        .coi(&["checkpoint", "--cosigned", "-o", &cosigned])
        .ok();
    let note = std::fs::read_to_string(&cosigned).expect("the cosigned checkpoint");
    assert_eq!(note.matches("\u{2014} ").count(), 3, "{note}");

    // A vote commits to it, and check says so.
    b.sec
        .coi(&["agenda", "--meeting", "board-2026-12", "--item", ITEM])
        .ok();
    b.sec
        .coi(&[
            "vote",
            "--matter",
            ITEM,
            "--recused",
            &member(&b.ada),
            "--yes",
            &member(&b.bob),
        ])
        .ok();
    let check = b.sec.coi(&["check", "--matter", ITEM]).ok().stdout;
    assert!(check.contains("signed here, cosigned by"), "{check}");
    assert!(check.contains("in checkpoint of "), "{check}");

    // An outsider, with no home: prove from the published files, check with the proof alone.
    let outsider = tempfile::tempdir().expect("tempdir");
    let nohome = outsider.path().join("no-home");
    let proof = s(&outsider.path().join("decl.tlog-proof"));
    coi(
        &nohome,
        &[
            "prove",
            &b.declaration[..16],
            "--ledger",
            &b.ledger,
            "--checkpoint",
            &cosigned,
            "-o",
            &proof,
        ],
    );
    assert!(Path::new(&proof).exists(), "no proof written");
    let ok = coi(
        &nohome,
        &[
            "verify",
            "--proof",
            &proof,
            "--log-key",
            &b.vkey,
            "--witness",
            &wa,
            "--witness",
            &wb,
        ],
    );
    let text = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{text}");
    assert!(
        text.contains("2 of the 2 witness(es) given cosigned"),
        "{text}"
    );
    assert!(!nohome.exists(), "verifying a proof made a home");

    // The same trust as a C2SP tlog-policy: both members' cosignatures are needed.
    let policy = outsider.path().join("board.policy");
    std::fs::write(
        &policy,
        format!(
            "log {}\nwitness ada {wa}\nwitness bob {wb}\ngroup members 2 ada bob\nquorum members\n",
            b.vkey
        ),
    )
    .expect("write policy");
    let r = coi(
        &nohome,
        &["verify", "--proof", &proof, "--policy", &s(&policy)],
    );
    let text = String::from_utf8_lossy(&r.stdout);
    assert_eq!(r.status.code(), Some(0), "{text}");
    assert!(text.contains("policy quorum \"members\": met"), "{text}");
    let check = b
        .sec
        .coi(&["check", "--matter", ITEM, "--policy", &s(&policy)])
        .ok()
        .stdout;
    assert!(check.contains("the policy's quorum is met"), "{check}");
    assert!(!check.contains("NOT met"), "{check}");
    std::fs::write(
        &policy,
        format!(
            "log {}\nwitness ada {wa}\ngroup members all ada\nquorum members\n",
            b.vkey
        ),
    )
    .expect("write policy");
    let r = coi(
        &nohome,
        &["verify", "--proof", &proof, "--policy", &s(&policy)],
    );
    assert_eq!(r.status.code(), Some(0));
    // A policy that also needs a witness who did not cosign: not met, in check and in verify.
    let stranger =
        coi_ledger::tlog::note::CosignerKey::from_seed("witness.example.org/x", &[9; 32])
            .expect("a key name")
            .vkey();
    std::fs::write(
        &policy,
        format!(
            "log {}\nwitness ada {wa}\nwitness x {stranger}\ngroup g all ada x\nquorum g\n",
            b.vkey
        ),
    )
    .expect("write policy");
    let r = coi(
        &nohome,
        &["verify", "--proof", &proof, "--policy", &s(&policy)],
    );
    assert_eq!(r.status.code(), Some(1));
    let check = b
        .sec
        .coi(&["check", "--matter", ITEM, "--policy", &s(&policy)])
        .ok()
        .stdout;
    assert!(check.contains("the policy's quorum is NOT met"), "{check}");

    // Any change to the proof, and the wrong log key, are refused (exit 1).
    let bytes = std::fs::read_to_string(&proof).expect("proof");
    let tampered = s(&outsider.path().join("tampered.tlog-proof"));
    std::fs::write(&tampered, bytes.replacen("index 3", "index 2", 1)).expect("write");
    let r = coi(
        &nohome,
        &["verify", "--proof", &tampered, "--log-key", &b.vkey],
    );
    assert_eq!(r.status.code(), Some(1));
    let other = Home::init("Other");
    other.coi(&["log-key", "--origin", ORIGIN]).ok();
    let other_key = other.coi(&["log-key"]).ok().stdout.trim().to_string();
    let r = coi(
        &nohome,
        &["verify", "--proof", &proof, "--log-key", &other_key],
    );
    assert_eq!(r.status.code(), Some(1));
    // Too few cosigners for the quorum asked.
    let r = coi(
        &nohome,
        &[
            "verify",
            "--proof",
            &proof,
            "--log-key",
            &b.vkey,
            "--witness",
            &wa,
            "--witness",
            &other_key,
        ],
    );
    assert_ne!(r.status.code(), Some(0));
}

#[test]
fn a_rewritten_or_truncated_log_is_refused_by_every_witness_with_evidence_kept() {
    let b = body();
    cosign(&b, &b.ada);
    cosign(&b, &b.bob);
    // A rewritten history under the same key: another store holding the same chains in
    // another order, signing with a copy of the log key.
    let evil = Home::new();
    evil.coi(&["init", "--observer"]).ok();
    std::fs::copy(
        b.sec.path.join("log-key.json"),
        evil.path.join("log-key.json"),
    )
    .expect("copy");
    let (a, bb) = (export(&b.ada, "ada.ledger"), export(&b.bob, "bob.ledger"));
    let sec_own = export(&b.sec, "sec.ledger");
    evil.coi(&["import", &bb, &sec_own, &a]).ok();
    let evil_ledger = s(&evil.file("evil.ledger"));
    evil.coi(&["export", "--all", "-o", &evil_ledger]).ok();
    let evil_cp = s(&evil.file("evil.checkpoint"));
    evil.coi(&["checkpoint", "-o", &evil_cp]).ok();
    // A truncated file under the honest checkpoint.
    let full = std::fs::read_to_string(&b.ledger).expect("ledger");
    let truncated = s(&b.sec.file("truncated.ledger"));
    let keep: String = full.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(&truncated, keep).expect("write");
    for w in [&b.ada, &b.bob] {
        let r = w
            .coi(&["witness", &evil_cp, "--ledger", &evil_ledger])
            .code(1);
        assert!(r.stderr.contains("inconsistent"), "{}", r.stderr);
        let r = w
            .coi(&["witness", &b.checkpoint, "--ledger", &truncated])
            .code(1);
        assert!(r.stderr.contains("truncated"), "{}", r.stderr);
        let ev = w.coi(&["witness", "--evidence"]).code(1).stdout;
        assert!(ev.contains("2 piece(s) of evidence kept"), "{ev}");
        assert!(
            ev.contains("inconsistent") && ev.contains("truncated"),
            "{ev}"
        );
        // The honest checkpoint is still the one cosigned.
        assert!(
            ev.contains("witnessing \"example.org/board-log\": cosigned size"),
            "{ev}"
        );
    }
}

#[test]
fn a_log_never_signs_two_inconsistent_checkpoints_and_grows_incrementally() {
    let b = body();
    let first = std::fs::read_to_string(&b.checkpoint).expect("checkpoint");
    // Nothing new: the same checkpoint, not a second signature.
    let again = b.sec.coi(&["checkpoint"]).ok().stdout;
    assert_eq!(again.lines().next(), first.lines().next());
    assert_eq!(again.lines().nth(1), first.lines().nth(1));
    // Grown: a new checkpoint whose tree extends the first (Bob cosigns it after his last).
    cosign(&b, &b.bob);
    b.sec.coi(&["declare", "--none", "--matter", ITEM]).ok();
    let ledger2 = s(&b.sec.file("body2.ledger"));
    b.sec.coi(&["export", "--all", "-o", &ledger2]).ok();
    let cp2 = s(&b.sec.file("body2.checkpoint"));
    b.sec.coi(&["checkpoint", "-o", &cp2]).ok();
    b.bob.coi(&["witness", &cp2, "--ledger", &ledger2]).ok();
    // Going back to the first is refused.
    let r = b
        .bob
        .coi(&["witness", &b.checkpoint, "--ledger", &ledger2])
        .code(1);
    assert!(r.stderr.contains("backwards"), "{}", r.stderr);
    // A second log key is refused.
    b.sec
        .coi(&["log-key", "--origin", "example.org/other"])
        .code(2)
        .err_has("already has a log key");
}

/// `coi checkpoint --submit` against a loopback C2SP tlog-witness: it cosigns the honest log,
/// then a grown one (consistency proof from the size it saw), and refuses a rewritten history
/// under the same key, which it keeps as evidence.
#[test]
fn an_external_witness_cosigns_through_the_witness_protocol_and_refuses_a_rewrite() {
    use coi_ledger::tlog::note::NoteVerifier;
    use support::witness::TestWitness;
    let b = body();
    let logs = std::collections::BTreeMap::from([(
        ORIGIN.to_string(),
        vec![NoteVerifier::parse(&b.vkey).expect("the log's vkey")],
    )]);
    let w = TestWitness::start(logs, 7);
    let (url, vkey) = (w.url(), w.vkey().to_string());
    let run = b
        .sec
        .coi(&["checkpoint", "--submit", &url, "--witness-key", &vkey])
        .ok();
    assert!(run.stderr.contains("cosigned as"), "{}", run.stderr);
    assert_eq!(
        run.stdout.matches("witness.example.org/test").count(),
        1,
        "{}",
        run.stdout
    );
    let first = w.head(ORIGIN).expect("a head").size;
    // The same witness named by a policy: nothing new to cosign, the same size again.
    let policy = b.sec.file("witnesses.policy");
    std::fs::write(
        &policy,
        format!("log {}\nwitness test {vkey} {url}\nquorum test\n", b.vkey),
    )
    .expect("write policy");
    let run = b.sec.coi(&["checkpoint", "--policy", &s(&policy)]).ok();
    assert!(run.stderr.contains("cosigned as"), "{}", run.stderr);
    // Grown: the next submission proves consistency from what the witness cosigned.
    b.sec.coi(&["declare", "--none", "--standing"]).ok();
    b.sec
        .coi(&["checkpoint", "--submit", &url, "--witness-key", &vkey])
        .ok();
    assert_eq!(w.head(ORIGIN).expect("a head").size, first + 1);
    // A rewritten history signed with a copy of the log key.
    let evil = Home::new();
    evil.coi(&["init", "--observer"]).ok();
    std::fs::copy(
        b.sec.path.join("log-key.json"),
        evil.path.join("log-key.json"),
    )
    .expect("copy");
    let (a, bb) = (export(&b.ada, "ada.ledger"), export(&b.bob, "bob.ledger"));
    let sec_own = export(&b.sec, "sec.ledger");
    evil.coi(&["import", &bb, &a, &sec_own]).ok();
    let r = evil
        .coi(&["checkpoint", "--submit", &url, "--witness-key", &vkey])
        .code(1);
    assert!(r.stderr.contains("did not cosign"), "{}", r.stderr);
    assert_eq!(w.head(ORIGIN).expect("a head").size, first + 1);
    assert!(!w.evidence().is_empty(), "the witness kept no evidence");
    // A cosignature by a key other than the one named is not kept.
    let other = TestWitness::start(
        std::collections::BTreeMap::from([(
            ORIGIN.to_string(),
            vec![NoteVerifier::parse(&b.vkey).expect("vkey")],
        )]),
        8,
    );
    let r = b
        .sec
        .coi(&[
            "checkpoint",
            "--submit",
            &other.url(),
            "--witness-key",
            &vkey,
        ])
        .code(1);
    assert!(r.stderr.contains("no cosignature by"), "{}", r.stderr);
}
