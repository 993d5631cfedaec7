//! 64-byte blocks classified into bit masks, sixteen bytes per vector compare (SSE2 on x86-64 through
//! the `wide` crate; no `unsafe` here, and `wide` falls back to plain code elsewhere).
//!
//! Bit `k` of a mask stands for byte `k` of the block. The parser asks "where does this string end?"
//! with one lookup in a record's [`StringStops`] instead of a byte (or word) loop per string, and the
//! array framer follows strings and nesting a block at a time ([`FrameMasks`]).

use wide::u8x16;

/// One block's bytes as four vectors (`block` holds at least 64 bytes; the first 64 are read).
#[inline(always)]
fn vectors(block: &[u8]) -> [u8x16; 4] {
    let lane = |k: usize| {
        let mut a = [0u8; 16];
        a.copy_from_slice(&block[16 * k..16 * k + 16]);
        u8x16::new(a)
    };
    [lane(0), lane(1), lane(2), lane(3)]
}

/// The mask of the lanes where `hit` is all ones, over the four vectors.
#[inline(always)]
fn gather(v: &[u8x16; 4], hit: impl Fn(u8x16) -> u8x16) -> u64 {
    let mut m = 0u64;
    for (k, lane) in v.iter().enumerate() {
        m |= u64::from(hit(*lane).move_mask() as u16) << (16 * k);
    }
    m
}

/// Inside a JSON string: the quotes, backslashes and control characters (below 0x20) of a block.
#[inline(always)]
pub(crate) fn string_stops(block: &[u8]) -> u64 {
    let v = vectors(block);
    let (quote, backslash, below) = (u8x16::splat(b'"'), u8x16::splat(b'\\'), u8x16::splat(0x1f));
    // x ≤ 0x1f exactly when min(x, 0x1f) == x
    gather(&v, |x| {
        x.cmp_eq(quote) | x.cmp_eq(backslash) | x.min(below).cmp_eq(x)
    })
}

/// The string-stop bits of a whole record, one `u64` per 64 bytes (the last block padded with spaces,
/// which are no stop), kept and reused by the parser.
#[derive(Default)]
pub(crate) struct StringStops {
    bits: Vec<u64>,
}

impl StringStops {
    /// Classifies `bytes`, replacing what was there.
    pub(crate) fn build(&mut self, bytes: &[u8]) {
        self.bits.clear();
        self.bits.reserve(bytes.len() / 64 + 1);
        let mut blocks = bytes.chunks_exact(64);
        for block in blocks.by_ref() {
            self.bits.push(string_stops(block));
        }
        let tail = blocks.remainder();
        if !tail.is_empty() {
            let mut a = [b' '; 64];
            a[..tail.len()].copy_from_slice(tail);
            self.bits.push(string_stops(&a));
        }
    }

    /// The first stop at or after `from`.
    #[inline(always)]
    pub(crate) fn next(&self, from: usize) -> Option<usize> {
        let mut w = from / 64;
        let mut m = *self.bits.get(w)? & (!0u64 << (from % 64));
        loop {
            if m != 0 {
                return Some(w * 64 + m.trailing_zeros() as usize);
            }
            w += 1;
            m = *self.bits.get(w)?;
        }
    }
}

/// What the array framer needs of one block.
pub(crate) struct FrameMasks {
    /// `"` bytes.
    pub(crate) quote: u64,
    /// `\` bytes.
    pub(crate) backslash: u64,
    /// `{` and `[`.
    pub(crate) open: u64,
    /// `}` and `]`.
    pub(crate) close: u64,
    /// Line feeds (counted for line numbers in the same pass as the framing).
    pub(crate) newline: u64,
}

/// Classifies the first 64 bytes of `block` for the framer.
#[inline(always)]
pub(crate) fn frame_masks(block: &[u8]) -> FrameMasks {
    let v = vectors(block);
    let fold = u8x16::splat(0x20);
    // OR-ing 0x20 folds `[` `]` onto `{` `}` (and nothing else onto them)
    let (quote, backslash, open, close, newline) = (
        u8x16::splat(b'"'),
        u8x16::splat(b'\\'),
        u8x16::splat(b'{'),
        u8x16::splat(b'}'),
        u8x16::splat(b'\n'),
    );
    FrameMasks {
        quote: gather(&v, |x| x.cmp_eq(quote)),
        backslash: gather(&v, |x| x.cmp_eq(backslash)),
        open: gather(&v, |x| (x | fold).cmp_eq(open)),
        close: gather(&v, |x| (x | fold).cmp_eq(close)),
        newline: gather(&v, |x| x.cmp_eq(newline)),
    }
}

/// Bit `k` of the result is the XOR of bits `0..=k` of `x`: with `x` the quotes of a block (no escapes),
/// the bytes from each opening quote up to (not including) its closing quote.
#[inline(always)]
pub(crate) fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random blocks, mostly letters, with every byte class the masks care about.
    fn blocks(mut each: impl FnMut(&[u8; 64])) {
        let special = [
            b'\n', b'"', b'\\', 0x00, 0x1f, 0x20, 0x21, b'[', b']', b'{', b'}', b'|', b';', b'=',
            0x5a, 0x7b, 0x7d, 0x7f, 0x80, 0x9b, 0xbb, 0xdb, 0xfb, 0xfd, 0xff,
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..5000 {
            let mut b = [0u8; 64];
            for x in &mut b {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *x = if state.is_multiple_of(5) {
                    special[(state >> 8) as usize % special.len()]
                } else {
                    b'a' + (state >> 16) as u8 % 26
                };
            }
            each(&b);
        }
    }

    fn naive(b: &[u8; 64], f: impl Fn(u8) -> bool) -> u64 {
        b.iter()
            .enumerate()
            .filter(|(_, c)| f(**c))
            .fold(0, |m, (k, _)| m | 1 << k)
    }

    #[test]
    fn masks_match_byte_loops() {
        blocks(|b| {
            assert_eq!(
                string_stops(b),
                naive(b, |c| c == b'"' || c == b'\\' || c < 0x20)
            );
            let m = frame_masks(b);
            assert_eq!(m.quote, naive(b, |c| c == b'"'));
            assert_eq!(m.backslash, naive(b, |c| c == b'\\'));
            assert_eq!(m.open, naive(b, |c| c == b'{' || c == b'['));
            assert_eq!(m.close, naive(b, |c| c == b'}' || c == b']'));
            assert_eq!(m.newline, naive(b, |c| c == b'\n'));
        });
    }

    #[test]
    fn stops_of_a_record_match_a_byte_loop() {
        let mut stops = StringStops::default();
        let mut state = 7u64;
        for len in [0usize, 1, 5, 63, 64, 65, 127, 128, 129, 300] {
            for _ in 0..50 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                        [b'a', b'"', b'\\', 0x01, b' ', b'\n', 0xc3][(state >> 40) as usize % 7]
                    })
                    .collect();
                stops.build(&bytes);
                for from in 0..=len + 1 {
                    let want = bytes
                        .iter()
                        .skip(from)
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                        .map(|k| k + from);
                    assert_eq!(stops.next(from), want, "{bytes:?} from {from}");
                }
            }
        }
    }

    #[test]
    fn prefix_xor_marks_string_insides() {
        assert_eq!(prefix_xor(0b1001), 0b0111);
        assert_eq!(prefix_xor(1), !0);
        assert_eq!(prefix_xor(0), 0);
        assert_eq!(prefix_xor(0b1_0010_0100), 0b1_1100 | (!0u64 << 8));
    }
}
