use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// An ISO 3166-1 alpha-2 country code, validated against the standard's list.
///
/// Parsing accepts the alpha-2 or alpha-3 code or the English short name in any case ("us", "USA",
/// "United States", "Viet Nam", "Korea, Democratic People's Republic of"), because that is what exports
/// contain; the stored form is always the upper-case alpha-2 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses a code or English country name.
    pub fn parse(input: &str) -> Result<Self, ModelError> {
        let trimmed = input.trim();
        let unknown = || ModelError::UnknownCountry {
            value: input.to_string(),
        };
        if trimmed.is_empty() {
            return Err(unknown());
        }
        if let Some(code) = alias(trimmed) {
            return Ok(code);
        }
        let country = celes::Country::from_str(trimmed).map_err(|_| unknown())?;
        let bytes = country.alpha2.as_bytes();
        match bytes {
            [a, b] => Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()])),
            _ => Err(unknown()),
        }
    }

    /// The alpha-2 code, e.g. `"KP"`.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The English short name of the country.
    pub fn name(&self) -> String {
        celes::Country::from_alpha2(self.as_str())
            .map(|c| c.long_name.to_string())
            .unwrap_or_else(|_| self.as_str().to_string())
    }
}

const ALIASES: &str = include_str!("../data/country-aliases.tsv");

/// Looks a name up in the alias table (`data/country-aliases.tsv`).
fn alias(input: &str) -> Option<CountryCode> {
    let key = alias_key(input);
    ALIASES
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('\t'))
        .find(|(name, _)| *name == key)
        .and_then(|(_, code)| match code.trim().as_bytes() {
            [a, b] => Some(CountryCode([*a, *b])),
            _ => None,
        })
}

fn alias_key(input: &str) -> String {
    input
        .chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() => Some(c.to_ascii_lowercase()),
            ' ' | '-' | '.' | ',' | '_' => Some(' '),
            _ => None,
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CountryCode {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CountryCode {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> Self {
        value.as_str().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Option<&str>) {
        let got = CountryCode::parse(input).ok().map(|c| c.to_string());
        assert_eq!(got.as_deref(), expect, "input {input:?}");
    }

    #[test]
    fn codes_and_names_parse() {
        check("us", Some("US"));
        check("USA", Some("US"));
        check("United States", Some("US"));
        check("KP", Some("KP"));
        check("Vietnam", Some("VN"));
        check("Viet Nam", Some("VN"));
        check("Korea, Democratic People's Republic of", Some("KP"));
        check("South Korea", Some("KR"));
        check("U.S.A.", Some("US"));
        check("Russia", Some("RU"));
        check("Japan", Some("JP"));
        check("  it ", Some("IT"));
    }

    #[test]
    fn alias_table_codes_are_valid() {
        for line in ALIASES.lines().filter(|l| !l.starts_with('#')) {
            let (name, code) = line.split_once('\t').unwrap();
            assert_eq!(
                alias_key(name),
                name,
                "alias {name:?} must be written in key form"
            );
            assert!(
                celes::Country::from_alpha2(code).is_ok(),
                "alias {name:?} has unknown code {code}"
            );
        }
    }

    #[test]
    fn unknown_values_are_refused() {
        check("", None);
        check("XX", None);
        check("Atlantis", None);
    }
}
