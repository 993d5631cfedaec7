//! The `ring.*` facts the rules read.

use redflag_model::{
    Evidence, Fact, FactSpec, FactType, FactValue, IdentifierKind, Ring, SubjectId,
};

const PRODUCER: &str = "redflag-linkage";

const SPECS: &[FactSpec] = &[
    FactSpec {
        name: "ring.size",
        fact_type: FactType::Int,
        producer: PRODUCER,
        meaning: "Number of subjects in the subject's ring (1 when the subject is in no ring).",
        example: "4",
        protected: false,
    },
    FactSpec {
        name: "ring.id",
        fact_type: FactType::String,
        producer: PRODUCER,
        meaning: "The ring's id (`ring:` and its smallest member id); only for ring members.",
        example: "ring:ats:1042",
        protected: false,
    },
    FactSpec {
        name: "ring.shared_payout_account",
        fact_type: FactType::Bool,
        producer: PRODUCER,
        meaning: "Another ring member is paid into one of the subject's payout accounts or wallets (household and declared-benign sharing excluded).",
        example: "true",
        protected: false,
    },
    FactSpec {
        name: "ring.shared_shipping_address",
        fact_type: FactType::Bool,
        producer: PRODUCER,
        meaning: "A company device for another ring member went to one of the subject's shipping addresses (laptop farm), household and declared hubs excluded.",
        example: "true",
        protected: false,
    },
    FactSpec {
        name: "ring.shipping_address_members",
        fact_type: FactType::Int,
        producer: PRODUCER,
        meaning: "Ring members (the subject included) whose devices went to the subject's most shared shipping address.",
        example: "3",
        protected: false,
    },
    FactSpec {
        name: "ring.shift_separated_egress",
        fact_type: FactType::Bool,
        producer: PRODUCER,
        meaning: "Another ring member signs in from the same egress IP or /24 at hours of the day that do not overlap the subject's: personas worked in shifts by one team.",
        example: "true",
        protected: false,
    },
    FactSpec {
        name: "ring.member_with_sanctions_hit",
        fact_type: FactType::Bool,
        producer: PRODUCER,
        meaning: "Another member of the subject's ring has a sanctions match.",
        example: "true",
        protected: false,
    },
    FactSpec {
        name: "ring.link_kinds",
        fact_type: FactType::StringList,
        producer: PRODUCER,
        meaning: "Comparisons that link the ring (payout, device, phone, shipping_address, resume, …).",
        example: "[\"payout\", \"shipping_address\"]",
        protected: false,
    },
    FactSpec {
        name: "ring.score",
        fact_type: FactType::Float,
        producer: PRODUCER,
        meaning: "Strongest link probability inside the ring (0 to 1).",
        example: "0.999",
        protected: false,
    },
];

/// Every fact this crate produces.
pub fn fact_specs() -> Vec<FactSpec> {
    SPECS.to_vec()
}

/// The identifier kind behind a comparison name, for [`redflag_model::RingLink`].
pub(crate) fn identifier_kind(comparison: &str) -> Option<IdentifierKind> {
    Some(match comparison {
        "email" => IdentifierKind::Email,
        "phone" => IdentifierKind::Phone,
        "payout" => IdentifierKind::PayoutAccount,
        "device" => IdentifierKind::Device,
        "document" => IdentifierKind::Document,
        "photo" => IdentifierKind::PhotoHash,
        "home_address" | "shipping_address" => IdentifierKind::PostalAddress,
        "egress" => IdentifierKind::Ip,
        "profile_url" => IdentifierKind::ProfileUrl,
        _ => return None,
    })
}

pub(crate) fn not_in_ring(id: &SubjectId) -> Fact {
    Fact::new(id.clone(), "ring.size", FactValue::Int(1))
}

fn hours(mask: u32) -> String {
    let h: Vec<String> = (0..24)
        .filter(|h| mask & (1 << h) != 0)
        .map(|h| format!("{h:02}"))
        .collect();
    h.join(",")
}

fn list(ids: &[SubjectId]) -> String {
    ids.iter()
        .map(SubjectId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many facts [`ring_facts`] gives a ring member.
pub(crate) const RING_FACTS: usize = 9;

/// Facts of one ring member.
pub(crate) fn ring_facts(
    id: &SubjectId,
    ring: &Ring,
    payout: &[(String, Vec<SubjectId>)],
    shipping: &[(String, Vec<SubjectId>)],
    shifts: &[(String, SubjectId, u32, u32)],
    sanctioned: &[SubjectId],
) -> Vec<Fact> {
    let members = Evidence::new("ring members", list(&ring.members));
    let mut out = vec![
        Fact::new(
            id.clone(),
            "ring.size",
            FactValue::Int(ring.members.len() as i64),
        )
        .with_evidence(members.clone()),
        Fact::new(id.clone(), "ring.id", FactValue::Text(ring.id.0.clone())),
    ];
    let mut f = Fact::new(
        id.clone(),
        "ring.shared_payout_account",
        FactValue::Bool(!payout.is_empty()),
    );
    for (v, with) in payout {
        f.evidence.push(Evidence::new(
            format!("payout {v}"),
            format!("also paid to {}", list(with)),
        ));
    }
    out.push(f);
    let mut f = Fact::new(
        id.clone(),
        "ring.shared_shipping_address",
        FactValue::Bool(!shipping.is_empty()),
    );
    for (v, with) in shipping {
        f.evidence.push(Evidence::new(
            format!("shipped to {v}"),
            format!("also shipped for {}", list(with)),
        ));
    }
    out.push(f);
    let most = shipping.iter().map(|(_, w)| w.len() + 1).max().unwrap_or(1);
    out.push(Fact::new(
        id.clone(),
        "ring.shipping_address_members",
        FactValue::Int(most as i64),
    ));
    let mut f = Fact::new(
        id.clone(),
        "ring.shift_separated_egress",
        FactValue::Bool(!shifts.is_empty()),
    );
    for (k, other, mine, theirs) in shifts {
        f.evidence.push(Evidence::new(
            format!("egress {k}"),
            format!(
                "own sign-in hours (UTC) {}; {} at {}",
                hours(*mine),
                other,
                hours(*theirs)
            ),
        ));
    }
    out.push(f);
    let mut f = Fact::new(
        id.clone(),
        "ring.member_with_sanctions_hit",
        FactValue::Bool(!sanctioned.is_empty()),
    );
    if !sanctioned.is_empty() {
        f.evidence.push(Evidence::new(
            "members with a sanctions match",
            list(sanctioned),
        ));
    }
    out.push(f);
    let mut kinds: Vec<String> = ring
        .links
        .iter()
        .filter(|l| l.a == *id || l.b == *id)
        .map(|l| l.kind.clone())
        .collect();
    kinds.sort();
    kinds.dedup();
    out.push(Fact::new(
        id.clone(),
        "ring.link_kinds",
        FactValue::TextList(kinds),
    ));
    out.push(
        Fact::new(id.clone(), "ring.score", FactValue::Float(ring.score)).with_evidence(members),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_member_has_ring_facts_facts() {
        let id = SubjectId::new("t", "1").unwrap();
        let ring = Ring {
            id: redflag_model::RingId("ring:t:1".into()),
            members: vec![id.clone(), SubjectId::new("t", "2").unwrap()],
            links: Vec::new(),
            score: 0.9,
        };
        assert_eq!(ring_facts(&id, &ring, &[], &[], &[], &[]).len(), RING_FACTS);
    }

    #[test]
    fn specs_are_prefixed_and_unique() {
        let specs = fact_specs();
        let mut names: Vec<&str> = specs.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), specs.len());
        assert!(
            specs
                .iter()
                .all(|s| s.name.starts_with("ring.") && s.producer == PRODUCER)
        );
        // The names the rules in rules/linkage read.
        for n in [
            "ring.size",
            "ring.shared_payout_account",
            "ring.shared_shipping_address",
            "ring.member_with_sanctions_hit",
        ] {
            assert!(names.contains(&n), "{n}");
        }
    }
}
