//! The meeting commands as a chair and members use them: `agenda`, `prompt`, `vote`,
//! `determine`, `check` and `minutes`, their refusals, and exit codes (0 nothing flagged, 1
//! flagged or files that do not verify, 2 usage).

mod support;

use support::cli::Home;

const ITEM: &str = "board-2026-12/item-2";

struct Body {
    chair: Home,
    ada: Home,
    bob: Home,
}

fn fp(h: &Home) -> String {
    h.coi(&["whoami", "--json"]).ok().json()["fingerprint"]
        .as_str()
        .expect("a fingerprint")
        .to_string()
}

fn export(h: &Home, name: &str) -> String {
    let path = h.file(name);
    let p = path.to_str().expect("a UTF-8 path").to_string();
    h.coi(&["export", "-o", &p]).ok();
    p
}

/// A chair with an agenda (the item concerns Acme), Ada with a standing declaration with Acme
/// (recuse), Bob with a no-conflict on the item; the chair holds everyone's chain.
fn body() -> Body {
    let chair = Home::init("Chair");
    chair
        .coi(&[
            "agenda",
            "--meeting",
            "board-2026-12",
            "--item",
            &format!("{ITEM}=Contract"),
            "--concerns",
            &format!("{ITEM}=ACME"),
        ])
        .ok()
        .id();
    let ada = Home::init("Ada");
    ada.coi(&support::cli::declare_acme(&[
        "--standing",
        "--mitigation",
        "recuse",
    ]))
    .ok();
    let bob = Home::init("Bob");
    bob.coi(&["declare", "--none", "--matter", ITEM]).ok();
    let agenda = export(&chair, "chair.ledger");
    for h in [&ada, &bob] {
        h.coi(&["import", &agenda]).ok();
    }
    let a = export(&ada, "ada.ledger");
    let b = export(&bob, "bob.ledger");
    chair.coi(&["import", &a, &b]).ok();
    Body { chair, ada, bob }
}

#[test]
fn prompt_shows_what_touches_each_item_and_what_to_run() {
    let b = body();
    let r = b.ada.coi(&["prompt"]).ok();
    assert!(r.stdout.contains("declared"), "{}", r.stdout);
    assert!(r.stdout.contains("\"Acme\", standing"), "{}", r.stdout);
    let c = Home::init("Carol");
    c.coi(&["import", b.chair.file("chair.ledger").to_str().unwrap()])
        .ok();
    let r = c.coi(&["prompt", "--meeting", "board-2026-12"]).ok();
    assert!(
        r.stdout.contains("nothing said on this item yet"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains(&format!("coi declare --none --matter {ITEM}")),
        "{}",
        r.stdout
    );
    c.coi(&["prompt", "--meeting", "no-such-meeting"]).code(2);
}

#[test]
fn a_vote_respecting_the_recusal_checks_clean_and_one_breaking_it_is_flagged() {
    let b = body();
    let (ada, bob) = (fp(&b.ada), fp(&b.bob));
    b.chair
        .coi(&[
            "vote",
            "--matter",
            ITEM,
            "--recused",
            &ada,
            "--yes",
            &bob,
            "--result",
            "carried",
        ])
        .ok()
        .id();
    let r = b.chair.coi(&["check", "--matter", ITEM]).ok();
    assert!(r.stdout.contains("nothing flagged"), "{}", r.stdout);
    let j = b
        .chair
        .coi(&["check", "--matter", ITEM, "--json"])
        .ok()
        .json();
    let statuses: Vec<&str> = j[0]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"conflict") && statuses.contains(&"no-conflict"));
    // A second vote on the matter in which Ada votes: flagged.
    b.chair
        .coi(&["vote", "--matter", ITEM, "--yes", &ada, "--no", &bob])
        .ok();
    let r = b.chair.coi(&["check", "--matter", ITEM]).code(1);
    assert!(
        r.stdout.contains("FLAG voted-despite-recuse"),
        "{}",
        r.stdout
    );
    // An outsider with no home gets the same answer from the files alone.
    let files = [
        export(&b.chair, "chair.ledger"),
        b.ada.file("ada.ledger").to_str().unwrap().to_string(),
        b.bob.file("bob.ledger").to_str().unwrap().to_string(),
    ];
    let outsider = Home::new();
    let mut args = vec!["check", "--matter", ITEM, "--ledger"];
    args.extend(files.iter().map(String::as_str));
    let r = outsider.coi(&args).code(1);
    assert!(
        r.stdout.contains("FLAG voted-despite-recuse"),
        "{}",
        r.stdout
    );
    assert!(!outsider.path.exists(), "check --ledger made a home");
}

#[test]
fn vote_names_members_by_at_least_16_hex_characters_held_by_the_store() {
    let b = body();
    let ada = fp(&b.ada);
    b.chair
        .coi(&["vote", "--matter", ITEM, "--yes", &ada[..9]])
        .code(2)
        .err_has("at least 16 hex characters");
    let stranger = fp(&Home::init("Stranger"));
    b.chair
        .coi(&["vote", "--matter", ITEM, "--yes", &stranger])
        .code(2);
    b.chair
        .coi(&["vote", "--matter", ITEM, "--yes", &ada, "--no", &ada])
        .code(2)
        .err_has("given twice");
    b.chair
        .coi(&["vote", "--matter", "board-2026-12/item-9", "--yes", &ada])
        .code(2)
        .err_has("no agenda held lists");
    b.chair.coi(&["vote", "--matter", ITEM]).code(2);
}

#[test]
fn a_waiver_before_the_vote_allows_the_declarant_to_vote() {
    let b = body();
    let ada = fp(&b.ada);
    let decl = b.ada.coi(&["log", "--json"]).ok();
    let id = decl
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["kind"] == "declaration")
        .map(|v| v["id"].as_str().unwrap().to_string())
        .expect("Ada's declaration");
    b.ada
        .coi(&["determine", &id, "--outcome", "waiver"])
        .code(2)
        .err_has("another member");
    b.chair
        .coi(&["determine", &id[..8], "--outcome", "waiver"])
        .code(2)
        .err_has("at least 16");
    b.chair
        .coi(&[
            "determine",
            &id,
            "--outcome",
            "waiver",
            "--matter",
            ITEM,
            "--note",
            "Minor",
        ])
        .ok();
    b.chair.coi(&["vote", "--matter", ITEM, "--yes", &ada]).ok();
    let r = b.chair.coi(&["check", "--matter", ITEM]).ok();
    assert!(r.stdout.contains("determination"), "{}", r.stdout);
    let r = b.chair.coi(&["minutes", "--meeting", "board-2026-12"]).ok();
    assert!(r.stdout.contains("Determination by"), "{}", r.stdout);
}

#[test]
fn check_refuses_unknown_matters_and_files_that_do_not_verify() {
    let b = body();
    b.chair
        .coi(&["check", "--matter", "board-2026-12/item-7"])
        .code(1);
    b.chair
        .coi(&[
            "check",
            "--matter",
            "board-2026-12/item-7",
            "--allow-unknown",
        ])
        .ok();
    let f = b.ada.file("ada.ledger");
    let text = std::fs::read_to_string(&f).unwrap().replace("Ada", "Eva");
    let bad = b.ada.file("bad.ledger");
    std::fs::write(&bad, text).unwrap();
    let r = Home::new()
        .coi(&["check", "--matter", ITEM, "--ledger", bad.to_str().unwrap()])
        .code(1);
    assert!(r.stderr.contains("do not verify"), "{}", r.stderr);
    Home::new()
        .coi(&["check", "--matter", "Not A Matter"])
        .code(2);
}
