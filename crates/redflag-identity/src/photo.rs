//! Photos: perceptual hashes (the `image_hasher` crate) and their Hamming distances.
//!
//! The hash is a 64-bit gradient hash (dHash) of the image reduced to 9×8 grey pixels: it survives
//! re-encoding, resizing, small crops and colour changes, which is how one stolen photo reappears under
//! several names. Two photos are "the same" at a distance of at most [`DEFAULT_MAX_DISTANCE`] (8) of 64
//! bits: in the tests, a photo re-encoded as JPEG, scaled to half size or cropped by 2.5 % on each side
//! stays within 7 bits, while unrelated photos sit near 32 (half the bits); two random 64-bit hashes come
//! within 8 bits with probability about 3 × 10⁻¹⁰.

use std::io::Cursor;

use image::{ImageReader, Limits};
use image_hasher::{HashAlg, HasherConfig};
use rayon::prelude::*;
use redflag_model::PhotoHash;

use crate::IdentityError;

/// The default largest Hamming distance (of 64 bits) at which two photos count as the same photo.
pub const DEFAULT_MAX_DISTANCE: u32 = 8;

/// Bounds on decoding one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLimits {
    /// The largest file accepted (default 20 MiB).
    pub max_input_bytes: u64,
    /// The widest and tallest image decoded (default 10 000 pixels each way).
    pub max_side: u32,
    /// The most memory the decoder may allocate (default 256 MiB).
    pub max_alloc: u64,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self {
            max_input_bytes: 20 * 1024 * 1024,
            max_side: 10_000,
            max_alloc: 256 * 1024 * 1024,
        }
    }
}

/// The perceptual hash of an image file (PNG, JPEG, GIF, WebP).
pub fn photo_hash(
    bytes: &[u8],
    file_name: &str,
    limits: &ImageLimits,
) -> Result<PhotoHash, IdentityError> {
    if bytes.len() as u64 > limits.max_input_bytes {
        return Err(IdentityError::TooLarge {
            file: file_name.to_string(),
            size: bytes.len() as u64,
            limit: limits.max_input_bytes,
        });
    }
    let unreadable = |reason: String| IdentityError::Unreadable {
        file: file_name.to_string(),
        format: "image",
        reason,
    };
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| unreadable(e.to_string()))?;
    let mut image_limits = Limits::default();
    image_limits.max_image_width = Some(limits.max_side);
    image_limits.max_image_height = Some(limits.max_side);
    image_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(image_limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => IdentityError::LimitExceeded {
            file: file_name.to_string(),
            what: "image size or decoder memory",
            limit: limits.max_alloc,
        },
        other => unreadable(other.to_string()),
    })?;
    let hasher = HasherConfig::new()
        .hash_size(8, 8)
        .hash_alg(HashAlg::Gradient)
        .to_hasher();
    let hash = hasher.hash_image(&image);
    let hex: String = hash.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    PhotoHash::parse(&hex).map_err(|e| unreadable(e.to_string()))
}

/// The Hamming distance between two hashes of the same length, `None` when the lengths differ or a hash
/// is not hex.
pub fn distance(a: &PhotoHash, b: &PhotoHash) -> Option<u32> {
    let (a, b) = (bytes(a.as_str())?, bytes(b.as_str())?);
    if a.len() != b.len() {
        return None;
    }
    Some(a.iter().zip(&b).map(|(x, y)| (x ^ y).count_ones()).sum())
}

/// The 64-bit value of an 8-byte hash.
pub(crate) fn as_u64(hash: &PhotoHash) -> Option<u64> {
    let b = bytes(hash.as_str())?;
    let arr: [u8; 8] = b.try_into().ok()?;
    Some(u64::from_be_bytes(arr))
}

/// One chunk's table: offsets by chunk value (65,537), and `(hash, position)` sorted by chunk value.
type ChunkTable = (Vec<u32>, Vec<(u64, u32)>);

/// Every pair of 64-bit hashes within `max` bits: `(a, b, distance)` with `a < b` positions in `hashes`,
/// sorted. Exact for any `max`.
///
/// Multi-index search: the hash is cut into four 16-bit chunks and each chunk value is probed at every
/// flip of at most `r = max / 4` bits. Two hashes within `max ≤ 4r + 3` bits agree to within `r` bits on
/// at least one chunk, so no pair is missed. Each chunk's table is one vector of `(hash, position)` sorted
/// by chunk value with 65,537 offsets (a counting sort): a probe is two array reads and a contiguous scan,
/// so the work is `4 × probes × n² / 65,536` popcounts (about 8,700 per hash at a million hashes and
/// `max` 8) on the rayon pool, rather than a hash-map lookup per probe. Each table is probed in its own
/// (chunk) order, so successive probes fall near each other. From `r = 6` on (`max ≥ 24`) the
/// probes outnumber the hashes and every pair is compared instead.
pub fn near_pairs(hashes: &[u64], max: u32) -> Vec<(u32, u32, u32)> {
    let r = max / 4;
    let n = hashes.len();
    let mut out: Vec<(u32, u32, u32)> = if r <= 5 {
        let masks: Vec<u16> = (0..=u16::MAX).filter(|m| m.count_ones() <= r).collect();
        let tables: Vec<ChunkTable> = (0..4)
            .into_par_iter()
            .map(|c| {
                let chunk = |v: u64| (v >> (16 * c)) as u16 as usize;
                let mut offsets = vec![0u32; 65_537];
                for &v in hashes {
                    offsets[chunk(v) + 1] += 1;
                }
                for k in 1..offsets.len() {
                    offsets[k] += offsets[k - 1];
                }
                let mut fill = offsets.clone();
                let mut entries = vec![(0u64, 0u32); n];
                for (m, &v) in hashes.iter().enumerate() {
                    let slot = &mut fill[chunk(v)];
                    entries[*slot as usize] = (v, m as u32);
                    *slot += 1;
                }
                (offsets, entries)
            })
            .collect();
        // Each table is probed by the hashes in its own order (sorted by the chunk), so that successive
        // hashes probe neighbouring buckets and the tables are read mostly from cache.
        tables
            .iter()
            .enumerate()
            .flat_map(|(c, (offsets, entries))| {
                let masks = &masks;
                entries
                    .par_iter()
                    .with_min_len(256)
                    .flat_map_iter(move |&(v, a)| {
                        let chunk = (v >> (16 * c)) as u16;
                        let mut found = Vec::new();
                        for &mask in masks {
                            let probe = (chunk ^ mask) as usize;
                            let bucket =
                                &entries[offsets[probe] as usize..offsets[probe + 1] as usize];
                            for &(w, b) in bucket {
                                let d = (v ^ w).count_ones();
                                if d <= max && b > a {
                                    found.push((a, b, d));
                                }
                            }
                        }
                        found
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    } else {
        (0..n)
            .into_par_iter()
            .with_min_len(256)
            .flat_map_iter(|a| {
                let v = hashes[a];
                hashes[a + 1..]
                    .iter()
                    .enumerate()
                    .filter_map(move |(k, &w)| {
                        let d = (v ^ w).count_ones();
                        (d <= max).then_some((a as u32, (a + 1 + k) as u32, d))
                    })
            })
            .collect()
    };
    out.par_sort_unstable();
    out.dedup();
    out
}

fn bytes(hex: &str) -> Option<Vec<u8>> {
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn brute(hashes: &[u64], max: u32) -> Vec<(u32, u32, u32)> {
        let mut out = Vec::new();
        for (a, v) in hashes.iter().enumerate() {
            for (b, w) in hashes.iter().enumerate().skip(a + 1) {
                let d = (v ^ w).count_ones();
                if d <= max {
                    out.push((a as u32, b as u32, d));
                }
            }
        }
        out
    }

    #[test]
    fn near_pairs_equal_every_pair_compared() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        // Random hashes plus copies a few bits apart (up to 30), and repeats.
        let mut hashes: Vec<u64> = (0..600).map(|_| rng.r#gen()).collect();
        for k in 0..300 {
            let mut h = hashes[k];
            for _ in 0..rng.gen_range(0..30) {
                h ^= 1 << rng.gen_range(0..64);
            }
            hashes.push(h);
        }
        hashes.push(hashes[3]);
        hashes.push(0);
        hashes.push(u64::MAX);
        for max in [0, 1, 3, 4, 8, 11, 12, 15, 23, 24, 40, 64] {
            let found = near_pairs(&hashes, max);
            assert_eq!(found, brute(&hashes, max), "max {max}");
        }
        // The planted copies are there at the default distance.
        assert!(near_pairs(&hashes, DEFAULT_MAX_DISTANCE).len() > 50);
        assert!(near_pairs(&[], 8).is_empty());
        assert!(near_pairs(&[5], 8).is_empty());
    }
}
