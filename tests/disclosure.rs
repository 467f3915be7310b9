//! Restricted declarations as members use them (spec §7): a declaration with a sealed amount and
//! client, disclosed to one member; the public file verifies and holds neither value nor salt;
//! the named party reveals the exact values, another member cannot; an altered disclosure and
//! unsealed values that do not match are refused; and the reference Go `age` tool decrypts what
//! coi encrypts, and coi what it encrypts.

mod support;

use std::path::Path;
use std::process::Command;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::Value;
use support::cli::{declare_acme, Home};

const AMOUNT: &str = "12,345.67 EUR (exact)";
const CLIENT: &str = "Initech Holdings <under NDA>";

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

fn entries(file: &str) -> Vec<Value> {
    std::fs::read_to_string(file)
        .expect("read ledger")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a line")["entry"].clone())
        .collect()
}

/// Ada declares with a sealed amount and client, disclosed to Bob; Carol also has a key.
struct Body {
    ada: Home,
    bob: Home,
    carol: Home,
    declaration: String,
    ledger: String,
}

fn body() -> Body {
    let (ada, bob, carol) = (Home::init("Ada"), Home::init("Bob"), Home::init("Carol"));
    for h in [&bob, &carol] {
        let r = h.coi(&["encryption-key"]).ok();
        assert!(r.stdout.trim().starts_with("age1"), "{}", r.stdout);
        let l = export(h, "own.ledger");
        ada.coi(&["import", &l]).ok();
    }
    let bob_id = member(&bob);
    let (amount, client) = (format!("amount={AMOUNT}"), format!("client={CLIENT}"));
    let args = declare_acme(&[
        "--standing",
        "--sealed",
        &amount,
        "--sealed",
        &client,
        "--to",
        &bob_id,
    ]);
    let run = ada.coi(&args).ok();
    let ids: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        ids.len(),
        2,
        "a declaration and its disclosure: {}",
        run.stdout
    );
    let declaration = ids[0].to_string();
    let ledger = export(&ada, "ada.ledger");
    Body {
        ada,
        bob,
        carol,
        declaration,
        ledger,
    }
}

#[test]
fn the_named_party_reveals_exact_values_others_cannot_and_nothing_leaks() {
    let b = body();
    // The public file verifies with no home, and holds neither value nor any salt.
    let v = Command::new(support::cli::COI)
        .args(["verify", &b.ledger])
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    b.bob.coi(&["import", &b.ledger]).ok();
    let r = b.bob.coi(&["reveal", &b.declaration]).ok();
    assert!(r.stdout.contains(&format!("\"{AMOUNT}\"")), "{}", r.stdout);
    assert!(
        r.stdout.contains("each matches the commitment"),
        "{}",
        r.stdout
    );
    let j = b.bob.coi(&["reveal", &b.declaration, "--json"]).ok().json();
    let fields = &j["revealed"][0]["fields"];
    assert_eq!(fields["amount"]["value"], AMOUNT);
    assert_eq!(fields["client"]["value"], CLIENT);
    let salts: Vec<String> = ["amount", "client"]
        .iter()
        .map(|f| fields[f]["salt"].as_str().expect("a salt").to_string())
        .collect();
    // From the published file alone, too.
    let r = b.bob.coi(&["reveal", "--ledger", &b.ledger]).ok();
    assert!(r.stdout.contains(CLIENT), "{}", r.stdout);

    // Carol is not a recipient: nothing for her, and asking for it is refused.
    b.carol.coi(&["import", &b.ledger]).ok();
    let r = b.carol.coi(&["reveal"]).ok();
    assert!(!r.stdout.contains(AMOUNT));
    let r = b.carol.coi(&["reveal", &b.declaration]).code(1);
    assert!(r.stderr.contains("no disclosure"), "{}", r.stderr);

    // Never leak: no exported byte and no other command's output holds a value or a salt, in
    // any encoding a tool might print it in.
    let mut needles: Vec<String> = vec![AMOUNT.into(), CLIENT.into(), "Initech".into()];
    for salt in &salts {
        let raw = B64.decode(salt).unwrap();
        needles.push(salt.clone());
        needles.push(hex::encode(&raw));
        needles.push(salt.trim_end_matches('=').to_string());
    }
    let mut outputs = vec![std::fs::read_to_string(&b.ledger).unwrap()];
    let all = s(&b.ada.file("all.ledger"));
    b.ada.coi(&["export", "--all", "-o", &all]).ok();
    outputs.push(std::fs::read_to_string(&all).unwrap());
    for h in [&b.ada, &b.bob, &b.carol] {
        for args in [
            vec!["log"],
            vec!["log", "--json"],
            vec!["show", &b.declaration],
            vec!["show", &b.declaration, "--json"],
            vec!["conflicts"],
            vec!["conflicts", "--json"],
            vec!["members", "--json"],
            vec!["export"],
            vec!["fsck"],
        ] {
            let r = h.coi(&args);
            outputs.push(r.stdout);
            outputs.push(r.stderr);
        }
    }
    for o in &outputs {
        for n in &needles {
            assert!(!o.contains(n.as_str()), "{n:?} leaked into {o}");
        }
    }
    // The views say the fields are sealed and how many parties can read them.
    let log = b.carol.coi(&["log"]).ok().stdout;
    assert!(
        log.contains("sealed amount, client (readable by 1 party)"),
        "{log}"
    );
}

#[test]
fn an_altered_disclosure_and_unsealed_values_that_do_not_match_are_refused() {
    let b = body();
    // Alter one byte of the ciphertext and re-sign nothing: the file no longer verifies.
    let text = std::fs::read_to_string(&b.ledger).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let last = lines.last().unwrap();
    let e: Value = serde_json::from_str(last).unwrap();
    let ct = e["entry"]["data"]["ciphertext"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bytes = B64.decode(&ct).unwrap();
    let n = bytes.len() - 5;
    bytes[n] ^= 1;
    let altered = text.replace(&ct, &B64.encode(&bytes));
    let bad = s(&b.bob.file("altered.ledger"));
    std::fs::write(&bad, altered).unwrap();
    let r = b.bob.coi(&["reveal", "--ledger", &bad]).code(1);
    assert!(r.stderr.contains("do not verify"), "{}", r.stderr);

    // The author unseals the amount; every verifier checks it against the commitment.
    b.ada
        .coi(&["unseal", &b.declaration, "--field", "amount"])
        .ok();
    let public = export(&b.ada, "public.ledger");
    let v = Command::new(support::cli::COI)
        .args(["verify", &public])
        .output()
        .unwrap();
    assert!(v.status.success());
    b.carol.coi(&["import", &public]).ok();
    let log = b.carol.coi(&["log"]).ok().stdout;
    assert!(log.contains(AMOUNT), "the unsealed value is public: {log}");
    assert!(!log.contains(CLIENT));
    // The same unseal with another value, re-signed by Ada's key, is refused as bad-commitment:
    // rebuild it through the library with her key.
    let key = std::fs::read_to_string(b.ada.path.join("secret-key.json")).unwrap();
    let key = coi_ledger::KeyFile::decode(key.as_bytes(), None).unwrap();
    let text = std::fs::read_to_string(&public).unwrap();
    let last = text.lines().last().unwrap();
    let e = coi_ledger::Entry::parse(last).unwrap();
    let coi_ledger::Data::Unseal(mut u) = e.data.clone() else {
        panic!("the last entry is the unseal")
    };
    u.fields
        .get_mut(&coi_ledger::SealedField::Amount)
        .unwrap()
        .value = "1 EUR".into();
    let forged = coi_ledger::Draft {
        member: e.member,
        seq: e.seq,
        prev: e.prev,
        time: e.time,
        data: coi_ledger::Data::Unseal(u),
    }
    .sign(&key.secret)
    .unwrap();
    let forged_file = text.replace(last, &forged.line);
    let f = s(&b.carol.file("forged.ledger"));
    std::fs::write(&f, forged_file).unwrap();
    let v = Command::new(support::cli::COI)
        .args(["verify", &f])
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&v.stdout).contains("bad-commitment"));
}

/// The reference Go age tool (Debian's `age`), or why it is missing: a skip outside CI.
fn age_tool() -> Option<()> {
    match Command::new("age").arg("--version").output() {
        Ok(o) if o.status.success() => Some(()),
        _ => {
            let why = "the reference `age` tool is not on PATH (Debian package `age`, which .ci/run installs)";
            if std::env::var_os("CI").is_some() {
                panic!("the age interop test cannot run in CI: {why}");
            }
            eprintln!("skipping the age interop test: {why}");
            None
        }
    }
}

#[test]
fn the_reference_age_tool_decrypts_coi_disclosures_and_coi_decrypts_its_files() {
    if age_tool().is_none() {
        return;
    }
    let b = body();
    // 1. Go age decrypts coi's ciphertext with the identity `coi encryption-key` exported.
    let id = b.bob.file("bob.identity");
    b.bob
        .coi(&["encryption-key", "--export-identity", &s(&id)])
        .ok();
    let disclosure = entries(&b.ledger)
        .into_iter()
        .find(|e| e["kind"] == "disclosure")
        .expect("a disclosure");
    let ct = B64
        .decode(disclosure["data"]["ciphertext"].as_str().unwrap())
        .unwrap();
    let ct_path = b.bob.file("d.age");
    std::fs::write(&ct_path, &ct).unwrap();
    let out = Command::new("age")
        .args(["-d", "-i", &s(&id), &s(&ct_path)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plain: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plain["fields"]["amount"]["value"], AMOUNT);
    // Carol's identity does not open it, in Go either.
    let cid = b.carol.file("carol.identity");
    b.carol
        .coi(&["encryption-key", "--export-identity", &s(&cid)])
        .ok();
    let out = Command::new("age")
        .args(["-d", "-i", &s(&cid), &s(&ct_path)])
        .output()
        .unwrap();
    assert!(!out.status.success());

    // 2. coi decrypts what Go age encrypts to Bob's published recipient: a disclosure made by
    // another implementation, whose ciphertext Go wrote, signed into Ada's chain.
    let recipient = b
        .bob
        .coi(&["encryption-key"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let pt_path = b.bob.file("go-plain.json");
    std::fs::write(&pt_path, out_plain(&b)).unwrap();
    let go_ct = b.bob.file("go.age");
    let out = Command::new("age")
        .args(["-r", &recipient, "-o", &s(&go_ct), &s(&pt_path)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let go_bytes = std::fs::read(&go_ct).unwrap();
    let key = std::fs::read_to_string(b.ada.path.join("secret-key.json")).unwrap();
    let key = coi_ledger::KeyFile::decode(key.as_bytes(), None).unwrap();
    let text = std::fs::read_to_string(&b.ledger).unwrap();
    let last = coi_ledger::Entry::parse(text.lines().last().unwrap()).unwrap();
    let coi_ledger::Data::Disclosure(mut d) = last.data.clone() else {
        panic!("the last entry is the disclosure")
    };
    d.ciphertext = B64.encode(&go_bytes);
    let go_entry = coi_ledger::Draft {
        member: last.member,
        seq: last.seq + 1,
        prev: last.id,
        time: last.time,
        data: coi_ledger::Data::Disclosure(d),
    }
    .sign(&key.secret)
    .unwrap();
    let f = s(&b.bob.file("with-go.ledger"));
    std::fs::write(&f, format!("{text}{}\n", go_entry.line)).unwrap();
    let r = b.bob.coi(&["reveal", "--ledger", &f, "--json"]).ok().json();
    let revealed = r["revealed"].as_array().unwrap();
    assert_eq!(revealed.len(), 2, "{r}");
    assert_eq!(
        revealed[1]["disclosure"].as_str(),
        Some(go_entry.id.to_hex().as_str())
    );
    assert_eq!(revealed[1]["fields"]["client"]["value"], CLIENT);
}

/// The plaintext of Ada's disclosure, as Bob reveals it: what a second implementation would
/// encrypt (serde_json writes these plain strings sorted and compact: the canonical form).
fn out_plain(b: &Body) -> String {
    let j = b
        .bob
        .coi(&["reveal", "--ledger", &b.ledger, "--json"])
        .ok()
        .json();
    let mut m = serde_json::Map::new();
    m.insert("fields".into(), j["revealed"][0]["fields"].clone());
    Value::Object(m).to_string()
}

#[test]
fn disclosures_still_open_after_the_signing_key_and_the_encryption_key_are_replaced() {
    let b = body();
    b.bob.coi(&["import", &b.ledger]).ok();
    b.bob.coi(&["rotate-key", "--no-passphrase"]).ok();
    let old = b.bob.coi(&["encryption-key"]).ok().stdout;
    let new = b.bob.coi(&["encryption-key", "--rotate"]).ok().stdout;
    assert_ne!(old, new);
    assert!(b.bob.path.join("age-identity.1.json").exists());
    let r = b.bob.coi(&["reveal", &b.declaration]).ok();
    assert!(r.stdout.contains(AMOUNT), "{}", r.stdout);
    // Ada, having imported Bob's new key, discloses again to the new recipient.
    let l = export(&b.bob, "bob2.ledger");
    b.ada.coi(&["import", &l]).ok();
    let bob_id = member(&b.bob);
    b.ada
        .coi(&[
            "disclose",
            &b.declaration,
            "--to",
            &bob_id,
            "--field",
            "client",
        ])
        .ok();
    let l = export(&b.ada, "ada2.ledger");
    let j = b.bob.coi(&["reveal", "--ledger", &l, "--json"]).ok().json();
    let revealed = j["revealed"].as_array().unwrap();
    assert_eq!(revealed.len(), 2, "{j}");
    assert_eq!(revealed[1]["fields"].as_object().unwrap().len(), 1);
}
