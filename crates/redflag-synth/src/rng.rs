//! Random streams. Every subject, ring and event stream gets its own generator, derived from the world's
//! seed and a stream label, so any subject can be generated alone, in any order or in parallel, and a
//! world's bytes never depend on how it was generated.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator type used everywhere.
pub(crate) type SynthRng = ChaCha8Rng;

/// Stream labels: one per purpose, so adding draws to one purpose never shifts another's values.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Plan = 1,
    Person = 2,
    Ring = 3,
    SignIns = 4,
    Endpoint = 5,
    Payroll = 6,
    Shipping = 7,
    Resume = 8,
    Group = 9,
    AppSignIns = 10,
    /// A value drawn again because it repeated another subject's by chance.
    Redraw = 11,
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator for `stream` and item `index` of the world seeded with `seed`.
pub(crate) fn stream(seed: u64, stream: Stream, index: u64) -> SynthRng {
    let key = mix(mix(seed ^ ((stream as u64) << 56)) ^ index);
    SynthRng::seed_from_u64(key)
}

/// Picks an index by integer weights (all weights zero picks the first).
pub(crate) fn weighted<R: Rng + ?Sized>(rng: &mut R, weights: &[u32]) -> usize {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    if total == 0 {
        return 0;
    }
    let mut ticket = rng.gen_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        let w = u64::from(w);
        if ticket < w {
            return i;
        }
        ticket -= w;
    }
    weights.len() - 1
}

/// One element of a non-empty slice, uniformly.
pub(crate) fn pick<'a, T, R: Rng + ?Sized>(rng: &mut R, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// True with probability `p`.
pub(crate) fn chance<R: Rng + ?Sized>(rng: &mut R, p: f64) -> bool {
    rng.gen_bool(p.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_stable_and_separate() {
        let a: u64 = stream(7, Stream::Person, 3).r#gen();
        let b: u64 = stream(7, Stream::Person, 3).r#gen();
        let c: u64 = stream(7, Stream::Person, 4).r#gen();
        let d: u64 = stream(7, Stream::Ring, 3).r#gen();
        let e: u64 = stream(8, Stream::Person, 3).r#gen();
        assert_eq!(a, b);
        assert!(a != c && a != d && a != e);
    }

    #[test]
    fn weighted_picks_follow_weights() {
        let mut rng = stream(1, Stream::Plan, 0);
        let mut counts = [0u32; 3];
        for _ in 0..10_000 {
            counts[weighted(&mut rng, &[1, 0, 3])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!(counts[2] > counts[0] * 2, "{counts:?}");
        assert_eq!(weighted(&mut rng, &[0, 0]), 0);
    }
}
