//! Integration tests: vendored data, real-format fixtures, constructed timelines.
#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use redflag_model::{
    ClaimedAttributes, CountryCode, Event, EventId, EventKind, FactValue, PersonName, Provenance,
    SignIn, SignInOutcome, Subject, SubjectId, SubjectKind, parse_timezone,
};
use redflag_netintel::{
    EgressConfig, FileKind, NetConfig, NetIntel, SetKind, by_name, enrich_sign_ins, event_facts,
    fact_specs, shared_egress, shared_egress_facts, subject_facts,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn builtin() -> Arc<NetIntel> {
    NetIntel::builtin().unwrap()
}

// ---------------------------------------------------------------------------------------------------
// Lookups on the vendored data

#[test]
fn dprk_allocation_is_found_with_country_and_asn() {
    let intel = builtin();
    for addr in [
        "175.45.176.0",
        "175.45.178.10",
        "175.45.179.255",
        "::ffff:175.45.177.1",
    ] {
        let info = intel.lookup(ip(addr));
        assert!(info.is_dprk(), "{addr}");
        assert_eq!(info.dprk, Some("dprk-allocation"));
        assert_eq!(info.asn.unwrap().value.number, 131279, "{addr}");
        assert_eq!(info.country.unwrap().value.as_str(), "KP", "{addr}");
    }
    assert!(!intel.lookup(ip("175.45.180.1")).is_dprk());
    assert!(!intel.lookup(ip("175.45.175.255")).is_dprk());
}

#[test]
fn public_resolvers_are_not_vpns() {
    let intel = builtin();
    for (addr, asn) in [
        ("8.8.8.8", 15169),
        ("1.1.1.1", 13335),
        ("2001:4860:4860::8888", 15169),
    ] {
        let info = intel.lookup(ip(addr));
        assert!(!info.is_vpn(), "{addr}: {info:?}");
        assert!(
            !info.is_tor() && !info.is_dprk() && !info.is_relay(),
            "{addr}"
        );
        assert_eq!(info.asn.unwrap().value.number, asn, "{addr}");
    }
}

#[test]
fn astrill_addresses_fall_in_the_astrill_set_and_in_hosting_networks() {
    let intel = builtin();
    for (addr, asn) in [("142.214.202.2", 7393), ("155.94.199.59", 36352)] {
        let info = intel.lookup(ip(addr));
        assert_eq!(info.vpn_provider(), Some("Astrill"), "{addr}");
        assert_eq!(info.vpn.unwrap().by, "vpn-astrill-iocs");
        assert_eq!(info.asn.unwrap().value.number, asn, "{addr}");
        assert_eq!(info.hosting, Some("hosting-asns"), "{addr}");
    }
    // A neighbour in the same hosting network is hosting, not Astrill.
    let neighbour = intel.lookup(ip("142.214.202.3"));
    assert!(!neighbour.is_vpn());
    assert!(neighbour.is_hosting());
}

#[test]
fn astrill_addresses_fall_in_a_user_loaded_provider_set() {
    // Without the vendored sets, only the user's provider file says Astrill.
    let intel = NetIntel::builder()
        .set_file(fixture("astrill-ranges.txt"), None)
        .unwrap()
        .build()
        .unwrap();
    for addr in ["142.214.202.2", "155.94.199.59"] {
        let info = intel.lookup(ip(addr));
        assert_eq!(info.vpn_provider(), Some("Astrill"), "{addr}");
        assert_eq!(info.vpn.unwrap().by, "astrill-user-export");
    }
    assert!(!intel.lookup(ip("8.8.8.8")).is_vpn());
}

#[test]
fn vpn_providers_by_asn() {
    let intel = builtin();
    let info = intel.lookup(ip("45.83.220.10"));
    assert_eq!(info.vpn_provider(), Some("Mullvad"));
    assert_eq!(info.asn.unwrap().value.number, 39351);
}

#[test]
fn tor_and_private_relay_lists_load_in_their_published_formats() {
    let intel = NetIntel::builder()
        .set_file(fixture("tor-exit-addresses.txt"), Some(SetKind::Tor))
        .unwrap()
        .set_file(fixture("private-relay-egress.csv"), Some(SetKind::Relay))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(
        intel.lookup(ip("185.220.101.1")).tor,
        Some("tor-exit-addresses")
    );
    assert!(!intel.lookup(ip("185.220.101.2")).is_tor());
    assert!(intel.lookup(ip("172.224.226.40")).is_relay());
    assert!(intel.lookup(ip("2a02:26f7:b3c0:4000::5")).is_relay());
    assert!(!intel.lookup(ip("172.224.226.64")).is_relay());
}

#[test]
fn mmdb_city_and_asn_files_answer_with_their_names() {
    let intel = NetIntel::builder()
        .mmdb_file(fixture("GeoIP2-City-Test.mmdb"))
        .unwrap()
        .mmdb_file(fixture("GeoLite2-ASN-Test.mmdb"))
        .unwrap()
        .build()
        .unwrap();
    let info = intel.lookup(ip("81.2.69.142"));
    assert_eq!(info.country.unwrap().value.as_str(), "GB");
    assert_eq!(info.country.unwrap().by, "GeoIP2-City-Test.mmdb");
    assert_eq!(info.city.unwrap().value, "London");
    assert_eq!(info.region.unwrap().value, "England");
    let loc = info.location.unwrap().value;
    assert!((loc.latitude - 51.5142).abs() < 1e-3 && loc.accuracy_km == 10.0);
    let asn = intel.lookup(ip("1.128.0.0")).asn.unwrap();
    assert_eq!(asn.value.number, 1221);
    assert_eq!(asn.value.organization, Some("Telstra Pty Ltd"));
    assert_eq!(asn.by, "GeoLite2-ASN-Test.mmdb");
    // IPv4-mapped IPv6 is normalised.
    assert_eq!(
        intel.lookup(ip("::ffff:81.2.69.142")).city.unwrap().value,
        "London"
    );
}

#[test]
fn user_files_answer_before_vendored_data() {
    let intel = NetIntel::builder()
        .mmdb_file(fixture("GeoIP2-Country-Test.mmdb"))
        .unwrap()
        .with_builtin()
        .build()
        .unwrap();
    let info = intel.lookup(ip("81.2.69.142"));
    assert_eq!(info.country.unwrap().by, "GeoIP2-Country-Test.mmdb");
    // Where the MMDB is silent, the vendored tables answer.
    let info = intel.lookup(ip("175.45.178.1"));
    assert_eq!(
        info.country.unwrap().by,
        "ip-location-db/geo-whois-asn-country"
    );
    assert_eq!(
        info.location.unwrap().by,
        redflag_netintel::CENTROIDS_DATASET
    );
}

#[test]
fn corrupt_files_fail_at_load_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    // Truncated MMDB: metadata marker cut off.
    let bytes = std::fs::read(fixture("GeoIP2-City-Test.mmdb")).unwrap();
    let cut = dir.path().join("cut.mmdb");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = NetIntel::builder().mmdb_file(&cut).unwrap_err().to_string();
    assert!(
        err.contains("cut.mmdb") && err.contains("MaxMind DB"),
        "{err}"
    );
    // MMDB with its search tree overwritten.
    let mut broken = bytes.clone();
    for b in broken.iter_mut().take(4000) {
        *b = 0xff;
    }
    let bad = dir.path().join("bad.mmdb");
    std::fs::write(&bad, &broken).unwrap();
    assert!(NetIntel::builder().mmdb_file(&bad).is_err());
    // Range CSV with a bad row: file and line named.
    let csv = dir.path().join("asn.csv");
    std::fs::write(
        &csv,
        "1.0.0.0,1.0.0.255,13335,Cloudflare\n1.0.1.0,1.0.1.300,1,x\n",
    )
    .unwrap();
    let err = NetIntel::builder().asn_csv(&csv).unwrap_err().to_string();
    assert!(
        err.contains("asn.csv:2") && err.contains("1.0.1.300"),
        "{err}"
    );
    let missing = NetIntel::builder()
        .country_csv(dir.path().join("nope.csv"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("nope.csv"), "{missing}");
    let err = redflag_netintel::parse_ip("signins.csv", 7, "10.0.0.300")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "signins.csv:7: invalid IP address \"10.0.0.300\"");
}

#[test]
fn files_are_detected_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let country = dir.path().join("c.csv");
    std::fs::write(&country, "1.0.0.0,1.0.0.255,AU\n").unwrap();
    let asn = dir.path().join("a.csv");
    std::fs::write(&asn, "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n").unwrap();
    let check = |p: PathBuf, k: Option<SetKind>, expect: FileKind| {
        assert_eq!(
            redflag_netintel::detect_file(&p, k).unwrap(),
            expect,
            "{p:?}"
        );
    };
    check(fixture("GeoLite2-ASN-Test.mmdb"), None, FileKind::Mmdb);
    check(country, None, FileKind::CountryRanges);
    check(asn, None, FileKind::AsnRanges);
    check(
        fixture("astrill-ranges.txt"),
        None,
        FileKind::Set(SetKind::Vpn),
    );
    check(
        fixture("tor-exit-addresses.txt"),
        Some(SetKind::Tor),
        FileKind::Set(SetKind::Tor),
    );
    assert!(redflag_netintel::detect_file(&fixture("tor-exit-addresses.txt"), None).is_err());
}

// ---------------------------------------------------------------------------------------------------
// Constructed timelines

struct Timeline {
    subject: Subject,
    events: Vec<Event>,
}

impl Timeline {
    fn new(id: &str, country: &str, zone: &str) -> Self {
        let sid = SubjectId::new("hr", id).unwrap();
        Self {
            subject: Subject {
                id: sid,
                kind: SubjectKind::Contractor,
                name: PersonName::new(Some("Test Person"), None, None).unwrap(),
                claimed: ClaimedAttributes {
                    country: Some(CountryCode::parse(country).unwrap()),
                    city: None,
                    nationality: None,
                    timezone: Some(parse_timezone(zone).unwrap()),
                },
                role: None,
                identifiers: Vec::new(),
                attributes: BTreeMap::new(),
                provenance: Provenance::at_line("people-csv", "people.csv", 2),
            },
            events: Vec::new(),
        }
    }

    fn sign_in(&mut self, time: DateTime<Utc>, addr: &str) {
        let line = self.events.len() as u64 + 2;
        self.events.push(Event {
            id: EventId::derive("okta", &[self.subject.id.as_str(), &line.to_string()]),
            time,
            utc_offset_seconds: 0,
            kind: EventKind::SignIn(SignIn {
                ip: Some(ip(addr)),
                user_agent: None,
                outcome: SignInOutcome::Success,
                application: None,
                provider_country: None,
            }),
            identifiers: Vec::new(),
            subject: Some(self.subject.id.clone()),
            provenance: Provenance::at_line("okta", "signins.csv", line),
        });
    }

    fn commit(&mut self, time: DateTime<Utc>) {
        let line = self.events.len() as u64 + 2;
        self.events.push(Event {
            id: EventId::derive("git", &[self.subject.id.as_str(), &line.to_string()]),
            time,
            utc_offset_seconds: 0,
            kind: EventKind::Activity {
                action: "commit".into(),
                target: None,
                count: None,
            },
            identifiers: Vec::new(),
            subject: Some(self.subject.id.clone()),
            provenance: Provenance::at_line("git", "commits.csv", line),
        });
    }

    /// Sets the recorded UTC offset of every work event (git author dates carry the author's clock).
    fn commits_recorded_at(&mut self, hours: i32) {
        for e in &mut self.events {
            if matches!(e.kind, EventKind::Activity { .. }) {
                e.utc_offset_seconds = hours * 3600;
            }
        }
    }

    /// Ten weekdays (Feb 2026, before US daylight time) of work from `start` for `hours` UTC hours: a
    /// sign-in at the start from `addrs[day % len]`, commits every 40 minutes.
    fn workdays(&mut self, start_utc: i64, hours: i64, addrs: &[&str]) {
        let monday = Utc.with_ymd_and_hms(2026, 2, 2, 0, 0, 0).unwrap();
        for d in 0..14 {
            let day = monday + Duration::days(d);
            if d % 7 >= 5 {
                continue;
            }
            let start = day + Duration::hours(start_utc);
            self.sign_in(start, addrs[d as usize % addrs.len()]);
            let mut t = start + Duration::minutes(30);
            while t < start + Duration::hours(hours) {
                self.commit(t);
                t += Duration::minutes(40);
            }
            self.sign_in(
                start + Duration::hours(hours / 2),
                addrs[(d as usize + 1) % addrs.len()],
            );
        }
    }

    fn facts(&self, intel: &NetIntel) -> BTreeMap<String, FactValue> {
        subject_facts(intel, &self.subject, &self.events, &NetConfig::default())
            .into_iter()
            .map(|f| (f.name, f.value))
            .collect()
    }
}

fn float(facts: &BTreeMap<String, FactValue>, name: &str) -> f64 {
    match facts.get(name) {
        Some(FactValue::Float(f)) => *f,
        other => panic!("{name}: {other:?}"),
    }
}

fn int(facts: &BTreeMap<String, FactValue>, name: &str) -> i64 {
    match facts.get(name) {
        Some(FactValue::Int(i)) => *i,
        other => panic!("{name}: {other:?}"),
    }
}

fn offsets(facts: &BTreeMap<String, FactValue>) -> Vec<i64> {
    match facts.get("tz.inferred_offset_hours") {
        Some(FactValue::IntList(v)) => v.clone(),
        other => panic!("{other:?}"),
    }
}

const ASTRILL: [&str; 2] = ["142.214.202.2", "155.94.199.59"];
const US_HOME: &str = "73.15.22.10";
const CN_HOME: &str = "123.112.5.5";
const JP_HOTEL: &str = "126.10.1.1";
const MULLVAD: &str = "45.83.220.10";

#[test]
fn covert_worker_claiming_seattle() {
    let intel = builtin();
    let mut t = Timeline::new("dprk-1", "US", "America/Los_Angeles");
    // Works 00:00-09:00 UTC (09:00-18:00 in Pyongyang) through Astrill.
    t.workdays(0, 9, &ASTRILL);
    // An opsec slip from home in China, then the US laptop farm an hour later.
    let slip = Utc.with_ymd_and_hms(2026, 2, 14, 2, 0, 0).unwrap();
    t.sign_in(slip, CN_HOME);
    t.sign_in(slip + Duration::hours(1), US_HOME);
    t.sign_in(slip + Duration::hours(3), "175.45.178.10");
    let f = t.facts(&intel);
    assert!(float(&f, "net.astrill_share") > 0.8, "{f:?}");
    assert!(float(&f, "net.vpn_share") > 0.8);
    assert!(float(&f, "net.hosting_share") > 0.8);
    assert_eq!(int(&f, "net.dprk_sign_in_count"), 1);
    // China → US laptop farm in an hour, and the farm → Pyongyang two hours later.
    assert_eq!(int(&f, "net.impossible_travel_count"), 2);
    assert!(float(&f, "net.claimed_country_mismatch_share") > 0.5);
    let off = offsets(&f);
    assert!(off.contains(&9) || off.contains(&8), "{off:?}");
    assert_eq!(float(&f, "tz.claimed_offset_hours"), -8.0);
    assert!(float(&f, "tz.claimed_mismatch_hours") >= 6.0, "{off:?}");
    assert!(float(&f, "tz.inference_confidence") > 0.8);
    assert!(f.contains_key("net.countries"));
}

#[test]
fn legitimate_traveller_is_no_impossible_traveller() {
    let intel = builtin();
    let mut t = Timeline::new("trav-1", "US", "America/Los_Angeles");
    // Seattle day (17:00-02:00 UTC), flies to Tokyo (11 h), works from the hotel, flies back.
    t.workdays(17, 9, &[US_HOME]);
    let depart = Utc.with_ymd_and_hms(2026, 2, 20, 19, 0, 0).unwrap();
    t.sign_in(depart + Duration::hours(12), JP_HOTEL);
    t.sign_in(depart + Duration::hours(30), JP_HOTEL);
    t.sign_in(depart + Duration::hours(60), US_HOME);
    let f = t.facts(&intel);
    assert_eq!(int(&f, "net.impossible_travel_count"), 0, "{f:?}");
    assert_eq!(float(&f, "net.vpn_share"), 0.0);
    assert!(offsets(&f).contains(&-8), "{:?}", offsets(&f));
    assert!(float(&f, "tz.claimed_mismatch_hours") <= 1.0);
    assert_eq!(int(&f, "net.distinct_countries"), 2);
}

#[test]
fn night_shift_worker_is_declared_and_not_mistaken_for_travel() {
    let intel = builtin();
    let mut t = Timeline::new("night-1", "US", "America/Los_Angeles");
    t.subject
        .attributes
        .insert("shift".into(), "Night (22:00-06:00)".into());
    // 22:00-06:00 Pacific = 06:00-14:00 UTC, from home.
    t.workdays(6, 8, &[US_HOME]);
    let f = t.facts(&intel);
    assert_eq!(
        f.get("tz.declared_night_shift"),
        Some(&FactValue::Bool(true))
    );
    // The hours alone look like another zone: that is why rules read the declared shift.
    assert!(float(&f, "tz.claimed_mismatch_hours") >= 6.0, "{f:?}");
    assert_eq!(float(&f, "net.vpn_share"), 0.0);
    assert_eq!(float(&f, "net.claimed_country_mismatch_share"), 0.0);
    assert_eq!(int(&f, "net.impossible_travel_count"), 0);
}

#[test]
fn vpn_user_at_home_travels_nowhere() {
    let intel = builtin();
    let mut t = Timeline::new("vpn-1", "US", "America/Los_Angeles");
    // Alternates home and Mullvad (exits abroad) within minutes, Seattle hours.
    t.workdays(17, 9, &[US_HOME, MULLVAD]);
    let f = t.facts(&intel);
    assert_eq!(int(&f, "net.impossible_travel_count"), 0, "{f:?}");
    assert!((float(&f, "net.vpn_share") - 0.5).abs() < 0.01);
    assert_eq!(float(&f, "net.astrill_share"), 0.0);
    assert_eq!(float(&f, "net.claimed_country_mismatch_share"), 0.0);
    assert!(float(&f, "tz.claimed_mismatch_hours") <= 1.0);
    assert_eq!(
        f.get("net.vpn_providers"),
        Some(&FactValue::TextList(vec!["Mullvad".into()]))
    );
}

#[test]
fn shared_egress_links_simultaneous_personas_only() {
    let intel = builtin();
    let farm = "73.15.22.10";
    let mut a = Timeline::new("persona-a", "US", "America/Chicago");
    a.workdays(0, 9, &[farm]);
    let mut b = Timeline::new("persona-b", "US", "America/Chicago");
    b.workdays(0, 9, &[farm]);
    // Same address, a year later: a new tenant of a recycled address, not a farm.
    let mut c = Timeline::new("later-tenant", "US", "America/Chicago");
    c.sign_in(Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap(), farm);
    // Two strangers on the same Astrill exit: anonymisers are not farms.
    let mut d = Timeline::new("vpn-x", "US", "America/Chicago");
    d.workdays(0, 9, &ASTRILL);
    let mut e = Timeline::new("vpn-y", "US", "America/Chicago");
    e.workdays(0, 9, &ASTRILL);
    let events: Vec<Event> = [&a, &b, &c, &d, &e]
        .iter()
        .flat_map(|t| t.events.clone())
        .collect();
    let groups = shared_egress(&intel, &events, &EgressConfig::default());
    let ids: Vec<SubjectId> = [&a, &b, &c, &d, &e]
        .iter()
        .map(|t| t.subject.id.clone())
        .collect();
    let facts = shared_egress_facts(&groups, &ids);
    let get = |who: &SubjectId, name: &str| {
        facts
            .iter()
            .find(|f| &f.subject == who && f.name == name)
            .map(|f| f.value.clone())
    };
    assert_eq!(
        get(&ids[0], "net.shared_egress_subjects"),
        Some(FactValue::Int(1))
    );
    assert_eq!(
        get(&ids[1], "net.shared_egress_subjects"),
        Some(FactValue::Int(1))
    );
    assert_eq!(
        get(&ids[2], "net.shared_egress_subjects"),
        Some(FactValue::Int(0))
    );
    assert_eq!(
        get(&ids[3], "net.shared_egress_subjects"),
        Some(FactValue::Int(0))
    );
    assert_eq!(
        get(&ids[4], "net.shared_prefix_subjects"),
        Some(FactValue::Int(0))
    );
    let ev = &facts
        .iter()
        .find(|f| f.subject == ids[0] && f.name == "net.shared_egress_subjects")
        .unwrap()
        .evidence;
    assert!(
        ev[0].value.contains("hr:persona-b") && ev[0].source.is_some(),
        "{ev:?}"
    );
}

#[test]
fn per_event_facts_name_their_data_set() {
    let intel = builtin();
    let mut t = Timeline::new("e-1", "US", "America/Los_Angeles");
    t.sign_in(
        Utc.with_ymd_and_hms(2026, 2, 2, 1, 0, 0).unwrap(),
        "142.214.202.2",
    );
    let facts = event_facts(&intel, &t.subject.id, &t.events[0]);
    let m = by_name(&facts);
    assert_eq!(m["net.ip.vpn_provider"], &FactValue::Text("Astrill".into()));
    assert_eq!(m["net.ip.is_hosting"], &FactValue::Bool(true));
    assert_eq!(m["net.ip.is_dprk"], &FactValue::Bool(false));
    assert_eq!(m["net.ip.asn"], &FactValue::Int(7393));
    let vpn = facts
        .iter()
        .find(|f| f.name == "net.ip.vpn_provider")
        .unwrap();
    assert!(vpn.evidence[0].label.contains("vpn-astrill-iocs"));
    assert_eq!(vpn.evidence[0].source.as_ref().unwrap().line, Some(2));
    let enriched = enrich_sign_ins(&intel, &t.events);
    assert_eq!(enriched.len(), 1);
}

#[test]
fn every_fact_produced_is_registered() {
    let intel = builtin();
    let mut t = Timeline::new("reg-1", "US", "America/Los_Angeles");
    t.subject.attributes.insert("shift".into(), "day".into());
    t.workdays(0, 9, &ASTRILL);
    let specs = fact_specs();
    let mut produced = subject_facts(&intel, &t.subject, &t.events, &NetConfig::default());
    produced.extend(event_facts(&intel, &t.subject.id, &t.events[0]));
    produced.extend(shared_egress_facts(&[], &[t.subject.id.clone()]));
    for f in &produced {
        let spec = specs
            .iter()
            .find(|s| s.name == f.name)
            .unwrap_or_else(|| panic!("unregistered fact {}", f.name));
        assert!(
            spec.fact_type.accepts(&f.value),
            "{} has {:?}",
            f.name,
            f.value
        );
    }
    let mut registry = redflag_model::FactRegistry::new();
    registry.register(specs).unwrap();
}

// ---------------------------------------------------------------------------------------------------
// Rules in rules/network against this crate's facts

fn network_pack(registry: &redflag_model::FactRegistry) -> redflag_rules::RulePack {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/network");
    redflag_rules::RulePack::builder(registry)
        .builtin(false)
        .dir(dir)
        .build()
}

fn registry() -> redflag_model::FactRegistry {
    let mut registry = redflag_model::FactRegistry::new();
    registry.register(fact_specs()).unwrap();
    registry
}

#[test]
fn network_rules_load_and_pass_their_own_tests() {
    let registry = registry();
    let pack = network_pack(&registry);
    assert!(pack.errors().is_empty(), "{:#?}", pack.errors());
    assert!(pack.len() >= 13, "{}", pack.len());
    let report = redflag_rules::run_tests(&pack);
    let failures: Vec<_> = report.failures().collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

fn fired(pack: &redflag_rules::RulePack, t: &Timeline, intel: &NetIntel) -> Vec<String> {
    let facts = subject_facts(intel, &t.subject, &t.events, &NetConfig::default());
    let mut ids: Vec<String> = pack
        .evaluate(&t.subject.id, &facts)
        .into_iter()
        .map(|f| f.rule_id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn rules_fire_on_the_covert_worker_and_stay_quiet_on_hard_negatives() {
    let intel = builtin();
    let registry = registry();
    let pack = network_pack(&registry);

    let mut covert = Timeline::new("dprk-2", "US", "America/Los_Angeles");
    covert.workdays(0, 9, &ASTRILL);
    let slip = Utc.with_ymd_and_hms(2026, 2, 14, 2, 0, 0).unwrap();
    covert.sign_in(slip, CN_HOME);
    covert.sign_in(slip + Duration::hours(1), US_HOME);
    let ids = fired(&pack, &covert, &intel);
    for expect in [
        "RF-NET-003",
        "RF-NET-004",
        "RF-NET-005",
        "RF-NET-007",
        "RF-NET-008",
        "RF-NET-012",
    ] {
        assert!(ids.contains(&expect.to_string()), "{expect} not in {ids:?}");
    }
    assert!(!ids.contains(&"RF-NET-001".to_string()));

    let mut traveller = Timeline::new("trav-2", "US", "America/Los_Angeles");
    traveller.workdays(17, 9, &[US_HOME]);
    let depart = Utc.with_ymd_and_hms(2026, 2, 20, 19, 0, 0).unwrap();
    traveller.sign_in(depart + Duration::hours(12), JP_HOTEL);
    traveller.sign_in(depart + Duration::hours(30), JP_HOTEL);
    assert_eq!(fired(&pack, &traveller, &intel), Vec::<String>::new());

    let mut night = Timeline::new("night-2", "US", "America/Los_Angeles");
    night
        .subject
        .attributes
        .insert("shift".into(), "night".into());
    night.workdays(6, 8, &[US_HOME]);
    assert_eq!(fired(&pack, &night, &intel), Vec::<String>::new());

    let mut vpn_home = Timeline::new("vpn-2", "US", "America/Los_Angeles");
    vpn_home.workdays(17, 9, &[US_HOME, MULLVAD]);
    assert_eq!(fired(&pack, &vpn_home, &intel), Vec::<String>::new());
}

#[test]
fn recorded_commit_offsets_compare_with_the_claimed_zone() {
    let intel = builtin();
    let registry = registry();
    let pack = network_pack(&registry);
    // Commits written on a Korea-time clock by someone claiming Pacific time.
    let mut covert = Timeline::new("clock-1", "US", "America/Los_Angeles");
    covert.workdays(0, 9, &[US_HOME]);
    covert.commits_recorded_at(9);
    let f = covert.facts(&intel);
    assert_eq!(float(&f, "tz.recorded_offset_mismatch_share"), 1.0);
    assert_eq!(
        f.get("tz.recorded_offset_hours"),
        Some(&FactValue::IntList(vec![9]))
    );
    assert!(fired(&pack, &covert, &intel).contains(&"RF-NET-013".to_string()));
    // The same clock, honestly set to Pacific time: nothing.
    let mut honest = Timeline::new("clock-2", "US", "America/Los_Angeles");
    honest.workdays(17, 9, &[US_HOME]);
    honest.commits_recorded_at(-8);
    let f = honest.facts(&intel);
    assert_eq!(float(&f, "tz.recorded_offset_mismatch_share"), 0.0);
    assert!(fired(&pack, &honest, &intel).is_empty());
    // Sources that write UTC say nothing.
    let mut utc = Timeline::new("clock-3", "US", "America/Los_Angeles");
    utc.workdays(17, 9, &[US_HOME]);
    let f = utc.facts(&intel);
    assert_eq!(int(&f, "tz.recorded_offset_event_count"), 0);
    assert!(!f.contains_key("tz.recorded_offset_mismatch_share"));
}

#[test]
fn shared_egress_facts_gather_every_group_of_a_subject_in_group_order() {
    use redflag_netintel::{EgressKey, SharedEgress};
    let id = |s: &str| SubjectId::from_stored(format!("hr:{s}"));
    let at = Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap();
    let group = |key: EgressKey, members: &[&str]| SharedEgress {
        key,
        subjects: members.iter().map(|m| id(m)).collect(),
        first_seen: at,
        last_seen: at + Duration::days(2),
        examples: members
            .iter()
            .map(|m| {
                (
                    id(m),
                    Provenance::at_line("okta", &format!("{m}.ndjson"), 3),
                )
            })
            .collect(),
    };
    let groups = vec![
        group(EgressKey::Ip(ip("73.15.22.10")), &["a", "b"]),
        group(EgressKey::Ip(ip("73.15.22.11")), &["a", "c", "d"]),
        group(EgressKey::Prefix(ip("73.15.22.0")), &["a", "b", "c", "d"]),
        group(EgressKey::Ip(ip("98.1.2.3")), &["e", "f"]),
    ];
    let ids = [id("a"), id("b"), id("e"), id("z")];
    let facts = shared_egress_facts(&groups, &ids);
    assert_eq!(facts.len(), 3 * ids.len());
    let fact = |who: &SubjectId, name: &str| {
        facts
            .iter()
            .find(|f| &f.subject == who && f.name == name)
            .unwrap()
            .clone()
    };
    let a_ips = fact(&ids[0], "net.shared_egress_subjects");
    assert_eq!(a_ips.value, FactValue::Int(3));
    let labels: Vec<&str> = a_ips.evidence.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["shared 73.15.22.10", "shared 73.15.22.11"]);
    assert_eq!(
        a_ips.evidence[1].source.as_ref().map(|p| &*p.source),
        Some("a.ndjson")
    );
    assert_eq!(
        fact(&ids[0], "net.shared_prefix_subjects").value,
        FactValue::Int(3)
    );
    assert_eq!(
        fact(&ids[0], "net.shared_egress_ips").value,
        FactValue::TextList(vec!["73.15.22.10".into(), "73.15.22.11".into()])
    );
    assert_eq!(
        fact(&ids[1], "net.shared_egress_subjects").value,
        FactValue::Int(1)
    );
    assert_eq!(
        fact(&ids[2], "net.shared_egress_subjects").evidence[0].value,
        "with hr:f between 2026-05-04 and 2026-05-06"
    );
    let nobody = fact(&ids[3], "net.shared_prefix_subjects");
    assert_eq!(nobody.value, FactValue::Int(0));
    assert!(nobody.evidence.is_empty());
}
