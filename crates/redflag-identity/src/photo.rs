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

fn bytes(hex: &str) -> Option<Vec<u8>> {
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}
