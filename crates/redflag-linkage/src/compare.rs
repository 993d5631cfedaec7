//! The comparisons of two records: each gives a level (0 = a side is missing, 1 = different, higher =
//! closer). Levels are the Fellegi–Sunter comparison vector.

use serde::{Deserialize, Serialize};

use crate::record::{Key, NO_COUNTS, Record, date_hash, hash_value, keyed, keys_of};

/// One comparison of the model. The discriminant orders keys inside a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Comparison {
    /// Given name(s), folded to ASCII by the watchlist crate's normaliser; Jaro–Winkler levels.
    GivenName = 0,
    /// Family name; compared crosswise with the given name too (swapped name order).
    FamilyName,
    /// Date of birth.
    DateOfBirth,
    /// Home address, normalised.
    Address,
    /// Postal code.
    Postcode,
    /// City or suburb.
    City,
    /// A national id number (attribute `id_number`), one edit allowed.
    IdNumber,
    /// Email in provider comparison form.
    Email,
    /// Phone in E.164.
    Phone,
    /// Payout account or crypto wallet.
    Payout,
    /// Device id (serial, host id, MDM id, endpoint host).
    Device,
    /// Identity document (keyed hash).
    Document,
    /// Photo perceptual hash (Hamming distance).
    Photo,
    /// Resume MinHash similarity.
    Resume,
    /// Reference contact (email or phone given for a reference).
    Reference,
    /// Shipping address of a company device.
    Shipping,
    /// Shared egress IP or /24 in overlapping periods (from `ExtraEvidence`).
    Egress,
    /// Public profile URL.
    ProfileUrl,
}

/// Every comparison, in order.
pub const COMPARISONS: [Comparison; 18] = [
    Comparison::GivenName,
    Comparison::FamilyName,
    Comparison::DateOfBirth,
    Comparison::Address,
    Comparison::Postcode,
    Comparison::City,
    Comparison::IdNumber,
    Comparison::Email,
    Comparison::Phone,
    Comparison::Payout,
    Comparison::Device,
    Comparison::Document,
    Comparison::Photo,
    Comparison::Resume,
    Comparison::Reference,
    Comparison::Shipping,
    Comparison::Egress,
    Comparison::ProfileUrl,
];

/// Number of comparisons.
pub const N_COMP: usize = COMPARISONS.len();

/// Levels of a pair, one per comparison.
pub type Gamma = [u8; N_COMP];

const NAME_LEVELS: &[&str] = &["null", "different", "similar", "close", "exact"];
const KEY_LEVELS: &[&str] = &["null", "different", "shared"];

impl Comparison {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Comparison::GivenName => "given_name",
            Comparison::FamilyName => "family_name",
            Comparison::DateOfBirth => "date_of_birth",
            Comparison::Address => "home_address",
            Comparison::Postcode => "postcode",
            Comparison::City => "city",
            Comparison::IdNumber => "id_number",
            Comparison::Email => "email",
            Comparison::Phone => "phone",
            Comparison::Payout => "payout",
            Comparison::Device => "device",
            Comparison::Document => "document",
            Comparison::Photo => "photo",
            Comparison::Resume => "resume",
            Comparison::Reference => "reference",
            Comparison::Shipping => "shipping_address",
            Comparison::Egress => "egress",
            Comparison::ProfileUrl => "profile_url",
        }
    }

    /// Names of the levels, index = level.
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Comparison::GivenName | Comparison::FamilyName => NAME_LEVELS,
            Comparison::DateOfBirth => &["null", "different", "same year", "one part off", "exact"],
            Comparison::Address => &["null", "different", "similar", "exact"],
            Comparison::Postcode | Comparison::IdNumber => {
                &["null", "different", "one edit", "exact"]
            }
            Comparison::City => &["null", "different", "similar", "exact"],
            Comparison::Photo => &["null", "different", "near", "same"],
            Comparison::Resume => &["null", "different", "similar", "near copy"],
            Comparison::Egress => &["null", "same /24", "same ip"],
            _ => KEY_LEVELS,
        }
    }

    /// The level whose u probability is replaced by the agreed value's frequency (term-frequency
    /// adjustment), if any.
    pub fn tf_level(self) -> Option<u8> {
        match self {
            Comparison::Resume | Comparison::Egress => None,
            c => Some((c.levels().len() - 1) as u8),
        }
    }

    /// Whether the comparison is evidence that two personas are run by one hand, whatever their names.
    pub fn is_operator(self) -> bool {
        (self as u8) >= Comparison::Email as u8
    }

    /// Whether agreeing at `level` corroborates a person link beyond names and place: any agreement
    /// but on the names, the city, the postcode and the egress, and on the date of birth at least
    /// "one part off" (a shared year is common). A pair with no corroborating agreement is never
    /// linked as one person (it may still be linked as one operator by shared identifiers).
    pub fn corroborates(self, level: u8) -> bool {
        match self {
            Comparison::GivenName
            | Comparison::FamilyName
            | Comparison::City
            | Comparison::Postcode
            | Comparison::Egress => false,
            Comparison::DateOfBirth => level >= 3,
            _ => level >= 2,
        }
    }

    /// Whether the comparison is about where the person lives (capped together).
    pub fn is_location(self) -> bool {
        matches!(
            self,
            Comparison::Address | Comparison::Postcode | Comparison::City
        )
    }

    /// Values a household normally shares: down-weighted between subjects at one home address.
    pub fn household_shared(self) -> bool {
        matches!(
            self,
            Comparison::Phone
                | Comparison::Payout
                | Comparison::Shipping
                | Comparison::Egress
                | Comparison::Email
                | Comparison::Device
        )
    }

    /// Whether the comparison's values are rare identifiers whose frequency is estimated against
    /// at least `population_floor` subjects.
    pub fn floored(self) -> bool {
        self.is_operator() || self == Comparison::IdNumber
    }

    /// Parses a name.
    pub fn parse(name: &str) -> Option<Self> {
        COMPARISONS.iter().copied().find(|c| c.name() == name)
    }
}

/// Jaro–Winkler similarity, the common prefix (up to 4) raising every Jaro similarity (`strsim`, as
/// Winkler, raises only those over 0.7: "xf" and "xj" are 0.7 here, 0.667 there). ASCII strings up to
/// 64 bytes (folded names, cities) are compared without allocating, a position set a 64-bit word;
/// anything else goes to `strsim`'s Jaro.
pub(crate) fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if !a.is_ascii() || !b.is_ascii() || x.len() > 64 || y.len() > 64 {
        let prefix = a
            .chars()
            .zip(b.chars())
            .take(4)
            .take_while(|(p, q)| p == q)
            .count();
        return winkler(strsim::jaro(a, b), prefix);
    }
    if x.is_empty() && y.is_empty() {
        return 1.0;
    }
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    // The positions of each character in `y`: the unused equal characters within the match window
    // of `x[i]` are one AND away, and the first of them (the one a scan from the left would take) is
    // the lowest set bit, so each character of `x` costs a few instructions whatever the window.
    let mut positions = [0u64; 128];
    for (j, &c) in y.iter().enumerate() {
        positions[usize::from(c)] |= 1 << j;
    }
    let below = |k: usize| if k >= 64 { u64::MAX } else { (1u64 << k) - 1 };
    let window = (x.len().max(y.len()) / 2).saturating_sub(1);
    let mut used_y: u64 = 0;
    let mut used_x: u64 = 0;
    for (i, &c) in x.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(y.len());
        let free = positions[usize::from(c)] & !used_y & below(hi) & !below(lo);
        if free != 0 {
            used_y |= free & free.wrapping_neg();
            used_x |= 1 << i;
        }
    }
    let matches = used_x.count_ones();
    if matches == 0 {
        return 0.0;
    }
    // The k-th matched character of `x` against the k-th matched character of `y`.
    let mut transpositions = 0u32;
    let (mut in_x, mut in_y) = (used_x, used_y);
    while in_x != 0 {
        let (i, j) = (in_x.trailing_zeros(), in_y.trailing_zeros());
        if x[i as usize] != y[j as usize] {
            transpositions += 1;
        }
        in_x &= in_x - 1;
        in_y &= in_y - 1;
    }
    let m = f64::from(matches);
    let jaro =
        (m / x.len() as f64 + m / y.len() as f64 + (m - f64::from(transpositions / 2)) / m) / 3.0;
    let prefix = x.iter().zip(y).take(4).take_while(|(p, q)| p == q).count();
    winkler(jaro, prefix)
}

/// An upper bound of [`jaro_winkler`] of two texts of `len_a` and `len_b` bytes from their
/// [`char_counts`](crate::record::char_counts) alone, without reading the texts: the matched
/// characters are at most those the two share (repeats counted; characters of one class count as
/// one, which only overcounts), a Jaro similarity with `m` matches is at most (m/|a| + m/|b| + 1) / 3,
/// and the prefix raise is taken at its largest (four characters). 1 when either text could not be
/// counted. Comparing unequal cities was mostly this bound's work after it: Jaro–Winkler read two
/// texts that the record's warm fields do not hold (a cache miss each).
pub(crate) fn jaro_winkler_bound_of_counts(a: u64, len_a: usize, b: u64, len_b: usize) -> f64 {
    if a == NO_COUNTS || b == NO_COUNTS || len_a == 0 || len_b == 0 {
        return 1.0;
    }
    let m = shared_of_counts(a, b).min(len_a).min(len_b) as f64;
    if m == 0.0 {
        return 0.0;
    }
    let jaro = ((m / len_a as f64 + m / len_b as f64 + 1.0) / 3.0).min(1.0);
    winkler(jaro, 4)
}

const LOW_NIBBLES: u64 = 0x0F0F_0F0F_0F0F_0F0F;

/// The sum of the eight bytes of `lanes` (each at most 31).
fn sum_of_lanes(lanes: u64) -> usize {
    (lanes.wrapping_mul(0x0101_0101_0101_0101) >> 56) as usize
}

/// Σ over the 16 classes of the smaller of two counts (four bits a class): at least the number of
/// characters (or words) two texts share, repeats counted.
fn shared_of_counts(a: u64, b: u64) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Per 8-bit lane holding 0..=15: the smaller of the two (no borrow crosses a lane).
    let lanes_min = |x: u64, y: u64| -> u64 {
        let x_at_least_y = ((((x | HIGH) - y) & HIGH) >> 7) * 0xFF;
        (y & x_at_least_y) | (x & !x_at_least_y)
    };
    sum_of_lanes(
        lanes_min(a & LOW_NIBBLES, b & LOW_NIBBLES)
            + lanes_min((a >> 4) & LOW_NIBBLES, (b >> 4) & LOW_NIBBLES),
    )
}

/// Σ of `a`'s counts over the classes `b` has any of: at least how many of `a`'s words (repeats
/// counted) are among `b`'s, as [`words_jaccard`] counts them.
fn present_of_counts(a: u64, b: u64) -> usize {
    const ONES: u64 = 0x1111_1111_1111_1111;
    let any = (b | (b >> 1) | (b >> 2) | (b >> 3)) & ONES;
    let kept = a & (any * 0xF);
    sum_of_lanes((kept & LOW_NIBBLES) + ((kept >> 4) & LOW_NIBBLES))
}

/// Whether two addresses of `len_a` and `len_b` words with [`word_counts`](crate::record::word_counts)
/// `a` and `b` surely share under half their words ([`words_jaccard`] < 0.5, which needs 3 × shared
/// ≥ both word counts).
fn surely_under_half_shared(a: u64, len_a: usize, b: u64, len_b: usize) -> bool {
    a != NO_COUNTS && b != NO_COUNTS && 3 * present_of_counts(a, b).min(len_b) < len_a + len_b
}

/// Whether two texts of `len_a` and `len_b` bytes with [`char_counts`](crate::record::char_counts)
/// `a` and `b` are surely more than one edit apart ([`edit_distance_le1`]): one substitution changes
/// the characters the two share by one, an insertion or an adjacent swap by less.
fn surely_over_one_edit(a: u64, len_a: usize, b: u64, len_b: usize) -> bool {
    if len_a.abs_diff(len_b) > 1 {
        return true;
    }
    a != NO_COUNTS && b != NO_COUNTS && len_a + len_b > 2 + 2 * shared_of_counts(a, b)
}

/// A Jaro similarity raised by a common prefix of `prefix` characters (at most 4).
fn winkler(jaro: f64, prefix: usize) -> f64 {
    jaro + prefix as f64 * 0.1 * (1.0 - jaro)
}

/// Name level of two names given with their hashes (`Record::given_key`, `family_key`): exact 4,
/// Jaro–Winkler ≥ 0.92 3, ≥ 0.8 2, else 1; 0 when either is empty. Unequal hashes are unequal
/// names without reading them, and the level of two unequal names is memoised by their hashes.
fn name_level_keyed(a: &str, ka: u64, b: &str, kb: u64) -> u8 {
    if a.is_empty() || b.is_empty() {
        0
    } else if ka == kb {
        4
    } else {
        memoised(ka, kb, Similarity::Name, || {
            let s = jaro_winkler(a, b);
            if s >= 0.92 {
                3
            } else if s >= 0.8 {
                2
            } else {
                1
            }
        })
    }
}

/// What a memoised level is of (one table holds both).
#[derive(Clone, Copy)]
enum Similarity {
    Name = 1,
    City = 2,
}

/// Slots of the per-thread similarity memo (a direct-mapped table: 16 K entries, 384 KiB).
const MEMO_BITS: u32 = 14;

thread_local! {
    static SIMILARITY_MEMO: std::cell::RefCell<Box<[(u64, u64, u8)]>> =
        std::cell::RefCell::new(vec![(0, 0, 0); 1 << MEMO_BITS].into_boxed_slice());
}

/// The level of two unequal values from the memo, or `compute`d and remembered. Values repeat across
/// candidate pairs (a population's names and cities are a small vocabulary next to its pairs), and
/// Jaro–Winkler was the largest cost of comparing them. Keyed by the two 64-bit value hashes.
fn memoised(ka: u64, kb: u64, what: Similarity, compute: impl FnOnce() -> u8) -> u8 {
    let tag = (what as u8) << 4;
    let slot = ((ka ^ kb.rotate_left(23) ^ u64::from(tag)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        >> (64 - MEMO_BITS)) as usize;
    SIMILARITY_MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        let (x, y, packed) = memo[slot];
        if packed & 0xf0 == tag && x == ka && y == kb {
            return packed & 0x0f;
        }
        let level = compute();
        memo[slot] = (ka, kb, tag | (level & 0x0f));
        level
    })
}

/// City level: exact 3, Jaro–Winkler ≥ 0.9 2, else 1; 0 when either is missing.
fn city_level(a: &Record, b: &Record) -> u8 {
    match (a.city.as_deref(), b.city.as_deref()) {
        (Some(_), Some(_)) if a.city_key == b.city_key => 3,
        // Below the threshold by the counts alone (most unequal cities): no text is read. The
        // margin leaves a pair at the edge to Jaro–Winkler.
        (Some(x), Some(y))
            if jaro_winkler_bound_of_counts(a.city_counts, x.len(), b.city_counts, y.len())
                < 0.9 - 1e-9 =>
        {
            1
        }
        (Some(x), Some(y)) => memoised(a.city_key, b.city_key, Similarity::City, || {
            if jaro_winkler(x, y) >= 0.9 { 2 } else { 1 }
        }),
        _ => 0,
    }
}

/// Address level: exact 3, similar 2, else 1; 0 when either is missing. Two normalised addresses
/// that differ are similar when most of their words agree (word Jaccard ≥ 0.5, over the records'
/// word hashes) and neither has a number (house, unit, postcode) the other lacks, or lacks one the
/// other has: one may leave out the flat ("12 MAIN ST" and "12 MAIN ST APT 4"), but two houses on one
/// street in one district ("333 PANGYOYEOK RO GANGNAM GU SEOUL 06807" and "194 PANGYOYEOK RO GANGNAM
/// GU SEOUL 06775") are two addresses, however many of their words they share.
fn address_level(a: &Record, b: &Record) -> u8 {
    match (a.address.as_deref(), b.address.as_deref()) {
        (Some(_), Some(_)) if a.address_key == b.address_key => 3,
        // Word overlap under one half by the counts alone (most unequal addresses): neither the
        // words nor the texts are read.
        (Some(_), Some(_))
            if surely_under_half_shared(
                a.address_word_counts,
                a.address_words.len(),
                b.address_word_counts,
                b.address_words.len(),
            ) =>
        {
            1
        }
        (Some(x), Some(y)) => {
            if words_jaccard(&a.address_words, &b.address_words) >= 0.5 && numbers_within(x, y) {
                2
            } else {
                1
            }
        }
        _ => 0,
    }
}

/// Word Jaccard over sorted word hashes: the share of `a`'s words (repeats counted) found in `b`
/// over the union (equal words, equal hashes; a 32-bit collision between two different words of two
/// addresses could count one more shared word).
fn words_jaccard(a: &[u32], b: &[u32]) -> f64 {
    let (na, nb) = (a.len(), b.len());
    let mut j = 0;
    let mut inter = 0;
    for w in a {
        while j < nb && b[j] < *w {
            j += 1;
        }
        inter += usize::from(j < nb && b[j] == *w);
    }
    let inter = inter.min(nb);
    let union = (na + nb).saturating_sub(inter);
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

fn dob_level(a: Option<u32>, b: Option<u32>) -> u8 {
    let (Some(a), Some(b)) = (a, b) else {
        return 0;
    };
    if a == b {
        return 4;
    }
    let parts = |v: u32| (v / 10_000, (v / 100) % 100, v % 100);
    let (ya, ma, da) = parts(a);
    let (yb, mb, db) = parts(b);
    let same = (ya == yb) as u8 + (ma == mb) as u8 + (da == db) as u8;
    let swapped = ya == yb && ma == db && da == mb;
    if same == 2 || swapped || digits_le1(a, b) {
        3
    } else if ya == yb {
        2
    } else {
        1
    }
}

/// Whether two 8-digit dates differ by one substituted or swapped digit.
fn digits_le1(a: u32, b: u32) -> bool {
    let d = |v: u32| -> [u8; 8] {
        let mut out = [0u8; 8];
        let mut v = v;
        for slot in out.iter_mut().rev() {
            *slot = (v % 10) as u8;
            v /= 10;
        }
        out
    };
    let (x, y) = (d(a), d(b));
    // The first two differing positions, and how many differ (no allocation: this runs for most
    // candidate pairs).
    let (mut first, mut second, mut differing) = (0, 0, 0);
    for i in 0..8 {
        if x[i] != y[i] {
            match differing {
                0 => first = i,
                1 => second = i,
                _ => return false,
            }
            differing += 1;
        }
    }
    match differing {
        1 => true,
        2 => second == first + 1 && x[first] == y[second] && x[second] == y[first],
        _ => false,
    }
}

/// Whether two strings are at most one edit apart (substitution, insertion, deletion or adjacent swap).
pub(crate) fn edit_distance_le1(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return true;
    }
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if la == lb {
        let rest_a = &a[prefix + 1..];
        let rest_b = &b[prefix + 1..];
        if rest_a == rest_b {
            return true;
        }
        // adjacent transposition
        prefix + 1 < la
            && a[prefix] == b[prefix + 1]
            && a[prefix + 1] == b[prefix]
            && a[prefix + 2..] == b[prefix + 2..]
    } else if la > lb {
        a[prefix + 1..] == b[prefix..]
    } else {
        b[prefix + 1..] == a[prefix..]
    }
}

fn text_level(a: Option<&str>, b: Option<&str>, similar: impl Fn(&str, &str) -> bool) -> u8 {
    match (a, b) {
        (Some(a), Some(b)) if a == b => 3,
        (Some(a), Some(b)) if similar(a, b) => 2,
        (Some(_), Some(_)) => 1,
        _ => 0,
    }
}

/// [`address_level`]'s "similar" read from the texts alone (its tests state the cases).
#[cfg(test)]
fn addresses_similar(a: &str, b: &str) -> bool {
    token_jaccard(a, b) >= 0.5 && numbers_within(a, b)
}

/// Whether the numbered words of the address with fewer of them are all in the other's.
fn numbers_within(a: &str, b: &str) -> bool {
    let (na, nb) = (numbered_words(a), numbered_words(b));
    let (fewer, more) = if na.len() <= nb.len() {
        (&na, &nb)
    } else {
        (&nb, &na)
    };
    sorted_within(fewer, more)
}

/// The words of `s` that hold a digit, sorted, repeats kept ("1 LE LOI DISTRICT 1" has two).
fn numbered_words(s: &str) -> Vec<&str> {
    let mut words: Vec<&str> = s
        .split_whitespace()
        .filter(|w| w.bytes().any(|c| c.is_ascii_digit()))
        .collect();
    words.sort_unstable();
    words
}

/// Whether every word of sorted `fewer` is in sorted `more`, as many times.
fn sorted_within(fewer: &[&str], more: &[&str]) -> bool {
    let mut rest = more.iter();
    fewer.iter().all(|w| rest.any(|m| m == w))
}

/// Word Jaccard of two texts, as [`words_jaccard`] reads it from hashes (the tests' reference).
#[cfg(test)]
fn token_jaccard(a: &str, b: &str) -> f64 {
    let na = a.split_whitespace().count();
    let nb = b.split_whitespace().count();
    let inter = a
        .split_whitespace()
        .filter(|t| b.split_whitespace().any(|u| u == *t))
        .count()
        .min(nb);
    let union = (na + nb).saturating_sub(inter);
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// The values both records hold for a key comparison (sorted by hash).
pub(crate) fn shared<'r>(a: &'r Record, b: &Record, comp: Comparison) -> Vec<&'r Key> {
    let kb = keys_of(b, comp);
    keys_of(a, comp)
        .iter()
        .filter(|k| kb.binary_search_by(|x| x.hash.cmp(&k.hash)).is_ok())
        .collect()
}

/// The levels of the key comparisons (email, phone, payout, device, document, reference, shipping,
/// profile URL: 2 when the records share a value, 1 when both have some and share none, 0 when
/// either has none; egress: 2 when they share an IP address, 1 when they share only a coarser value
/// such as a /24, else 0) in one pass over the two records' keys, both sorted by comparison then hash.
fn key_levels(a: &[Key], b: &[Key], g: &mut Gamma) {
    if a.is_empty() || b.is_empty() {
        return;
    }
    let bit = |k: &Key| 1u32 << (k.comp as u32);
    let held_a = a.iter().fold(0, |acc, k| acc | bit(k));
    let held_b = b.iter().fold(0, |acc, k| acc | bit(k));
    let mut shared = 0u32;
    let mut shared_ip = false;
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match (a[i].comp, a[i].hash).cmp(&(b[j].comp, b[j].hash)) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared |= bit(&a[i]);
                shared_ip |= a[i].comp == Comparison::Egress && a[i].value.starts_with("ip:");
                i += 1;
                j += 1;
            }
        }
    }
    for comp in [
        Comparison::Email,
        Comparison::Phone,
        Comparison::Payout,
        Comparison::Device,
        Comparison::Document,
        Comparison::Reference,
        Comparison::Shipping,
        Comparison::ProfileUrl,
    ] {
        let held = 1u32 << (comp as u32);
        g[comp as usize] = if shared & held != 0 {
            2
        } else if held_a & held_b & held != 0 {
            1
        } else {
            0
        };
    }
    let egress = 1u32 << (Comparison::Egress as u32);
    g[Comparison::Egress as usize] = if shared_ip {
        2
    } else if shared & egress != 0 {
        1
    } else {
        0
    };
}

/// Whether the given and family names match better crosswise.
pub(crate) fn names_swapped(a: &Record, b: &Record) -> bool {
    let direct = name_level_keyed(&a.given, a.given_key, &b.given, b.given_key)
        + name_level_keyed(&a.family, a.family_key, &b.family, b.family_key);
    if direct >= 7 {
        return false;
    }
    let cross = name_level_keyed(&a.given, a.given_key, &b.family, b.family_key)
        + name_level_keyed(&a.family, a.family_key, &b.given, b.given_key);
    cross > direct
}

/// The comparison vector of a pair.
pub(crate) fn compare(a: &Record, b: &Record, photo_max: u32) -> Gamma {
    let mut g = [0u8; N_COMP];
    let direct = (
        name_level_keyed(&a.given, a.given_key, &b.given, b.given_key),
        name_level_keyed(&a.family, a.family_key, &b.family, b.family_key),
    );
    // Crosswise only when the names do not already agree (as `names_swapped` decides): most
    // candidate pairs share a name, and the Jaro–Winkler calls are the comparison's largest cost.
    let (gn, fn_) = if direct.0 + direct.1 >= 7 {
        direct
    } else {
        let cross = (
            name_level_keyed(&a.given, a.given_key, &b.family, b.family_key),
            name_level_keyed(&a.family, a.family_key, &b.given, b.given_key),
        );
        if cross.0 + cross.1 > direct.0 + direct.1 {
            cross
        } else {
            direct
        }
    };
    g[Comparison::GivenName as usize] = gn;
    g[Comparison::FamilyName as usize] = fn_;
    g[Comparison::DateOfBirth as usize] = dob_level(a.dob, b.dob);
    g[Comparison::Address as usize] = address_level(a, b);
    g[Comparison::Postcode as usize] = match (a.postcode.as_deref(), b.postcode.as_deref()) {
        (Some(_), Some(_)) if a.postcode_key == b.postcode_key => 3,
        // Apart by the counts alone (most unequal postcodes): neither text is read.
        (Some(x), Some(y))
            if surely_over_one_edit(a.postcode_counts, x.len(), b.postcode_counts, y.len()) =>
        {
            1
        }
        (x, y) => text_level(x, y, edit_distance_le1),
    };
    g[Comparison::City as usize] = city_level(a, b);
    g[Comparison::IdNumber as usize] = text_level(
        a.id_number.as_deref(),
        b.id_number.as_deref(),
        edit_distance_le1,
    );
    key_levels(&a.keys, &b.keys, &mut g);
    g[Comparison::Photo as usize] = if a.photos.is_empty() || b.photos.is_empty() {
        0
    } else {
        let best = a
            .photos
            .iter()
            .flat_map(|x| b.photos.iter().map(move |y| (x ^ y).count_ones()))
            .min()
            .unwrap_or(64);
        if best == 0 {
            3
        } else if best <= photo_max {
            2
        } else {
            1
        }
    };
    g[Comparison::Resume as usize] = match (&a.resume, &b.resume) {
        (Some(x), Some(y)) if x.len() == y.len() && !x.is_empty() => {
            let same = x.iter().zip(y.iter()).filter(|(p, q)| p == q).count();
            let j = same as f64 / x.len() as f64;
            if j >= 0.8 {
                3
            } else if j >= 0.5 {
                2
            } else {
                1
            }
        }
        _ => 0,
    };
    g
}

/// The hashes of the values two records agree on at a comparison's term-frequency level (for keys with
/// several shared values, all of them; the caller picks the rarest).
/// `swapped` is [`names_swapped`] of the two (asked for name comparisons only, so that a caller scoring
/// both names decides it once).
pub(crate) fn agreed_hashes(
    a: &Record,
    b: &Record,
    comp: Comparison,
    swapped: impl FnOnce() -> bool,
    out: &mut Vec<u64>,
) {
    out.clear();
    match comp {
        Comparison::GivenName | Comparison::FamilyName => {
            let swapped = swapped();
            let ((x, kx), (_, ky)) = match (comp, swapped) {
                (Comparison::GivenName, false) => {
                    ((&a.given, a.given_key), (&b.given, b.given_key))
                }
                (Comparison::GivenName, true) => {
                    ((&a.given, a.given_key), (&b.family, b.family_key))
                }
                (_, false) => ((&a.family, a.family_key), (&b.family, b.family_key)),
                (_, true) => ((&a.family, a.family_key), (&b.given, b.given_key)),
            };
            if kx == ky && !x.is_empty() {
                // Counted in the table of the field `a` holds it in.
                out.push(keyed(comp, kx));
            }
        }
        Comparison::DateOfBirth => {
            if let (Some(x), Some(y)) = (a.dob, b.dob)
                && x == y
            {
                out.push(date_hash(x));
            }
        }
        Comparison::Address => {
            if a.address.is_some() && b.address.is_some() && a.address_key == b.address_key {
                out.push(keyed(comp, a.address_key));
            }
        }
        Comparison::Postcode => {
            if a.postcode.is_some() && b.postcode.is_some() && a.postcode_key == b.postcode_key {
                out.push(keyed(comp, a.postcode_key));
            }
        }
        Comparison::City => {
            if a.city.is_some() && b.city.is_some() && a.city_key == b.city_key {
                out.push(keyed(comp, a.city_key));
            }
        }
        Comparison::IdNumber => {
            out.extend(eq_text(&a.id_number, &b.id_number).map(|v| hash_value(comp, v)))
        }
        _ => out.extend(shared(a, b, comp).into_iter().map(|k| k.hash)),
    }
}

/// The text of a value of `a` by its hash (for the waterfall).
pub(crate) fn value_text(a: &Record, comp: Comparison, h: u64) -> Option<String> {
    match comp {
        Comparison::GivenName => Some(a.given.to_string()),
        Comparison::FamilyName => Some(a.family.to_string()),
        Comparison::DateOfBirth => a
            .dob
            .map(|d| format!("{}-{:02}-{:02}", d / 10_000, (d / 100) % 100, d % 100)),
        Comparison::Address => a.address.as_deref().map(str::to_string),
        Comparison::Postcode => a.postcode.as_deref().map(str::to_string),
        Comparison::City => a.city.as_deref().map(str::to_string),
        Comparison::IdNumber => a.id_number.as_deref().map(str::to_string),
        _ => keys_of(a, comp)
            .iter()
            .find(|k| k.hash == h)
            .map(|k| k.value.to_string()),
    }
}

fn eq_text<'a>(a: &'a Option<Box<str>>, b: &Option<Box<str>>) -> Option<&'a str> {
    match (a, b) {
        (Some(x), Some(y)) if x == y => Some(x),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One key comparison's level, comparison by comparison (the reference for [`key_levels`]).
    fn key_level(a: &Record, b: &Record, comp: Comparison) -> u8 {
        let (ka, kb) = (keys_of(a, comp), keys_of(b, comp));
        if ka.is_empty() || kb.is_empty() {
            return 0;
        }
        let mut i = 0;
        let mut j = 0;
        while i < ka.len() && j < kb.len() {
            match ka[i].hash.cmp(&kb[j].hash) {
                std::cmp::Ordering::Equal => return 2,
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
            }
        }
        1
    }

    /// [`key_levels`] in one pass gives every key comparison's level as the comparison-by-comparison
    /// reference does (and egress as the shared values say), on records with random keys drawn from a
    /// small vocabulary, so that they share some, hold others alone, or hold none of a kind.
    #[test]
    fn key_levels_in_one_pass_are_the_levels_comparison_by_comparison() {
        let kinds = [
            Comparison::Email,
            Comparison::Phone,
            Comparison::Payout,
            Comparison::Device,
            Comparison::Shipping,
            Comparison::Egress,
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let record = |next: &mut dyn FnMut(u64) -> u64| {
            let mut r = Record::default();
            for _ in 0..next(6) {
                let comp = kinds[next(kinds.len() as u64) as usize];
                let value = match (comp, next(2)) {
                    (Comparison::Egress, 0) => format!("ip:10.0.0.{}", next(3)),
                    (Comparison::Egress, _) => format!("net:10.0.{}.0/24", next(3)),
                    _ => format!("v{}", next(3)),
                };
                crate::record::add_key(&mut r, comp, &value);
            }
            r
        };
        let mut shared_kinds = 0;
        for _ in 0..2000 {
            let (a, b) = (record(&mut next), record(&mut next));
            let mut g = [0u8; N_COMP];
            key_levels(&a.keys, &b.keys, &mut g);
            for comp in kinds {
                let expected = if comp == Comparison::Egress {
                    let s = shared(&a, &b, comp);
                    if s.iter().any(|k| k.value.starts_with("ip:")) {
                        2
                    } else {
                        u8::from(!s.is_empty())
                    }
                } else {
                    key_level(&a, &b, comp)
                };
                assert_eq!(
                    g[comp as usize], expected,
                    "{comp:?} of {:?} and {:?}",
                    a.keys, b.keys
                );
                shared_kinds += usize::from(expected == 2);
            }
        }
        assert!(shared_kinds > 500, "{shared_kinds}");
    }
    use crate::record::text_key;

    #[test]
    fn every_identity_link_kind_is_a_comparison_this_crate_makes() {
        // Ring propagation and RF-LNK-004 name ring links by these strings: a rename here must not
        // silently turn them off.
        let names: Vec<&str> = COMPARISONS.iter().map(|c| c.name()).collect();
        for kind in redflag_model::RingLink::IDENTITY_KINDS {
            assert!(names.contains(kind), "{kind} is not among {names:?}");
        }
    }

    #[test]
    fn two_houses_on_one_street_are_not_a_similar_address() {
        for (a, b, similar) in [
            // Same street, district and city; other house and postcode (strangers in one city).
            (
                "333 PANGYOYEOK RO GANGNAM GU SEOUL 06807",
                "194 PANGYOYEOK RO GANGNAM GU SEOUL 06775",
                false,
            ),
            (
                "306 PHAM VAN DONG DISTRICT 1 HO CHI MINH CITY",
                "275 PHAM VAN DONG DISTRICT 1 HO CHI MINH CITY",
                false,
            ),
            // One person's address written twice: a flat left out, a word spelt out.
            (
                "12 MAIN ST APT 4 SPRINGFIELD 10001",
                "12 MAIN ST SPRINGFIELD 10001",
                true,
            ),
            ("12 MAIN STREET SPRINGFIELD", "12 MAIN ST SPRINGFIELD", true),
            // A district's number is not a house number: "1" twice is not within "1" and "63".
            (
                "1 PHAM VAN DONG DISTRICT 1 HO CHI MINH CITY",
                "63 PHAM VAN DONG DISTRICT 1 HO CHI MINH CITY",
                false,
            ),
            (
                "63 PHAM VAN DONG DISTRICT 1 HO CHI MINH CITY",
                "63 PHAM VAN DONG DISTRICT 1 HO CHI MINH",
                true,
            ),
            // Numbers alike but the words are another street.
            ("12 MAIN ST SPRINGFIELD", "12 ELM AVE OAKTON", false),
            // No numbers on either side: the words decide.
            (
                "ROSE COTTAGE LOWER SLAUGHTER",
                "ROSE COTTAGE LOWER SLAUGHTER GLOS",
                true,
            ),
        ] {
            assert_eq!(addresses_similar(a, b), similar, "{a} | {b}");
            assert_eq!(addresses_similar(b, a), similar, "{b} | {a}");
        }
    }

    fn record_at(address: &str, city: &str) -> Record {
        let mut r = Record {
            address: Some(address.into()),
            city: Some(city.into()),
            ..Default::default()
        };
        r.derive_keys();
        r
    }

    /// The record-level address comparison (word hashes) gives the text-level answer.
    #[test]
    fn address_levels_from_word_hashes_match_the_text() {
        let streets = [
            "MAIN ST",
            "MAIN STREET",
            "ELM AVE",
            "PHAM VAN DONG",
            "ROSE COTTAGE LOWER",
        ];
        let places = [
            "SPRINGFIELD 10001",
            "SPRINGFIELD",
            "DISTRICT 1 HO CHI MINH CITY",
            "OAKTON",
        ];
        let mut addresses = Vec::new();
        for (i, street) in streets.iter().enumerate() {
            for (j, place) in places.iter().enumerate() {
                addresses.push(format!("{} {street} {place}", 1 + (i * 7 + j) % 13));
                addresses.push(format!("{street} {place}"));
                addresses.push(format!("{} {street} APT {j} {place}", 1 + i));
            }
        }
        let mut similar = 0;
        for a in &addresses {
            for b in &addresses {
                let want = if a == b {
                    3
                } else if addresses_similar(a, b) {
                    2
                } else {
                    1
                };
                similar += usize::from(want == 2);
                assert_eq!(
                    address_level(&record_at(a, "X"), &record_at(b, "X")),
                    want,
                    "{a} | {b}"
                );
            }
        }
        assert!(similar > 100, "{similar}");
    }

    /// Memoised name and city levels are the levels computed afresh, asked in any order and again.
    #[test]
    fn memoised_similarities_are_the_computed_ones() {
        let names = [
            "martha",
            "marhta",
            "dwayne",
            "duane",
            "jonathan",
            "jonathon",
            "kim",
            "park",
            "anna",
            "anne",
            "ann",
            "hannah",
            "nguyen",
            "nguyan",
            "whitfield",
            "whitfeild",
        ];
        for round in 0..3 {
            for a in names {
                for b in names {
                    let fresh = if a == b {
                        4
                    } else {
                        let s = jaro_winkler(a, b);
                        if s >= 0.92 {
                            3
                        } else if s >= 0.8 {
                            2
                        } else {
                            1
                        }
                    };
                    assert_eq!(
                        name_level_keyed(a, text_key(a), b, text_key(b)),
                        fresh,
                        "{a} {b} round {round}"
                    );
                    let city = city_level(&record_at("1 A", a), &record_at("1 A", b));
                    let fresh_city = if a == b {
                        3
                    } else if jaro_winkler(a, b) >= 0.9 {
                        2
                    } else {
                        1
                    };
                    assert_eq!(city, fresh_city, "city {a} {b} round {round}");
                }
            }
        }
    }

    fn check_edit(a: &str, b: &str, expect: bool) {
        assert_eq!(edit_distance_le1(a, b), expect, "{a} {b}");
    }

    #[test]
    fn edits() {
        check_edit("1234567", "1234567", true);
        check_edit("1234567", "1234568", true);
        check_edit("1234567", "1243567", true);
        check_edit("1234567", "123467", true);
        check_edit("123467", "1234567", true);
        check_edit("1234567", "1234598", false);
        check_edit("1234567", "12345", false);
        check_edit("", "1", true);
        check_edit("ab", "ba", true);
    }

    fn check_dob(a: u32, b: u32, expect: u8) {
        assert_eq!(dob_level(Some(a), Some(b)), expect, "{a} {b}");
    }

    #[test]
    fn dates() {
        check_dob(19870309, 19870309, 4);
        check_dob(19870309, 19870903, 3);
        check_dob(19870309, 19870310, 3);
        check_dob(19870309, 19871122, 2);
        check_dob(19870309, 19551122, 1);
        assert_eq!(dob_level(None, Some(19870309)), 0);
    }

    /// Two different dates are one digit apart exactly when their eight-digit texts are one
    /// substitution or one adjacent swap apart, over dates near one another and far apart.
    #[test]
    fn dates_one_digit_apart_are_texts_one_edit_apart() {
        let mut ones = 0;
        for a in [19870309u32, 19870390, 20011231, 19991119] {
            for delta in 1..40_000u32 {
                for b in [a + delta, a.wrapping_sub(delta), a ^ delta, a + delta * 911] {
                    if b == a || !(10_000_000..100_000_000).contains(&b) {
                        continue;
                    }
                    let expected = edit_distance_le1(&format!("{a:08}"), &format!("{b:08}"));
                    assert_eq!(digits_le1(a, b), expected, "{a} {b}");
                    ones += usize::from(expected);
                }
            }
        }
        assert!(ones > 50, "{ones}");
    }

    #[test]
    fn jaro_winkler_agrees_with_strsim() {
        for (a, b) in [
            ("martha", "marhta"),
            ("dwayne", "duane"),
            ("dixon", "dicksonx"),
            ("jonathan", "jonathon"),
            ("kim", "park"),
            ("a", "a"),
            ("ab", "ba"),
            ("whitfield", "whitfeild"),
            ("", "x"),
        ] {
            let ours = jaro_winkler(a, b);
            let theirs = strsim::jaro_winkler(a, b);
            assert!((ours - theirs).abs() < 1e-9, "{a} {b}: {ours} vs {theirs}");
        }
    }

    /// Two random texts over `alphabet` of up to `max_len` characters; with `near`, the second is a
    /// near copy of the first (a few characters changed, so that high similarities are covered too).
    fn random_texts(
        rng: &mut rand_chacha::ChaCha8Rng,
        alphabet: &[u8],
        max_len: usize,
        near: bool,
    ) -> (String, String) {
        use rand::Rng;
        let mut word = || {
            let len = rng.gen_range(0..=max_len);
            (0..len)
                .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
                .collect::<String>()
        };
        let a = word();
        if !near {
            let b = word();
            return (a, b);
        }
        let mut copy = a.clone().into_bytes();
        for _ in 0..rng.gen_range(0..3) {
            if !copy.is_empty() {
                let at = rng.gen_range(0..copy.len());
                copy[at] = alphabet[rng.gen_range(0..alphabet.len())];
            }
        }
        (a, String::from_utf8(copy).unwrap_or_default())
    }

    /// Random strings over small alphabets (so that characters match, repeat and transpose), of
    /// every length up to the 64 the bit sets hold and a few over it, against `strsim`.
    #[test]
    fn jaro_winkler_agrees_with_strsim_on_random_strings() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for round in 0..20_000 {
            let alphabet: &[u8] = match round % 3 {
                0 => b"ab",
                1 => b"aeinrst",
                _ => b"abcdefghijklmnopqrstuvwxyz -",
            };
            let (a, b) = random_texts(&mut rng, alphabet, 70, round % 2 == 1);
            let ours = jaro_winkler(&a, &b);
            let jaro = strsim::jaro(&a, &b);
            let prefix = a
                .bytes()
                .zip(b.bytes())
                .take(4)
                .take_while(|(p, q)| p == q)
                .count();
            let theirs = jaro + prefix as f64 * 0.1 * (1.0 - jaro);
            assert!(
                (ours - theirs).abs() < 1e-9,
                "{a:?} {b:?}: {ours} vs {theirs}"
            );
            if jaro > 0.7 {
                assert!(
                    (ours - strsim::jaro_winkler(&a, &b)).abs() < 1e-9,
                    "{a:?} {b:?}"
                );
            }
        }
    }

    /// The bound from character counts is never below the similarity it bounds (random texts, near
    /// copies, characters of one class, texts too long or not ASCII to count), and it does rule out
    /// unequal short texts.
    #[test]
    fn jaro_winkler_bound_is_above_the_similarity() {
        use crate::record::char_counts;
        use rand::SeedableRng;
        let bound = |a: &str, b: &str| {
            jaro_winkler_bound_of_counts(char_counts(a), a.len(), char_counts(b), b.len())
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut ruled_out = 0;
        for round in 0..50_000 {
            let alphabet: &[u8] = match round % 4 {
                0 => b"ab",
                1 => b"aeinrst",
                // Bytes 16 apart share a class ('0' and '@', 'a' and 'q').
                2 => b"0@aq1Ar",
                _ => b"abcdefghijklmnopqrstuvwxyz -0123456789",
            };
            let (a, b) = random_texts(&mut rng, alphabet, 20, round % 2 == 1);
            let (at_most, jw) = (bound(&a, &b), jaro_winkler(&a, &b));
            assert!(at_most + 1e-12 >= jw, "{a:?} {b:?}: bound {at_most} < {jw}");
            ruled_out += usize::from(at_most < 0.9 - 1e-9);
        }
        assert!(ruled_out > 5_000, "{ruled_out}");
        assert!(bound("city1234", "city5678") < 0.9);
        assert!(bound("london", "londn") >= 0.9);
        assert_eq!(bound("ab", "cd"), 0.0);
        // Not counted: no bound.
        assert_eq!(bound("hồ chí minh", "ho chi minh"), 1.0);
        assert_eq!(
            bound("a very long city name", "another long city name"),
            1.0
        );
    }

    /// Texts within one edit (a substitution, an insertion, a deletion or an adjacent swap) are never
    /// ruled out by their counts, and most unrelated postcodes are.
    #[test]
    fn one_edit_is_never_ruled_out_by_counts() {
        use crate::record::char_counts;
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let apart = |a: &str, b: &str| {
            surely_over_one_edit(char_counts(a), a.len(), char_counts(b), b.len())
        };
        let mut ruled_out = 0;
        for round in 0..50_000 {
            let alphabet: &[u8] = if round % 2 == 0 {
                b"0123456789"
            } else {
                b"0@aqAQ1 "
            };
            let len = rng.gen_range(0..=17usize);
            let a: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .collect();
            let mut b = a.clone();
            match rng.gen_range(0..5) {
                0 if !b.is_empty() => {
                    let at = rng.gen_range(0..b.len());
                    b[at] = alphabet[rng.gen_range(0..alphabet.len())];
                }
                1 => b.insert(
                    rng.gen_range(0..=b.len()),
                    alphabet[rng.gen_range(0..alphabet.len())],
                ),
                2 if !b.is_empty() => {
                    b.remove(rng.gen_range(0..b.len()));
                }
                3 if b.len() >= 2 => {
                    let at = rng.gen_range(0..b.len() - 1);
                    b.swap(at, at + 1);
                }
                _ => {
                    b = (0..len)
                        .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                        .collect()
                }
            }
            let (a, b) = (String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
            if edit_distance_le1(&a, &b) {
                assert!(!apart(&a, &b), "{a:?} {b:?}");
            } else {
                ruled_out += usize::from(apart(&a, &b));
            }
        }
        assert!(ruled_out > 5_000, "{ruled_out}");
        assert!(apart("75001", "13008"));
        assert!(!apart("75001", "75010"));
    }

    /// The word-count bound is never below the shared words [`words_jaccard`] counts (repeats
    /// included), so an address pair it rules out has an overlap under one half.
    #[test]
    fn word_count_bound_is_above_the_shared_words() {
        use crate::record::word_counts;
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        for _ in 0..50_000 {
            let words = |rng: &mut rand_chacha::ChaCha8Rng| {
                let n = rng.gen_range(0..=15usize);
                let mut w: Vec<u32> = (0..n).map(|_| rng.gen_range(0..40u32) * 7).collect();
                w.sort_unstable();
                w
            };
            let (a, b) = (words(&mut rng), words(&mut rng));
            let (na, nb) = (a.len(), b.len());
            let jaccard = words_jaccard(&a, &b);
            let bound = present_of_counts(word_counts(&a), word_counts(&b)).min(nb);
            if 3 * bound < na + nb {
                assert!(jaccard < 0.5, "{a:?} {b:?}: {jaccard}");
            }
            // The bound counts a's repeats as words_jaccard does.
            let counted = a.iter().filter(|w| b.contains(w)).count().min(nb);
            assert!(bound >= counted, "{a:?} {b:?}");
        }
    }

    #[test]
    fn every_comparison_has_levels_and_a_name_that_parses() {
        for c in COMPARISONS {
            assert!(c.levels().len() >= 3);
            assert_eq!(Comparison::parse(c.name()), Some(c));
            assert_eq!(COMPARISONS[c as usize], c);
        }
    }

    #[test]
    fn swapped_names_compare_crosswise() {
        let mut a = Record {
            given: "kim".into(),
            family: "jisoo".into(),
            ..Default::default()
        };
        let mut b = Record {
            given: "jisoo".into(),
            family: "kim".into(),
            ..Default::default()
        };
        a.derive_keys();
        b.derive_keys();
        let g = compare(&a, &b, 6);
        assert_eq!(g[0], 4);
        assert_eq!(g[1], 4);
        assert_eq!(g[2], 0);
    }
}
