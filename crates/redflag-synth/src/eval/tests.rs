//! `evaluate` and `time_to_detect` on a hand-made world of ten subjects.

use std::collections::BTreeMap;

use super::*;
use crate::truth::{GroundTruth, OperatorTruth, RingTruth};

/// P1–P3 operators (ring-001: P1, P2; ring-002: P3, applicant only); P4–P10 innocents, P4 a night-shift
/// hard negative.
fn truth() -> Truth {
    let operator = |id: &str, ring: &str, hired: bool| OperatorTruth {
        id: id.into(),
        subject_id: format!("synth:{id}"),
        ring: ring.into(),
        name_origin: "us".into(),
        claimed_country: "US".into(),
        true_timezone: "Asia/Pyongyang".into(),
        hired,
        signals: Vec::new(),
    };
    let ring = |id: &str, strength, members: &[&str]| RingTruth {
        id: id.into(),
        strength,
        true_timezone: "Asia/Pyongyang".into(),
        facilitator: None,
        members: members.iter().map(|m| m.to_string()).collect(),
        signals: Vec::new(),
        shared: BTreeMap::new(),
    };
    let ground = GroundTruth {
        generator: "hand".into(),
        seed: 1,
        system: "synth".into(),
        subjects: 10,
        window: ["2026-01-01".into(), "2026-04-01".into()],
        operators: vec![
            operator("P1", "ring-001", true),
            operator("P2", "ring-001", true),
            operator("P3", "ring-002", false),
        ],
        rings: vec![
            ring("ring-001", Strength::Strong, &["P1", "P2"]),
            ring("ring-002", Strength::Subtle, &["P3"]),
        ],
        facilitators: Vec::new(),
        hard_negatives: Vec::new(),
        subjects_file: "ground_truth_subjects.csv".into(),
    };
    let subjects = (1..=10)
        .map(|i| {
            let id = format!("P{i}");
            SubjectTruth {
                subject_id: format!("synth:{id}"),
                operator: i <= 3,
                ring: match i {
                    1 | 2 => Some("ring-001".into()),
                    3 => Some("ring-002".into()),
                    _ => None,
                },
                hard_negative: (i == 4).then(|| "night_shift".into()),
                name_origin: if i % 2 == 0 { "korean" } else { "us" }.into(),
                nationality: if i % 2 == 0 { "KR" } else { "" }.into(),
                claimed_country: "US".into(),
                kind: "employee".into(),
                id,
            }
        })
        .collect();
    Truth::from_parts(ground, subjects)
}

fn scored(id: &str, score: f64, level: RiskLevel, rules: &[&str]) -> Scored {
    Scored {
        subject: format!("synth:{id}"),
        score,
        level,
        rules: rules.iter().map(|r| r.to_string()).collect(),
    }
}

fn run() -> Vec<Scored> {
    vec![
        scored(
            "P1",
            0.95,
            RiskLevel::Critical,
            &["RF-PAY-001", "RF-NET-004"],
        ),
        scored("P2", 0.40, RiskLevel::High, &["RF-PAY-001"]),
        scored("P3", 0.10, RiskLevel::Medium, &["RF-ID-002"]),
        scored("P4", 0.50, RiskLevel::High, &["RF-NET-004", "RF-NET-004"]),
        scored("P5", 0.003, RiskLevel::Low, &[]),
        scored("P6", 0.06, RiskLevel::Medium, &["RF-ID-002"]),
        scored("P7", 0.003, RiskLevel::Low, &[]),
        scored("P8", 0.003, RiskLevel::Low, &[]),
        scored("P9", 0.003, RiskLevel::Low, &[]),
        // P10 missing: a rejected row.
    ]
}

#[test]
fn subject_metrics_at_high() {
    let report = evaluate(&truth(), &run(), &[], &EvalOptions::default());
    let s = &report.subjects;
    assert_eq!(
        (
            s.confusion.true_positives,
            s.confusion.false_positives,
            s.confusion.false_negatives,
            s.confusion.true_negatives
        ),
        (2, 1, 1, 6)
    );
    assert!((s.precision - 2.0 / 3.0).abs() < 1e-12);
    assert!((s.recall - 2.0 / 3.0).abs() < 1e-12);
    assert!((s.f1 - 2.0 / 3.0).abs() < 1e-12);
    assert!((s.false_positive_rate - 1.0 / 7.0).abs() < 1e-12);
    assert_eq!(s.unscored, 1);
    assert_eq!(report.world.operators, 3);
    assert_eq!(report.world.innocents, 7);
    assert_eq!(report.world.hard_negatives, 1);
    let levels: Vec<(RiskLevel, u64, u64)> = s
        .by_level
        .iter()
        .map(|l| {
            (
                l.level,
                l.confusion.true_positives,
                l.confusion.false_positives,
            )
        })
        .collect();
    assert_eq!(
        levels,
        vec![
            (RiskLevel::Low, 3, 6),
            (RiskLevel::Medium, 3, 2),
            (RiskLevel::High, 2, 1),
            (RiskLevel::Critical, 1, 0),
        ]
    );
    // Scores 0.95 op, 0.5 fp, 0.4 op, 0.1 op, 0.06 fp: F1 is best at 0.1 (3 of 3 found, 1 false alarm).
    let best = s.best_f1.unwrap();
    assert_eq!(best.threshold, 0.1);
    assert!((best.f1 - 2.0 * 0.75 / 1.75).abs() < 1e-12);
}

#[test]
fn the_level_is_a_parameter() {
    let options = EvalOptions {
        level: RiskLevel::Medium,
        ..EvalOptions::default()
    };
    let report = evaluate(&truth(), &run(), &[], &options);
    let c = report.subjects.confusion;
    assert_eq!((c.true_positives, c.false_positives), (3, 2));
    let critical = evaluate(
        &truth(),
        &run(),
        &[],
        &EvalOptions {
            level: RiskLevel::Critical,
            ..EvalOptions::default()
        },
    );
    assert_eq!(critical.subjects.confusion.true_positives, 1);
    assert_eq!(critical.subjects.confusion.false_positives, 0);
}

#[test]
fn rules_false_positives_and_categories() {
    let report = evaluate(&truth(), &run(), &[], &EvalOptions::default());
    let rule = |id: &str| report.rules.iter().find(|r| r.rule == id).unwrap().clone();
    // A rule that fires twice on one subject counts once.
    let net = rule("RF-NET-004");
    assert_eq!(
        (
            net.fired_on_operators,
            net.fired_on_innocents,
            net.true_positives,
            net.false_positives
        ),
        (1, 1, 1, 1)
    );
    let id = rule("RF-ID-002");
    assert_eq!(
        (
            id.fired_on_operators,
            id.fired_on_innocents,
            id.true_positives,
            id.false_positives
        ),
        (1, 1, 0, 0)
    );
    assert_eq!(report.false_positives.len(), 1);
    assert_eq!(report.false_positives[0].subject, "synth:P4");
    assert_eq!(
        report.false_positives[0].hard_negative.as_deref(),
        Some("night_shift")
    );
    let night = report
        .by_category
        .iter()
        .find(|c| c.category == "night_shift")
        .unwrap();
    assert_eq!((night.innocents, night.flagged), (1, 1));
    let strong = report
        .by_strength
        .iter()
        .find(|s| s.strength == Strength::Strong)
        .unwrap();
    assert_eq!((strong.operators, strong.flagged), (2, 2));
}

#[test]
fn rings_with_and_without_linkage() {
    let none = evaluate(&truth(), &run(), &[], &EvalOptions::default());
    assert_eq!(none.rings.linkage.found, 0);
    assert_eq!(none.rings.linkage.precision, None);
    assert_eq!(none.rings.rings_with_a_flagged_member, 1);
    let stored: Vec<StoredRing> = vec![
        vec!["synth:P1".to_string(), "synth:P2".to_string()].into(),
        vec!["synth:P5".to_string(), "synth:P7".to_string()].into(),
    ];
    let linked = evaluate(&truth(), &run(), &stored, &EvalOptions::default());
    assert_eq!(linked.rings.linkage.found, 1);
    assert_eq!(linked.rings.linkage.precision, Some(0.5));
    assert!(linked.rings.rings[0].found_by_linkage);
    assert!(!linked.rings.rings[1].found_by_linkage);
    let row = |kind: &str, rings: usize, members: usize| WrongRingRow {
        kind: kind.into(),
        rings,
        members,
    };
    assert_eq!(
        linked.rings.wrong_rings,
        vec![row("innocents: ordinary", 1, 2)]
    );
}

#[test]
fn rings_that_are_not_correct_are_told_apart_by_make_up() {
    let ring = |ids: &[&str]| StoredRing {
        members: ids.iter().map(|i| format!("synth:{i}")).collect(),
        link_kinds: if ids.contains(&"P5") {
            vec!["email".into(), "given_name".into()]
        } else {
            Vec::new()
        },
    };
    let stored = vec![
        ring(&["P1", "P2"]),       // correct: ring-001
        ring(&["P1", "P2", "P5"]), // correct: two of three from ring-001
        ring(&["P5", "P7"]),
        ring(&["P8", "P9", "P6"]),
        ring(&["P4", "P5"]), // a night-shift hard negative with an ordinary innocent
        ring(&["P1", "P3", "P6"]), // no planted ring holds more than half
        ring(&["P1", "P3"]),
        ring(&["X1", "X2"]),
    ];
    let report = evaluate(&truth(), &run(), &stored, &EvalOptions::default());
    assert_eq!(report.rings.linkage.correct, 2);
    let rows: Vec<(&str, usize, usize)> = report
        .rings
        .wrong_rings
        .iter()
        .map(|r| (r.kind.as_str(), r.rings, r.members))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("innocents: ordinary", 2, 5),
            ("innocents: mixed categories", 1, 2),
            ("operators of several rings", 1, 2),
            ("operators with innocents", 1, 3),
            ("subjects not in the truth", 1, 2),
        ]
    );
    let links: Vec<(&str, usize)> = report
        .rings
        .wrong_ring_links
        .iter()
        .map(|r| (r.links.as_str(), r.rings))
        .collect();
    assert_eq!(links, vec![("unknown", 4), ("email+given_name", 2)]);
    let wrong: usize = report.rings.wrong_rings.iter().map(|r| r.rings).sum();
    assert_eq!(
        wrong,
        report.rings.linkage.stored - report.rings.linkage.correct
    );
}

#[test]
fn fairness_and_curve_come_with_the_report() {
    let report = evaluate(&truth(), &run(), &[], &EvalOptions::default());
    // Groups are far below 100 innocents: listed, never judged.
    assert_eq!(report.fairness.innocents, 7);
    assert_eq!(report.fairness.violations, 0);
    assert!(report.fairness.rows.iter().all(|r| !r.judged));
    let korean = report
        .fairness
        .rows
        .iter()
        .find(|r| r.dimension == "name_origin" && r.group == "korean")
        .unwrap();
    // P4, P6, P8, P10 are Korean-named innocents; P4 was flagged.
    assert_eq!((korean.innocents, korean.false_positives), (4, 1));
    let first = report.pr_curve.first().unwrap();
    assert_eq!((first.threshold, first.true_positives), (0.95, 1));
    assert!(report.subjects.average_precision > 0.5);
    let md = render_markdown(&report, "redflag eval --world x", Some("pr.svg"));
    assert!(md.contains("| 0.667 | 0.667 | 0.667 |"));
    assert!(md.contains("synth:P4"));
    assert!(md.contains("Violations: **0**"));
    assert!(md.contains("[pr.svg](pr.svg)"));
}

#[test]
fn time_to_detect_takes_the_first_prefix() {
    let flagged = |ids: &[&str]| ids.iter().map(|i| format!("synth:{i}")).collect();
    let runs = vec![
        PrefixRun {
            days: 30,
            flagged: flagged(&["P1", "P2", "P4"]),
        },
        PrefixRun {
            days: 7,
            flagged: flagged(&["P1"]),
        },
        PrefixRun {
            days: 14,
            flagged: flagged(&["P1", "P5"]),
        },
    ];
    let t = time_to_detect(&truth(), &runs);
    let rows: Vec<(u32, u64, u64, u64)> = t
        .prefixes
        .iter()
        .map(|p| {
            (
                p.days,
                p.operators_flagged,
                p.hired_flagged,
                p.innocents_flagged,
            )
        })
        .collect();
    assert_eq!(rows, vec![(7, 1, 1, 0), (14, 1, 1, 1), (30, 2, 2, 1)]);
    assert_eq!((t.operators, t.hired, t.never_flagged), (3, 2, 1));
    // First detections: P1 at 7, P2 at 30 → lower median 7.
    assert_eq!(t.median_days, Some(7));
    assert_eq!(t.median_days_hired, Some(7));
    assert!((t.prefixes[2].hired_recall - 1.0).abs() < 1e-12);
}

#[test]
fn missed_operators_and_recall_by_signal() {
    use crate::truth::{PlantedSignal, Signal};
    let mut truth = truth();
    truth.ground.operators[0].signals = vec![PlantedSignal::of(Signal::AstrillVpn)];
    truth.ground.operators[2].signals = vec![
        PlantedSignal::of(Signal::VoipPhone),
        PlantedSignal::of(Signal::AstrillVpn),
    ];
    let report = evaluate(&truth, &run(), &[], &EvalOptions::default());
    // P3 (medium) is the one operator missed at `high`.
    assert_eq!(report.missed_operators.len(), 1);
    let m = &report.missed_operators[0];
    assert_eq!(m.subject, "synth:P3");
    assert_eq!(m.ring, "ring-002");
    assert_eq!(m.strength, Strength::Subtle);
    assert!(!m.hired);
    assert_eq!(m.level, Some(RiskLevel::Medium));
    assert_eq!(m.signals, vec![Signal::VoipPhone, Signal::AstrillVpn]);
    assert_eq!(m.rules, vec!["RF-ID-002".to_string()]);
    let by: Vec<(Signal, u64, u64)> = report
        .by_signal
        .iter()
        .map(|r| (r.signal, r.operators, r.flagged))
        .collect();
    assert_eq!(
        by,
        vec![(Signal::VoipPhone, 1, 0), (Signal::AstrillVpn, 2, 1)]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
    let md = render_markdown(&report, "redflag eval", None);
    assert!(md.contains("### Missed operators (1 in all)"), "{md}");
    assert!(md.contains(
        "| synth:P3 | ring-002 | Subtle | no | 0.100 | voip_phone astrill_vpn | RF-ID-002 |"
    ));
    assert!(md.contains("| astrill_vpn | 2 | 1 | 0.500 |"));
}
