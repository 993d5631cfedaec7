//! UK Sanctions List XML of the FCDO (`UK_Sanctions_List.xml`): `<Designations>` with a `DateGenerated`
//! and one `<Designation>` per listing. The parser keys on leaf element names, so the nesting of detail
//! blocks (`IndividualDetails/Individual/DOBs/DOB`, `Addresses/Address/AddressCountry`, …) may vary.

use std::io::BufRead;

use chrono::NaiveDate;

use super::xml::{XmlEvent, XmlWalker};
use crate::entity::{
    Document, Entity, EntityKind, EntityName, NamePart, NamePartKind, NameStrength, PartialDate,
    country_code_or_text,
};
use crate::error::WatchlistError;

pub(crate) struct Uk {
    pub entities: Vec<Entity>,
    pub published: Option<NaiveDate>,
}

fn date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d"))
        .ok()
}

pub(crate) fn parse<R: BufRead>(input: R, file: &str) -> Result<Uk, WatchlistError> {
    let mut xml = XmlWalker::new(input, file);
    let mut entities = Vec::new();
    let mut published = None;
    let mut saw_root = false;
    let mut cur: Option<Entity> = None;
    let mut name_parts: Vec<NamePart> = Vec::new();
    let mut name_type = String::new();
    let mut alias_strength = String::new();
    let mut address: Vec<String> = Vec::new();
    let mut doc_number: Option<String> = None;
    let mut doc_kind = "";
    let mut doc_country: Option<String> = None;
    loop {
        match xml.next()? {
            XmlEvent::Eof => break,
            XmlEvent::Start { name, .. } => {
                if xml.stack().len() == 1 {
                    if name != "Designations" {
                        return Err(xml.error(format!("root element is <{name}>, expected <Designations> of the UK Sanctions List")));
                    }
                    saw_root = true;
                }
                match name.as_str() {
                    "Designation" => cur = Some(Entity::new("", EntityKind::Other)),
                    "Name" => {
                        name_parts.clear();
                        name_type.clear();
                        alias_strength.clear();
                    }
                    "Address" => address.clear(),
                    "PassportDetail" | "NationalIdentifier" => {
                        doc_number = None;
                        doc_country = None;
                        doc_kind = if name == "PassportDetail" {
                            "Passport"
                        } else {
                            "National ID No."
                        };
                    }
                    _ => {}
                }
            }
            XmlEvent::End { name, text } => {
                if name == "DateGenerated" {
                    published = date(&text);
                    continue;
                }
                let Some(e) = cur.as_mut() else { continue };
                let value = (!text.is_empty()).then_some(text);
                match (name.as_str(), value) {
                    ("UniqueID", Some(v)) => e.id = v,
                    ("IndividualEntityShip", Some(v)) => e.kind = EntityKind::parse(&v),
                    ("RegimeName", Some(v)) => e.programs.push(v),
                    ("DateDesignated", Some(v)) => e.listed_on = date(&v),
                    ("OFSIGroupID", Some(v)) => e.remarks.push(format!("OFSI Group ID: {v}")),
                    ("UNReferenceNumber", Some(v)) => e.remarks.push(format!("UN reference: {v}")),
                    ("OtherInformation" | "UKStatementofReasons", Some(v)) => {
                        super::remarks::extract_contacts(&v, e);
                        e.remarks.push(v);
                    }
                    (n, Some(v))
                        if n.starts_with("Name")
                            && n.len() == 5
                            && n.as_bytes()[4].is_ascii_digit() =>
                    {
                        let kind = if n == "Name6" {
                            NamePartKind::Family
                        } else {
                            NamePartKind::Given
                        };
                        name_parts.push(NamePart { kind, value: v });
                    }
                    ("NameType", Some(v)) => name_type = v,
                    ("AliasStrength", Some(v)) => alias_strength = v,
                    ("Name", _) => {
                        // Name6 (family or entity name) goes last, as OFSI writes names.
                        name_parts.sort_by_key(|p| p.kind == NamePartKind::Family);
                        let full = name_parts
                            .iter()
                            .map(|p| p.value.as_str())
                            .collect::<Vec<_>>()
                            .join(" ");
                        if !full.is_empty() {
                            let strength = if name_type.eq_ignore_ascii_case("Primary Name") {
                                NameStrength::Primary
                            } else if alias_strength.eq_ignore_ascii_case("weak") {
                                NameStrength::Weak
                            } else {
                                NameStrength::Strong
                            };
                            e.names.push(EntityName {
                                full,
                                strength,
                                alias_type: (!name_type.is_empty()).then(|| name_type.clone()),
                                script: None,
                                parts: std::mem::take(&mut name_parts),
                            });
                        }
                    }
                    ("NameNonLatinScript", Some(v)) => e.names.push(EntityName {
                        full: v,
                        strength: NameStrength::Strong,
                        alias_type: Some("non-Latin script".into()),
                        script: None,
                        parts: Vec::new(),
                    }),
                    ("DOB", Some(v)) => e.birth_dates.extend(PartialDate::parse(&v)),
                    ("Nationality", Some(v)) => e.nationalities.extend(country_code_or_text(&v)),
                    ("TownOfBirth" | "CountryOfBirth", Some(v)) => e.birth_places.push(v),
                    ("EmailAddress", Some(v)) => e.emails.push(v),
                    ("PhoneNumber", Some(v)) => e.phones.push(v),
                    ("Website", Some(v)) => e.websites.push(v),
                    ("AddressCountry", Some(v)) => {
                        e.countries.extend(country_code_or_text(&v));
                        address.push(v);
                    }
                    (n, Some(v)) if n.starts_with("AddressLine") || n == "AddressPostalCode" => {
                        address.push(v)
                    }
                    ("Address", _) if !address.is_empty() => {
                        e.addresses.push(address.join(", "));
                    }
                    ("PassportNumber" | "NationalIdentifierNumber", Some(v)) => {
                        doc_number = Some(v)
                    }
                    (
                        "PassportAdditionalInformation" | "NationalIdentifierAdditionalInformation",
                        Some(v),
                    ) => {
                        doc_country =
                            country_code_or_text(&v)
                                .filter(|c| c.len() == 2)
                                .or_else(|| {
                                    v.split(['(', ')', ',', ';'])
                                        .filter_map(country_code_or_text)
                                        .find(|c| c.len() == 2)
                                });
                    }
                    ("PassportDetail" | "NationalIdentifier", _) => {
                        if let Some(number) = doc_number.take() {
                            e.documents.push(Document {
                                kind: doc_kind.into(),
                                number,
                                country: doc_country.take(),
                            });
                        }
                    }
                    ("Designation", _) => {
                        if let Some(mut e) = cur.take() {
                            if e.id.is_empty() {
                                return Err(xml.error("Designation without UniqueID"));
                            }
                            if e.names.is_empty() {
                                return Err(xml.error(format!("Designation {} has no name", e.id)));
                            }
                            if !e.names.iter().any(|n| n.strength == NameStrength::Primary) {
                                e.names[0].strength = NameStrength::Primary;
                            }
                            e.tidy();
                            entities.push(e);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if !saw_root {
        return Err(xml.error("no <Designations> root element"));
    }
    Ok(Uk {
        entities,
        published,
    })
}
