//! OpenSanctions FollowTheMoney entities, JSON lines (`entities.ftm.json`). Every property is a list of
//! strings; crypto wallets are separate `CryptoWallet` entities pointing at their `holder`.

use std::collections::HashMap;
use std::io::BufRead;

use serde::Deserialize;

use crate::entity::{
    Document, Entity, EntityKind, EntityName, NameStrength, PartialDate, WalletEntry,
    country_code_or_text,
};
use crate::error::{Location, WatchlistError};

#[derive(Deserialize)]
struct FtmEntity {
    id: String,
    schema: String,
    #[serde(default)]
    properties: HashMap<String, Vec<serde_json::Value>>,
    #[serde(default)]
    last_change: Option<String>,
}

fn strings(props: &HashMap<String, Vec<serde_json::Value>>, key: &str) -> Vec<String> {
    props
        .get(key)
        .map(|v| {
            v.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) struct Ftm {
    pub entities: Vec<Entity>,
    pub latest_change: Option<chrono::NaiveDate>,
}

pub(crate) fn parse<R: BufRead>(reader: R, name: &str) -> Result<Ftm, WatchlistError> {
    let mut entities: Vec<Entity> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut wallets: Vec<(String, WalletEntry)> = Vec::new();
    let mut latest: Option<chrono::NaiveDate> = None;
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|source| WatchlistError::Io {
            path: name.into(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let lineno = i as u64 + 1;
        let raw: FtmEntity =
            serde_json::from_str(&line).map_err(|e| WatchlistError::Malformed {
                at: Location {
                    file: name.into(),
                    line: Some(lineno),
                    column: Some(e.column() as u64),
                    element: Some("entity".into()),
                },
                reason: format!("not a FollowTheMoney entity: {e}"),
            })?;
        if let Some(d) = raw
            .last_change
            .as_deref()
            .and_then(|s| chrono::NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok())
        {
            latest = Some(latest.map_or(d, |l| l.max(d)));
        }
        let p = &raw.properties;
        if raw.schema == "CryptoWallet" {
            let currency = strings(p, "currency").into_iter().next();
            for key in strings(p, "publicKey") {
                for holder in strings(p, "holder") {
                    wallets.push((holder, WalletEntry::new(&key, currency.as_deref())));
                }
            }
            continue;
        }
        let kind = match raw.schema.as_str() {
            "Person" => EntityKind::Person,
            "Organization" | "Company" | "LegalEntity" | "PublicBody" => EntityKind::Organization,
            "Vessel" => EntityKind::Vessel,
            "Airplane" => EntityKind::Aircraft,
            _ => continue, // addresses, sanctions, relations: not screened parties
        };
        let mut e = Entity::new(raw.id.clone(), kind);
        for (key, strength) in [
            ("name", NameStrength::Primary),
            ("alias", NameStrength::Strong),
            ("previousName", NameStrength::Strong),
            ("weakAlias", NameStrength::Weak),
        ] {
            for (j, n) in strings(p, key).into_iter().enumerate() {
                let strength = if strength == NameStrength::Primary && j > 0 {
                    NameStrength::Strong
                } else {
                    strength
                };
                e.names.push(EntityName {
                    full: n,
                    strength,
                    alias_type: Some(key.into()),
                    script: None,
                    parts: Vec::new(),
                });
            }
        }
        e.birth_dates.extend(
            strings(p, "birthDate")
                .iter()
                .filter_map(|d| PartialDate::parse(d)),
        );
        e.birth_dates.extend(
            strings(p, "incorporationDate")
                .iter()
                .filter_map(|d| PartialDate::parse(d)),
        );
        e.birth_places = strings(p, "birthPlace");
        for key in ["nationality", "citizenship"] {
            e.nationalities.extend(
                strings(p, key)
                    .iter()
                    .filter_map(|c| country_code_or_text(c)),
            );
        }
        for key in ["country", "jurisdiction", "mainCountry"] {
            e.countries.extend(
                strings(p, key)
                    .iter()
                    .filter_map(|c| country_code_or_text(c)),
            );
        }
        e.addresses = strings(p, "address");
        e.emails = strings(p, "email");
        e.phones = strings(p, "phone");
        e.websites = strings(p, "website");
        for (key, label) in [
            ("passportNumber", "Passport"),
            ("idNumber", "Identification Number"),
            ("taxNumber", "Tax ID No."),
            ("registrationNumber", "Registration Number"),
            ("imoNumber", "IMO"),
        ] {
            for number in strings(p, key) {
                e.documents.push(Document {
                    kind: label.into(),
                    number,
                    country: None,
                });
            }
        }
        e.programs = strings(p, "programId");
        e.remarks = strings(p, "notes");
        e.remarks.extend(
            strings(p, "position")
                .into_iter()
                .map(|s| format!("Position: {s}")),
        );
        if e.names.is_empty() {
            continue;
        }
        e.names.sort_by_key(|n| n.strength != NameStrength::Primary);
        by_id.insert(raw.id, entities.len());
        entities.push(e);
    }
    for (holder, w) in wallets {
        if let Some(&i) = by_id.get(&holder) {
            entities[i].wallets.push(w);
        }
    }
    for e in &mut entities {
        e.tidy();
    }
    Ok(Ftm {
        entities,
        latest_change: latest,
    })
}
