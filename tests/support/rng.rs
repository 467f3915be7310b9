//! SplitMix64: the one small deterministic generator of the test support, for choices and sampling.
//!
//! Both reductions to a range are kept because fixtures depend on them bit for bit: the ledger
//! generator (`ledger_gen.rs`, pinned by `tests/determinism.rs`) draws with [`Rng::uniform`], the
//! trust builders and tests (`builders.rs`, `mutation.rs`, `crash.rs`) with [`Rng::below`].
//! Changing either changes what those tests see.
//!
//! Also included on its own by the examples (`#[path]`), so it uses nothing but `std`.
#![allow(dead_code)]

/// SplitMix64 state; `Rng(seed)` starts a sequence.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0), by remainder.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `0..n` (n > 0), by multiply-shift (no remainder bias).
    pub fn uniform(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform index into a slice of length `n` (by [`Rng::uniform`]).
    pub fn index(&mut self, n: usize) -> usize {
        self.uniform(n as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element of `items` (by [`Rng::index`]).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// 32 random bytes.
    pub fn bytes32(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for c in out.chunks_mut(8) {
            c.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        out
    }
}
