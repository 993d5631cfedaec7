use serde::{Deserialize, Serialize};

use crate::{IdentifierKind, SubjectId};

/// A ring id: stable for the same member set (a hash of the sorted member ids).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RingId(pub String);

/// One reason two members are linked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RingLink {
    /// One member.
    pub a: SubjectId,
    /// The other member.
    pub b: SubjectId,
    /// The kind of shared value or comparison (`payout_account`, `resume_similarity`, …).
    pub kind: String,
    /// The identifier kind, when the link is a shared identifier.
    pub identifier_kind: Option<IdentifierKind>,
    /// The shared value or the compared values, as shown to an analyst.
    pub value: String,
    /// The link's weight (log-odds contribution).
    pub weight: f64,
}

/// A cluster of personas that evidence says are run by the same hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ring {
    /// Stable id.
    pub id: RingId,
    /// Members, sorted.
    pub members: Vec<SubjectId>,
    /// The links that hold it together.
    pub links: Vec<RingLink>,
    /// Strength of the ring in [0, 1].
    pub score: f64,
}
