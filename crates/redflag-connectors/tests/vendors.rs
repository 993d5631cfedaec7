//! Vendor-format readers on hand-written fixtures that follow the vendors' documented schemas.

#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use redflag_connectors::{Checkpoint, Reject, SourceFormat, entra, github, google, okta, osquery};
use redflag_model::{Event, EventKind, IdentifierKind, SignInOutcome};

fn split<I: Iterator<Item = Result<Event, Reject>>>(it: I) -> (Vec<Event>, Vec<Reject>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for r in it {
        match r {
            Ok(e) => ok.push(e),
            Err(r) => bad.push(r),
        }
    }
    (ok, bad)
}

fn sign_in(e: &Event) -> &redflag_model::SignIn {
    match &e.kind {
        EventKind::SignIn(s) => s,
        other => panic!("not a sign-in: {other:?}"),
    }
}

#[test]
fn okta_array_export() {
    let mut reader = okta::reader(
        &include_bytes!("fixtures/okta_system_log.json")[..],
        "okta.json",
    );
    let (ok, bad) = split(reader.by_ref());
    assert_eq!(ok.len(), 4, "{bad:?}");
    let first = &ok[0];
    let s = sign_in(first);
    assert_eq!(s.ip.unwrap().to_string(), "142.214.202.2");
    assert_eq!(s.outcome, SignInOutcome::Success);
    assert_eq!(s.provider_country.unwrap().as_str(), "US");
    assert!(s.user_agent.as_deref().unwrap().contains("Chrome/126"));
    assert_eq!(first.time.to_rfc3339(), "2024-08-13T15:58:20.353+00:00");
    assert_eq!(first.provenance.line, Some(2));
    assert_eq!(&*first.provenance.connector, "okta");
    let keys: Vec<String> = first.identifiers.iter().map(|i| i.key()).collect();
    assert_eq!(
        keys,
        [
            "idp_user:okta:00u1qw1mqitphm8aj0g7",
            "email:lucia.romano@example.com"
        ]
    );
    assert_eq!(
        sign_in(&ok[1]).application.as_deref(),
        Some("GitHub Enterprise Cloud - Organization")
    );
    assert_eq!(sign_in(&ok[2]).outcome, SignInOutcome::Failure);
    assert!(
        matches!(&ok[3].kind, EventKind::Activity { action, target: Some(t), .. } if action == "oauth_grant" && t == "DriveSync Pro")
    );
    let counts = reader.counts();
    assert_eq!(
        (
            counts.records,
            counts.accepted,
            counts.rejected,
            counts.skipped
        ),
        (7, 4, 2, 1)
    );
    assert!(bad[0].reason.contains("has no time zone"), "{}", bad[0]);
    assert_eq!(bad[0].field.as_deref(), Some("published"));
    assert!(
        bad[1].reason.contains("invalid type: integer"),
        "{}",
        bad[1]
    );
    assert_eq!(bad[1].field.as_deref(), Some("client.ipAddress"));
}

#[test]
fn okta_ndjson_truncated_line_and_same_ids_as_array() {
    let (ok, bad) = split(okta::reader(
        &include_bytes!("fixtures/okta_system_log.ndjson")[..],
        "okta.ndjson",
    ));
    assert_eq!(ok.len(), 5);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].line, 6);
    assert!(bad[0].reason.contains("truncated JSON"), "{}", bad[0]);
    assert_eq!(ok[4].provenance.line, Some(7));
    let (array, _) = split(okta::reader(
        &include_bytes!("fixtures/okta_system_log.json")[..],
        "okta.json",
    ));
    assert_eq!(
        ok[0].id, array[0].id,
        "the same event read from two files has one id"
    );
}

#[test]
fn entra_graph_page_and_monitor_export_share_ids() {
    let (graph, bad) = split(entra::reader(
        &include_bytes!("fixtures/entra_graph_signins.json")[..],
        "signins.json",
    ));
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(graph.len(), 3);
    assert_eq!(&*graph[0].provenance.connector, "entra-graph");
    assert_eq!(sign_in(&graph[0]).outcome, SignInOutcome::Success);
    assert_eq!(sign_in(&graph[1]).outcome, SignInOutcome::Failure);
    assert_eq!(sign_in(&graph[1]).provider_country.unwrap().as_str(), "KP");
    assert_eq!(graph[1].identifiers_of_kind(IdentifierKind::Device), 1);
    assert_eq!(
        sign_in(&graph[2]).outcome,
        SignInOutcome::Other,
        "50074 is an MFA interrupt"
    );
    let mut monitor_reader = entra::reader(
        &include_bytes!("fixtures/entra_monitor_signins.json")[..],
        "PT1H.json",
    );
    let (monitor, bad) = split(monitor_reader.by_ref());
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(monitor.len(), 2);
    assert_eq!(
        monitor_reader.counts().skipped,
        1,
        "AuditLogs record skipped"
    );
    assert_eq!(monitor[0].id, graph[0].id);
    assert_eq!(monitor[0].time, graph[0].time);
    assert!(
        sign_in(&monitor[0])
            .user_agent
            .as_deref()
            .unwrap()
            .contains("Edg/122")
    );
    assert_eq!(monitor[1].provenance.line, Some(2));
}

trait CountKind {
    fn identifiers_of_kind(&self, kind: IdentifierKind) -> usize;
}
impl CountKind for Event {
    fn identifiers_of_kind(&self, kind: IdentifierKind) -> usize {
        self.identifiers.iter().filter(|i| i.kind() == kind).count()
    }
}

#[test]
fn google_reports_login_drive_and_token() {
    let mut reader = google::reader(
        &include_bytes!("fixtures/google_login_drive_token.json")[..],
        "reports.json",
    );
    let (ok, bad) = split(reader.by_ref());
    let summary: Vec<String> = ok
        .iter()
        .map(|e| match &e.kind {
            EventKind::SignIn(s) => format!("sign_in {:?} {}", s.outcome, s.ip.unwrap()),
            EventKind::Activity { action, target, .. } => {
                format!("{action} {}", target.as_deref().unwrap_or(""))
            }
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "sign_in Success 203.0.113.54",
            "drive_download Q3 roadmap",
            "drive_download customer-list.xlsx",
            "oauth_grant DriveSync Pro"
        ]
    );
    assert_ne!(
        ok[1].id, ok[2].id,
        "two events of one activity have distinct ids"
    );
    assert_eq!(bad.len(), 1);
    assert!(bad[0].reason.contains("has no time zone"));
    assert_eq!(bad[0].field.as_deref(), Some("id.time"));
    assert_eq!(reader.counts().records, 4);
}

#[test]
fn osquery_event_batch_and_snapshot() {
    let (ok, bad) = split(osquery::reader(
        &include_bytes!("fixtures/osquery_results.log")[..],
        "osqueryd.results.log",
    ));
    let rows: Vec<String> = ok
        .iter()
        .map(|e| match &e.kind {
            EventKind::Endpoint(o) => format!(
                "{} {} {}",
                o.table,
                o.action,
                o.columns
                    .get("name")
                    .or(o.columns.get("model"))
                    .or(o.columns.get("port"))
                    .unwrap()
            ),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        rows,
        [
            "programs added AnyDesk",
            "usb_devices added PiKVM Composite Device",
            "processes snapshot remoting_host.exe",
            "processes snapshot explorer.exe",
            "processes snapshot astrill.exe",
            "listening_ports added 5900",
        ]
    );
    let keys: Vec<String> = ok[0].identifiers.iter().map(|i| i.key()).collect();
    assert_eq!(
        keys,
        [
            "device:osquery_host:C02XK1ABJG5H",
            "device:hostname:lucia-laptop",
            "device:serial:C02XK1ABJG5H"
        ]
    );
    if let EventKind::Endpoint(o) = &ok[2].kind {
        assert_eq!(
            o.columns.get("pid"),
            Some("4242"),
            "numeric columns become text"
        );
    }
    assert_eq!(
        ok[5].time.to_rfc3339(),
        "2024-04-16T10:00:05+00:00",
        "string unixTime of old osquery"
    );
    let reasons: Vec<(u64, String)> = bad.iter().map(|r| (r.line, r.reason.clone())).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert_eq!(reasons[0].0, 5);
    assert!(
        reasons[0]
            .1
            .contains("\"renamed\" is not added, removed or snapshot")
    );
    assert_eq!(reasons[1].0, 6);
    assert!(reasons[1].1.contains("truncated JSON"));
    assert_eq!(reasons[2].0, 7);
    assert!(reasons[2].1.contains("missing field `name`"));
}

#[test]
fn github_objects_and_audit_log() {
    let mut reader = github::reader(
        &include_bytes!("fixtures/github_api.json")[..],
        "github.json",
    );
    let (ok, bad) = split(reader.by_ref());
    assert!(bad.is_empty(), "{bad:?}");
    let actions: Vec<String> = ok
        .iter()
        .map(|e| match &e.kind {
            EventKind::Activity { action, target, .. } => {
                format!("{action} {}", target.as_deref().unwrap_or(""))
            }
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        actions,
        [
            "github_account_created lromano-dev",
            "github_repo_forked lromano-dev/defi-dashboard",
            "github_repo_created lromano-dev/nft-market",
            "commit Lucia Romano <lucia.romano@example.com>",
            "commit Kim Ji <kimji.dev@example.net>",
            "repo_clone example-corp/payments-core",
        ]
    );
    assert_eq!(reader.counts().skipped, 1, "git.fetch is skipped");
    assert!(ok.iter().all(|e| {
        e.identifiers
            .iter()
            .any(|i| i.key() == "profile_url:github.com/lromano-dev")
    }));
    assert_eq!(ok[5].time.to_rfc3339(), "2024-06-03T07:33:20+00:00");
}

#[test]
fn a_wrong_format_is_refused_by_name() {
    let mut reader = okta::reader(
        &include_bytes!("fixtures/entra_graph_signins.json")[..],
        "signins.json",
    );
    let (ok, bad) = split(reader.by_ref());
    assert!(ok.is_empty());
    assert_eq!(
        bad.len(),
        1,
        "the file is refused once, not record by record"
    );
    assert!(
        bad[0].reason.contains("Microsoft Graph signIn") && bad[0].reason.contains("`entra`"),
        "{}",
        bad[0]
    );
    assert_eq!(reader.wrong_format(), Some(SourceFormat::EntraGraph));
    let (_, bad) = split(entra::reader(
        &include_bytes!("fixtures/okta_system_log.json")[..],
        "okta.json",
    ));
    assert!(bad[0].reason.contains("Okta System Log"), "{}", bad[0]);
    let (_, bad) = split(osquery::reader(
        &include_bytes!("fixtures/google_login_drive_token.json")[..],
        "x.json",
    ));
    assert!(bad[0].reason.contains("`google`"), "{}", bad[0]);
}

#[test]
fn resume_from_every_checkpoint_gives_the_same_events() {
    for (name, bytes) in [
        (
            "okta.json",
            &include_bytes!("fixtures/okta_system_log.json")[..],
        ),
        (
            "okta.ndjson",
            &include_bytes!("fixtures/okta_system_log.ndjson")[..],
        ),
    ] {
        let mut reader = okta::reader(bytes, name);
        let mut all = Vec::new();
        let mut checkpoints = vec![Checkpoint::START];
        while let Some(r) = reader.next() {
            if let Ok(e) = r {
                all.push(e.id);
            }
            checkpoints.push(reader.checkpoint());
        }
        for (k, cp) in checkpoints.iter().enumerate() {
            let rest = &bytes[cp.offset as usize..];
            let resumed: Vec<_> = okta::resume(Cursor::new(rest), name, *cp)
                .filter_map(Result::ok)
                .map(|e| e.id)
                .collect();
            let before = all.len() - resumed.len();
            assert_eq!(
                &all[before..],
                &resumed[..],
                "{name} resumed at checkpoint {k} {cp:?}"
            );
        }
    }
}

#[test]
fn google_multi_event_activity_checkpoints_at_record_start() {
    let bytes = &include_bytes!("fixtures/google_login_drive_token.json")[..];
    let mut reader = google::reader(bytes, "r.json");
    reader.next(); // login
    let after_login = reader.checkpoint();
    reader.next(); // first drive event of a three-event activity
    assert_eq!(
        reader.checkpoint(),
        after_login,
        "mid-activity checkpoint stays at the activity's start"
    );
    let resumed: Vec<_> =
        google::resume(&bytes[after_login.offset as usize..], "r.json", after_login)
            .filter_map(Result::ok)
            .collect();
    assert_eq!(resumed.len(), 3);
}

/// Reads at most `n` bytes per call, so records straddle the reader's refills.
struct Trickle<'a>(&'a [u8], usize);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(self.1).min(out.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn entra_monitor_multi_line_wrapper_reports_exact_lines() {
    // the Azure Monitor fixture's records pretty-printed (a line per key) inside the Event Hub
    // `{"records":[…]}` wrapper, with blank lines between records
    let fixture = include_str!("fixtures/entra_monitor_signins.json");
    let pretty: Vec<String> = fixture
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            serde_json::to_string_pretty(&v).unwrap()
        })
        .collect();
    let file = format!("{{\n  \"records\": [\n{}\n  ]\n}}\n", pretty.join(",\n\n"));
    let line_of = |offset: u64| {
        1 + file.as_bytes()[..offset as usize]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
    };
    let (whole, bad) = split(entra::reader(file.as_bytes(), "PT1H.json"));
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(whole.len(), 2);
    for e in &whole {
        let offset = e.provenance.byte_offset.unwrap();
        assert_eq!(file.as_bytes()[offset as usize], b'{');
        assert_eq!(e.provenance.line, Some(line_of(offset)), "{offset}");
    }
    // the second sign-in starts past the wrapper's two lines, the first record's lines and the blank
    // line after it
    assert_eq!(whole[0].provenance.line, Some(3));
    assert_eq!(
        whole[1].provenance.line.unwrap() as usize,
        3 + pretty[0].lines().count() + 1
    );
    for n in [1, 7, 63, 64, 65, 500, 4096] {
        let (ok, bad) = split(entra::reader(Trickle(file.as_bytes(), n), "PT1H.json"));
        assert!(bad.is_empty(), "{bad:?}");
        let lines: Vec<_> = ok.iter().map(|e| e.provenance.line).collect();
        let want: Vec<_> = whole.iter().map(|e| e.provenance.line).collect();
        assert_eq!(lines, want, "read {n} bytes at a time");
        assert_eq!(
            ok.iter().map(|e| &e.id).collect::<Vec<_>>(),
            whole.iter().map(|e| &e.id).collect::<Vec<_>>()
        );
    }
}

/// A reader makes its provenance strings once per file: every event's connector and source point at
/// the same shared string (and still read as the connector and file names).
#[test]
fn readers_share_provenance_strings_among_their_events() {
    fn shared(events: &[Event], connector: &str, source: &str) {
        assert!(events.len() >= 2, "{events:?}");
        let first = &events[0].provenance;
        assert_eq!((&*first.connector, &*first.source), (connector, source));
        for e in &events[1..] {
            let p = &e.provenance;
            assert!(
                std::sync::Arc::ptr_eq(&p.connector, &first.connector),
                "{p:?}"
            );
            assert!(std::sync::Arc::ptr_eq(&p.source, &first.source), "{p:?}");
        }
    }
    let (ok, _) = split(osquery::reader(
        &include_bytes!("fixtures/osquery_results.log")[..],
        "osq.log",
    ));
    shared(&ok, "osquery", "osq.log");
    let (ok, _) = split(okta::reader(
        &include_bytes!("fixtures/okta_system_log.ndjson")[..],
        "okta.ndjson",
    ));
    shared(&ok, "okta", "okta.ndjson");
    let (ok, _) = split(google::reader(
        &include_bytes!("fixtures/google_login_drive_token.json")[..],
        "google.json",
    ));
    shared(&ok, "google-reports", "google.json");
    // Entra's two export shapes each share their own connector name
    let (ok, _) = split(entra::reader(
        &include_bytes!("fixtures/entra_graph_signins.json")[..],
        "g.json",
    ));
    shared(&ok, "entra-graph", "g.json");
    let (ok, _) = split(entra::reader(
        &include_bytes!("fixtures/entra_monitor_signins.json")[..],
        "m.json",
    ));
    shared(&ok, "entra-monitor", "m.json");
}
