//! UN Security Council Consolidated List XML (`<CONSOLIDATED_LIST>`), read as a stream.

use std::io::BufRead;

use chrono::NaiveDate;

use super::xml::{XmlEvent, XmlWalker};
use super::{extract_contacts, non_empty};
use crate::entity::{
    Document, Entity, EntityKind, EntityName, NamePart, NamePartKind, NameStrength, PartialDate,
    country_code_or_text,
};
use crate::error::WatchlistError;

pub(crate) struct Un {
    pub entities: Vec<Entity>,
    pub published: Option<NaiveDate>,
}

/// Parses the UN consolidated list.
pub(crate) fn parse<R: BufRead>(input: R, file: &str) -> Result<Un, WatchlistError> {
    let mut xml = XmlWalker::new(input, file);
    let mut entities = Vec::new();
    let mut published = None;
    let mut saw_root = false;
    let mut cur: Option<Entity> = None;
    let mut names: Vec<(NamePartKind, String)> = Vec::new();
    let mut sub: Vec<(String, String)> = Vec::new();
    loop {
        match xml.next()? {
            XmlEvent::Eof => break,
            XmlEvent::Start { name, attrs } => {
                let depth = xml.stack().len();
                if depth == 1 {
                    if name != "CONSOLIDATED_LIST" {
                        return Err(xml.error(format!(
                            "root element is <{name}>, expected <CONSOLIDATED_LIST> of the UN list"
                        )));
                    }
                    saw_root = true;
                    published =
                        attrs
                            .iter()
                            .find(|(k, _)| k == "dateGenerated")
                            .and_then(|(_, v)| {
                                NaiveDate::parse_from_str(v.get(..10).unwrap_or(""), "%Y-%m-%d")
                                    .ok()
                            });
                } else if depth == 3 && (name == "INDIVIDUAL" || name == "ENTITY") {
                    let kind = if name == "INDIVIDUAL" {
                        EntityKind::Person
                    } else {
                        EntityKind::Organization
                    };
                    cur = Some(Entity::new("", kind));
                    names.clear();
                } else if depth == 4 {
                    sub.clear();
                }
            }
            XmlEvent::End { name, text } => {
                let depth = xml.stack().len() + 1;
                let Some(e) = cur.as_mut() else { continue };
                if depth == 5 {
                    sub.push((name, text));
                    continue;
                }
                if depth == 4 {
                    let get = |k: &str| {
                        sub.iter()
                            .find(|(n, _)| n == k)
                            .and_then(|(_, v)| non_empty(v))
                    };
                    match name.as_str() {
                        "REFERENCE_NUMBER" => e.id = text,
                        "FIRST_NAME" => names.push((NamePartKind::Given, text)),
                        "SECOND_NAME" => names.push((NamePartKind::Family, text)),
                        "THIRD_NAME" | "FOURTH_NAME" => names.push((NamePartKind::Other, text)),
                        "NAME_ORIGINAL_SCRIPT" => {
                            if let Some(t) = non_empty(&text) {
                                e.names.push(EntityName {
                                    full: t,
                                    strength: NameStrength::Strong,
                                    alias_type: Some("original script".into()),
                                    script: None,
                                    parts: Vec::new(),
                                });
                            }
                        }
                        "UN_LIST_TYPE" => e.programs.extend(non_empty(&text)),
                        "LISTED_ON" => {
                            e.listed_on = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()
                        }
                        "COMMENTS1" => {
                            if let Some(t) = non_empty(&text) {
                                extract_contacts(&t, e);
                                e.remarks.push(t);
                            }
                        }
                        "NATIONALITY" => {
                            for (_, v) in sub.iter().filter(|(n, _)| n == "VALUE") {
                                e.nationalities.extend(country_code_or_text(v));
                            }
                        }
                        "DESIGNATION" | "TITLE" => {
                            for (_, v) in sub.iter().filter(|(n, _)| n == "VALUE") {
                                e.remarks.extend(
                                    non_empty(v).map(|v| format!("{}: {v}", name.to_lowercase())),
                                );
                            }
                        }
                        "INDIVIDUAL_ALIAS" | "ENTITY_ALIAS" => {
                            if let Some(alias) = get("ALIAS_NAME") {
                                let weak =
                                    get("QUALITY").is_some_and(|q| q.eq_ignore_ascii_case("low"));
                                e.names.push(EntityName {
                                    full: alias,
                                    strength: if weak {
                                        NameStrength::Weak
                                    } else {
                                        NameStrength::Strong
                                    },
                                    alias_type: get("QUALITY"),
                                    script: None,
                                    parts: Vec::new(),
                                });
                            }
                        }
                        "INDIVIDUAL_ADDRESS" | "ENTITY_ADDRESS" => {
                            let parts: Vec<String> =
                                ["STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY"]
                                    .iter()
                                    .filter_map(|k| get(k))
                                    .collect();
                            if !parts.is_empty() {
                                e.addresses.push(parts.join(", "));
                            }
                            e.countries
                                .extend(get("COUNTRY").and_then(|c| country_code_or_text(&c)));
                        }
                        "INDIVIDUAL_DATE_OF_BIRTH" => {
                            let date = match get("TYPE_OF_DATE").as_deref() {
                                Some("BETWEEN") => match (get("FROM_YEAR"), get("TO_YEAR")) {
                                    (Some(a), Some(b)) => {
                                        PartialDate::parse(&format!("{a} to {b}"))
                                    }
                                    _ => None,
                                },
                                _ => get("DATE")
                                    .or_else(|| get("YEAR"))
                                    .and_then(|d| PartialDate::parse(&d)),
                            };
                            e.birth_dates.extend(date);
                        }
                        "INDIVIDUAL_PLACE_OF_BIRTH" => {
                            let parts: Vec<String> = ["CITY", "STATE_PROVINCE", "COUNTRY"]
                                .iter()
                                .filter_map(|k| get(k))
                                .collect();
                            if !parts.is_empty() {
                                e.birth_places.push(parts.join(", "));
                            }
                        }
                        "INDIVIDUAL_DOCUMENT" => {
                            if let Some(number) = get("NUMBER") {
                                e.documents.push(Document {
                                    kind: get("TYPE_OF_DOCUMENT")
                                        .unwrap_or_else(|| "Document".into()),
                                    number,
                                    country: get("ISSUING_COUNTRY")
                                        .and_then(|c| country_code_or_text(&c)),
                                });
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                if depth == 3
                    && (name == "INDIVIDUAL" || name == "ENTITY")
                    && let Some(mut e) = cur.take()
                {
                    let parts: Vec<NamePart> = names
                        .drain(..)
                        .filter(|(_, v)| !v.trim().is_empty())
                        .map(|(kind, value)| NamePart { kind, value })
                        .collect();
                    let full = parts
                        .iter()
                        .map(|p| p.value.as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                    if full.is_empty() {
                        return Err(xml.error(format!("record {} has no name", e.id)));
                    }
                    if e.id.is_empty() {
                        return Err(xml.error(format!("record {full:?} has no REFERENCE_NUMBER")));
                    }
                    let kind = if e.kind == EntityKind::Person {
                        parts.clone()
                    } else {
                        Vec::new()
                    };
                    e.names.insert(
                        0,
                        EntityName {
                            full,
                            strength: NameStrength::Primary,
                            alias_type: None,
                            script: None,
                            parts: kind,
                        },
                    );
                    e.tidy();
                    entities.push(e);
                }
            }
        }
    }
    if !saw_root {
        return Err(xml.error("no <CONSOLIDATED_LIST> root element"));
    }
    Ok(Un {
        entities,
        published,
    })
}
