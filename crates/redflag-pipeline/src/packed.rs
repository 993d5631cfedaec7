//! Facts kept between a shard's per-subject stage and the end of a [`crate::ShardedRun`], packed.
//!
//! A subject's kept facts (the ones some rule reads: about 46 a subject, most with evidence that
//! names its record) took about 20 KB of heap each as `Vec<Fact>` — 20 GB for a million subjects,
//! the largest part of a sharded run's memory. Packed they are one compressed byte buffer a
//! subject: every string and number written one after the other (exact: floats by their bits), then
//! LZ4, which removes the fact names, labels and file paths that repeat from fact to fact. The
//! buffer is unpacked once, just before the subject is scored. Only this process reads the bytes, so
//! the format has no version and a failure to unpack is a bug, not bad input.

use chrono::{DateTime, Utc};
use redflag_model::{Evidence, Fact, FactValue, Provenance, SubjectId};

/// A subject's facts packed by [`PackedFacts::pack`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackedFacts(Vec<u8>);

/// Why packed facts could not be read back (a bug in this module, never bad input).
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// The compressed block is damaged.
    #[error("packed facts do not decompress: {0}")]
    Decompress(#[from] lz4_flex::block::DecompressError),
    /// The bytes end before the facts they announce.
    #[error("packed facts end early at byte {0}")]
    Truncated(usize),
    /// A string is not UTF-8.
    #[error("packed facts hold a string that is not UTF-8 at byte {0}")]
    NotUtf8(usize),
    /// An unknown tag.
    #[error("packed facts hold unknown tag {tag} at byte {at}")]
    Tag {
        /// The tag read.
        tag: u8,
        /// Where.
        at: usize,
    },
}

impl PackedFacts {
    /// Packs `facts` (in order).
    pub fn pack(facts: &[Fact]) -> Self {
        let mut w = Writer(Vec::with_capacity(facts.len() * 96));
        w.len(facts.len());
        for fact in facts {
            w.str(fact.subject.as_str());
            w.str(&fact.name);
            match &fact.value {
                FactValue::Bool(b) => {
                    w.byte(0);
                    w.byte(u8::from(*b));
                }
                FactValue::Int(i) => {
                    w.byte(1);
                    w.u64(*i as u64);
                }
                FactValue::Float(f) => {
                    w.byte(2);
                    w.u64(f.to_bits());
                }
                FactValue::Text(t) => {
                    w.byte(3);
                    w.str(t);
                }
                FactValue::TextList(list) => {
                    w.byte(4);
                    w.len(list.len());
                    for t in list {
                        w.str(t);
                    }
                }
                FactValue::IntList(list) => {
                    w.byte(5);
                    w.len(list.len());
                    for i in list {
                        w.u64(*i as u64);
                    }
                }
            }
            w.len(fact.evidence.len());
            for e in &fact.evidence {
                w.str(&e.label);
                w.str(&e.value);
                match &e.source {
                    None => w.byte(0),
                    Some(p) => {
                        w.byte(1);
                        w.str(&p.connector);
                        w.str(&p.source);
                        w.opt_u64(p.line);
                        w.opt_u64(p.byte_offset);
                        match p.ingested_at {
                            None => w.byte(0),
                            Some(t) => {
                                w.byte(1);
                                w.u64(t.timestamp() as u64);
                                w.u64(u64::from(t.timestamp_subsec_nanos()));
                            }
                        }
                    }
                }
            }
        }
        Self(lz4_flex::block::compress_prepend_size(&w.0))
    }

    /// The facts, as they were packed.
    pub fn unpack(&self) -> Result<Vec<Fact>, UnpackError> {
        let bytes = lz4_flex::block::decompress_size_prepended(&self.0)?;
        let mut r = Reader {
            bytes: &bytes,
            at: 0,
        };
        let count = r.len()?;
        let mut facts = Vec::with_capacity(count);
        for _ in 0..count {
            let subject = SubjectId::from_stored(r.string()?);
            let name = r.string()?;
            let at = r.at;
            let value = match r.byte()? {
                0 => FactValue::Bool(r.byte()? != 0),
                1 => FactValue::Int(r.u64()? as i64),
                2 => FactValue::Float(f64::from_bits(r.u64()?)),
                3 => FactValue::Text(r.string()?),
                4 => {
                    let n = r.len()?;
                    let mut list = Vec::with_capacity(n);
                    for _ in 0..n {
                        list.push(r.string()?);
                    }
                    FactValue::TextList(list)
                }
                5 => {
                    let n = r.len()?;
                    let mut list = Vec::with_capacity(n);
                    for _ in 0..n {
                        list.push(r.u64()? as i64);
                    }
                    FactValue::IntList(list)
                }
                tag => return Err(UnpackError::Tag { tag, at }),
            };
            let n = r.len()?;
            let mut evidence = Vec::with_capacity(n);
            for _ in 0..n {
                let label = r.string()?;
                let value = r.string()?;
                let at = r.at;
                let source = match r.byte()? {
                    0 => None,
                    1 => {
                        let connector = r.string()?;
                        let source = r.string()?;
                        let line = r.opt_u64()?;
                        let byte_offset = r.opt_u64()?;
                        let at = r.at;
                        let ingested_at = match r.byte()? {
                            0 => None,
                            1 => {
                                let secs = r.u64()? as i64;
                                let nanos = r.u64()?;
                                let nanos = u32::try_from(nanos)
                                    .map_err(|_| UnpackError::Truncated(r.at))?;
                                Some(
                                    DateTime::<Utc>::from_timestamp(secs, nanos)
                                        .ok_or(UnpackError::Truncated(r.at))?,
                                )
                            }
                            tag => return Err(UnpackError::Tag { tag, at }),
                        };
                        Some(Provenance {
                            connector: connector.into(),
                            source: source.into(),
                            line,
                            byte_offset,
                            ingested_at,
                        })
                    }
                    tag => return Err(UnpackError::Tag { tag, at }),
                };
                evidence.push(Evidence {
                    label,
                    value,
                    source,
                });
            }
            facts.push(Fact {
                subject,
                name,
                value,
                evidence,
            });
        }
        Ok(facts)
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing is held (never true once packed: the count is always written).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    /// LEB128: most lengths and small numbers take one byte.
    fn u64(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }

    fn opt_u64(&mut self, v: Option<u64>) {
        match v {
            None => self.byte(0),
            Some(v) => {
                self.byte(1);
                self.u64(v);
            }
        }
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, UnpackError> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or(UnpackError::Truncated(self.at))?;
        self.at += 1;
        Ok(b)
    }

    fn u64(&mut self) -> Result<u64, UnpackError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(UnpackError::Truncated(self.at))
    }

    fn len(&mut self) -> Result<usize, UnpackError> {
        let n = self.u64()?;
        // A length can never exceed what is left: guards the allocations above.
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.bytes.len() - self.at.min(self.bytes.len()))
            .ok_or(UnpackError::Truncated(self.at))
    }

    fn opt_u64(&mut self) -> Result<Option<u64>, UnpackError> {
        match self.byte()? {
            0 => Ok(None),
            _ => Ok(Some(self.u64()?)),
        }
    }

    fn string(&mut self) -> Result<String, UnpackError> {
        let n = self.len()?;
        let start = self.at;
        let slice = self
            .bytes
            .get(start..start + n)
            .ok_or(UnpackError::Truncated(start))?;
        self.at += n;
        String::from_utf8(slice.to_vec()).map_err(|_| UnpackError::NotUtf8(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(subject: &str, name: &str, value: FactValue, evidence: Vec<Evidence>) -> Fact {
        Fact {
            subject: SubjectId::from_stored(subject.to_string()),
            name: name.to_string(),
            value,
            evidence,
        }
    }

    fn sample() -> Vec<Fact> {
        let mut with_source = Evidence::new("sign-in from 203.0.113.7", "Astrill exit, 2026-05-04");
        with_source.source = Some(Provenance {
            connector: "okta".into(),
            source: "/data/okta_system_log.ndjson".into(),
            line: Some(u64::MAX),
            byte_offset: Some(0),
            ingested_at: DateTime::<Utc>::from_timestamp(1_780_000_000, 123_456_789),
        });
        let mut no_line = Evidence::new("résumé", "passage «shared» ✓");
        no_line.source = Some(Provenance {
            connector: "people-csv".into(),
            source: "".into(),
            line: None,
            byte_offset: None,
            ingested_at: None,
        });
        vec![
            fact("hr:1", "net.vpn", FactValue::Bool(true), vec![]),
            fact(
                "hr:1",
                "net.count",
                FactValue::Int(i64::MIN),
                vec![with_source],
            ),
            fact("hr:1", "net.share", FactValue::Float(-0.0), vec![no_line]),
            fact("hr:1", "tz.hours", FactValue::Float(f64::NAN), vec![]),
            fact("hr:1", "tz.offset", FactValue::Float(0.1 + 0.2), vec![]),
            fact("hr:1", "id.name", FactValue::Text(String::new()), vec![]),
            fact(
                "hr:2",
                "id.list",
                FactValue::TextList(vec!["a".into(), "".into(), "金正恩".into()]),
                vec![Evidence::new("", "")],
            ),
            fact(
                "hr:1",
                "id.ints",
                FactValue::IntList(vec![0, -1, i64::MAX, 127, 128]),
                vec![],
            ),
        ]
    }

    /// Equal bit for bit (`PartialEq` on facts would call NaN unequal to itself).
    fn same(a: &[Fact], b: &[Fact]) -> bool {
        format!("{a:?}") == format!("{b:?}")
            && a.iter().zip(b).all(|(x, y)| match (&x.value, &y.value) {
                (FactValue::Float(p), FactValue::Float(q)) => p.to_bits() == q.to_bits(),
                _ => x == y,
            })
    }

    #[test]
    fn facts_unpack_as_they_were_packed() {
        let facts = sample();
        let packed = PackedFacts::pack(&facts);
        assert!(same(&packed.unpack().unwrap(), &facts));
        assert!(PackedFacts::pack(&[]).unpack().unwrap().is_empty());
    }

    #[test]
    fn repeated_facts_pack_small() {
        let facts: Vec<Fact> = (0..40).flat_map(|_| sample()).collect();
        let packed = PackedFacts::pack(&facts);
        let plain: usize = format!("{facts:?}").len();
        assert!(packed.len() * 10 < plain, "{} of {plain}", packed.len());
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let packed = PackedFacts::pack(&sample());
        let raw = lz4_flex::block::decompress_size_prepended(&packed.0).unwrap();
        for cut in 0..raw.len() {
            let short = PackedFacts(lz4_flex::block::compress_prepend_size(&raw[..cut]));
            assert!(short.unpack().is_err(), "cut at {cut}");
        }
        let mut bad_tag = raw.clone();
        // The first value tag: after the count, the subject and the name.
        let tag_at = 1 + 1 + "hr:1".len() + 1 + "net.vpn".len();
        bad_tag[tag_at] = 9;
        let bad = PackedFacts(lz4_flex::block::compress_prepend_size(&bad_tag));
        assert!(matches!(
            bad.unpack(),
            Err(UnpackError::Tag { tag: 9, at }) if at == tag_at
        ));
        assert!(PackedFacts(vec![1, 2, 3]).unpack().is_err());
    }
}
