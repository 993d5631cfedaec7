use serde::{Deserialize, Serialize};

use crate::{Provenance, SubjectId};

/// How serious a finding is, independent of its weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Context only.
    Info,
    /// Weak on its own.
    Low,
    /// Worth a look.
    Medium,
    /// Strong.
    High,
    /// Decisive on its own (a sanctions identifier, a DPRK address, an IP-KVM device).
    Critical,
}

impl Severity {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The stage of the employment life cycle an indicator belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Application and profile.
    Application,
    /// Interview.
    Interview,
    /// Identity documents, references, background.
    Identity,
    /// Network and location.
    Network,
    /// Device and endpoint.
    Endpoint,
    /// Payment and payroll.
    Payment,
    /// Behaviour at work.
    Work,
    /// Links between personas.
    Linkage,
    /// Sanctions and watchlists.
    Sanctions,
}

impl Stage {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Application => "application",
            Stage::Interview => "interview",
            Stage::Identity => "identity",
            Stage::Network => "network",
            Stage::Endpoint => "endpoint",
            Stage::Payment => "payment",
            Stage::Work => "work",
            Stage::Linkage => "linkage",
            Stage::Sanctions => "sanctions",
        }
    }
}

/// One value shown as evidence: a label, the value, and where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Evidence {
    /// What the value is (a fact name or a field).
    pub label: String,
    /// The value as text.
    pub value: String,
    /// Where it came from, when it came from a record.
    pub source: Option<Provenance>,
}

impl Evidence {
    /// Evidence without a source record.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
            source: None,
        }
    }
}

/// A public source behind a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Citation {
    /// Title of the advisory, report or article.
    pub title: String,
    /// Where to read it.
    pub url: String,
    /// Ids of the indicators in the research catalogue it supports.
    #[serde(default)]
    pub indicators: Vec<String>,
}

/// A rule that fired on a subject, with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Who it is about.
    pub subject: SubjectId,
    /// The rule's id, e.g. `RF-NET-004`.
    pub rule_id: String,
    /// The rule's title.
    pub title: String,
    /// The stage.
    pub stage: Stage,
    /// The severity.
    pub severity: Severity,
    /// The weight in log-odds this finding adds to the score.
    pub weight: f64,
    /// A sentence explaining why it fired.
    pub explanation: String,
    /// The values it used.
    pub evidence: Vec<Evidence>,
    /// The public sources behind the rule.
    pub citations: Vec<Citation>,
}
