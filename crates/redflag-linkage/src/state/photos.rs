//! Near-duplicate photo search by multi-index hashing over 64-bit perceptual hashes.
//!
//! A hash is cut into four 16-bit bands, and each band value has a bucket of the photos holding it.
//! Two hashes at most 7 bits apart differ in at most one bit of some band (four bands of two or more
//! differing bits would make eight), so probing, in every band, the photo's own bucket and the 16
//! buckets one bit away finds every photo within 7 bits; each one found is checked on the whole hash
//! before it makes a pair. A photo's pairs are therefore the photos within the configured distance,
//! not the members of a shared block: the earlier blocking on eight one-byte bands put a million
//! photos into 256 groups of ~3,900 each, every one over the block cap, and found nothing at scale.
//!
//! A bucket holding more than its limit of photos (a placeholder image re-encoded many times, or a
//! population of hundreds of millions) is not probed. The rule is symmetric, so that a record's own
//! search finds all its pairs: a band is searched only when the photo's own bucket in it is within the
//! limit, and only buckets within the limit are probed; so two photos pair through a band exactly when
//! both of their buckets in it are within the limit, whichever of the two searches.

use std::fmt;

const BANDS: usize = 4;
const BAND_BITS: u32 = 16;
const VALUES: usize = 1 << BAND_BITS;
/// Largest distance the search is exact for (see the module notes).
pub(crate) const MAX_SEARCH_DISTANCE: u32 = 7;

/// The buckets of every band: `(hash, record)` entries, in no particular order.
pub(crate) struct PhotoIndex {
    buckets: Vec<Vec<(u64, u32)>>,
}

impl fmt::Debug for PhotoIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhotoIndex")
            .field("entries", &self.buckets.iter().map(Vec::len).sum::<usize>())
            .finish()
    }
}

impl Default for PhotoIndex {
    fn default() -> Self {
        Self {
            buckets: vec![Vec::new(); BANDS * VALUES],
        }
    }
}

/// The bucket number of band `band` of `hash`.
fn bucket_of(hash: u64, band: usize) -> usize {
    let value = (hash >> (BAND_BITS as usize * band)) as usize & (VALUES - 1);
    band * VALUES + value
}

/// The buckets one bit or less from bucket `b` in its band (itself first).
fn probes(b: usize) -> impl Iterator<Item = usize> {
    let (band, value) = (b / VALUES, b % VALUES);
    std::iter::once(b).chain((0..BAND_BITS).map(move |k| band * VALUES + (value ^ (1 << k))))
}

impl PhotoIndex {
    /// Adds photo `hash` of record `record`.
    pub(crate) fn insert(&mut self, hash: u64, record: u32) {
        for band in 0..BANDS {
            self.buckets[bucket_of(hash, band)].push((hash, record));
        }
    }

    /// Removes photo `hash` of record `record` (nothing if it is not there).
    pub(crate) fn remove(&mut self, hash: u64, record: u32) {
        for band in 0..BANDS {
            let bucket = &mut self.buckets[bucket_of(hash, band)];
            if let Some(pos) = bucket.iter().position(|e| *e == (hash, record)) {
                bucket.swap_remove(pos);
            }
        }
    }

    /// Calls `found` with the record of every photo within `max_distance` bits of `hash` (including
    /// `hash`'s own entries), through the buckets within `limit` (see the module notes). A record may be
    /// reported more than once.
    pub(crate) fn near(
        &self,
        hash: u64,
        max_distance: u32,
        limit: usize,
        mut found: impl FnMut(u32),
    ) {
        for band in 0..BANDS {
            let own = bucket_of(hash, band);
            if self.buckets[own].len() > limit {
                continue;
            }
            for b in probes(own) {
                let bucket = &self.buckets[b];
                if bucket.len() > limit {
                    continue;
                }
                for &(other, record) in bucket {
                    if (hash ^ other).count_ones() <= max_distance {
                        found(record);
                    }
                }
            }
        }
    }

    /// Sizes of the buckets `hash` falls in, one per band.
    pub(crate) fn bucket_sizes(&self, hash: u64) -> [(usize, usize); BANDS] {
        std::array::from_fn(|band| {
            let b = bucket_of(hash, band);
            (b, self.buckets[b].len())
        })
    }

    /// Size of bucket `b` (a number from [`PhotoIndex::bucket_sizes`]).
    pub(crate) fn bucket_len(&self, b: usize) -> usize {
        self.buckets[b].len()
    }

    /// The records whose searches probe bucket `b`: the holders of its band's buckets one bit or less
    /// from it. Their pairs change when `b` crosses the limit.
    pub(crate) fn searchers_of(&self, b: usize) -> impl Iterator<Item = u32> + '_ {
        probes(b).flat_map(move |p| self.buckets[p].iter().map(|e| e.1))
    }

    /// Buckets over `limit` (not probed).
    pub(crate) fn oversized(&self, limit: usize) -> usize {
        self.buckets.iter().filter(|b| b.len() > limit).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn splitmix(mut x: u64) -> u64 {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    fn found(index: &PhotoIndex, hash: u64, max: u32, limit: usize) -> Vec<u32> {
        let mut out = Vec::new();
        index.near(hash, max, limit, |r| out.push(r));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every photo within 7 bits is found, wherever its differing bits fall, and nothing farther.
    #[test]
    fn the_search_finds_exactly_the_photos_within_the_distance() {
        let mut index = PhotoIndex::default();
        let base = splitmix(1);
        let mut near = Vec::new();
        let mut far = Vec::new();
        for (i, seed) in (0..4000u64).enumerate() {
            // Flip 0..=9 distinct random bits of the base.
            let flips = (splitmix(seed) % 10) as u32;
            let mut h = base;
            let mut bits = 0;
            let mut s = seed;
            while bits < flips {
                s = splitmix(s);
                let bit = 1u64 << (s % 64);
                if h & bit == base & bit {
                    h ^= bit;
                    bits += 1;
                }
            }
            index.insert(h, i as u32);
            if flips <= 6 {
                near.push(i as u32);
            } else {
                far.push(i as u32);
            }
        }
        for x in 0..2000u64 {
            index.insert(splitmix(x + 10_000), 10_000 + x as u32);
        }
        let got = found(&index, base, 6, usize::MAX);
        assert_eq!(got, near);
        assert!(!far.is_empty());
        for max in 0..=MAX_SEARCH_DISTANCE {
            let got = found(&index, base, max, usize::MAX);
            for r in &got {
                assert!(*r < 10_000, "a random photo within {max} bits");
            }
        }
    }

    #[test]
    fn a_removed_photo_is_no_longer_found() {
        let mut index = PhotoIndex::default();
        index.insert(0xdead_beef_0000_0001, 1);
        index.insert(0xdead_beef_0000_0003, 2);
        assert_eq!(found(&index, 0xdead_beef_0000_0001, 6, 10), vec![1, 2]);
        index.remove(0xdead_beef_0000_0003, 2);
        index.remove(0xdead_beef_0000_0003, 7);
        assert_eq!(found(&index, 0xdead_beef_0000_0001, 6, 10), vec![1]);
    }

    /// Two photos pair through a band only when both of their buckets in it are within the limit, so
    /// each one's search gives the same answer about the other.
    #[test]
    fn the_bucket_limit_is_the_same_from_either_side() {
        let mut index = PhotoIndex::default();
        // Photo a and photo b differ in one bit of the lowest band; a's lowest bucket is crowded by
        // photos that differ from a in every other band.
        let a = 0x1111_2222_3333_4444u64;
        let b = a ^ 1;
        index.insert(a, 0);
        index.insert(b, 1);
        for i in 0..5u64 {
            index.insert((splitmix(i) & !0xffff) | 0x4444, 100 + i as u32);
        }
        // Through the three other bands the two still meet: limit 3 skips only the crowded band.
        assert_eq!(found(&index, a, 6, 3), vec![0, 1]);
        assert_eq!(found(&index, b, 6, 3), vec![0, 1]);
        assert_eq!(index.oversized(3), 1);
        // A photo that meets `a` only in the crowded band is found from neither side.
        let c = a ^ 0x0003_0003_0003_0002;
        index.insert(c, 2);
        assert_eq!((a ^ c).count_ones(), 7);
        assert!(!found(&index, a, 7, 3).contains(&2));
        assert!(!found(&index, c, 7, 3).contains(&0));
        assert!(found(&index, a, 7, 100).contains(&2));
        assert!(found(&index, c, 7, 100).contains(&0));
    }
}
