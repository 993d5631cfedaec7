//! Evaluation: findings, evidence with provenance, citations, missing facts, batch = single.

use redflag_model::{Evidence, Fact, FactValue, Provenance, Severity, SubjectId};
use redflag_rules::RulePack;

use crate::loading::{GOOD, patch};
use crate::provisional::registry;

fn subject(n: u32) -> SubjectId {
    SubjectId::new("hris", &n.to_string()).unwrap()
}

fn fact(s: &SubjectId, name: &str, value: FactValue) -> Fact {
    Fact::new(s.clone(), name, value)
}

/// Builds a one-rule pack from a condition (and evidence) over the provisional registry.
fn pack_with(condition: &str) -> RulePack {
    let registry = registry();
    let text = patch("'net.vpn_share > 0.5'", &format!("'{condition}'"));
    let text = text.replace(
        "evidence: [net.vpn_share]",
        "evidence: [net.vpn_share, net.signin_country]",
    );
    let text = text
        .replace(
            "    facts: { net.vpn_share: 0.9 }",
            "    facts: { net.vpn_share: 0.9, net.signin_country: KP }",
        )
        .replace(
            "    facts: { net.vpn_share: 0.0 }",
            "    facts: { net.vpn_share: 0.0, net.signin_country: US }",
        );
    let pack = RulePack::builder(&registry)
        .builtin(false)
        .text("RF-NET-901.yaml", &text)
        .build();
    assert!(pack.errors().is_empty(), "{condition}: {:?}", pack.errors());
    pack
}

fn check(condition: &str, facts: &[(&str, FactValue)], expect: bool) {
    let pack = pack_with(condition);
    let s = subject(1);
    let facts: Vec<Fact> = facts.iter().map(|(n, v)| fact(&s, n, v.clone())).collect();
    let fired = !pack.evaluate(&s, &facts).is_empty();
    assert_eq!(fired, expect, "{condition} on {facts:?}");
}

#[test]
fn conditions_evaluate_over_typed_facts() {
    use FactValue::*;
    check(
        "net.vpn_share > 0.5",
        &[("net.vpn_share", Float(0.6))],
        true,
    );
    check(
        "net.vpn_share > 0.5",
        &[("net.vpn_share", Float(0.4))],
        false,
    );
    // an int is accepted for a float fact, and int literals compare with doubles
    check("net.vpn_share >= 1", &[("net.vpn_share", Int(1))], true);
    check(
        "net.signin_country == \"KP\"",
        &[("net.signin_country", Text("KP".into()))],
        true,
    );
    check(
        "\"CN\" in net.signin_countries",
        &[(
            "net.signin_countries",
            TextList(vec!["US".into(), "CN".into()]),
        )],
        true,
    );
    check(
        "size(net.signin_countries) >= 3",
        &[("net.signin_countries", TextList(vec!["US".into()]))],
        false,
    );
    check(
        "9 in tz.inferred_offset_hours",
        &[("tz.inferred_offset_hours", IntList(vec![8, 9]))],
        true,
    );
    check(
        "tz.inferred_offset_hours.exists(h, h >= 8)",
        &[("tz.inferred_offset_hours", IntList(vec![-5, 9]))],
        true,
    );
    check(
        "identity.phone.line_type == \"voip\"",
        &[("identity.phone.line_type", Text("voip".into()))],
        true,
    );
    check(
        "claim.country != net.signin_country && net.vpn_share > 0.1",
        &[
            ("claim.country", Text("US".into())),
            ("net.signin_country", Text("CN".into())),
            ("net.vpn_share", Float(0.5)),
        ],
        true,
    );
}

#[test]
fn missing_facts_never_fire_and_never_fail() {
    use FactValue::*;
    check("net.vpn_share > 0.5", &[], false);
    check(
        "!(net.vpn_share > 0.5)",
        &[("net.vpn_sign_in_count", Int(3))],
        false,
    );
    // `||` absorbs the error of a missing side when the other side is true (CEL semantics)
    check(
        "net.vpn_share > 0.5 || net.vpn_sign_in_count > 2",
        &[("net.vpn_sign_in_count", Int(3))],
        true,
    );
    check(
        "net.vpn_share > 0.5 && net.vpn_sign_in_count > 2",
        &[("net.vpn_sign_in_count", Int(3))],
        false,
    );
    // a fact of the wrong type is treated as missing
    check(
        "net.vpn_share > 0.5",
        &[("net.vpn_share", Text("0.9".into()))],
        false,
    );
}

#[test]
fn findings_carry_rule_evidence_provenance_and_citations() {
    let registry = registry();
    let pack = RulePack::builtin(&registry);
    let s = subject(7);
    let source = Provenance::at_line("osquery", "usb_devices.jsonl", 12);
    let kvm = fact(&s, "endpoint.ip_kvm_seen", FactValue::Bool(true)).with_evidence(Evidence {
        label: "usb device".into(),
        value: "1d6b:0104 PiKVM Composite Device serial CAFEBABE".into(),
        source: Some(source.clone()),
    });
    let facts = vec![
        kvm,
        fact(
            &s,
            "endpoint.usb_gadget_composite_seen",
            FactValue::Bool(true),
        ),
        fact(&s, "unrelated.fact", FactValue::Int(1)),
    ];
    let findings = pack.evaluate(&s, &facts);
    let ids: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, ["RF-END-001"], "RF-END-007 defers to RF-END-001");
    let f = &findings[0];
    assert_eq!(f.subject, s);
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.weight, 7.0);
    assert_eq!(f.evidence[0], Evidence::new("endpoint.ip_kvm_seen", "true"));
    assert_eq!(f.evidence[1].source.as_ref(), Some(&source));
    assert!(
        f.evidence
            .iter()
            .any(|e| e.label == "endpoint.usb_gadget_composite_seen")
    );
    assert!(
        f.citations
            .iter()
            .any(|c| c.indicators.contains(&"E3".to_string()) && c.url.starts_with("https://"))
    );
    assert!(
        f.explanation.contains("endpoint.ip_kvm_seen = true"),
        "{}",
        f.explanation
    );
}

#[test]
fn explanation_templates_are_filled() {
    let registry = registry();
    let pack = RulePack::builtin(&registry);
    let s = subject(8);
    let facts = vec![
        fact(&s, "endpoint.remote_tool_count", FactValue::Int(2)),
        fact(
            &s,
            "endpoint.remote_tools",
            FactValue::TextList(vec!["anydesk".into(), "rustdesk".into()]),
        ),
    ];
    let findings = pack.evaluate(&s, &facts);
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].explanation,
        "2 remote-control tools seen: anydesk, rustdesk."
    );
}

#[test]
fn batch_evaluation_matches_one_by_one() {
    let registry = registry();
    let pack = RulePack::builtin(&registry);
    let subjects: Vec<(SubjectId, Vec<Fact>)> = (0..500u32)
        .map(|i| {
            let s = subject(i);
            let facts = vec![
                fact(
                    &s,
                    "endpoint.remote_tool_count",
                    FactValue::Int(i64::from(i % 4)),
                ),
                fact(
                    &s,
                    "endpoint.mouse_jiggler_seen",
                    FactValue::Bool(i % 7 == 0),
                ),
                fact(&s, "ring.size", FactValue::Int(i64::from(i % 6))),
                fact(&s, "work.commit_count", FactValue::Int(30)),
                fact(
                    &s,
                    "work.commit_claimed_tz_gap_hours",
                    FactValue::Float(f64::from(i % 5) * 3.0),
                ),
            ];
            (s, facts)
        })
        .collect();
    let batch = pack.evaluate_all(&subjects);
    assert_eq!(batch.len(), subjects.len());
    let mut fired = 0;
    for ((s, facts), findings) in subjects.iter().zip(&batch) {
        assert_eq!(&pack.evaluate(s, facts), findings);
        fired += findings.len();
    }
    assert!(fired > 100, "{fired}");
}

#[test]
fn the_doc_rule_is_valid() {
    assert!(GOOD.contains("RF-NET-901"));
}
