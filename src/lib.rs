//! coi-ledger: conflict-of-interest declarations that anyone can verify.
//!
//! Members sign declarations with Ed25519 and chain them with BLAKE3; a ledger is published as a
//! plain text file (one entry per line, `schema/ledger-v1.md`) and verified offline with nothing
//! but the file.
//!
//! ```
//! use coi_ledger::{Data, Draft, Hash32, Profile, SecretKey, Timestamp, verify_bytes};
//!
//! let key = SecretKey::generate();
//! let member = key.public().member_id();
//! let draft = Draft {
//!     member,
//!     seq: 1,
//!     prev: Hash32::ZERO,
//!     time: Timestamp::parse("2026-11-27T09:00:00Z").unwrap(),
//!     data: Data::Profile(Profile { name: "Ada".into(), capacity: None, affiliation: None }),
//! };
//! let entry = draft.sign(&key).unwrap();
//! let file = format!("{}\n", entry.line);
//! let report = verify_bytes(file.as_bytes());
//! assert!(report.valid);
//! assert_eq!(report.entries, 1);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Input must never reach a panic: no unwrap or expect in library code (tests may use them).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod canon;
mod chain;
pub mod check;
pub mod display;
mod entry;
mod error;
mod hash;
pub mod home;
mod keycache;
mod keys;
mod ledger;
mod multi;
pub mod register;
pub mod seal;
pub mod store;
pub mod sync;
#[cfg(test)]
mod testutil;
mod text;
pub mod tlog;

pub use canon::parse as parse_canonical;
pub use chain::{
    ChainVerifier, ClassCounts, Found, LineError, MemberSummary, Notice, NoticeClass, Problem,
    Report, DETAIL_LIMIT,
};
pub use entry::{
    entry_id, signing_message, text, Agenda, AgendaItem, Ballot, Between, Category, CheckpointRef,
    Data, Date, Declaration, Determination, Disclosure, Draft, EncryptionKey, Entry, EntryId, Head,
    KeyRotation, Kind, LogKey, Matter, Mitigation, NoConflict, Outcome, Participation, Presence,
    Profile, Reaffirm, Relationship, Retract, Scope, SealedField, Timestamp, Unseal, Vote,
    VoteResult, Whose, Withdraw, Witness, FORMAT_VERSION, MAX_BAND, MAX_CIPHERTEXT, MAX_CONCERNS,
    MAX_HEADS, MAX_ITEMS, MAX_LINE_LEN, MAX_MATTERS, MAX_MATTER_LEN, MAX_NAME, MAX_ORIGIN,
    MAX_RECIPIENTS, MAX_TEXT,
};
pub use error::{Damage, Error, ErrorClass, FormatError, Result};
pub use hash::{
    Hash32, CTX_ENTRY_ID, CTX_ENTRY_SIG, CTX_KEY_ACCEPT, CTX_MEMBER_ID, CTX_SEAL, CTX_SECRET_KEY,
};
pub use keys::{
    key_accept_message, AgeIdentityFile, KdfParams, KeyFile, KeyFileError, MemberId, PublicKey,
    SecretKey, Signature, TlogKeyFile, TlogRole,
};
pub use ledger::{
    check_line, verify_bytes, verify_files, verify_files_accepted, verify_stream,
    verify_stream_known, verify_stream_lines, Finding, LineReader, RawLine, VerifyOptions,
};
pub use multi::{CrossFiles, CrossProblem};
pub use text::is_forbidden;
