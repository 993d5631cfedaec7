use std::collections::BTreeMap;
use std::fmt;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::{CountryCode, Identifier, ModelError, Provenance};

/// A stable subject id: `source:external_id` (e.g. `greenhouse:48213`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SubjectId(String);

impl SubjectId {
    /// Builds an id from the source system's name and its own id for the record.
    pub fn new(source: &str, external_id: &str) -> Result<Self, ModelError> {
        let source = source.trim();
        let external_id = external_id.trim();
        if source.is_empty() {
            return Err(ModelError::Empty { field: "source" });
        }
        if external_id.is_empty() {
            return Err(ModelError::Empty { field: "id" });
        }
        Ok(Self(format!("{}:{}", source.to_lowercase(), external_id)))
    }

    /// Wraps an id read back from storage.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of person or account a subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// Someone who applied for a job.
    #[default]
    Applicant,
    /// A contractor.
    Contractor,
    /// An employee.
    Employee,
    /// An account on a freelance marketplace.
    MarketplaceAccount,
}

impl SubjectKind {
    /// Parses the kind from common export words.
    pub fn parse(input: &str) -> Result<Self, ModelError> {
        match input
            .trim()
            .to_lowercase()
            .replace(['-', ' '], "_")
            .as_str()
        {
            "" | "applicant" | "candidate" | "prospect" => Ok(Self::Applicant),
            "contractor" | "freelancer" | "consultant" => Ok(Self::Contractor),
            "employee" | "staff" | "hire" | "hired" => Ok(Self::Employee),
            "marketplace_account" | "account" | "marketplace" => Ok(Self::MarketplaceAccount),
            _ => Err(ModelError::Invalid {
                field: "kind",
                value: input.to_string(),
                reason: "expected applicant, contractor, employee or marketplace_account".into(),
            }),
        }
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applicant => "applicant",
            Self::Contractor => "contractor",
            Self::Employee => "employee",
            Self::MarketplaceAccount => "marketplace_account",
        }
    }
}

/// A person's name as claimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PersonName {
    /// The full name as written.
    pub full: String,
    /// Given name(s), where the source separates them.
    pub given: Option<String>,
    /// Family name, where the source separates it.
    pub family: Option<String>,
}

impl PersonName {
    /// A name from its parts; the full name is built from given and family when not given.
    pub fn new(
        full: Option<&str>,
        given: Option<&str>,
        family: Option<&str>,
    ) -> Result<Self, ModelError> {
        let clean = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let given = clean(given);
        let family = clean(family);
        let full = match clean(full) {
            Some(full) => full,
            None => [given.as_deref(), family.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        };
        if full.is_empty() {
            return Err(ModelError::Empty { field: "name" });
        }
        Ok(Self {
            full,
            given,
            family,
        })
    }
}

/// What a subject claims about themself. Claims are compared only with the subject's own evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ClaimedAttributes {
    /// Country of residence claimed.
    pub country: Option<CountryCode>,
    /// City of residence claimed.
    pub city: Option<String>,
    /// Nationality claimed.
    pub nationality: Option<CountryCode>,
    /// IANA time zone claimed (or implied by the claimed city).
    #[serde(with = "tz_name")]
    pub timezone: Option<Tz>,
}

/// Parses an IANA time zone name.
pub fn parse_timezone(input: &str) -> Result<Tz, ModelError> {
    input
        .trim()
        .parse::<Tz>()
        .map_err(|_| ModelError::UnknownTimeZone {
            value: input.to_string(),
        })
}

mod tz_name {
    use chrono_tz::Tz;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(tz: &Option<Tz>, s: S) -> Result<S::Ok, S::Error> {
        match tz {
            Some(tz) => s.serialize_some(tz.name()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Tz>, D::Error> {
        let name: Option<String> = Option::deserialize(d)?;
        name.map(|n| super::parse_timezone(&n).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// One claimed person or account, known through its identifiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    /// Stable id.
    pub id: SubjectId,
    /// Applicant, contractor, employee or marketplace account.
    pub kind: SubjectKind,
    /// The name as claimed.
    pub name: PersonName,
    /// Claimed location, nationality and time zone.
    pub claimed: ClaimedAttributes,
    /// Role or job applied for.
    pub role: Option<String>,
    /// Everything that points at this subject.
    pub identifiers: Vec<Identifier>,
    /// Other columns of the source record, kept for the analyst.
    pub attributes: BTreeMap<String, String>,
    /// Where the record was read.
    pub provenance: Provenance,
}

impl Subject {
    /// The subject's identifiers of one kind.
    pub fn identifiers_of(&self, kind: crate::IdentifierKind) -> impl Iterator<Item = &Identifier> {
        self.identifiers.iter().filter(move |i| i.kind() == kind)
    }

    /// Adds an identifier unless the subject already has it.
    pub fn add_identifier(&mut self, identifier: Identifier) {
        if !self.identifiers.contains(&identifier) {
            self.identifiers.push(identifier);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names() {
        assert_eq!(
            SubjectId::new("Greenhouse", " 42 ").unwrap().as_str(),
            "greenhouse:42"
        );
        assert!(SubjectId::new("", "42").is_err());
        let n = PersonName::new(None, Some("Hana"), Some("Sato")).unwrap();
        assert_eq!(n.full, "Hana Sato");
        assert!(PersonName::new(Some(" "), None, None).is_err());
        assert_eq!(
            SubjectKind::parse("Candidate").unwrap(),
            SubjectKind::Applicant
        );
        assert!(SubjectKind::parse("robot").is_err());
    }

    #[test]
    fn timezones_roundtrip() {
        let claimed = ClaimedAttributes {
            timezone: Some(parse_timezone("America/Los_Angeles").unwrap()),
            ..Default::default()
        };
        let json = serde_json::to_string(&claimed).unwrap();
        assert!(json.contains("America/Los_Angeles"));
        let back: ClaimedAttributes = serde_json::from_str(&json).unwrap();
        assert_eq!(back, claimed);
        assert!(parse_timezone("Mars/Olympus").is_err());
    }
}
