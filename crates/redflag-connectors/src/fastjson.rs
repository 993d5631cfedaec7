//! A strict, borrowing JSON pull parser for the hot path of the JSON connectors.
//!
//! The connectors read a handful of fields out of records of forty or more. serde_json decodes every
//! key and walks every skipped value through its visitor machinery; this parser validates the record
//! (UTF-8 once, then the JSON grammar) and hands out the few fields asked for as borrowed `&str`, with
//! one byte loop over everything else.
//!
//! **It never decides a reject.** Whenever something is not plainly valid and plainly what the caller
//! expects (an escape in a wanted string or in any key, a `\u` surrogate, a wanted field of another
//! type, a duplicate wanted field, deep nesting, a number that is not a small integer where one is
//! read, …) it returns [`Bail`], and the caller parses the record again with serde_json, which accepts
//! it or produces the precise error with its JSON path. It is at least as strict as serde_json, so a
//! record it accepts, serde_json accepts with the same values (a property test checks this).

use std::borrow::Cow;
use std::cell::RefCell;

use crate::simd::{Preclassified, StringStops};

/// "Read this record with serde_json instead."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bail;

/// The outcome of a fast-path step.
pub(crate) type Fast<T> = Result<T, Bail>;

/// Deeper nesting than this bails (serde_json's own limit is 128).
const MAX_DEPTH: u32 = 100;

thread_local! {
    /// The string-stop index's storage, lent to one parser at a time (no allocation per record).
    static STOPS: RefCell<StringStops> = RefCell::new(StringStops::default());
}

/// A cursor over one JSON record.
pub(crate) struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    depth: u32,
    /// Where each string of the record can end (quotes, backslashes, control characters), found for
    /// the whole record at once, so a string's end is one lookup.
    stops: StringStops,
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        let stops = std::mem::take(&mut self.stops);
        STOPS.with(|s| *s.borrow_mut() = stops);
    }
}

impl<'a> Parser<'a> {
    /// A parser over a record, which must be valid UTF-8.
    #[cfg(test)]
    pub(crate) fn new(bytes: &'a [u8]) -> Fast<Self> {
        Self::with_stops(bytes, None)
    }

    /// [`Parser::new`], taking over the string stops the array framer found in the record.
    pub(crate) fn with_stops(bytes: &'a [u8], pre: Option<Preclassified<'_>>) -> Fast<Self> {
        let text = std::str::from_utf8(bytes).map_err(|_| Bail)?;
        let mut stops = STOPS.with(|s| std::mem::take(&mut *s.borrow_mut()));
        stops.build_with(bytes, pre);
        Ok(Self {
            text,
            b: bytes,
            i: 0,
            depth: 0,
            stops,
        })
    }

    /// The record's bytes `start..end` as text (a string's inside, a number), or [`Bail`] when that
    /// is not on character boundaries.
    #[inline(always)]
    fn str_at(&self, start: usize, end: usize) -> Fast<&'a str> {
        self.text.get(start..end).ok_or(Bail)
    }

    #[inline(always)]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// The next value's first byte (after white space), not consumed.
    #[inline(always)]
    pub(crate) fn peek(&mut self) -> Fast<u8> {
        // records are mostly written without white space: anything above a space is the next byte
        if let Some(&c) = self.b.get(self.i)
            && c > b' '
        {
            return Ok(c);
        }
        self.ws();
        self.b.get(self.i).copied().ok_or(Bail)
    }

    /// Consumes the `:` after a key (straight away when it follows the key without white space).
    #[inline(always)]
    fn colon(&mut self) -> Fast<()> {
        if self.b.get(self.i) != Some(&b':') && self.peek()? != b':' {
            return Err(Bail);
        }
        self.i += 1;
        Ok(())
    }

    /// After the top-level value: only white space may remain.
    pub(crate) fn finish(mut self) -> Fast<()> {
        self.ws();
        if self.i == self.b.len() {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Reads an object, calling `field(parser, index)` for each key found in `names` (its index there)
    /// and skipping the others. The callback must consume the value. A wanted key seen twice bails (the
    /// derive rejects duplicate fields). Returns the set of indices seen, as bits.
    #[inline(always)]
    pub(crate) fn object(
        &mut self,
        names: &[&str],
        field: impl FnMut(&mut Self, usize) -> Fast<()>,
    ) -> Fast<u64> {
        // computed where the call is inlined, so for the literal name lists of the readers they are
        // constants instead of two loops over the names on every object read
        let lengths = names.iter().fold(0u64, |m, n| m | 1 << n.len().min(63));
        let firsts = names.iter().fold(0u64, |m, n| {
            m | n.as_bytes().first().map_or(0, |&c| 1 << (c & 63))
        });
        self.object_masked(names, lengths, firsts, field)
    }

    /// [`Self::object`] with the bit sets of the names' lengths and first bytes (low six bits).
    fn object_masked(
        &mut self,
        names: &[&str],
        lengths: u64,
        firsts: u64,
        mut field: impl FnMut(&mut Self, usize) -> Fast<()>,
    ) -> Fast<u64> {
        if self.peek()? != b'{' {
            return Err(Bail);
        }
        self.enter()?;
        self.i += 1;
        let mut seen = 0u64;
        if self.peek()? == b'}' {
            self.i += 1;
            self.depth -= 1;
            return Ok(seen);
        }
        loop {
            if self.peek()? != b'"' {
                return Err(Bail);
            }
            let (start, end, escaped) = self.span()?;
            if escaped {
                return Err(Bail);
            }
            let key = &self.b[start..end];
            self.colon()?;
            // most keys are not wanted: bit tests on the length and the first byte rule out most
            let wanted = (lengths >> key.len().min(63)) & 1 == 1
                && key.first().is_some_and(|&c| (firsts >> (c & 63)) & 1 == 1);
            let found = if wanted {
                names.iter().position(|n| same_key(n.as_bytes(), key))
            } else {
                None
            };
            match found {
                Some(k) => {
                    let bit = 1u64 << k;
                    if seen & bit != 0 {
                        return Err(Bail);
                    }
                    seen |= bit;
                    field(self, k)?;
                }
                None => self.skip_value()?,
            }
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(seen);
                }
                _ => return Err(Bail),
            }
        }
    }

    /// Reads a map of string keys (escapes decoded), calling `entry(parser, key)` for each; the
    /// callback consumes the value.
    pub(crate) fn map(
        &mut self,
        mut entry: impl FnMut(&mut Self, Cow<'a, str>) -> Fast<()>,
    ) -> Fast<()> {
        if self.peek()? != b'{' {
            return Err(Bail);
        }
        self.enter()?;
        self.i += 1;
        if self.peek()? == b'}' {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            if self.peek()? != b'"' {
                return Err(Bail);
            }
            let key = self.cow()?;
            self.colon()?;
            entry(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(Bail),
            }
        }
    }

    /// Reads an array, calling `item(parser)` for each element; the callback consumes it.
    pub(crate) fn array(&mut self, mut item: impl FnMut(&mut Self) -> Fast<()>) -> Fast<()> {
        if self.peek()? != b'[' {
            return Err(Bail);
        }
        self.enter()?;
        self.i += 1;
        if self.peek()? == b']' {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(Bail),
            }
        }
    }

    /// Whether the next value is `null` (consumed if so).
    #[inline(always)]
    pub(crate) fn null(&mut self) -> Fast<bool> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// A string (escapes decoded, borrowed when it has none), or `None` for `null`; anything else
    /// bails.
    #[inline(always)]
    pub(crate) fn cow_or_null(&mut self) -> Fast<Option<Cow<'a, str>>> {
        match self.peek()? {
            b'"' => self.cow().map(Some),
            b'n' => {
                self.literal(b"null")?;
                Ok(None)
            }
            _ => Err(Bail),
        }
    }

    /// At an opening quote: the string, escapes decoded (borrowed when it has none).
    #[inline(always)]
    pub(crate) fn cow(&mut self) -> Fast<Cow<'a, str>> {
        let start = self.i + 1;
        match self.raw_string()? {
            Some(text) => Ok(Cow::Borrowed(text)),
            None => decode(self.str_at(start, self.i - 1)?).map(Cow::Owned),
        }
    }

    /// A string without escapes; anything else bails.
    #[inline(always)]
    pub(crate) fn string(&mut self) -> Fast<&'a str> {
        if self.peek()? != b'"' {
            return Err(Bail);
        }
        self.raw_string()?.ok_or(Bail)
    }

    /// An integer that fits an `i64` comfortably (at most 18 digits, not `-0`), or `None` for `null`.
    pub(crate) fn int_or_null(&mut self) -> Fast<Option<i64>> {
        match self.peek()? {
            b'n' => {
                self.literal(b"null")?;
                Ok(None)
            }
            b'-' | b'0'..=b'9' => self.small_int().map(|(n, _)| Some(n)),
            _ => Err(Bail),
        }
    }

    /// A scalar as osquery's column reader keeps it: the string, an integer's digits, `true`/`false`,
    /// or empty for `null`. Floats, large numbers, arrays and objects bail.
    pub(crate) fn scalar_text(&mut self) -> Fast<Cow<'a, str>> {
        match self.peek()? {
            b'"' => self.cow(),
            b'n' => {
                self.literal(b"null")?;
                Ok(Cow::Borrowed(""))
            }
            b't' => {
                self.literal(b"true")?;
                Ok(Cow::Borrowed("true"))
            }
            b'f' => {
                self.literal(b"false")?;
                Ok(Cow::Borrowed("false"))
            }
            b'-' | b'0'..=b'9' => self.small_int().map(|(_, s)| Cow::Borrowed(s)),
            _ => Err(Bail),
        }
    }

    /// [`Self::scalar_text`] appended to `out`, decoding escapes straight into it (no string of its
    /// own).
    pub(crate) fn scalar_text_into(&mut self, out: &mut impl std::fmt::Write) -> Fast<()> {
        if self.peek()? == b'"' {
            let (start, end, escaped) = self.span()?;
            let inside = self.str_at(start, end)?;
            return if escaped {
                decode_into(inside, out)
            } else {
                out.write_str(inside).map_err(|_| Bail)
            };
        }
        let text = self.scalar_text()?;
        out.write_str(&text).map_err(|_| Bail)
    }

    /// How many bytes of the record are left to read: an upper bound on the text of what follows.
    pub(crate) fn remaining(&self) -> usize {
        self.b.len().saturating_sub(self.i)
    }

    fn small_int(&mut self) -> Fast<(i64, &'a str)> {
        let start = self.i;
        let negative = self.b.get(self.i) == Some(&b'-');
        if negative {
            self.i += 1;
        }
        let digits_start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let digits = &self.b[digits_start..self.i];
        if digits.is_empty()
            || digits.len() > 18
            || (digits[0] == b'0' && (digits.len() > 1 || negative))
            || matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E'))
        {
            return Err(Bail);
        }
        let mut n: i64 = 0;
        for d in digits {
            n = n * 10 + i64::from(d - b'0');
        }
        Ok((if negative { -n } else { n }, self.str_at(start, self.i)?))
    }

    /// [`Self::skip`] with the commonest value, a string, read in place (no call, no second dispatch).
    #[inline(always)]
    fn skip_value(&mut self) -> Fast<()> {
        if self.peek()? == b'"' {
            self.span().map(|_| ())
        } else {
            self.skip()
        }
    }

    /// Skips one value of any kind, validating it.
    pub(crate) fn skip(&mut self) -> Fast<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => {
                self.enter()?;
                self.i += 1;
                if self.peek()? == b'}' {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                loop {
                    if self.peek()? != b'"' {
                        return Err(Bail);
                    }
                    self.span()?;
                    self.colon()?;
                    self.skip_value()?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            self.depth -= 1;
                            return Ok(());
                        }
                        _ => return Err(Bail),
                    }
                }
            }
            b'[' => self.array(Self::skip),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => Err(Bail),
        }
    }

    fn enter(&mut self) -> Fast<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(Bail)
        } else {
            Ok(())
        }
    }

    fn literal(&mut self, word: &[u8]) -> Fast<()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    fn skip_number(&mut self) -> Fast<()> {
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.b.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i - s
        };
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(Bail),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(Bail);
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(Bail);
            }
        }
        Ok(())
    }

    /// At an opening quote: the string's text when it has no escapes, `None` when it has (valid ones;
    /// the string is consumed either way). Control characters and bad escapes bail.
    #[inline(always)]
    fn raw_string(&mut self) -> Fast<Option<&'a str>> {
        let (start, end, escaped) = self.span()?;
        if escaped {
            Ok(None)
        } else {
            self.str_at(start, end).map(Some)
        }
    }

    /// At an opening quote: consumes the string, checking its escapes; the byte range of its inside
    /// and whether it has escapes. Control characters and bad escapes bail.
    #[inline(always)]
    fn span(&mut self) -> Fast<(usize, usize, bool)> {
        let start = self.i + 1;
        let mut at = start;
        let mut escaped = false;
        loop {
            at = self.stops.next(at).ok_or(Bail)?;
            match self.b.get(at) {
                Some(b'"') => {
                    self.i = at + 1;
                    return Ok((start, at, escaped));
                }
                Some(b'\\') => {
                    escaped = true;
                    self.i = at;
                    self.escape()?;
                    at = self.i;
                }
                _ => return Err(Bail),
            }
        }
    }

    fn skip_string(&mut self) -> Fast<()> {
        self.span().map(|_| ())
    }

    /// At a backslash inside a string: checks and consumes the escape. `\u` escapes of surrogates bail
    /// (serde_json's handling of unpaired ones is its own to report).
    fn escape(&mut self) -> Fast<()> {
        match self.b.get(self.i + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.i += 2;
                Ok(())
            }
            Some(b'u') => {
                let hex = self.b.get(self.i + 2..self.i + 6).ok_or(Bail)?;
                let mut v: u32 = 0;
                for h in hex {
                    v = v * 16 + char::from(*h).to_digit(16).ok_or(Bail)?;
                }
                if (0xD800..=0xDFFF).contains(&v) {
                    return Err(Bail);
                }
                self.i += 6;
                Ok(())
            }
            _ => Err(Bail),
        }
    }
}

/// Whether two keys are equal, without a `memcmp` call for the short keys records are made of (the
/// call cost ~4 % of Azure Monitor parsing, a compare per key whose length matches a wanted one): up
/// to 16 bytes are two overlapping word compares.
#[inline(always)]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word8 = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let word4 = |s: &[u8], at: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&s[at..at + 4]);
        u32::from_le_bytes(w)
    };
    if n >= 8 {
        word8(a, 0) == word8(b, 0)
            && word8(a, n - 8) == word8(b, n - 8)
            && (n <= 16 || a[8..n - 8] == b[8..n - 8])
    } else if n >= 4 {
        word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4)
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
    }
}

/// Decodes the escapes of a string's inside, already checked by [`Parser::escape`] (no surrogates).
fn decode(inside: &str) -> Fast<String> {
    let mut out = String::with_capacity(inside.len());
    decode_into(inside, &mut out)?;
    Ok(out)
}

/// [`decode`], appending to `out`.
fn decode_into(inside: &str, out: &mut impl std::fmt::Write) -> Fast<()> {
    let mut rest = inside;
    while let Some(k) = memchr::memchr(b'\\', rest.as_bytes()) {
        let plain = rest.get(..k).ok_or(Bail)?;
        out.write_str(plain).map_err(|_| Bail)?;
        let esc = rest.as_bytes().get(k + 1).copied().ok_or(Bail)?;
        let mut used = 2;
        let c = match esc {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hex = rest.get(k + 2..k + 6).ok_or(Bail)?;
                let v = u32::from_str_radix(hex, 16).map_err(|_| Bail)?;
                used = 6;
                char::from_u32(v).ok_or(Bail)?
            }
            _ => return Err(Bail),
        };
        out.write_char(c).map_err(|_| Bail)?;
        rest = rest.get(k + used..).ok_or(Bail)?;
    }
    out.write_str(rest).map_err(|_| Bail)
}

/// Test support: the records of a fixture file, and the check that the fast path agrees with serde.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod equivalence {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use crate::framing::JsonFramer;

    /// `base` with `edits` applied in order: (position, 0 replace / 1 remove / else insert, index
    /// into `alphabet`); positions wrap around the current length.
    pub(crate) fn mutated(base: &[u8], edits: &[(usize, u8, usize)], alphabet: &[u8]) -> Vec<u8> {
        let mut bytes = base.to_vec();
        for &(at, op, b) in edits {
            let at = at % (bytes.len() + 1);
            match op {
                0 if at < bytes.len() => bytes[at] = alphabet[b],
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, alphabet[b]),
            }
        }
        bytes
    }

    /// The records of a JSON export, as the framer hands them out.
    pub(crate) fn records(file: &str) -> Vec<Vec<u8>> {
        let mut framer = JsonFramer::new(file.as_bytes());
        let mut out = Vec::new();
        while let Some(r) = framer.next_record() {
            out.push(r.unwrap().bytes.to_vec());
        }
        out
    }

    const BYTES: &[u8] = b"\"\\{}[],:0-1.eEnulltrue \n\x01\xffu/";

    /// Feeds the base records, and random mutations of them, to both paths: wherever the fast path
    /// gives a value, serde must give the same one (compared through `Debug`). Also requires the fast
    /// path to accept every base record serde accepts, so the check cannot pass by always bailing.
    pub(crate) fn check(
        base: &[Vec<u8>],
        fast: impl Fn(&[u8]) -> Option<String>,
        serde: impl Fn(&[u8]) -> Option<String>,
    ) {
        let mut accepted = 0;
        for record in base {
            let (f, s) = (fast(record), serde(record));
            if s.is_some() {
                accepted += 1;
                assert!(
                    f.is_some(),
                    "fast path bailed on {}",
                    String::from_utf8_lossy(record)
                );
            }
            assert!(f.is_none() || f == s, "{}", String::from_utf8_lossy(record));
        }
        assert!(accepted > 0, "no base record is valid");
        let mut runner = TestRunner::new(Config {
            cases: 3000,
            failure_persistence: None,
            ..Config::default()
        });
        let edits = proptest::collection::vec((any::<usize>(), 0u8..3, 0..BYTES.len()), 1..4);
        runner
            .run(&(0..base.len(), edits), |(i, edits)| {
                let bytes = mutated(&base[i], &edits, BYTES);
                if let Some(f) = fast(&bytes) {
                    prop_assert_eq!(
                        Some(f),
                        serde(&bytes),
                        "{}",
                        String::from_utf8_lossy(&bytes)
                    );
                }
                Ok(())
            })
            .unwrap();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Reads `{"a": <string or null>, "n": <int or null>}` with everything else skipped.
    fn read(text: &str) -> Fast<(Option<Cow<'_, str>>, Option<i64>)> {
        let mut p = Parser::new(text.as_bytes())?;
        let mut a = None;
        let mut n = None;
        p.object(&["a", "n"], |p, k| {
            match k {
                0 => a = p.cow_or_null()?,
                _ => n = p.int_or_null()?,
            }
            Ok(())
        })?;
        p.finish()?;
        Ok((a, n))
    }

    fn check(text: &str, expect: Fast<(Option<&str>, Option<i64>)>) {
        let got = read(text).map(|(a, n)| (a.map(Cow::into_owned), n));
        assert_eq!(
            got,
            expect.map(|(a, n)| (a.map(str::to_string), n)),
            "{text}"
        );
    }

    #[test]
    fn reads_wanted_fields_and_bails_on_anything_doubtful() {
        check(
            r#"{"x":[1,-2.5e3,{"y":"z\n\u00e9"},true,false,null],"a":"b","n":42}"#,
            Ok((Some("b"), Some(42))),
        );
        check(r#" { "a" : null } "#, Ok((None, None)));
        check("{}", Ok((None, None)));
        // escapes in a wanted string are decoded
        check(r#"{"a":"b\n\u00e9\\\/\""}"#, Ok((Some("b\né\\/\""), None)));
        // escaped keys, duplicates, wrong types, trailing bytes, bad grammar
        check(r#"{"\u0061":"b"}"#, Err(Bail));
        check(r#"{"a":"b","a":"c"}"#, Err(Bail));
        check(r#"{"a":1}"#, Err(Bail));
        check(r#"{"n":1.5}"#, Err(Bail));
        check(r#"{"n":-0}"#, Err(Bail));
        check(r#"{"a":"b"} x"#, Err(Bail));
        check(r#"{"a":"b",}"#, Err(Bail));
        check(r#"{"x":01}"#, Err(Bail));
        check(r#"{"x":1.}"#, Err(Bail));
        check(r#"{"x":"\ud800"}"#, Err(Bail));
        check(r#"{"x":"\q"}"#, Err(Bail));
        check("{\"x\":\"a\u{1}b\"}", Err(Bail));
        check(r#"{"x":tru}"#, Err(Bail));
        check(r#"{"a":"b""#, Err(Bail));
        check(r#"["a"]"#, Err(Bail));
        assert!(Parser::new(b"{\"a\":\"\xff\"}").is_err());
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(200), "]".repeat(200));
        check(&deep, Err(Bail));
    }

    #[test]
    fn key_compare_matches_slice_equality() {
        let words: Vec<Vec<u8>> = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abce",
            "bbcd",
            "abcdefg",
            "abcdefh",
            "bbcdefg",
            "abcdefgh",
            "abcdefgi",
            "bbcdefgh",
            "abcdefghijklmnop",
            "abcdefghijklmnoq",
            "abcdefghXjklmnop",
            "bbcdefghijklmnop",
            "abcdefghijklmnopq",
            "abcdefghiXklmnopq",
            "abcdefghijklmnopr",
            "createdDateTime",
            "userPrincipalName",
            "properties",
        ]
        .iter()
        .map(|w| w.as_bytes().to_vec())
        .collect();
        for a in &words {
            for b in &words {
                assert_eq!(same_key(a, b), a == b, "{a:?} {b:?}");
            }
        }
        // every single-byte change at every position of every length up to 40
        for n in 0..40usize {
            let a: Vec<u8> = (0..n).map(|k| b'a' + (k % 26) as u8).collect();
            assert!(same_key(&a, &a));
            for k in 0..n {
                let mut b = a.clone();
                b[k] ^= 0x20;
                assert!(!same_key(&a, &b), "{n} {k}");
            }
        }
    }
}
