//! Inputs and outputs of the linker.

use std::borrow::Cow;
use std::net::IpAddr;

use redflag_model::{Fact, Ring, SubjectId};
use serde::{Deserialize, Serialize};

use crate::compare::Comparison;

/// A value several subjects share, found by another engine (the pipeline fills these from
/// `redflag_netintel::shared_egress`: an exact IP or a /24 used by several subjects in overlapping periods).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedValue {
    /// What is shared.
    pub kind: SharedKind,
    /// The address (`203.0.113.7`) or prefix (`203.0.113.0/24`).
    pub value: String,
    /// The subjects that share it.
    pub subjects: Vec<SubjectId>,
}

/// The kinds of [`SharedValue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SharedKind {
    /// One egress IP address.
    EgressIp,
    /// One /24 (IPv4) or /48 (IPv6) prefix.
    EgressPrefix,
}

impl SharedValue {
    /// A shared egress address.
    pub fn egress_ip(ip: IpAddr, subjects: Vec<SubjectId>) -> Self {
        Self {
            kind: SharedKind::EgressIp,
            value: ip.to_string(),
            subjects,
        }
    }

    /// A shared egress prefix, written `network/len`.
    pub fn egress_prefix(prefix: &str, subjects: Vec<SubjectId>) -> Self {
        Self {
            kind: SharedKind::EgressPrefix,
            value: prefix.to_string(),
            subjects,
        }
    }

    pub(crate) fn key_value(&self) -> String {
        match self.kind {
            SharedKind::EgressIp => format!("ip:{}", self.value),
            SharedKind::EgressPrefix => format!("prefix:{}", self.value),
        }
    }
}

/// Evidence from other engines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtraEvidence {
    /// Shared egress addresses and prefixes.
    pub egress: Vec<SharedValue>,
    /// Subjects with a sanctions match (from the watchlist engine's `sanctions.*` facts).
    pub sanctions_hits: Vec<SubjectId>,
}

/// One comparison's part of a pair's score: a line of the waterfall. Names, levels and notes are
/// mostly fixed words, so they are borrowed (`Cow::Borrowed`) instead of allocated for every pair of
/// millions; they read, compare (`c.comparison == "payout"`) and serialise as strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// The comparison's name, or `prior` / `location cap`.
    pub comparison: Cow<'static, str>,
    /// The level reached (`exact`, `similar`, `shared`, …).
    pub level: Cow<'static, str>,
    /// The agreed value, where there is one (term-frequency adjusted).
    pub value: Option<String>,
    /// log2(m/u): positive supports a link, negative opposes it.
    pub bits: f64,
    /// m probability of the level.
    pub m: f64,
    /// u probability of the level (the value's frequency when term-frequency adjusted).
    pub u: f64,
    /// Whether it counts toward the operator score (shared identifiers).
    pub operator: bool,
    /// Why the contribution was capped or down-weighted, when it was.
    pub note: Option<Cow<'static, str>>,
}

/// A candidate pair with its scores and waterfall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredPair {
    /// First subject (the smaller id).
    pub a: SubjectId,
    /// Second subject.
    pub b: SubjectId,
    /// Fellegi–Sunter match weight (bits, prior included): evidence that `a` and `b` are one person.
    pub person_bits: f64,
    /// Probability that `a` and `b` are one person.
    pub probability: f64,
    /// Sum of the positive shared-identifier contributions (bits): evidence of one hand behind both.
    pub operator_bits: f64,
    /// Whether the pair is linked (person probability or operator bits at their thresholds).
    pub linked: bool,
    /// Whether the link may join rings (false when carried by one hub value alone).
    pub ring_edge: bool,
    /// The waterfall: prior first, then every non-null comparison.
    pub contributions: Vec<Contribution>,
}

/// A value left out of linking, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedValue {
    /// The comparison it belongs to.
    pub comparison: Comparison,
    /// The value.
    pub value: String,
    /// How many subjects hold it.
    pub holders: usize,
    /// `placeholder` or `held by N subjects (limit L)`.
    pub reason: String,
}

/// Counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkStats {
    /// Subjects known to the state.
    pub subjects: usize,
    /// Records (re)compared in this run.
    pub dirty_subjects: usize,
    /// Candidate pairs compared in this run.
    pub candidate_pairs: usize,
    /// Blocking groups too large to pair (skipped).
    pub oversized_blocks: usize,
    /// Linked pairs in the state.
    pub linked_pairs: usize,
    /// Rings in the state.
    pub rings: usize,
    /// EM iterations run (0 when the model was given).
    pub em_iterations: usize,
    /// Share of candidate pairs estimated to be matches.
    pub lambda: f64,
}

/// What a run returns.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LinkageResult {
    /// All rings, ordered by their smallest member id.
    pub rings: Vec<Ring>,
    /// Pairs compared in this run that are linked or above the report threshold, with waterfalls.
    pub pairs: Vec<ScoredPair>,
    /// `ring.*` facts of the subjects this run touched (every subject in a batch run).
    pub facts: Vec<Fact>,
    /// Values excluded from linking.
    pub excluded_values: Vec<ExcludedValue>,
    /// Notes for the report (oversized blocks, hub values).
    pub notes: Vec<String>,
    /// Counts.
    pub stats: LinkStats,
}
