//! The whole pipeline on a small people file: facts, findings with citations, sanctions, levels.
#![allow(clippy::unwrap_used)] // test helpers: a failure is the test failing

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

#[test]
fn endpoint_inventory_reaches_the_rules_of_the_subject_it_belongs_to() {
    let subjects = subjects();
    let owner = subjects[0].id.clone();
    let events: Vec<redflag_model::Event> = redflag_connectors::osquery::reader(
        &include_bytes!("fixtures/osquery_results.log")[..],
        "results.log",
    )
    // The fixture also holds rows the reader rejects on purpose; the accepted ones are the host's.
    .filter_map(Result::ok)
    .map(|mut event| {
        event.subject = Some(owner.clone());
        event
    })
    .collect();
    assert!(!events.is_empty());
    let engines = Engines::builtin().unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let output = engines.assess(&subjects, &events, at);
    let fired = |id: &str| -> Vec<String> {
        by_id(&output.assessments, id)
            .findings
            .iter()
            .map(|f| f.rule_id.clone())
            .filter(|r| r.starts_with("RF-END-"))
            .collect()
    };
    let on_owner = fired(owner.as_str());
    for rule in ["RF-END-001", "RF-END-002", "RF-END-005"] {
        assert!(
            on_owner.contains(&rule.to_string()),
            "{rule} not in {on_owner:?}"
        );
    }
    let kvm = output
        .facts
        .iter()
        .find(|f| f.subject == owner && f.name == "endpoint.ip_kvm_seen")
        .unwrap();
    assert!(
        !kvm.evidence.is_empty(),
        "the KVM fact carries its osquery row"
    );
    for other in subjects.iter().skip(1) {
        assert_eq!(
            fired(other.id.as_str()),
            Vec::<String>::new(),
            "{}",
            other.id
        );
    }
}

#[test]
fn the_whole_builtin_pack_loads_against_the_real_registry_and_passes_its_own_tests() {
    let registry = redflag_pipeline::registry().unwrap();
    let pack = redflag_rules::RulePack::builtin(&registry);
    let errors: Vec<String> = pack.errors().iter().map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "rules that do not load:\n{}",
        errors.join("\n")
    );
    assert!(pack.len() >= 60, "only {} rules loaded", pack.len());
    let report = redflag_rules::run_tests(&pack);
    let failures: Vec<String> = report.failures().map(|f| format!("{f:?}")).collect();
    assert!(
        report.is_ok(),
        "failing rule tests:\n{}",
        failures.join("\n")
    );
    assert!(
        report.passed() >= 120,
        "only {} rule tests ran",
        report.passed()
    );
}

#[test]
fn the_facts_reference_is_up_to_date() {
    let registry = redflag_pipeline::registry().unwrap();
    let expected = redflag_pipeline::facts_markdown(&registry);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/FACTS.md");
    if std::env::var_os("REDFLAG_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/FACTS.md is stale: run `REDFLAG_UPDATE_DOCS=1 cargo test -p redflag-pipeline`"
    );
    for spec in registry.iter() {
        assert!(
            !spec.meaning.trim().is_empty(),
            "{} has no meaning",
            spec.name
        );
        assert!(spec.name.contains('.'), "{} has no domain", spec.name);
    }
}

#[test]
fn assessing_owned_events_equals_assessing_borrowed_ones_in_any_order() {
    let subjects = subjects();
    // The osquery rows split between two subjects, plus rows of nobody listed.
    let events: Vec<redflag_model::Event> = redflag_connectors::osquery::reader(
        &include_bytes!("fixtures/osquery_results.log")[..],
        "results.log",
    )
    .filter_map(Result::ok)
    .enumerate()
    .map(|(i, mut event)| {
        event.subject = match i % 3 {
            0 => Some(subjects[0].id.clone()),
            1 => Some(subjects[1].id.clone()),
            _ => Some(redflag_model::SubjectId::from_stored("ats:nobody".into())),
        };
        event
    })
    .collect();
    assert!(events.len() >= 3);
    let engines = Engines::builtin().unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let borrowed = engines.assess(&subjects, &events, at);
    // Already grouped, as the store reads them (subjects in order, then time and id): taken as they are.
    let position = |e: &redflag_model::Event| {
        subjects
            .iter()
            .position(|s| Some(&s.id) == e.subject.as_ref())
    };
    let mut grouped: Vec<redflag_model::Event> = events
        .iter()
        .filter(|e| position(e).is_some())
        .cloned()
        .collect();
    grouped.sort_by(|a, b| (position(a), a.time, &a.id).cmp(&(position(b), b.time, &b.id)));
    let in_order = engines.assess_owned(&subjects, grouped, at);
    assert_eq!(in_order.assessments, borrowed.assessments);
    assert_eq!(in_order.facts, borrowed.facts);
    let owned = engines.assess_owned(&subjects, events.into_iter().rev().collect(), at);
    assert_eq!(owned.assessments, borrowed.assessments);
    assert_eq!(owned.facts, borrowed.facts);
    assert_eq!(owned.rings, borrowed.rings);
    assert!(
        borrowed
            .facts
            .iter()
            .any(|f| f.subject == subjects[1].id && f.name.starts_with("endpoint.")),
        "the second subject's rows were assessed"
    );
}
