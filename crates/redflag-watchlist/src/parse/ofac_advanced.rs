//! OFAC "Advanced" XML (SDN_ADVANCED / CONS_ADVANCED, schema Version 3), read as a stream.
//!
//! Nearly every value is an id into `ReferenceValueSets`; locations and identity documents come in their
//! own sections before the parties, and programmes come after them in `SanctionsEntries`, so the parser keeps
//! the small lookup tables and the parsed entities, never the document.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::NaiveDate;

use super::xml::{XmlEvent, XmlWalker};
use crate::entity::{
    Document, Entity, EntityKind, EntityName, NamePart, NamePartKind, NameStrength, PartialDate,
    WalletEntry, country_code_or_text,
};
use crate::error::WatchlistError;

/// What the OFAC advanced file yields: entities, the issue date and the list id seen most.
pub(crate) struct OfacAdvanced {
    pub entities: Vec<Entity>,
    pub published: Option<NaiveDate>,
    pub consolidated: bool,
}

#[derive(Default)]
struct Loc {
    country: Option<String>,
    parts: Vec<(String, String)>,
}

impl Loc {
    fn text(&self, refs: &Refs) -> String {
        let mut out: Vec<String> = Vec::new();
        for (kind, value) in &self.parts {
            let kind_name = refs.get("LocPartType", kind);
            if kind_name == "Unknown" && self.country.is_none() {
                continue;
            }
            out.push(value.clone());
        }
        if let Some(c) = &self.country {
            out.push(refs.country_name(c));
        } else if let Some((_, v)) = self.parts.first()
            && out.is_empty()
        {
            out.push(v.clone());
        }
        out.join(", ")
    }

    /// The country: from `LocationCountry`, else a lone "Unknown"-type part naming a country.
    fn country(&self, refs: &Refs) -> Option<String> {
        if let Some(c) = &self.country {
            return refs.country_code(c);
        }
        let (_, value) = self
            .parts
            .iter()
            .find(|(kind, _)| refs.get("LocPartType", kind) == "Unknown")?;
        country_code_or_text(value)
    }
}

#[derive(Default)]
struct Refs {
    values: HashMap<(String, String), String>,
    /// Country id -> ISO2.
    iso2: HashMap<String, String>,
    /// PartySubType id -> PartyType id.
    party_type_of: HashMap<String, String>,
    /// Script id -> ISO 15924 code.
    script_code: HashMap<String, String>,
}

impl Refs {
    fn get(&self, set: &str, id: &str) -> &str {
        self.values
            .get(&(set.to_string(), id.to_string()))
            .map(String::as_str)
            .unwrap_or("")
    }
    fn country_code(&self, id: &str) -> Option<String> {
        if let Some(iso) = self.iso2.get(id) {
            return Some(iso.clone());
        }
        country_code_or_text(self.get("Country", id))
    }
    fn country_name(&self, id: &str) -> String {
        self.get("Country", id).to_string()
    }
}

#[derive(Default)]
struct DateParts {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
}

impl DateParts {
    fn date(&self, end: bool) -> Option<NaiveDate> {
        let y = self.year?;
        let partial = PartialDate::from_parts(y, self.month.unwrap_or(0), self.day.unwrap_or(0))?;
        Some(if end {
            partial.latest
        } else {
            partial.earliest
        })
    }
}

#[derive(Default)]
struct FeatureState {
    type_id: String,
    text: Option<String>,
    detail_ref: Option<String>,
    location: Option<String>,
    from: DateParts,
    to: DateParts,
    has_period: bool,
}

struct NameState {
    parts: Vec<(String, String, String)>, // (group id, script id, value)
    status: String,
}

struct AliasState {
    alias_type: String,
    primary: bool,
    low_quality: bool,
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> &'a str {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn num<T: std::str::FromStr>(text: &str) -> Option<T> {
    text.trim().parse().ok()
}

/// Parses an OFAC advanced XML stream.
pub(crate) fn parse<R: BufRead>(input: R, file: &str) -> Result<OfacAdvanced, WatchlistError> {
    let mut xml = XmlWalker::new(input, file);
    let mut refs = Refs::default();
    let mut locations: HashMap<String, Loc> = HashMap::new();
    let mut documents: HashMap<String, Vec<Document>> = HashMap::new();
    let mut entities: Vec<Entity> = Vec::new();
    let mut by_profile: HashMap<String, usize> = HashMap::new();
    let mut published = DateParts::default();
    let mut list_counts: HashMap<String, usize> = HashMap::new();
    let mut saw_root = false;

    // current-item state
    let mut cur_loc: Option<(String, Loc)> = None;
    let mut cur_loc_part: String = String::new();
    let mut cur_doc: Option<(String, Document)> = None;
    let mut cur_entity: Option<Entity> = None;
    let mut identity_ids: Vec<String> = Vec::new();
    let mut group_types: HashMap<String, String> = HashMap::new();
    let mut pending_names: Vec<(AliasState, NameState)> = Vec::new();
    let mut cur_alias: Option<AliasState> = None;
    let mut cur_name: Option<NameState> = None;
    let mut cur_part_attrs: (String, String) = (String::new(), String::new());
    let mut feature: Option<FeatureState> = None;
    let mut in_end = false; // inside DatePeriod/End (vs Start)
    let mut in_to = false; // inside From (false) or To (true)
    let mut cur_sanction: Option<usize> = None;
    let mut entry_date = DateParts::default();
    let mut measure_is_program = false;
    let mut ref_id = String::new();

    loop {
        match xml.next()? {
            XmlEvent::Eof => break,
            XmlEvent::Start { name, attrs } => {
                let depth = xml.stack().len();
                if depth == 1 {
                    if name != "Sanctions" {
                        return Err(xml.error(format!(
                            "root element is <{name}>, expected <Sanctions> of the OFAC advanced XML"
                        )));
                    }
                    saw_root = true;
                    continue;
                }
                let parent = xml
                    .stack()
                    .get(depth.wrapping_sub(2))
                    .map(String::as_str)
                    .unwrap_or("");
                let section = xml.stack().get(1).map(String::as_str).unwrap_or("");
                match (section, name.as_str()) {
                    ("ReferenceValueSets", _) if depth == 4 => {
                        let id = attr(&attrs, "ID").to_string();
                        ref_id.clone_from(&id);
                        match name.as_str() {
                            "Country" => {
                                let iso = attr(&attrs, "ISO2");
                                if !iso.is_empty() {
                                    refs.iso2.insert(id.clone(), iso.to_string());
                                }
                            }
                            "PartySubType" => {
                                refs.party_type_of
                                    .insert(id.clone(), attr(&attrs, "PartyTypeID").to_string());
                            }
                            "Script" => {
                                refs.script_code
                                    .insert(id.clone(), attr(&attrs, "ScriptCode").to_string());
                            }
                            _ => {}
                        }
                    }
                    ("Locations", "Location") => {
                        cur_loc = Some((attr(&attrs, "ID").to_string(), Loc::default()));
                    }
                    ("Locations", "LocationCountry") => {
                        if let Some((_, loc)) = cur_loc.as_mut() {
                            loc.country = Some(attr(&attrs, "CountryID").to_string());
                        }
                    }
                    ("Locations", "LocationPart") => {
                        cur_loc_part = attr(&attrs, "LocPartTypeID").to_string();
                    }
                    ("IDRegDocuments", "IDRegDocument") => {
                        let country = attr(&attrs, "IssuedBy-CountryID");
                        cur_doc = Some((
                            attr(&attrs, "IdentityID").to_string(),
                            Document {
                                kind: refs
                                    .get("IDRegDocType", attr(&attrs, "IDRegDocTypeID"))
                                    .to_string(),
                                number: String::new(),
                                country: if country.is_empty() {
                                    None
                                } else {
                                    refs.country_code(country)
                                },
                            },
                        ));
                    }
                    ("DistinctParties", "Profile") => {
                        let sub = attr(&attrs, "PartySubTypeID");
                        let sub_name = refs.get("PartySubType", sub);
                        let party_type = refs
                            .party_type_of
                            .get(sub)
                            .map(|t| refs.get("PartyType", t))
                            .unwrap_or("");
                        let kind = match (party_type, sub_name) {
                            (_, "Vessel") => EntityKind::Vessel,
                            (_, "Aircraft") => EntityKind::Aircraft,
                            ("Individual", _) => EntityKind::Person,
                            ("Entity", _) => EntityKind::Organization,
                            _ => EntityKind::Other,
                        };
                        cur_entity = Some(Entity::new(attr(&attrs, "ID"), kind));
                        identity_ids.clear();
                        group_types.clear();
                        pending_names.clear();
                    }
                    ("DistinctParties", "Identity") => {
                        identity_ids.push(attr(&attrs, "ID").to_string());
                    }
                    ("DistinctParties", "Alias") => {
                        cur_alias = Some(AliasState {
                            alias_type: attr(&attrs, "AliasTypeID").to_string(),
                            primary: attr(&attrs, "Primary") == "true",
                            low_quality: attr(&attrs, "LowQuality") == "true",
                        });
                    }
                    ("DistinctParties", "DocumentedName") => {
                        cur_name = Some(NameState {
                            parts: Vec::new(),
                            status: attr(&attrs, "DocNameStatusID").to_string(),
                        });
                    }
                    ("DistinctParties", "NamePartValue") => {
                        cur_part_attrs = (
                            attr(&attrs, "NamePartGroupID").to_string(),
                            attr(&attrs, "ScriptID").to_string(),
                        );
                    }
                    ("DistinctParties", "NamePartGroup") => {
                        group_types.insert(
                            attr(&attrs, "ID").to_string(),
                            attr(&attrs, "NamePartTypeID").to_string(),
                        );
                    }
                    ("DistinctParties", "Feature") => {
                        feature = Some(FeatureState {
                            type_id: attr(&attrs, "FeatureTypeID").to_string(),
                            ..FeatureState::default()
                        });
                    }
                    ("DistinctParties", "VersionDetail") => {
                        if let Some(f) = feature.as_mut() {
                            let r = attr(&attrs, "DetailReferenceID");
                            if !r.is_empty() {
                                f.detail_ref = Some(r.to_string());
                            }
                        }
                    }
                    ("DistinctParties", "VersionLocation") => {
                        if let Some(f) = feature.as_mut() {
                            f.location = Some(attr(&attrs, "LocationID").to_string());
                        }
                    }
                    ("DistinctParties", "DatePeriod") => {
                        if let Some(f) = feature.as_mut() {
                            f.has_period = true;
                        }
                    }
                    ("DistinctParties", "Start") if parent == "DatePeriod" => in_end = false,
                    ("DistinctParties", "End") if parent == "DatePeriod" => in_end = true,
                    ("DistinctParties", "From") => in_to = false,
                    ("DistinctParties", "To") => in_to = true,
                    ("SanctionsEntries", "SanctionsEntry") => {
                        *list_counts
                            .entry(attr(&attrs, "ListID").to_string())
                            .or_default() += 1;
                        cur_sanction = by_profile.get(attr(&attrs, "ProfileID")).copied();
                        entry_date = DateParts::default();
                    }
                    ("SanctionsEntries", "SanctionsMeasure") => {
                        measure_is_program =
                            refs.get("SanctionsType", attr(&attrs, "SanctionsTypeID")) == "Program";
                    }
                    _ => {}
                }
            }
            XmlEvent::End { name, text } => {
                let depth = xml.stack().len() + 1;
                let parent = xml.stack().last().map(String::as_str).unwrap_or("");
                let section = xml.stack().get(1).map(String::as_str).unwrap_or("");
                if section == "ReferenceValueSets" && depth == 4 {
                    refs.values
                        .insert((name, std::mem::take(&mut ref_id)), text);
                    continue;
                }
                match (section, name.as_str()) {
                    ("DateOfIssue", "Year") => published.year = num(&text),
                    ("DateOfIssue", "Month") => published.month = num(&text),
                    ("DateOfIssue", "Day") => published.day = num(&text),
                    ("Locations", "Value") => {
                        if let Some((_, loc)) = cur_loc.as_mut()
                            && !text.is_empty()
                        {
                            loc.parts.push((cur_loc_part.clone(), text));
                        }
                    }
                    ("Locations", "Location") => {
                        if let Some((id, loc)) = cur_loc.take() {
                            locations.insert(id, loc);
                        }
                    }
                    ("IDRegDocuments", "IDRegistrationNo") => {
                        if let Some((_, doc)) = cur_doc.as_mut() {
                            doc.number = text;
                        }
                    }
                    ("IDRegDocuments", "IDRegDocument") => {
                        if let Some((identity, doc)) = cur_doc.take()
                            && !doc.number.is_empty()
                        {
                            documents.entry(identity).or_default().push(doc);
                        }
                    }
                    ("DistinctParties", "NamePartValue") => {
                        if let Some(n) = cur_name.as_mut() {
                            n.parts.push((
                                cur_part_attrs.0.clone(),
                                cur_part_attrs.1.clone(),
                                text,
                            ));
                        }
                    }
                    ("DistinctParties", "DocumentedName") => {
                        if let (Some(alias), Some(n)) = (cur_alias.as_ref(), cur_name.take()) {
                            pending_names.push((
                                AliasState {
                                    alias_type: alias.alias_type.clone(),
                                    primary: alias.primary,
                                    low_quality: alias.low_quality,
                                },
                                n,
                            ));
                        }
                    }
                    ("DistinctParties", "Alias") => cur_alias = None,
                    ("DistinctParties", "Identity") => {
                        if let Some(e) = cur_entity.as_mut() {
                            for (alias, n) in pending_names.drain(..) {
                                e.names.push(build_name(&refs, &group_types, alias, n));
                            }
                        }
                    }
                    ("DistinctParties", "Year") if feature.is_some() => {
                        if let Some(f) = feature.as_mut() {
                            let parts = if in_end && in_to {
                                &mut f.to
                            } else if !in_end && !in_to {
                                &mut f.from
                            } else {
                                continue;
                            };
                            parts.year = num(&text);
                        }
                    }
                    ("DistinctParties", "Month") if feature.is_some() => {
                        if let Some(f) = feature.as_mut() {
                            let parts = if in_end && in_to {
                                &mut f.to
                            } else if !in_end && !in_to {
                                &mut f.from
                            } else {
                                continue;
                            };
                            parts.month = num(&text);
                        }
                    }
                    ("DistinctParties", "Day") if feature.is_some() => {
                        if let Some(f) = feature.as_mut() {
                            let parts = if in_end && in_to {
                                &mut f.to
                            } else if !in_end && !in_to {
                                &mut f.from
                            } else {
                                continue;
                            };
                            parts.day = num(&text);
                        }
                    }
                    ("DistinctParties", "VersionDetail") => {
                        if let Some(f) = feature.as_mut()
                            && !text.is_empty()
                        {
                            f.text = Some(text);
                        }
                    }
                    ("DistinctParties", "Feature") => {
                        if let (Some(f), Some(e)) = (feature.take(), cur_entity.as_mut()) {
                            apply_feature(&refs, &locations, f, e);
                        }
                    }
                    ("DistinctParties", "Comment") if parent == "DistinctParty" => {
                        if let Some(e) = cur_entity.as_mut()
                            && !text.is_empty()
                        {
                            e.remarks.push(text);
                        }
                    }
                    ("DistinctParties", "DistinctParty") => {
                        if let Some(mut e) = cur_entity.take() {
                            for id in identity_ids.drain(..) {
                                if let Some(docs) = documents.remove(&id) {
                                    e.documents.extend(docs);
                                }
                            }
                            if e.names.is_empty() {
                                return Err(xml.error(format!("party {} has no name", e.id)));
                            }
                            by_profile.insert(e.id.clone(), entities.len());
                            entities.push(e);
                        }
                    }
                    ("SanctionsEntries", "Year") if parent == "Date" => {
                        entry_date.year = num(&text)
                    }
                    ("SanctionsEntries", "Month") if parent == "Date" => {
                        entry_date.month = num(&text)
                    }
                    ("SanctionsEntries", "Day") if parent == "Date" => entry_date.day = num(&text),
                    ("SanctionsEntries", "EntryEvent") => {
                        if let (Some(i), Some(date)) = (cur_sanction, entry_date.date(false)) {
                            let e = &mut entities[i];
                            e.listed_on = Some(e.listed_on.map_or(date, |d| d.min(date)));
                        }
                    }
                    ("SanctionsEntries", "Comment")
                        if parent == "SanctionsMeasure" && measure_is_program =>
                    {
                        if let Some(i) = cur_sanction
                            && !text.is_empty()
                        {
                            entities[i].programs.push(text);
                        }
                    }
                    ("SanctionsEntries", "SanctionsEntry") => cur_sanction = None,
                    _ => {}
                }
            }
        }
    }
    if !saw_root {
        return Err(xml.error("no <Sanctions> root element: not an OFAC advanced XML file"));
    }
    for e in &mut entities {
        e.tidy();
    }
    let consolidated = list_counts
        .iter()
        .max_by_key(|(id, n)| (**n, id.as_str().to_string()))
        .is_some_and(|(id, _)| refs.get("List", id) != "SDN List");
    Ok(OfacAdvanced {
        entities,
        published: published.date(false),
        consolidated,
    })
}

fn build_name(
    refs: &Refs,
    group_types: &HashMap<String, String>,
    alias: AliasState,
    name: NameState,
) -> EntityName {
    let mut script = None;
    let parts: Vec<NamePart> = name
        .parts
        .into_iter()
        .map(|(group, script_id, value)| {
            if script.is_none() {
                script = refs.script_code.get(&script_id).cloned();
            }
            let kind = match group_types.get(&group).map(|t| refs.get("NamePartType", t)) {
                Some("Last Name") => NamePartKind::Family,
                Some("First Name") => NamePartKind::Given,
                Some("Middle Name") => NamePartKind::Middle,
                Some("Patronymic" | "Matronymic") => NamePartKind::Patronymic,
                Some("Entity Name" | "Vessel Name" | "Aircraft Name") => NamePartKind::Whole,
                _ => NamePartKind::Other,
            };
            NamePart { kind, value }
        })
        .collect();
    let full = parts
        .iter()
        .map(|p| p.value.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let latin_primary = refs.get("DocNameStatus", &name.status) == "Primary Latin";
    let strength = if alias.primary && latin_primary {
        NameStrength::Primary
    } else if alias.low_quality {
        NameStrength::Weak
    } else {
        NameStrength::Strong
    };
    let alias_type = refs.get("AliasType", &alias.alias_type);
    EntityName {
        full,
        strength,
        alias_type: (!alias_type.is_empty()).then(|| alias_type.to_string()),
        script,
        parts,
    }
}

fn apply_feature(refs: &Refs, locations: &HashMap<String, Loc>, f: FeatureState, e: &mut Entity) {
    let type_name = refs.get("FeatureType", &f.type_id);
    let loc = f.location.as_ref().and_then(|id| locations.get(id));
    let value = f
        .text
        .clone()
        .or_else(|| {
            f.detail_ref
                .as_ref()
                .map(|r| refs.get("DetailReference", r).to_string())
        })
        .filter(|v| !v.is_empty());
    if let Some(code) = type_name.strip_prefix("Digital Currency Address - ") {
        if let Some(v) = value {
            e.wallets.push(WalletEntry::new(&v, Some(code)));
        }
        return;
    }
    match type_name {
        "Birthdate" | "Organization Established Date" => {
            if f.has_period {
                let from = f.from.date(false);
                let to = f.to.date(true).or_else(|| f.from.date(true));
                if let (Some(a), Some(b)) = (from, to)
                    && let Some(d) = PartialDate::range(a, b)
                {
                    e.birth_dates.push(d);
                }
            }
        }
        "Place of Birth" => e.birth_places.extend(value),
        "Nationality Country" | "Citizenship Country" => {
            if let Some(c) = loc.and_then(|l| l.country(refs)) {
                e.nationalities.push(c);
            }
        }
        "Location" => {
            if let Some(l) = loc {
                let text = l.text(refs);
                if !text.is_empty() {
                    e.addresses.push(text);
                }
                if let Some(c) = l.country(refs) {
                    e.countries.push(c);
                }
            }
        }
        "Registration Country" | "Nationality of Registration" => {
            if let Some(c) = loc.and_then(|l| l.country(refs)) {
                e.countries.push(c);
            }
        }
        "Email Address" => e.emails.extend(value),
        "Website" => e.websites.extend(value),
        "Phone Number" => e.phones.extend(value),
        _ => {
            if let Some(v) = value {
                let label = type_name.trim_end_matches([':', '-', ' ']);
                e.remarks.push(format!("{label}: {v}"));
            } else if let Some(l) = loc {
                let label = type_name.trim_end_matches([':', '-', ' ']);
                e.remarks.push(format!("{label}: {}", l.text(refs)));
            }
        }
    }
}
