//! The embedded data the generator draws from: names by origin, countries with their cities, phone plans
//! and address shapes, roles, fictional employers and real universities. Parsed once, on first use.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// The name origins the generator knows, with their data files.
const NAME_FILES: &[(&str, &str)] = &[
    ("us", include_str!("../data/names/us.txt")),
    ("hispanic", include_str!("../data/names/hispanic.txt")),
    ("korean", include_str!("../data/names/korean.txt")),
    ("chinese", include_str!("../data/names/chinese.txt")),
    ("japanese", include_str!("../data/names/japanese.txt")),
    ("vietnamese", include_str!("../data/names/vietnamese.txt")),
    ("italian", include_str!("../data/names/italian.txt")),
    ("indian", include_str!("../data/names/indian.txt")),
    ("german", include_str!("../data/names/german.txt")),
    ("polish", include_str!("../data/names/polish.txt")),
    ("ukrainian", include_str!("../data/names/ukrainian.txt")),
    ("filipino", include_str!("../data/names/filipino.txt")),
    ("nigerian", include_str!("../data/names/nigerian.txt")),
    ("brazilian", include_str!("../data/names/brazilian.txt")),
];

const COUNTRIES: &str = include_str!("../data/countries.json");
const ROLES: &str = include_str!("../data/roles.tsv");
const EMPLOYERS: &str = include_str!("../data/employers.tsv");
const UNIVERSITIES: &str = include_str!("../data/universities.tsv");

/// Given and family names of one origin.
#[derive(Debug)]
pub(crate) struct NameList {
    pub origin: &'static str,
    pub given: Vec<&'static str>,
    pub family: Vec<&'static str>,
}

/// A city people live in.
#[derive(Debug, Deserialize)]
pub(crate) struct City {
    pub name: String,
    pub region: String,
    pub tz: String,
    pub postcode: String,
    #[serde(default)]
    pub area_codes: Vec<String>,
    pub weight: u32,
}

/// A country people live in.
#[derive(Debug, Deserialize)]
pub(crate) struct Country {
    pub code: String,
    pub name: String,
    pub weight: u32,
    pub calling_code: String,
    pub mobile: Vec<String>,
    pub digits: usize,
    pub voip: Vec<String>,
    #[serde(default)]
    pub voip_digits: usize,
    pub address: String,
    pub streets: Vec<String>,
    pub free_mail: Vec<String>,
    pub banks: Vec<String>,
    pub account: String,
    pub name_origins: BTreeMap<String, u32>,
    pub cities: Vec<City>,
}

#[derive(Deserialize)]
struct CountryFile {
    countries: Vec<Country>,
}

/// A job role.
#[derive(Debug)]
pub(crate) struct Role {
    pub area: &'static str,
    pub title: &'static str,
    pub skills: Vec<&'static str>,
}

/// A (fictional) employer.
#[derive(Debug)]
pub(crate) struct Employer {
    pub name: &'static str,
    pub domain: &'static str,
    pub country: &'static str,
}

/// A university.
#[derive(Debug)]
pub(crate) struct University {
    pub name: &'static str,
    pub country: &'static str,
}

/// Everything, parsed.
#[derive(Debug)]
pub(crate) struct Data {
    pub names: Vec<NameList>,
    pub countries: Vec<Country>,
    pub roles: Vec<Role>,
    pub employers: Vec<Employer>,
    pub universities: Vec<University>,
}

impl Data {
    /// The data, parsed on first use. The embedded files are checked by the crate's tests, so a parse
    /// failure here is a build defect, reported loudly.
    pub fn get() -> &'static Data {
        static DATA: OnceLock<Data> = OnceLock::new();
        DATA.get_or_init(|| match Data::parse() {
            Ok(data) => data,
            Err(e) => panic!("redflag-synth embedded data is broken: {e}"),
        })
    }

    fn parse() -> Result<Data, String> {
        let names = NAME_FILES
            .iter()
            .map(|(origin, text)| parse_names(origin, text))
            .collect::<Result<Vec<_>, _>>()?;
        let file: CountryFile =
            serde_json::from_str(COUNTRIES).map_err(|e| format!("data/countries.json: {e}"))?;
        for country in &file.countries {
            for origin in country.name_origins.keys() {
                if !names.iter().any(|n| n.origin == origin) {
                    return Err(format!(
                        "data/countries.json: {} names unknown origin {origin}",
                        country.code
                    ));
                }
            }
            if country.cities.is_empty() || country.streets.is_empty() {
                return Err(format!(
                    "data/countries.json: {} has no cities or streets",
                    country.code
                ));
            }
        }
        let roles = tsv(ROLES)
            .map(|(line, cols)| match cols.as_slice() {
                [area, title, skills] => Ok(Role {
                    area,
                    title,
                    skills: skills.split(',').map(str::trim).collect(),
                }),
                _ => Err(format!("data/roles.tsv line {line}: expected 3 columns")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let employers = tsv(EMPLOYERS)
            .map(|(line, cols)| match cols.as_slice() {
                [name, domain, country, _size] => Ok(Employer {
                    name,
                    domain,
                    country,
                }),
                _ => Err(format!(
                    "data/employers.tsv line {line}: expected 4 columns"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let universities = tsv(UNIVERSITIES)
            .map(|(line, cols)| match cols.as_slice() {
                [name, country] => Ok(University { name, country }),
                _ => Err(format!(
                    "data/universities.tsv line {line}: expected 2 columns"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Data {
            names,
            countries: file.countries,
            roles,
            employers,
            universities,
        })
    }

    /// The names of one origin.
    pub fn names(&self, origin: &str) -> &NameList {
        self.names
            .iter()
            .find(|n| n.origin == origin)
            .unwrap_or(&self.names[0])
    }

    /// The departments (role areas), sorted, each once.
    pub fn areas(&self) -> Vec<&'static str> {
        let mut areas: Vec<&'static str> = self.roles.iter().map(|r| r.area).collect();
        areas.sort_unstable();
        areas.dedup();
        areas
    }

    /// The country with this alpha-2 code.
    pub fn country(&self, code: &str) -> &Country {
        self.countries
            .iter()
            .find(|c| c.code == code)
            .unwrap_or(&self.countries[0])
    }
}

fn tsv(text: &'static str) -> impl Iterator<Item = (usize, Vec<&'static str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l.split('\t').map(str::trim).collect()))
}

fn parse_names(origin: &'static str, text: &'static str) -> Result<NameList, String> {
    let mut list = NameList {
        origin,
        given: Vec::new(),
        family: Vec::new(),
    };
    let mut section = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line {
            "[given]" => section = Some(true),
            "[family]" => section = Some(false),
            name => match section {
                Some(true) => list.given.push(name),
                Some(false) => list.family.push(name),
                None => {
                    return Err(format!(
                        "data/names/{origin}.txt line {}: name before a [given] or [family] section",
                        i + 1
                    ));
                }
            },
        }
    }
    if list.given.is_empty() || list.family.is_empty() {
        return Err(format!("data/names/{origin}.txt: empty section"));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use redflag_model::{CountryCode, parse_timezone};

    #[test]
    fn embedded_data_parses_and_is_valid() {
        let data = Data::parse().unwrap();
        assert_eq!(data.names.len(), NAME_FILES.len());
        for country in &data.countries {
            let code = CountryCode::parse(&country.name).unwrap();
            assert_eq!(code.as_str(), country.code, "{}", country.name);
            for city in &country.cities {
                parse_timezone(&city.tz).unwrap();
            }
        }
        for e in &data.employers {
            CountryCode::parse(e.country).unwrap();
            assert!(e.domain.contains('.'));
        }
        for u in &data.universities {
            CountryCode::parse(u.country).unwrap();
        }
        assert!(data.roles.len() > 20);
    }

    #[test]
    fn name_files_reject_names_outside_sections() {
        assert!(parse_names("x", "Kim\n[given]\nA\n[family]\nB\n").is_err());
        assert!(parse_names("x", "[given]\nA\n").is_err());
        let ok = parse_names("x", "# c\n[given]\nA\n[family]\nB\n").unwrap();
        assert_eq!((ok.given.len(), ok.family.len()), (1, 1));
    }
}
