//! `examples/meeting.sh`, the README's first command, runs against the `coi` built for this test
//! and says what it should: each member's status, the three failures it shows, the minutes.
//!
//! The script checks every exit status itself and fails loudly; this test adds the lines a reader
//! of its output relies on, so a change in what `check` says is seen here too.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Far more than the script needs (a few seconds), small enough that a hang fails the run.
const LIMIT: Duration = Duration::from_secs(120);

/// Runs the script and returns its exit status and its output (standard output and error).
fn run_script() -> (Option<i32>, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/meeting.sh");
    let out = tempfile::NamedTempFile::new().expect("a temporary file");
    // One open file for both streams, so that they share an offset and interleave as written.
    let stdout = out.reopen().expect("reopen");
    let stderr = stdout.try_clone().expect("dup");
    let mut child = Command::new("bash")
        .arg(&script)
        .env("COI", env!("CARGO_BIN_EXE_coi"))
        .env_remove("KEEP")
        .env_remove("COI_HOME")
        .env_remove("COI_PASSPHRASE")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("bash runs");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > LIMIT {
            // Only bash is our child; a coi it started at that moment ends on its own.
            let _ = child.kill();
            let _ = child.wait();
            let mut text = String::new();
            let _ = out.reopen().and_then(|mut f| f.read_to_string(&mut text));
            panic!("examples/meeting.sh took more than {LIMIT:?}; its output so far:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut text = String::new();
    out.reopen()
        .expect("reopen")
        .read_to_string(&mut text)
        .expect("the output is UTF-8");
    (status.code(), text)
}

/// The printed commands and the output of each: every chunk starts at a `$ ` line.
fn chunks(output: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in output.lines() {
        if line.starts_with("$ ") || out.is_empty() {
            out.push(String::new());
        }
        let last = out.last_mut().expect("a chunk");
        last.push_str(line);
        last.push('\n');
    }
    out
}

/// The status `check` printed for the participant named `name` in one check's output.
fn status_of<'a>(check: &'a str, name: &str) -> Option<&'a str> {
    let quoted = format!("\"{name}\" ");
    check.lines().find_map(|l| {
        let (status, rest) = l.strip_prefix("  ")?.split_once(' ')?;
        let (_fingerprint, who) = rest.trim_start().split_once(' ')?;
        who.starts_with(&quoted).then_some(status)
    })
}

fn assert_statuses(check: &str, want: &[(&str, &str)]) {
    for (name, status) in want {
        assert_eq!(
            status_of(check, name),
            Some(*status),
            "{name}'s status in:\n{check}"
        );
    }
}

#[test]
fn the_meeting_walkthrough_runs_and_says_what_it_should() {
    let (code, output) = run_script();
    assert_eq!(code, Some(0), "examples/meeting.sh failed:\n{output}");
    assert!(
        output.ends_with("# Done: every command exited as expected.\n"),
        "{output}"
    );
    let chunks = chunks(&output);
    // The outsider's checks, in the order the story tells them.
    let checks: Vec<&String> = chunks
        .iter()
        .filter(|c| c.starts_with("$ coi check ") && c.contains("--ledger"))
        .collect();
    assert_eq!(checks.len(), 4, "four checks from the files:\n{output}");
    let (before, late, recuse, rollback) = (checks[0], checks[1], checks[2], checks[3]);

    assert_statuses(
        before,
        &[
            ("Ada", "conflict"),
            ("Bob", "conflict"),
            ("Cleo", "no-conflict"),
            ("Dan", "silent"),
            ("Eve", "silent"),
            ("Carol Chair", "silent"),
        ],
    );
    assert!(before.contains("\nnothing flagged\n"), "{before}");
    assert!(!before.contains("FLAG"), "{before}");
    assert!(before.contains("\"Bob\"  present, recused"), "{before}");
    assert!(before.contains("\"Ada\"  present, abstain"), "{before}");

    assert_statuses(
        late,
        &[
            ("Ada", "conflict"),
            ("Bob", "conflict"),
            ("Cleo", "no-conflict"),
            ("Dan", "silent"),
            ("Eve", "late"),
        ],
    );
    assert!(late.contains("\nFLAG late: "), "{late}");
    assert!(late.contains("\nflagged: late (1)\n"), "{late}");

    assert_eq!(status_of(recuse, "Bob"), Some("conflict"), "{recuse}");
    assert!(recuse.contains("\"Bob\"  present, yes"), "{recuse}");
    assert!(recuse.contains("\nFLAG voted-despite-recuse: "), "{recuse}");
    assert!(
        recuse.contains("flagged: late (1), voted-despite-recuse (1)\n"),
        "{recuse}"
    );

    // With Bob's declaration cut off, nothing of his is held at the committed head.
    assert_eq!(status_of(rollback, "Bob"), Some("silent"), "{rollback}");
    assert!(rollback.contains("\nFLAG rollback: "), "{rollback}");
    assert!(
        rollback.contains("flagged: late (1), rollback (1)\n"),
        "{rollback}"
    );

    let minutes = chunks
        .iter()
        .find(|c| c.starts_with("$ coi minutes "))
        .expect("the minutes are printed");
    assert!(
        minutes.contains("\nDeclarations of interest: board-2026-12 \"December board\"\n"),
        "{minutes}"
    );
    assert!(
        minutes.contains("\nItem board-2026-12/item-2: \"Hosting contract\"\n"),
        "{minutes}"
    );
    // Members are named by fingerprint, then their (self-asserted) name.
    let said = |start: &str, name: &str| {
        minutes
            .lines()
            .any(|l| l.starts_with(start) && l.ends_with(&format!(" \"{name}\".")))
    };
    assert!(said("  Recused: ", "Bob"), "{minutes}");
    assert!(said("  Declared only after the vote: ", "Eve"), "{minutes}");

    // A newcomer reads it on an 80-column terminal.
    for line in output.lines() {
        assert!(
            line.chars().count() <= 80,
            "a line longer than 80 columns: {line:?}"
        );
    }
}
