//! Safe display of untrusted text: nothing from a ledger reaches a terminal raw.
//!
//! The policy lives in the crate's text module; this path is kept for callers that show text
//! (the CLI), so that `coi_ledger::display::escape` keeps working.

pub use crate::text::{escape, escape_bytes, quote, quote_cut, sanitize};
