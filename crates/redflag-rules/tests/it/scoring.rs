//! Scoring: prior, log-odds sum, same-stage decay, decisive findings, sanctions, rings, calibration.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use redflag_model::{
    Finding, Ring, RingId, RingLink, RiskLevel, SanctionsMatchSummary, Severity, Stage, SubjectId,
    VersionStamp,
};
use redflag_rules::{
    CalibrationConfig, LabelledSubject, Scorer, ScoringConfig, fit_weights, logit, sigmoid,
};

fn finding(
    subject: &SubjectId,
    id: &str,
    stage: Stage,
    severity: Severity,
    weight: f64,
) -> Finding {
    Finding {
        subject: subject.clone(),
        rule_id: id.into(),
        title: format!("title of {id}"),
        stage,
        severity,
        weight,
        explanation: String::new(),
        evidence: Vec::new(),
        citations: Vec::new(),
    }
}

fn assess(
    findings: Vec<Finding>,
    sanctions: Vec<SanctionsMatchSummary>,
) -> redflag_model::Assessment {
    let s = SubjectId::new("hris", "1").unwrap();
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let versions = VersionStamp {
        rule_pack: "abc".into(),
        ..VersionStamp::default()
    };
    Scorer::default().assess(&s, findings, sanctions, None, versions, at)
}

fn s() -> SubjectId {
    SubjectId::new("hris", "1").unwrap()
}

#[test]
fn no_findings_is_the_prior() {
    let a = assess(vec![], vec![]);
    assert!((a.score - ScoringConfig::default().prior_probability).abs() < 1e-9);
    assert_eq!(a.level, RiskLevel::Low);
    assert_eq!(a.versions.rule_pack, "abc");
}

#[test]
fn different_stages_add_and_same_stage_decays() {
    let prior = logit(ScoringConfig::default().prior_probability);
    let a = assess(
        vec![
            finding(&s(), "A", Stage::Network, Severity::High, 2.0),
            finding(&s(), "B", Stage::Endpoint, Severity::High, 2.0),
        ],
        vec![],
    );
    assert!((a.log_odds - (prior + 4.0)).abs() < 1e-9);
    let b = assess(
        vec![
            finding(&s(), "A", Stage::Network, Severity::High, 2.0),
            finding(&s(), "B", Stage::Network, Severity::High, 2.0),
            finding(&s(), "C", Stage::Network, Severity::Medium, 1.0),
        ],
        vec![],
    );
    // 2 + 2·0.5 + 1·0.25
    assert!((b.log_odds - (prior + 3.25)).abs() < 1e-9, "{}", b.log_odds);
    // fifty weak correlated signals of one stage stay bounded by 2 × the strongest
    let many: Vec<Finding> = (0..50)
        .map(|i| finding(&s(), &format!("W{i}"), Stage::Work, Severity::Low, 1.0))
        .collect();
    let c = assess(many, vec![]);
    assert!(c.log_odds < prior + 2.0 + 1e-9);
    assert_ne!(c.level, RiskLevel::Critical);
}

#[test]
fn levels_follow_thresholds() {
    let prior = logit(ScoringConfig::default().prior_probability);
    let level = |w: f64| {
        assess(
            vec![finding(&s(), "A", Stage::Network, Severity::High, w)],
            vec![],
        )
        .level
    };
    let to = |p: f64| logit(p) - prior;
    assert_eq!(level(to(0.04)), RiskLevel::Low);
    assert_eq!(level(to(0.06)), RiskLevel::Medium);
    assert_eq!(level(to(0.31)), RiskLevel::High);
    assert_eq!(level(to(0.81)), RiskLevel::Critical);
}

#[test]
fn one_decisive_finding_dominates() {
    let a = assess(
        vec![
            finding(&s(), "WEAK", Stage::Work, Severity::Low, 0.5),
            finding(&s(), "KVM", Stage::Endpoint, Severity::Critical, 1.0),
            finding(&s(), "EXCULPATORY", Stage::Identity, Severity::Info, -3.0),
        ],
        vec![],
    );
    assert_eq!(a.level, RiskLevel::Critical);
    assert!(a.score >= 0.8 - 1e-9);
    assert_eq!(a.findings[0].rule_id, "KVM", "strongest first");
}

#[test]
fn sanctions_matches_score_and_exact_identifiers_are_decisive() {
    let m = |exact: bool, score: f64, corroborated: bool| SanctionsMatchSummary {
        list: "us-ofac-sdn".into(),
        list_version: "2025-11-19".into(),
        entry_id: "42498".into(),
        entry_name: "Sim Hyon Sop".into(),
        programs: vec!["NPWMD".into()],
        score,
        exact_identifier: exact,
        corroborated,
        explanation: vec![],
    };
    let exact = assess(vec![], vec![m(true, 1.0, true)]);
    assert_eq!(exact.level, RiskLevel::Critical);
    assert!(exact.score > 0.9);
    let fuzzy = assess(vec![], vec![m(false, 0.9, true)]);
    assert!(fuzzy.level < RiskLevel::Critical);
    assert!(fuzzy.log_odds > assess(vec![], vec![]).log_odds);
    assert_eq!(fuzzy.sanctions.len(), 1);
    // A name alone, with nothing agreeing, is listed for review but is no risk.
    let name_only = assess(vec![], vec![m(false, 1.0, false)]);
    assert_eq!(name_only.log_odds, assess(vec![], vec![]).log_odds);
    assert_eq!(name_only.sanctions.len(), 1);
}

#[test]
fn ring_findings_raise_the_members_joined_to_the_source_by_identity_values() {
    let scorer = Scorer::default();
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let members: Vec<SubjectId> = (1..=6)
        .map(|i| SubjectId::new("hris", &i.to_string()).unwrap())
        .collect();
    let link = |a: usize, b: usize, kind: &str| RingLink {
        a: members[a].clone(),
        b: members[b].clone(),
        kind: kind.into(),
        identifier_kind: None,
        value: "shared".into(),
        weight: 4.0,
    };
    // 1 and 2 share a payout account, 1 and 3 a device, 2 and 5 a phone: 2, 3 and 5 take 1's finding
    // (5 through 2). 4 shares only an egress network and a given name with 1 (coworkers behind one
    // NAT look the same), and a device with 6: neither 4 nor 6 takes it.
    let ring = Ring {
        id: RingId("ring-1".into()),
        members: members.clone(),
        links: vec![
            link(0, 1, "payout"),
            link(2, 0, "device"),
            link(0, 3, "egress"),
            link(0, 3, "given_name"),
            link(1, 4, "phone"),
            link(3, 5, "device"),
        ],
        score: 0.9,
    };
    let mut assessments: Vec<_> = members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let findings = if i == 0 {
                vec![finding(
                    m,
                    "RF-END-001",
                    Stage::Endpoint,
                    Severity::Critical,
                    7.0,
                )]
            } else {
                vec![]
            };
            scorer.assess(
                m,
                findings,
                vec![],
                Some(ring.id.clone()),
                VersionStamp::default(),
                at,
            )
        })
        .collect();
    let before: Vec<f64> = assessments.iter().map(|a| a.log_odds).collect();
    scorer.propagate_rings(&mut assessments, &[ring]);
    assert_eq!(
        assessments[0].log_odds, before[0],
        "the source member is not raised by its own finding"
    );
    for i in [1, 2, 4] {
        let a = &assessments[i];
        assert!(
            (a.log_odds - (before[i] + 3.5)).abs() < 1e-9,
            "{} vs {}",
            a.log_odds,
            before[i]
        );
        let f = &a.findings[0];
        assert_eq!(f.rule_id, "RF-END-001@ring");
        assert_eq!(f.stage, Stage::Linkage);
        assert!(f.explanation.contains("ring-1"));
        // prior -5.8 + 3.5 = -2.3 (p ≈ 0.09): one propagated finding makes a member worth a look
        assert_eq!(a.level, RiskLevel::Medium);
    }
    for i in [3, 5] {
        assert!(
            assessments[i].findings.is_empty(),
            "member {} took {:?}",
            i + 1,
            assessments[i].findings
        );
        assert_eq!(assessments[i].log_odds, before[i]);
    }
}

#[test]
fn calibration_recovers_weights_from_labelled_data() {
    // Simulate: rule A is strong (true weight 3), rule B is noise (0), base rate 5 %.
    let mut samples = Vec::new();
    let mut state: u64 = 7;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 10_000) as f64 / 10_000.0
    };
    for _ in 0..20_000 {
        let a = rand() < 0.2;
        let b = rand() < 0.3;
        let p = sigmoid(logit(0.05) + if a { 3.0 } else { 0.0 });
        let positive = rand() < p;
        let mut fired = Vec::new();
        if a {
            fired.push("A".to_string());
        }
        if b {
            fired.push("B".to_string());
        }
        samples.push(LabelledSubject { fired, positive });
    }
    let start: BTreeMap<String, f64> = [("A".to_string(), 1.0), ("B".to_string(), 1.0)].into();
    let fit = fit_weights(&samples, &start, 0.01, &CalibrationConfig::default());
    assert!((fit.weights["A"] - 3.0).abs() < 0.3, "{fit:?}");
    assert!(fit.weights["B"].abs() < 0.3, "{fit:?}");
    assert!((fit.intercept - logit(0.05)).abs() < 0.3, "{fit:?}");
    assert!(fit.log_loss_after < fit.log_loss_before);
    // with no data the expert weights stand
    let none = fit_weights(&[], &start, 0.01, &CalibrationConfig::default());
    assert_eq!(none.weights, start);
}
