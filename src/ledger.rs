//! Ledger files (spec §3): reading lines with bounded memory, byte-level checks, and streaming,
//! parallel verification whose results do not depend on the number of threads.

use std::io::{self, BufRead};
use std::sync::{mpsc, Condvar, Mutex};

use crate::chain::{ChainVerifier, Found, LineError, Notice, Problem, Report};
use crate::entry::{Entry, MAX_LINE_LEN};
use crate::error::{ErrorClass, FormatError};
use crate::multi::{CrossFiles, CrossProblem};

/// One raw line as read: its bytes (without LF), or why it could not be taken whole.
#[derive(Debug)]
pub struct RawLine {
    /// 1-based line number.
    pub number: u64,
    /// The bytes, LF excluded (empty if too long).
    pub bytes: Vec<u8>,
    /// Set when the line exceeded the limit (its bytes were skipped) or had no final LF.
    pub fault: Option<ErrorClass>,
}

/// Splits a byte stream into lines of at most [`MAX_LINE_LEN`] bytes without ever holding a longer
/// line in memory.
pub struct LineReader<R> {
    inner: R,
    number: u64,
    done: bool,
}

impl<R: BufRead> LineReader<R> {
    /// Reads lines from `inner`.
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            number: 0,
            done: false,
        }
    }

    /// The next line, or `None` at the end of the stream.
    pub fn next_line(&mut self) -> io::Result<Option<RawLine>> {
        let mut bytes = Vec::new();
        Ok(self
            .next_line_into(&mut bytes)?
            .map(|(number, fault)| RawLine {
                number,
                bytes,
                fault,
            }))
    }

    /// Like [`LineReader::next_line`], but appends the line's bytes to `out` (nothing for a line
    /// that is too long) and returns its number and fault.
    fn next_line_into(
        &mut self,
        out: &mut Vec<u8>,
    ) -> io::Result<Option<(u64, Option<ErrorClass>)>> {
        if self.done {
            return Ok(None);
        }
        let start = out.len();
        let mut too_long = false;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                self.done = true;
                if out.len() == start && !too_long {
                    return Ok(None);
                }
                self.number += 1;
                let fault = if too_long {
                    ErrorClass::LineTooLong
                } else {
                    ErrorClass::MissingFinalNewline
                };
                return Ok(Some((self.number, Some(fault))));
            }
            let (take, found) = match find_newline(buf) {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            if !too_long {
                if out.len() - start + take > MAX_LINE_LEN {
                    too_long = true;
                    out.truncate(start);
                } else {
                    out.extend_from_slice(&buf[..take]);
                }
            }
            self.inner.consume(if found { take + 1 } else { take });
            if found {
                self.number += 1;
                return Ok(Some((
                    self.number,
                    too_long.then_some(ErrorClass::LineTooLong),
                )));
            }
        }
    }
}

/// Checks one raw line and parses and verifies its entry: everything that needs no other line.
pub fn check_line(raw: &RawLine) -> Result<Entry, LineError> {
    check_bytes(raw.number, &raw.bytes, raw.fault, false)
}

/// [`check_line`] for line `number`, whose bytes are `b`, read with `fault`. A `known` line is
/// byte-identical to one whose signatures were verified before (see [`verify_stream_known`]), so
/// they are not checked again; everything else is.
fn check_bytes(
    number: u64,
    b: &[u8],
    fault: Option<ErrorClass>,
    known: bool,
) -> Result<Entry, LineError> {
    let entry = parse_bytes(number, b, fault)?;
    if known {
        return Ok(entry);
    }
    check_signatures(entry)
}

/// The signature checks of [`check_bytes`].
fn check_signatures(entry: Entry) -> Result<Entry, LineError> {
    match entry.verify_signatures() {
        Ok(()) => Ok(entry),
        Err(error) => Err(LineError {
            error,
            member: Some(entry.member),
            seq: Some(entry.seq),
        }),
    }
}

/// Everything of [`check_bytes`] but the signatures.
fn parse_bytes(number: u64, b: &[u8], fault: Option<ErrorClass>) -> Result<Entry, LineError> {
    let fail = |class: ErrorClass, m: &str| Err(LineError::from(FormatError::new(class, m)));
    if fault == Some(ErrorClass::LineTooLong) {
        return fail(
            ErrorClass::LineTooLong,
            &format!("line is longer than {MAX_LINE_LEN} bytes"),
        );
    }
    // The reader's other fault: the last line has no LF. That is `missing-final-newline` only
    // after the other byte checks (spec §3): a file holding only a BOM is `bom`, a last line
    // ending in CR `carriage-return`. Such a line is not parsed.
    let unterminated = fault.is_some();
    // The usual case first. A line that parses holds no BOM, NUL or CR (canonical JSON starts
    // with `{` and has no control characters), so those scans run only for a line that does not
    // parse, in the order that decides which fault it is reported with.
    let text = std::str::from_utf8(b).ok();
    let parsed = text
        .filter(|t| !t.is_empty() && !unterminated)
        .map(Entry::parse);
    let failure = match parsed {
        Some(Ok(entry)) => return Ok(entry),
        Some(Err(e)) => Some(e),
        None => None,
    };
    if number == 1 && b.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return fail(
            ErrorClass::Bom,
            "the file starts with a byte order mark; save it as UTF-8 without BOM",
        );
    }
    if b.contains(&0) {
        return fail(ErrorClass::NulByte, "line contains a NUL byte");
    }
    if b.contains(&b'\r') {
        return fail(
            ErrorClass::CarriageReturn,
            "line contains a carriage return (CRLF line endings?); lines end with LF only",
        );
    }
    match failure {
        Some(e) => Err(e.into()),
        None if text.is_none() => fail(ErrorClass::InvalidUtf8, "line is not valid UTF-8"),
        // The reader never makes an empty unterminated line, so `empty-line` comes first as well.
        None if unterminated => fail(
            ErrorClass::MissingFinalNewline,
            "the last line does not end with a newline (a truncated or partial write?)",
        ),
        None => fail(ErrorClass::EmptyLine, "empty line"),
    }
}

/// Options of [`verify_stream`].
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyOptions {
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
}

/// Verifies a ledger stream and calls `accept` for each entry accepted into its chain, in file order.
///
/// Memory is bounded by one chunk of lines, per-member state and the report's bounded detail
/// ([`crate::DETAIL_LIMIT`]). If `accept` fails, verification stops and its error is returned.
pub fn verify_stream<R: BufRead, E: From<io::Error>>(
    reader: R,
    options: VerifyOptions,
    accept: impl FnMut(&Entry) -> Result<(), E>,
    progress: impl FnMut(u64),
) -> Result<Report, E> {
    verify_stream_known(reader, options, |_| false, accept, progress)
}

/// [`verify_stream`] for a reader that already holds verified entries (a store re-importing a
/// file): `known` is asked, on the calling thread, about each line's bytes, and must answer true
/// only if they are exactly the bytes of a line whose signatures were verified before. Such lines
/// are parsed and walked through the chain rules like any other, but their signatures are not
/// checked again. Everything else is verified in full.
pub fn verify_stream_known<R: BufRead, E: From<io::Error>>(
    reader: R,
    options: VerifyOptions,
    known: impl FnMut(&[u8]) -> bool,
    mut accept: impl FnMut(&Entry) -> Result<(), E>,
    progress: impl FnMut(u64),
) -> Result<Report, E> {
    verify_stream_lines(
        reader,
        options,
        known,
        |_, e| accept(e),
        |_| Ok(()),
        progress,
    )
}

/// [`verify_stream_known`] whose `accept` is also told the line number of each accepted entry,
/// and which shows `found` each problem and notice as it is found (file 0), before the report
/// gets it. The file is compared with itself as [`verify_files`] compares files (spec §5.3, §5.4).
pub fn verify_stream_lines<R: BufRead, E: From<io::Error>>(
    reader: R,
    options: VerifyOptions,
    mut known: impl FnMut(&[u8]) -> bool,
    mut accept: impl FnMut(u64, &Entry) -> Result<(), E>,
    mut found: impl FnMut(Finding<'_>) -> Result<(), E>,
    mut progress: impl FnMut(u64),
) -> Result<Report, E> {
    verify_stream_entries(
        reader,
        options,
        &mut known,
        &mut |line, e, accepted| if accepted { accept(line, e) } else { Ok(()) },
        &mut found,
        &mut |n| progress(n),
    )
}

/// [`verify_stream_lines`] that is told of every line that parsed and whose signatures verified,
/// with whether its chain took it: a store judging a fork proof (spec §5.5) needs the lines
/// reported as `fork`, which no chain takes.
pub(crate) fn verify_stream_entries<R: BufRead, E: From<io::Error>>(
    reader: R,
    options: VerifyOptions,
    known: &mut dyn FnMut(&[u8]) -> bool,
    each: &mut dyn FnMut(u64, &Entry, bool) -> Result<(), E>,
    found: &mut dyn FnMut(Finding<'_>) -> Result<(), E>,
    progress: &mut dyn FnMut(u64),
) -> Result<Report, E> {
    let mut reports = verify_body(
        std::iter::once(reader),
        options,
        known,
        &mut |_, line, e, accepted| each(line, e, accepted),
        found,
        &mut |_, n| progress(n),
    )?;
    Ok(reports.pop().unwrap_or_default())
}

/// A problem or notice as [`verify_files`] finds it, with the file (0-based, in the order given)
/// it belongs to.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Finding<'a> {
    /// A problem; for one found by comparing files, `problem.other_file` names the other file.
    Problem {
        /// The file the problem is in.
        file: usize,
        /// The problem.
        problem: &'a Problem,
    },
    /// A notice.
    Notice {
        /// The file the notice is about.
        file: usize,
        /// The notice.
        notice: &'a Notice,
    },
}

/// Verifies files given together as one body of evidence (spec §5.3, §5.4): each on its own, and
/// their accepted entries compared across files ([`CrossFiles`]). One file is verified the same
/// way, so that it too gets the checks of §5.4.
///
/// `found` sees every problem and notice as it is found, with its file: a problem of an earlier
/// file can come later (a head contradicted by a later file, or decided after the last file).
/// If `found` fails, verification stops with its error. `progress` is told each file's bytes
/// read. Returns one report per file, in order, each bounded ([`crate::DETAIL_LIMIT`]): holding
/// its own problems in the order found and counting all of them.
pub fn verify_files<R: BufRead, E: From<io::Error>>(
    readers: impl IntoIterator<Item = R>,
    options: VerifyOptions,
    found: impl FnMut(Finding<'_>) -> Result<(), E>,
    progress: impl FnMut(usize, u64),
) -> Result<Vec<Report>, E> {
    verify_files_accepted(readers, options, |_, _, _| Ok(()), found, progress)
}

/// [`verify_files`] whose `accept` is told of each entry a chain took (its file, line and entry),
/// in file order: what `coi check --ledger` gathers from.
pub fn verify_files_accepted<R: BufRead, E: From<io::Error>>(
    readers: impl IntoIterator<Item = R>,
    options: VerifyOptions,
    mut accept: impl FnMut(usize, u64, &Entry) -> Result<(), E>,
    mut found: impl FnMut(Finding<'_>) -> Result<(), E>,
    mut progress: impl FnMut(usize, u64),
) -> Result<Vec<Report>, E> {
    verify_body(
        readers,
        options,
        &mut |_| false,
        &mut |file, line, e, accepted| {
            if accepted {
                accept(file, line, e)
            } else {
                Ok(())
            }
        },
        &mut found,
        &mut progress,
    )
}

/// What [`verify_files`] and [`verify_stream_lines`] run: each reader through [`check_stream`]
/// and a [`ChainVerifier`], every accepted entry through one [`CrossFiles`]. `each` is told of
/// every line that parsed and whose signatures verified, with whether its chain took it.
fn verify_body<R: BufRead, E: From<io::Error>>(
    readers: impl IntoIterator<Item = R>,
    options: VerifyOptions,
    known: &mut dyn FnMut(&[u8]) -> bool,
    each: &mut Each<'_, E>,
    found: &mut dyn FnMut(Finding<'_>) -> Result<(), E>,
    progress: &mut dyn FnMut(usize, u64),
) -> Result<Vec<Report>, E> {
    let mut cross = CrossFiles::new();
    let mut reports: Vec<Report> = Vec::new();
    for (file, reader) in readers.into_iter().enumerate() {
        if file > 0 {
            cross.next_file();
        }
        let mut chain = ChainVerifier::new();
        check_stream(
            reader,
            options,
            known,
            &mut |line, outcome| {
                let mut failed = None;
                let mut stopped = None;
                let accepted = chain.push_with(line, outcome, &mut |f| {
                    let shown = match f {
                        Found::Problem { problem, stops } => {
                            if stops {
                                stopped = problem.member;
                            }
                            found(Finding::Problem { file, problem })
                        }
                        Found::Notice(notice) => found(Finding::Notice { file, notice }),
                    };
                    if let Err(e) = shown {
                        failed.get_or_insert(e);
                    }
                });
                if let Some(e) = failed {
                    return Err(e);
                }
                if let Some(m) = stopped {
                    cross.chain_stopped(m);
                }
                if let (true, Ok(e)) = (accepted, outcome) {
                    for c in cross.accept(line, e) {
                        record(c, Some((file, &mut chain)), &mut reports, found)?;
                    }
                }
                if let Ok(e) = outcome {
                    each(file, line, e, accepted)?;
                }
                Ok(())
            },
            &mut |n| progress(file, n),
        )?;
        reports.push(chain.finish());
    }
    for c in cross.finish() {
        record(c, None, &mut reports, found)?;
    }
    Ok(reports)
}

/// Shows `found` a problem found by comparing files and records it in its file's report: the
/// current file's (`current`: its index and verifier) or a finished one's.
fn record<E>(
    c: CrossProblem,
    current: Option<(usize, &mut ChainVerifier)>,
    reports: &mut [Report],
    found: &mut dyn FnMut(Finding<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let CrossProblem {
        file,
        mut problem,
        other_file,
    } = c;
    problem.other_file = problem.other_file.or(other_file);
    found(Finding::Problem {
        file,
        problem: &problem,
    })?;
    match current {
        Some((f, chain)) if f == file => chain.add_problem(problem),
        _ => {
            if let Some(r) = reports.get_mut(file) {
                r.add_problem(problem);
            }
        }
    }
    Ok(())
}

/// What [`verify_body`] tells of each line that parsed and whose signatures verified: its file,
/// line, entry, and whether its chain took it.
type Each<'a, E> = dyn FnMut(usize, u64, &Entry, bool) -> Result<(), E> + 'a;

/// What [`check_stream`] gives each line's number and outcome to, in file order.
type Walk<'a, E> = dyn FnMut(u64, &Result<Entry, LineError>) -> Result<(), E> + 'a;

/// The parallel pipeline under every verification: reads `reader` in chunks, checks each line
/// (parse, id, signatures unless `known`), and gives `walk` every line's outcome in file order,
/// on the calling thread.
fn check_stream<R: BufRead, E: From<io::Error>>(
    reader: R,
    options: VerifyOptions,
    known: &mut dyn FnMut(&[u8]) -> bool,
    walk: &mut Walk<'_, E>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), E> {
    let threads = options
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    // A pipeline. This thread reads the stream in chunks of lines and queues them; `threads - 1`
    // worker threads and this one take whole chunks from the queue and check their lines in order
    // (parse, id, signatures), so nobody waits for anybody until the stream ends and no more
    // threads run than asked for. This thread walks the chains over the results in chunk order
    // (so nothing depends on the number of threads) and calls `accept`, which need not be `Send`.
    // At most `in_flight` chunks exist at once, which bounds memory.
    let workers = threads - 1;
    let in_flight = 2 * threads + 1;
    let mut lines = LineReader::new(reader);
    let mut bytes_read = 0u64;
    let stopped = || E::from(io::Error::other("a verification thread stopped"));
    let queue = Queue::default();
    std::thread::scope(|scope| -> Result<(), E> {
        // Closes the queue when this closure returns, early or not, which stops the workers.
        let _close = CloseOnDrop(&queue);
        let (done_tx, done_rx) = mpsc::channel::<Option<Done>>();
        for _ in 0..workers {
            let (queue, done_tx) = (&queue, done_tx.clone());
            scope.spawn(move || {
                // Should checking panic, say so: the reader would otherwise wait for this chunk.
                let _notice = PanicNotice(done_tx.clone());
                while let Some((index, chunk)) = queue.take() {
                    if done_tx.send(Some(check_chunk(index, chunk))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let mut sizes = std::collections::VecDeque::with_capacity(in_flight);
        let mut pending: std::collections::HashMap<u64, Checked> = Default::default();
        let mut spares: Vec<Vec<u8>> = Vec::new();
        let (mut next_read, mut next_walk, mut eof) = (0u64, 0u64, false);
        let finished = |done: Done,
                        pending: &mut std::collections::HashMap<u64, Checked>,
                        spares: &mut Vec<Vec<u8>>| {
            spares.push(done.buffer);
            pending.insert(done.index, done.checked);
        };
        loop {
            while !eof && sizes.len() < in_flight {
                let spare = spares.pop().unwrap_or_default();
                let (chunk, size) = read_chunk(&mut lines, spare, known)?;
                if chunk.lines.is_empty() {
                    eof = true;
                    break;
                }
                sizes.push_back(size);
                queue.put((next_read, chunk));
                next_read += 1;
            }
            if next_walk == next_read {
                break;
            }
            while let Ok(done) = done_rx.try_recv() {
                finished(done.ok_or_else(stopped)?, &mut pending, &mut spares);
            }
            let Some(checked) = pending.remove(&next_walk) else {
                // The next results are not in yet: check a queued chunk here rather than wait,
                // and wait only when every queued chunk is taken.
                match queue.try_take() {
                    Some((index, chunk)) => {
                        finished(check_chunk(index, chunk), &mut pending, &mut spares)
                    }
                    None => finished(
                        done_rx.recv().ok().flatten().ok_or_else(stopped)?,
                        &mut pending,
                        &mut spares,
                    ),
                }
                continue;
            };
            for (number, outcome) in checked.numbers.iter().zip(&checked.outcomes) {
                walk(*number, outcome)?;
            }
            next_walk += 1;
            bytes_read += sizes.pop_front().unwrap_or(0);
            progress(bytes_read);
        }
        Ok(())
    })
}

/// Checks the lines of chunk `index`: [`check_bytes`] on each, in two passes (all parsing, then
/// all signatures), so that each kind of work finds its code and tables still in the caches.
fn check_chunk(index: u64, chunk: Chunk) -> Done {
    let parsed: Vec<_> = chunk
        .lines
        .iter()
        .map(|l| parse_bytes(l.number, &chunk.bytes[l.start..l.end], l.fault))
        .collect();
    let outcomes = parsed
        .into_iter()
        .zip(&chunk.lines)
        .map(|(p, l)| match p {
            Ok(entry) if !l.known => check_signatures(entry),
            other => other,
        })
        .collect();
    let numbers = chunk.lines.iter().map(|l| l.number).collect();
    Done {
        index,
        checked: Checked { numbers, outcomes },
        buffer: chunk.bytes,
    }
}

/// The chunks waiting to be checked, first in first out.
#[derive(Default)]
struct Queue {
    state: Mutex<QueueState>,
    ready: Condvar,
}

#[derive(Default)]
struct QueueState {
    chunks: std::collections::VecDeque<(u64, Chunk)>,
    closed: bool,
}

impl Queue {
    fn put(&self, job: (u64, Chunk)) {
        if let Ok(mut s) = self.state.lock() {
            s.chunks.push_back(job);
        }
        self.ready.notify_one();
    }

    /// The next chunk, waiting for one; `None` once the queue is closed.
    fn take(&self) -> Option<(u64, Chunk)> {
        let mut s = self.state.lock().ok()?;
        loop {
            if let Some(job) = s.chunks.pop_front() {
                return Some(job);
            }
            if s.closed {
                return None;
            }
            s = self.ready.wait(s).ok()?;
        }
    }

    /// The next chunk if one is waiting.
    fn try_take(&self) -> Option<(u64, Chunk)> {
        self.state.lock().ok()?.chunks.pop_front()
    }

    fn close(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.closed = true;
        }
        self.ready.notify_all();
    }
}

/// Closes the queue when dropped.
struct CloseOnDrop<'a>(&'a Queue);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Lines per chunk: a worker's unit of work (about 10 ms of checking).
const CHUNK_LINES: usize = 256;
/// Bytes per chunk at most (bounds memory whatever the line lengths).
const CHUNK_BYTES: usize = 256 << 10;

/// A worker's result for chunk `index`, with the chunk's buffer to fill again.
struct Done {
    index: u64,
    checked: Checked,
    buffer: Vec<u8>,
}

/// Sends `None` when dropped during a panic, so that the reader stops waiting.
struct PanicNotice(mpsc::Sender<Option<Done>>);

impl Drop for PanicNotice {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.send(None);
        }
    }
}

/// A chunk's outcomes with its line numbers.
struct Checked {
    numbers: Vec<u64>,
    outcomes: Vec<Result<Entry, LineError>>,
}

/// The position of the first LF in `b`, eight bytes at a time.
fn find_newline(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let pattern = ONES * u64::from(b'\n');
    let mut i = 0;
    for word in b.chunks_exact(8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let x = u64::from_le_bytes(w) ^ pattern;
        // Some byte of x is zero (a byte of the word is LF).
        if x.wrapping_sub(ONES) & !x & HIGHS != 0 {
            break;
        }
        i += 8;
    }
    b[i..].iter().position(|&c| c == b'\n').map(|p| p + i)
}

/// Lines read together: their bytes end to end, and where each is.
struct Chunk {
    bytes: Vec<u8>,
    lines: Vec<ChunkLine>,
}

struct ChunkLine {
    number: u64,
    start: usize,
    end: usize,
    fault: Option<ErrorClass>,
    known: bool,
}

/// Reads the next chunk of lines and its size in bytes; a chunk without lines at the end.
fn read_chunk<R: BufRead>(
    lines: &mut LineReader<R>,
    mut buffer: Vec<u8>,
    known: &mut dyn FnMut(&[u8]) -> bool,
) -> io::Result<(Chunk, u64)> {
    buffer.clear();
    buffer.reserve(CHUNK_BYTES + MAX_LINE_LEN);
    let mut chunk = Chunk {
        bytes: buffer,
        lines: Vec::with_capacity(CHUNK_LINES),
    };
    let mut size = 0u64;
    while chunk.lines.len() < CHUNK_LINES && chunk.bytes.len() < CHUNK_BYTES {
        let start = chunk.bytes.len();
        match lines.next_line_into(&mut chunk.bytes)? {
            Some((number, fault)) => {
                let end = chunk.bytes.len();
                size += (end - start) as u64 + 1;
                let known = fault.is_none() && known(&chunk.bytes[start..end]);
                chunk.lines.push(ChunkLine {
                    number,
                    start,
                    end,
                    fault,
                    known,
                });
            }
            None => break,
        }
    }
    Ok((chunk, size))
}

/// Verifies a ledger held in memory (convenience for tests and small files).
pub fn verify_bytes(bytes: &[u8]) -> Report {
    let r: Result<Report, io::Error> =
        verify_stream(bytes, VerifyOptions::default(), |_| Ok(()), |_| {});
    // Reading from a byte slice cannot fail.
    r.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_newline_finds_the_first_lf() {
        for len in 0..40 {
            for at in 0..=len {
                let mut b = vec![b'a'; len];
                if at < len {
                    b[at] = b'\n';
                    if at + 3 < len {
                        b[at + 3] = b'\n';
                    }
                }
                assert_eq!(
                    find_newline(&b),
                    b.iter().position(|&c| c == b'\n'),
                    "len {len}, LF at {at}"
                );
            }
        }
        // Bytes that differ from LF by one bit, or have the high bit set, are not LF.
        let tricky: Vec<u8> = (0u8..=255).filter(|&c| c != b'\n').collect();
        assert_eq!(find_newline(&tricky), None);
    }

    /// Files given together are one body: every finding is streamed with its file as found, and
    /// a fork found by comparing files lands in its own file's report, naming the other file.
    #[test]
    fn verify_files_streams_findings_and_records_cross_file_problems() {
        let fork = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schema/vectors/fork.ledger"
        ))
        .expect("the fork vector");
        let l: Vec<&str> = fork.lines().collect();
        let a = format!("{}\n{}\n", l[0], l[1]);
        let b = format!("{}\n{}\n{{\n", l[0], l[2]);
        let mut seen = Vec::new();
        let reports = verify_files(
            [a.as_bytes(), b.as_bytes()],
            VerifyOptions::default(),
            |f| {
                if let Finding::Problem { file, problem } = f {
                    seen.push((file, problem.line, problem.class, problem.other_file));
                }
                Ok::<(), io::Error>(())
            },
            |_, _| {},
        )
        .expect("reading memory");
        assert_eq!(
            seen,
            vec![
                (1, 2, ErrorClass::Fork, Some(0)),
                (1, 3, ErrorClass::JsonSyntax, None)
            ]
        );
        assert!(reports[0].valid);
        assert!(!reports[1].valid);
        let p: Vec<_> = reports[1]
            .problems
            .iter()
            .map(|p| (p.line, p.class, p.other_line, p.other_file))
            .collect();
        assert_eq!(
            p,
            vec![
                (2, ErrorClass::Fork, Some(2), Some(0)),
                (3, ErrorClass::JsonSyntax, None, None)
            ]
        );
        assert_eq!(reports[1].problem_total(), 2);
        // Alone, each file is valid but for its junk line.
        assert!(verify_bytes(b.as_bytes()).problems.len() == 1);
        // A sink that fails stops the verification with its error.
        let r = verify_files(
            [b.as_bytes()],
            VerifyOptions::default(),
            |_| Err(io::Error::other("stop")),
            |_, _| {},
        );
        assert_eq!(r.map(|_| ()).map_err(|e| e.to_string()), Err("stop".into()));
    }

    #[test]
    fn line_reader_splits_across_reads_and_bounds_lines() {
        let long = vec![b'x'; MAX_LINE_LEN + 1];
        let mut input = b"one\n\ntwo\n".to_vec();
        input.extend_from_slice(&long);
        input.extend_from_slice(b"\nlast");
        for cap in [1, 3, 8, 1 << 16] {
            let mut r = LineReader::new(io::BufReader::with_capacity(cap, input.as_slice()));
            let mut got = Vec::new();
            while let Some(l) = r.next_line().expect("reading memory") {
                got.push((l.number, l.bytes, l.fault));
            }
            assert_eq!(
                got,
                vec![
                    (1, b"one".to_vec(), None),
                    (2, Vec::new(), None),
                    (3, b"two".to_vec(), None),
                    (4, Vec::new(), Some(ErrorClass::LineTooLong)),
                    (5, b"last".to_vec(), Some(ErrorClass::MissingFinalNewline)),
                ],
                "capacity {cap}"
            );
        }
    }
}
