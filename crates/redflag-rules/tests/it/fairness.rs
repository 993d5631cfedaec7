//! The fairness lint: refused by the loader and reported by `lint`.

use redflag_rules::{RuleErrorKind, RulePack, lint};

use crate::loading::patch;
use crate::provisional::registry;

/// Loads a rule with this condition and evidence; returns the fairness errors.
fn fairness_errors(condition: &str, evidence: &str, facts: (&str, &str)) -> Vec<String> {
    let registry = registry();
    let text = patch("'net.vpn_share > 0.5'", &format!("'{condition}'"))
        .replace(
            "evidence: [net.vpn_share]",
            &format!("evidence: [{evidence}]"),
        )
        .replace("{ net.vpn_share: 0.9 }", facts.0)
        .replace("{ net.vpn_share: 0.0 }", facts.1);
    let pack = RulePack::builder(&registry)
        .builtin(false)
        .text("RF-NET-901.yaml", &text)
        .build();
    let report = lint(&pack);
    let errors: Vec<String> = pack
        .errors()
        .iter()
        .filter(|e| matches!(*e.kind, RuleErrorKind::Fairness(_)))
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        pack.is_empty(),
        !errors.is_empty(),
        "refused iff unfair: {:?}",
        pack.errors()
    );
    assert_eq!(report.is_clean(), errors.is_empty());
    errors
}

#[test]
fn protected_attributes_alone_are_refused() {
    let e = fairness_errors(
        "claim.nationality != claim.language",
        "claim.nationality",
        (
            "{ claim.nationality: A, claim.language: B }",
            "{ claim.nationality: A, claim.language: A }",
        ),
    );
    assert!(e[0].contains("reads only protected attributes"), "{e:?}");
}

#[test]
fn protected_attributes_compared_with_fixed_values_are_refused() {
    let e = fairness_errors(
        "claim.nationality == \"KR\" && net.vpn_share > 0.5",
        "net.vpn_share",
        (
            "{ claim.nationality: KR, net.vpn_share: 0.9 }",
            "{ claim.nationality: US, net.vpn_share: 0.0 }",
        ),
    );
    assert!(e[0].contains("compared with a fixed value"), "{e:?}");
    let e = fairness_errors(
        "claim.language in [\"ko\", \"zh\"] && net.vpn_share > 0.5",
        "net.vpn_share",
        (
            "{ claim.language: ko, net.vpn_share: 0.9 }",
            "{ claim.language: en, net.vpn_share: 0.0 }",
        ),
    );
    assert!(e[0].contains("compared with a fixed value"), "{e:?}");
    let e = fairness_errors(
        "claim.name_origin.startsWith(\"K\") && net.vpn_share > 0.5",
        "net.vpn_share",
        (
            "{ claim.name_origin: Korean, net.vpn_share: 0.9 }",
            "{ claim.name_origin: x, net.vpn_share: 0.0 }",
        ),
    );
    assert!(e[0].contains("compared with a fixed value"), "{e:?}");
}

#[test]
fn protected_attributes_need_non_protected_evidence() {
    let e = fairness_errors(
        "claim.nationality != net.signin_country",
        "claim.nationality",
        (
            "{ claim.nationality: US, net.signin_country: CN }",
            "{ claim.nationality: US, net.signin_country: US }",
        ),
    );
    assert!(e[0].contains("`evidence` shows none"), "{e:?}");
}

#[test]
fn a_claim_against_the_subjects_own_evidence_is_allowed() {
    let e = fairness_errors(
        "claim.nationality != net.signin_country",
        "net.signin_country, claim.nationality",
        (
            "{ claim.nationality: US, net.signin_country: CN }",
            "{ claim.nationality: US, net.signin_country: US }",
        ),
    );
    assert!(e.is_empty(), "{e:?}");
}
