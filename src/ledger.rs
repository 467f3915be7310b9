//! Ledger files (spec §3): reading lines with bounded memory, byte-level checks, and streaming,
//! parallel verification whose results do not depend on the number of threads.

use std::io::{self, BufRead};
use std::sync::mpsc;

use rayon::prelude::*;

use crate::chain::{ChainVerifier, LineError, Report};
use crate::entry::{Entry, MAX_LINE_LEN};
use crate::error::{ErrorClass, FormatError};

/// Lines handed to the worker threads at a time.
const CHUNK_LINES: usize = 1024;
/// Bytes handed to the worker threads at a time (bounds memory whatever the line lengths).
const CHUNK_BYTES: usize = 1 << 20;

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
        if self.done {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        let mut too_long = false;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                self.done = true;
                if bytes.is_empty() && !too_long {
                    return Ok(None);
                }
                self.number += 1;
                let fault = if too_long {
                    ErrorClass::LineTooLong
                } else {
                    ErrorClass::MissingFinalNewline
                };
                return Ok(Some(RawLine {
                    number: self.number,
                    bytes,
                    fault: Some(fault),
                }));
            }
            let (take, found) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            if !too_long {
                if bytes.len() + take > MAX_LINE_LEN {
                    too_long = true;
                    bytes = Vec::new();
                } else {
                    bytes.extend_from_slice(&buf[..take]);
                }
            }
            self.inner.consume(if found { take + 1 } else { take });
            if found {
                self.number += 1;
                let fault = too_long.then_some(ErrorClass::LineTooLong);
                return Ok(Some(RawLine {
                    number: self.number,
                    bytes,
                    fault,
                }));
            }
        }
    }
}

/// Checks one raw line and parses and verifies its entry: everything that needs no other line.
pub fn check_line(raw: &RawLine) -> Result<Entry, LineError> {
    let fail = |class: ErrorClass, m: &str| Err(LineError::from(FormatError::new(class, m)));
    match raw.fault {
        Some(ErrorClass::LineTooLong) => {
            return fail(
                ErrorClass::LineTooLong,
                &format!("line is longer than {MAX_LINE_LEN} bytes"),
            )
        }
        Some(_) => {
            return fail(
                ErrorClass::MissingFinalNewline,
                "the last line does not end with a newline (a truncated or partial write?)",
            )
        }
        None => {}
    }
    let b = &raw.bytes;
    if raw.number == 1 && b.starts_with(&[0xEF, 0xBB, 0xBF]) {
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
    let Ok(text) = std::str::from_utf8(b) else {
        return fail(ErrorClass::InvalidUtf8, "line is not valid UTF-8");
    };
    if text.is_empty() {
        return fail(ErrorClass::EmptyLine, "empty line");
    }
    let entry = Entry::parse(text)?;
    if let Err(error) = entry.verify_signatures() {
        return Err(LineError {
            error,
            member: Some(entry.member),
            seq: Some(entry.seq),
        });
    }
    Ok(entry)
}

/// Options of [`verify_stream`].
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyOptions {
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
}

/// Verifies a ledger stream and calls `accept` for each entry accepted into its chain, in file order.
///
/// Memory is bounded by one chunk of lines plus per-member state. If `accept` fails, verification
/// stops and its error is returned.
pub fn verify_stream<R: BufRead, E: From<io::Error>>(
    reader: R,
    options: VerifyOptions,
    mut accept: impl FnMut(&Entry) -> Result<(), E>,
    mut progress: impl FnMut(u64),
) -> Result<Report, E> {
    let pool = match options.threads {
        Some(n) => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n.max(1))
                .build()
                .map_err(|e| E::from(io::Error::other(e.to_string())))?,
        ),
        None => None,
    };
    // A pipeline: this thread reads chunks and walks the chains (calling `accept`, which need not
    // be `Send`), while a checker thread has the pool check the lines of the next chunks. Results
    // come back in file order, so nothing depends on the number of threads; at most
    // `IN_FLIGHT` chunks exist at once, which bounds memory.
    let mut lines = LineReader::new(reader);
    let mut chain = ChainVerifier::new();
    let mut bytes_read = 0u64;
    std::thread::scope(|scope| -> Result<(), E> {
        let (raw_tx, raw_rx) = mpsc::sync_channel::<Vec<RawLine>>(IN_FLIGHT);
        let (out_tx, out_rx) = mpsc::sync_channel::<Checked>(IN_FLIGHT);
        let pool = pool.as_ref();
        scope.spawn(move || {
            for chunk in raw_rx {
                let check = || chunk.par_iter().map(check_line).collect::<Vec<_>>();
                let outcomes = match pool {
                    Some(pool) => pool.install(check),
                    None => check(),
                };
                let numbers = chunk.iter().map(|r| r.number).collect();
                drop(chunk);
                if out_tx.send(Checked { numbers, outcomes }).is_err() {
                    break;
                }
            }
        });
        let mut sizes = std::collections::VecDeque::with_capacity(IN_FLIGHT);
        let mut eof = false;
        loop {
            // Keep the checker supplied: the channels hold `IN_FLIGHT` chunks each, so no send
            // blocks.
            while !eof && sizes.len() < IN_FLIGHT {
                let (chunk, size) = read_chunk(&mut lines)?;
                if chunk.is_empty() {
                    eof = true;
                    break;
                }
                sizes.push_back(size);
                if raw_tx.send(chunk).is_err() {
                    return Err(E::from(io::Error::other("the verification thread stopped")));
                }
            }
            let Some(size) = sizes.pop_front() else {
                break;
            };
            let Ok(checked) = out_rx.recv() else {
                return Err(E::from(io::Error::other("the verification thread stopped")));
            };
            for (number, outcome) in checked.numbers.iter().zip(&checked.outcomes) {
                if chain.push(*number, outcome) {
                    if let Ok(e) = outcome {
                        accept(e)?;
                    }
                }
            }
            bytes_read += size;
            progress(bytes_read);
        }
        Ok(())
    })?;
    Ok(chain.finish())
}

/// Chunks read ahead of the chain walk.
const IN_FLIGHT: usize = 3;

/// A chunk's outcomes with its line numbers.
struct Checked {
    numbers: Vec<u64>,
    outcomes: Vec<Result<Entry, LineError>>,
}

/// Reads the next chunk of lines and its size in bytes; an empty chunk at the end.
fn read_chunk<R: BufRead>(lines: &mut LineReader<R>) -> io::Result<(Vec<RawLine>, u64)> {
    let mut chunk = Vec::with_capacity(CHUNK_LINES);
    let mut size = 0;
    while chunk.len() < CHUNK_LINES && size < CHUNK_BYTES {
        match lines.next_line()? {
            Some(raw) => {
                size += raw.bytes.len() + 1;
                chunk.push(raw);
            }
            None => break,
        }
    }
    Ok((chunk, size as u64))
}

/// Verifies a ledger held in memory (convenience for tests and small files).
pub fn verify_bytes(bytes: &[u8]) -> Report {
    let r: Result<Report, io::Error> =
        verify_stream(bytes, VerifyOptions::default(), |_| Ok(()), |_| {});
    // Reading from a byte slice cannot fail.
    r.unwrap_or_default()
}
