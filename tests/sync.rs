//! `coi follow` and `coi sync` against a loopback HTTP server that misbehaves on purpose: it
//! honours ranges and ETags, or ignores ranges, answers 416, compresses a 206, cuts the
//! connection mid-line, serves a publication that shrank or changed its past, or stalls. The
//! server counts requests and body bytes, so the tests also hold `coi sync` to its traffic
//! bounds: nothing new costs one request and at most one line of bytes per follow, and a new
//! entry costs its bytes and one line.

mod support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::cli::{Home, Run};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Ranges, ETags, 304 and 416 as RFC 9110 says.
    Honest,
    /// Ranges, but no ETag.
    NoEtag,
    /// Every answer a 200 of the whole file, no ETag.
    IgnoreRanges,
    /// A range answered as a gzip-encoded 206 (junk); a whole file honestly.
    Gzip206,
    /// Every answer gzip-encoded (junk).
    GzipAlways,
    /// The body is cut 10 bytes before its end and the connection closed.
    CutMidLine,
    /// No answer at all.
    Stall,
}

#[derive(Default)]
struct Stats {
    requests: HashMap<String, u32>,
    bytes: HashMap<String, u64>,
}

struct Server {
    port: u16,
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    mode: Arc<Mutex<Mode>>,
    stats: Arc<Mutex<Stats>>,
}

impl Server {
    fn start() -> Server {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let files: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let mode = Arc::new(Mutex::new(Mode::Honest));
        let stats: Arc<Mutex<Stats>> = Arc::default();
        let (f, m, s) = (files.clone(), mode.clone(), stats.clone());
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(conn) = conn else { continue };
                let (f, m, s) = (f.clone(), m.clone(), s.clone());
                std::thread::spawn(move || serve(conn, &f, &m, &s));
            }
        });
        Server {
            port,
            files,
            mode,
            stats,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    fn put(&self, path: &str, bytes: Vec<u8>) {
        self.files.lock().unwrap().insert(format!("/{path}"), bytes);
    }

    fn mode(&self, m: Mode) {
        *self.mode.lock().unwrap() = m;
    }

    /// Requests and bytes per path since the last call.
    fn take(&self) -> (HashMap<String, u32>, HashMap<String, u64>) {
        let mut s = self.stats.lock().unwrap();
        (
            std::mem::take(&mut s.requests),
            std::mem::take(&mut s.bytes),
        )
    }
}

fn etag(b: &[u8]) -> String {
    format!("\"{}\"", &blake3::hash(b).to_hex()[..16])
}

fn serve(
    mut conn: TcpStream,
    files: &Mutex<HashMap<String, Vec<u8>>>,
    mode: &Mutex<Mode>,
    stats: &Mutex<Stats>,
) {
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 16384 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&req).into_owned();
    let mut lines = text.lines();
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .to_string();
    let mut range = None;
    let mut inm = None;
    for l in lines {
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("range: bytes=") {
            range = v.trim_end_matches('-').parse::<usize>().ok();
        }
        if lower.starts_with("if-none-match:") {
            inm = Some(l["if-none-match:".len()..].trim().to_string());
        }
    }
    let mode = *mode.lock().unwrap();
    stats
        .lock()
        .unwrap()
        .requests
        .entry(path.clone())
        .and_modify(|n| *n += 1)
        .or_insert(1);
    if mode == Mode::Stall {
        std::thread::sleep(Duration::from_secs(8));
        return;
    }
    let Some(file) = files.lock().unwrap().get(&path).cloned() else {
        let _ = conn
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    let tag = etag(&file);
    let mut head = String::new();
    let mut length = true;
    let body: Vec<u8> = match (mode, range) {
        (Mode::Honest, _) if inm.as_deref() == Some(tag.as_str()) => {
            head.push_str(&format!("HTTP/1.1 304 Not Modified\r\nETag: {tag}\r\n"));
            Vec::new()
        }
        (Mode::GzipAlways, _) | (Mode::Gzip206, Some(_)) => {
            head.push_str(if range.is_some() {
                "HTTP/1.1 206 Partial Content\r\nContent-Encoding: gzip\r\n"
            } else {
                "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
            });
            if let Some(a) = range {
                head.push_str(&format!(
                    "Content-Range: bytes {a}-{}/{}\r\n",
                    a + 9,
                    a + 10
                ));
            }
            b"\x1f\x8b\x08junk!!".to_vec()
        }
        (Mode::Honest | Mode::NoEtag | Mode::CutMidLine, Some(a)) if a >= file.len() => {
            head.push_str(&format!(
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\n",
                file.len()
            ));
            Vec::new()
        }
        (Mode::Honest | Mode::NoEtag | Mode::CutMidLine, Some(a)) => {
            head.push_str(&format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {a}-{}/{}\r\n",
                file.len() - 1,
                file.len()
            ));
            file[a..].to_vec()
        }
        _ => {
            head.push_str("HTTP/1.1 200 OK\r\n");
            file.clone()
        }
    };
    if mode == Mode::Honest || (mode == Mode::Gzip206 && range.is_none()) {
        head.push_str(&format!("ETag: {tag}\r\n"));
    }
    let body = if mode == Mode::CutMidLine {
        length = false;
        body[..body.len().saturating_sub(10)].to_vec()
    } else {
        body
    };
    if length {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("Content-Type: text/plain\r\nConnection: close\r\n\r\n");
    stats
        .lock()
        .unwrap()
        .bytes
        .entry(path)
        .and_modify(|n| *n += body.len() as u64)
        .or_insert(body.len() as u64);
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(&body);
    let _ = conn.flush();
}

/// `coi ARGS` on `h`, with no proxy from the environment (the server is on loopback).
fn coi(h: &Home, args: &[&str]) -> Run {
    let mut c = support::cli::command(&h.path);
    for v in [
        "ALL_PROXY",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "all_proxy",
        "https_proxy",
        "http_proxy",
    ] {
        c.env_remove(v);
    }
    Run::from(c.args(args).output().unwrap())
}

fn export(h: &Home) -> Vec<u8> {
    let p = h.file("out.ledger");
    h.coi(&["export", "-o", p.to_str().unwrap()]).ok();
    std::fs::read(p).unwrap()
}

fn longest_line(b: &[u8]) -> u64 {
    b.split(|c| *c == b'\n')
        .map(|l| l.len() as u64 + 1)
        .max()
        .unwrap_or(0)
}

fn declare(h: &Home, counterparty: &str) {
    h.coi(&[
        "declare",
        "--standing",
        "--category",
        "financial",
        "--between",
        "personal-professional",
        "--counterparty",
        counterparty,
    ])
    .ok();
}

#[test]
fn three_members_followed_over_http_synced_and_a_rollback_reported() {
    let server = Server::start();
    let names = ["alice", "bob", "carol"];
    let members: Vec<Home> = names.iter().map(|n| Home::init(n)).collect();
    for (h, n) in members.iter().zip(names) {
        declare(h, "Acme");
        server.put(&format!("{n}.ledger"), export(h));
    }
    let observer = Home::new();
    coi(&observer, &["init", "--observer"]).ok();
    for n in names {
        coi(
            &observer,
            &["follow", &server.url(&format!("{n}.ledger")), "--name", n],
        )
        .ok();
    }
    // Following twice is fine and says so.
    coi(
        &observer,
        &["follow", &server.url("alice.ledger"), "--name", "alice"],
    )
    .ok()
    .stderr
    .contains("already following")
    .then_some(())
    .expect("says already following");
    let r = coi(&observer, &["sync"]).ok();
    for n in names {
        assert!(
            r.stdout.contains(&format!("{n}: 2 new entries")),
            "{}",
            r.stdout
        );
    }
    assert_eq!(observer.count(), 6);
    server.take();

    // Nothing new: one request each, and no body (304 on the ETag).
    let r = coi(&observer, &["sync"]).ok();
    assert_eq!(r.stdout.matches("nothing new").count(), 3, "{}", r.stdout);
    let (req, bytes) = server.take();
    for n in names {
        assert_eq!(req[&format!("/{n}.ledger")], 1);
        assert_eq!(bytes.get(&format!("/{n}.ledger")).copied().unwrap_or(0), 0);
    }

    // One new entry, with hostile text: fetched as its bytes plus the last known line.
    let before = export(&members[0]);
    declare(&members[0], "<script>alert(1)</script>");
    let after = export(&members[0]);
    server.put("alice.ledger", after.clone());
    let r = coi(&observer, &["sync", "--json"]).ok();
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let alice = lines.iter().find(|l| l["name"] == "alice").unwrap();
    assert_eq!(alice["outcome"], "new");
    assert_eq!(alice["new_entries"], 1);
    let new_bytes = (after.len() - before.len()) as u64;
    assert_eq!(alice["new_bytes"], new_bytes);
    let (req, bytes) = server.take();
    assert_eq!(req["/alice.ledger"], 1);
    assert!(bytes["/alice.ledger"] <= new_bytes + longest_line(&before));
    let shown = coi(&observer, &["log"]).ok().stdout;
    assert!(shown.contains("<script>alert(1)</script>"), "{shown}");
    assert_eq!(observer.count(), 7);

    // Carol's publication shrinks: a rollback, reported, evidence kept, nothing imported.
    let carol = export(&members[2]);
    let first_line = carol.iter().position(|b| *b == b'\n').unwrap() + 1;
    server.put("carol.ledger", carol[..first_line].to_vec());
    let r = coi(&observer, &["sync", "carol"]).code(1);
    assert!(
        r.stdout.contains("carol: ROLLBACK: the publication shrank"),
        "{}",
        r.stdout
    );
    let (req, _) = server.take();
    assert_eq!(req["/carol.ledger"], 2, "a 416, then the whole file");
    let evidence = observer.path.join("follows").read_dir().unwrap().count();
    assert!(evidence >= 4, "three caches and the evidence");
    assert_eq!(observer.count(), 7);
    // Still reported on the next sync, as the publication is still short.
    coi(&observer, &["sync", "carol"]).code(1);

    // Bob's publication changes its past: one byte in its first line.
    let mut bob = export(&members[1]);
    let i = bob.iter().position(|b| *b == b'"').unwrap() + 3;
    bob[i] ^= 1;
    server.put("bob.ledger", bob);
    let r = coi(&observer, &["sync", "bob"]).code(1);
    assert!(
        r.stdout
            .contains("bob: REWRITTEN: the publication changed its past"),
        "{}",
        r.stdout
    );
    let listed = coi(&observer, &["follow", "--list", "--json"]).ok();
    assert!(listed.stdout.contains("REWRITTEN"));
}

#[test]
fn a_misbehaving_server_never_gets_bad_bytes_imported() {
    let server = Server::start();
    let alice = Home::init("alice");
    declare(&alice, "Acme");
    server.put("a.ledger", export(&alice));
    let obs = Home::new();
    coi(&obs, &["follow", &server.url("a.ledger")]).ok();
    coi(&obs, &["sync"]).ok();
    assert_eq!(obs.count(), 2);
    let mut expected = 2;
    let mut grow = |server: &Server| {
        declare(&alice, "Initech");
        server.put("a.ledger", export(&alice));
        expected += 1;
        expected
    };

    // Ranges ignored: a 200 of the whole file, handled as such.
    server.mode(Mode::IgnoreRanges);
    let want = grow(&server);
    coi(&obs, &["sync"])
        .ok()
        .stdout
        .contains("1 new entry")
        .then_some(())
        .unwrap();
    assert_eq!(obs.count(), want);

    // A compressed 206: not ledger bytes; the whole file is asked for instead.
    server.mode(Mode::Gzip206);
    let want = grow(&server);
    server.take();
    coi(&obs, &["sync"]).ok();
    assert_eq!(obs.count(), want);
    assert_eq!(server.take().0["/a.ledger"], 2);

    // Compressed whatever is asked: refused, nothing imported, exit 2.
    server.mode(Mode::GzipAlways);
    let _ = grow(&server);
    let r = coi(&obs, &["sync"]).code(2);
    assert!(r.stdout.contains("compressed"), "{}", r.stdout);
    assert_eq!(obs.count(), want);

    // Cut mid-line: the complete lines are imported, the cut one on the next sync.
    server.mode(Mode::CutMidLine);
    let want = grow(&server);
    let r = coi(&obs, &["sync"]).ok();
    assert!(r.stdout.contains("not complete yet"), "{}", r.stdout);
    assert_eq!(obs.count(), want - 1);
    server.mode(Mode::Honest);
    coi(&obs, &["sync"]).ok();
    assert_eq!(obs.count(), want);

    // A stalled server: given up on within the timeout, exit 2, the store as it was.
    server.mode(Mode::Stall);
    let t = Instant::now();
    let r = coi(&obs, &["sync", "--timeout", "1"]).code(2);
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
    assert!(r.stdout.contains("no answer within 1s"), "{}", r.stdout);
    assert_eq!(obs.count(), want);

    // A file that does not verify (a line cut short) is refused whole, evidence kept.
    server.mode(Mode::Honest);
    let known = export(&alice);
    declare(&alice, "Globex");
    let mut bad = export(&alice);
    let n = bad.len();
    bad[n - 20] = b'X';
    server.put("a.ledger", bad);
    let r = coi(&obs, &["sync"]).code(1);
    assert!(
        r.stdout.contains("REFUSED: it does not verify"),
        "{}",
        r.stdout
    );
    assert_eq!(obs.count(), want);

    // Its last known line changed and a line added: the range shows the change, and the
    // whole file how.
    server.mode(Mode::NoEtag);
    let mut past = export(&alice);
    past[known.len() - 30] ^= 1;
    server.put("a.ledger", past);
    let r = coi(&obs, &["sync"]).code(1);
    assert!(r.stdout.contains("REWRITTEN"), "{}", r.stdout);
    // An earlier line changed, nothing added, no ETag to tell: a range sees nothing new (it
    // starts at the last known line); --full compares the whole file.
    let mut past = known.clone();
    let i = past.iter().position(|b| *b == b'"').unwrap() + 3;
    past[i] ^= 1;
    server.put("a.ledger", past);
    let r = coi(&obs, &["sync"]).ok();
    assert!(r.stdout.contains("nothing new"), "{}", r.stdout);
    let r = coi(&obs, &["sync", "--full"]).code(1);
    assert!(r.stdout.contains("REWRITTEN"), "{}", r.stdout);
    assert_eq!(obs.count(), want);

    // A file followed by path works the same way.
    let p = alice.file("published.ledger");
    std::fs::write(&p, export(&alice)).unwrap();
    let local = Home::new();
    coi(&local, &["follow", p.to_str().unwrap(), "--name", "local"]).ok();
    coi(&local, &["sync"]).ok();
    assert_eq!(local.count(), want + 1);
    std::fs::write(&p, b"").unwrap();
    let r = coi(&local, &["sync"]).code(1);
    assert!(r.stdout.contains("local: ROLLBACK"), "{}", r.stdout);
    // Not a URL coi can fetch, or not a file.
    coi(&local, &["follow", "ftp://example.org/x.ledger"]).code(2);
    coi(&local, &["follow", "/no/such/file.ledger"]).code(2);
}

#[test]
fn many_follows_cost_one_request_and_at_most_a_line_each() {
    // COI_TEST_FOLLOWS=1000 runs the measurement (about a minute in a debug build).
    let n: usize = std::env::var("COI_TEST_FOLLOWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let server = Server::start();
    let alice = Home::init("alice");
    declare(&alice, "Acme");
    let before = export(&alice);
    let obs = Home::new();
    for i in 0..n {
        server.put(&format!("f/{i}.ledger"), before.clone());
        coi(
            &obs,
            &[
                "follow",
                &server.url(&format!("f/{i}.ledger")),
                "--name",
                &format!("f{i}"),
            ],
        )
        .ok();
    }
    server.mode(Mode::NoEtag);
    coi(&obs, &["sync"]).ok();
    server.take();
    // Nothing new, no ETag: one request each, the last line alone.
    let r = coi(&obs, &["sync"]).ok();
    assert_eq!(r.stdout.matches("nothing new").count(), n);
    let (req, bytes) = server.take();
    assert_eq!(req.len(), n);
    let last_line = {
        let body = &before[..before.len() - 1];
        (before.len() - body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)) as u64
    };
    for i in 0..n {
        let k = format!("/f/{i}.ledger");
        assert_eq!(req[&k], 1, "{k}");
        assert_eq!(bytes[&k], last_line, "{k}");
    }
    // One new entry in each: its bytes and the last known line.
    declare(&alice, "Initech");
    let after = export(&alice);
    for i in 0..n {
        server.put(&format!("f/{i}.ledger"), after.clone());
    }
    coi(&obs, &["sync"]).ok();
    let (req, bytes) = server.take();
    let new = (after.len() - before.len()) as u64;
    for i in 0..n {
        let k = format!("/f/{i}.ledger");
        assert_eq!(req[&k], 1, "{k}");
        assert!(bytes[&k] <= new + last_line, "{k}: {}", bytes[&k]);
    }
    assert_eq!(obs.count(), 3);
}

#[test]
fn a_published_checkpoint_is_checked_against_the_ledger_on_each_sync() {
    let server = Server::start();
    let chair = Home::init("chair");
    chair
        .coi(&["log-key", "--origin", "example.org/board-log"])
        .ok();
    declare(&chair, "Acme");
    let publish = |server: &Server| -> (Vec<u8>, Vec<u8>) {
        let l = chair.file("body.ledger");
        let c = chair.file("body.checkpoint");
        chair
            .coi(&[
                "export",
                "--all",
                "-o",
                l.to_str().unwrap(),
                "--checkpoint",
                c.to_str().unwrap(),
            ])
            .ok();
        let pair = (std::fs::read(l).unwrap(), std::fs::read(c).unwrap());
        server.put("body.ledger", pair.0.clone());
        server.put("body.checkpoint", pair.1.clone());
        pair
    };
    let (ledger, _) = publish(&server);
    let obs = Home::new();
    coi(
        &obs,
        &[
            "follow",
            &server.url("body.ledger"),
            "--checkpoint",
            &server.url("body.checkpoint"),
        ],
    )
    .ok();
    let r = coi(&obs, &["sync"]).ok();
    assert!(
        r.stdout.contains("checkpoint of 3 lines is good"),
        "{}",
        r.stdout
    );
    // A newer checkpoint beside the old ledger: not of the file held; refused, kept.
    declare(&chair, "Initech");
    let (_, newer) = publish(&server);
    server.put("body.ledger", ledger);
    let r = coi(&obs, &["sync"]).code(1);
    assert!(r.stdout.contains("CHECKPOINT REFUSED"), "{}", r.stdout);
    // Both published: good, and consistent with the one before.
    server.put("body.checkpoint", newer);
    publish(&server);
    let r = coi(&obs, &["sync"]).ok();
    assert!(r.stdout.contains("checkpoint of "), "{}", r.stdout);
    // A checkpoint signed by another key for the same origin is refused.
    let other = Home::init("impostor");
    other
        .coi(&["log-key", "--origin", "example.org/board-log"])
        .ok();
    let c = other.file("x.checkpoint");
    other
        .coi(&[
            "export",
            "--all",
            "-o",
            other.file("x.ledger").to_str().unwrap(),
            "--checkpoint",
            c.to_str().unwrap(),
        ])
        .ok();
    server.put("body.checkpoint", std::fs::read(c).unwrap());
    let r = coi(&obs, &["sync"]).code(1);
    assert!(
        r.stdout.contains("not signed by the log key"),
        "{}",
        r.stdout
    );
}
