//! Byte searches eight bytes at a time (SWAR: SIMD within a register), without `unsafe`.
//!
//! For each byte lane of a little-endian `u64`, `(v - 0x01…) & !v & 0x80…` sets the lane's high bit when
//! the lane of `v` is zero (tests for a byte value first XOR the word with it), and
//! `(x - 0x20…) & !x & 0x80…` when the lane is below 0x20. A borrow can set bits in lanes *above* a true
//! hit, never below one, so the lowest set bit (`trailing_zeros / 8`) is the first matching byte.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

#[inline(always)]
fn zero_lanes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v
}

#[inline(always)]
fn word(chunk: &[u8]) -> u64 {
    let mut lane = [0u8; 8];
    lane.copy_from_slice(chunk);
    u64::from_le_bytes(lane)
}

/// Runs `hits` over each 8-byte word and `slow` over the tail; the index of the first hit.
#[inline(always)]
fn first(bytes: &[u8], hits: impl Fn(u64) -> u64, slow: impl Fn(u8) -> bool) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in chunks.by_ref() {
        let hit = hits(word(chunk)) & HIGH;
        if hit != 0 {
            return Some(at + (hit.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| slow(c))
        .map(|k| at + k)
}

/// Inside a JSON string: the first quote, backslash or control character (below 0x20).
#[inline]
pub(crate) fn string_stop(bytes: &[u8]) -> Option<usize> {
    first(
        bytes,
        |x| {
            zero_lanes(x ^ (ONES * u64::from(b'"')))
                | zero_lanes(x ^ (ONES * u64::from(b'\\')))
                | (x.wrapping_sub(ONES * 0x20) & !x)
        },
        |c| c == b'"' || c == b'\\' || c < 0x20,
    )
}

/// Outside JSON strings: the first byte that can change nesting or string state (`"`, `\`, `{`, `}`,
/// `[`, `]`). `|` is also returned (it shares the lowercase fold of `\`); callers treat it as plain.
#[inline]
pub(crate) fn structural(bytes: &[u8]) -> Option<usize> {
    first(
        bytes,
        |x| {
            // OR-ing 0x20 folds `[` `\` `]` onto `{` `|` `}`
            let y = x | (ONES * 0x20);
            zero_lanes(x ^ (ONES * u64::from(b'"')))
                | zero_lanes(y ^ (ONES * u64::from(b'{')))
                | zero_lanes(y ^ (ONES * u64::from(b'|')))
                | zero_lanes(y ^ (ONES * u64::from(b'}')))
        },
        |c| matches!(c, b'"' | b'\\' | b'{' | b'}' | b'[' | b']' | b'|'),
    )
}

/// The structural bytes of one 8-byte word as a mask with the high bit of each matching lane set,
/// exactly (no borrow between lanes): the bytes [`structural`] stops at.
#[inline(always)]
pub(crate) fn structural_mask(chunk: &[u8]) -> u64 {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // a lane of `v` is zero exactly when neither its low seven bits nor its high bit are set
    let zero = |v: u64| !(((v & LOW).wrapping_add(LOW)) | v) & HIGH;
    let x = word(chunk);
    let y = x | (ONES * 0x20);
    zero(x ^ (ONES * u64::from(b'"')))
        | zero(y ^ (ONES * u64::from(b'{')))
        | zero(y ^ (ONES * u64::from(b'|')))
        | zero(y ^ (ONES * u64::from(b'}')))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random byte strings, mostly plain letters so hits land at every position and word boundary.
    fn samples(mut each: impl FnMut(&[u8])) {
        let alphabet = [
            b'a', b'"', b'\\', 0x00, 0x1f, 0x20, 0x21, b'[', b']', b'{', b'}', b'|', b':', b',',
            0x5a, 0x5e, 0x7a, 0x7e, 0x7f, 0x80, 0xa2, 0xbb, 0xdc, 0xfb, 0xfd, 0xff,
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..40 {
            for _ in 0..400 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        if state.is_multiple_of(9) {
                            alphabet[(state >> 8) as usize % alphabet.len()]
                        } else {
                            b'a' + (state >> 16) as u8 % 26
                        }
                    })
                    .collect();
                each(&bytes);
            }
        }
    }

    #[test]
    fn string_stop_matches_a_byte_loop() {
        let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
        samples(|b| assert_eq!(string_stop(b), naive(b), "{b:?}"));
        assert_eq!(string_stop(b"0123456789abcdef\"x"), Some(16));
        assert_eq!(string_stop("é日本語\u{1f600}abcdefgh".as_bytes()), None);
    }

    #[test]
    fn structural_matches_a_byte_loop() {
        let naive = |b: &[u8]| {
            b.iter()
                .position(|&c| matches!(c, b'"' | b'\\' | b'{' | b'}' | b'[' | b']' | b'|'))
        };
        samples(|b| assert_eq!(structural(b), naive(b), "{b:?}"));
        samples(|b| {
            for chunk in b.chunks_exact(8) {
                let want = chunk
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| naive(std::slice::from_ref(*c)).is_some())
                    .fold(0u64, |m, (k, _)| m | 0x80 << (8 * k));
                assert_eq!(structural_mask(chunk), want, "{chunk:?}");
            }
        });
        assert_eq!(structural(b"  123, true, null ]"), Some(18));
        assert_eq!(structural(b"0123456789 ,:;<=>?@^_`~"), None);
    }
}
