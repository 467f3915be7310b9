//! The one home of test support, shared by the integration tests (`mod support;`) and, file by
//! file through `#[path]`, by the examples:
//!
//! - [`rng`]: SplitMix64, the one deterministic generator;
//! - [`builders`]: small ledgers built through the store, for the trust tests;
//! - [`ledger_gen`]: the seeded generator of large realistic ledgers (`examples/generate.rs`,
//!   `examples/bench.rs`, pinned by `tests/determinism.rs`);
//! - [`vectors_gen`]: the test vectors of `schema/vectors/` (`examples/make_vectors.rs`,
//!   `tests/vectors.rs`);
//! - [`roundtrip`]: the line round-trip invariant (`tests/properties.rs` and the fuzz target
//!   `fuzz/fuzz_targets/parse_line.rs`);
//! - [`cli`]: running the `coi` binary on a home;
//! - [`witness`]: a C2SP `tlog-witness` on loopback (`tests/witness_protocol.rs`).
// Each test binary uses its own part of the support.
#![allow(dead_code)]

pub mod builders;
pub mod cli;
pub mod ledger_gen;
pub mod rng;
pub mod roundtrip;
pub mod vectors_gen;
pub mod witness;

// The names most tests take, at the top: `use support::{build_ledger, Rng}`.
#[allow(unused_imports)]
pub use builders::{build_ledger, join, kinds, seed, Ledger};
#[allow(unused_imports)]
pub use rng::Rng;

/// `f(0..n)` on all cores with plain threads, results in index order.
///
/// Not rayon: `verify_stream` waits for its checker thread on a channel, so calling it from
/// rayon worker threads can starve its own parallel checking (see `mutation.rs`,
/// `verify_bytes_inside_a_rayon_pool_does_not_deadlock`).
pub fn par_map<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<T>>> = Mutex::new((0..n).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(2)
        .min(n.max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let v = f(i);
                out.lock().expect("lock")[i] = Some(v);
            });
        }
    });
    out.into_inner()
        .expect("lock")
        .into_iter()
        .map(|v| v.expect("computed"))
        .collect()
}
