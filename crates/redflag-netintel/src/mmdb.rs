//! MaxMind DB files through the `maxminddb` crate. One record type reads the three layouts met in
//! practice: MaxMind GeoIP2/GeoLite2 and DB-IP (nested `country.iso_code`, `city.names.en`, `location`),
//! the flat ip-location-db layout (`country_code`, `city`, `state1`, `latitude`) and IPinfo
//! (`country_code`, `region`, `lat`/`lng`, `asn: "AS15169"`). Strings are borrowed from the file's
//! buffer, so a lookup allocates nothing.

use std::fmt;
use std::net::IpAddr;

use maxminddb::Reader;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::NetIntelError;
use crate::load::Dataset;

/// An open MMDB file.
pub(crate) struct Mmdb {
    pub dataset: Dataset,
    reader: Reader<Vec<u8>>,
}

impl fmt::Debug for Mmdb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mmdb")
            .field("dataset", &self.dataset)
            .finish_non_exhaustive()
    }
}

/// What one MMDB record says, borrowed from the file.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct MmdbRecord<'a> {
    pub country: Option<&'a str>,
    pub region: Option<&'a str>,
    pub city: Option<&'a str>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_km: Option<f64>,
    pub asn: Option<u32>,
    pub organization: Option<&'a str>,
}

impl Mmdb {
    /// Opens a file's bytes, checks the metadata and decodes a few probe addresses so that a corrupt
    /// file fails here, at load, rather than at lookup.
    pub fn from_bytes(
        origin: &str,
        bytes: Vec<u8>,
        name: Option<&str>,
    ) -> Result<Self, NetIntelError> {
        let err = |reason: String| NetIntelError::Mmdb {
            origin: origin.to_string(),
            reason,
        };
        let reader = Reader::from_source(bytes).map_err(|e| err(e.to_string()))?;
        for probe in ["1.1.1.1", "8.8.8.8", "81.2.69.142", "2001:4860:4860::8888"] {
            let ip: IpAddr = probe.parse().map_err(|_| err("bad probe".into()))?;
            if reader.metadata().ip_version == 4 && ip.is_ipv6() {
                continue;
            }
            let found = reader
                .lookup(ip)
                .map_err(|e| err(format!("lookup of {probe} failed: {e}")))?;
            found
                .decode::<Raw<'_>>()
                .map_err(|e| err(format!("record of {probe} does not decode: {e}")))?;
        }
        let meta = reader.metadata();
        let database_type = meta.database_type.clone();
        let date = chrono::DateTime::from_timestamp(meta.build_epoch as i64, 0)
            .map(|d| d.date_naive().to_string())
            .unwrap_or_default();
        let description = meta.description.get("en").cloned().unwrap_or_default();
        Ok(Self {
            dataset: Dataset {
                name: name.map(str::to_string).unwrap_or(database_type),
                origin: origin.to_string(),
                source: description,
                licence: String::new(),
                date,
            },
            reader,
        })
    }

    /// The number of nodes of the search tree (a size for `status`).
    pub fn nodes(&self) -> usize {
        self.reader.metadata().node_count as usize
    }

    /// The record for an address; `None` when the file has none or the record does not decode.
    #[inline]
    pub fn lookup(&self, ip: IpAddr) -> Option<MmdbRecord<'_>> {
        if self.reader.metadata().ip_version == 4 && ip.is_ipv6() {
            return None;
        }
        let found = self.reader.lookup(ip).ok()?;
        let raw: Raw<'_> = found.decode().ok()??;
        Some(raw.into_record())
    }
}

/// The union of the layouts' top-level fields.
#[derive(Deserialize, Default)]
struct Raw<'a> {
    #[serde(borrow, default)]
    country: Option<CountryField<'a>>,
    #[serde(borrow, default)]
    country_code: Option<&'a str>,
    #[serde(borrow, default)]
    city: Option<NamedField<'a>>,
    #[serde(borrow, default)]
    subdivisions: Option<FirstName<'a>>,
    #[serde(borrow, default)]
    state1: Option<&'a str>,
    #[serde(borrow, default)]
    region: Option<&'a str>,
    #[serde(default)]
    location: Option<RawLocation>,
    #[serde(default)]
    latitude: Option<Number>,
    #[serde(default)]
    longitude: Option<Number>,
    #[serde(default)]
    lat: Option<Number>,
    #[serde(default)]
    lng: Option<Number>,
    #[serde(default)]
    autonomous_system_number: Option<u32>,
    #[serde(borrow, default)]
    autonomous_system_organization: Option<&'a str>,
    #[serde(borrow, default)]
    asn: Option<&'a str>,
    #[serde(borrow, default)]
    as_name: Option<&'a str>,
}

impl<'a> Raw<'a> {
    fn into_record(self) -> MmdbRecord<'a> {
        let nested_country = match self.country {
            Some(CountryField::Iso(code)) => code,
            _ => None,
        };
        let (mut latitude, mut longitude, mut accuracy_km) = (None, None, None);
        if let Some(loc) = self.location {
            latitude = loc.latitude;
            longitude = loc.longitude;
            accuracy_km = loc.accuracy_radius.map(f64::from);
        }
        latitude = latitude
            .or(self.latitude.map(|n| n.0))
            .or(self.lat.map(|n| n.0));
        longitude = longitude
            .or(self.longitude.map(|n| n.0))
            .or(self.lng.map(|n| n.0));
        let asn = self.autonomous_system_number.or_else(|| {
            self.asn
                .and_then(|a| a.trim_start_matches("AS").parse::<u32>().ok())
        });
        MmdbRecord {
            country: nested_country.or(self.country_code),
            region: self
                .subdivisions
                .and_then(|s| s.0)
                .or(self.state1)
                .or(self.region),
            city: self.city.and_then(|c| c.0),
            latitude,
            longitude,
            accuracy_km,
            asn,
            organization: self.autonomous_system_organization.or(self.as_name),
        }
    }
}

#[derive(Deserialize)]
struct RawLocation {
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
    #[serde(default)]
    accuracy_radius: Option<u16>,
}

#[derive(Deserialize)]
struct Named<'a> {
    #[serde(borrow, default)]
    names: Option<Names<'a>>,
}

#[derive(Deserialize)]
struct Names<'a> {
    #[serde(borrow, default)]
    en: Option<&'a str>,
}

/// The English name of the first element of a list of named places (`subdivisions`), read without
/// collecting the list.
struct FirstName<'a>(Option<&'a str>);

impl<'de: 'a, 'a> Deserialize<'de> for FirstName<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = FirstName<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of named places")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let first = seq
                    .next_element::<Named<'de>>()?
                    .and_then(|n| n.names.and_then(|n| n.en));
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(FirstName(first))
            }
        }
        d.deserialize_seq(V(std::marker::PhantomData))
    }
}

/// `country` is a map with `iso_code` (MaxMind, DB-IP) or a country name (IPinfo).
enum CountryField<'a> {
    Iso(Option<&'a str>),
    Name,
}

impl<'de: 'a, 'a> Deserialize<'de> for CountryField<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = CountryField<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a country map or name")
            }
            fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<Self::Value, E> {
                Ok(CountryField::Name)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(CountryField::Name)
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut iso = None;
                while let Some(key) = map.next_key::<&'de str>()? {
                    if key == "iso_code" {
                        iso = Some(map.next_value::<&'de str>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(CountryField::Iso(iso))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `city` is a map with `names.en` (MaxMind, DB-IP) or a plain name (flat layouts, IPinfo).
struct NamedField<'a>(Option<&'a str>);

impl<'de: 'a, 'a> Deserialize<'de> for NamedField<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = NamedField<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name or a map with names")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(NamedField(Some(v)))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(NamedField(None))
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut name = None;
                while let Some(key) = map.next_key::<&'de str>()? {
                    if key == "names" {
                        name = map.next_value::<Names<'de>>()?.en;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(NamedField(name))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A coordinate written as a number (MaxMind, DB-IP) or as text (some IPinfo files).
#[derive(Clone, Copy)]
struct Number(f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a number as text")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number(v))
            }
            fn visit_f32<E: de::Error>(self, v: f32) -> Result<Number, E> {
                Ok(Number(f64::from(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
                v.trim()
                    .parse()
                    .map(Number)
                    .map_err(|_| E::custom(format!("not a number: {v:?}")))
            }
        }
        d.deserialize_any(V)
    }
}
