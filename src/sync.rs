//! The network: bounded HTTP GETs of published files, and submitting checkpoints to C2SP
//! `tlog-witness` witnesses for their cosignatures.
//!
//! This is the only module that touches the network. Everything it receives is bounded in size
//! and time and handed, as bytes, to the pure parsers and verifiers of the rest of the crate
//! (`tlog::witness` for the witness protocol); nothing here decides whether a text is trusted.

use std::time::Duration;

use crate::tlog::witness::{self, AddCheckpoint};
use crate::tlog::{Hash, ProofError};

/// The most redirects a GET follows (a POST follows none).
pub const MAX_REDIRECTS: u32 = 5;
/// The largest response header read, in bytes.
const MAX_HEADER_BYTES: usize = 16 * 1024;
/// How many times `submit_checkpoint` retries after a 409 naming a new size.
pub const MAX_CONFLICT_RETRIES: usize = 2;

/// Why a GET or POST failed before a usable answer arrived.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is not one that can be fetched.
    #[error("{url}: not an http(s) URL that can be fetched: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No complete answer within the time allowed.
    #[error("{url}: no answer within {seconds}s; check the address, or try again later")]
    Timeout {
        /// The URL.
        url: String,
        /// The time allowed, in seconds.
        seconds: u64,
    },
    /// The body is longer than the limit.
    #[error(
        "{url}: the answer is longer than {limit} bytes; refusing it (is this the right address?)"
    )]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// More redirects than allowed (none for a POST).
    #[error("{url}: too many redirects; use the final address instead")]
    Redirects {
        /// The URL.
        url: String,
    },
    /// The server answered a status other than 200.
    #[error("{url}: the server answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The connection or the HTTP exchange failed.
    #[error("{url}: {message}; check the address and the network")]
    Transport {
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
}

/// Why a witness gave no cosignature.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// The note is not a signed checkpoint that can be submitted.
    #[error("the checkpoint cannot be submitted: {0}")]
    Checkpoint(crate::tlog::FormatError),
    /// The request did not get through, or got no usable answer.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// 403: the witness found no signature it trusts for the origin, or a bad one.
    #[error("{url}: the witness does not accept the log's signature (403); give its operator the log's verifier key, or sign with the key it has")]
    Forbidden {
        /// The add-checkpoint URL.
        url: String,
    },
    /// 404: the witness does not follow the origin.
    #[error("{url}: the witness does not follow log {origin:?} (404); ask its operator to add the origin and the log's verifier key")]
    UnknownOrigin {
        /// The add-checkpoint URL.
        url: String,
        /// The checkpoint's origin.
        origin: String,
    },
    /// 422: the checkpoint is not consistent with what the witness cosigned, or the proof is bad.
    #[error("{url}: the witness refused the checkpoint as inconsistent with the tree it cosigned, or the proof as bad (422); if the log was rewritten this is evidence of it: keep the checkpoint, do not retry")]
    Inconsistent {
        /// The add-checkpoint URL.
        url: String,
        /// The witness's answer, as text (bounded).
        body: String,
    },
    /// The witness has cosigned a larger tree than the checkpoint's.
    #[error("the witness has cosigned size {witness} of this log, more than this checkpoint's {size}; submit a newer checkpoint, or if the log never had {witness} leaves the witness saw another tree: keep both")]
    Ahead {
        /// The witness's size.
        witness: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// No consistency proof from the witness's size could be made.
    #[error("no consistency proof from size {old}: {source}")]
    Proof {
        /// The witness's size.
        old: u64,
        /// Why.
        source: ProofError,
    },
    /// The witness kept answering 409 with new sizes.
    #[error("{url}: the witness's size kept changing (409 after {} retries, last {size}); try again later", MAX_CONFLICT_RETRIES)]
    Conflict {
        /// The add-checkpoint URL.
        url: String,
        /// The size the witness named last.
        size: u64,
    },
    /// The witness answered something the protocol does not allow.
    #[error("{url}: not a tlog-witness answer: {reason}")]
    Protocol {
        /// The add-checkpoint URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// Another HTTP status.
    #[error("{url}: the witness answered HTTP {status}: {body}")]
    Status {
        /// The add-checkpoint URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of its answer, as text.
        body: String,
    },
}

/// An agent that reports every status (not as an error), with bounded time and redirects.
fn agent(timeout: Duration, redirects: u32) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(redirects)
        .max_redirects_will_error(true)
        .max_response_header_size(MAX_HEADER_BYTES)
        .timeout_global(Some(timeout))
        .user_agent(concat!("coi-ledger/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

/// A ureq error as a `FetchError` for `url`.
fn fetch_error(url: &str, timeout: Duration, limit: u64, e: ureq::Error) -> FetchError {
    let url = url.to_string();
    match e {
        ureq::Error::Timeout(_) => FetchError::Timeout {
            url,
            seconds: timeout.as_secs(),
        },
        ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge { url, limit },
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            FetchError::Redirects { url }
        }
        ureq::Error::BadUri(reason) => FetchError::Url { url, reason },
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => FetchError::Timeout {
            url,
            seconds: timeout.as_secs(),
        },
        e => FetchError::Transport {
            url,
            message: e.to_string(),
        },
    }
}

/// A response's status, `Content-Type` (without parameters) and body, at most `limit` bytes.
struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

fn read(
    url: &str,
    timeout: Duration,
    limit: u64,
    sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Answer, FetchError> {
    let mut response = sent.map_err(|e| fetch_error(url, timeout, limit, e))?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let body = response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| fetch_error(url, timeout, limit, e))?;
    Ok(Answer {
        status,
        content_type,
        body,
    })
}

/// GETs `url` and returns its body: HTTP 200 only, at most `max_bytes` bytes (a longer body is
/// refused, not cut), at most `MAX_REDIRECTS` redirects, the whole exchange within `timeout`.
pub fn fetch(url: &str, max_bytes: u64, timeout: Duration) -> Result<Vec<u8>, FetchError> {
    let sent = agent(timeout, MAX_REDIRECTS).get(url).call();
    let answer = read(url, timeout, max_bytes, sent)?;
    if answer.status != 200 {
        return Err(FetchError::Status {
            url: url.to_string(),
            status: answer.status,
        });
    }
    Ok(answer.body)
}

/// The start of a body as text, for an error message: at most 200 characters of its first line.
fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect()
}

/// Submits the signed checkpoint `note` to the witness at submission prefix `prefix_url`
/// (`POST <prefix>/add-checkpoint`, C2SP `tlog-witness`) and returns the witness's signature
/// lines (without LF, not yet verified: check them with `tlog::note::verify_cosignature` and the
/// witness's key).
///
/// The first request claims the witness last cosigned `old_size_hint` leaves (0 if unknown); on
/// a 409 it asks `prove(size)` for a consistency proof from the size the witness names and tries
/// again, at most `MAX_CONFLICT_RETRIES` times. `prove` is not called for size 0 (no proof) and
/// must return the proof from `size` to the checkpoint's size. Each exchange has `timeout`, a
/// body of at most `witness::MAX_RESPONSE_BYTES`, and no redirect.
pub fn submit_checkpoint(
    prefix_url: &str,
    note: &str,
    old_size_hint: u64,
    prove: impl Fn(u64) -> Result<Vec<Hash>, ProofError>,
    timeout: Duration,
) -> Result<Vec<String>, SubmitError> {
    let url = format!(
        "{}{}",
        prefix_url.trim_end_matches('/'),
        witness::ADD_CHECKPOINT_PATH
    );
    // Parsing the note up front refuses what no witness could accept, before any request.
    let size = AddCheckpoint::new(0, vec![], note)
        .map_err(SubmitError::Checkpoint)?
        .checkpoint()
        .size;
    let agent = agent(timeout, 0);
    let limit = witness::MAX_RESPONSE_BYTES as u64;
    let mut old = old_size_hint;
    for attempt in 0..=MAX_CONFLICT_RETRIES {
        if old > size {
            return Err(SubmitError::Ahead { witness: old, size });
        }
        let proof = if old == 0 {
            Vec::new()
        } else {
            prove(old).map_err(|source| SubmitError::Proof { old, source })?
        };
        let request = AddCheckpoint::new(old, proof, note).map_err(SubmitError::Checkpoint)?;
        let sent = agent
            .post(&url)
            .content_type("text/plain; charset=utf-8")
            .send(request.encode().as_bytes());
        let answer = read(&url, timeout, limit, sent)?;
        let protocol = |reason: String| SubmitError::Protocol {
            url: url.clone(),
            reason,
        };
        match answer.status {
            200 => {
                return witness::parse_cosignatures(&answer.body).map_err(|e| protocol(e.0));
            }
            409 => {
                if answer.content_type != witness::SIZE_CONTENT_TYPE {
                    return Err(protocol(format!(
                        "a 409 of type {:?}, not {}",
                        answer.content_type,
                        witness::SIZE_CONTENT_TYPE
                    )));
                }
                let named = witness::parse_size(&answer.body).map_err(|e| protocol(e.0))?;
                if named == old {
                    return Err(protocol(format!("a 409 naming the old size sent, {old}")));
                }
                if attempt == MAX_CONFLICT_RETRIES {
                    return Err(SubmitError::Conflict { url, size: named });
                }
                old = named;
            }
            403 => return Err(SubmitError::Forbidden { url }),
            404 => {
                return Err(SubmitError::UnknownOrigin {
                    url,
                    origin: request.checkpoint().origin.clone(),
                })
            }
            422 => {
                return Err(SubmitError::Inconsistent {
                    url,
                    body: excerpt(&answer.body),
                })
            }
            status => {
                return Err(SubmitError::Status {
                    url,
                    status,
                    body: excerpt(&answer.body),
                })
            }
        }
    }
    Err(SubmitError::Conflict { url, size: old })
}

// ---------------------------------------------------------------------------------------------
// Following published ledgers: fetch only the new tail of an append-only file
// ---------------------------------------------------------------------------------------------

/// The largest publication `coi sync` takes, in bytes.
pub const MAX_PUBLICATION_BYTES: u64 = 1 << 30;

/// What a sync knows of a publication before asking for more.
#[derive(Clone, Copy, Debug)]
pub struct Known<'a> {
    /// The bytes verified and imported so far (whole lines).
    pub bytes: &'a [u8],
    /// The length of their last line, LF included (0 with none).
    pub last_line_len: u64,
    /// The ETag the server gave for exactly these bytes.
    pub etag: Option<&'a str>,
}

/// How a publication compares with what was known of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tail {
    /// Nothing new (a 304, or no new complete line).
    Unchanged {
        /// Bytes of a line not yet complete that were seen and left for the next sync.
        partial: u64,
    },
    /// The publication extends the known bytes by these complete lines.
    Grew {
        /// The new complete lines.
        new: Vec<u8>,
        /// Bytes of a line not yet complete after them, left for the next sync.
        partial: u64,
        /// The ETag of the publication, when the answer was exactly it (no partial line).
        etag: Option<String>,
    },
    /// The publication is a proper prefix of the known bytes: it shrank (a rollback).
    Shrank {
        /// The publication as fetched (the evidence).
        body: Vec<u8>,
    },
    /// The publication differs from the known bytes inside them: its past changed.
    Rewritten {
        /// The publication as fetched (the evidence).
        body: Vec<u8>,
        /// The first offset at which it differs.
        at: u64,
    },
}

/// Requests made and body bytes received by one sync of one publication.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// HTTP requests made.
    pub requests: u32,
    /// Body bytes received.
    pub bytes: u64,
}

/// The complete lines of `new` and the length of what follows the last LF.
fn complete_lines(mut new: Vec<u8>) -> (Vec<u8>, u64) {
    let keep = new.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let partial = (new.len() - keep) as u64;
    new.truncate(keep);
    (new, partial)
}

/// Compares a whole publication with the known bytes (pure).
pub fn classify(known: &[u8], body: Vec<u8>, etag: Option<String>) -> Tail {
    if body.starts_with(known) {
        let (new, partial) = complete_lines(body[known.len()..].to_vec());
        if new.is_empty() {
            return Tail::Unchanged { partial };
        }
        let etag = etag.filter(|_| partial == 0);
        return Tail::Grew { new, partial, etag };
    }
    if known.starts_with(&body) {
        return Tail::Shrank { body };
    }
    let at = known
        .iter()
        .zip(&body)
        .position(|(a, b)| a != b)
        .unwrap_or(known.len().min(body.len())) as u64;
    Tail::Rewritten { body, at }
}

/// One answer to a GET of a publication.
struct Got {
    status: u16,
    /// `Content-Range: bytes START-END/TOTAL`, parsed.
    range: Option<(u64, u64, Option<u64>)>,
    /// The body is encoded (`Content-Encoding` other than identity): not ledger bytes.
    encoded: bool,
    etag: Option<String>,
    body: Vec<u8>,
}

fn header(r: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
}

/// `bytes START-END/TOTAL` (TOTAL may be `*`).
fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = v.strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (a, b) = span.split_once('-')?;
    let total = if total == "*" {
        None
    } else {
        Some(total.parse().ok()?)
    };
    Some((a.parse().ok()?, b.parse().ok()?, total))
}

fn get(
    agent: &ureq::Agent,
    url: &str,
    from: Option<u64>,
    etag: Option<&str>,
    timeout: Duration,
    traffic: &mut Traffic,
) -> Result<Got, FetchError> {
    let mut req = agent.get(url).header("Accept-Encoding", "identity");
    if let Some(start) = from {
        req = req.header("Range", &format!("bytes={start}-"));
    }
    if let Some(tag) = etag {
        req = req.header("If-None-Match", tag);
    }
    traffic.requests += 1;
    let mut response = req
        .call()
        .map_err(|e| fetch_error(url, timeout, MAX_PUBLICATION_BYTES, e))?;
    let status = response.status().as_u16();
    let range = header(&response, "content-range").and_then(|v| parse_content_range(&v));
    let encoded = header(&response, "content-encoding")
        .is_some_and(|v| !v.is_empty() && !v.eq_ignore_ascii_case("identity"));
    let etag = header(&response, "etag");
    let body = if status == 304 {
        Vec::new()
    } else {
        response
            .body_mut()
            .with_config()
            .limit(MAX_PUBLICATION_BYTES)
            .read_to_vec()
            .map_err(|e| fetch_error(url, timeout, MAX_PUBLICATION_BYTES, e))?
    };
    traffic.bytes += body.len() as u64;
    Ok(Got {
        status,
        range,
        encoded,
        etag,
        body,
    })
}

/// Why an answer cannot be used as the publication's bytes.
fn unusable(url: &str, why: &str) -> FetchError {
    FetchError::Transport {
        url: url.to_string(),
        message: why.to_string(),
    }
}

/// Fetches what is new in the publication at `url` since `known`, with as few bytes as the
/// server allows: a `Range` request from the start of the last known line (so the answer
/// shows that line unchanged) with `If-None-Match`, and a GET of the whole file only when the
/// server ignores the range in a way that needs it (416, a range not asked for, an encoded
/// body, an overlap that differs). Each request is bounded by `timeout` and
/// [`MAX_PUBLICATION_BYTES`]; proxies are taken from the environment (`ALL_PROXY`,
/// `HTTPS_PROXY`, `HTTP_PROXY`).
pub fn fetch_tail(
    url: &str,
    known: &Known<'_>,
    timeout: Duration,
) -> Result<(Tail, Traffic), FetchError> {
    let agent = follow_agent(timeout);
    let mut traffic = Traffic::default();
    let whole = |traffic: &mut Traffic| -> Result<Tail, FetchError> {
        let body = get_whole(&agent, url, timeout, traffic)?;
        Ok(classify(known.bytes, body.0, body.1))
    };
    let len = known.bytes.len() as u64;
    if len == 0 {
        let tail = whole(&mut traffic)?;
        return Ok((tail, traffic));
    }
    let start = len - known.last_line_len.min(len);
    let got = get(&agent, url, Some(start), known.etag, timeout, &mut traffic)?;
    let tail = match got.status {
        304 => Tail::Unchanged { partial: 0 },
        206 if !got.encoded && got.range.is_some_and(|(a, _, _)| a == start) => {
            let overlap = &known.bytes[start as usize..];
            if got.body.len() >= overlap.len() && got.body.starts_with(overlap) {
                let (new, partial) = complete_lines(got.body[overlap.len()..].to_vec());
                let changed =
                    known.etag.is_some() && got.etag.is_some() && got.etag.as_deref() != known.etag;
                if new.is_empty() && partial == 0 && changed {
                    // Not longer, the last line the same, yet another representation: what
                    // changed is before it.
                    whole(&mut traffic)?
                } else if new.is_empty() {
                    Tail::Unchanged { partial }
                } else {
                    let etag = got.etag.filter(|_| partial == 0);
                    Tail::Grew { new, partial, etag }
                }
            } else {
                // The last known line changed or is cut: the whole file says how.
                whole(&mut traffic)?
            }
        }
        // A 206 of another range, or encoded (its ranges are of the encoded bytes).
        206 => whole(&mut traffic)?,
        200 if !got.encoded => classify(known.bytes, got.body, got.etag),
        200 => whole(&mut traffic)?,
        // Asked beyond the end: the file is shorter than what was known.
        416 => whole(&mut traffic)?,
        status => {
            return Err(FetchError::Status {
                url: url.to_string(),
                status,
            })
        }
    };
    Ok((tail, traffic))
}

/// The agent of `fetch_tail` and `fetch_whole`: every status reported, bounded redirects,
/// header and time, proxies from the environment.
fn follow_agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(MAX_REDIRECTS)
        .max_redirects_will_error(true)
        .max_response_header_size(MAX_HEADER_BYTES)
        .timeout_global(Some(timeout))
        .proxy(ureq::Proxy::try_from_env())
        .user_agent(concat!("coi-ledger/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

/// A GET of the whole file: a 200 of identity-encoded bytes, with its ETag.
fn get_whole(
    agent: &ureq::Agent,
    url: &str,
    timeout: Duration,
    traffic: &mut Traffic,
) -> Result<(Vec<u8>, Option<String>), FetchError> {
    let got = get(agent, url, None, None, timeout, traffic)?;
    if got.status != 200 {
        return Err(FetchError::Status {
            url: url.to_string(),
            status: got.status,
        });
    }
    if got.encoded {
        return Err(unusable(
            url,
            "the server sends the file compressed although asked not to (Accept-Encoding: identity); coi reads ledger bytes only",
        ));
    }
    Ok((got.body, got.etag))
}

/// Fetches the whole publication at `url` (bounded as [`fetch_tail`]) and compares it with
/// `known`: the deep check of `coi sync --full`, and what a sync does when new lines do not
/// verify after the known ones (their past may have changed).
pub fn fetch_whole(
    url: &str,
    known: &[u8],
    timeout: Duration,
) -> Result<(Tail, Traffic), FetchError> {
    let agent = follow_agent(timeout);
    let mut traffic = Traffic::default();
    let (body, etag) = get_whole(&agent, url, timeout, &mut traffic)?;
    Ok((classify(known, body, etag), traffic))
}

#[cfg(test)]
mod follow_tests {
    use super::*;

    #[test]
    fn a_publication_is_classified_against_the_known_bytes() {
        let known = b"a\nb\n";
        assert_eq!(
            classify(known, b"a\nb\n".to_vec(), None),
            Tail::Unchanged { partial: 0 }
        );
        assert_eq!(
            classify(known, b"a\nb\nc\nd".to_vec(), Some("x".into())),
            Tail::Grew {
                new: b"c\n".to_vec(),
                partial: 1,
                etag: None
            }
        );
        assert_eq!(
            classify(known, b"a\nb\nc\n".to_vec(), Some("x".into())),
            Tail::Grew {
                new: b"c\n".to_vec(),
                partial: 0,
                etag: Some("x".into())
            }
        );
        assert_eq!(
            classify(known, b"a\n".to_vec(), None),
            Tail::Shrank {
                body: b"a\n".to_vec()
            }
        );
        assert_eq!(
            classify(known, b"a\nX\nc\n".to_vec(), None),
            Tail::Rewritten {
                body: b"a\nX\nc\n".to_vec(),
                at: 2
            }
        );
        assert_eq!(
            parse_content_range("bytes 10-19/20"),
            Some((10, 19, Some(20)))
        );
        assert_eq!(parse_content_range("bytes 10-19/*"), Some((10, 19, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }
}
