//! Runs every check vector of `schema/vectors/check/` (spec §8.5, §11): each case's files are
//! judged from the files alone (`coi check --ledger`) and from a store they were imported into
//! (`coi check` on a home), and both must give the `.expect` file's statuses and findings. Also
//! checks that the committed vectors are what the generator makes.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use coi_ledger::check::{self, Gather, Judgement, Options, Which};
use coi_ledger::store::Store;
use coi_ledger::{ErrorClass, Matter, Timestamp, VerifyOptions};
use support::vectors_gen;

fn check_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/vectors/check")
}

/// A `.check` file: the matter, the time a judgement without a vote is made at, the vote.
struct Ask {
    matter: Matter,
    now: Timestamp,
    max_age: u32,
}

fn parse_check(name: &str, text: &str) -> Ask {
    let (mut matter, mut now, mut max_age) = (None, None, check::DEFAULT_MAX_AGE_DAYS);
    for l in text.lines() {
        match l.split_once(' ') {
            Some(("matter", m)) => matter = Some(Matter::parse(m).expect("a matter")),
            Some(("now", t)) => now = Some(Timestamp::parse(t).expect("a time")),
            Some(("max-age", n)) => max_age = n.parse().expect("days"),
            _ => panic!("{name}.check: cannot read {l:?}"),
        }
    }
    Ask {
        matter: matter.unwrap_or_else(|| panic!("{name}.check: no matter")),
        now: now.unwrap_or_else(|| panic!("{name}.check: no now")),
        max_age,
    }
}

/// The `.expect` form of judgements (spec §11): per judgement its line, then participants by
/// member id, then findings sorted by member (`-` for the record's) and class.
fn render(judged: &[Judgement]) -> String {
    let mut out = String::new();
    for j in judged {
        out.push_str(if j.vote.is_some() {
            "judgement vote\n"
        } else {
            "judgement none\n"
        });
        let mut ps: Vec<_> = j.participants.iter().collect();
        ps.sort_by_key(|p| p.member);
        for p in ps {
            out.push_str(&format!("participant {} {}\n", p.member.to_hex(), p.status));
        }
        let mut f: Vec<(String, String)> = j
            .all_findings()
            .map(|f| {
                (
                    f.member.map_or("-".to_string(), |m| m.to_hex()),
                    f.class.to_string(),
                )
            })
            .collect();
        f.sort();
        for (who, class) in f {
            out.push_str(&format!("finding {class} {who}\n"));
        }
    }
    out
}

struct Case {
    name: String,
    files: Vec<Vec<u8>>,
    ask: Ask,
    expect: String,
}

fn committed() -> Vec<Case> {
    let mut names: Vec<String> = std::fs::read_dir(check_dir())
        .expect("schema/vectors/check exists")
        .filter_map(|e| {
            let n = e
                .expect("readable")
                .file_name()
                .to_string_lossy()
                .into_owned();
            n.strip_suffix(".check").map(str::to_string)
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let read = |suffix: &str| std::fs::read(check_dir().join(format!("{name}{suffix}")));
            let mut files = Vec::new();
            while let Ok(b) = read(&format!(".{}.ledger", files.len() + 1)) {
                files.push(b);
            }
            let text =
                |suffix: &str| String::from_utf8(read(suffix).expect("readable")).expect("UTF-8");
            Case {
                ask: parse_check(&name, &text(".check")),
                expect: text(".expect"),
                files,
                name,
            }
        })
        .collect()
}

fn options(ask: &Ask) -> Options {
    Options {
        now: ask.now,
        max_age_days: ask.max_age,
    }
}

fn from_files(case: &Case) -> Vec<Judgement> {
    let mut gather = Gather::new();
    let reports = coi_ledger::verify_files_accepted(
        case.files.iter().map(|f| f.as_slice()),
        VerifyOptions::default(),
        |_, _, e| {
            gather.push(e);
            Ok::<(), std::io::Error>(())
        },
        |_| Ok(()),
        |_, _| {},
    )
    .expect("in memory");
    for r in &reports {
        for p in &r.problems {
            // A vote whose heads the files contradict is judged (rollback, fork), not refused.
            assert_eq!(p.class, ErrorClass::BadHead, "{}: {p:?}", case.name);
        }
    }
    let records = gather.records().for_matter(&case.ask.matter);
    check::judge_matter(
        &case.ask.matter,
        gather.register(),
        &records,
        &gather,
        &gather.members(),
        &Which::All,
        options(&case.ask),
    )
    .expect("judged")
}

fn from_store(case: &Case) -> Vec<Judgement> {
    let mut store = Store::open_in_memory().expect("a store");
    for (i, f) in case.files.iter().enumerate() {
        let r = store
            .import(
                f.as_slice(),
                &format!("file {i}"),
                VerifyOptions::default(),
                |_| {},
            )
            .expect("imported");
        assert!(
            r.merged,
            "{}: file {} not imported: {r:?}",
            case.name,
            i + 1
        );
    }
    let input = store.check_input(&case.ask.matter).expect("read");
    check::judge_matter(
        &case.ask.matter,
        &input.register,
        &input.records,
        &input.chains,
        &input.members,
        &Which::All,
        options(&case.ask),
    )
    .expect("judged")
}

#[test]
fn every_check_vector_is_judged_as_expected_from_files_and_from_a_store() {
    let cases = committed();
    assert!(cases.len() >= 15, "only {} check vectors", cases.len());
    for case in &cases {
        assert_eq!(
            render(&from_files(case)),
            case.expect,
            "{} (files)",
            case.name
        );
        assert_eq!(
            render(&from_store(case)),
            case.expect,
            "{} (store)",
            case.name
        );
    }
}

#[test]
fn every_finding_class_has_a_check_vector() {
    let all: String = committed().iter().map(|c| c.expect.clone()).collect();
    for class in check::FindingClass::ALL {
        assert!(
            all.contains(&format!("finding {class} ")),
            "no check vector finds {class}"
        );
    }
    for status in check::Status::ALL {
        assert!(
            all.contains(&format!(" {status}\n")),
            "no check vector has status {status}"
        );
    }
}

#[test]
fn committed_check_vectors_are_what_the_generator_makes() {
    let made: BTreeMap<String, Vec<u8>> = vectors_gen::check_files().into_iter().collect();
    let mut committed = BTreeMap::new();
    for e in std::fs::read_dir(check_dir()).expect("schema/vectors/check exists") {
        let path = e.expect("readable").path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        committed.insert(
            name.unwrap_or_default(),
            std::fs::read(&path).expect("readable"),
        );
    }
    assert!(
        made == committed,
        "schema/vectors/check is out of date; run `cargo run --example make_vectors -- schema/vectors`"
    );
}
