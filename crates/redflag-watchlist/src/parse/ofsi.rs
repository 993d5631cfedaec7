//! UK HM Treasury / OFSI Consolidated List CSV (`ConList.csv`): an optional `Last Updated,dd/mm/yyyy`
//! first line, a header, then one row per name variant, grouped into entries by `Group ID`.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::remarks::extract_contacts;
use crate::entity::{
    Document, Entity, EntityKind, EntityName, NamePart, NamePartKind, NameStrength, PartialDate,
    country_code_or_text,
};
use crate::error::{Location, WatchlistError};

pub(crate) struct Ofsi {
    pub entities: Vec<Entity>,
    pub published: Option<NaiveDate>,
}

pub(crate) fn parse(name: &str, text: &str) -> Result<Ofsi, WatchlistError> {
    let mut body = text.trim_start_matches('\u{feff}');
    let mut published = None;
    let mut line_offset = 0;
    if let Some((first, rest)) = body.split_once('\n')
        && first.trim_start().starts_with("Last Updated")
    {
        published = first
            .split(',')
            .nth(1)
            .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%d/%m/%Y").ok());
        body = rest;
        line_offset = 1;
    }
    let err =
        |line: Option<u64>, element: Option<String>, reason: String| WatchlistError::Malformed {
            at: Location {
                file: name.into(),
                line: line.map(|l| l + line_offset),
                column: None,
                element,
            },
            reason,
        };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| err(Some(1), None, format!("CSV error: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let col = |h: &str| headers.iter().position(|x| x.eq_ignore_ascii_case(h));
    let (Some(c_name6), Some(c_group)) = (col("Name 6"), col("Group ID")) else {
        return Err(err(
            Some(1),
            Some("header".into()),
            "not an OFSI ConList header: columns \"Name 6\" and \"Group ID\" are required".into(),
        ));
    };
    let given_cols: Vec<usize> = (1..=5).filter_map(|i| col(&format!("Name {i}"))).collect();
    let c = |h: &str| col(h);
    let (c_dob, c_town, c_cob, c_nat, c_pass, c_ni, c_pos) = (
        c("DOB"),
        c("Town of Birth"),
        c("Country of Birth"),
        c("Nationality"),
        c("Passport Details"),
        c("NI Number"),
        c("Position"),
    );
    let addr_cols: Vec<usize> = (1..=6)
        .filter_map(|i| col(&format!("Address {i}")))
        .collect();
    let (c_post, c_country, c_other, c_type, c_alias, c_regime, c_listed, c_quality) = (
        c("Post/Zip Code"),
        c("Country"),
        c("Other Information"),
        c("Group Type"),
        c("Alias Type"),
        c("Regime"),
        c("Listed On"),
        c("Alias Quality"),
    );
    let mut entities: Vec<Entity> = Vec::new();
    let mut by_group: HashMap<String, usize> = HashMap::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| {
            err(
                e.position().map(|p| p.line()),
                None,
                format!("CSV error: {e}"),
            )
        })?;
        let line = rec.position().map(|p| p.line());
        // Some copies carry an empty first header column that the rows do not have.
        let shift = usize::from(
            headers.first().is_some_and(|h| h.is_empty()) && rec.len() + 1 == headers.len(),
        );
        let get = |i: Option<usize>| {
            i.and_then(|i| i.checked_sub(shift))
                .and_then(|i| rec.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let Some(group) = get(Some(c_group)) else {
            if rec.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            return Err(err(
                line,
                Some("Group ID".into()),
                "row without a Group ID".into(),
            ));
        };
        let idx = *by_group.entry(group.to_string()).or_insert_with(|| {
            let kind = get(c_type).map_or(EntityKind::Other, EntityKind::parse);
            entities.push(Entity::new(group, kind));
            entities.len() - 1
        });
        let e = &mut entities[idx];
        let mut parts: Vec<NamePart> = given_cols
            .iter()
            .filter_map(|&i| get(Some(i)))
            .map(|v| NamePart {
                kind: NamePartKind::Given,
                value: v.to_string(),
            })
            .collect();
        if let Some(family) = get(Some(c_name6)) {
            parts.push(NamePart {
                kind: if e.kind == EntityKind::Person {
                    NamePartKind::Family
                } else {
                    NamePartKind::Whole
                },
                value: family.to_string(),
            });
        }
        let full = parts
            .iter()
            .map(|p| p.value.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        if !full.is_empty() {
            let alias = get(c_alias).unwrap_or("");
            let strength = if alias.eq_ignore_ascii_case("Primary name") {
                NameStrength::Primary
            } else if get(c_quality).is_some_and(|q| q.eq_ignore_ascii_case("low")) {
                NameStrength::Weak
            } else {
                NameStrength::Strong
            };
            e.names.push(EntityName {
                full,
                strength,
                alias_type: (!alias.is_empty()).then(|| alias.to_string()),
                script: None,
                parts,
            });
        }
        e.birth_dates
            .extend(get(c_dob).and_then(PartialDate::parse));
        let pob: Vec<&str> = [get(c_town), get(c_cob)].into_iter().flatten().collect();
        if !pob.is_empty() {
            e.birth_places.push(pob.join(", "));
        }
        if let Some(n) = get(c_nat) {
            for piece in split_numbered(n) {
                e.nationalities.extend(country_code_or_text(&piece));
            }
        }
        for (label, value) in [
            ("Passport", get(c_pass)),
            ("National Identification Number", get(c_ni)),
        ] {
            if let Some(v) = value {
                for piece in split_numbered(v) {
                    if let Some(number) = document_number(&piece) {
                        e.documents.push(Document {
                            kind: label.into(),
                            number,
                            country: None,
                        });
                    }
                }
            }
        }
        if let Some(p) = get(c_pos) {
            e.remarks.push(format!("Position: {p}"));
        }
        let addr: Vec<&str> = addr_cols
            .iter()
            .filter_map(|&i| get(Some(i)))
            .chain(get(c_post))
            .chain(get(c_country))
            .collect();
        if !addr.is_empty() {
            e.addresses.push(addr.join(", "));
        }
        e.countries
            .extend(get(c_country).and_then(country_code_or_text));
        if let Some(o) = get(c_other) {
            extract_contacts(o, e);
            e.remarks.push(o.to_string());
        }
        e.programs.extend(get(c_regime).map(str::to_string));
        if e.listed_on.is_none() {
            e.listed_on = get(c_listed).and_then(|d| NaiveDate::parse_from_str(d, "%d/%m/%Y").ok());
        }
    }
    for e in &mut entities {
        if !e.names.iter().any(|n| n.strength == NameStrength::Primary)
            && let Some(first) = e.names.first_mut()
        {
            first.strength = NameStrength::Primary;
        }
        e.tidy();
    }
    entities.retain(|e| !e.names.is_empty());
    Ok(Ofsi {
        entities,
        published,
    })
}

/// Splits `1) Saudi Arabia 2) Qatar` into its items.
fn split_numbered(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit()
            && chars.get(i + 1) == Some(&')')
            && (i == 0 || chars[i - 1] == ' ')
        {
            if !cur.trim().is_empty() {
                out.push(cur.trim().to_string());
            }
            cur.clear();
            i += 2;
            continue;
        }
        cur.push(chars[i]);
        i += 1;
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// The first word with a digit in it, e.g. `592667` in `Passport No: 592667 (Qatari passport …)`.
fn document_number(s: &str) -> Option<String> {
    s.split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')' || c == ';')
        .map(|w| w.trim_matches(['.', ':']))
        .find(|w| {
            w.len() >= 4
                && w.chars().any(|c| c.is_ascii_digit())
                && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(str::to_string)
}
