//! [`Columns`]: the text columns of an endpoint row, kept in two allocations.

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// A small map from column name to text value, ordered by name, as an endpoint inventory row carries
/// (osquery's `name`, `version`, `path`, …).
///
/// It behaves like the `BTreeMap<String, String>` it replaces — [`iter`](Self::iter) yields entries in
/// key order, a later [`insert`](Self::insert) of a key replaces the earlier value, equality compares
/// entries, `Debug` and serde read and write the same JSON map — but holds every key and value in one
/// `String` buffer plus one `Vec` of spans sorted by key: two allocations per row where the map needed
/// a node and two strings per column. Readers of large inventories build millions of rows.
///
/// A replaced value stays in the buffer as unused bytes until the row is dropped; rows are built once
/// and read, so this is rare and small.
///
/// ```
/// use redflag_model::Columns;
///
/// let mut c = Columns::from([("version".to_string(), "1".to_string())]);
/// c.insert("name", "AnyDesk");
/// c.insert("version", "2");
/// assert_eq!(c.get("version"), Some("2"));
/// assert_eq!(c.iter().collect::<Vec<_>>(), [("name", "AnyDesk"), ("version", "2")]);
/// assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"name":"AnyDesk","version":"2"}"#);
/// ```
#[derive(Clone, Default)]
pub struct Columns {
    /// Every key and value, back to back.
    text: String,
    /// Where each entry's key and value are in `text`, sorted by key, keys unique.
    spans: Vec<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    /// The key's first eight bytes, big-endian, zero-padded: most comparisons end here, as integers.
    prefix: u64,
    key: (usize, usize),
    value: (usize, usize),
}

/// The first eight bytes of `key` as a big-endian integer, zero-padded, so that two prefixes that
/// differ order as their keys do (equal prefixes need the whole keys compared).
#[inline]
fn prefix(key: &[u8]) -> u64 {
    if let Some(head) = key.first_chunk::<8>() {
        return u64::from_be_bytes(*head);
    }
    // shorter keys byte by byte: a variable-length copy would be a `memcpy` call
    let mut head = 0u64;
    for (i, b) in key.iter().enumerate() {
        head |= u64::from(*b) << (56 - 8 * i);
    }
    head
}

impl Span {
    fn new(text: &str, key: (usize, usize), value: (usize, usize)) -> Self {
        let bytes = text.as_bytes().get(key.0..key.1).unwrap_or_default();
        Span {
            prefix: prefix(bytes),
            key,
            value,
        }
    }

    /// How this entry's key orders against `key` (whose prefix is `head`), its text in `text`.
    fn cmp_key(&self, text: &[u8], head: u64, key: &[u8]) -> std::cmp::Ordering {
        self.prefix
            .cmp(&head)
            .then_with(|| text.get(self.key()).unwrap_or_default().cmp(key))
    }

    fn key(self) -> Range<usize> {
        self.key.0..self.key.1
    }
    fn value(self) -> Range<usize> {
        self.value.0..self.value.1
    }
}

impl Columns {
    /// An empty row.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty row with room for `bytes` of keys and values and `entries` columns, so that filling
    /// it does not reallocate.
    pub fn with_capacity(bytes: usize, entries: usize) -> Self {
        Self {
            text: String::with_capacity(bytes),
            spans: Vec::with_capacity(entries),
        }
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the row has no column.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Where `key` is, or would go; keys arriving after the last (in order) are found without a search.
    fn find(&self, key: &str) -> Result<usize, usize> {
        let (text, key) = (self.text.as_bytes(), key.as_bytes());
        let head = prefix(key);
        match self.spans.last() {
            None => Err(0),
            Some(last) if last.cmp_key(text, head, key).is_lt() => Err(self.spans.len()),
            Some(_) => self.spans.binary_search_by(|s| s.cmp_key(text, head, key)),
        }
    }

    /// The value of column `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        let i = self.find(key).ok()?;
        self.spans.get(i).and_then(|s| self.text.get(s.value()))
    }

    /// Whether the row has column `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// The columns as `(key, value)`, in key order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            text: &self.text,
            spans: self.spans.iter(),
        }
    }

    /// Sets column `key` to `value`, replacing an earlier value of the same key; returns whether one
    /// was replaced. Keys arriving in order (as osquery writes them) are appended without a search.
    pub fn insert(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) -> bool {
        let value = value.as_ref();
        self.insert_with(key.as_ref(), |w| {
            w.push_str(value);
            Ok::<_, std::convert::Infallible>(())
        })
        .unwrap_or_else(|never| match never {})
    }

    /// Sets column `key` to the text `value` writes (appending straight into the row's buffer, so a
    /// reader decoding escapes needs no string of its own), replacing an earlier value of the same key;
    /// returns whether one was replaced. If `value` fails, the row is left as it was.
    ///
    /// ```
    /// use std::fmt::Write;
    /// let mut c = redflag_model::Columns::new();
    /// c.insert_with("pid", |w| write!(w, "{}", 42)).unwrap();
    /// let bad = c.insert_with("pid", |w| {
    ///     w.push_str("4");
    ///     Err("not a number")
    /// });
    /// assert_eq!(bad, Err("not a number"));
    /// assert_eq!(c.get("pid"), Some("42"));
    /// ```
    pub fn insert_with<E>(
        &mut self,
        key: &str,
        value: impl FnOnce(&mut ColumnWriter<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        let start = self.text.len();
        let at = self.find(key);
        let value_start = match at {
            Ok(_) => start,
            Err(_) => {
                self.text.push_str(key);
                self.text.len()
            }
        };
        if let Err(e) = value(&mut ColumnWriter(&mut self.text)) {
            self.text.truncate(start);
            return Err(e);
        }
        let value = (value_start, self.text.len());
        match at {
            Ok(i) => {
                if let Some(s) = self.spans.get_mut(i) {
                    s.value = value;
                }
                Ok(true)
            }
            Err(i) => {
                let span = Span::new(&self.text, (start, value_start), value);
                self.spans.insert(i, span);
                Ok(false)
            }
        }
    }

    /// Releases buffer space the row does not use when it is more than twice what it needs (for a
    /// reader that sized the buffer by an upper bound).
    pub fn shrink_slack(&mut self) {
        if self.text.capacity() > 2 * self.text.len() + 64 {
            self.text.shrink_to_fit();
        }
    }

    /// Adds a whole row's columns in the order they come (osquery writes them in its table's column
    /// order, not sorted), sorting once at the end — cheaper than an [`insert`](Self::insert) per
    /// column. A repeated key keeps its last value, as with `insert`. If `fill` fails, the row is left
    /// as it was.
    ///
    /// ```
    /// let mut c = redflag_model::Columns::new();
    /// c.fill(|row| {
    ///     row.push("pid", "42");
    ///     row.push_with("name", |w| {
    ///         w.push_str("a.exe");
    ///         Ok::<_, ()>(())
    ///     })
    /// })
    /// .unwrap();
    /// assert_eq!(c.iter().collect::<Vec<_>>(), [("name", "a.exe"), ("pid", "42")]);
    /// ```
    pub fn fill<E>(
        &mut self,
        fill: impl FnOnce(&mut RowFiller<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let (text_len, spans_len) = (self.text.len(), self.spans.len());
        let mut filler = RowFiller {
            text: &mut self.text,
            spans: &mut self.spans,
        };
        if let Err(e) = fill(&mut filler) {
            self.text.truncate(text_len);
            self.spans.truncate(spans_len);
            return Err(e);
        }
        self.settle();
        Ok(())
    }

    /// Restores the order of `spans` after entries were pushed at its end: sorted by key, one entry
    /// per key holding the value pushed last.
    fn settle(&mut self) {
        let text = self.text.as_bytes();
        let order = |a: &Span, b: &Span| {
            a.prefix.cmp(&b.prefix).then_with(|| {
                let key = |s: &Span| text.get(s.key()).unwrap_or_default();
                key(a).cmp(key(b))
            })
        };
        if self.spans.windows(2).all(|w| order(&w[0], &w[1]).is_lt()) {
            return;
        }
        // stable: equal keys stay in arrival order, so the last of a run is the latest value
        self.spans.sort_by(order);
        self.spans.dedup_by(|later, kept| {
            let same = order(later, kept).is_eq();
            if same {
                kept.value = later.value;
            }
            same
        });
    }
}

/// Adds columns to a [`Columns`] without keeping them sorted as they come (see [`Columns::fill`]).
pub struct RowFiller<'c> {
    text: &'c mut String,
    spans: &'c mut Vec<Span>,
}

impl RowFiller<'_> {
    /// Adds column `key` with `value`.
    pub fn push(&mut self, key: &str, value: &str) {
        let start = self.text.len();
        self.text.push_str(key);
        self.text.push_str(value);
        let mid = start + key.len();
        let span = Span::new(self.text, (start, mid), (mid, self.text.len()));
        self.spans.push(span);
    }

    /// Adds column `key` with the text `value` writes into the row's buffer; if it fails, nothing is
    /// added.
    pub fn push_with<E>(
        &mut self,
        key: &str,
        value: impl FnOnce(&mut ColumnWriter<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let start = self.text.len();
        self.text.push_str(key);
        let mid = self.text.len();
        if let Err(e) = value(&mut ColumnWriter(self.text)) {
            self.text.truncate(start);
            return Err(e);
        }
        let span = Span::new(self.text, (start, mid), (mid, self.text.len()));
        self.spans.push(span);
        Ok(())
    }
}

/// Appends a column's value to the buffer of a [`Columns`] (see [`Columns::insert_with`]); it can
/// only add text.
pub struct ColumnWriter<'c>(&'c mut String);

impl ColumnWriter<'_> {
    /// Appends `text` to the value.
    pub fn push_str(&mut self, text: &str) {
        self.0.push_str(text);
    }

    /// Appends `c` to the value.
    pub fn push(&mut self, c: char) {
        self.0.push(c);
    }
}

impl fmt::Write for ColumnWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.push_str(s);
        Ok(())
    }

    fn write_char(&mut self, c: char) -> fmt::Result {
        self.0.push(c);
        Ok(())
    }
}

/// The entries of [`Columns`] in key order.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    text: &'a str,
    spans: std::slice::Iter<'a, Span>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.spans.next()?;
        Some((
            self.text.get(s.key()).unwrap_or_default(),
            self.text.get(s.value()).unwrap_or_default(),
        ))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let s = self.spans.next_back()?;
        Some((
            self.text.get(s.key()).unwrap_or_default(),
            self.text.get(s.value()).unwrap_or_default(),
        ))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Columns {
    type Item = (&'a str, &'a str);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl PartialEq for Columns {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Columns {}

impl fmt::Debug for Columns {
    /// As a map, like `BTreeMap`'s: `{"name": "AnyDesk"}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Columns {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut c = Columns::new();
        c.extend(iter);
        c
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Extend<(K, V)> for Columns {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> From<[(K, V); N]> for Columns {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl Serialize for Columns {
    /// The JSON object `BTreeMap<String, String>` wrote: keys in order.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Appends a string value to the buffer and gives back where it went (no allocation of its own).
struct Append<'b>(&'b mut String);

impl<'de> DeserializeSeed<'de> for Append<'_> {
    type Value = Range<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Range<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for Append<'_> {
    type Value = Range<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // as serde's own `String` says, so errors read as the map's did
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Range<usize>, E> {
        let start = self.0.len();
        self.0.push_str(v);
        Ok(start..self.0.len())
    }
}

impl<'de> Deserialize<'de> for Columns {
    /// The JSON object `BTreeMap<String, String>` read; a repeated key keeps its last value.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Columns;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // as serde's own map impl says, so rejects read as before
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Columns, A::Error> {
                let mut c = Columns::with_capacity(0, access.size_hint().unwrap_or(0).min(64));
                while let Some(key) = access.next_key_seed(Append(&mut c.text))? {
                    let value = access.next_value_seed(Append(&mut c.text))?;
                    let span = Span::new(&c.text, (key.start, key.end), (value.start, value.end));
                    c.spans.push(span);
                }
                c.settle();
                Ok(c)
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Builds both a `Columns` and the `BTreeMap` it replaces from the same inserts, and checks that
    /// they agree on everything a reader sees.
    fn check(inserts: &[(&str, &str)], expect: &[(&str, &str)]) {
        let mut c = Columns::new();
        let mut m = BTreeMap::new();
        for (k, v) in inserts {
            let replaced = c.insert(*k, *v);
            assert_eq!(
                replaced,
                m.insert(k.to_string(), v.to_string()).is_some(),
                "{k}"
            );
        }
        let got: Vec<(&str, &str)> = c.iter().collect();
        assert_eq!(got, expect, "{inserts:?}");
        assert_eq!(c.len(), m.len());
        assert_eq!(c.is_empty(), m.is_empty());
        assert_eq!(c.iter().len(), m.len());
        let rev: Vec<_> = c.iter().rev().collect();
        let mrev: Vec<_> = m
            .iter()
            .rev()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(rev, mrev);
        for (k, v) in &m {
            assert_eq!(c.get(k), Some(v.as_str()), "{k}");
            assert!(c.contains_key(k));
        }
        for absent in ["", "zzz", "nam", "name2", "\u{0}"] {
            assert_eq!(
                c.get(absent),
                m.get(absent).map(String::as_str),
                "{absent:?}"
            );
            assert_eq!(c.contains_key(absent), m.contains_key(absent));
        }
        assert_eq!(format!("{c:?}"), format!("{m:?}"));
        assert_eq!(c, m.iter().collect::<Columns>());
        assert_eq!(c.clone(), c);
        // serde: the same JSON as the map, and back
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, serde_json::to_string(&m).unwrap());
        let back: Columns = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&m).unwrap()
        );
    }

    #[test]
    fn behaves_like_the_map() {
        check(&[], &[]);
        check(&[("name", "AnyDesk")], &[("name", "AnyDesk")]);
        // in order, out of order, reversed
        check(
            &[("a", "1"), ("b", "2"), ("c", "3")],
            &[("a", "1"), ("b", "2"), ("c", "3")],
        );
        check(
            &[("version", "7"), ("name", "x"), ("path", "/p")],
            &[("name", "x"), ("path", "/p"), ("version", "7")],
        );
        check(
            &[("c", "3"), ("b", "2"), ("a", "1")],
            &[("a", "1"), ("b", "2"), ("c", "3")],
        );
        // a later value replaces the earlier, first, middle and last key
        check(
            &[
                ("a", "1"),
                ("b", "2"),
                ("c", "3"),
                ("b", "two"),
                ("a", ""),
                ("c", "three"),
            ],
            &[("a", ""), ("b", "two"), ("c", "three")],
        );
        check(&[("k", "v"), ("k", "v")], &[("k", "v")]);
        // empty keys and values, prefixes of one another
        check(
            &[("", ""), ("na", "1"), ("n", "2"), ("name", "")],
            &[("", ""), ("n", "2"), ("na", "1"), ("name", "")],
        );
        // keys sharing their first eight bytes or more, or differing only by a NUL or their length
        check(
            &[
                ("install_location", "C:\\A"),
                ("install_date", "2024"),
                ("install_", "x"),
                ("install", "y"),
                ("install\u{0}", "nul"),
                ("install_location_2", "z"),
                ("install_date", "2025"),
            ],
            &[
                ("install", "y"),
                ("install\u{0}", "nul"),
                ("install_", "x"),
                ("install_date", "2025"),
                ("install_location", "C:\\A"),
                ("install_location_2", "z"),
            ],
        );
        // unicode, ordered by bytes as `String`'s `Ord` is
        check(
            &[
                ("ñame", "Ünïcode ✓"),
                ("zeta", "日本語"),
                ("Z", "upper"),
                ("é", "\u{1f600}"),
            ],
            &[
                ("Z", "upper"),
                ("zeta", "日本語"),
                ("é", "\u{1f600}"),
                ("ñame", "Ünïcode ✓"),
            ],
        );
        // escapes in JSON
        check(
            &[("path", "C:\\Program Files\\\"x\""), ("nl", "a\nb\u{1}")],
            &[("nl", "a\nb\u{1}"), ("path", "C:\\Program Files\\\"x\"")],
        );
    }

    /// `fill` gives what inserting one by one gives, for every order the data-driven cases use.
    #[test]
    fn fill_is_insert_in_one_go() {
        let cases: &[&[(&str, &str)]] = &[
            &[],
            &[
                ("pid", "1"),
                ("name", "a"),
                ("path", "C:\\x"),
                ("cmdline", "a -b"),
            ],
            &[("a", "1"), ("b", "2"), ("a", "3"), ("a", "4"), ("", "e")],
            &[("z", "1"), ("y", "2"), ("x", "3"), ("y", "4")],
            &[("é", "1"), ("e", "2"), ("ñ", "3")],
            &[
                ("abcdefghij", "1"),
                ("abcdefgh", "2"),
                ("abcdefghi", "3"),
                ("abcdefgh", "4"),
                ("abc\u{0}", "5"),
                ("abc", "6"),
            ],
        ];
        for case in cases {
            let one_by_one: Columns = case.iter().copied().collect();
            let mut filled = Columns::from([("y", "old"), ("m", "kept")]);
            let mut expect = filled.clone();
            expect.extend(case.iter().copied());
            filled
                .fill(|row| {
                    for (i, (k, v)) in case.iter().enumerate() {
                        if i % 2 == 0 {
                            row.push(k, v);
                        } else {
                            row.push_with(k, |w| {
                                w.push_str(v);
                                Ok::<_, ()>(())
                            })?;
                        }
                    }
                    Ok::<_, ()>(())
                })
                .unwrap();
            assert_eq!(filled, expect, "{case:?}");
            assert_eq!(format!("{filled:?}"), format!("{expect:?}"));
            let mut fresh = Columns::new();
            fresh
                .fill(|row| {
                    case.iter().for_each(|(k, v)| row.push(k, v));
                    Ok::<_, ()>(())
                })
                .unwrap();
            assert_eq!(fresh, one_by_one, "{case:?}");
            // a failure part-way leaves the row as it was
            let before = fresh.clone();
            let failed = fresh.fill(|row| {
                row.push("new", "x");
                row.push_with("bad", |w| {
                    w.push_str("partial");
                    Err("no")
                })
            });
            assert_eq!(failed, Err("no"));
            assert_eq!(fresh, before);
        }
    }

    #[test]
    fn insert_with_writes_in_place_and_undoes_a_failure() {
        let mut c = Columns::with_capacity(64, 4);
        assert_eq!(
            c.insert_with("b", |w| {
                w.push_str("tw");
                w.push('o');
                Ok::<_, ()>(())
            }),
            Ok(false)
        );
        assert_eq!(
            c.insert_with("a", |w| {
                w.push_str("junk");
                Err(())
            }),
            Err(())
        );
        assert_eq!(c.insert_with("b", |_| Err::<(), _>(7)), Err(7));
        assert_eq!(
            c.insert_with("a", |w| {
                w.push_str("1");
                Ok::<_, ()>(())
            }),
            Ok(false)
        );
        assert_eq!(
            c.insert_with("b", |w| {
                w.push_str("2");
                Ok::<_, ()>(())
            }),
            Ok(true)
        );
        assert_eq!(c.iter().collect::<Vec<_>>(), [("a", "1"), ("b", "2")]);
        assert_eq!(c, Columns::from([("a", "1"), ("b", "2")]));
        c.shrink_slack();
        assert_eq!(c, Columns::from([("a", "1"), ("b", "2")]));
    }

    /// Random rows (a fixed xorshift seed, so a failure replays) from keys that share long prefixes,
    /// differ by a NUL or a multi-byte character, built by `insert`, by `fill` and by serde: each
    /// agrees with the map on entries, order, lookups and JSON.
    #[test]
    fn random_rows_agree_with_the_map() {
        const PARTS: [&str; 8] = ["install_", "location", "a", "", "\u{0}", "é", "ñame", "_"];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..2_000 {
            let len = next(12);
            let entries: Vec<(String, String)> = (0..len)
                .map(|_| {
                    let key: String = (0..next(4)).map(|_| PARTS[next(PARTS.len())]).collect();
                    (key, next(100).to_string())
                })
                .collect();
            let map: BTreeMap<String, String> = entries.iter().cloned().collect();
            let by_insert: Columns = entries.iter().map(|(k, v)| (k, v)).collect();
            let mut by_fill = Columns::new();
            by_fill
                .fill(|row| {
                    entries.iter().for_each(|(k, v)| row.push(k, v));
                    Ok::<_, ()>(())
                })
                .unwrap();
            let json = serde_json::to_string(&map).unwrap();
            let by_serde: Columns = serde_json::from_str(&json).unwrap();
            for c in [&by_insert, &by_fill, &by_serde] {
                let got: Vec<(&str, &str)> = c.iter().collect();
                let want: Vec<(&str, &str)> =
                    map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                assert_eq!(got, want, "{entries:?}");
                assert_eq!(serde_json::to_string(c).unwrap(), json);
                for (k, _) in &entries {
                    assert_eq!(c.get(k), map.get(k).map(String::as_str));
                    let probe = format!("{k}_");
                    assert_eq!(c.contains_key(&probe), map.contains_key(&probe));
                }
            }
        }
    }

    #[test]
    fn constructors_and_default() {
        let empty = Columns::default();
        assert!(empty.is_empty());
        assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
        assert_eq!(format!("{empty:?}"), "{}");
        assert_eq!(empty, Columns::with_capacity(100, 4));
        let a = Columns::from([("b".to_string(), "2".to_string()), ("a".into(), "1".into())]);
        let b: Columns = [("a", "1"), ("b", "2")].into_iter().collect();
        let c = Columns::from([("a", "1"), ("b", "x"), ("b", "2")]);
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_ne!(a, Columns::from([("a", "1")]));
        assert_ne!(a, Columns::from([("a", "1"), ("b", "3")]));
        let mut d = Columns::new();
        d.extend([("b", "2"), ("a", "1")]);
        assert_eq!(a, d);
    }

    #[test]
    fn reads_what_the_map_read_and_rejects_what_it_rejected() {
        let check = |json: &str| {
            let c = serde_json::from_str::<Columns>(json).map_err(|e| e.to_string());
            let m =
                serde_json::from_str::<BTreeMap<String, String>>(json).map_err(|e| e.to_string());
            match (&c, &m) {
                (Ok(c), Ok(m)) => assert_eq!(*c, m.iter().collect::<Columns>(), "{json}"),
                _ => assert_eq!(c.as_ref().err(), m.as_ref().err(), "{json}"),
            }
        };
        for json in [
            "{}",
            r#"{"b":"2","a":"1"}"#,
            r#"{"a":"1","a":"2"}"#,
            r#"{"a":"x\u00e9\n"}"#,
            r#"{"a":1}"#,
            r#"{"a":null}"#,
            r#"{"a":["x"]}"#,
            "[]",
            "null",
            r#""text""#,
            r#"{"a":"1""#,
        ] {
            check(json);
        }
        // and from a borrowed-string deserializer other than JSON text: a `serde_json::Value`
        let v = serde_json::json!({"z": "1", "y": "2"});
        let c: Columns = serde_json::from_value(v).unwrap();
        assert_eq!(c.iter().collect::<Vec<_>>(), [("y", "2"), ("z", "1")]);
    }
}
