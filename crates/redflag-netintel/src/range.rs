//! Sorted, non-overlapping IP ranges with a two-level lookup: a 65,536-entry bucket index on the top 16
//! bits of the key narrows a binary search to the few ranges that start in the same bucket. Built once,
//! never mutated, shared by reference across threads; a lookup reads three arrays and allocates nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Maps IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) to IPv4, so both spellings find the same data.
#[inline]
pub fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// A key type of a range table: `u32` for IPv4, `u128` for IPv6.
pub trait RangeKey: Copy + Ord + Send + Sync + 'static {
    /// The bucket of the index: the top 16 bits.
    fn bucket(self) -> usize;
    /// The next key, or `None` at the top of the space.
    fn next(self) -> Option<Self>;
}

impl RangeKey for u32 {
    #[inline]
    fn bucket(self) -> usize {
        (self >> 16) as usize
    }
    fn next(self) -> Option<Self> {
        self.checked_add(1)
    }
}

impl RangeKey for u128 {
    #[inline]
    fn bucket(self) -> usize {
        (self >> 112) as usize
    }
    fn next(self) -> Option<Self> {
        self.checked_add(1)
    }
}

const BUCKETS: usize = 1 << 16;

/// Tables with fewer ranges than this get no bucket index.
const SMALL: usize = 4096;

/// Ranges over one key type.
#[derive(Debug, Clone)]
pub struct Ranges<K, V> {
    starts: Vec<K>,
    ends: Vec<K>,
    values: Vec<V>,
    /// `index[b]` is the first range whose start is in bucket `b` or later; `BUCKETS + 1` entries.
    index: Vec<u32>,
}

impl<K: RangeKey, V> Ranges<K, V> {
    /// Builds from inclusive `(start, end, value)` rows in any order. Where rows overlap, the row with the
    /// lower start keeps the overlap (ties: the longer row), and the other is clipped or dropped, so the
    /// result answers one value per address. Rows with `end < start` are dropped.
    pub fn build(mut rows: Vec<(K, K, V)>) -> Self {
        rows.retain(|(s, e, _)| s <= e);
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut starts = Vec::with_capacity(rows.len());
        let mut ends = Vec::with_capacity(rows.len());
        let mut values = Vec::with_capacity(rows.len());
        let mut last_end: Option<K> = None;
        for (mut start, end, value) in rows {
            if let Some(prev) = last_end {
                if end <= prev {
                    continue;
                }
                if start <= prev {
                    match prev.next() {
                        Some(n) => start = n,
                        None => continue,
                    }
                }
            }
            starts.push(start);
            ends.push(end);
            values.push(value);
            last_end = Some(end);
        }
        // Small tables (the named sets) are searched whole: their few starts stay in cache, whereas a
        // 256 KiB index per table would cost a cache miss per set on every lookup.
        if starts.len() < SMALL {
            return Self {
                starts,
                ends,
                values,
                index: Vec::new(),
            };
        }
        let mut index = vec![0u32; BUCKETS + 1];
        let mut i = 0usize;
        for (b, slot) in index.iter_mut().enumerate() {
            while i < starts.len() && starts[i].bucket() < b {
                i += 1;
            }
            *slot = i as u32;
        }
        Self {
            starts,
            ends,
            values,
            index,
        }
    }

    /// The value of the range holding `key`.
    #[inline]
    pub fn get(&self, key: K) -> Option<&V> {
        let (lo, hi) = if self.index.is_empty() {
            (0, self.starts.len())
        } else {
            let b = key.bucket();
            (self.index[b] as usize, self.index[b + 1] as usize)
        };
        let p = lo + self.starts[lo..hi].partition_point(|s| *s <= key);
        // p is the first range starting after key; the candidate is the one before it, which may start
        // in an earlier bucket.
        let i = p.checked_sub(1)?;
        if self.ends[i] >= key {
            self.values.get(i)
        } else {
            None
        }
    }

    /// The number of ranges.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there are no ranges.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
}

/// An IPv4 + IPv6 range table answering one value per address.
#[derive(Debug, Clone)]
pub struct RangeTable<V> {
    v4: Ranges<u32, V>,
    v6: Ranges<u128, V>,
}

/// One inclusive range of addresses of the same family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpRange {
    /// IPv4 `start..=end`.
    V4(u32, u32),
    /// IPv6 `start..=end`.
    V6(u128, u128),
}

impl IpRange {
    /// The range from two addresses; `None` when they are of different families.
    pub fn new(start: IpAddr, end: IpAddr) -> Option<Self> {
        match (normalize(start), normalize(end)) {
            (IpAddr::V4(a), IpAddr::V4(b)) => Some(Self::V4(a.into(), b.into())),
            (IpAddr::V6(a), IpAddr::V6(b)) => Some(Self::V6(a.into(), b.into())),
            _ => None,
        }
    }

    /// The range of a CIDR block; `None` when the prefix is longer than the address.
    pub fn cidr(ip: IpAddr, prefix: u8) -> Option<Self> {
        match normalize(ip) {
            IpAddr::V4(a) => {
                if prefix > 32 {
                    return None;
                }
                let host = if prefix == 0 {
                    u32::MAX
                } else {
                    u32::MAX >> prefix
                };
                let start = u32::from(a) & !host;
                Some(Self::V4(start, start | host))
            }
            IpAddr::V6(a) => {
                if prefix > 128 {
                    return None;
                }
                let host = if prefix == 0 {
                    u128::MAX
                } else {
                    u128::MAX >> prefix
                };
                let start = u128::from(a) & !host;
                Some(Self::V6(start, start | host))
            }
        }
    }

    /// Whether the range holds `ip`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self, normalize(ip)) {
            (Self::V4(s, e), IpAddr::V4(a)) => (*s..=*e).contains(&u32::from(a)),
            (Self::V6(s, e), IpAddr::V6(a)) => (*s..=*e).contains(&u128::from(a)),
            _ => false,
        }
    }

    /// The range written as `start-end`.
    pub fn display(&self) -> String {
        match self {
            Self::V4(s, e) => format!("{}-{}", Ipv4Addr::from(*s), Ipv4Addr::from(*e)),
            Self::V6(s, e) => format!("{}-{}", Ipv6Addr::from(*s), Ipv6Addr::from(*e)),
        }
    }
}

impl<V> RangeTable<V> {
    /// Builds a table from ranges and their values (see [`Ranges::build`] for overlaps).
    pub fn from_rows(rows: impl IntoIterator<Item = (IpRange, V)>) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (range, value) in rows {
            match range {
                IpRange::V4(s, e) => v4.push((s, e, value)),
                IpRange::V6(s, e) => v6.push((s, e, value)),
            }
        }
        Self {
            v4: Ranges::build(v4),
            v6: Ranges::build(v6),
        }
    }

    /// The value for an address (IPv4-mapped IPv6 is looked up as IPv4).
    #[inline]
    pub fn get(&self, ip: IpAddr) -> Option<&V> {
        match normalize(ip) {
            IpAddr::V4(a) => self.v4.get(u32::from(a)),
            IpAddr::V6(a) => self.v6.get(u128::from(a)),
        }
    }

    /// The value for an IPv4 address given as a number (the benchmarks' hot path).
    #[inline]
    pub fn get_v4(&self, ip: u32) -> Option<&V> {
        self.v4.get(ip)
    }

    /// The number of IPv4 and IPv6 ranges.
    pub fn len(&self) -> (usize, usize) {
        (self.v4.len(), self.v6.len())
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn table() -> RangeTable<&'static str> {
        let r = |a: &str, b: &str| IpRange::new(ip(a), ip(b)).unwrap();
        RangeTable::from_rows([
            (r("1.0.0.0", "1.0.0.255"), "a"),
            (r("1.0.4.0", "1.0.7.255"), "b"),
            // spans many /16 buckets: found from a later bucket
            (r("2.0.0.0", "2.15.255.255"), "c"),
            // overlaps c: clipped to 2.16.0.0-2.16.0.255
            (r("2.15.0.0", "2.16.0.255"), "d"),
            (r("255.255.255.0", "255.255.255.255"), "top"),
            (r("2001:200::", "2001:200:ffff::"), "v6"),
        ])
    }

    fn check(addr: &str, expect: Option<&str>) {
        assert_eq!(table().get(ip(addr)).copied(), expect, "{addr}");
    }

    #[test]
    fn lookups() {
        check("1.0.0.0", Some("a"));
        check("1.0.0.255", Some("a"));
        check("1.0.1.0", None);
        check("1.0.5.9", Some("b"));
        check("0.255.255.255", None);
        check("2.9.1.1", Some("c"));
        check("2.15.3.3", Some("c"));
        check("2.16.0.3", Some("d"));
        check("2.16.1.0", None);
        check("255.255.255.255", Some("top"));
        check("::ffff:1.0.0.7", Some("a"));
        check("2001:200::1", Some("v6"));
        check("2001:201::1", None);
        check("::", None);
    }

    #[test]
    fn cidr_ranges() {
        let r = IpRange::cidr(ip("175.45.177.9"), 22).unwrap();
        assert_eq!(r.display(), "175.45.176.0-175.45.179.255");
        assert!(r.contains(ip("::ffff:175.45.179.1")));
        assert!(!r.contains(ip("175.45.180.0")));
        assert_eq!(
            IpRange::cidr(ip("0.0.0.0"), 0).unwrap().display(),
            "0.0.0.0-255.255.255.255"
        );
        assert!(IpRange::cidr(ip("1.2.3.4"), 33).is_none());
        assert!(IpRange::new(ip("1.2.3.4"), ip("::1")).is_none());
    }
}
