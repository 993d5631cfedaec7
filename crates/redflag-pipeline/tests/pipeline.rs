//! The whole pipeline on a small people file: facts, findings with citations, sanctions, levels.

use chrono::{TimeZone, Utc};
use redflag_connectors::people::{PeopleMapping, PeopleReader};
use redflag_model::{Assessment, RiskLevel, Subject};
use redflag_pipeline::Engines;

fn subjects() -> Vec<Subject> {
    PeopleReader::new(
        &include_bytes!("fixtures/people.csv")[..],
        "people.csv",
        "ats",
        PeopleMapping::generic(),
    )
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

fn assess() -> Vec<Assessment> {
    let engines = Engines::builtin().unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    engines.assess(&subjects(), &[], at).assessments
}

fn by_id<'a>(assessments: &'a [Assessment], id: &str) -> &'a Assessment {
    assessments
        .iter()
        .find(|a| a.subject.as_str() == id)
        .unwrap()
}

#[test]
fn a_listed_wallet_is_critical_with_an_explained_match() {
    let assessments = assess();
    let ken = by_id(&assessments, "ats:3");
    assert_eq!(ken.level, RiskLevel::Critical);
    let m = &ken.sanctions[0];
    assert!(m.exact_identifier);
    assert_eq!(m.list, "us-ofac-sdn");
    assert!(m.entry_name.to_uppercase().contains("SIM"), "{m:?}");
    assert!(
        ken.findings
            .iter()
            .any(|f| f.stage == redflag_model::Stage::Sanctions && !f.citations.is_empty())
    );
    assert!(!ken.versions.rule_pack.is_empty());
    assert!(
        ken.versions
            .lists
            .iter()
            .any(|l| l.starts_with("us-ofac-sdn@"))
    );
}

#[test]
fn a_disposable_email_is_a_cited_finding_and_names_alone_are_not() {
    let assessments = assess();
    let daniel = by_id(&assessments, "ats:2");
    let finding = daniel
        .findings
        .iter()
        .find(|f| {
            f.evidence
                .iter()
                .any(|e| e.label.starts_with("email.is_disposable"))
        })
        .unwrap_or_else(|| panic!("no disposable-email finding: {:#?}", daniel.findings));
    assert!(!finding.citations.is_empty());
    // A Korean name and a Korean residence with no contrary evidence is nothing.
    let minjun = by_id(&assessments, "ats:4");
    assert_eq!(minjun.level, RiskLevel::Low, "{:#?}", minjun.findings);
    assert!(minjun.sanctions.is_empty());
    assert_eq!(by_id(&assessments, "ats:1").level, RiskLevel::Low);
}
