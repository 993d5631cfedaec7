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

impl RingLink {
    /// Link kinds that are a value one person holds (an e-mail address, a phone, a payout account, a
    /// device, a document or id number, a shipping address, a profile URL, the same photo): sharing
    /// one is evidence that two personas are one hand. The other kinds (names, dates of birth,
    /// cities, postcodes, home addresses, egress networks, resume likeness) are shared by families,
    /// coworkers behind one NAT, bootcamp cohorts and namesakes, and only add weight to a link that
    /// has an identity link.
    pub const IDENTITY_KINDS: &'static [&'static str] = &[
        "email",
        "phone",
        "payout",
        "device",
        "document",
        "id_number",
        "shipping_address",
        "profile_url",
        "photo",
    ];

    /// True when the link is a shared value of one of [`RingLink::IDENTITY_KINDS`].
    pub fn is_identity_link(&self) -> bool {
        self.weight > 0.0 && Self::IDENTITY_KINDS.contains(&self.kind.as_str())
    }

    /// True when the link joins `x` and `y` (either way round).
    pub fn joins(&self, x: &SubjectId, y: &SubjectId) -> bool {
        (self.a == *x && self.b == *y) || (self.a == *y && self.b == *x)
    }
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
