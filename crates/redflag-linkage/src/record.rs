//! A subject flattened into the features the linker compares: folded names, date of birth, location,
//! an id number, and its exact keys (hashed, with the value kept for the waterfall).

use compact_str::CompactString;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;

use redflag_identity::resume::MinHasher;
use redflag_identity::{event_linkage_keys, linkage_keys};
use redflag_model::{Event, Identifier, Subject};
use redflag_watchlist::normalize::fold;
use xxhash_rust::xxh3::xxh3_64;

use crate::compare::Comparison;

/// One exact key of a record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub(crate) struct Key {
    pub comp: Comparison,
    pub hash: u64,
    pub value: Box<str>,
}

/// A value dropped while reading a record because it is a placeholder.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Placeholder {
    pub comp: Comparison,
    pub value: String,
}

/// The features of one subject.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Record {
    /// Names and city are held in the record itself up to 24 bytes (nearly all of them), so that
    /// comparing two unequal ones reads no other memory: Jaro–Winkler on names the memo had not seen
    /// was mostly waiting for their texts.
    pub given: CompactString,
    pub family: CompactString,
    pub dob: Option<u32>,
    pub address: Option<Box<str>>,
    pub postcode: Option<Box<str>>,
    pub city: Option<CompactString>,
    pub id_number: Option<Box<str>>,
    /// Sorted by comparison then hash.
    pub keys: Vec<Key>,
    pub photos: Vec<u64>,
    pub resume: Option<Box<[u32]>>,
    /// Derived from the text fields by [`Record::derive_keys`] (call it after changing them; not
    /// stored, derived again when a saved state is read): 64-bit hashes of the given name, family
    /// name, city, address and postcode (0 when empty or missing), so that `compare` tells two
    /// records' values equal or apart from the record itself, without reading their text (two
    /// different values of one field with equal xxh3 hashes are far less likely, at a billion
    /// values, than one in ten million), and memoises similarity by value...
    #[serde(skip)]
    pub given_key: u64,
    #[serde(skip)]
    pub family_key: u64,
    #[serde(skip)]
    pub city_key: u64,
    /// The city's characters counted by [`char_counts`]: a bound on its similarity to another city
    /// without reading either text.
    #[serde(skip)]
    pub city_counts: u64,
    /// The postcode's characters counted by [`char_counts`], and the address's word hashes counted the
    /// same way by [`word_counts`]: bounds on their levels without reading the texts or words.
    #[serde(skip)]
    pub postcode_counts: u64,
    #[serde(skip)]
    pub address_word_counts: u64,
    #[serde(skip)]
    pub address_key: u64,
    #[serde(skip)]
    pub postcode_key: u64,
    /// ...and the 32-bit hashes of the address's words, sorted, repeats kept: word overlap without
    /// splitting two addresses again for every pair.
    #[serde(skip)]
    pub address_words: Box<[u32]>,
}

/// [`char_counts`] of a text it cannot count.
pub(crate) const NO_COUNTS: u64 = u64::MAX;

/// A short ASCII text's characters counted in 16 classes (the low four bits of each byte), four bits
/// a class in one word; [`NO_COUNTS`] for a text over 15 bytes (a class could overflow) or not
/// ASCII. See [`crate::compare::jaro_winkler_bound_of_counts`].
pub(crate) fn char_counts(s: &str) -> u64 {
    if !s.is_ascii() {
        return NO_COUNTS;
    }
    class_counts(s.bytes().map(u64::from))
}

/// Values counted in 16 classes (their low four bits), four bits a class; [`NO_COUNTS`] for over 15
/// values, whose count in one class could overflow it.
fn class_counts(values: impl ExactSizeIterator<Item = u64>) -> u64 {
    if values.len() > 15 {
        return NO_COUNTS;
    }
    values.fold(0u64, |acc, v| acc + (1u64 << (4 * (v & 15))))
}

/// Word hashes counted in 16 classes (their low four bits), four bits a class; [`NO_COUNTS`] for over
/// 15 words. See [`crate::compare::address_level`].
pub(crate) fn word_counts(words: &[u32]) -> u64 {
    class_counts(words.iter().map(|w| u64::from(*w)))
}

impl Record {
    /// Recomputes the fields derived from the names, city and address.
    pub(crate) fn derive_keys(&mut self) {
        self.given_key = text_key(&self.given);
        self.family_key = text_key(&self.family);
        self.city_key = self.city.as_deref().map_or(0, text_key);
        self.city_counts = self.city.as_deref().map_or(NO_COUNTS, char_counts);
        self.address_key = self.address.as_deref().map_or(0, text_key);
        self.postcode_key = self.postcode.as_deref().map_or(0, text_key);
        self.postcode_counts = self.postcode.as_deref().map_or(NO_COUNTS, char_counts);
        self.address_words = self
            .address
            .as_deref()
            .map(address_words)
            .unwrap_or_default();
        self.address_word_counts = word_counts(&self.address_words);
    }
}

/// The hash of a name, city, address or postcode for [`Record::derive_keys`] (0 for an empty one).
pub(crate) fn text_key(text: &str) -> u64 {
    if text.is_empty() {
        0
    } else {
        xxh3_64(text.as_bytes())
    }
}

/// The sorted 32-bit hashes of the words of an address, repeats kept.
pub(crate) fn address_words(address: &str) -> Box<[u32]> {
    let mut words: Vec<u32> = address
        .split_whitespace()
        .map(|w| xxh3_64(w.as_bytes()) as u32)
        .collect();
    words.sort_unstable();
    words.into_boxed_slice()
}

/// Attribute names read from `Subject::attributes` (besides those the identity crate reads).
pub mod attributes {
    /// Date of birth (`YYYY-MM-DD`, `YYYYMMDD`, `DD/MM/YYYY` or `DD.MM.YYYY`).
    pub const DATE_OF_BIRTH: [&str; 3] = ["date_of_birth", "dob", "birth_date"];
    /// Postal code.
    pub const POSTCODE: [&str; 3] = ["postcode", "postal_code", "zip"];
    /// City or suburb, when `claimed.city` is empty.
    pub const CITY: [&str; 2] = ["city", "suburb"];
    /// A national id or social security number, compared with one edit allowed.
    pub const ID_NUMBER: [&str; 3] = ["id_number", "national_id", "ssn"];
}

fn placeholders() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        include_str!("../data/placeholders.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

const PLACEHOLDER_DOMAINS: [&str; 6] = [
    "example.com",
    "example.org",
    "example.net",
    "test.com",
    "none.com",
    "email.com",
];

fn squash(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a value is a data-entry placeholder ("N/A", "0000000", `test@example.com`).
pub(crate) fn is_placeholder(comp: Comparison, value: &str) -> bool {
    let set = placeholders();
    if comp == Comparison::Email {
        let (local, domain) = value.rsplit_once('@').unwrap_or((value, ""));
        let local = squash(local);
        return local.is_empty()
            || PLACEHOLDER_DOMAINS.contains(&domain)
            || set.contains(local.as_str());
    }
    if value.is_ascii() {
        return is_ascii_placeholder(value.as_bytes(), set);
    }
    // One pass over the squashed characters, without building them unless the value is short
    // enough to be in the list: most values (e-mails, phones, addresses) are not.
    let (mut bytes, mut digits) = (0, RepeatedDigits::default());
    for c in value
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
    {
        bytes += c.len_utf8();
        digits.push(c);
    }
    digits.len == 0
        || (bytes <= placeholder_max_len() && set.contains(squash(value).as_str()))
        || digits.one_repeated()
}

/// [`is_placeholder`] of an ASCII value other than an e-mail: the same pass over bytes, the squashed
/// value (when short enough to be listed) built on the stack, not allocated.
fn is_ascii_placeholder(value: &[u8], set: &HashSet<&'static str>) -> bool {
    let mut squashed = [0u8; 32];
    let mut digits = RepeatedDigits::default();
    for c in value
        .iter()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
    {
        if let Some(slot) = squashed.get_mut(digits.len) {
            *slot = c;
        }
        digits.push(char::from(c));
    }
    let len = digits.len;
    let listed = || {
        len <= placeholder_max_len()
            && squashed
                .get(..len)
                .and_then(|s| std::str::from_utf8(s).ok())
                .is_some_and(|s| set.contains(s))
    };
    len == 0 || listed() || digits.one_repeated()
}

/// The squashed characters of a value seen one by one: how many, and whether they are digits all
/// equal to the second (the first may differ: a country code, "+10000000000").
struct RepeatedDigits {
    len: usize,
    all_digits: bool,
    second: Option<char>,
    repeated: bool,
}

impl Default for RepeatedDigits {
    fn default() -> Self {
        Self {
            len: 0,
            all_digits: true,
            second: None,
            repeated: true,
        }
    }
}

impl RepeatedDigits {
    fn push(&mut self, c: char) {
        self.len += 1;
        if c.is_ascii_digit() {
            match self.second {
                None if self.len == 2 => self.second = Some(c),
                Some(d) if d != c => self.repeated = false,
                _ => {}
            }
        } else {
            self.all_digits = false;
        }
    }

    /// Phone numbers and ids made of one repeated digit ("+10000000000", "99999999").
    fn one_repeated(&self) -> bool {
        self.len >= 6 && self.all_digits && self.repeated
    }
}

/// The longest entry of the placeholder list, in bytes.
fn placeholder_max_len() -> usize {
    static MAX: OnceLock<usize> = OnceLock::new();
    *MAX.get_or_init(|| placeholders().iter().map(|p| p.len()).max().unwrap_or(0))
}

pub(crate) fn hash_value(comp: Comparison, value: &str) -> u64 {
    keyed(comp, xxh3_64(value.as_bytes()))
}

/// [`hash_value`] of a non-empty text from its [`text_key`] (the records' stored hashes), without
/// reading the text again.
pub(crate) fn keyed(comp: Comparison, text_key: u64) -> u64 {
    text_key ^ (comp as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// [`hash_value`] of a date of birth (`YYYYMMDD`) written in decimal, without allocating the text.
pub(crate) fn date_hash(date: u32) -> u64 {
    let mut digits = itoa::Buffer::new();
    keyed(
        Comparison::DateOfBirth,
        xxh3_64(digits.format(date).as_bytes()),
    )
}

fn attribute<'s>(subject: &'s Subject, names: &[&str]) -> Option<&'s str> {
    names
        .iter()
        .find_map(|n| subject.attributes.get(*n))
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
}

/// Parses a date of birth into `YYYYMMDD`; `None` for anything implausible.
pub(crate) fn parse_dob(input: &str) -> Option<u32> {
    let input = input.trim();
    let parts: Vec<&str> = input
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect();
    let (y, m, d) = match parts.as_slice() {
        [one] if one.len() == 8 => (
            one.get(0..4)?.parse::<u32>().ok()?,
            one.get(4..6)?.parse::<u32>().ok()?,
            one.get(6..8)?.parse::<u32>().ok()?,
        ),
        [a, b, c] if a.len() == 4 => (a.parse().ok()?, b.parse().ok()?, c.parse().ok()?),
        [a, b, c] if c.len() == 4 => (c.parse().ok()?, b.parse().ok()?, a.parse().ok()?),
        _ => return None,
    };
    ((1900..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
        .then_some(y * 10_000 + m * 100 + d)
}

/// Folded words of a value (watchlist fold, single spaces), uncached.
fn fold_words_uncached(value: &str) -> String {
    fold(value).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Entries a thread's memo holds before it starts again (names, towns and streets follow Zipf
/// pools, so a small memo answers most lookups; the bound keeps memory flat on any input).
const MEMO_CAP: usize = 1 << 16;

type Memo<V> = HashMap<Box<str>, V, BuildHasherDefault<xxhash_rust::xxh3::Xxh3Default>>;

thread_local! {
    /// Folded words by raw string.
    static FOLDED: RefCell<Memo<Box<str>>> = RefCell::new(Memo::default());
}

fn memoised<V: Clone>(
    memo: &'static std::thread::LocalKey<RefCell<Memo<V>>>,
    key: &str,
    compute: impl FnOnce(&str) -> V,
) -> V {
    memo.with(|m| {
        if let Some(v) = m.borrow().get(key) {
            return v.clone();
        }
        let v = compute(key);
        let mut m = m.borrow_mut();
        if m.len() >= MEMO_CAP {
            m.clear();
        }
        m.insert(key.into(), v.clone());
        v
    })
}

/// [`fold_words_uncached`], memoised per thread: the result depends on the string alone.
fn fold_words(value: &str) -> String {
    memoised(&FOLDED, value, |v| fold_words_uncached(v).into()).into()
}

fn fold_opt(value: Option<&str>) -> Box<str> {
    value.map(fold_words).unwrap_or_default().into()
}

/// Reads the features of a subject; events are those attributed to it.
pub(crate) fn build(
    subject: &Subject,
    events: &[&Event],
    hasher: Option<&MinHasher>,
    placeholders_out: &mut Vec<Placeholder>,
) -> Record {
    let mut r = Record::default();
    // Names: given/family when the source separates them, else the last word is the family name.
    let (given, family) = match (&subject.name.given, &subject.name.family) {
        (None, None) => {
            let full = fold_words(&subject.name.full);
            let words: Vec<&str> = full.split(' ').filter(|w| !w.is_empty()).collect();
            match words.split_last() {
                Some((last, rest)) if !rest.is_empty() => (rest.join(" "), (*last).to_string()),
                Some((last, _)) => (String::new(), (*last).to_string()),
                None => (String::new(), String::new()),
            }
        }
        (g, f) => (fold_opt(g.as_deref()).into(), fold_opt(f.as_deref()).into()),
    };
    let keep_name = |s: String, comp, out: &mut Vec<Placeholder>| -> CompactString {
        if !s.is_empty() && is_placeholder(comp, &s) {
            out.push(Placeholder { comp, value: s });
            CompactString::default()
        } else {
            CompactString::from(s.as_str())
        }
    };
    r.given = keep_name(given, Comparison::GivenName, placeholders_out);
    r.family = keep_name(family, Comparison::FamilyName, placeholders_out);
    r.dob = attribute(subject, &attributes::DATE_OF_BIRTH).and_then(parse_dob);
    let mut text =
        |comp: Comparison, raw: Option<&str>, norm: fn(&str) -> String| -> Option<Box<str>> {
            let raw = raw?;
            if is_placeholder(comp, raw) {
                placeholders_out.push(Placeholder {
                    comp,
                    value: raw.to_string(),
                });
                return None;
            }
            Some(norm(raw)).filter(|s| !s.is_empty()).map(Into::into)
        };
    r.postcode = text(
        Comparison::Postcode,
        attribute(subject, &attributes::POSTCODE),
        squash,
    );
    let city = subject
        .claimed
        .city
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| attribute(subject, &attributes::CITY));
    r.city = text(Comparison::City, city, fold_words).map(|c| CompactString::from(&*c));
    r.id_number = text(
        Comparison::IdNumber,
        attribute(subject, &attributes::ID_NUMBER),
        squash,
    );
    // Exact keys, normalised by the identity crate.
    let mut keys: Vec<Key> = Vec::new();
    let push =
        |comp: Comparison, value: String, keys: &mut Vec<Key>, out: &mut Vec<Placeholder>| {
            if is_placeholder(comp, &value) {
                out.push(Placeholder { comp, value });
                return;
            }
            keys.push(Key {
                comp,
                hash: hash_value(comp, &value),
                value: value.into(),
            });
        };
    let identity_keys = linkage_keys(subject)
        .into_iter()
        .chain(events.iter().flat_map(|e| event_linkage_keys(e)));
    for k in identity_keys {
        let comp = match k.kind {
            "email" => Comparison::Email,
            "phone" => Comparison::Phone,
            "payout_account" | "wallet" => Comparison::Payout,
            "document" => Comparison::Document,
            "photo_hash" => {
                if let Some(h) = photo_u64(&k.value) {
                    r.photos.push(h);
                }
                Comparison::Photo
            }
            "reference_email" | "reference_phone" => Comparison::Reference,
            "shipping_address" => Comparison::Shipping,
            "profile_url" => Comparison::ProfileUrl,
            "home_address" => {
                if r.address.is_none() && !is_placeholder(Comparison::Address, &k.value) {
                    r.address = Some(k.value.clone().into());
                }
                continue;
            }
            _ => continue,
        };
        let value = if comp == Comparison::Reference {
            format!("{}:{}", k.kind.trim_start_matches("reference_"), k.value)
        } else {
            k.value
        };
        push(comp, value, &mut keys, placeholders_out);
    }
    for id in &subject.identifiers {
        if let Identifier::Device(_) = id {
            push(Comparison::Device, id.value(), &mut keys, placeholders_out);
        }
    }
    for e in events {
        if let redflag_model::EventKind::Endpoint(o) = &e.kind
            && !o.host.trim().is_empty()
        {
            push(
                Comparison::Device,
                o.host.trim().to_lowercase(),
                &mut keys,
                placeholders_out,
            );
        }
    }
    keys.sort();
    keys.dedup_by(|a, b| a.comp == b.comp && a.hash == b.hash);
    r.keys = keys;
    r.photos.sort_unstable();
    r.photos.dedup();
    r.derive_keys();
    if let (Some(h), Some(text)) = (
        hasher,
        subject
            .attributes
            .get(redflag_identity::attributes::RESUME_TEXT)
            .filter(|t| !t.trim().is_empty()),
    ) {
        let sig = h.signature(text);
        if !sig.is_empty() {
            r.resume = Some(sig.0.into_boxed_slice());
        }
    }
    r
}

/// A photo hash key's value (16 hex digits) as its 64 bits.
pub(crate) fn photo_u64(hex: &str) -> Option<u64> {
    if hex.len() != 16 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// The record's keys of one comparison.
pub(crate) fn keys_of(record: &Record, comp: Comparison) -> &[Key] {
    let start = record.keys.partition_point(|k| k.comp < comp);
    let end = record.keys.partition_point(|k| k.comp <= comp);
    &record.keys[start..end]
}

/// Adds an egress key (from [`crate::SharedValue`]s) to a record, keeping the keys sorted.
pub(crate) fn add_key(record: &mut Record, comp: Comparison, value: &str) {
    let key = Key {
        comp,
        hash: hash_value(comp, value),
        value: value.into(),
    };
    if let Err(pos) = record.keys.binary_search(&key) {
        record.keys.insert(pos, key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_hashes_give_the_values_hashes() {
        for text in ["anna", "12 MAIN ST SPRINGFIELD", "x"] {
            for comp in [
                Comparison::GivenName,
                Comparison::FamilyName,
                Comparison::City,
            ] {
                assert_eq!(
                    keyed(comp, text_key(text)),
                    hash_value(comp, text),
                    "{text}"
                );
            }
        }
        for date in [19870309u32, 20011231, 0, 7, 4_294_967_295] {
            assert_eq!(
                date_hash(date),
                hash_value(Comparison::DateOfBirth, &date.to_string()),
                "{date}"
            );
        }
    }

    fn check_dob(input: &str, expect: Option<u32>) {
        assert_eq!(parse_dob(input), expect, "{input}");
    }

    #[test]
    fn dates_of_birth() {
        check_dob("1987-03-09", Some(19870309));
        check_dob("19870309", Some(19870309));
        check_dob("09/03/1987", Some(19870309));
        check_dob("09.03.1987", Some(19870309));
        check_dob("1987-13-09", None);
        check_dob("N/A", None);
        check_dob("", None);
        check_dob("0000-00-00", None);
    }

    fn check_placeholder(comp: Comparison, value: &str, expect: bool) {
        assert_eq!(is_placeholder(comp, value), expect, "{value}");
    }

    /// The list-and-squash definition the one-pass check must agree with.
    fn placeholder_reference(value: &str) -> bool {
        let s = squash(value);
        if s.is_empty() || placeholders().contains(s.as_str()) {
            return true;
        }
        let digits: Vec<char> = s.chars().filter(char::is_ascii_digit).collect();
        digits.len() >= 6 && digits.len() == s.len() && digits[1..].iter().all(|d| *d == digits[1])
    }

    #[test]
    fn one_pass_placeholder_check_agrees_with_the_definition() {
        // The ASCII check squashes into 32 bytes on the stack.
        assert!(placeholder_max_len() <= 32);
        let mut values: Vec<String> = placeholders().iter().map(|p| p.to_uppercase()).collect();
        values.extend(
            [
                "",
                " ",
                "--",
                "+10000000000",
                "+1 000 000 0000",
                "0000000",
                "000000",
                "00000",
                "+19999999990",
                "1999999",
                "91111111",
                "19111111",
                "ÄÄÄÄÄÄ",
                "١١١١١١١",
                "N/A",
                "n.a.",
                "None",
                "unknown",
                "Ünknown",
                "12 Main St",
                "+14155550123",
                "x1111111",
                "1111111x",
                "İstanbul",
                "ß",
                "ǅ",
                "straße 1",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        for v in &values {
            for comp in [Comparison::Phone, Comparison::IdNumber, Comparison::City] {
                assert_eq!(is_placeholder(comp, v), placeholder_reference(v), "{v:?}");
            }
        }
    }

    #[test]
    fn folding_is_memoised_without_changing_it() {
        for v in [
            "  Jean-Luc   PICARD ",
            "Kim Jong Un",
            "O'Brien",
            "",
            "Łódź",
            "Kim Jong Un",
        ] {
            assert_eq!(fold_words(v), fold_words_uncached(v), "{v:?}");
        }
    }

    #[test]
    fn placeholders_are_recognised() {
        check_placeholder(Comparison::Phone, "+10000000000", true);
        check_placeholder(Comparison::Phone, "+14155550123", false);
        check_placeholder(Comparison::Email, "test@example.com", true);
        check_placeholder(Comparison::Email, "noreply@acme.io", true);
        check_placeholder(Comparison::Email, "jane@acme.io", false);
        check_placeholder(Comparison::IdNumber, "N/A", true);
        check_placeholder(Comparison::IdNumber, "0000000", true);
        check_placeholder(Comparison::IdNumber, "4829137", false);
        check_placeholder(Comparison::Shipping, "UNKNOWN", true);
    }
}
