//! The fact registry the tests of this crate check the rules of `rules/endpoint/`, `rules/work/` and
//! `rules/linkage/` against.
//!
//! Endpoint, work and ring facts come from the real engines, `redflag_endpoint::fact_specs()` and
//! `redflag_linkage::fact_specs()` (dev-dependencies: engines never depend on each other in normal
//! dependencies). A few facts of other areas (`claim.*`, `net.*`, …) are declared only to exercise
//! the fairness lint and evaluation. The CLI's tests check the whole pack against the pipeline's registry.

use redflag_model::{FactRegistry, FactSpec, FactType};

const fn spec(
    name: &'static str,
    fact_type: FactType,
    producer: &'static str,
    meaning: &'static str,
) -> FactSpec {
    FactSpec {
        name,
        fact_type,
        producer,
        meaning,
        example: "",
        protected: false,
    }
}

const fn protected(name: &'static str, meaning: &'static str) -> FactSpec {
    FactSpec {
        name,
        fact_type: FactType::String,
        producer: "provisional",
        meaning,
        example: "",
        protected: true,
    }
}

/// Facts of other areas, for lint and evaluation tests only.
pub fn other_specs() -> Vec<FactSpec> {
    vec![
        protected("claim.nationality", "Claimed nationality."),
        protected("claim.language", "Claimed native language."),
        protected("claim.name_origin", "Inferred origin of the name."),
        spec(
            "claim.country",
            FactType::String,
            "provisional",
            "Claimed country of residence.",
        ),
        spec(
            "net.signin_country",
            FactType::String,
            "provisional",
            "Most frequent observed sign-in country.",
        ),
        spec(
            "net.vpn_share",
            FactType::Float,
            "provisional",
            "Share of sign-ins through a VPN.",
        ),
        spec(
            "net.vpn_sign_in_count",
            FactType::Int,
            "provisional",
            "Sign-ins through a VPN.",
        ),
        spec(
            "net.signin_countries",
            FactType::StringList,
            "provisional",
            "Observed sign-in countries.",
        ),
        spec(
            "tz.inferred_offset_hours",
            FactType::IntList,
            "provisional",
            "Candidate UTC offsets from activity.",
        ),
        spec(
            "identity.phone.line_type",
            FactType::String,
            "provisional",
            "Line type of the phone (three segments).",
        ),
    ]
}

/// The endpoint engine's facts, the provisional linkage facts and the other-area facts.
pub fn registry() -> FactRegistry {
    let mut registry = FactRegistry::new();
    registry.register(redflag_endpoint::fact_specs()).unwrap();
    registry.register(redflag_linkage::fact_specs()).unwrap();
    registry.register(other_specs()).unwrap();
    registry
}

/// Every endpoint/work rule must load against the real engine's facts ALONE (no provisional name can stand in
/// for a fact the engine does not produce), and every fact the engine registers is read by a rule's
/// condition or shown as a rule's evidence, except `endpoint.host_count` (context, not a signal).
#[test]
fn endpoint_and_work_rules_load_against_the_real_engine() {
    use redflag_rules::{RulePack, run_tests};
    let mut registry = FactRegistry::new();
    registry.register(redflag_endpoint::fact_specs()).unwrap();
    let pack = RulePack::builtin(&registry);
    let ours = |file: &str| file.starts_with("rules/endpoint/") || file.starts_with("rules/work/");
    let errors: Vec<String> = pack
        .errors()
        .iter()
        .filter(|e| ours(&e.location.file))
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let rules: Vec<_> = pack.rules().iter().filter(|r| ours(r.file())).collect();
    assert!(rules.len() >= 20, "{}", rules.len());
    let report = run_tests(&pack);
    let failures: Vec<String> = report
        .failures()
        .filter(|o| ours(&o.file))
        .map(ToString::to_string)
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let used: std::collections::BTreeSet<&str> = rules
        .iter()
        .flat_map(|r| r.reads().iter().chain(&r.rule().evidence))
        .map(String::as_str)
        .collect();
    let unused: Vec<&str> = redflag_endpoint::fact_specs()
        .iter()
        .map(|s| s.name)
        .filter(|n| !used.contains(n) && *n != "endpoint.host_count")
        .collect();
    assert!(
        unused.is_empty(),
        "engine facts no rule reads or shows: {unused:?}"
    );
    // No rule is left in the interview folder: no engine produces `interview.*` facts.
    assert!(
        !pack
            .rules()
            .iter()
            .any(|r| r.file().starts_with("rules/interview/"))
    );
}

// The bench includes this file for `registry()`; the helpers below are used by tests only.
#[cfg(test)]
#[allow(dead_code)]
mod engine_end_to_end {
    //! The rules fire on the facts `redflag_endpoint` really derives from inventory rows and activity
    //! events, not only on the hand-written values of their embedded tests.

    use std::collections::BTreeMap;

    use chrono::{DateTime, Duration, TimeZone, Utc};
    use redflag_model::{EndpointObservation, Event, EventId, EventKind, Provenance, SubjectId};
    use redflag_rules::RulePack;

    fn at(day: i64, hour: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap()
            + Duration::days(day)
            + Duration::hours(hour)
    }

    fn event(n: usize, time: DateTime<Utc>, kind: EventKind) -> Event {
        Event {
            id: EventId::derive("test", &[&n.to_string()]),
            time,
            utc_offset_seconds: 0,
            kind,
            identifiers: vec![],
            subject: None,
            provenance: Provenance::at_line("test", "events.jsonl", n as u64 + 1),
        }
    }

    fn row(n: usize, time: DateTime<Utc>, table: &str, columns: &[(&str, &str)]) -> Event {
        let columns = columns
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        event(
            n,
            time,
            EventKind::Endpoint(EndpointObservation {
                host: "laptop-1".into(),
                table: table.to_string().into(),
                action: "added".into(),
                columns,
            }),
        )
    }

    fn activity(n: usize, time: DateTime<Utc>, action: &str, target: &str) -> Event {
        event(
            n,
            time,
            EventKind::Activity {
                action: action.into(),
                target: Some(target.into()),
                count: None,
            },
        )
    }

    /// The ids of the built-in rules that fire on the engine's facts for these events.
    fn fired(events: &[Event], exit_date: Option<&str>) -> Vec<String> {
        let id = SubjectId::new("hris", "1").unwrap();
        let attributes: BTreeMap<String, String> = exit_date
            .map(|d| ("termination_date".to_string(), d.to_string()))
            .into_iter()
            .collect();
        let facts =
            redflag_endpoint::facts_for(&id, "America/New_York".parse().ok(), &attributes, events);
        let registry = super::registry();
        let pack = RulePack::builtin(&registry);
        let mut ids: Vec<String> = pack
            .evaluate(&id, &facts)
            .into_iter()
            .map(|f| f.rule_id)
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn a_laptop_farm_endpoint_and_a_copied_persona_fire_their_rules() {
        let mut events = vec![
            row(
                0,
                at(0, 15),
                "usb_devices",
                &[
                    ("vendor_id", "1d6b"),
                    ("model_id", "0104"),
                    ("vendor", "PiKVM"),
                    ("model", "PiKVM Composite Device"),
                    ("serial", "CAFEBABE"),
                ],
            ),
            row(
                1,
                at(1, 15),
                "processes",
                &[
                    ("name", "remoting_start_host.exe"),
                    ("cmdline", "remoting_start_host.exe --code=4/x --pin=123456"),
                ],
            ),
            row(2, at(2, 15), "programs", &[("name", "AnyDesk")]),
            row(3, at(3, 15), "listening_ports", &[("port", "3389")]),
            row(4, at(0, 16), "programs", &[("name", "Astrill VPN")]),
            row(5, at(0, 17), "programs", &[("name", "Caffeine")]),
        ];
        let identities = [
            "kim dev <a@example.net>",
            "kim dev <b@example.net>",
            "k. dev <c@example.net>",
            "jin <d@example.net>",
            "kim dev <e@example.net>",
        ];
        // 30 commits at 05:00 UTC: a 14:00 mid-day at UTC+9, ten hours from New York in January
        for i in 0..30 {
            events.push(activity(
                100 + i,
                at(i as i64, 5),
                "commit",
                identities[i % identities.len()],
            ));
        }
        events.push(activity(200, at(10, 0), "github_account_created", "kimdev"));
        for i in 0..9 {
            events.push(activity(210 + i, at(11, 0), "github_repo_forked", "x"));
        }
        events.push(activity(220, at(11, 0), "github_repo_created", "y"));
        for i in 0..600 {
            events.push(activity(1000 + i, at(25, 1), "drive_download", "doc"));
        }
        for i in 0..25 {
            events.push(activity(2000 + i, at(26, 1), "repo_clone", "repo"));
        }
        for (i, app) in ["DriveSync Pro", "CloudHQ", "Zapier"].iter().enumerate() {
            events.push(activity(3000 + i, at(27, 1), "oauth_grant", app));
        }
        let ids = fired(&events, Some("2026-02-05"));
        let expected = [
            "RF-END-001",
            "RF-END-002",
            "RF-END-004",
            "RF-END-005",
            "RF-END-009",
            "RF-END-010",
            "RF-END-011",
            "RF-WRK-001",
            "RF-WRK-002",
            "RF-WRK-003",
            "RF-WRK-007",
            "RF-WRK-008",
            "RF-WRK-009",
            "RF-WRK-010",
            "RF-WRK-011",
            "RF-WRK-012",
        ];
        assert_eq!(ids, expected);
    }

    #[test]
    fn an_ordinary_developer_fires_only_the_weak_single_tool_rule() {
        let mut events = vec![
            row(0, at(0, 15), "programs", &[("name", "TeamViewer")]),
            row(1, at(0, 15), "programs", &[("name", "Visual Studio Code")]),
            row(
                2,
                at(0, 15),
                "usb_devices",
                &[
                    ("vendor_id", "046d"),
                    ("model_id", "c52b"),
                    ("vendor", "Logitech"),
                ],
            ),
        ];
        events.push(activity(50, at(-3000, 0), "github_account_created", "dev"));
        for i in 0..30 {
            // 19:00 UTC = 14:00 in New York in January
            let who = if i % 2 == 0 {
                "Ann Lee <ann@example.com>"
            } else {
                "Ann Lee <ann@corp.example>"
            };
            events.push(activity(100 + i, at(i as i64, 19), "commit", who));
        }
        events.push(activity(200, at(3, 0), "github_repo_created", "tool"));
        events.push(activity(201, at(3, 0), "github_repo_forked", "upstream"));
        for i in 0..40 {
            events.push(activity(1000 + i, at(5, 1), "drive_download", "doc"));
        }
        events.push(activity(2000, at(6, 1), "repo_clone", "repo"));
        events.push(activity(3000, at(6, 1), "oauth_grant", "Zoom"));
        assert_eq!(fired(&events, None), ["RF-END-003"]);
    }
}
