//! Known reshipper / freight-forwarder addresses, loaded from a user-supplied list, and matched against
//! shipping addresses in the same normalised form ([`PostalAddress::normalised`]).
//!
//! An entry matches a shipping address when the entry's street tokens appear, in order and contiguous, in the
//! address, and the address also holds the entry's postcode (or its city, when the entry has no postcode).
//! So a customer's suite number added by the forwarder ("Suite 4821"), a state or a country written or
//! left out, do not prevent a match, while another house number or another postcode does.

use std::collections::{HashMap, HashSet};

use redflag_model::{CountryCode, PostalAddress};

use crate::IdentityError;
use crate::lists::rows;

/// One list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReshipperEntry {
    /// The forwarder's name (empty for plain address lists).
    pub name: String,
    /// The address as the list wrote it (lines, city, postcode joined by `, `).
    pub address: String,
    /// The country, where the list gives it.
    pub country: Option<CountryCode>,
    /// Where the entry came from (a report, a case, an analyst), as the list says.
    pub source: String,
    /// The list's name and the entry's 1-based line.
    pub list: String,
    /// Line of the entry in the list.
    pub line: usize,
    street: Vec<String>,
    key: Option<String>,
}

impl ReshipperEntry {
    /// A one-line description for evidence: name, address, source and list line.
    pub fn describe(&self) -> String {
        let name = if self.name.is_empty() {
            String::new()
        } else {
            format!("{}, ", self.name)
        };
        let source = if self.source.is_empty() {
            String::new()
        } else {
            format!("source: {}; ", self.source)
        };
        format!(
            "{name}{} ({source}{} line {})",
            self.address, self.list, self.line
        )
    }
}

/// Street words that shipping systems abbreviate beyond what [`PostalAddress`] does; applied to both sides.
fn token(word: &str) -> &str {
    match word {
        "PARKWAY" => "PKWY",
        "HIGHWAY" => "HWY",
        "LANE" => "LN",
        "COURT" => "CT",
        "PLACE" => "PL",
        "SQUARE" => "SQ",
        "TERRACE" => "TER",
        "CIRCLE" => "CIR",
        "FLOOR" | "FL" | "BLDG" | "BUILDING" | "PMB" | "BOX" => "",
        other => other,
    }
}

fn tokens(normalised: &str) -> Vec<String> {
    normalised
        .split_whitespace()
        .map(token)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn normalise(text: &str) -> Option<Vec<String>> {
    PostalAddress::new(text, None)
        .ok()
        .map(|a| tokens(&a.normalised))
        .filter(|t| !t.is_empty())
}

fn contains_run(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Known reshipper / freight-forwarder addresses. Empty unless loaded: no list ships with redflag (see
/// `data/README.md`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReshipperList {
    entries: Vec<ReshipperEntry>,
    /// Entries by postcode (or city) in token form.
    by_key: HashMap<String, Vec<usize>>,
    /// Entries of plain address lists, by whole normalised address.
    exact: HashMap<String, usize>,
}

const COLUMNS: [&str; 6] = [
    "name",
    "address_lines",
    "city",
    "postcode",
    "country",
    "source",
];

impl ReshipperList {
    /// One whole address per line (`#` comments allowed), matched on the whole normalised address.
    pub fn parse(list: &str, text: &str) -> Result<Self, IdentityError> {
        let mut out = Self::default();
        for (line, cols) in rows(text) {
            let value = cols.join(" ");
            let address =
                PostalAddress::new(&value, None).map_err(|_| IdentityError::BadListLine {
                    list: list.into(),
                    line,
                    value: value.clone(),
                    reason: "not an address",
                })?;
            let street = tokens(&address.normalised);
            out.exact.insert(street.join(" "), out.entries.len());
            out.entries.push(ReshipperEntry {
                name: String::new(),
                address: value,
                country: None,
                source: String::new(),
                list: list.into(),
                line,
                street,
                key: None,
            });
        }
        Ok(out)
    }

    /// A CSV list with a header row naming the columns `name, address_lines, city, postcode, country,
    /// source` (any order; `address` is accepted for `address_lines`, `postal_code` or `zip` for
    /// `postcode`; other columns are ignored). Address lines may be separated by new lines, `|` or `;`
    /// inside the field. `name`, `address_lines`, `source` and one of `postcode` or `city` are required per
    /// row; `country`, when given, is an ISO 3166-1 code or English name.
    pub fn parse_csv(list: &str, text: &str) -> Result<Self, IdentityError> {
        let bad = |line: usize, value: String, reason: &'static str| IdentityError::BadListLine {
            list: list.into(),
            line,
            value,
            reason,
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| bad(1, e.to_string(), "unreadable CSV header"))?
            .iter()
            .map(|h| h.trim().to_lowercase().replace([' ', '-'], "_"))
            .collect();
        let column = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
        let idx = [
            column(&["name"]),
            column(&["address_lines", "address"]),
            column(&["city"]),
            column(&["postcode", "postal_code", "zip", "zip_code"]),
            column(&["country"]),
            column(&["source"]),
        ];
        for (i, c) in idx.iter().enumerate() {
            if c.is_none() {
                return Err(bad(
                    1,
                    format!("{} (header: {})", COLUMNS[i], header.join(",")),
                    "missing column",
                ));
            }
        }
        let mut out = Self::default();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line() as usize);
                bad(line, e.to_string(), "unreadable CSV row")
            })?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            let field = |i: usize| {
                idx[i]
                    .and_then(|c| record.get(c))
                    .unwrap_or("")
                    .trim()
                    .to_string()
            };
            let (name, lines, city, postcode, country, source) =
                (field(0), field(1), field(2), field(3), field(4), field(5));
            let shown = record.iter().collect::<Vec<_>>().join(",");
            if name.is_empty() {
                return Err(bad(line, shown, "name is empty"));
            }
            if source.is_empty() {
                return Err(bad(
                    line,
                    shown,
                    "source is empty (say where the entry came from)",
                ));
            }
            let lines: Vec<&str> = lines
                .split(['\n', '|', ';'])
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let street = normalise(&lines.join(" "))
                .ok_or_else(|| bad(line, shown.clone(), "address_lines is empty"))?;
            let key = if postcode.is_empty() {
                normalise(&city)
            } else {
                normalise(&postcode)
            }
            .ok_or_else(|| bad(line, shown.clone(), "postcode or city is required"))?;
            let country =
                if country.is_empty() {
                    None
                } else {
                    Some(CountryCode::parse(&country).map_err(|_| {
                        bad(line, country.clone(), "country is not a known country")
                    })?)
                };
            let address = lines
                .iter()
                .copied()
                .chain([city.as_str(), postcode.as_str()])
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            let key = key.join(" ");
            out.by_key
                .entry(key.clone())
                .or_default()
                .push(out.entries.len());
            out.entries.push(ReshipperEntry {
                name,
                address,
                country,
                source,
                list: list.into(),
                line,
                street,
                key: Some(key),
            });
        }
        Ok(out)
    }

    /// Adds the entries of another list (several lists may be loaded).
    pub fn extend(&mut self, other: ReshipperList) {
        let base = self.entries.len();
        for (k, v) in other.by_key {
            self.by_key
                .entry(k)
                .or_default()
                .extend(v.into_iter().map(|i| i + base));
        }
        for (k, i) in other.exact {
            self.exact.entry(k).or_insert(i + base);
        }
        self.entries.extend(other.entries);
    }

    /// The entry an address matches, if any (the first in list order).
    pub fn find(&self, address: &PostalAddress) -> Option<&ReshipperEntry> {
        let toks = tokens(&address.normalised);
        if let Some(&i) = self.exact.get(&toks.join(" ")) {
            return self.entries.get(i);
        }
        let mut candidates: HashSet<usize> = HashSet::new();
        for n in 1..=3 {
            for w in toks.windows(n) {
                if let Some(ids) = self.by_key.get(&w.join(" ")) {
                    candidates.extend(ids);
                }
            }
        }
        let mut candidates: Vec<usize> = candidates.into_iter().collect();
        candidates.sort_unstable();
        candidates
            .into_iter()
            .filter_map(|i| self.entries.get(i))
            .find(|e| {
                let country_ok = match (e.country, address.country) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                };
                // The key must be outside the street run (a postcode equal to a house number is no match).
                country_ok
                    && contains_run(&toks, &e.street)
                    && e.key.as_ref().is_some_and(|k| {
                        let key: Vec<String> = k.split(' ').map(str::to_string).collect();
                        let street_at = toks
                            .windows(e.street.len())
                            .position(|w| w == e.street.as_slice())
                            .unwrap_or(0);
                        let after = &toks[(street_at + e.street.len()).min(toks.len())..];
                        contains_run(after, &key)
                    })
            })
    }

    /// Whether an address is on the list.
    pub fn contains(&self, address: &PostalAddress) -> bool {
        self.find(address).is_some()
    }

    /// The entries.
    pub fn entries(&self) -> &[ReshipperEntry] {
        &self.entries
    }

    /// Whether the list is empty (no list loaded).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "name,address_lines,city,postcode,country,source\n\
        # a comment\n\
        Harbor Forwarding,\"1200 Harbor Boulevard | Suite 100\",Wilmington,19801,US,analyst note 2026-03\n\
        Cargo Bridge,77 Quay Road,Felixstowe,IP11 3QN,GB,case 41\n\
        Mainland Relay,9 Station Lane,Springfield,,,shared by a partner\n";

    fn addr(s: &str, c: Option<&str>) -> PostalAddress {
        PostalAddress::new(s, c.map(|c| CountryCode::parse(c).unwrap())).unwrap()
    }

    #[test]
    fn csv_entries_match_normalised_addresses() {
        let list = ReshipperList::parse_csv("forwarders.csv", CSV).unwrap();
        assert_eq!(list.entries().len(), 3);
        let check = |s: &str, c: Option<&str>, expect: Option<&str>| {
            assert_eq!(
                list.find(&addr(s, c)).map(|e| e.name.as_str()),
                expect,
                "{s}"
            );
        };
        check(
            "1200 Harbor Blvd Ste 100, Wilmington, DE 19801",
            None,
            Some("Harbor Forwarding"),
        );
        check(
            "1200 HARBOR BOULEVARD #100 WILMINGTON DE 19801-4410 USA",
            Some("US"),
            Some("Harbor Forwarding"),
        );
        check(
            "77 Quay Rd, Felixstowe IP11 3QN",
            None,
            Some("Cargo Bridge"),
        );
        check(
            "77 Quay Road Unit 4821, Felixstowe, Suffolk, IP11 3QN",
            None,
            Some("Cargo Bridge"),
        );
        check(
            "9 Station Ln, Springfield IL 62701",
            None,
            Some("Mainland Relay"),
        );
        // Hard negatives: another house number, another suite, another postcode, another country.
        check("1210 Harbor Blvd Ste 100, Wilmington, DE 19801", None, None);
        check("1200 Harbor Blvd Ste 200, Wilmington, DE 19801", None, None);
        check("77 Quay Road, Ipswich IP4 1AA", None, None);
        check(
            "1200 Harbor Blvd Ste 100, Wilmington 19801",
            Some("CA"),
            None,
        );
        check("19 Station Lane, Springfield", None, None);
        let e = list
            .find(&addr("77 Quay Rd, Felixstowe IP11 3QN", None))
            .unwrap();
        assert_eq!(
            e.describe(),
            "Cargo Bridge, 77 Quay Road, Felixstowe, IP11 3QN (source: case 41; forwarders.csv line 4)"
        );
        assert_eq!(e.country, CountryCode::parse("GB").ok());
    }

    #[test]
    fn csv_errors_name_the_line_and_field() {
        let err = |text: &str| {
            ReshipperList::parse_csv("f.csv", text)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("name,address,city,postcode,source\nA,1 Main St,X,1,s\n"),
            "f.csv line 1: missing column: \"country (header: name,address,city,postcode,source)\""
        );
        assert_eq!(
            err("name,address_lines,city,postcode,country,source\nA,1 Main St,,,US,s\n"),
            "f.csv line 2: postcode or city is required: \"A,1 Main St,,,US,s\""
        );
        assert_eq!(
            err("name,address_lines,city,postcode,country,source\nA,1 Main St,X,1,Atlantis,s\n"),
            "f.csv line 2: country is not a known country: \"Atlantis\""
        );
        assert!(
            err("name,address_lines,city,postcode,country,source\n,1 Main St,X,1,US,s\n")
                .contains("name is empty")
        );
        assert!(
            err("name,address_lines,city,postcode,country,source\nA,1 Main St,X,1,US,\n")
                .contains("source is empty")
        );
        assert!(
            err("name,address_lines,city,postcode,country,source\nA,,X,1,US,s\n")
                .contains("address_lines is empty")
        );
        // An empty list (header only) is fine.
        assert!(
            ReshipperList::parse_csv("f.csv", "name,address_lines,city,postcode,country,source\n")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn plain_lists_match_whole_addresses_and_lists_combine() {
        let mut list = ReshipperList::parse("r", "100 Cargo Way Suite 5, Wilmington DE\n").unwrap();
        assert!(list.contains(&addr("100 cargo way, ste 5 wilmington de", None)));
        assert!(!list.contains(&addr("100 cargo way wilmington de", None)));
        list.extend(ReshipperList::parse_csv("f.csv", CSV).unwrap());
        assert_eq!(list.entries().len(), 4);
        assert!(list.contains(&addr("77 Quay Rd, Felixstowe IP11 3QN", None)));
        assert!(list.contains(&addr("100 cargo way, ste 5 wilmington de", None)));
    }
}
