//! Hostile text through every human view, read as a careful reader would on an 80-column
//! screen: no line may be read as a row, a member or a field that is not there.
//!
//! Members write what they like into names, counterparties and notes (within the format's
//! rules, which already forbid control and bidi characters). The views must keep every such
//! value inside its quotes and every line inside 80 columns, so that neither an unescaped quote
//! nor a terminal's own wrapping can forge structure.

mod support;

/// A home whose commands run as on an 80-column terminal (`COLUMNS=80`).
struct Home(Plain);

impl Home {
    fn init(name: &str) -> Home {
        Home(Plain::init(name))
    }

    fn coi(&self, args: &[&str]) -> Run {
        self.0.coi_env(args, &[("COLUMNS", "80")])
    }

    fn file(&self, name: &str) -> std::path::PathBuf {
        self.0.file(name)
    }
}

use support::cli::{Home as Plain, Run};
use unicode_width::UnicodeWidthStr as _;

/// What continuation lines of a folded row start with (`src/cli/render.rs`).
const CONTINUATION: &str = "    \u{21B3} ";

/// Values that tried to forge structure in earlier versions, and a few more.
fn payloads(real_fingerprint: &str) -> Vec<String> {
    vec![
        "Acme\"; mitigation recuse; value \"0 USD".to_string(),
        "Mallory\", capacity \"Chair".to_string(),
        format!("x{}{real_fingerprint} \"Ada\"", " ".repeat(150)),
        format!(
            "{}  0123456789abcdef  2026-01-10T00:00:00Z  financial personal-professional",
            "a".repeat(20)
        ),
        "Ac\u{200B}me\u{00A0}Ltd\u{3000}\u{2060}".to_string(),
        "\u{FF21}cme".to_string(),
        "back\\slash \\\" and \\u{1B}".to_string(),
    ]
}

fn hex16(s: &str) -> bool {
    s.len() == 16
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn fingerprint(s: &str) -> bool {
    s.len() == 19
        && s.char_indices().all(|(i, c)| {
            if i % 5 == 4 {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// Every line fits 80 columns, and every line that is not a continuation is a real row:
/// `row_ok` says which starts are real.
fn assert_structure(view: &str, out: &str, row_ok: impl Fn(&str) -> bool) {
    for line in out.lines() {
        assert!(
            line.width() <= 80,
            "{view}: a line wider than 80 columns would wrap: {line:?}"
        );
        if line.starts_with(CONTINUATION) {
            continue;
        }
        assert!(
            row_ok(line),
            "{view}: a line that is not a real row: {line:?}"
        );
    }
}

#[test]
fn hostile_values_stay_inside_their_fields_in_every_view() {
    let ada = Home::init("Ada");
    let ada_fp = ada.coi(&["whoami", "--json"]).ok().json()["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let mallory = Home::init("Mallory");
    let values = payloads(&ada_fp);
    let mut declared = Vec::new();
    for v in &values {
        mallory.coi(&["profile", "--name", v]).ok();
        let id = mallory
            .coi(&[
                "declare",
                "--standing",
                "--category",
                "financial",
                "--between",
                "personal-professional",
                "--counterparty",
                v,
                "--nature",
                v,
            ])
            .ok()
            .id();
        declared.push(id);
    }
    let file = mallory.file("mallory.ledger");
    mallory.coi(&["export", "-o", file.to_str().unwrap()]).ok();
    ada.coi(&["import", file.to_str().unwrap()]).ok();
    let ids: Vec<String> = ada
        .coi(&["log", "--json"])
        .ok()
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let real_row = |l: &str| ids.iter().any(|id| l.starts_with(&id[..16]));
    let members: Vec<String> = vec![ada_fp.clone(), {
        let j = mallory.coi(&["whoami", "--json"]).ok().json();
        j["fingerprint"].as_str().unwrap().to_string()
    }];

    // log: one row per entry, each starting with a real id.
    let log = ada.coi(&["log"]).ok().stdout;
    assert_structure("log", &log, |l| real_row(l));
    let rows = log.lines().filter(|l| !l.starts_with(CONTINUATION)).count();
    assert_eq!(rows, ids.len(), "{log}");

    // conflicts: member headers are real members, rows are real declarations.
    let conflicts = ada.coi(&["conflicts"]).ok().stdout;
    assert_structure("conflicts", &conflicts, |l| {
        if let Some(rest) = l.strip_prefix("  ") {
            rest.get(..16).is_some_and(|h| hex16(h) && real_row(h))
        } else {
            l.get(..19)
                .is_some_and(|f| fingerprint(f) && members.iter().any(|m| m == f))
        }
    });
    let headers = conflicts.lines().filter(|l| !l.starts_with(' ')).count();
    assert_eq!(headers, 1, "only Mallory has declarations: {conflicts}");
    let rows = conflicts
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with(CONTINUATION))
        .count();
    assert_eq!(rows, declared.len(), "{conflicts}");
    // The first payload does not read as a second mitigation: its quote is escaped.
    let unfolded = conflicts.replace(&format!("\n{CONTINUATION}"), "");
    assert!(
        unfolded.contains("\"Acme\\\"; mitigation recuse; value \\\"0 USD\""),
        "{unfolded}"
    );
    // The long run of spaces is counted, not printed.
    assert!(unfolded.contains("\"x\\u{0020}\u{00D7}"), "{unfolded}");
    assert!(!unfolded.contains("   "), "{unfolded}");

    // show: every line is a field of the entry, values whole.
    for id in &declared {
        let show = ada.coi(&["show", id]).ok().stdout;
        assert_structure("show", &show, |l| {
            [
                "id ",
                "member ",
                "         ",
                "seq ",
                "prev ",
                "time ",
                "kind ",
                "key ",
                "summary ",
                "  ",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        });
    }

    // whoami, members, the import report and fsck.
    let whoami = mallory.coi(&["whoami"]).ok().stdout;
    assert_structure("whoami", &whoami, |l| {
        [
            "member ",
            "fingerprint ",
            "name ",
            "capacity ",
            "affiliation ",
            "entries ",
            "key ",
            "home ",
            "head ",
        ]
        .iter()
        .any(|p| l.starts_with(p))
    });
    let listing = ada.coi(&["members"]).ok().stdout;
    assert_structure("members", &listing, |l| {
        l.starts_with("fingerprint ")
            || l.get(..19)
                .is_some_and(|f| fingerprint(f) && members.iter().any(|m| m == f))
    });
    assert_eq!(listing.lines().count(), 3, "{listing}");
    let again = ada.coi(&["import", file.to_str().unwrap()]).ok().stdout;
    assert_structure("import", &again, |l| l.starts_with(file.to_str().unwrap()));
    let fsck = ada.coi(&["fsck"]).ok().stdout;
    assert_structure("fsck", &fsck, |l| l.starts_with("store: "));

    // verify's report of the published file.
    let verify = ada.coi(&["verify", file.to_str().unwrap()]).ok().stdout;
    assert_structure("verify", &verify, |l| {
        l.starts_with(file.to_str().unwrap())
            || l.strip_prefix("  ")
                .and_then(|r| r.get(..19))
                .is_some_and(|f| fingerprint(f) && members.iter().any(|m| m == f))
    });
}

#[test]
fn arguments_and_errors_never_reach_the_terminal_raw() {
    let h = Home::init("Ada");
    for hostile in [
        "\u{1b}]8;;http://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\",
        "\u{1b}[2J\u{1b}[31mred",
        "x\u{202E}gnp.exe",
    ] {
        // A value clap refuses, one the store refuses, and an unknown flag.
        for args in [
            vec!["conflicts", "--as-of", hostile],
            vec!["show", hostile],
            vec!["log", hostile],
        ] {
            let r = h.coi(&args).code(2);
            for c in ['\u{1b}', '\u{202E}'] {
                assert!(
                    !r.stderr.contains(c) && !r.stdout.contains(c),
                    "{args:?}: a raw {c:?} reached the terminal: {:?}",
                    r.stderr
                );
            }
        }
    }
}

/// The meeting views (`prompt`, `check`, `minutes`) keep hostile agenda titles, concerns,
/// motions, names and counterparties inside their fields on an 80-column screen.
#[test]
fn hostile_values_stay_inside_their_fields_in_meeting_views() {
    let chair = Home::init("Chair");
    let values = payloads("0123-4567-89ab-cdef");
    let item = "board-2026-12/item-1";
    let mut agenda = vec![
        "agenda".to_string(),
        "--meeting".into(),
        "board-2026-12".into(),
        "--title".into(),
        values[0].clone(),
        "--item".into(),
        format!("{item}={}", values[1]),
    ];
    for v in &values {
        agenda.push("--concerns".into());
        agenda.push(format!("{item}={v}"));
    }
    // At most 8 concerns per item (spec §8.4).
    agenda.truncate(7 + 2 * 7);
    let args: Vec<&str> = agenda.iter().map(String::as_str).collect();
    chair.coi(&args).ok();
    let mallory = Home::init(&values[2]);
    let chair_file = chair.file("chair.ledger");
    let chair_path = chair_file.to_str().unwrap();
    chair.coi(&["export", "-o", chair_path]).ok();
    mallory.coi(&["import", chair_path]).ok();
    for v in &values[..4] {
        mallory
            .coi(&support::cli::declare_acme(&["--standing", "--nature", v]))
            .ok();
        mallory
            .coi(&[
                "declare",
                "--standing",
                "--category",
                "gift",
                "--between",
                "personal-professional",
                "--counterparty",
                v,
                "--mitigation",
                "abstain",
            ])
            .ok();
    }
    let prompt = mallory.coi(&["prompt"]).ok().stdout;
    assert_structure("prompt", &prompt, |l| {
        l.is_empty()
            || [
                "meeting ",
                "for ",
                item,
                "  concerns ",
                "  declared ",
                "1 item(s)",
            ]
            .iter()
            .any(|p| l.starts_with(p))
    });
    let m_file = mallory.file("m.ledger");
    let m_path = m_file.to_str().unwrap();
    mallory.coi(&["export", "-o", m_path]).ok();
    chair.coi(&["import", m_path]).ok();
    let fp = mallory.coi(&["whoami", "--json"]).ok().json()["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    chair
        .coi(&[
            "vote", "--matter", item, "--yes", &fp, "--motion", &values[3],
        ])
        .ok();
    chair.coi(&["export", "-o", chair_path]).ok();
    let check = chair.coi(&["check", "--matter", item]).stdout;
    let statuses = ["conflict", "no-conflict", "nil-return", "silent", "late"];
    assert_structure("check", &check, |l| {
        if let Some(rest) = l.strip_prefix("      ") {
            [
                "declared ",
                "restriction: ",
                "no conflict ",
                "nil return ",
                "in checkpoint ",
            ]
            .iter()
            .any(|p| rest.starts_with(p))
        } else if let Some(rest) = l.strip_prefix("  ") {
            statuses.iter().any(|s| rest.starts_with(s))
                && rest.get(13..32).is_some_and(|f| f == fp)
        } else {
            [
                &format!("{item}: vote "),
                "motion ",
                "agenda ",
                "checkpoint: ",
                "FLAG ",
                "flagged: ",
                "nothing flagged",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        }
    });
    assert!(check.contains("FLAG voted-despite-abstain"), "{check}");
    let minutes = Home::init("Outsider")
        .coi(&[
            "minutes",
            "--meeting",
            "board-2026-12",
            "--ledger",
            chair_path,
            m_path,
        ])
        .stdout;
    assert_structure("minutes", &minutes, |l| {
        l.is_empty()
            || [
                "Declarations of interest: ",
                "(agenda ",
                &format!("Item {item}: "),
                "  Vote ",
                "  Check ",
                "  Made no declaration",
                "  Abstained: ",
            ]
            .iter()
            .any(|p| l.starts_with(p))
            || l.strip_prefix("  ").and_then(|r| r.get(..19)) == Some(fp.as_str())
    });
}
