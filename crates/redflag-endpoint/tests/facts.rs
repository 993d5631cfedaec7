//! Endpoint and work facts from connector output on vendor-shaped fixtures.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use redflag_connectors::{github, osquery};
use redflag_endpoint::{Signatures, endpoint_facts, fact_specs, facts_for};
use redflag_model::{
    Event, EventId, EventKind, Fact, FactRegistry, FactValue, Provenance, SubjectId,
};

fn read<I: Iterator<Item = Result<Event, redflag_connectors::Reject>>>(it: I) -> Vec<Event> {
    it.filter_map(Result::ok).collect()
}

fn get<'a>(facts: &'a [Fact], name: &str) -> &'a FactValue {
    &facts
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fact {name}"))
        .value
}

fn sid() -> SubjectId {
    SubjectId::new("hris", "10423").unwrap()
}

#[test]
fn osquery_rows_give_remote_tools_kvm_vpn_and_ports() {
    let events = read(osquery::reader(
        &include_bytes!("fixtures/osquery_results.log")[..],
        "results.log",
    ));
    let facts = facts_for(&sid(), None, &BTreeMap::new(), &events);
    let registry = {
        let mut r = FactRegistry::new();
        r.register(fact_specs()).unwrap();
        r
    };
    for f in &facts {
        let spec = registry
            .get(&f.name)
            .unwrap_or_else(|| panic!("unregistered {}", f.name));
        assert!(
            spec.fact_type.accepts(&f.value),
            "{} has {:?}",
            f.name,
            f.value
        );
    }
    assert_eq!(get(&facts, "endpoint.host_count"), &FactValue::Int(1));
    assert_eq!(
        get(&facts, "endpoint.remote_tools"),
        &FactValue::TextList(vec![
            "AnyDesk".into(),
            "Chrome Remote Desktop".into(),
            "VNC".into()
        ])
    );
    assert_eq!(
        get(&facts, "endpoint.remote_tools_first_week"),
        &FactValue::Int(3)
    );
    assert_eq!(
        get(&facts, "endpoint.remote_access_ports"),
        &FactValue::IntList(vec![5900])
    );
    assert_eq!(
        get(&facts, "endpoint.ip_kvm_devices"),
        &FactValue::TextList(vec!["PiKVM".into()])
    );
    assert_eq!(get(&facts, "endpoint.ip_kvm_seen"), &FactValue::Bool(true));
    assert_eq!(
        get(&facts, "endpoint.usb_gadget_composite_seen"),
        &FactValue::Bool(true)
    );
    assert_eq!(
        get(&facts, "endpoint.astrill_vpn_seen"),
        &FactValue::Bool(true)
    );
    assert_eq!(
        get(&facts, "endpoint.mouse_jiggler_seen"),
        &FactValue::Bool(false)
    );
    assert_eq!(
        get(&facts, "endpoint.is_virtual_machine"),
        &FactValue::Bool(false)
    );
    let kvm = facts
        .iter()
        .find(|f| f.name == "endpoint.ip_kvm_seen")
        .unwrap();
    let source = kvm.evidence[0].source.as_ref().unwrap();
    assert_eq!((&*source.connector, source.line), ("osquery", Some(2)));
    assert!(
        kvm.evidence[0].value.contains("CAFEBABE"),
        "{:?}",
        kvm.evidence
    );
}

fn endpoint_event(table: &str, action: &str, columns: &[(&str, &str)], day: i64) -> Event {
    Event {
        id: EventId::derive("t", &[table, &day.to_string(), columns[0].1]),
        time: chrono::DateTime::from_timestamp(1_713_258_721 + day * 86_400, 0).unwrap(),
        utc_offset_seconds: 0,
        kind: EventKind::Endpoint(redflag_model::EndpointObservation {
            host: "h1".into(),
            table: table.to_string().into(),
            action: action.to_string().into(),
            columns: columns
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }),
        identifiers: vec![],
        subject: None,
        provenance: Provenance::at_line("osquery", "x.log", 1),
    }
}

#[test]
fn jigglers_vms_removed_rows_and_late_tools() {
    let sigs = Signatures::embedded().unwrap();
    let events = [
        endpoint_event("processes", "snapshot", &[("name", "Caffeine.exe")], 0),
        endpoint_event("processes", "snapshot", &[("name", "VBoxService.exe")], 0),
        endpoint_event(
            "usb_devices",
            "added",
            &[
                ("vendor_id", "1d6b"),
                ("model_id", "0104"),
                ("vendor", "Raspberry"),
                ("model", "Gadget"),
                ("serial", "x"),
            ],
            0,
        ),
        endpoint_event("programs", "removed", &[("name", "TeamViewer 15")], 1),
        endpoint_event("programs", "added", &[("name", "RustDesk")], 30),
        endpoint_event(
            "processes",
            "snapshot",
            &[
                ("name", "powershell.exe"),
                (
                    "cmdline",
                    "remoting_start_host.exe --code=4/0A --redirect-url=x --name=%COMPUTERNAME% --pin=123456",
                ),
            ],
            31,
        ),
    ];
    let refs: Vec<&Event> = events.iter().collect();
    let facts = endpoint_facts(&sigs, &sid(), &refs);
    assert_eq!(
        get(&facts, "endpoint.mouse_jigglers"),
        &FactValue::TextList(vec!["Caffeine".into()])
    );
    assert_eq!(
        get(&facts, "endpoint.vm_guest_tools"),
        &FactValue::TextList(vec!["VirtualBox Guest Additions".into()])
    );
    assert_eq!(
        get(&facts, "endpoint.ip_kvm_seen"),
        &FactValue::Bool(false),
        "a bare gadget id is not a named KVM"
    );
    assert_eq!(
        get(&facts, "endpoint.usb_gadget_composite_seen"),
        &FactValue::Bool(true)
    );
    assert_eq!(
        get(&facts, "endpoint.remote_tools"),
        &FactValue::TextList(vec!["Chrome Remote Desktop".into(), "RustDesk".into()]),
        "a removed program is not counted"
    );
    assert_eq!(
        get(&facts, "endpoint.remote_tools_first_week"),
        &FactValue::Int(0)
    );
    assert_eq!(
        get(&facts, "endpoint.crd_unattended_pin"),
        &FactValue::Bool(true)
    );
    assert!(
        endpoint_facts(&sigs, &sid(), &[]).is_empty(),
        "no endpoint data, no facts"
    );
}

#[test]
fn github_activity_gives_work_facts() {
    let events = read(github::reader(
        &include_bytes!("fixtures/github_api.json")[..],
        "github.json",
    ));
    let attrs = BTreeMap::from([("termination_date".to_string(), "2024-06-10".to_string())]);
    let tz = redflag_model::parse_timezone("Europe/Rome").ok();
    let facts = facts_for(&sid(), tz, &attrs, &events);
    assert_eq!(get(&facts, "work.commit_count"), &FactValue::Int(2));
    assert_eq!(get(&facts, "work.commit_email_count"), &FactValue::Int(2));
    assert_eq!(get(&facts, "work.commit_name_count"), &FactValue::Int(2));
    assert_eq!(
        get(&facts, "work.github_commits_before_account"),
        &FactValue::Int(1)
    );
    assert_eq!(
        get(&facts, "work.github_forked_repo_share"),
        &FactValue::Float(0.5)
    );
    assert_eq!(
        get(&facts, "work.repo_clone_max_per_day"),
        &FactValue::Int(1)
    );
    assert_eq!(get(&facts, "work.exit_window_clones"), &FactValue::Int(1));
    assert!(
        facts
            .iter()
            .all(|f| f.name != "work.commit_inferred_utc_offset"),
        "too few commits to infer"
    );
}

#[test]
fn commit_hours_infer_an_offset_far_from_the_claimed_zone() {
    // Commits between 00:00 and 08:00 UTC: mid-afternoon at UTC+9, night in California.
    let events: Vec<Event> = (0..20)
        .map(|i| Event {
            id: EventId::derive("t", &[&i.to_string()]),
            time: chrono::DateTime::from_timestamp(1_717_200_000 + i * 86_400 + (i % 8) * 3600, 0)
                .unwrap(),
            utc_offset_seconds: 0,
            kind: EventKind::Activity {
                action: "commit".into(),
                target: Some("Dev <dev@example.com>".into()),
                count: None,
            },
            identifiers: vec![],
            subject: None,
            provenance: Provenance::at_line("github", "c.json", 1),
        })
        .collect();
    let tz = redflag_model::parse_timezone("America/Los_Angeles").ok();
    let facts = facts_for(&sid(), tz, &BTreeMap::new(), &events);
    let FactValue::Float(offset) = get(&facts, "work.commit_inferred_utc_offset") else {
        panic!()
    };
    assert!((offset - 10.5).abs() < 1.0, "{offset}");
    let FactValue::Float(gap) = get(&facts, "work.commit_claimed_tz_gap_hours") else {
        panic!()
    };
    assert!(*gap > 6.0, "{gap}");
}
