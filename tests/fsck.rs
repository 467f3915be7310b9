//! The store is checked, not trusted: `coi fsck` finds lines and derived rows changed behind the
//! store's back, and `coi export` refuses to publish lines that do not verify.

mod support;

use support::cli::Home;

fn declared() -> Home {
    let h = Home::init("Ada");
    h.coi(&support::cli::declare_acme(&["--matter", "b/1"]))
        .ok();
    h
}

fn sql(h: &Home, statement: &str) {
    let conn = rusqlite::Connection::open(h.path.join("store.sqlite")).expect("the store opens");
    let changed = conn.execute(statement, []).expect("the statement runs");
    assert!(changed > 0, "{statement} changed nothing");
}

#[test]
fn a_sound_store_passes() {
    let h = declared();
    let r = h.coi(&["fsck"]).ok();
    assert!(
        r.stdout.contains("store: sound: 2 entries from 1 members"),
        "{}",
        r.stdout
    );
    let j = h.coi(&["fsck", "--json"]).ok().json();
    assert_eq!(j["sound"], true);
    assert_eq!(j["problems_total"], 0);
}

#[test]
fn an_edited_line_is_found_and_never_exported() {
    let h = declared();
    let before = h.coi(&["export"]).ok().stdout;
    sql(
        &h,
        "UPDATE lines SET line = replace(line, '\"Acme\"', '\"Acne\"') WHERE line LIKE '%\"Acme\"%'",
    );
    let r = h.coi(&["fsck"]).code(1);
    assert!(r.stdout.contains("bad-signature"), "{}", r.stdout);
    assert!(
        r.stdout.contains("does not match its line: id"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("DAMAGED"), "{}", r.stdout);
    let e = h.coi(&["export"]).code(2).err_has("do not verify");
    assert!(e.stdout.is_empty(), "nothing written: {}", e.stdout);
    let out = h.file("ada.ledger");
    h.coi(&["export", "-o", out.to_str().unwrap()]).code(2);
    assert!(!out.exists(), "no partial file");
    assert_eq!(before.lines().count(), 2);
    // Re-importing the genuine file notices that the store's copy differs.
    let genuine = h.file("genuine.ledger");
    std::fs::write(&genuine, &before).unwrap();
    h.coi(&["import", genuine.to_str().unwrap()])
        .code(2)
        .err_has("the store was changed behind its back");
}

#[test]
fn changed_derived_rows_are_found() {
    let cases = [
        ("DELETE FROM live", "missing from the live table"),
        (
            "UPDATE members SET head_seq = 1",
            "head in the members table",
        ),
        (
            "UPDATE members SET name = 'Mallory'",
            "name in the members table",
        ),
        (
            "INSERT INTO matters (matter, entry) SELECT 'b/2', rowid FROM entries WHERE seq = 2",
            "which does not name it",
        ),
        ("DELETE FROM matters", "missing from the matters table"),
        (
            "UPDATE entries SET time = '2020-01-01T00:00:00Z' WHERE seq = 2",
            "does not match its line: time",
        ),
    ];
    for (statement, says) in cases {
        let h = declared();
        sql(&h, statement);
        let r = h.coi(&["fsck"]).code(1);
        assert!(r.stdout.contains(says), "{statement}: {}", r.stdout);
    }
}
