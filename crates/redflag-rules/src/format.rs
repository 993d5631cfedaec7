//! The rule format: one YAML document per file, parsed strictly (unknown keys are errors, so a typo such
//! as `severty:` is reported instead of silently ignored), then checked field by field.

use std::collections::BTreeMap;

use redflag_model::{Citation, Severity, Stage};
use serde::{Deserialize, Serialize};

use crate::error::{RuleError, RuleErrorKind};
use crate::locate;

/// How mature a rule is (Sigma's `status`). Experimental rules load like the others; callers may filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// New, thresholds not yet tuned.
    Experimental,
    /// In use, being measured.
    Test,
    /// Measured and trusted.
    Stable,
}

impl Status {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Experimental => "experimental",
            Status::Test => "test",
            Status::Stable => "stable",
        }
    }
}

/// What a rule test expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// The rule must fire on these facts.
    Fire,
    /// The rule must not fire on these facts.
    NoFire,
}

/// One embedded test: a fact set and whether the rule must fire on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleTest {
    /// What the case shows.
    pub name: String,
    /// Facts by dotted name, values in YAML (numbers, booleans, strings, lists).
    #[serde(default)]
    pub facts: BTreeMap<String, serde_yaml_ng::Value>,
    /// `fire` or `no_fire`.
    pub expect: Expect,
}

/// A public source behind a rule, with the ids of the research catalogue's indicators it supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// Title of the advisory, report or article.
    pub title: String,
    /// Where to read it.
    pub url: String,
    /// Indicator ids (`N5`, `E3`, …) of `research/dprk-indicators.md`.
    #[serde(default)]
    pub indicators: Vec<String>,
}

impl From<&Reference> for Citation {
    fn from(r: &Reference) -> Self {
        Citation {
            title: r.title.clone(),
            url: r.url.clone(),
            indicators: r.indicators.clone(),
        }
    }
}

/// A rule as written in its YAML file (DESIGN §4). See `rules/README.md` for the format with an example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `RF-<AREA>-<NNN>`; areas SAN NET ID APP DOC REF PAY SHIP END WRK LNK INT.
    pub id: String,
    /// One line.
    pub title: String,
    /// One or two sentences an analyst can repeat to HR.
    pub description: String,
    /// The stage of the life cycle.
    pub stage: Stage,
    /// Maturity.
    pub status: Status,
    /// How serious a hit is; `critical` is decisive on its own.
    pub severity: Severity,
    /// Log-odds added when it fires.
    pub weight: f64,
    /// A CEL expression over facts (`net.vpn_share > 0.5`).
    pub condition: String,
    /// Facts shown with a finding.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Public sources.
    #[serde(default)]
    pub references: Vec<Reference>,
    /// Known benign causes, in words.
    #[serde(default)]
    pub false_positives: Vec<String>,
    /// Fact sets that must and must not fire the rule.
    #[serde(default)]
    pub tests: Vec<RuleTest>,
    /// Optional explanation template; `{fact.name}` is replaced by the fact's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// Optional author (Sigma convention).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Optional creation date, `YYYY-MM-DD` (Sigma convention).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Optional last-change date, `YYYY-MM-DD` (Sigma convention).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Optional free tags (Sigma convention), e.g. `attack.t1219.003`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// Rule-id areas and the stages they usually belong to (documented in `rules/README.md`).
pub const AREAS: &[&str] = &[
    "SAN", "NET", "ID", "APP", "DOC", "REF", "PAY", "SHIP", "END", "WRK", "LNK", "INT",
];

impl Rule {
    /// The rule's citations, as findings carry them.
    pub fn citations(&self) -> Vec<Citation> {
        self.references.iter().map(Citation::from).collect()
    }

    /// The rule as YAML, in the file format (for `redflag rules show`).
    pub fn to_yaml(&self) -> String {
        serde_yaml_ng::to_string(self)
            .unwrap_or_else(|e| format!("# cannot print rule {}: {e}\n", self.id))
    }

    /// Every indicator id the rule's references name, sorted, without duplicates.
    pub fn indicators(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .references
            .iter()
            .flat_map(|r| r.indicators.iter().cloned())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

fn field_error(
    text: &str,
    file: &str,
    key: &str,
    field: &'static str,
    value: &str,
    reason: &str,
) -> RuleError {
    let (line, column) = locate::key(text, key).unwrap_or((1, 1));
    RuleError::new(
        file,
        line,
        column,
        RuleErrorKind::Field {
            field,
            value: value.to_string(),
            reason: reason.to_string(),
        },
    )
}

fn valid_id(id: &str) -> bool {
    let mut parts = id.split('-');
    let (Some("RF"), Some(area), Some(num), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    AREAS.contains(&area) && num.len() == 3 && num.bytes().all(|b| b.is_ascii_digit())
}

fn valid_indicator(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(
        chars.next(),
        Some('A' | 'I' | 'D' | 'N' | 'E' | 'P' | 'W' | 'L')
    ) && !chars.as_str().is_empty()
        && chars.all(|c| c.is_ascii_digit())
}

/// Parses one rule file and checks everything that does not need the facts registry. `file` names the file
/// in errors; `stem` is the file name without extension, which must equal the id (`None` skips that check).
pub fn parse_rule(text: &str, file: &str, stem: Option<&str>) -> Result<Rule, RuleError> {
    let rule: Rule = serde_yaml_ng::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        let message = e.to_string();
        let message = match message.find(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        RuleError::new(file, line, column, RuleErrorKind::Yaml(message))
    })?;
    validate(&rule, text, file, stem).map_err(|e| e.with_rule(&rule.id))?;
    Ok(rule)
}

fn validate(rule: &Rule, text: &str, file: &str, stem: Option<&str>) -> Result<(), RuleError> {
    let err = |key: &str, field: &'static str, value: &str, reason: &str| {
        field_error(text, file, key, field, value, reason)
    };
    if !valid_id(&rule.id) {
        return Err(err(
            "id",
            "id",
            &rule.id,
            &format!(
                "expected RF-<AREA>-<NNN> with AREA one of {}",
                AREAS.join(", ")
            ),
        ));
    }
    if let Some(stem) = stem
        && stem != rule.id
    {
        return Err(err(
            "id",
            "id",
            &rule.id,
            &format!(
                "the file must be named after the rule id: rename `{stem}.yaml` to `{}.yaml`",
                rule.id
            ),
        ));
    }
    for (key, value) in [
        ("title", &rule.title),
        ("description", &rule.description),
        ("condition", &rule.condition),
    ] {
        if value.trim().is_empty() {
            let field = match key {
                "title" => "title",
                "description" => "description",
                _ => "condition",
            };
            return Err(err(key, field, value, "must not be empty"));
        }
    }
    if !rule.weight.is_finite() || !(-10.0..=10.0).contains(&rule.weight) {
        return Err(err(
            "weight",
            "weight",
            &rule.weight.to_string(),
            "a log-odds weight in [-10, 10] (decisive rules ~6-9, weak ones 0.3-1)",
        ));
    }
    if rule.evidence.is_empty() {
        return Err(err(
            "evidence",
            "evidence",
            "[]",
            "list at least one fact to show with a finding",
        ));
    }
    if rule.references.is_empty() {
        return Err(err(
            "references",
            "references",
            "[]",
            "cite at least one public source (title, url, indicators)",
        ));
    }
    for reference in &rule.references {
        if reference.title.trim().is_empty() {
            return Err(err(
                "references",
                "references[].title",
                "",
                "must not be empty",
            ));
        }
        if !(reference.url.starts_with("https://") || reference.url.starts_with("http://")) {
            let (line, column) = locate::find_after(text, "references", &reference.url);
            return Err(RuleError::new(
                file,
                line,
                column,
                RuleErrorKind::Field {
                    field: "references[].url",
                    value: reference.url.clone(),
                    reason: "must be an http(s) URL".into(),
                },
            ));
        }
        for id in &reference.indicators {
            if !valid_indicator(id) {
                let (line, column) = locate::find_after(text, "references", id);
                return Err(RuleError::new(
                    file,
                    line,
                    column,
                    RuleErrorKind::Field {
                        field: "references[].indicators",
                        value: id.clone(),
                        reason: "an indicator id of research/dprk-indicators.md such as N5 or E3"
                            .into(),
                    },
                ));
            }
        }
    }
    let fires = rule.tests.iter().any(|t| t.expect == Expect::Fire);
    let quiet = rule.tests.iter().any(|t| t.expect == Expect::NoFire);
    if !fires || !quiet {
        return Err(err(
            "tests",
            "tests",
            &format!("{} test(s)", rule.tests.len()),
            "need at least one `expect: fire` and one `expect: no_fire` test",
        ));
    }
    for date in [&rule.date, &rule.modified].into_iter().flatten() {
        if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
            return Err(err("date", "date", date, "expected YYYY-MM-DD"));
        }
    }
    Ok(())
}
