//! Coverage of the research catalogue; regenerates docs/COVERAGE.md.

use redflag_rules::coverage::{
    Indicator, Reasons, builtin_coverage, catalogue, coverage, parse_catalogue, parse_reasons,
};

#[test]
fn the_vendored_catalogue_has_every_id() {
    let ids: Vec<String> = catalogue().into_iter().map(|i| i.id).collect();
    assert_eq!(ids.len(), 116);
    for (prefix, n) in [
        ("A", 28),
        ("I", 15),
        ("D", 11),
        ("N", 12),
        ("E", 12),
        ("P", 12),
        ("W", 16),
        ("L", 10),
    ] {
        for k in 1..=n {
            assert!(ids.contains(&format!("{prefix}{k}")), "{prefix}{k}");
        }
    }
}

#[test]
fn every_indicator_has_a_rule_or_a_reason() {
    let report = builtin_coverage().unwrap();
    assert!(
        report.missing().is_empty(),
        "indicators with neither a rule nor a reason: {:?}",
        report.missing()
    );
    assert!(
        report.contradictions().is_empty(),
        "covered but declared not automatable: {:?}",
        report.contradictions()
    );
    assert!(
        report.unknown_reasons.is_empty(),
        "{:?}",
        report.unknown_reasons
    );
    assert!(
        report.unknown_citations.is_empty(),
        "{:?}",
        report.unknown_citations
    );
    let (covered, ..) = report.counts();
    assert!(covered >= 25, "{covered}");
}

#[test]
fn a_regression_is_reported() {
    let cat = vec![
        Indicator {
            id: "E3".into(),
            stage: "endpoint".into(),
            title: "KVM".into(),
        },
        Indicator {
            id: "I13".into(),
            stage: "interview".into(),
            title: "question".into(),
        },
        Indicator {
            id: "N5".into(),
            stage: "network".into(),
            title: "VPN".into(),
        },
    ];
    let reasons = Reasons {
        not_automatable: [("I13".to_string(), "live interview".to_string())].into(),
        pending: Default::default(),
    };
    let report = coverage(
        &cat,
        &[("RF-END-001".into(), vec!["E3".into(), "Z9".into()])],
        &reasons,
    );
    assert_eq!(report.missing(), ["N5"]);
    assert_eq!(
        report.unknown_citations,
        [("RF-END-001".to_string(), "Z9".to_string())]
    );
    assert!(
        report
            .to_markdown()
            .contains("| N5 | VPN |  | **MISSING** |")
    );
}

#[test]
fn malformed_data_files_are_reported_with_lines() {
    let e = parse_catalogue("# c\nid\tstage\ttitle\nA1 no tabs\n", "x.tsv").unwrap_err();
    assert_eq!((e.line, e.file.as_str()), (3, "x.tsv"));
    let e = parse_reasons("not_automatable:\n  A1: ok\nsurprise: 1\n", "r.yaml").unwrap_err();
    assert!(e.to_string().contains("unknown field `surprise`"), "{e}");
}

/// docs/COVERAGE.md is generated; this fails when it is stale. `REDFLAG_UPDATE_DOCS=1` rewrites it.
#[test]
fn coverage_doc_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/COVERAGE.md");
    let expected = builtin_coverage().unwrap().to_markdown();
    if std::env::var_os("REDFLAG_UPDATE_DOCS").is_some() {
        std::fs::write(path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/COVERAGE.md is stale: run `REDFLAG_UPDATE_DOCS=1 cargo test -p redflag-rules --test it coverage`"
    );
}
