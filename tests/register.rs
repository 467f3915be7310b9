//! `coi register`: the static site and the tables, as a reader and a journalist get them.
//!
//! A body whose members put script and markup in every free-text field: the site shows it all
//! as text (in the files and in a real browser), every link resolves inside the site, no page
//! asks for anything from anywhere, the same files make the same bytes, and the CSV holds the
//! expected rows with formula-like cells neutralised.
//!
//! The browser test needs Debian's `chromium` (`.ci/run` installs it). Without it the test
//! prints a notice and passes, unless `CI` is set: then it fails, so CI never skips it.

mod support;

use std::collections::BTreeMap;
use std::io::Read as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::cli::Home;

const ITEM: &str = "board-2026-12/item-1";

/// Script, markup, an attribute break-out and a request to `port` (a bait the test watches).
fn payload(port: u16) -> String {
    format!("<script>alert(1)</script><img src=http://127.0.0.1:{port}/i onerror=alert(2)>\"'&amp;")
}

struct Body {
    chair: Home,
    /// The files, in homes kept for as long as the body.
    files: Vec<String>,
    _members: [Home; 2],
}

fn export(h: &Home, name: &str) -> String {
    let p = h.file(name);
    h.coi(&["export", "-o", p.to_str().unwrap()]).ok();
    p.to_string_lossy().into_owned()
}

/// A chair and two members, every free-text field hostile.
fn body(p: &str) -> Body {
    let chair = Home::new();
    chair
        .coi(&[
            "init",
            "--name",
            p,
            "--capacity",
            p,
            "--affiliation",
            p,
            "--no-passphrase",
        ])
        .ok();
    chair
        .coi(&[
            "agenda",
            "--meeting",
            "board-2026-12",
            "--item",
            &format!("{ITEM}={p}"),
            "--concerns",
            &format!("{ITEM}={p}"),
        ])
        .ok();
    let ada = Home::init("Ada");
    let first = ada
        .coi(&[
            "declare",
            "--matter",
            ITEM,
            "--category",
            "financial",
            "--between",
            "personal-professional",
            "--counterparty",
            p,
            "--nature",
            p,
            "--value",
            p,
            "--mitigation",
            "recuse",
        ])
        .ok()
        .id();
    ada.coi(&["amend", &first, "--value", "=HYPERLINK(\"http://x\")"])
        .ok();
    let other = ada
        .coi(&support::cli::declare_acme(&["--standing"]))
        .ok()
        .id();
    ada.coi(&["retract", &other, "--reason", p]).ok();
    ada.coi(&["reaffirm", "--note", p]).ok();
    let bob = Home::init("Bob");
    bob.coi(&["declare", "--none", "--matter", ITEM]).ok();
    let c = export(&chair, "chair.ledger");
    for h in [&ada, &bob] {
        h.coi(&["import", &c]).ok();
    }
    let a = export(&ada, "ada.ledger");
    let b = export(&bob, "bob.ledger");
    chair.coi(&["import", &a, &b]).ok();
    let ada_id = ada.coi(&["whoami", "--json"]).ok().json()["member"]
        .as_str()
        .unwrap()
        .to_string();
    let bob_id = bob.coi(&["whoami", "--json"]).ok().json()["member"]
        .as_str()
        .unwrap()
        .to_string();
    chair
        .coi(&[
            "vote",
            "--matter",
            ITEM,
            "--motion",
            p,
            "--recused",
            &ada_id,
            "--yes",
            &bob_id,
            "--result",
            "carried",
        ])
        .ok();
    let body_file = export(&chair, "body.ledger");
    Body {
        chair,
        files: vec![body_file, a, b, c],
        _members: [ada, bob],
    }
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The values of `attr="..."` in `html`.
fn attrs<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!("{attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        let end = rest.find('"').unwrap();
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

/// A loopback listener that counts the connections made to it: any is a request that left a page.
fn bait() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            h.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut s) = s {
                let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = s.read(&mut [0u8; 1024]);
            }
        }
    });
    (port, hits)
}

fn site(h: &Home, dir: &Path, extra: &[&str]) {
    let mut args = vec!["register", "--html", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    h.coi(&args).ok();
}

#[test]
fn hostile_text_stays_text_links_resolve_and_the_site_is_deterministic() {
    let (port, hits) = bait();
    let p = payload(port);
    let b = body(&p);
    let dir = b.chair.file("site");
    site(&b.chair, &dir, &[]);
    let pages = tree(&dir);
    let html: Vec<(&String, String)> = pages
        .iter()
        .filter(|(k, _)| k.ends_with(".html"))
        .map(|(k, v)| (k, String::from_utf8(v.clone()).expect("UTF-8")))
        .collect();
    assert!(html.len() >= 10, "{:?}", pages.keys().collect::<Vec<_>>());
    for want in ["index.html", "members.html", "matters.html", "changes.html"] {
        assert!(pages.contains_key(want), "no {want}");
    }
    assert!(pages.contains_key("ledgers/body.ledger"));
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=http://127.0.0.1";
    let mut seen_payload = 0;
    for (path, text) in &html {
        let lower = text.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{path}: a script element");
        assert!(!lower.contains("<img"), "{path}: an img element");
        assert!(
            text.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-"),
            "{path}: no policy"
        );
        assert!(text.len() <= 1 << 20, "{path}: {} bytes", text.len());
        if text.contains(escaped) {
            seen_payload += 1;
        }
        // Every link stays in the site and names a file it holds.
        for href in attrs(text, "href") {
            assert!(
                !href.contains("://") && !href.starts_with('/'),
                "{path}: link out of the site: {href}"
            );
            let target = href.split('#').next().unwrap();
            let base = Path::new(path.as_str()).parent().unwrap();
            let mut resolved = PathBuf::new();
            for c in base.join(target).components() {
                match c {
                    std::path::Component::ParentDir => {
                        resolved.pop();
                    }
                    std::path::Component::Normal(n) => resolved.push(n),
                    _ => {}
                }
            }
            let key = resolved.to_string_lossy().into_owned();
            assert!(pages.contains_key(&key), "{path}: broken link {href}");
            if let Some(anchor) = href.split('#').nth(1) {
                let page = String::from_utf8_lossy(&pages[&key]);
                assert!(
                    page.contains(&format!("id=\"{anchor}\"")),
                    "{path}: link to a missing anchor {href}"
                );
            }
        }
    }
    assert!(
        seen_payload >= 4,
        "the payload shows as text on {seen_payload} pages"
    );
    // What a reader of the matter page needs: the vote, the recusal, the nil return.
    let (_, matter) = html
        .iter()
        .find(|(k, _)| k.starts_with("matters/board-2026-12-item-1-"))
        .expect("the matter's page");
    for want in ["Vote 1", "recused", "conflict", "no-conflict", "carried"] {
        assert!(matter.contains(want), "matter page lacks {want}");
    }
    // The same store makes the same bytes; the published files make the same register.
    let again = b.chair.file("site2");
    site(&b.chair, &again, &[]);
    assert_eq!(tree(&again), pages, "two runs differ");
    site(&b.chair, &dir, &[]);
    assert_eq!(tree(&dir), pages, "a rewrite in place differs");
    let outsider = Home::new();
    let files = b.chair.file("files-site");
    let mut args = vec!["register", "--html", files.to_str().unwrap(), "--ledger"];
    args.extend(b.files.iter().map(String::as_str));
    outsider.coi(&args).ok();
    assert!(!outsider.path.exists(), "register --ledger made a home");
    let from_files = tree(&files);
    assert_eq!(
        from_files
            .keys()
            .filter(|k| k.starts_with("members/"))
            .count(),
        pages.keys().filter(|k| k.starts_with("members/")).count()
    );
    // A folder the user made is not replaced.
    let mine = b.chair.file("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "mine").unwrap();
    b.chair
        .coi(&["register", "--html", mine.to_str().unwrap()])
        .code(2)
        .err_has("not written by `coi register`");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

/// A minimal RFC 4180 reader: rows of fields.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && row.is_empty(), "no final CRLF");
    rows
}

#[test]
fn the_tables_hold_the_expected_rows() {
    let p = payload(9);
    let b = body(&p);
    let csv = b.chair.file("csv");
    let jsonl = b.chair.file("jsonl");
    b.chair
        .coi(&[
            "register",
            "--csv",
            csv.to_str().unwrap(),
            "--jsonl",
            jsonl.to_str().unwrap(),
        ])
        .ok();
    let text = std::fs::read_to_string(csv.join("interests.csv")).unwrap();
    assert!(!text.starts_with('\u{feff}'));
    let rows = read_csv(&text);
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    // Ada's declaration and its amendment, and the retracted one: three versions.
    assert_eq!(rows.len(), 1 + 3, "{rows:?}");
    let values: Vec<&str> = rows[1..].iter().map(|r| r[col("value")].as_str()).collect();
    assert!(values.contains(&p.as_str()), "{values:?}");
    assert!(
        values.contains(&"'=HYPERLINK(\"http://x\")"),
        "a formula not neutralised: {values:?}"
    );
    let states: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| {
            (
                r[col("version_state")].as_str(),
                r[col("interest_state")].as_str(),
            )
        })
        .collect();
    assert!(states.contains(&("superseded", "current")), "{states:?}");
    assert!(states.contains(&("latest", "current")), "{states:?}");
    assert!(states.contains(&("latest", "retracted")), "{states:?}");
    for r in &rows[1..] {
        assert_eq!(r.len(), header.len());
        assert_eq!(r[col("file")], "body.ledger");
    }
    let votes = read_csv(&std::fs::read_to_string(csv.join("votes.csv")).unwrap());
    let vcol = |name: &str| votes[0].iter().position(|h| h == name).unwrap();
    assert_eq!(votes.len(), 1 + 2, "{votes:?}");
    let mut statuses: Vec<(&str, &str)> = votes[1..]
        .iter()
        .map(|r| (r[vcol("ballot")].as_str(), r[vcol("status")].as_str()))
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        vec![("recused", "conflict"), ("yes", "no-conflict")]
    );
    let changes = read_csv(&std::fs::read_to_string(csv.join("changes.csv")).unwrap());
    let count = b.chair.count();
    assert_eq!(changes.len(), 1 + count);
    // JSON Lines: the same rows, values as they are (no neutralising).
    let lines = std::fs::read_to_string(jsonl.join("interests.jsonl")).unwrap();
    let objs: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 3);
    assert!(objs
        .iter()
        .any(|o| o["value"] == "=HYPERLINK(\"http://x\")"));
    assert!(objs.iter().all(|o| o["seq"].is_u64()));
    // Changes since a date after every entry: none.
    let later = b.chair.file("later");
    b.chair
        .coi(&[
            "register",
            "--csv",
            later.to_str().unwrap(),
            "--since",
            "2999-01-01",
        ])
        .ok();
    let none = read_csv(&std::fs::read_to_string(later.join("changes.csv")).unwrap());
    assert_eq!(none.len(), 1);
}

/// Debian's chromium, or why it cannot run (a skip outside CI).
fn chromium() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/chromium");
    if p.exists() {
        return Some(p);
    }
    let why =
        "/usr/bin/chromium is not installed (apt-get install -y chromium, as .ci/run does in CI)";
    if std::env::var_os("CI").is_some() {
        panic!("the browser test cannot run in CI: {why}");
    }
    eprintln!("skipping the browser test: {why}");
    None
}

/// Runs headless chromium on `url` with `args`; returns standard output.
fn browse(chromium: &Path, profile: &Path, args: &[String], url: &str) -> String {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--mute-audio",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_real_browser_shows_the_register_as_text_and_requests_nothing() {
    let Some(chromium) = chromium() else { return };
    let (port, hits) = bait();
    let p = payload(port);
    let b = body(&p);
    let dir = b.chair.file("site");
    site(&b.chair, &dir, &[]);
    let profile = tempfile::tempdir().unwrap();
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("register-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let member = std::fs::read_dir(dir.join("members"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains("Current interests")
                && std::fs::read_to_string(p).unwrap().contains("Ada")
        })
        .min()
        .expect("Ada's page");
    let matter = std::fs::read_dir(dir.join("matters"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .expect("a matter page");
    for (name, page, wants) in [
        (
            "index",
            dir.join("index.html"),
            vec!["Ledger files", "body.ledger", "member(s)"],
        ),
        (
            "member",
            member,
            vec!["Current interests", "Full history", "raw line", "Ada"],
        ),
        (
            "matter",
            matter,
            vec!["Vote 1", "participants", "recused", "no-conflict"],
        ),
    ] {
        let url = format!("file://{}", page.display());
        let dom = browse(&chromium, profile.path(), &["--dump-dom".into()], &url);
        // The DOM the browser built: the payload is a text node, never an element.
        let lower = dom.to_ascii_lowercase();
        assert!(
            !lower.contains("<script"),
            "{name}: a script element in the DOM"
        );
        assert!(!lower.contains("<img"), "{name}: an img element in the DOM");
        assert!(
            !lower.contains(&format!("href=\"http://127.0.0.1:{port}")),
            "{name}: a payload link in the DOM"
        );
        for want in wants {
            assert!(
                dom.contains(want),
                "{name}: the page does not show {want:?}"
            );
        }
        if name != "index" {
            assert!(
                dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{name}: the payload is not shown as text"
            );
        }
        let shot = shots.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&shot);
        browse(
            &chromium,
            profile.path(),
            &[
                format!("--screenshot={}", shot.display()),
                "--window-size=1280,1600".into(),
            ],
            &url,
        );
        let png = std::fs::read(&shot).expect("a screenshot");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}: not a PNG");
        // A blank or failed page compresses to a few KiB; a page of tables does not.
        assert!(
            png.len() > 20_000,
            "{name}: screenshot of {} bytes",
            png.len()
        );
        eprintln!("screenshot for review: {}", shot.display());
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a page made a request to the bait server"
    );
}
