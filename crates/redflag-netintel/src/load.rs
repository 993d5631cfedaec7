//! Parsers for the text formats: ip-location-db range CSVs (`start,end,country` and
//! `start,end,asn,organisation`, addresses as text or as decimal numbers) and IP-set files (CIDRs,
//! addresses, `a-b` ranges, `AS123` numbers, Tor `exit-addresses`, Apple Private Relay egress CSV).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use redflag_model::CountryCode;
use serde::Serialize;

use crate::NetIntelError;
use crate::range::{IpRange, RangeTable};

/// Where a data set came from: shown next to every answer it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dataset {
    /// Short name, e.g. `ip-location-db/geo-whois-asn-country`; answers are attributed to it.
    pub name: String,
    /// Where it was read: a file path, or `builtin`.
    pub origin: String,
    /// The publisher or URL.
    pub source: String,
    /// Licence, as the publisher states it.
    pub licence: String,
    /// Date of the data (publisher's version or file date), as written.
    pub date: String,
}

/// What a set of addresses means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetKind {
    /// A commercial VPN provider's exits.
    Vpn,
    /// Hosting / data-centre / cloud address space.
    Hosting,
    /// Tor exit relays.
    Tor,
    /// Privacy relays (Apple iCloud Private Relay and similar).
    Relay,
    /// North Korea's own allocation.
    Dprk,
}

impl SetKind {
    /// Parses `vpn`, `hosting`, `tor`, `relay` or `dprk`.
    pub fn parse(input: &str) -> Option<Self> {
        match input.trim().to_ascii_lowercase().as_str() {
            "vpn" => Some(Self::Vpn),
            "hosting" | "datacenter" | "datacentre" | "cloud" => Some(Self::Hosting),
            "tor" => Some(Self::Tor),
            "relay" | "private_relay" | "private-relay" => Some(Self::Relay),
            "dprk" | "kp" => Some(Self::Dprk),
            _ => None,
        }
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vpn => "vpn",
            Self::Hosting => "hosting",
            Self::Tor => "tor",
            Self::Relay => "relay",
            Self::Dprk => "dprk",
        }
    }
}

/// A named set of addresses and ASNs with one meaning (a VPN provider, hosting, Tor, …).
#[derive(Debug, Clone)]
pub struct IpSet {
    /// Where it came from.
    pub dataset: Dataset,
    /// What membership means.
    pub kind: SetKind,
    /// For VPN sets, the provider (`Astrill`, `Mullvad`, …).
    pub provider: Option<String>,
    pub(crate) ranges: RangeTable<()>,
    pub(crate) asns: Vec<u32>,
}

impl IpSet {
    /// Parses a set file. Header comments `# key: value` give `name`, `kind`, `provider`, `source`,
    /// `licence` and `date`; `kind` may instead come from the caller (`default_kind`), and the header wins.
    /// Each other line holds one CIDR, address, `start-end` range or `AS<number>`; `ExitAddress <ip> …`
    /// lines of Tor's `exit-addresses` file and the first column of Apple's egress CSV are understood.
    pub fn parse(
        origin: &str,
        text: &str,
        default_kind: Option<SetKind>,
    ) -> Result<Self, NetIntelError> {
        let mut meta: HashMap<String, String> = HashMap::new();
        let mut ranges = Vec::new();
        let mut asns = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = raw.trim();
            if let Some(comment) = line.strip_prefix('#') {
                if let Some((k, v)) = comment.split_once(':') {
                    let key = k.trim().to_ascii_lowercase();
                    if !key.is_empty() && !key.contains(' ') {
                        meta.entry(key).or_insert_with(|| v.trim().to_string());
                    }
                }
                continue;
            }
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            let first = words.next().unwrap_or("");
            let item = match first {
                "ExitAddress" => words.next().unwrap_or(""),
                "ExitNode" | "Published" | "LastStatus" => continue,
                _ => first.split(',').next().unwrap_or("").trim(),
            };
            if item.is_empty() {
                continue;
            }
            let bad = |reason: &str| NetIntelError::Line {
                origin: origin.to_string(),
                line: line_no,
                field: "entry",
                value: item.to_string(),
                reason: reason.to_string(),
            };
            if let Some(num) = item.strip_prefix("AS").or_else(|| item.strip_prefix("as")) {
                let asn = num
                    .parse::<u32>()
                    .map_err(|_| bad("expected AS followed by a number"))?;
                asns.push(asn);
                continue;
            }
            let range = parse_range_item(item).ok_or_else(|| {
                bad("expected a CIDR block, an IP address, a start-end range or AS<number>")
            })?;
            ranges.push((range, ()));
        }
        let kind = match meta.get("kind") {
            Some(k) => SetKind::parse(k).ok_or_else(|| NetIntelError::Format {
                origin: origin.to_string(),
                reason: format!("unknown kind {k:?} (expected vpn, hosting, tor, relay or dprk)"),
            })?,
            None => default_kind.ok_or_else(|| NetIntelError::Format {
                origin: origin.to_string(),
                reason: "no `# kind:` header and no kind given".to_string(),
            })?,
        };
        if ranges.is_empty() && asns.is_empty() {
            return Err(NetIntelError::Format {
                origin: origin.to_string(),
                reason: "the set holds no address, range or ASN".to_string(),
            });
        }
        asns.sort_unstable();
        asns.dedup();
        let get = |k: &str| meta.get(k).cloned().unwrap_or_default();
        let name = meta
            .get("name")
            .cloned()
            .unwrap_or_else(|| file_stem(origin));
        Ok(Self {
            dataset: Dataset {
                name,
                origin: origin.to_string(),
                source: get("source"),
                licence: get("licence"),
                date: get("date"),
            },
            kind,
            provider: meta.get("provider").cloned(),
            ranges: RangeTable::from_rows(ranges),
            asns,
        })
    }

    /// Whether an address, or its ASN, is in the set.
    #[inline]
    pub fn contains(&self, ip: IpAddr, asn: Option<u32>) -> bool {
        self.ranges.get(ip).is_some() || asn.is_some_and(|a| self.asns.binary_search(&a).is_ok())
    }

    /// The numbers of ranges (IPv4, IPv6) and ASNs.
    pub fn size(&self) -> (usize, usize, usize) {
        let (v4, v6) = self.ranges.len();
        (v4, v6, self.asns.len())
    }
}

fn file_stem(origin: &str) -> String {
    let base = origin.rsplit(['/', '\\']).next().unwrap_or(origin);
    base.split('.').next().unwrap_or(base).to_string()
}

/// Parses `a.b.c.d`, `a.b.c.d/n`, `a-b` or an IPv6 equivalent.
pub(crate) fn parse_range_item(item: &str) -> Option<IpRange> {
    if let Some((addr, prefix)) = item.split_once('/') {
        let ip: IpAddr = addr.trim().parse().ok()?;
        let prefix: u8 = prefix.trim().parse().ok()?;
        return IpRange::cidr(ip, prefix);
    }
    if let Some((a, b)) = item.split_once('-') {
        let a: IpAddr = a.trim().parse().ok()?;
        let b: IpAddr = b.trim().parse().ok()?;
        return IpRange::new(a, b).filter(|r| match r {
            IpRange::V4(s, e) => s <= e,
            IpRange::V6(s, e) => s <= e,
        });
    }
    let ip: IpAddr = item.parse().ok()?;
    IpRange::new(ip, ip)
}

/// Splits one CSV line into fields (RFC 4180 quotes, `""` inside quotes).
fn split_csv(line: &str, out: &mut Vec<String>) {
    out.clear();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    out.push(field);
}

/// Parses a range bound: an address, or a decimal number (the `-num.csv` files; a number above
/// `u32::MAX` is IPv6).
fn parse_bound(text: &str) -> Option<IpAddr> {
    if text.contains(['.', ':']) {
        return text.parse().ok();
    }
    let n: u128 = text.parse().ok()?;
    Some(match u32::try_from(n) {
        Ok(v4) => IpAddr::V4(Ipv4Addr::from(v4)),
        Err(_) => IpAddr::V6(Ipv6Addr::from(n)),
    })
}

/// The value of an ASN range: the number and an index into the table's organisation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AsnValue {
    pub asn: u32,
    pub org: u32,
}

/// Row counts of a loaded table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LoadStats {
    /// Rows kept.
    pub rows: usize,
    /// Rows skipped because their value is a placeholder (`ZZ`, non-ISO codes such as `XK`, AS0).
    pub skipped: usize,
}

fn bounds(origin: &str, line: usize, fields: &[String]) -> Result<IpRange, NetIntelError> {
    let field_err = |field: &'static str, value: &str, reason: &str| NetIntelError::Line {
        origin: origin.to_string(),
        line,
        field,
        value: value.to_string(),
        reason: reason.to_string(),
    };
    let start_text = fields[0].trim();
    let end_text = fields[1].trim();
    let start = parse_bound(start_text)
        .ok_or_else(|| field_err("start", start_text, "not an IP address or number"))?;
    let end = parse_bound(end_text)
        .ok_or_else(|| field_err("end", end_text, "not an IP address or number"))?;
    let range = IpRange::new(start, end)
        .ok_or_else(|| field_err("end", end_text, "start and end are of different families"))?;
    let ordered = match range {
        IpRange::V4(s, e) => s <= e,
        IpRange::V6(s, e) => s <= e,
    };
    if !ordered {
        return Err(field_err("end", end_text, "end is before start"));
    }
    Ok(range)
}

/// Parses an ip-location-db country CSV (`start,end,country`).
pub(crate) fn parse_country_csv(
    origin: &str,
    text: &str,
    rows: &mut Vec<(IpRange, CountryCode)>,
) -> Result<LoadStats, NetIntelError> {
    let mut stats = LoadStats::default();
    let mut fields = Vec::with_capacity(4);
    let mut cache: HashMap<[u8; 2], Option<CountryCode>> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        split_csv(line, &mut fields);
        if fields.len() < 3 {
            return Err(NetIntelError::Line {
                origin: origin.to_string(),
                line: line_no,
                field: "row",
                value: line.to_string(),
                reason: format!(
                    "expected start,end,country; found {} field(s)",
                    fields.len()
                ),
            });
        }
        if line_no == 1 && parse_bound(fields[0].trim()).is_none() {
            continue; // a header row
        }
        let range = bounds(origin, line_no, &fields)?;
        let code = fields[2].trim();
        let key = match code.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                [a.to_ascii_uppercase(), b.to_ascii_uppercase()]
            }
            _ => {
                return Err(NetIntelError::Line {
                    origin: origin.to_string(),
                    line: line_no,
                    field: "country",
                    value: code.to_string(),
                    reason: "expected a two-letter ISO 3166-1 code".to_string(),
                });
            }
        };
        let country = *cache.entry(key).or_insert_with(|| {
            std::str::from_utf8(&key)
                .ok()
                .and_then(|s| CountryCode::parse(s).ok())
        });
        match country {
            Some(c) => {
                rows.push((range, c));
                stats.rows += 1;
            }
            None => stats.skipped += 1,
        }
    }
    Ok(stats)
}

/// Parses an ip-location-db ASN CSV (`start,end,asn,organisation`), interning organisation names.
pub(crate) fn parse_asn_csv(
    origin: &str,
    text: &str,
    rows: &mut Vec<(IpRange, AsnValue)>,
    orgs: &mut Vec<Box<str>>,
    org_index: &mut HashMap<String, u32>,
) -> Result<LoadStats, NetIntelError> {
    let mut stats = LoadStats::default();
    let mut fields = Vec::with_capacity(4);
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        split_csv(line, &mut fields);
        if fields.len() < 3 {
            return Err(NetIntelError::Line {
                origin: origin.to_string(),
                line: line_no,
                field: "row",
                value: line.to_string(),
                reason: format!(
                    "expected start,end,asn,organisation; found {} field(s)",
                    fields.len()
                ),
            });
        }
        if line_no == 1 && parse_bound(fields[0].trim()).is_none() {
            continue;
        }
        let range = bounds(origin, line_no, &fields)?;
        let asn_text = fields[2].trim();
        let asn: u32 = asn_text
            .strip_prefix("AS")
            .unwrap_or(asn_text)
            .parse()
            .map_err(|_| NetIntelError::Line {
                origin: origin.to_string(),
                line: line_no,
                field: "asn",
                value: asn_text.to_string(),
                reason: "expected an AS number".to_string(),
            })?;
        if asn == 0 {
            stats.skipped += 1;
            continue;
        }
        let org_name = fields.get(3).map(|s| s.trim()).unwrap_or("");
        let org = match org_index.get(org_name) {
            Some(i) => *i,
            None => {
                let i = orgs.len() as u32;
                orgs.push(org_name.into());
                org_index.insert(org_name.to_string(), i);
                i
            }
        };
        rows.push((range, AsnValue { asn, org }));
        stats.rows += 1;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn csv_fields_with_quotes() {
        let mut f = Vec::new();
        split_csv(r#"1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc.""#, &mut f);
        assert_eq!(f[3], "Cloudflare, Inc.");
        split_csv(r#"a,b,31173,"""MEDIANA-TREID"" PP""#, &mut f);
        assert_eq!(f[3], r#""MEDIANA-TREID" PP"#);
    }

    #[test]
    fn bounds_text_and_numeric() {
        assert_eq!(parse_bound("16777216"), Some(ip("1.0.0.0")));
        assert_eq!(
            parse_bound("42540528726795050063891204319802818560"),
            Some(ip("2001:200::"))
        );
        assert_eq!(parse_bound("1.2.3"), None);
        assert_eq!(parse_bound("x"), None);
    }

    fn check_set(text: &str, addr: &str, asn: Option<u32>, expect: bool) {
        let set = IpSet::parse("t.txt", text, Some(SetKind::Vpn)).unwrap();
        assert_eq!(set.contains(ip(addr), asn), expect, "{addr} in {text:?}");
    }

    #[test]
    fn set_formats() {
        check_set("175.45.176.0/22", "175.45.179.255", None, true);
        check_set("175.45.176.0/22", "175.45.180.0", None, false);
        check_set("10.0.0.1-10.0.0.9 # range", "10.0.0.5", None, true);
        check_set("AS131279", "1.1.1.1", Some(131279), true);
        check_set("AS131279", "1.1.1.1", Some(13335), false);
        check_set(
            "ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E\nPublished 2024-01-01 00:00:00\nExitAddress 162.247.74.201 2024-01-01 01:00:00\n",
            "162.247.74.201",
            None,
            true,
        );
        check_set(
            "172.224.226.0/27,GB,GB-EN,London,\n2a02:26f7:b3c0:4000::/64,GB,GB-EN,London,\n",
            "2a02:26f7:b3c0:4000::17",
            None,
            true,
        );
    }

    #[test]
    fn malformed_sets_are_refused_with_line() {
        let err = IpSet::parse("sets/x.txt", "1.2.3.4\n1.2.3.999\n", Some(SetKind::Tor))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sets/x.txt:2") && err.contains("1.2.3.999"),
            "{err}"
        );
        let err = IpSet::parse("y.txt", "1.2.3.4\n", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no `# kind:` header"), "{err}");
        let err = IpSet::parse("z.txt", "# kind: spy\n1.2.3.4", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown kind"), "{err}");
        assert!(IpSet::parse("e.txt", "# only comments\n", Some(SetKind::Tor)).is_err());
        assert!(IpSet::parse("a.txt", "ASx1", Some(SetKind::Tor)).is_err());
    }

    #[test]
    fn malformed_range_rows_name_line_and_field() {
        let mut rows = Vec::new();
        let err = parse_country_csv(
            "c.csv",
            "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.0.0,AU\n",
            &mut rows,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("c.csv:2") && err.contains("end is before start"),
            "{err}"
        );
        let err = parse_country_csv("c.csv", "1.0.0.0,1.0.0.255,Australia\n", &mut rows)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("country") && err.contains("Australia"),
            "{err}"
        );
        let err = parse_country_csv("c.csv", "1.0.0.0;1.0.0.255;AU\n", &mut rows)
            .unwrap_err()
            .to_string();
        assert!(err.contains("c.csv:1"), "{err}");
        let (mut r, mut o, mut i) = (Vec::new(), Vec::new(), HashMap::new());
        let err = parse_asn_csv(
            "a.csv",
            "1.0.0.0,1.0.0.255,ASX,Foo\n",
            &mut r,
            &mut o,
            &mut i,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("a.csv:1") && err.contains("asn"), "{err}");
        let stats =
            parse_country_csv("c.csv", "start,end,cc\n1.0.0.0,1.0.0.255,ZZ\n", &mut rows).unwrap();
        assert_eq!(
            stats,
            LoadStats {
                rows: 0,
                skipped: 1
            }
        );
    }
}
