//! Coverage of the research catalogue: every indicator id maps to the rules citing it (their
//! `references[].indicators`), to a reason it is not automatable, or to a note that its rule is pending
//! (both in `rules/not-automatable.yaml`). [`CoverageReport::missing`] lists ids with none of these, so a test
//! fails when coverage regresses; [`CoverageReport::to_markdown`] writes `docs/COVERAGE.md`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::format::{Rule, parse_rule};

/// The catalogue's ids and titles, embedded from `data/indicators.tsv`.
pub const INDICATORS_TSV: &str = include_str!("../data/indicators.tsv");

/// One indicator of the research catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// Id, e.g. `N5`.
    pub id: String,
    /// Stage (section of the catalogue).
    pub stage: String,
    /// Title (shortened).
    pub title: String,
}

/// A malformed coverage data file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct CoverageError {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Parses `indicators.tsv` (`id<TAB>stage<TAB>title`, `#` comments, one header line).
pub fn parse_catalogue(text: &str, file: &str) -> Result<Vec<Indicator>, CoverageError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() || line.starts_with("id\t") {
            continue;
        }
        let mut cols = line.split('\t');
        match (cols.next(), cols.next(), cols.next()) {
            (Some(id), Some(stage), Some(title)) if !id.is_empty() => out.push(Indicator {
                id: id.to_string(),
                stage: stage.to_string(),
                title: title.to_string(),
            }),
            _ => {
                return Err(CoverageError {
                    file: file.to_string(),
                    line: i + 1,
                    reason: format!("expected `id<TAB>stage<TAB>title`, got {line:?}"),
                });
            }
        }
    }
    Ok(out)
}

/// The embedded catalogue.
pub fn catalogue() -> Vec<Indicator> {
    parse_catalogue(INDICATORS_TSV, "data/indicators.tsv").unwrap_or_default()
}

/// `rules/not-automatable.yaml`: reasons by indicator id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reasons {
    /// Indicators no data the system sees can test (needs a live interview, a human, a third party).
    #[serde(default)]
    pub not_automatable: BTreeMap<String, String>,
    /// Automatable indicators whose rule is not written yet: what it waits for.
    #[serde(default)]
    pub pending: BTreeMap<String, String>,
}

/// Parses `rules/not-automatable.yaml`.
pub fn parse_reasons(text: &str, file: &str) -> Result<Reasons, CoverageError> {
    serde_yaml_ng::from_str(text).map_err(|e| CoverageError {
        file: file.to_string(),
        line: e.location().map_or(1, |l| l.line()),
        reason: e.to_string(),
    })
}

/// Where one indicator stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageEntry {
    /// The indicator.
    pub indicator: Indicator,
    /// Rules citing it.
    pub rules: Vec<String>,
    /// Why it is not automatable, if so.
    pub not_automatable: Option<String>,
    /// What its rule waits for, if pending.
    pub pending: Option<String>,
}

/// The coverage of a catalogue by a set of rules and reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageReport {
    /// One entry per catalogue indicator, in catalogue order.
    pub entries: Vec<CoverageEntry>,
    /// (rule id, indicator id) pairs citing an id the catalogue does not have.
    pub unknown_citations: Vec<(String, String)>,
    /// Ids in the reasons file that the catalogue does not have.
    pub unknown_reasons: Vec<String>,
}

impl CoverageReport {
    /// Ids with neither a rule, nor a reason, nor a pending note: coverage regressions.
    pub fn missing(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|e| e.rules.is_empty() && e.not_automatable.is_none() && e.pending.is_none())
            .map(|e| e.indicator.id.as_str())
            .collect()
    }

    /// Ids both covered by a rule and declared not automatable: the reasons file needs an update.
    pub fn contradictions(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|e| !e.rules.is_empty() && e.not_automatable.is_some())
            .map(|e| e.indicator.id.as_str())
            .collect()
    }

    /// (covered by a rule, not automatable, pending, missing).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let covered = self.entries.iter().filter(|e| !e.rules.is_empty()).count();
        let na = self
            .entries
            .iter()
            .filter(|e| e.rules.is_empty() && e.not_automatable.is_some())
            .count();
        let pending = self
            .entries
            .iter()
            .filter(|e| e.rules.is_empty() && e.not_automatable.is_none() && e.pending.is_some())
            .count();
        (covered, na, pending, self.missing().len())
    }

    /// `docs/COVERAGE.md`.
    pub fn to_markdown(&self) -> String {
        let (covered, na, pending, missing) = self.counts();
        let mut out = String::new();
        out.push_str("# Coverage of the indicator catalogue\n\n");
        out.push_str(
            "Generated by `cargo test -p redflag-rules --test it coverage` (set `REDFLAG_UPDATE_DOCS=1` to rewrite) \
             from the rules' `references[].indicators`, `rules/not-automatable.yaml` and \
             `crates/redflag-rules/data/indicators.tsv` (ids of the research catalogue \
             `research/dprk-indicators.md`). Do not edit by hand.\n\n",
        );
        out.push_str(&format!(
            "{} indicators: **{covered} covered by rules**, {na} not automatable (reason given), {pending} \
             pending (rule waits for a fact), {missing} missing.\n\n",
            self.entries.len()
        ));
        let mut stage = String::new();
        for e in &self.entries {
            if e.indicator.stage != stage {
                stage.clone_from(&e.indicator.stage);
                out.push_str(&format!(
                    "\n## {stage}\n\n| id | indicator | rules | status |\n|---|---|---|---|\n"
                ));
            }
            let status = if !e.rules.is_empty() {
                "covered".to_string()
            } else if let Some(r) = &e.not_automatable {
                format!("not automatable: {r}")
            } else if let Some(p) = &e.pending {
                format!("pending: {p}")
            } else {
                "**MISSING**".to_string()
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                e.indicator.id,
                e.indicator.title.replace('|', "/"),
                e.rules.join(", "),
                status.replace('|', "/")
            ));
        }
        if !self.unknown_citations.is_empty() {
            out.push_str("\n## Citations of unknown indicator ids\n\n");
            for (rule, id) in &self.unknown_citations {
                out.push_str(&format!("- {rule} cites `{id}`\n"));
            }
        }
        out
    }
}

/// Computes coverage from (rule id, indicator ids) pairs.
pub fn coverage(
    catalogue: &[Indicator],
    rules: &[(String, Vec<String>)],
    reasons: &Reasons,
) -> CoverageReport {
    let mut by_id: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut unknown_citations = Vec::new();
    for (rule, ids) in rules {
        for id in ids {
            if catalogue.iter().any(|i| &i.id == id) {
                by_id.entry(id.as_str()).or_default().push(rule.clone());
            } else {
                unknown_citations.push((rule.clone(), id.clone()));
            }
        }
    }
    let entries = catalogue
        .iter()
        .map(|i| {
            let mut rules = by_id.remove(i.id.as_str()).unwrap_or_default();
            rules.sort();
            rules.dedup();
            CoverageEntry {
                indicator: i.clone(),
                rules,
                not_automatable: reasons.not_automatable.get(&i.id).cloned(),
                pending: reasons.pending.get(&i.id).cloned(),
            }
        })
        .collect();
    let unknown_reasons = reasons
        .not_automatable
        .keys()
        .chain(reasons.pending.keys())
        .filter(|id| !catalogue.iter().any(|i| &&i.id == id))
        .cloned()
        .collect();
    CoverageReport {
        entries,
        unknown_citations,
        unknown_reasons,
    }
}

/// (id, indicators) of rules, for [`coverage`].
pub fn rule_indicators<'a>(
    rules: impl IntoIterator<Item = &'a Rule>,
) -> Vec<(String, Vec<String>)> {
    rules
        .into_iter()
        .map(|r| (r.id.clone(), r.indicators()))
        .collect()
}

/// The built-in rule files that parse (format only, no registry needed), and the embedded reasons file.
/// Files that do not parse are left out here; the loader and `rules lint` report them.
pub fn builtin_sources() -> (Vec<Rule>, Result<Reasons, CoverageError>) {
    let mut rules = Vec::new();
    let mut reasons = Ok(Reasons::default());
    for (path, text) in crate::pack::builtin_files() {
        if path == crate::pack::NOT_AUTOMATABLE_FILE {
            reasons = parse_reasons(text, "rules/not-automatable.yaml");
        } else if let Ok(rule) = parse_rule(text, path, None) {
            rules.push(rule);
        }
    }
    (rules, reasons)
}

/// Coverage of the embedded catalogue by the built-in rules and reasons.
pub fn builtin_coverage() -> Result<CoverageReport, CoverageError> {
    let (rules, reasons) = builtin_sources();
    Ok(coverage(&catalogue(), &rule_indicators(&rules), &reasons?))
}
