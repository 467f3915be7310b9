//! Runs every test vector of `schema/vectors/` (spec §11) and checks that the committed vectors are
//! exactly what the generator makes.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use coi_ledger::{verify_bytes, verify_stream, ErrorClass, Report, VerifyOptions};
use support::vectors_gen;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join("vectors")
}

/// A problem as written in an `.expect` file: place, class name, the other place. A place is a
/// line number, or `F:LINE` in a case of several files.
type Line = (String, String, Option<String>);

/// An `.expect` file (spec §11).
#[derive(Debug, PartialEq, Eq)]
struct Expected {
    valid: bool,
    problems: Vec<Line>,
    notices: Vec<(String, String)>,
}

fn parse_expect(name: &str, text: &str) -> Expected {
    let mut lines = text.lines();
    let valid = match lines.next() {
        Some("valid") => true,
        Some("invalid") => false,
        other => panic!("{name}.expect: first line must be `valid` or `invalid`, not {other:?}"),
    };
    let mut problems = Vec::new();
    let mut notices = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.split(' ').collect();
        let num = |s: &str| {
            let line = s.split_once(':').map_or(s, |(file, line)| {
                file.parse::<u64>()
                    .unwrap_or_else(|_| panic!("{name}.expect: bad file number in {l:?}"));
                line
            });
            line.parse::<u64>()
                .unwrap_or_else(|_| panic!("{name}.expect: bad line number in {l:?}"));
            s.to_string()
        };
        match f.as_slice() {
            ["notice", line, what] => notices.push((num(line), (*what).to_string())),
            [line, class, rest @ ..] if rest.len() <= 1 => {
                assert!(
                    ErrorClass::from_name(class).is_some(),
                    "{name}.expect: unknown class {class}"
                );
                problems.push((
                    num(line),
                    (*class).to_string(),
                    rest.first().map(|o| num(o)),
                ));
            }
            _ => panic!("{name}.expect: cannot read {l:?}"),
        }
    }
    assert!(
        text.ends_with('\n'),
        "{name}.expect: must end with a newline"
    );
    assert_eq!(
        valid,
        problems.is_empty(),
        "{name}.expect: a case is invalid iff it lists problems"
    );
    Expected {
        valid,
        problems,
        notices,
    }
}

fn observed(report: &Report) -> Expected {
    Expected {
        valid: report.valid,
        problems: report
            .problems
            .iter()
            .map(|p| {
                (
                    p.line.to_string(),
                    p.class.as_str().to_string(),
                    p.other_line.map(|o| o.to_string()),
                )
            })
            .collect(),
        notices: report
            .notices
            .iter()
            .map(|n| (n.line.to_string(), n.class.to_string()))
            .collect(),
    }
}

/// Every case in the directory: name, ledger bytes, expected outcome.
fn committed_cases() -> Vec<(String, Vec<u8>, Expected)> {
    let mut names: Vec<String> = std::fs::read_dir(vectors_dir())
        .expect("schema/vectors exists")
        .map(|e| {
            e.expect("readable directory")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter_map(|n| n.strip_suffix(".ledger").map(str::to_string))
        // `NAME.1.ledger`, `NAME.2.ledger`, … are the files of a case of several (`committed_sets`).
        .filter(|n| set_file(n).is_none())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let dir = vectors_dir();
            let ledger =
                std::fs::read(dir.join(format!("{name}.ledger"))).expect("readable ledger");
            let text = std::fs::read_to_string(dir.join(format!("{name}.expect")))
                .unwrap_or_else(|e| panic!("{name}.expect: {e}"));
            let expected = parse_expect(&name, &text);
            (name, ledger, expected)
        })
        .collect()
}

/// `NAME.N` of a case of several files: its name and N.
fn set_file(stem: &str) -> Option<(&str, usize)> {
    let (name, n) = stem.rsplit_once('.')?;
    Some((name, n.parse().ok().filter(|&n| n >= 1)?))
}

/// Every case of several files (spec §11): name, the files in order, expected outcome.
fn committed_sets() -> Vec<(String, Vec<Vec<u8>>, Expected)> {
    let mut files: BTreeMap<String, BTreeMap<usize, Vec<u8>>> = BTreeMap::new();
    for e in std::fs::read_dir(vectors_dir()).expect("schema/vectors exists") {
        let path = e.expect("readable directory").path();
        let file = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let Some((name, n)) = file
            .as_deref()
            .and_then(|f| f.strip_suffix(".ledger"))
            .and_then(set_file)
        else {
            continue;
        };
        let bytes = std::fs::read(&path).expect("readable ledger");
        files.entry(name.to_string()).or_default().insert(n, bytes);
    }
    files
        .into_iter()
        .map(|(name, numbered)| {
            assert!(
                numbered.keys().copied().eq(1..=numbered.len()) && numbered.len() >= 2,
                "{name}: the files of a set are numbered 1, 2, … (at least two)"
            );
            let text = std::fs::read_to_string(vectors_dir().join(format!("{name}.expect")))
                .unwrap_or_else(|e| panic!("{name}.expect: {e}"));
            let expected = parse_expect(&name, &text);
            (name, numbered.into_values().collect(), expected)
        })
        .collect()
}

#[test]
fn every_vector_verifies_as_expected() {
    let cases = committed_cases();
    assert!(cases.len() > 40, "only {} vectors found", cases.len());
    let mut failures = Vec::new();
    for (name, ledger, expected) in &cases {
        let got = observed(&verify_bytes(ledger));
        if &got != expected {
            failures.push(format!(
                "{name}:\n  expected {expected:?}\n  got      {got:?}"
            ));
        }
        // The outcome must not depend on the number of verifier threads.
        let one: Result<Report, std::io::Error> = verify_stream(
            ledger.as_slice(),
            VerifyOptions { threads: Some(1) },
            |_| Ok(()),
            |_| {},
        );
        let one = observed(&one.expect("reading from memory cannot fail"));
        if one != got {
            failures.push(format!(
                "{name}: one thread gives {one:?}, several give {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_error_class_has_a_negative_vector() {
    let cases = committed_cases();
    let missing: Vec<&str> = ErrorClass::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|class| {
            !cases.iter().any(|(name, _, e)| {
                // The case is named after the class, and its first problem has that class.
                let named = name == class
                    || name
                        .strip_prefix(class)
                        .is_some_and(|rest| rest.starts_with('-'));
                named && e.problems.first().is_some_and(|p| p.1 == *class)
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "no negative vector for: {}",
        missing.join(", ")
    );
}

#[test]
fn there_are_valid_vectors_including_an_empty_file() {
    let cases = committed_cases();
    assert!(cases
        .iter()
        .any(|(n, l, e)| n == "valid-empty" && l.is_empty() && e.valid));
    assert!(cases.iter().filter(|(_, _, e)| e.valid).count() >= 5);
    assert!(
        cases
            .iter()
            .any(|(_, _, e)| e.valid && !e.notices.is_empty()),
        "no valid vector with an unknown-kind notice"
    );
}

#[test]
fn committed_vectors_are_what_the_generator_makes() {
    let made: BTreeMap<String, Vec<u8>> = vectors_gen::files().into_iter().collect();
    let mut committed = BTreeMap::new();
    for e in std::fs::read_dir(vectors_dir()).expect("schema/vectors exists") {
        let path = e.expect("readable directory").path();
        if path.is_dir() {
            // `check/`: the check vectors, run by tests/check_vectors.rs.
            continue;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        committed.insert(name, std::fs::read(&path).expect("readable file"));
    }
    let stale: Vec<&String> = committed
        .keys()
        .filter(|n| !made.contains_key(*n))
        .collect();
    let absent: Vec<&String> = made
        .keys()
        .filter(|n| !committed.contains_key(*n))
        .collect();
    let differ: Vec<&String> = made
        .iter()
        .filter(|(n, b)| committed.get(*n).is_some_and(|c| c != *b))
        .map(|(n, _)| n)
        .collect();
    assert!(
        stale.is_empty() && absent.is_empty() && differ.is_empty(),
        "schema/vectors is out of date; run `cargo run --example make_vectors -- schema/vectors`\n  not made by the generator: {stale:?}\n  not committed: {absent:?}\n  different: {differ:?}"
    );
    // Generating twice gives the same bytes.
    assert_eq!(
        made,
        vectors_gen::files().into_iter().collect::<BTreeMap<_, _>>()
    );
}

/// The vectors of a malformed SIG (spec §3) hold what their names say: on the reported line, SIG is
/// a string that strict base64 of 64 bytes is not, checked with the base64 crate directly rather
/// than through the code under test; where a lax decoder would take it, the signature it would
/// read is valid, so that only SIG's form makes the line fail.
#[test]
fn malformed_sig_vectors_are_what_they_claim() {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
    let mut seen = 0;
    for (name, ledger, expected) in committed_cases() {
        let shape = [
            "bad-signature-base64-",
            "bad-signature-sig-",
            "bad-signature-malformed-",
        ]
        .iter()
        .any(|p| name.starts_with(p));
        if !shape {
            continue;
        }
        seen += 1;
        let at: usize = expected.problems[0].0.parse().expect("a line number");
        let text = String::from_utf8(ledger).expect("UTF-8");
        let line = text.lines().nth(at - 1).expect("the reported line");
        let value: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let sig = value["sig"].as_str().expect("SIG is a string");
        let strict = STANDARD
            .decode(sig)
            .ok()
            .filter(|b| b.len() == 64 && STANDARD.encode(b) == sig);
        assert!(strict.is_none(), "{name}: SIG {sig:?} is of §3's form");
        let lax = match &name[..] {
            n if n.ends_with("unpadded") || n.starts_with("bad-signature-malformed-") => {
                STANDARD_NO_PAD.decode(sig).ok()
            }
            n if n.ends_with("url-safe") => URL_SAFE.decode(sig).ok(),
            _ => None,
        };
        if let Some(bytes) = lax {
            let body = &line["{\"entry\":".len()..line.rfind(",\"sig\":").expect("a sig")];
            let entry = &value["entry"];
            let key = hex::decode(entry["key"].as_str().expect("a key")).expect("hex");
            let key = ed25519_dalek::VerifyingKey::from_bytes(&key.try_into().expect("32 bytes"))
                .expect("a key");
            let sig = ed25519_dalek::Signature::from_bytes(&bytes.try_into().expect("64 bytes"));
            assert!(
                key.verify_strict(&coi_ledger::signing_message(body.as_bytes()), &sig)
                    .is_ok(),
                "{name}: the laxly decoded signature does not verify"
            );
        }
    }
    assert!(seen >= 10, "only {seen} malformed-SIG vectors");
}

/// The bad-key vectors' keys are what their names say, checked with ed25519-dalek directly rather
/// than through the code under test.
#[test]
fn special_keys_are_what_they_claim() {
    let key_of = |name: &str| -> [u8; 32] {
        let text = std::fs::read_to_string(vectors_dir().join(format!("{name}.ledger")))
            .expect("readable ledger");
        let line = text.lines().last().expect("a line");
        let at = line.find("\"key\":\"").expect("a key field") + 7;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&line[at..at + 64], &mut out).expect("hex key");
        out
    };
    let weak =
        ed25519_dalek::VerifyingKey::from_bytes(&key_of("bad-key")).expect("the weak key decodes");
    assert!(weak.is_weak());
    // The weak-key line's signature passes lax verification: only the key check stops it.
    let text =
        std::fs::read_to_string(vectors_dir().join("bad-key.ledger")).expect("readable ledger");
    let line = text.lines().last().expect("a line");
    let (body, sig) = line["{\"entry\":".len()..line.len() - 2]
        .split_once(",\"sig\":\"")
        .expect("a line");
    let mut sig_bytes = [0u8; 64];
    sig_bytes.copy_from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(sig)
            .expect("base64"),
    );
    let message = coi_ledger::signing_message(body.as_bytes());
    use ed25519_dalek::Verifier as _;
    assert!(weak
        .verify(&message, &ed25519_dalek::Signature::from_bytes(&sig_bytes))
        .is_ok());
    assert!(weak
        .verify_strict(&message, &ed25519_dalek::Signature::from_bytes(&sig_bytes))
        .is_err());
    let nc_bytes = key_of("bad-key-non-canonical");
    let nc =
        ed25519_dalek::VerifyingKey::from_bytes(&nc_bytes).expect("the non-canonical key decodes");
    assert!(
        !nc.is_weak(),
        "the non-canonical key must be rejected for its encoding, not for being weak"
    );
    assert_ne!(nc.to_edwards().compress().to_bytes(), nc_bytes);
    assert!(ed25519_dalek::VerifyingKey::from_bytes(&key_of("bad-key-not-a-point")).is_err());
}

#[test]
fn there_are_cases_of_several_files() {
    let sets = committed_sets();
    assert!(sets.iter().any(|(_, _, e)| e.valid));
    assert!(sets
        .iter()
        .any(|(_, _, e)| e.problems.first().is_some_and(|p| p.1 == "fork")));
    assert!(sets
        .iter()
        .all(|(_, _, e)| e.problems.iter().all(|p| p.0.contains(':'))));
}

/// Every case of several files (spec §5.3, §5.4, §11), verified together as `coi verify F1 F2 …`
/// does: the problems in the order the verifier reports them, each place written `F:LINE`.
#[test]
fn every_set_of_files_verifies_as_expected() {
    let sets = committed_sets();
    assert!(sets.len() >= 4, "only {} sets", sets.len());
    let mut failures = Vec::new();
    for (name, files, expected) in &sets {
        for threads in [Some(1), None] {
            let mut problems: Vec<Line> = Vec::new();
            let mut notices: Vec<(String, String)> = Vec::new();
            let reports = coi_ledger::verify_files(
                files.iter().map(|f| f.as_slice()),
                VerifyOptions { threads },
                |f| {
                    match f {
                        coi_ledger::Finding::Problem { file, problem } => problems.push((
                            format!("{}:{}", file + 1, problem.line),
                            problem.class.as_str().to_string(),
                            problem
                                .other_line
                                .map(|o| format!("{}:{o}", problem.other_file.unwrap_or(file) + 1)),
                        )),
                        coi_ledger::Finding::Notice { file, notice } => notices.push((
                            format!("{}:{}", file + 1, notice.line),
                            notice.class.to_string(),
                        )),
                        _ => {}
                    }
                    Ok::<(), std::io::Error>(())
                },
                |_, _| {},
            )
            .expect("reading from memory cannot fail");
            let got = Expected {
                valid: reports.iter().all(|r| r.valid),
                problems,
                notices,
            };
            if &got != expected {
                failures.push(format!(
                    "{name} ({threads:?} threads):\n  expected {expected:?}\n  got      {got:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
