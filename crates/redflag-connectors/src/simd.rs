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

/// Whether a byte stops a string scan (what [`string_stops`] marks).
#[inline(always)]
fn is_stop(c: u8) -> bool {
    c == b'"' || c == b'\\' || c < 0x20
}

/// The string-stop bits of a whole record, one `u64` per 64 bytes (the last block padded with spaces,
/// which are no stop), kept and reused by the parser.
#[derive(Default)]
pub(crate) struct StringStops {
    bits: Vec<u64>,
}

/// String stops the array framer already found while framing a record (so the parser need not
/// classify those bytes again): `blocks[k]` holds the stops of `record[origin + 64k..origin + 64k +
/// 64]`, the last block possibly running past the record's end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Preclassified<'a> {
    /// Where the first block starts in the record (1 to 63; anything else is ignored).
    pub(crate) origin: usize,
    /// The blocks' stop masks, consecutive.
    pub(crate) blocks: &'a [u64],
}

impl StringStops {
    /// Classifies `bytes`, replacing what was there.
    #[cfg(test)]
    pub(crate) fn build(&mut self, bytes: &[u8]) {
        self.build_with(bytes, None);
    }

    /// [`StringStops::build`], taking over the words `pre` covers wholly (re-aligned to the record's
    /// start; bytes before its origin classified one by one) and classifying only the rest.
    pub(crate) fn build_with(&mut self, bytes: &[u8], pre: Option<Preclassified<'_>>) {
        self.bits.clear();
        self.bits.reserve(bytes.len() / 64 + 1);
        if let Some(Preclassified { origin, blocks }) = pre
            && (1..64).contains(&origin)
            && origin <= bytes.len()
        {
            // record bytes [0, covered) are classified: the prefix here, the rest by the framer
            let covered = (origin + 64 * blocks.len()).min(bytes.len());
            let blocks = &blocks[..covered / 64];
            if let Some(&first) = blocks.first() {
                let mut prefix = 0u64;
                for (k, &c) in bytes[..origin].iter().enumerate() {
                    prefix |= u64::from(is_stop(c)) << k;
                }
                // record word w = bytes [64w, 64w + 64): the top `origin` bits of block w - 1 and
                // the low 64 - origin bits of block w (word 0: the prefix and block 0)
                self.bits.push(prefix | (first << origin));
                self.bits.extend(
                    blocks
                        .windows(2)
                        .map(|w| (w[0] >> (64 - origin)) | (w[1] << origin)),
                );
            }
        }
        let rest = bytes.get(self.bits.len() * 64..).unwrap_or_default();
        let mut blocks = rest.chunks_exact(64);
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

    /// The stop words (for tests comparing two ways of building them).
    #[cfg(test)]
    pub(crate) fn words(&self) -> &[u64] {
        &self.bits
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
    /// `{`, `[`, `}` and `]` (one mask: [`is_open`] tells an opening byte from a closing one, so the
    /// few brackets outside strings are told apart by their byte, not by a fifth vector pass).
    pub(crate) bracket: u64,
    /// Backslashes and control characters (below 0x20), in one mask because most blocks have
    /// neither: a block without them has no escape to follow and no line feed to count (the blocks
    /// that have them are asked for [`backslashes`] and [`newlines`] apart). With the quotes they are
    /// the string stops the parser needs ([`FrameMasks::stops`]).
    pub(crate) rare: u64,
}

impl FrameMasks {
    /// The block's string stops, as [`string_stops`] gives them.
    #[inline(always)]
    pub(crate) fn stops(&self) -> u64 {
        self.quote | self.rare
    }
}

/// The backslashes of the first 64 bytes of `block` (asked only of blocks with rare bytes).
#[inline(always)]
pub(crate) fn backslashes(block: &[u8]) -> u64 {
    let backslash = u8x16::splat(b'\\');
    gather(&vectors(block), |x| x.cmp_eq(backslash))
}

/// The line feeds of the first 64 bytes of `block` (asked only of blocks with rare bytes).
#[inline(always)]
pub(crate) fn newlines(block: &[u8]) -> u64 {
    let newline = u8x16::splat(b'\n');
    gather(&vectors(block), |x| x.cmp_eq(newline))
}

/// Classifies the first 64 bytes of `block` for the framer.
#[inline(always)]
pub(crate) fn frame_masks(block: &[u8]) -> FrameMasks {
    let v = vectors(block);
    let fold = u8x16::splat(0x20);
    // OR-ing 0x20 folds `[` `]` onto `{` `}` (and nothing else onto them)
    let (quote, backslash, open, close, below) = (
        u8x16::splat(b'"'),
        u8x16::splat(b'\\'),
        u8x16::splat(b'{'),
        u8x16::splat(b'}'),
        u8x16::splat(0x1f),
    );
    FrameMasks {
        quote: gather(&v, |x| x.cmp_eq(quote)),
        bracket: gather(&v, |x| {
            let folded = x | fold;
            folded.cmp_eq(open) | folded.cmp_eq(close)
        }),
        // x ≤ 0x1f exactly when min(x, 0x1f) == x
        rare: gather(&v, |x| x.cmp_eq(backslash) | x.min(below).cmp_eq(x)),
    }
}

/// Whether a bracket byte (`{`, `[`, `}` or `]`) opens: bit 1 is set in `{` (0x7b) and `[` (0x5b)
/// and clear in `}` (0x7d) and `]` (0x5d).
#[inline(always)]
pub(crate) fn is_open(bracket: u8) -> bool {
    bracket & 0x02 != 0
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
            assert_eq!(backslashes(b), naive(b, |c| c == b'\\'));
            assert_eq!(m.rare, naive(b, |c| c == b'\\' || c < 0x20));
            assert_eq!(
                m.bracket,
                naive(b, |c| matches!(c, b'{' | b'[' | b'}' | b']'))
            );
            for (k, &c) in b.iter().enumerate() {
                if (m.bracket >> k) & 1 == 1 {
                    assert_eq!(is_open(c), c == b'{' || c == b'[', "{c}");
                }
            }
            assert_eq!(m.stops(), string_stops(b));
            assert_eq!(newlines(b), naive(b, |c| c == b'\n'));
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
