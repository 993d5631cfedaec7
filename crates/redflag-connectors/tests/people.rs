//! People CSV connector on realistic exports, including malformed rows.

#![allow(clippy::unwrap_used)]

use redflag_connectors::RejectWriter;
use redflag_connectors::people::{PeopleMapping, PeopleReader};
use redflag_model::IdentifierKind;

fn read(csv: &[u8]) -> (Vec<redflag_model::Subject>, Vec<redflag_connectors::Reject>) {
    let reader =
        PeopleReader::new(csv, "fixture.csv", "greenhouse", PeopleMapping::generic()).unwrap();
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
fn greenhouse_style_export_reads_every_good_row() {
    let (ok, bad) = read(include_bytes!("fixtures/greenhouse_candidates.csv"));
    assert_eq!(ok.len(), 4, "rejects: {bad:?}");
    let lucia = ok
        .iter()
        .find(|s| s.id.as_str() == "greenhouse:10423")
        .unwrap();
    assert_eq!(lucia.name.full, "Lucia Romano");
    assert_eq!(lucia.claimed.country.unwrap().as_str(), "IT");
    assert_eq!(lucia.claimed.timezone.unwrap().name(), "Europe/Rome");
    assert_eq!(lucia.identifiers_of(IdentifierKind::Email).count(), 2);
    assert_eq!(
        lucia
            .identifiers_of(IdentifierKind::Phone)
            .next()
            .unwrap()
            .value(),
        "+393471234567"
    );
    assert_eq!(
        lucia.attributes.get("Source").map(String::as_str),
        Some("LinkedIn")
    );
    assert_eq!(lucia.provenance.line, Some(2));
    let reasons: Vec<String> = bad.iter().map(|r| r.to_string()).collect();
    insta::assert_snapshot!(reasons.join("\n"));
}

#[test]
fn a_missing_id_and_email_column_is_a_header_error() {
    let err = PeopleReader::new(
        &b"name,country\nA,US\n"[..],
        "x.csv",
        "ats",
        PeopleMapping::generic(),
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("x.csv: no id or email column"),
        "{err}"
    );
    let err = PeopleReader::new(
        &b"id,country\n1,US\n"[..],
        "x.csv",
        "ats",
        PeopleMapping::generic(),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("no name column"), "{err}");
}

#[test]
fn invalid_utf8_and_ragged_rows_are_rejected_with_their_line() {
    let csv = b"id,name,email\n1,Ann Lee,ann@example.com\n2,B\xffad,b@example.com\n3,Too,many,fields\n4,Kim Min-jun,kim@example.kr\n";
    let (ok, bad) = read(csv);
    assert_eq!(
        ok.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["greenhouse:1", "greenhouse:4"]
    );
    assert_eq!(bad.len(), 2);
    assert_eq!(bad[0].line, 3);
    assert!(bad[0].reason.contains("UTF-8"));
    assert_eq!(bad[1].line, 4);
    assert!(bad[1].reason.contains("4 fields where the header has 3"));
}

#[test]
fn rejects_file_is_written_only_when_needed() {
    let dir = tempfile::tempdir().unwrap();
    let clean = RejectWriter::new(dir.path().join("clean.rejects.csv"));
    assert!(clean.finish().unwrap().is_none());
    assert!(!dir.path().join("clean.rejects.csv").exists());
    let (_, bad) = read(include_bytes!("fixtures/greenhouse_candidates.csv"));
    let mut writer = RejectWriter::new(dir.path().join("x.rejects.csv"));
    for r in &bad {
        writer.write(r).unwrap();
    }
    let (path, count) = writer.finish().unwrap().unwrap();
    assert_eq!(count, bad.len() as u64);
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.starts_with("source,line,field,reason,raw"));
    assert_eq!(text.lines().count(), 1 + bad.len());
}

#[test]
fn an_employee_id_column_becomes_an_identifier_that_payroll_rows_share() {
    use redflag_connectors::payroll::{PayoutMapping, PayrollReader};
    let reader = PeopleReader::new(
        &include_bytes!("fixtures/workday_workers.csv")[..],
        "workday_workers.csv",
        "workday",
        PeopleMapping::builtin("workday").unwrap(),
    )
    .unwrap();
    let people: Vec<_> = reader.filter_map(Result::ok).collect();
    let grace = people
        .iter()
        .find(|s| s.id.as_str() == "workday:21001")
        .unwrap();
    let numbers: Vec<String> = grace
        .identifiers_of(IdentifierKind::EmployeeId)
        .map(|i| i.key())
        .collect();
    assert_eq!(numbers, ["employee_id:workday:21001"]);
    // the employee id column also stays the subject id, and is not repeated as an attribute
    assert!(!grace.attributes.contains_key("Employee ID"));
    // a payroll row with only that number carries the same identifier (the store joins on it)
    let payroll = "worker_id,effective_date,bank,account\n21001,2024-05-01T00:00:00Z,Chase,1234\n";
    let event = PayrollReader::new(payroll.as_bytes(), "p.csv", &PayoutMapping::generic())
        .unwrap()
        .with_employee_id_system("workday")
        .next()
        .unwrap()
        .unwrap();
    assert!(grace.identifiers.contains(&event.identifiers[0]));
    // the same number from another system is another identifier
    let other = PayrollReader::new(payroll.as_bytes(), "p.csv", &PayoutMapping::generic())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert!(!grace.identifiers.contains(&other.identifiers[0]));
}

#[test]
fn a_photo_hash_column_becomes_the_photo_identifier_and_a_bad_hash_is_a_reject() {
    let csv = b"id,name,email,photo_hash\n\
        1,Ana Silva,ana@example.com,c3a1f0e2d4b59687\n\
        2,Ben Ode,ben@example.com,not-a-hash\n";
    let (ok, bad) = read(csv);
    assert_eq!(ok.len(), 1);
    let photos: Vec<_> = ok[0].identifiers_of(IdentifierKind::PhotoHash).collect();
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].value(), "c3a1f0e2d4b59687");
    assert!(!ok[0].attributes.contains_key("photo_hash"));
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].line, 3);
    assert!(bad[0].reason.contains("photo"), "{}", bad[0].reason);
}
