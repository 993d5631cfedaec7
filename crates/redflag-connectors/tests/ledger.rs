//! Payroll change and device shipping CSV readers: built-in and custom mappings, rejects by line and
//! column, explicit time zones, stable ids and byte-offset resume.

#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use redflag_connectors::payroll::{PayoutMapping, PayrollReader};
use redflag_connectors::shipping::{ShipmentMapping, ShippingReader};
use redflag_connectors::{Checkpoint, Reject};
use redflag_model::{Event, EventKind, PayoutMethod};

fn split<I: Iterator<Item = Result<Event, Reject>>>(records: I) -> (Vec<Event>, Vec<Reject>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for r in records {
        match r {
            Ok(e) => ok.push(e),
            Err(e) => bad.push(e),
        }
    }
    (ok, bad)
}

fn payout(e: &Event) -> &redflag_model::PayoutChange {
    match &e.kind {
        EventKind::PayoutChange(p) => p,
        other => panic!("not a payout change: {other:?}"),
    }
}

fn shipment(e: &Event) -> &redflag_model::Shipment {
    match &e.kind {
        EventKind::Shipment(s) => s,
        other => panic!("not a shipment: {other:?}"),
    }
}

#[test]
fn synth_payroll_rows_read_with_the_generic_mapping() {
    let file = include_bytes!("fixtures/payroll_synth.csv");
    let reader =
        PayrollReader::new(&file[..], "payroll_synth.csv", &PayoutMapping::generic()).unwrap();
    let (ok, bad) = split(reader);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(ok.len(), 7);
    let first = &ok[0];
    assert_eq!(first.time.to_rfc3339(), "2025-09-25T18:30:00+00:00");
    assert_eq!(first.utc_offset_seconds, 19800);
    assert_eq!(
        first.identifiers[0].key(),
        "email:aagarwal1009@northwind-labs.com"
    );
    let p = payout(first);
    assert_eq!(p.method, PayoutMethod::Bank);
    assert_eq!(p.provider.as_deref(), Some("Axis Bank"));
    assert_eq!(
        p.account.as_ref().unwrap().account,
        "885753273062IFSCJBLD0624499"
    );
    assert_eq!(p.country.unwrap().as_str(), "IN");
    assert_eq!(first.provenance.line, Some(2));
    let payoneer = payout(&ok[5]);
    assert_eq!(payoneer.method, PayoutMethod::PaymentService);
    assert_eq!(
        payoneer.account.as_ref().unwrap().account,
        "anderson.robert8691@yahoo.com"
    );
    // ids are stable across runs and distinct across rows
    let again =
        split(PayrollReader::new(&file[..], "elsewhere.csv", &PayoutMapping::generic()).unwrap()).0;
    assert_eq!(
        ok.iter().map(|e| &e.id).collect::<Vec<_>>(),
        again.iter().map(|e| &e.id).collect::<Vec<_>>()
    );
    let mut ids: Vec<_> = ok.iter().map(|e| e.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), ok.len());
}

#[test]
fn custom_payroll_mapping_reads_vendor_headers_and_rejects_bad_rows() {
    let mapping = PayoutMapping::from_yaml(
        include_str!("fixtures/payroll_elections.yaml"),
        "payroll_elections.yaml",
    )
    .unwrap();
    let file = include_bytes!("fixtures/payroll_elections.csv");
    let mut reader = PayrollReader::new(&file[..], "payroll_elections.csv", &mapping).unwrap();
    let (ok, bad) = split(reader.by_ref());
    assert_eq!(ok.len(), 4, "{bad:#?}");
    let counts = reader.counts();
    assert_eq!(
        (counts.records, counts.accepted, counts.rejected),
        (9, 4, 5)
    );
    // every row is attributed by its email and its Workday worker id
    assert_eq!(
        ok[0]
            .identifiers
            .iter()
            .map(|i| i.key())
            .collect::<Vec<_>>(),
        [
            "email:lucia.romano@example.com",
            "employee_id:workday:W-1001"
        ]
    );
    // W-1007 has no email: its worker id alone attributes it
    assert_eq!(ok[3].provenance.line, Some(8));
    assert_eq!(
        ok[3]
            .identifiers
            .iter()
            .map(|i| i.key())
            .collect::<Vec<_>>(),
        ["employee_id:workday:W-1007"]
    );
    let crypto = payout(&ok[2]);
    assert_eq!(crypto.method, PayoutMethod::Crypto);
    assert_eq!(
        crypto.wallet.as_ref().unwrap().address,
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    );
    assert!(crypto.account.is_none());
    assert_eq!(payout(&ok[0]).country.unwrap().as_str(), "IT");
    let lines: Vec<(u64, Option<&str>)> =
        bad.iter().map(|r| (r.line, r.field.as_deref())).collect();
    assert_eq!(
        lines,
        vec![
            (5, Some("Effective Date")),
            (6, Some("Primary Work Email")),
            (7, Some("Bank Country")),
            (9, None),
            (10, Some("Effective Date")),
        ]
    );
    assert!(bad[0].reason.contains("no time zone"), "{}", bad[0].reason);
    assert!(bad[3].reason.contains("4 fields where the header has 9"));
}

#[test]
fn a_mapping_without_the_needed_columns_is_refused_with_the_header() {
    let csv = "who,when\nx,2024-01-01T00:00:00Z\n";
    let err = PayrollReader::new(csv.as_bytes(), "x.csv", &PayoutMapping::generic())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("no email or employee id column") && err.contains("who, when"),
        "{err}"
    );
    let bad_yaml = PayoutMapping::from_yaml("fields:\n  emial: [email]\n", "typo.yaml")
        .err()
        .unwrap()
        .to_string();
    assert!(
        bad_yaml.contains("typo.yaml") && bad_yaml.contains("emial"),
        "{bad_yaml}"
    );
    let bad_zone = PayoutMapping::from_yaml(
        "fields:\n  email: [email]\n  time: [t]\n  account: [a]\ntimezone: Mars/Base\n",
        "zone.yaml",
    )
    .unwrap();
    let err = PayrollReader::new("email,t,a\n".as_bytes(), "x.csv", &bad_zone)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("timezone"), "{err}");
}

#[test]
fn synth_shipments_read_with_the_generic_mapping() {
    let file = include_bytes!("fixtures/shipments_synth.csv");
    let reader = ShippingReader::new(
        &file[..],
        "shipments_synth.csv",
        &ShipmentMapping::generic(),
    )
    .unwrap();
    let (ok, bad) = split(reader);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(ok.len(), 5);
    let s = shipment(&ok[0]);
    assert_eq!(
        s.address.original,
        "379, FC Road, Karnataka, Bengaluru 560191"
    );
    assert_eq!(s.address.country.unwrap().as_str(), "IN");
    assert_eq!(s.serial.as_deref(), Some("C02X3FJ6DJ2A"));
    assert_eq!(
        s.item.as_deref(),
        Some("MacBook Pro 14-inch (M3) (asset A07270651)")
    );
    assert_eq!(ok[0].time.to_rfc3339(), "2025-09-23T00:00:00+00:00");
    assert_eq!(
        ok[0].identifiers[0].key(),
        "email:aagarwal1009@northwind-labs.com"
    );
    // The asset record declares whose laptop it is.
    assert_eq!(ok[0].identifiers[1].key(), "device:serial:C02X3FJ6DJ2A");
}

#[test]
fn custom_shipping_mapping_joins_address_columns_in_the_declared_zone() {
    let mapping = ShipmentMapping::from_yaml(
        include_str!("fixtures/asset_shipments.yaml"),
        "asset_shipments.yaml",
    )
    .unwrap();
    let file = include_bytes!("fixtures/asset_shipments.csv");
    let (ok, bad) = split(ShippingReader::new(&file[..], "asset_shipments.csv", &mapping).unwrap());
    assert_eq!(ok.len(), 2, "{bad:#?}");
    let a = shipment(&ok[0]);
    let b = shipment(&ok[1]);
    assert_eq!(
        a.address.original,
        "1200 Elm Street, Apt 4, Dallas, TX, 75201"
    );
    assert_eq!(a.address.normalised, b.address.normalised);
    // a bare date in the declared zone: midnight in Chicago (CDT, UTC-5)
    assert_eq!(ok[0].time.to_rfc3339(), "2024-05-10T05:00:00+00:00");
    assert_eq!(ok[0].utc_offset_seconds, -5 * 3600);
    // a written offset is kept as written
    assert_eq!(ok[1].utc_offset_seconds, 0);
    let reasons: Vec<(u64, String)> = bad.iter().map(|r| (r.line, r.reason.clone())).collect();
    assert_eq!(reasons[0], (4, "no address".to_string()));
    assert_eq!(reasons[1].0, 5);
    assert!(reasons[1].1.contains("not RFC 3339"), "{reasons:?}");
}

#[test]
fn zone_less_dates_are_refused_unless_the_mapping_declares_a_zone() {
    let csv = "email,ship_date,address\na@example.com,2024-05-10,1 Main St\n";
    let mut mapping = ShipmentMapping::generic();
    mapping.timezone = None;
    let (ok, bad) = split(ShippingReader::new(csv.as_bytes(), "s.csv", &mapping).unwrap());
    assert!(ok.is_empty());
    assert!(
        bad[0].reason.contains("declare `timezone:`"),
        "{}",
        bad[0].reason
    );
}

#[test]
fn csv_readers_resume_from_a_checkpoint_without_loss_or_repeats() {
    let file = include_bytes!("fixtures/payroll_synth.csv").to_vec();
    let mapping = PayoutMapping::generic();
    let all: Vec<Event> = split(PayrollReader::new(&file[..], "p.csv", &mapping).unwrap()).0;
    for stop in 0..all.len() {
        let mut reader = PayrollReader::new(Cursor::new(&file), "p.csv", &mapping).unwrap();
        let mut got: Vec<Event> = reader.by_ref().take(stop).map(|r| r.unwrap()).collect();
        let checkpoint: Checkpoint = reader.checkpoint();
        let resumed =
            PayrollReader::resume(Cursor::new(&file), "p.csv", &mapping, checkpoint).unwrap();
        got.extend(resumed.map(|r| r.unwrap()));
        assert_eq!(got, all, "stopped after {stop} rows at {checkpoint:?}");
    }
    let file = include_bytes!("fixtures/shipments_synth.csv").to_vec();
    let mapping = ShipmentMapping::generic();
    let mut reader = ShippingReader::new(Cursor::new(&file), "s.csv", &mapping).unwrap();
    let first: Vec<Event> = reader.by_ref().take(2).map(|r| r.unwrap()).collect();
    let resumed: Vec<Event> =
        ShippingReader::resume(Cursor::new(&file), "s.csv", &mapping, reader.checkpoint())
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
    assert_eq!(first.len() + resumed.len(), 5);
    assert_eq!(resumed[0].provenance.line, Some(4));
}

#[test]
fn rows_without_an_email_are_attributed_by_employee_id_in_the_named_system() {
    let payroll = "employee_id,email,effective_date,method,bank,account\n\
                   E-7,,2024-05-01T00:00:00Z,ACH,Chase,021000021-1\n\
                   ,ann@example.com,2024-05-01T00:00:00Z,ACH,Chase,021000021-2\n\
                   ,,2024-05-01T00:00:00Z,ACH,Chase,021000021-3\n";
    let keys = |e: &Event| e.identifiers.iter().map(|i| i.key()).collect::<Vec<_>>();
    // default system: the same as `redflag ingest people` without --system
    let (ok, bad) =
        split(PayrollReader::new(payroll.as_bytes(), "p.csv", &PayoutMapping::generic()).unwrap());
    assert_eq!(keys(&ok[0]), ["employee_id:ats:E-7"]);
    assert_eq!(keys(&ok[1]), ["email:ann@example.com"]);
    assert_eq!(bad.len(), 1);
    assert_eq!((bad[0].line, bad[0].field.as_deref()), (4, Some("email")));
    assert!(
        bad[0].reason.contains("no email and no employee id"),
        "{}",
        bad[0].reason
    );
    // the reader can be told whose numbers these are
    let (ok, _) = split(
        PayrollReader::new(payroll.as_bytes(), "p.csv", &PayoutMapping::generic())
            .unwrap()
            .with_employee_id_system("Workday"),
    );
    assert_eq!(keys(&ok[0]), ["employee_id:workday:E-7"]);
    // an export with only an employee id column opens; so does a shipping export
    let shipping = "employee_id,ship_date,address,serial\nE-7,2024-05-10,1 Main St,c02abc\n";
    let (ok, bad) = split(
        ShippingReader::new(shipping.as_bytes(), "s.csv", &ShipmentMapping::generic()).unwrap(),
    );
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(
        keys(&ok[0]),
        ["device:serial:C02ABC", "employee_id:ats:E-7"]
    );
    // a mapping may name the issuing system
    let mut mapping = ShipmentMapping::generic();
    mapping.employee_id_system = Some("bamboohr".into());
    let (ok, _) = split(ShippingReader::new(shipping.as_bytes(), "s.csv", &mapping).unwrap());
    assert_eq!(keys(&ok[0])[1], "employee_id:bamboohr:E-7");
    // and the event's key does not change with the system (re-ingest stays idempotent)
    let (again, _) = split(
        ShippingReader::new(shipping.as_bytes(), "s.csv", &ShipmentMapping::generic()).unwrap(),
    );
    assert_eq!(ok[0].id, again[0].id);
}

#[test]
fn built_in_mappings_load_by_name_or_path() {
    assert!(PayoutMapping::load("GENERIC").is_ok());
    assert!(ShipmentMapping::builtin("generic").is_some());
    let err = ShipmentMapping::load("/nonexistent/mapping.yaml")
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("not a built-in shipping mapping (generic)"),
        "{err}"
    );
}
