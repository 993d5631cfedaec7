//! OFAC legacy CSV sets: `sdn.csv` + `add.csv` + `alt.csv` + `sdn_comments.csv` (SDN) and
//! `cons_prim.csv` + `cons_add.csv` + `cons_alt.csv` + `cons_comments.csv` (Consolidated). No header,
//! `-0-` for null, a trailing Ctrl-Z; Windows-1252 text. Everything but names and addresses lives in the
//! `Remarks` free text.

use std::collections::HashMap;

use super::remarks::apply_ofac_remarks;
use crate::entity::{Entity, EntityKind, EntityName, NameStrength, country_code_or_text};
use crate::error::{Location, WatchlistError};

/// The four files of a set, as decoded text; only the main file is required.
pub(crate) struct OfacCsvSet<'a> {
    pub main: (&'a str, String),
    pub add: Option<(&'a str, String)>,
    pub alt: Option<(&'a str, String)>,
    pub comments: Option<(&'a str, String)>,
}

fn null(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty() && t != "-0-").then(|| t.to_string())
}

fn records(
    name: &str,
    text: &str,
    min_fields: usize,
) -> Result<Vec<(u64, Vec<String>)>, WatchlistError> {
    let text = text.trim_end_matches(['\u{1a}', '\r', '\n', ' ']);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| WatchlistError::Malformed {
            at: Location {
                file: name.into(),
                line: e.position().map(|p| p.line()),
                column: None,
                element: None,
            },
            reason: format!("CSV error: {e}"),
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() < min_fields {
            return Err(WatchlistError::Malformed {
                at: Location {
                    file: name.into(),
                    line: Some(line),
                    column: None,
                    element: Some(format!("record with {} fields", rec.len())),
                },
                reason: format!(
                    "expected at least {min_fields} comma-separated fields (OFAC legacy CSV)"
                ),
            });
        }
        out.push((line, rec.iter().map(str::to_string).collect()));
    }
    Ok(out)
}

/// Parses a set.
pub(crate) fn parse(set: &OfacCsvSet<'_>) -> Result<Vec<Entity>, WatchlistError> {
    let (main_name, main_text) = &set.main;
    let mut entities: Vec<Entity> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut remarks: Vec<String> = Vec::new();
    for (line, f) in records(main_name, main_text, 12)? {
        let id = f[0].trim().to_string();
        if id.parse::<u64>().is_err() {
            return Err(WatchlistError::Malformed {
                at: Location {
                    file: main_name.to_string(),
                    line: Some(line),
                    column: Some(1),
                    element: Some("ent_num".into()),
                },
                reason: format!("entry number {id:?} is not a number"),
            });
        }
        let kind = match null(&f[2])
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("individual") => EntityKind::Person,
            Some("vessel") => EntityKind::Vessel,
            Some("aircraft") => EntityKind::Aircraft,
            _ => EntityKind::Organization,
        };
        let mut e = Entity::new(id.clone(), kind);
        let name = f[1].trim().to_string();
        e.names.push(EntityName {
            full: name,
            strength: NameStrength::Primary,
            alias_type: None,
            script: None,
            parts: Vec::new(),
        });
        if let Some(p) = null(&f[3]) {
            e.programs.extend(
                p.split([']', '['])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            );
        }
        if let Some(t) = null(&f[4]) {
            e.remarks.push(format!("Title: {t}"));
        }
        if let Some(flag) = null(&f[9]) {
            e.countries.extend(country_code_or_text(&flag));
        }
        by_id.insert(id, entities.len());
        remarks.push(null(&f[11]).unwrap_or_default());
        entities.push(e);
    }
    if let Some((name, text)) = &set.comments {
        for (_, f) in records(name, text, 2)? {
            if let Some(&i) = by_id.get(f[0].trim()) {
                remarks[i].push_str(&f[1]);
            }
        }
    }
    for (e, r) in entities.iter_mut().zip(&remarks) {
        apply_ofac_remarks(r, e);
    }
    if let Some((name, text)) = &set.alt {
        for (_, f) in records(name, text, 4)? {
            if let (Some(&i), Some(alias)) = (by_id.get(f[0].trim()), null(&f[3])) {
                let alias_type = null(&f[2]).unwrap_or_else(|| "aka".into());
                entities[i].names.push(EntityName {
                    full: alias,
                    strength: NameStrength::Strong,
                    alias_type: Some(alias_type),
                    script: None,
                    parts: Vec::new(),
                });
            }
        }
    }
    if let Some((name, text)) = &set.add {
        for (_, f) in records(name, text, 5)? {
            if let Some(&i) = by_id.get(f[0].trim()) {
                let parts: Vec<String> = f[2..5].iter().filter_map(|s| null(s)).collect();
                if !parts.is_empty() {
                    entities[i].addresses.push(parts.join(", "));
                }
                entities[i]
                    .countries
                    .extend(null(&f[4]).and_then(|c| country_code_or_text(&c)));
            }
        }
    }
    for e in &mut entities {
        e.tidy();
    }
    Ok(entities)
}
