//! Built-in people mappings (Greenhouse, Lever, Workday, generic), YAML mapping files, resumes attached
//! by file name, marketplace profile JSON, and people-file resume from a checkpoint.

#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::path::Path;

use redflag_connectors::marketplace::MarketplaceReader;
use redflag_connectors::people::{BUILTIN_MAPPINGS, PeopleMapping, PeopleReader};
use redflag_connectors::resumes::{self, ResumeLimits};
use redflag_connectors::{ConnectorError, Reject};
use redflag_model::{IdentifierKind, Subject, SubjectKind};

fn read(csv: &[u8], system: &str, mapping: PeopleMapping) -> (Vec<Subject>, Vec<Reject>) {
    let reader = PeopleReader::new(csv, "fixture.csv", system, mapping).unwrap();
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for record in reader {
        match record {
            Ok(s) => ok.push(s),
            Err(r) => bad.push(r),
        }
    }
    (ok, bad)
}

#[test]
fn every_builtin_mapping_parses_and_names_its_source() {
    for (name, _) in BUILTIN_MAPPINGS {
        let m = PeopleMapping::builtin(name).unwrap();
        assert_eq!(m.name.as_deref(), Some(*name));
        assert!(m.source.is_some(), "{name} names no source");
    }
    assert!(PeopleMapping::builtin("GreenHouse").is_some());
    let err = PeopleMapping::load("no-such-mapping")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("greenhouse, lever, workday") || err.contains("generic"),
        "{err}"
    );
}

#[test]
fn greenhouse_mapping_reads_the_greenhouse_fixture() {
    let (ok, bad) = read(
        include_bytes!("fixtures/greenhouse_candidates.csv"),
        "greenhouse",
        PeopleMapping::builtin("greenhouse").unwrap(),
    );
    let (generic_ok, _) = read(
        include_bytes!("fixtures/greenhouse_candidates.csv"),
        "greenhouse",
        PeopleMapping::generic(),
    );
    assert_eq!(ok.len(), generic_ok.len(), "{bad:?}");
    let lucia = ok
        .iter()
        .find(|s| s.id.as_str() == "greenhouse:10423")
        .unwrap();
    assert_eq!(lucia.role.as_deref(), Some("Senior Backend Engineer"));
    assert_eq!(lucia.identifiers_of(IdentifierKind::ProfileUrl).count(), 1);
    assert_eq!(lucia.kind, SubjectKind::Applicant);
}

#[test]
fn lever_mapping_splits_multi_value_cells_but_keeps_locations_whole() {
    let (ok, bad) = read(
        include_bytes!("fixtures/lever_candidates.csv"),
        "lever",
        PeopleMapping::builtin("lever").unwrap(),
    );
    assert!(bad.is_empty(), "{bad:?}");
    let ana = &ok[0];
    assert_eq!(
        ana.id.as_str(),
        "lever:7f2c9a10-1b2c-4d5e-8f90-123456789abc"
    );
    assert_eq!(ana.name.full, "Ana Souza");
    assert_eq!(ana.identifiers_of(IdentifierKind::Email).count(), 2);
    assert_eq!(ana.identifiers_of(IdentifierKind::ProfileUrl).count(), 2);
    assert_eq!(ana.claimed.city.as_deref(), Some("São Paulo, Brazil"));
    assert_eq!(ana.role.as_deref(), Some("Senior Backend Engineer"));
    assert_eq!(
        ana.attributes.get(resumes::RESUME_FILE).map(String::as_str),
        Some("resumes/ana.txt")
    );
    assert_eq!(ok[1].attributes.get(resumes::RESUME_FILE), None);
}

#[test]
fn workday_mapping_maps_worker_types_and_rejects_unknown_ones() {
    let (ok, bad) = read(
        include_bytes!("fixtures/workday_workers.csv"),
        "workday",
        PeopleMapping::builtin("workday").unwrap(),
    );
    assert_eq!(ok.len(), 2);
    assert_eq!(ok[0].kind, SubjectKind::Employee);
    assert_eq!(ok[0].name.full, "Grace Hopper");
    assert_eq!(ok[0].claimed.country.unwrap().as_str(), "US");
    assert_eq!(
        ok[0].identifiers_of(IdentifierKind::PostalAddress).count(),
        1
    );
    assert_eq!(ok[1].kind, SubjectKind::Contractor);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].line, 4);
    assert_eq!(bad[0].field.as_deref(), Some("Worker Type"));
}

#[test]
fn a_yaml_mapping_file_is_loaded_and_typos_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hris.yaml");
    std::fs::write(
        &path,
        "name: hris\nfields:\n  id: [Staff No]\n  full_name: [Staff Name]\n  email: [Mail]\ndefault_kind: contractor\n",
    )
    .unwrap();
    let mapping = PeopleMapping::load(path.to_str().unwrap()).unwrap();
    let (ok, bad) = read(
        b"Staff No,Staff Name,Mail,Desk\n9,Ada Byron,ada@example.com,4F\n",
        "hris",
        mapping,
    );
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(ok[0].id.as_str(), "hris:9");
    assert_eq!(ok[0].kind, SubjectKind::Contractor);
    assert_eq!(ok[0].attributes.get("Desk").map(String::as_str), Some("4F"));
    std::fs::write(&path, "fields:\n  e_mail: [Mail]\n").unwrap();
    let err = PeopleMapping::load(path.to_str().unwrap()).unwrap_err();
    assert!(matches!(err, ConnectorError::Mapping { .. }));
    assert!(err.to_string().contains("e_mail"), "{err}");
}

#[test]
fn resumes_named_in_the_export_are_attached_and_problems_reported_per_file() {
    let (mut ok, _) = read(
        include_bytes!("fixtures/lever_candidates.csv"),
        "lever",
        PeopleMapping::builtin("lever").unwrap(),
    );
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let text = |b: &[u8], _: &str| Ok(String::from_utf8_lossy(b).into_owned());
    let limits = ResumeLimits::default();
    assert!(resumes::attach_named(&mut ok[0], &base, &limits, text).unwrap());
    assert!(
        ok[0].attributes[resumes::RESUME_TEXT].contains("Senior backend engineer"),
        "{:?}",
        ok[0].attributes
    );
    // no resume named: nothing to do
    assert!(!resumes::attach_named(&mut ok[1], &base, &limits, text).unwrap());
    // a missing file and an escaping path are reported with the subject and the file
    ok[1]
        .attributes
        .insert(resumes::RESUME_FILE.into(), "resumes/missing.pdf".into());
    let problem = resumes::attach_named(&mut ok[1], &base, &limits, text).unwrap_err();
    assert_eq!(problem.file, "resumes/missing.pdf");
    assert!(problem.subject.starts_with("lever:8a3d0b21"));
    ok[1]
        .attributes
        .insert(resumes::RESUME_FILE.into(), "../../Cargo.toml".into());
    let problem = resumes::attach_named(&mut ok[1], &base, &limits, text).unwrap_err();
    assert!(problem.reason.contains("climbs out"), "{problem}");
    assert!(!ok[1].attributes.contains_key(resumes::RESUME_TEXT));
}

#[test]
fn marketplace_profiles_become_marketplace_accounts() {
    let file = include_bytes!("fixtures/marketplace_profiles.json");
    let mut reader = MarketplaceReader::new(&file[..], "profiles.json", "marketplace");
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for r in reader.by_ref() {
        match r {
            Ok(s) => ok.push(s),
            Err(e) => bad.push(e),
        }
    }
    assert_eq!(ok.len(), 2, "{bad:#?}");
    let jane = &ok[0];
    assert_eq!(jane.id.as_str(), "upwork:~01a2b3c4d5e6f7a8b9");
    assert_eq!(jane.kind, SubjectKind::MarketplaceAccount);
    assert_eq!(jane.claimed.country.unwrap().as_str(), "US");
    assert_eq!(jane.claimed.timezone.unwrap().name(), "America/Chicago");
    assert_eq!(jane.identifiers_of(IdentifierKind::ProfileUrl).count(), 3);
    assert_eq!(
        jane.identifiers_of(IdentifierKind::PayoutAccount).count(),
        1
    );
    assert_eq!(jane.identifiers_of(IdentifierKind::Wallet).count(), 1);
    assert_eq!(jane.identifiers_of(IdentifierKind::Phone).count(), 1);
    assert_eq!(jane.attributes["employers"], "Acme Corp; Initech");
    assert_eq!(jane.attributes["job_success_score"], "97");
    assert_eq!(jane.provenance.line, Some(2));
    assert_eq!(ok[1].id.as_str(), "marketplace:4471");
    assert_eq!(ok[1].name.full, "Min Lee");
    let fields: Vec<Option<&str>> = bad.iter().map(|r| r.field.as_deref()).collect();
    assert_eq!(fields[0], Some("hourly_rate"));
    assert_eq!(fields[2], Some("member_since"));
    assert!(bad[1].reason.contains("name"), "{}", bad[1].reason);
    assert!(bad[3].reason.contains("emial"), "{}", bad[3].reason);
    let counts = reader.counts();
    assert_eq!(
        (counts.records, counts.accepted, counts.rejected),
        (6, 2, 4)
    );
}

#[test]
fn people_files_resume_from_a_checkpoint() {
    let file = include_bytes!("fixtures/greenhouse_candidates.csv").to_vec();
    let all = read(&file, "greenhouse", PeopleMapping::generic());
    let total = all.0.len() + all.1.len();
    for stop in 0..total {
        let mut reader = PeopleReader::new(
            Cursor::new(&file),
            "fixture.csv",
            "greenhouse",
            PeopleMapping::generic(),
        )
        .unwrap();
        let mut got: Vec<_> = reader.by_ref().take(stop).collect();
        let resumed = PeopleReader::resume(
            Cursor::new(&file),
            "fixture.csv",
            "greenhouse",
            PeopleMapping::generic(),
            reader.checkpoint(),
        )
        .unwrap();
        got.extend(resumed);
        let (ok, bad): (Vec<_>, Vec<_>) = got.into_iter().partition(|r| r.is_ok());
        assert_eq!(ok.len(), all.0.len(), "stop {stop}");
        assert_eq!(bad.len(), all.1.len(), "stop {stop}");
    }
}
