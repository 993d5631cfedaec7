use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Finding, RingId, SubjectId};

/// A risk level, from a score by thresholds the scorer documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Nothing or little found.
    Low,
    /// Worth a look.
    Medium,
    /// Investigate.
    High,
    /// Act now (a decisive finding).
    Critical,
}

impl RiskLevel {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
            RiskLevel::Critical => "critical",
        }
    }

    /// Parses a level name.
    pub fn parse(input: &str) -> Option<Self> {
        match input.trim().to_ascii_lowercase().as_str() {
            "low" => Some(Self::Low),
            "medium" => Some(Self::Medium),
            "high" => Some(Self::High),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }
}

/// A sanctions or watchlist match as an assessment shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SanctionsMatchSummary {
    /// The list (e.g. `us-ofac-sdn`).
    pub list: String,
    /// The list's version (publication date or hash).
    pub list_version: String,
    /// The entry's id on the list.
    pub entry_id: String,
    /// The entry's primary name.
    pub entry_name: String,
    /// Programmes the entry is listed under.
    pub programs: Vec<String>,
    /// Match score in [0, 1].
    pub score: f64,
    /// Whether an exact identifier (wallet, email, phone, document) matched.
    pub exact_identifier: bool,
    /// Whether the match is corroborated: an exact identifier, or a name match supported by an agreeing
    /// date of birth (an agreeing country is not enough: it correlates with the name's origin). An
    /// uncorroborated name-only match is listed for a compliance review but adds nothing to the risk
    /// score, so that a common name is never a risk on its own.
    #[serde(default)]
    pub corroborated: bool,
    /// Field-by-field explanation.
    pub explanation: Vec<String>,
}

/// The versions of everything an assessment was made from, so it can be reproduced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VersionStamp {
    /// The rule pack's version (a content hash).
    pub rule_pack: String,
    /// Each list used, as `list@version`.
    pub lists: Vec<String>,
    /// The redflag version that computed the facts.
    pub engine: String,
}

/// The outcome for one subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Who.
    pub subject: SubjectId,
    /// The summed log-odds of all findings and the prior.
    pub log_odds: f64,
    /// The score: the log-odds as a probability in [0, 1].
    pub score: f64,
    /// The level.
    pub level: RiskLevel,
    /// Findings, strongest first.
    pub findings: Vec<Finding>,
    /// Sanctions matches.
    pub sanctions: Vec<SanctionsMatchSummary>,
    /// The ring the subject belongs to, if any.
    pub ring: Option<RingId>,
    /// Versions used.
    pub versions: VersionStamp,
    /// When it was made.
    pub assessed_at: DateTime<Utc>,
}
