//! Running the `coi` binary under test on a home, as the CLI tests do.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The `coi` binary Cargo built for this test.
pub const COI: &str = env!("CARGO_BIN_EXE_coi");

/// A `coi` command on home `home`, with `COI_PASSPHRASE` removed so that the environment the tests
/// run in never supplies a passphrase, and `COLUMNS` so that views print their lines whole.
pub fn command(home: &Path) -> Command {
    let mut c = Command::new(COI);
    c.env("COI_HOME", home)
        .env_remove("COI_PASSPHRASE")
        .env_remove("COLUMNS");
    c
}

/// `coi declare` of a financial, personal-professional interest in Acme, with `extra` arguments
/// (`--matter M` or `--standing`, dates, …).
pub fn declare_acme<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "declare",
        "--category",
        "financial",
        "--between",
        "personal-professional",
        "--counterparty",
        "Acme",
    ];
    v.extend_from_slice(extra);
    v
}

/// Runs `coi ARGS` on home `home` and returns what it did.
pub fn coi(home: &Path, args: &[&str]) -> Output {
    command(home).args(args).output().expect("run coi")
}

/// Copies the files of directory `from` into `to` (created), as a user backs up a home.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

/// One finished run of `coi`: exit code and output as text.
pub struct Run {
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into(),
            stderr: String::from_utf8_lossy(&o.stderr).into(),
        }
    }
}

impl Run {
    /// Asserts exit 0.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts exit `want`.
    pub fn code(self, want: i32) -> Run {
        assert_eq!(
            self.code, want,
            "expected exit {want}\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// The id that is all of stdout (asserted: 64 hex digits).
    pub fn id(&self) -> String {
        let line = self.stdout.trim_end();
        assert_eq!(
            line.len(),
            64,
            "expected an id alone on stdout, got {:?}",
            self.stdout
        );
        assert!(line.bytes().all(|b| b.is_ascii_hexdigit()));
        line.to_string()
    }

    /// Stdout as one JSON value.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    /// Asserts that stderr is an error message containing `needle`.
    pub fn err_has(self, needle: &str) -> Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}: {}",
            self.stderr
        );
        assert!(
            self.stderr.starts_with("coi: error: ") || self.stderr.contains("error:"),
            "{}",
            self.stderr
        );
        self
    }
}

/// A home in a fresh temporary directory (removed when dropped); the directory also holds the
/// files a test writes beside the home ([`Home::file`]).
pub struct Home {
    _dir: tempfile::TempDir,
    /// The home directory (not created until `coi init`).
    pub path: PathBuf,
}

impl Home {
    /// A home path in a new temporary directory; nothing created in it yet.
    pub fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("home");
        Home { _dir: dir, path }
    }

    /// Runs `coi ARGS` on this home.
    pub fn coi(&self, args: &[&str]) -> Run {
        self.coi_env(args, &[])
    }

    /// Runs `coi ARGS` on this home with `env` added to its environment.
    pub fn coi_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = command(&self.path);
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        Run::from(c.output().unwrap())
    }

    /// A new home with an identity named `name` and an unencrypted key.
    pub fn init(name: &str) -> Home {
        let h = Home::new();
        h.coi(&["init", "--name", name, "--no-passphrase"])
            .ok()
            .id();
        h
    }

    /// The number of entries `coi log` lists.
    pub fn count(&self) -> usize {
        self.coi(&["log", "--json"]).ok().stdout.lines().count()
    }

    /// A path named `name` beside the home, in its temporary directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.parent().unwrap().join(name)
    }
}
