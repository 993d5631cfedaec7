//! EU Financial Sanctions Files consolidated XML (`<export>` of the FSF, schema 1.1): one
//! `<sanctionEntity>` per listing, its facts in attributes of `nameAlias`, `birthdate`, `citizenship`,
//! `identification` and `address` children.

use std::io::BufRead;

use chrono::NaiveDate;

use super::remarks::extract_contacts;
use super::xml::{XmlEvent, XmlWalker};
use crate::entity::{
    Document, Entity, EntityKind, EntityName, NamePart, NamePartKind, NameStrength, PartialDate,
    country_code_or_text,
};
use crate::error::WatchlistError;

pub(crate) struct Eu {
    pub entities: Vec<Entity>,
    pub published: Option<NaiveDate>,
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

pub(crate) fn parse<R: BufRead>(input: R, file: &str) -> Result<Eu, WatchlistError> {
    let mut xml = XmlWalker::new(input, file);
    let mut entities = Vec::new();
    let mut published = None;
    let mut saw_root = false;
    let mut cur: Option<Entity> = None;
    loop {
        match xml.next()? {
            XmlEvent::Eof => break,
            XmlEvent::Start { name, attrs } => {
                let depth = xml.stack().len();
                if depth == 1 {
                    if name != "export" {
                        return Err(xml.error(format!(
                            "root element is <{name}>, expected <export> of the EU FSF XML"
                        )));
                    }
                    saw_root = true;
                    published = attr(&attrs, "generationDate").and_then(|d| {
                        NaiveDate::parse_from_str(d.get(..10).unwrap_or(""), "%Y-%m-%d").ok()
                    });
                    continue;
                }
                if name == "sanctionEntity" {
                    let id = attr(&attrs, "euReferenceNumber")
                        .or_else(|| attr(&attrs, "logicalId"))
                        .unwrap_or("");
                    if id.is_empty() {
                        return Err(
                            xml.error("sanctionEntity without euReferenceNumber or logicalId")
                        );
                    }
                    let mut e = Entity::new(id, EntityKind::Other);
                    if let Some(un) = attr(&attrs, "unitedNationId") {
                        e.remarks.push(format!("UN reference: {un}"));
                    }
                    cur = Some(e);
                    continue;
                }
                let Some(e) = cur.as_mut() else { continue };
                match name.as_str() {
                    "regulation" => e
                        .programs
                        .extend(attr(&attrs, "programme").map(str::to_string)),
                    "subjectType" => {
                        e.kind = match attr(&attrs, "classificationCode") {
                            Some("P") => EntityKind::Person,
                            Some("E") => EntityKind::Organization,
                            _ => attr(&attrs, "code").map_or(EntityKind::Other, EntityKind::parse),
                        }
                    }
                    "nameAlias" => {
                        let mut parts = Vec::new();
                        for (k, kind) in [
                            ("firstName", NamePartKind::Given),
                            ("middleName", NamePartKind::Middle),
                            ("lastName", NamePartKind::Family),
                        ] {
                            if let Some(v) = attr(&attrs, k) {
                                parts.push(NamePart {
                                    kind,
                                    value: v.to_string(),
                                });
                            }
                        }
                        let whole = attr(&attrs, "wholeName")
                            .map(str::to_string)
                            .unwrap_or_else(|| {
                                parts
                                    .iter()
                                    .map(|p| p.value.as_str())
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            });
                        if !whole.is_empty() {
                            let strong = attr(&attrs, "strong") != Some("false");
                            let strength = if e.names.is_empty() {
                                NameStrength::Primary
                            } else if strong {
                                NameStrength::Strong
                            } else {
                                NameStrength::Weak
                            };
                            e.names.push(EntityName {
                                full: whole,
                                strength,
                                alias_type: attr(&attrs, "nameLanguage")
                                    .map(|l| format!("language {l}")),
                                script: None,
                                parts,
                            });
                        }
                        if let Some(f) = attr(&attrs, "function") {
                            e.remarks.push(format!("Function: {f}"));
                        }
                    }
                    "citizenship" => {
                        e.nationalities.extend(
                            attr(&attrs, "countryIso2Code")
                                .map(|c| c.to_ascii_uppercase())
                                .or_else(|| {
                                    attr(&attrs, "countryDescription")
                                        .and_then(country_code_or_text)
                                }),
                        );
                    }
                    "birthdate" => {
                        let date = attr(&attrs, "birthdate")
                            .and_then(PartialDate::parse)
                            .or_else(|| {
                                let y: i32 = attr(&attrs, "year")?.parse().ok()?;
                                let m: u32 = attr(&attrs, "monthOfYear")
                                    .and_then(|m| m.parse().ok())
                                    .unwrap_or(0);
                                let d: u32 = attr(&attrs, "dayOfMonth")
                                    .and_then(|d| d.parse().ok())
                                    .unwrap_or(0);
                                PartialDate::from_parts(y, m, d)
                            });
                        e.birth_dates.extend(date);
                        let place: Vec<&str> = ["city", "place", "countryDescription"]
                            .iter()
                            .filter_map(|k| attr(&attrs, k))
                            .collect();
                        if !place.is_empty() {
                            e.birth_places.push(place.join(", "));
                        }
                    }
                    "identification" => {
                        if let Some(number) =
                            attr(&attrs, "number").or_else(|| attr(&attrs, "latinNumber"))
                        {
                            e.documents.push(Document {
                                kind: attr(&attrs, "identificationTypeDescription")
                                    .or_else(|| attr(&attrs, "identificationTypeCode"))
                                    .unwrap_or("Document")
                                    .to_string(),
                                number: number.to_string(),
                                country: attr(&attrs, "countryIso2Code")
                                    .map(|c| c.to_ascii_uppercase()),
                            });
                        }
                    }
                    "address" => {
                        let parts: Vec<&str> = [
                            "street",
                            "poBox",
                            "city",
                            "zipCode",
                            "region",
                            "place",
                            "countryDescription",
                        ]
                        .iter()
                        .filter_map(|k| attr(&attrs, k))
                        .collect();
                        if !parts.is_empty() {
                            e.addresses.push(parts.join(", "));
                        }
                        e.countries.extend(
                            attr(&attrs, "countryIso2Code").map(|c| c.to_ascii_uppercase()),
                        );
                        if let Some(contact) = attr(&attrs, "contactInfo") {
                            let contact = contact.to_string();
                            extract_contacts(&contact, e);
                        }
                    }
                    _ => {}
                }
            }
            XmlEvent::End { name, text } => {
                if name == "sanctionEntity" {
                    if let Some(mut e) = cur.take() {
                        if e.names.is_empty() {
                            return Err(
                                xml.error(format!("sanctionEntity {} has no nameAlias", e.id))
                            );
                        }
                        e.tidy();
                        entities.push(e);
                    }
                } else if name == "remark"
                    && let Some(e) = cur.as_mut()
                    && !text.is_empty()
                {
                    extract_contacts(&text, e);
                    e.remarks.push(text);
                }
            }
        }
    }
    if !saw_root {
        return Err(xml.error("no <export> root element"));
    }
    Ok(Eu {
        entities,
        published,
    })
}
