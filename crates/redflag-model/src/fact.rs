use serde::{Deserialize, Serialize};

use crate::{Evidence, SubjectId};

/// A typed value of a fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FactValue {
    /// true / false.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Float(f64),
    /// Text.
    Text(String),
    /// A list of texts.
    TextList(Vec<String>),
    /// A list of integers.
    IntList(Vec<i64>),
}

impl FactValue {
    /// The value's type name as the facts registry writes it.
    pub fn type_name(&self) -> &'static str {
        match self {
            FactValue::Bool(_) => "bool",
            FactValue::Int(_) => "int",
            FactValue::Float(_) => "float",
            FactValue::Text(_) => "string",
            FactValue::TextList(_) => "list<string>",
            FactValue::IntList(_) => "list<int>",
        }
    }

    /// The value written for people.
    pub fn display(&self) -> String {
        match self {
            FactValue::Bool(b) => b.to_string(),
            FactValue::Int(i) => i.to_string(),
            FactValue::Float(f) => format!("{f:.3}"),
            FactValue::Text(s) => s.clone(),
            FactValue::TextList(v) => v.join(", "),
            FactValue::IntList(v) => v.iter().map(i64::to_string).collect::<Vec<_>>().join(", "),
        }
    }
}

/// A named, typed value about a subject, with the evidence it came from. Names come from the facts
/// registry (`docs/FACTS.md`), e.g. `email.is_disposable`, `net.vpn_share`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    /// The subject the fact is about.
    pub subject: SubjectId,
    /// The registered name.
    pub name: String,
    /// The value.
    pub value: FactValue,
    /// What it was computed from.
    pub evidence: Vec<Evidence>,
}

impl Fact {
    /// A fact with no evidence attached yet.
    pub fn new(subject: SubjectId, name: &str, value: FactValue) -> Self {
        Self {
            subject,
            name: name.to_string(),
            value,
            evidence: Vec::new(),
        }
    }

    /// Adds a piece of evidence.
    pub fn with_evidence(mut self, evidence: Evidence) -> Self {
        self.evidence.push(evidence);
        self
    }
}
