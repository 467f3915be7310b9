//! The home as a user of a security tool expects it (issue 10, items 4, 7 and part of 5):
//!
//! - observers: `coi import`, `log`, `show`, `conflicts`, `members`, `verify` work in a home with
//!   no key (made by the first import or `coi init --observer`), which is nobody's member;
//!   commands that sign say the home has no key; `init --name` makes it a member's home;
//! - `coi members`: one line per member (name, capacity, fingerprint, chain length, head, forks)
//!   within 80 columns, and `--json`;
//! - OpenSSH's rules: a key file that is a symbolic link, a FIFO (without waiting for a writer),
//!   owned by someone else, or open to group or others is refused; so is a home (or its store)
//!   that others can write or that someone else owns, and a symlinked home; `init` never changes
//!   the mode of an existing directory and makes a home only in a new or an empty one;
//! - a read-only home (directory and store not writable) is read without creating or changing
//!   any file, also when its write-ahead log holds entries; writing commands name the path and
//!   the cause;
//! - a command that waits for another process's lock says so, once.
//!
//! Permission tests need an ordinary user (root may write anything): run as root, as CI may, they
//! run `coi` as `nobody` on files given to `nobody`, and say so when that cannot be done.
//! Ownership tests need root to make a file someone else owns: run as a user, they say they
//! were skipped.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use coi_ledger::store::Store;
use coi_ledger::{Data, Profile, SecretKey};
use serde_json::Value;
use support::cli::{command, copy_dir, Home, Run};

/// The uid and gid of `nobody`, who runs `coi` in permission tests when the tests run as root.
const NOBODY: u32 = 65534;

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn mode(p: &Path) -> u32 {
    fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn chmod(p: &Path, m: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap();
}

fn declare_none(matter: &str) -> Vec<&str> {
    vec!["declare", "--none", "--matter", matter]
}

/// Columns a line may take, counted high (two for every non-ASCII character).
fn columns(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// The names, sizes and modification times of the files in `dir`: what a read must not change.
fn listing(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                m.len(),
                m.modified().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A temporary directory in which `coi` runs as an ordinary user: this process's user, or
/// `nobody` when the tests run as root.
struct Sandbox {
    dir: tempfile::TempDir,
    nobody: bool,
}

impl Sandbox {
    /// A sandbox, or `None` (with the reason printed) when the tests run as root and `coi`
    /// cannot be run as `nobody` here.
    fn new(test: &str) -> Option<Sandbox> {
        let dir = tempfile::tempdir().unwrap();
        let sb = Sandbox {
            dir,
            nobody: is_root(),
        };
        if sb.nobody {
            chmod(sb.dir.path(), 0o755);
            if let Err(e) = std::os::unix::fs::lchown(sb.dir.path(), Some(NOBODY), Some(NOBODY)) {
                eprintln!("{test}: skipped: running as root, and files cannot be given to nobody here ({e})");
                return None;
            }
            let probe = sb.coi(&sb.path("probe"), &["--version"]);
            if probe.code != 0 {
                eprintln!(
                    "{test}: skipped: running as root, and `coi` cannot run as nobody here ({})",
                    probe.stderr.trim()
                );
                return None;
            }
        }
        Some(sb)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Gives `path` (and what is in it) to the sandbox's user.
    fn give(&self, path: &Path) {
        if !self.nobody {
            return;
        }
        std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY)).unwrap();
        if fs::symlink_metadata(path).unwrap().is_dir() {
            for e in fs::read_dir(path).unwrap() {
                self.give(&e.unwrap().path());
            }
        }
    }

    /// Runs `coi ARGS` on `home` as the sandbox's user.
    fn coi(&self, home: &Path, args: &[&str]) -> Run {
        let mut c = command(home);
        c.args(args);
        if self.nobody {
            c.uid(NOBODY).gid(NOBODY);
        }
        match c.output() {
            Ok(o) => Run::from(o),
            Err(e) => Run {
                code: -1,
                stdout: String::new(),
                stderr: e.to_string(),
            },
        }
    }
}

/// Runs `c` to its end, failing the test if it takes more than `limit`.
fn within(limit: Duration, mut c: Command) -> Run {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("coi still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Run::from(child.wait_with_output().unwrap())
}

/// A member's home with a profile (name, capacity) and `n` no-conflict entries, and its export.
fn member(name: &str, capacity: &str, n: usize) -> (Home, PathBuf) {
    let h = Home::new();
    let args = [
        "init",
        "--name",
        name,
        "--capacity",
        capacity,
        "--no-passphrase",
    ];
    h.coi(&args).ok();
    for i in 0..n {
        h.coi(&declare_none(&format!("item-{i}"))).ok();
    }
    let file = h.file("published.ledger");
    h.coi(&["export", "-o", file.to_str().unwrap()]).ok();
    (h, file)
}

fn member_id(h: &Home) -> String {
    h.coi(&["whoami", "--json"]).ok().json()["member"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn an_observer_imports_and_reads_without_a_key_and_is_nobodys_member() {
    let (ada, ada_file) = member("Ada", "Trustee", 1);
    let (bob, bob_file) = member("Bob", "Treasurer", 2);
    let members = [member_id(&ada), member_id(&bob)];

    // The first import makes the home: no key, no profile, mode 0700.
    let obs = Home::new();
    let r = obs
        .coi(&[
            "import",
            ada_file.to_str().unwrap(),
            bob_file.to_str().unwrap(),
        ])
        .ok();
    assert!(r.stdout.contains("imported"), "{}", r.stdout);
    assert!(!obs.path.join("secret-key.json").exists());
    assert_eq!(mode(&obs.path), 0o700);

    // Every view holds the members' entries and nothing of the observer's.
    let log = obs.coi(&["log", "--json"]).ok().stdout;
    assert_eq!(log.lines().count(), 2 + 3);
    for line in log.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let m = v["member"].as_str().unwrap().to_string();
        assert!(members.contains(&m), "not a member's entry: {line}");
    }
    let listed = obs.coi(&["members", "--json"]).ok().json();
    let listed: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["member"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(members.iter().all(|m| listed.contains(&m.as_str())));
    let conflicts = obs.coi(&["conflicts", "--json"]).ok().json();
    for c in conflicts.as_array().unwrap() {
        assert!(members.iter().any(|m| c["member"] == m.as_str()), "{c}");
    }
    let head = bob.coi(&["whoami", "--json"]).ok().json()["head"]
        .as_str()
        .unwrap()
        .to_string();
    obs.coi(&["show", &head[..16]]).ok();
    obs.coi(&["verify", ada_file.to_str().unwrap()]).ok();
    obs.coi(&["forks"]).ok();
    let who = obs.coi(&["whoami", "--json"]).ok().json();
    assert_eq!(who["observer"], true);
    assert_eq!(who["member"], Value::Null);
    assert_eq!(who["members_known"], 2);
    assert!(obs.coi(&["whoami"]).ok().stdout.contains("observer home"));

    // Whatever signs says that this home has no key and how to become a member.
    for args in [
        declare_none("item-9"),
        vec!["profile", "--name", "Olive"],
        vec!["reaffirm"],
        vec!["rotate-key", "--no-passphrase"],
        vec!["export"],
    ] {
        obs.coi(&args)
            .code(2)
            .err_has("this home has no key")
            .err_has("coi init --name");
    }
    obs.coi(&["export", "--all"]).ok();
    obs.coi(&["init", "--observer"])
        .code(2)
        .err_has("already an observer home");

    // `init --name` makes the observer a member, keeping what it imported.
    let olive = obs
        .coi(&["init", "--name", "Olive", "--no-passphrase"])
        .ok()
        .id();
    assert_eq!(obs.count(), 2 + 3 + 1);
    let listed = obs.coi(&["members", "--json"]).ok().json();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(obs.coi(&["whoami", "--json"]).ok().json()["member"], olive);
    obs.coi(&declare_none("item-9")).ok().id();
    obs.coi(&["init", "--observer"])
        .code(2)
        .err_has("already has an identity");
}

#[test]
fn init_observer_makes_a_home_without_a_key_and_reading_needs_a_home() {
    let h = Home::new();
    h.coi(&["log"])
        .code(2)
        .err_has("no coi home")
        .err_has("coi import FILE");
    h.coi(&["members"]).code(2).err_has("no coi home");
    assert!(!h.path.exists(), "a reading command made the home");
    let r = h.coi(&["init", "--observer"]).ok();
    assert!(r.stderr.contains("observer home"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert_eq!(mode(&h.path), 0o700);
    assert!(h.path.join("store.sqlite").exists());
    assert!(!h.path.join("secret-key.json").exists());
    assert_eq!(
        h.coi(&["members", "--json"]).ok().json(),
        Value::Array(vec![])
    );
    assert_eq!(h.count(), 0);
    h.coi(&["init", "--observer", "--name", "X"]).code(2);

    // An import does not make a home in a directory that holds other files.
    let (_ada, file) = member("Ada", "Trustee", 0);
    let other = Home::new();
    fs::create_dir(&other.path).unwrap();
    fs::write(other.path.join("notes.txt"), "mine").unwrap();
    other
        .coi(&["import", file.to_str().unwrap()])
        .code(2)
        .err_has("is not empty");
    assert!(!other.path.join("store.sqlite").exists());
}

#[test]
fn members_shows_one_line_per_member_within_80_columns_and_json() {
    // Ada forks her own chain: a backup of her home declares something else at seq 3.
    let (ada, _) = member("Ada Lovelace", "Trustee", 1);
    let backup = Home::new();
    copy_dir(&ada.path, &backup.path);
    ada.coi(&declare_none("item-a")).ok();
    backup.coi(&declare_none("item-b")).ok();
    let (ada_file, backup_file) = (ada.file("a.ledger"), backup.file("b.ledger"));
    ada.coi(&["export", "-o", ada_file.to_str().unwrap()]).ok();
    backup
        .coi(&["export", "-o", backup_file.to_str().unwrap()])
        .ok();
    // A member whose name and capacity would not fit, with a backslash and wide characters.
    let long_name = format!("Zoë {} 長い名前 end", "very long name ".repeat(8));
    let (long, long_file) = member(&long_name, "C:\\Chair of the audit committee", 0);

    let obs = Home::new();
    obs.coi(&[
        "import",
        ada_file.to_str().unwrap(),
        long_file.to_str().unwrap(),
    ])
    .ok();
    obs.coi(&["import", backup_file.to_str().unwrap()]).code(1);

    let r = obs.coi(&["members"]).ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(lines[0].starts_with("fingerprint"), "{}", lines[0]);
    for line in &lines {
        assert!(columns(line) <= 80, "{} columns: {line}", columns(line));
        assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
    }
    let ada_who = ada.coi(&["whoami", "--json"]).ok().json();
    let ada_line = lines
        .iter()
        .find(|l| l.starts_with(ada_who["fingerprint"].as_str().unwrap()))
        .expect("Ada listed");
    let fields: Vec<&str> = ada_line.split_whitespace().collect();
    assert_eq!(fields[1], "3", "{ada_line}");
    assert_eq!(fields[2], "1", "{ada_line}");
    assert_eq!(fields[3], &ada_who["head"].as_str().unwrap()[..16]);
    assert!(
        ada_line.ends_with("\"Ada Lovelace\", \"Trustee\""),
        "{ada_line}"
    );
    let long_who = long.coi(&["whoami", "--json"]).ok().json();
    let long_line = lines
        .iter()
        .find(|l| l.starts_with(long_who["fingerprint"].as_str().unwrap()))
        .expect("the long name listed");
    assert!(long_line.contains("\"Zoë very"), "{long_line}");
    assert!(long_line.contains('…'), "cut without a marker: {long_line}");
    assert!(long_line.contains("\"C:\\\\"), "{long_line}");

    let v = obs.coi(&["members", "--json"]).ok().json();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let a = list
        .iter()
        .find(|m| m["member"] == ada_who["member"])
        .unwrap();
    assert_eq!(a["name"], "Ada Lovelace");
    assert_eq!(a["capacity"], "Trustee");
    assert_eq!(a["fingerprint"], ada_who["fingerprint"]);
    assert_eq!(a["entries"], 3);
    assert_eq!(a["head"], ada_who["head"]);
    assert_eq!(a["forks"], 1);
    let l = list
        .iter()
        .find(|m| m["member"] == long_who["member"])
        .unwrap();
    assert_eq!(l["name"], long_name.as_str());
    assert_eq!(l["forks"], 0);
}

#[test]
fn a_symlinked_key_file_or_home_is_refused() {
    let h = Home::init("Ada");
    let key = h.path.join("secret-key.json");
    let elsewhere = h.file("key-elsewhere.json");
    fs::rename(&key, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &key).unwrap();
    h.coi(&declare_none("m"))
        .code(2)
        .err_has("is a symbolic link")
        .err_has("secret-key.json");
    assert_eq!(h.count(), 1, "signed through a symlinked key");
    fs::remove_file(&key).unwrap();
    fs::rename(&elsewhere, &key).unwrap();
    h.coi(&declare_none("m")).ok();

    // A symlinked home: refused, naming the directory to pass instead.
    let link = h.file("link");
    std::os::unix::fs::symlink(&h.path, &link).unwrap();
    let real = fs::canonicalize(&h.path).unwrap();
    let r = Run::from(command(&link).args(["log"]).output().unwrap());
    let r = r.code(2).err_has("is a symbolic link to");
    assert!(r.stderr.contains(real.to_str().unwrap()), "{}", r.stderr);
}

#[test]
fn a_fifo_in_place_of_the_key_is_refused_without_waiting_for_a_writer() {
    let h = Home::init("Ada");
    let key = h.path.join("secret-key.json");
    fs::rename(&key, h.file("key.json")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &key,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let mut c = command(&h.path);
    c.args(declare_none("m"));
    within(Duration::from_secs(5), c)
        .code(2)
        .err_has("FIFO")
        .err_has("not a regular file");
    fs::remove_file(&key).unwrap();
    fs::rename(h.file("key.json"), &key).unwrap();
    assert_eq!(h.count(), 1);
}

#[test]
fn key_files_open_to_others_are_refused_with_the_fix() {
    let h = Home::init("Ada");
    let key = h.path.join("secret-key.json");
    for m in [0o644, 0o620] {
        chmod(&key, m);
        h.coi(&declare_none("m"))
            .code(2)
            .err_has("UNPROTECTED PRIVATE KEY FILE")
            .err_has("readable or writable by group or others")
            .err_has(&format!("chmod 600 {}", key.display()));
    }
    chmod(&key, 0o400);
    h.coi(&declare_none("m")).ok();
}

#[test]
fn files_owned_by_someone_else_are_refused() {
    if !is_root() {
        eprintln!(
            "files_owned_by_someone_else_are_refused: skipped: making a file owned by another user needs root"
        );
        return;
    }
    let h = Home::init("Ada");
    let key = h.path.join("secret-key.json");
    let store = h.path.join("store.sqlite");
    let give = |p: &Path, uid: u32| std::os::unix::fs::chown(p, Some(uid), None).unwrap();
    give(&key, NOBODY);
    h.coi(&declare_none("m"))
        .code(2)
        .err_has("key file")
        .err_has("is owned by uid 65534, not by you (uid 0)");
    give(&key, 0);
    for p in [&h.path, &store] {
        give(p, NOBODY);
        for args in [vec!["log"], declare_none("m")] {
            h.coi(&args)
                .code(2)
                .err_has(&format!("{} is owned by uid 65534", p.display()));
        }
        give(p, 0);
    }
    assert_eq!(h.count(), 1);
    h.coi(&declare_none("m")).ok();
}

#[test]
fn a_home_or_store_that_others_can_write_is_refused() {
    let h = Home::init("Ada");
    for m in [0o777, 0o770, 0o720, 0o702] {
        chmod(&h.path, m);
        for args in [vec!["log"], vec!["whoami"], declare_none("m")] {
            h.coi(&args)
                .code(2)
                .err_has("writable by group or others")
                .err_has(&format!("chmod go-w {}", h.path.display()));
        }
        assert_eq!(mode(&h.path), m, "coi changed the mode");
    }
    chmod(&h.path, 0o1777);
    h.coi(&["log"])
        .code(2)
        .err_has("a shared directory")
        .err_has("use a new directory inside it");
    chmod(&h.path, 0o700);
    let store = h.path.join("store.sqlite");
    for m in [0o666, 0o664] {
        chmod(&store, m);
        h.coi(&["log"]).code(2).err_has(&format!(
            "{} is writable by group or others",
            store.display()
        ));
    }
    chmod(&store, 0o644);
    assert_eq!(h.count(), 1);
    // Readable by others is fine, as OpenSSH allows for ~/.ssh: the key file stays 0600.
    chmod(&h.path, 0o755);
    h.coi(&declare_none("m")).ok();
}

#[test]
fn init_never_changes_the_mode_of_an_existing_directory() {
    let t = tempfile::tempdir().unwrap();
    let init = |home: &Path| {
        Run::from(
            command(home)
                .args(["init", "--name", "Ada", "--no-passphrase"])
                .output()
                .unwrap(),
        )
    };

    // An empty directory is used as it is.
    let empty = t.path().join("empty");
    fs::create_dir(&empty).unwrap();
    chmod(&empty, 0o750);
    init(&empty).ok().id();
    assert_eq!(mode(&empty), 0o750);
    assert_eq!(mode(&empty.join("secret-key.json")), 0o600);

    // A directory holding other files is refused and left as it was.
    let full = t.path().join("full");
    fs::create_dir(&full).unwrap();
    chmod(&full, 0o751);
    fs::write(full.join("notes.txt"), "mine").unwrap();
    init(&full)
        .code(2)
        .err_has("is not empty and is not a coi home");
    assert_eq!(mode(&full), 0o751);
    assert_eq!(fs::read_dir(&full).unwrap().count(), 1);

    // A shared directory (1777) is refused and keeps its mode; a new directory inside it works.
    let shared = t.path().join("shared");
    fs::create_dir(&shared).unwrap();
    chmod(&shared, 0o1777);
    init(&shared)
        .code(2)
        .err_has("use a new directory inside it");
    assert_eq!(mode(&shared), 0o1777);
    assert_eq!(fs::read_dir(&shared).unwrap().count(), 0);
    let inside = shared.join("coi");
    init(&inside).ok().id();
    assert_eq!(mode(&inside), 0o700);
    assert_eq!(mode(&shared), 0o1777);

    // Missing parents are made 0755 at most (even under umask 000), the home itself 0700.
    let deep = t.path().join("a/b/home");
    let o = Command::new("sh")
        .arg("-c")
        .arg(r#"umask 000; "$0" init --name Ada --no-passphrase"#)
        .arg(support::cli::COI)
        .env("COI_HOME", &deep)
        .env_remove("COI_PASSPHRASE")
        .output()
        .unwrap();
    Run::from(o).ok();
    assert_eq!(mode(&t.path().join("a")), 0o755);
    assert_eq!(mode(&t.path().join("a/b")), 0o755);
    assert_eq!(mode(&deep), 0o700);
}

#[test]
fn a_read_only_home_is_read_without_changing_it_and_writes_say_why_not() {
    let Some(sb) = Sandbox::new("a_read_only_home_is_read_without_changing_it") else {
        return;
    };
    let home = sb.path("home");
    sb.coi(&home, &["init", "--name", "Ada", "--no-passphrase"])
        .ok();
    let id = sb.coi(&home, &declare_none("m1")).ok().id();
    // The last writer closed the store cleanly: no write-ahead log is left.
    assert!(!home.join("store.sqlite-wal").exists());
    let (_bob, published) = member("Bob", "Chair", 0);
    let bob_file = sb.path("bob.ledger");
    fs::copy(&published, &bob_file).unwrap();
    sb.give(&bob_file);

    let store = home.join("store.sqlite");
    // Read-only media or `chmod -w`: neither the directory nor the store can be written; and
    // a writable directory with a read-only store.
    for (dir_mode, store_mode) in [(0o555, 0o444), (0o755, 0o444), (0o555, 0o644)] {
        chmod(&store, store_mode);
        chmod(&home, dir_mode);
        let before = listing(&home);
        assert!(sb.coi(&home, &["log", "--json"]).ok().stdout.contains(&id));
        assert!(sb
            .coi(&home, &["show", &id[..16]])
            .ok()
            .stdout
            .contains(&id[..16]));
        sb.coi(&home, &["conflicts"]).ok();
        assert!(sb.coi(&home, &["members"]).ok().stdout.contains("\"Ada\""));
        assert!(sb
            .coi(&home, &["whoami"])
            .ok()
            .stdout
            .contains("entries      2"));
        sb.coi(&home, &["forks"]).ok();
        assert_eq!(sb.coi(&home, &["export"]).ok().stdout.lines().count(), 2);
        assert_eq!(listing(&home), before, "a read changed the home");

        // Writing commands fail before doing anything, naming the path and the cause.
        let not_writable = if dir_mode == 0o555 {
            home.clone()
        } else {
            store.clone()
        };
        for args in [
            declare_none("m2"),
            vec!["import", bob_file.to_str().unwrap()],
        ] {
            let r = sb
                .coi(&home, &args)
                .code(2)
                .err_has(&format!("{} is not writable", not_writable.display()))
                .err_has("ermission denied")
                .err_has("chmod u+w");
            assert!(!r.stderr.contains("unable to open"), "{}", r.stderr);
        }
        assert_eq!(listing(&home), before, "a refused write changed the home");
    }
    chmod(&home, 0o700);
    chmod(&store, 0o644);
    sb.coi(&home, &declare_none("m2")).ok();
}

#[test]
fn a_read_only_copy_with_a_pending_write_ahead_log_shows_the_logged_entries() {
    let Some(sb) = Sandbox::new("a_read_only_copy_with_a_pending_write_ahead_log") else {
        return;
    };
    let (ada, _) = member("Ada", "Trustee", 1);
    // An entry that sits in the write-ahead log only: appended while the store stays open, as
    // when a backup copies a home during a coi command.
    let store_path = ada.path.join("store.sqlite");
    let mut store = Store::open(&store_path).unwrap();
    let key = SecretKey::generate();
    let late = key.public().member_id();
    let profile = Data::Profile(Profile {
        name: "Late".into(),
        capacity: None,
        affiliation: None,
    });
    let entry = store.append(&key, &late, profile).unwrap();
    let wal = ada.path.join("store.sqlite-wal");
    assert!(fs::metadata(&wal).unwrap().len() > 0);
    // (Copying with std::fs while a connection is open would drop its locks; this store is not
    // used again.)
    let copy = sb.path("copy");
    copy_dir(&ada.path, &copy);
    drop(store);
    for f in fs::read_dir(&copy).unwrap() {
        let f = f.unwrap().path();
        chmod(
            &f,
            if f.ends_with("secret-key.json") {
                0o400
            } else {
                0o444
            },
        );
    }
    sb.give(&copy);
    chmod(&copy, 0o555);
    let before = listing(&copy);
    let log = sb.coi(&copy, &["log", "--json"]).ok().stdout;
    assert!(log.contains(&entry.id.to_hex()), "{log}");
    assert!(sb.coi(&copy, &["members"]).ok().stdout.contains("\"Late\""));
    assert_eq!(listing(&copy), before);

    // Without the log's -shm file the log cannot be read here: refused, never an older store.
    chmod(&copy, 0o755);
    fs::remove_file(copy.join("store.sqlite-shm")).unwrap();
    chmod(&copy, 0o555);
    sb.coi(&copy, &["log"])
        .code(2)
        .err_has("write-ahead log")
        .err_has("make the home writable");
    chmod(&copy, 0o700);
}

#[test]
fn a_command_waiting_for_another_process_says_so_once() {
    let h = Home::init("Ada");
    let store = h.path.join("store.sqlite");
    let notice = "waiting for another coi process using";
    let run_while_locked = |conn: &rusqlite::Connection, begin: &str, args: &[&str]| {
        conn.execute_batch(begin).unwrap();
        let child = command(&h.path)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(2500));
        conn.execute_batch("COMMIT").unwrap();
        Run::from(child.wait_with_output().unwrap()).ok()
    };

    // A writer behind another writer's transaction.
    let conn = rusqlite::Connection::open(&store).unwrap();
    let r = run_while_locked(&conn, "BEGIN IMMEDIATE", &declare_none("m"));
    assert_eq!(r.stderr.matches(notice).count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains(store.to_str().unwrap()), "{}", r.stderr);
    r.id();

    // A reader behind a writer that holds the whole database (a large import, which runs with
    // a rollback journal).
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    let r = run_while_locked(&conn, "BEGIN EXCLUSIVE", &["whoami"]);
    assert_eq!(r.stderr.matches(notice).count(), 1, "{}", r.stderr);
    drop(conn);

    // Nothing to say when nobody holds the lock.
    let r = h.coi(&["whoami"]).ok();
    assert!(!r.stderr.contains(notice), "{}", r.stderr);
}

#[test]
fn an_interrupted_init_is_finished_and_a_lost_key_is_named() {
    // `init` writes the key, then the chain, then names the member in the store; a crash before
    // the last step leaves a key and a chain that no store names.
    let h = Home::init("Ada");
    let me = member_id(&h);
    let conn = rusqlite::Connection::open(h.path.join("store.sqlite")).unwrap();
    conn.execute("DELETE FROM meta WHERE key = 'identity'", [])
        .unwrap();
    drop(conn);
    h.coi(&declare_none("m"))
        .code(2)
        .err_has("interrupted `coi init`")
        .err_has("coi init --name NAME");
    let again = h
        .coi(&["init", "--name", "Ada", "--no-passphrase"])
        .ok()
        .id();
    assert_eq!(again, me, "init made a new key instead of finishing");
    assert_eq!(h.count(), 1, "the profile was appended twice");
    h.coi(&declare_none("m")).ok();

    // A member's home whose key file is gone: say so, and never make a new identity over it.
    let key = h.path.join("secret-key.json");
    fs::rename(&key, h.file("key.json")).unwrap();
    for args in [
        declare_none("m2"),
        vec!["init", "--name", "Ada", "--no-passphrase"],
    ] {
        h.coi(&args)
            .code(2)
            .err_has("is missing; restore it from your backup");
    }
    assert!(!key.exists());
    fs::rename(h.file("key.json"), &key).unwrap();
    h.coi(&declare_none("m2")).ok();
}
