//! A C2SP `tlog-witness` on loopback for the sync tests: a `TcpListener` on 127.0.0.1:0 and one
//! thread speaking just enough HTTP/1.1 (`POST /add-checkpoint`,
//! `GET /<sha256-hex-of-origin>/checkpoint`), judging with the library's pure
//! `tlog::witness::add_checkpoint` and keeping its state in memory under one lock (read, judge
//! and update are one step). Bounded: a number of requests, a lifetime, I/O timeouts and body
//! sizes. It stops when dropped.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use coi_ledger::tlog::note::CosignerKey;
use coi_ledger::tlog::witness::{self, AddCheckpoint, TreeHead, TrustedLogs};
use sha2::{Digest, Sha256};

/// The most requests one witness serves.
pub const MAX_REQUESTS: usize = 64;
/// How long a witness lives at most.
pub const LIFETIME: Duration = Duration::from_secs(60);
/// The I/O timeout of one connection.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;

/// How the witness behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// As the spec says.
    Honest,
    /// Reads the request and never answers (until the connection times out).
    Stall,
    /// Answers 200 with a body far over any limit.
    Oversized,
}

/// What the witness keeps per origin: the tree head and the cosigned note it serves.
#[derive(Clone, Debug)]
pub struct Stored {
    /// The latest cosigned tree head.
    pub head: TreeHead,
    /// The checkpoint note with the log's signatures and the witness's cosignature.
    pub note: Option<String>,
}

#[derive(Default)]
struct State {
    logs: BTreeMap<String, Stored>,
    /// Validly signed notes refused as conflicting or inconsistent.
    evidence: Vec<String>,
    requests: usize,
}

/// A running loopback witness.
pub struct TestWitness {
    addr: SocketAddr,
    vkey: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestWitness {
    /// A witness named `witness.example.org/test` with key seed `seed`, following `logs`.
    pub fn start(logs: TrustedLogs, seed: u8) -> TestWitness {
        TestWitness::start_with(logs, seed, BTreeMap::new(), Behaviour::Honest)
    }

    /// A witness that already has `stored` tree heads, behaving as `behaviour`.
    pub fn start_with(
        logs: TrustedLogs,
        seed: u8,
        stored: BTreeMap<String, TreeHead>,
        behaviour: Behaviour,
    ) -> TestWitness {
        let key = CosignerKey::from_seed("witness.example.org/test", &[seed; 32]).expect("key");
        let vkey = key.vkey();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("address");
        let state = Arc::new(Mutex::new(State {
            logs: stored
                .into_iter()
                .map(|(o, head)| (o, Stored { head, note: None }))
                .collect(),
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || serve(listener, &logs, &key, &state, &stop, behaviour))
        };
        TestWitness {
            addr,
            vkey,
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// The witness's URL prefix (submission and monitoring), `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The witness's cosigner verifier key (type 0x04).
    pub fn vkey(&self) -> &str {
        &self.vkey
    }

    /// The tree head stored for `origin`.
    pub fn head(&self, origin: &str) -> Option<TreeHead> {
        let s = self.state.lock().expect("lock");
        s.logs.get(origin).map(|st| st.head)
    }

    /// The validly signed notes refused with 409 or 422, in order.
    pub fn evidence(&self) -> Vec<String> {
        self.state.lock().expect("lock").evidence.clone()
    }

    /// How many requests were served.
    pub fn requests(&self) -> usize {
        self.state.lock().expect("lock").requests
    }
}

impl Drop for TestWitness {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The origin hash of the monitoring path: lowercase hex SHA-256 of the origin.
pub fn origin_hash(origin: &str) -> String {
    hex::encode(Sha256::digest(origin.as_bytes()))
}

fn serve(
    listener: TcpListener,
    logs: &TrustedLogs,
    key: &CosignerKey,
    state: &Mutex<State>,
    stop: &AtomicBool,
    behaviour: Behaviour,
) {
    let deadline = Instant::now() + LIFETIME;
    let mut served = 0;
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline && served < MAX_REQUESTS {
        match listener.accept() {
            Ok((conn, _)) => {
                served += 1;
                // A broken connection is the client's business; the witness goes on.
                let _ = handle(conn, logs, key, state, stop, behaviour);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => return,
        }
    }
}

/// A request as read: method, path, body.
struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

/// Reads one HTTP/1.1 request with a `Content-Length` body (no chunked bodies), bounded.
fn read_request(conn: &mut TcpStream) -> Result<Request, u16> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return Err(431);
        }
        let n = conn.read(&mut chunk).map_err(|_| 408u16)?;
        if n == 0 {
            return Err(400);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| 400u16)?;
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(path), Some("HTTP/1.1")) = (first.next(), first.next(), first.next())
    else {
        return Err(400);
    };
    let mut length = 0usize;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(400u16)?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().map_err(|_| 400u16)?,
            "transfer-encoding" => return Err(411),
            _ => {}
        }
    }
    if length > witness::MAX_REQUEST_BYTES {
        return Err(413);
    }
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = conn.read(&mut chunk).map_err(|_| 408u16)?;
        if n == 0 {
            return Err(400);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    if body.len() != length {
        return Err(400);
    }
    Ok(Request {
        method: method.to_string(),
        path: path.to_string(),
        body,
    })
}

fn respond(
    conn: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        _ => "Error",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes())?;
    conn.write_all(body)?;
    conn.flush()
}

fn handle(
    mut conn: TcpStream,
    logs: &TrustedLogs,
    key: &CosignerKey,
    state: &Mutex<State>,
    stop: &AtomicBool,
    behaviour: Behaviour,
) -> std::io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(IO_TIMEOUT))?;
    conn.set_write_timeout(Some(IO_TIMEOUT))?;
    let request = match read_request(&mut conn) {
        Ok(r) => r,
        Err(status) => return respond(&mut conn, status, "text/plain", b"bad request\n"),
    };
    state.lock().expect("lock").requests += 1;
    match behaviour {
        Behaviour::Honest => {}
        Behaviour::Stall => {
            let until = Instant::now() + IO_TIMEOUT;
            while Instant::now() < until && !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
            return Ok(());
        }
        Behaviour::Oversized => {
            let big = vec![b'a'; witness::MAX_RESPONSE_BYTES * 4];
            return respond(&mut conn, 200, "text/plain", &big);
        }
    }
    let (status, content_type, body) = match (request.method.as_str(), request.path.as_str()) {
        ("POST", witness::ADD_CHECKPOINT_PATH) => add(&request.body, logs, key, state),
        ("GET", path) => get(path, state),
        _ => (404, "text/plain", b"not found\n".to_vec()),
    };
    respond(&mut conn, status, content_type, &body)
}

/// The add-checkpoint call: parse, then read, judge and update under one lock.
fn add(
    body: &[u8],
    logs: &TrustedLogs,
    key: &CosignerKey,
    state: &Mutex<State>,
) -> (u16, &'static str, Vec<u8>) {
    let request = match AddCheckpoint::parse(body) {
        Ok(r) => r,
        Err(e) => return (400, "text/plain", format!("{e}\n").into_bytes()),
    };
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(1, |d| d.as_secs());
    let origin = request.checkpoint().origin.clone();
    let mut s = state.lock().expect("lock");
    let stored = s.logs.get(&origin).map(|st| st.head);
    match witness::add_checkpoint(logs, stored.as_ref(), &request, key, now) {
        Ok(accepted) => {
            s.logs.insert(
                origin,
                Stored {
                    head: accepted.head,
                    note: Some(accepted.cosigned_note),
                },
            );
            let body = witness::encode_cosignatures(&accepted.cosignatures);
            (200, "text/plain; charset=utf-8", body.into_bytes())
        }
        Err(refusal) => {
            if let Some(note) = refusal.evidence() {
                s.evidence.push(note.to_string());
            }
            match refusal {
                witness::Refusal::Conflict { size, .. } => (
                    409,
                    witness::SIZE_CONTENT_TYPE,
                    witness::encode_size(size).into_bytes(),
                ),
                r => (r.status(), "text/plain", format!("{r}\n").into_bytes()),
            }
        }
    }
}

/// The monitoring call: the cosigned checkpoint of the origin whose hash is in the path.
fn get(path: &str, state: &Mutex<State>) -> (u16, &'static str, Vec<u8>) {
    let hash = path
        .strip_prefix('/')
        .and_then(|p| p.strip_suffix("/checkpoint"));
    let s = state.lock().expect("lock");
    let found = hash.and_then(|h| {
        s.logs
            .iter()
            .find(|(origin, _)| origin_hash(origin) == h)
            .and_then(|(_, st)| st.note.clone())
    });
    match found {
        Some(note) => (200, "text/plain; charset=utf-8", note.into_bytes()),
        None => (404, "text/plain", b"not found\n".to_vec()),
    }
}
