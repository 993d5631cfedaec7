//! Facts: per sign-in (`net.ip.*`) and per subject over a window (`net.*`, `tz.*`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Offset, TimeZone, Utc};
use rayon::prelude::*;
use redflag_model::{
    Event, EventKind, Evidence, Fact, FactSpec, FactType, FactValue, SignInOutcome, Subject,
    SubjectId,
};
use serde::Serialize;

use crate::intel::{IpInfo, NetIntel};
use crate::travel::{self, Point, TravelConfig};
use crate::tz;

/// The crate name written as the producer of every fact.
pub const PRODUCER: &str = "redflag-netintel";

/// Settings of the per-subject facts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetConfig {
    /// Only events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time.
    pub until: Option<DateTime<Utc>>,
    /// Count failed sign-ins too (off: a stranger spraying passwords from Tor says nothing about the
    /// account's owner).
    pub include_failed_sign_ins: bool,
    /// Impossible-travel bounds.
    pub travel: TravelConfig,
    /// Fewest events for a time-zone inference.
    pub min_tz_events: usize,
    /// At most this many example events attached as evidence to each fact.
    pub max_evidence: usize,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            since: None,
            until: None,
            include_failed_sign_ins: false,
            travel: TravelConfig::default(),
            min_tz_events: 10,
            max_evidence: 5,
        }
    }
}

impl NetConfig {
    fn in_window(&self, t: DateTime<Utc>) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }
}

/// A sign-in with what the data say about its address.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EnrichedSignIn<'a> {
    /// The event.
    #[serde(skip)]
    pub event: &'a Event,
    /// Its time.
    pub time: DateTime<Utc>,
    /// The lookup.
    pub info: IpInfo<'a>,
}

/// Looks up every sign-in with an address, in parallel (rayon); other events are skipped.
pub fn enrich_sign_ins<'a>(intel: &'a NetIntel, events: &'a [Event]) -> Vec<EnrichedSignIn<'a>> {
    events
        .par_iter()
        .filter_map(|event| match &event.kind {
            EventKind::SignIn(s) => s.ip.map(|ip| EnrichedSignIn {
                event,
                time: event.time,
                info: intel.lookup(ip),
            }),
            _ => None,
        })
        .collect()
}

fn describe(info: &IpInfo<'_>) -> String {
    let mut parts = vec![info.ip.to_string()];
    if let Some(c) = info.country {
        parts.push(c.value.to_string());
    }
    if let Some(a) = info.asn {
        parts.push(format!(
            "AS{} {}",
            a.value.number,
            a.value.organization.unwrap_or("")
        ));
    }
    if let Some(v) = info.vpn {
        parts.push(format!("VPN {} ({})", v.value, v.by));
    }
    for (flag, name) in [
        (info.hosting, "hosting"),
        (info.tor, "Tor"),
        (info.relay, "relay"),
        (info.dprk, "DPRK"),
    ] {
        if let Some(by) = flag {
            parts.push(format!("{name} ({by})"));
        }
    }
    parts.join(" ").trim().to_string()
}

fn evidence_for(label: &str, s: &EnrichedSignIn<'_>) -> Evidence {
    Evidence {
        label: label.to_string(),
        value: format!("{} {}", s.time.format("%Y-%m-%dT%H:%MZ"), describe(&s.info)),
        source: Some(s.event.provenance.clone()),
    }
}

/// The per-sign-in facts (`net.ip.*`) of one event, about `subject`; empty for events without an address.
pub fn event_facts(intel: &NetIntel, subject: &SubjectId, event: &Event) -> Vec<Fact> {
    let EventKind::SignIn(sign_in) = &event.kind else {
        return Vec::new();
    };
    let Some(ip) = sign_in.ip else {
        return Vec::new();
    };
    let info = intel.lookup(ip);
    let ev = |by: &str, value: String| Evidence {
        label: format!("{} (by {by})", info.ip),
        value,
        source: Some(event.provenance.clone()),
    };
    let mut out = Vec::new();
    let mut push = |name: &str, value: FactValue, by: &str| {
        let shown = value.display();
        out.push(Fact::new(subject.clone(), name, value).with_evidence(ev(by, shown)));
    };
    push(
        "net.ip.address",
        FactValue::Text(info.ip.to_string()),
        "event",
    );
    if let Some(c) = info.country {
        push("net.ip.country", FactValue::Text(c.value.to_string()), c.by);
    }
    if let Some(r) = info.region {
        push("net.ip.region", FactValue::Text(r.value.to_string()), r.by);
    }
    if let Some(c) = info.city {
        push("net.ip.city", FactValue::Text(c.value.to_string()), c.by);
    }
    if let Some(l) = info.location {
        push(
            "net.ip.location",
            FactValue::Text(format!(
                "{:.4},{:.4} ±{:.0} km",
                l.value.latitude, l.value.longitude, l.value.accuracy_km
            )),
            l.by,
        );
    }
    if let Some(a) = info.asn {
        push(
            "net.ip.asn",
            FactValue::Int(i64::from(a.value.number)),
            a.by,
        );
        if let Some(org) = a.value.organization {
            push("net.ip.as_org", FactValue::Text(org.to_string()), a.by);
        }
    }
    let vpn_by = info.vpn.map_or("sets", |v| v.by);
    push("net.ip.is_vpn", FactValue::Bool(info.is_vpn()), vpn_by);
    if let Some(v) = info.vpn {
        push(
            "net.ip.vpn_provider",
            FactValue::Text(v.value.to_string()),
            v.by,
        );
    }
    for (name, hit) in [
        ("net.ip.is_hosting", info.hosting),
        ("net.ip.is_tor", info.tor),
        ("net.ip.is_relay", info.relay),
        ("net.ip.is_dprk", info.dprk),
    ] {
        push(name, FactValue::Bool(hit.is_some()), hit.unwrap_or("sets"));
    }
    out
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let m = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[m - 1] + values[m]) / 2.0
    } else {
        values[m]
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The claimed zone's UTC offset in hours at `t`.
fn offset_hours(tz: &chrono_tz::Tz, t: DateTime<Utc>) -> f64 {
    f64::from(
        tz.offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc(),
    ) / 3600.0
}

/// The subject's declared work shift, from the source record's `shift` or `work_shift` column.
fn declared_shift(subject: &Subject) -> Option<String> {
    subject
        .attributes
        .iter()
        .find(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k == "shift" || k == "work_shift"
        })
        .map(|(_, v)| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
}

/// The per-subject network and time-zone facts over the events in the window. Events attributed to
/// another subject are ignored; events with no subject are taken as the caller's selection.
pub fn subject_facts(
    intel: &NetIntel,
    subject: &Subject,
    events: &[Event],
    config: &NetConfig,
) -> Vec<Fact> {
    let own: Vec<&Event> = events
        .iter()
        .filter(|e| e.subject.as_ref().is_none_or(|s| s == &subject.id))
        .filter(|e| config.in_window(e.time))
        .collect();
    let mut sign_ins: Vec<EnrichedSignIn<'_>> = own
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::SignIn(s)
                if config.include_failed_sign_ins || s.outcome != SignInOutcome::Failure =>
            {
                s.ip.map(|ip| EnrichedSignIn {
                    event: e,
                    time: e.time,
                    info: intel.lookup(ip),
                })
            }
            _ => None,
        })
        .collect();
    sign_ins.sort_by_key(|s| s.time);

    let id = &subject.id;
    let max_ev = config.max_evidence;
    let mut facts = Vec::new();
    let fact = |name: &str, value: FactValue| Fact::new(id.clone(), name, value);
    let with_examples = |mut f: Fact, label: &str, pick: &dyn Fn(&EnrichedSignIn<'_>) -> bool| {
        for s in sign_ins.iter().filter(|s| pick(s)).take(max_ev) {
            f = f.with_evidence(evidence_for(label, s));
        }
        f
    };

    let n = sign_ins.len();
    facts.push(fact("net.sign_in_count", FactValue::Int(n as i64)));
    if n > 0 {
        let share = |pred: &dyn Fn(&EnrichedSignIn<'_>) -> bool| {
            round3(sign_ins.iter().filter(|s| pred(s)).count() as f64 / n as f64)
        };
        let vpn = |s: &EnrichedSignIn<'_>| s.info.is_vpn();
        let astrill = |s: &EnrichedSignIn<'_>| {
            s.info
                .vpn_provider()
                .is_some_and(|p| p.eq_ignore_ascii_case("astrill"))
        };
        let hosting = |s: &EnrichedSignIn<'_>| s.info.is_hosting();
        let tor = |s: &EnrichedSignIn<'_>| s.info.is_tor();
        let relay = |s: &EnrichedSignIn<'_>| s.info.is_relay();
        let dprk = |s: &EnrichedSignIn<'_>| s.info.is_dprk();
        let count = |pred: &dyn Fn(&EnrichedSignIn<'_>) -> bool| {
            sign_ins.iter().filter(|s| pred(s)).count() as i64
        };

        facts.push(with_examples(
            fact("net.vpn_sign_in_count", FactValue::Int(count(&vpn))),
            "vpn sign-in",
            &vpn,
        ));
        facts.push(with_examples(
            fact("net.vpn_share", FactValue::Float(share(&vpn))),
            "vpn sign-in",
            &vpn,
        ));
        let providers: BTreeSet<String> = sign_ins
            .iter()
            .filter_map(|s| s.info.vpn_provider().map(str::to_string))
            .collect();
        facts.push(fact(
            "net.vpn_providers",
            FactValue::TextList(providers.into_iter().collect()),
        ));
        facts.push(with_examples(
            fact("net.astrill_share", FactValue::Float(share(&astrill))),
            "astrill sign-in",
            &astrill,
        ));
        facts.push(with_examples(
            fact("net.hosting_share", FactValue::Float(share(&hosting))),
            "hosting sign-in",
            &hosting,
        ));
        facts.push(with_examples(
            fact("net.tor_share", FactValue::Float(share(&tor))),
            "tor sign-in",
            &tor,
        ));
        facts.push(with_examples(
            fact("net.relay_share", FactValue::Float(share(&relay))),
            "relay sign-in",
            &relay,
        ));
        facts.push(with_examples(
            fact("net.dprk_sign_in_count", FactValue::Int(count(&dprk))),
            "dprk sign-in",
            &dprk,
        ));

        // Where the person is: countries of sign-ins that do not go through an anonymiser.
        let located: Vec<&EnrichedSignIn<'_>> = sign_ins
            .iter()
            .filter(|s| !s.info.is_anonymised())
            .collect();
        let countries: BTreeSet<String> = located
            .iter()
            .filter_map(|s| s.info.country.map(|c| c.value.to_string()))
            .collect();
        facts.push(fact(
            "net.distinct_countries",
            FactValue::Int(countries.len() as i64),
        ));
        facts.push(fact(
            "net.countries",
            FactValue::TextList(countries.into_iter().collect()),
        ));
        let asns: BTreeSet<u32> = sign_ins
            .iter()
            .filter_map(|s| s.info.asn.map(|a| a.value.number))
            .collect();
        facts.push(fact("net.distinct_asns", FactValue::Int(asns.len() as i64)));

        if let Some(claimed) = subject.claimed.country {
            let with_country: Vec<&&EnrichedSignIn<'_>> = located
                .iter()
                .filter(|s| s.info.country.is_some())
                .collect();
            if !with_country.is_empty() {
                let off = |s: &EnrichedSignIn<'_>| {
                    !s.info.is_anonymised() && s.info.country.is_some_and(|c| c.value != claimed)
                };
                let mismatched = with_country.iter().filter(|s| off(s)).count();
                let share = round3(mismatched as f64 / with_country.len() as f64);
                facts.push(
                    with_examples(
                        fact(
                            "net.claimed_country_mismatch_share",
                            FactValue::Float(share),
                        ),
                        "sign-in outside claimed country",
                        &off,
                    )
                    .with_evidence(Evidence::new("claimed country", claimed.to_string())),
                );
            }
            if let Some(home) = intel.country_location(claimed) {
                let mut distances: Vec<f64> = located
                    .iter()
                    .filter_map(|s| s.info.location)
                    .map(|l| {
                        (travel::haversine_km(&home, &l.value)
                            - home.accuracy_km
                            - l.value.accuracy_km)
                            .max(0.0)
                    })
                    .collect();
                if let Some(m) = median(&mut distances) {
                    facts.push(
                        fact(
                            "net.claimed_distance_km_median",
                            FactValue::Float(m.round()),
                        )
                        .with_evidence(Evidence::new(
                            "claimed country area",
                            format!(
                                "{} ({:.2},{:.2} ±{:.0} km)",
                                claimed, home.latitude, home.longitude, home.accuracy_km
                            ),
                        )),
                    );
                }
            }
        }

        let points: Vec<Point> = sign_ins
            .iter()
            .map(|s| Point {
                time: s.time,
                location: s.info.location.map(|l| l.value),
                anonymised: s.info.is_anonymised(),
            })
            .collect();
        let trips = travel::impossible_trips(&points, &config.travel);
        let mut f = fact(
            "net.impossible_travel_count",
            FactValue::Int(trips.len() as i64),
        );
        for t in trips.iter().take(max_ev) {
            let (a, b) = (&sign_ins[t.from], &sign_ins[t.to]);
            f = f.with_evidence(Evidence {
                label: "impossible trip".into(),
                value: format!(
                    "{} → {}: {:.0} km in {:.2} h ({:.0} km/h)",
                    describe(&a.info),
                    describe(&b.info),
                    t.distance_km,
                    t.hours,
                    t.speed_kmh
                ),
                source: Some(b.event.provenance.clone()),
            });
        }
        facts.push(f);
    }

    // Activity hours: sign-ins and work events (commits, downloads, grants…).
    let activity: Vec<DateTime<Utc>> = own
        .iter()
        .filter(|e| match &e.kind {
            EventKind::SignIn(s) => {
                config.include_failed_sign_ins || s.outcome != SignInOutcome::Failure
            }
            EventKind::Activity { .. } => true,
            _ => false,
        })
        .map(|e| e.time)
        .collect();
    facts.push(fact(
        "tz.activity_event_count",
        FactValue::Int(activity.len() as i64),
    ));
    // Offsets the sources recorded with the times (git author dates carry the author's clock). Zero is
    // left out: most systems write UTC, which says nothing about the person.
    let recorded: Vec<&&Event> = own
        .iter()
        .filter(|e| matches!(e.kind, EventKind::SignIn(_) | EventKind::Activity { .. }))
        .filter(|e| e.utc_offset_seconds != 0)
        .collect();
    facts.push(fact(
        "tz.recorded_offset_event_count",
        FactValue::Int(recorded.len() as i64),
    ));
    if !recorded.is_empty() {
        let hours: BTreeSet<i64> = recorded
            .iter()
            .map(|e| (f64::from(e.utc_offset_seconds) / 3600.0).round() as i64)
            .collect();
        facts.push(fact(
            "tz.recorded_offset_hours",
            FactValue::IntList(hours.into_iter().collect()),
        ));
        if let Some(zone) = subject.claimed.timezone {
            let off: Vec<&&&Event> = recorded
                .iter()
                .filter(|e| {
                    let claimed = offset_hours(&zone, e.time);
                    tz::circular_hours(f64::from(e.utc_offset_seconds) / 3600.0, claimed) >= 3.0
                })
                .collect();
            let mut f = fact(
                "tz.recorded_offset_mismatch_share",
                FactValue::Float(round3(off.len() as f64 / recorded.len() as f64)),
            )
            .with_evidence(Evidence::new("claimed time zone", zone.name()));
            for e in off.iter().take(max_ev) {
                f = f.with_evidence(Evidence {
                    label: format!("{} recorded with offset", e.kind.name()),
                    value: format!(
                        "{} {:+.1} h",
                        e.time.format("%Y-%m-%dT%H:%MZ"),
                        f64::from(e.utc_offset_seconds) / 3600.0
                    ),
                    source: Some(e.provenance.clone()),
                });
            }
            facts.push(f);
        }
    }

    // Always written (false without a declaration), so rules can require `!tz.declared_night_shift`.
    let shift = declared_shift(subject);
    let mut f = fact(
        "tz.declared_night_shift",
        FactValue::Bool(shift.as_deref().is_some_and(|s| s.contains("night"))),
    );
    if let Some(shift) = shift {
        f = f.with_evidence(Evidence::new("declared shift", shift));
    }
    facts.push(f);
    if let Some(inf) = tz::infer(activity.iter().copied(), config.min_tz_events) {
        let histogram = inf
            .histogram
            .iter()
            .enumerate()
            .map(|(h, c)| format!("{h:02}:{c}"))
            .collect::<Vec<_>>()
            .join(" ");
        let hist_ev = Evidence::new("events by UTC hour", histogram);
        facts.push(
            fact(
                "tz.inferred_offset_hours",
                FactValue::IntList(inf.best_offsets.iter().map(|o| i64::from(*o)).collect()),
            )
            .with_evidence(hist_ev.clone()),
        );
        facts.push(fact(
            "tz.inference_confidence",
            FactValue::Float(round3(inf.confidence)),
        ));
        if let Some(zone) = subject.claimed.timezone {
            let mut sorted = activity.clone();
            sorted.sort();
            let mid = sorted[sorted.len() / 2];
            let claimed = offset_hours(&zone, mid);
            facts.push(
                fact("tz.claimed_offset_hours", FactValue::Float(claimed))
                    .with_evidence(Evidence::new("claimed time zone", zone.name())),
            );
            let mismatch = inf
                .best_offsets
                .iter()
                .map(|o| tz::circular_hours(f64::from(*o), claimed))
                .fold(f64::INFINITY, f64::min);
            facts.push(
                fact("tz.claimed_mismatch_hours", FactValue::Float(mismatch))
                    .with_evidence(Evidence::new("claimed time zone", zone.name()))
                    .with_evidence(hist_ev),
            );
        }
    }
    facts
}

macro_rules! spec {
    ($name:expr, $ty:ident, $meaning:expr, $example:expr) => {
        FactSpec {
            name: $name,
            fact_type: FactType::$ty,
            producer: PRODUCER,
            meaning: $meaning,
            example: $example,
            protected: false,
        }
    };
}

/// Every fact this crate produces.
pub fn fact_specs() -> Vec<FactSpec> {
    vec![
        spec!(
            "net.ip.address",
            String,
            "Per sign-in: the client address (IPv4-mapped IPv6 as IPv4).",
            "142.214.202.2"
        ),
        spec!(
            "net.ip.country",
            String,
            "Per sign-in: the address's country (ISO alpha-2), from the first data set that places it.",
            "US"
        ),
        spec!(
            "net.ip.region",
            String,
            "Per sign-in: first-level subdivision, from an MMDB city database.",
            "Texas"
        ),
        spec!(
            "net.ip.city",
            String,
            "Per sign-in: city, from an MMDB city database.",
            "Dallas"
        ),
        spec!(
            "net.ip.location",
            String,
            "Per sign-in: latitude,longitude ± accuracy radius.",
            "32.7767,-96.7970 ±50 km"
        ),
        spec!(
            "net.ip.asn",
            Int,
            "Per sign-in: the address's autonomous system number.",
            "7393"
        ),
        spec!(
            "net.ip.as_org",
            String,
            "Per sign-in: the autonomous system's organisation.",
            "CYBERCON, INC."
        ),
        spec!(
            "net.ip.is_vpn",
            Bool,
            "Per sign-in: the address is in a VPN provider's set (by range or ASN).",
            "true"
        ),
        spec!(
            "net.ip.vpn_provider",
            String,
            "Per sign-in: the VPN provider whose set holds the address.",
            "Astrill"
        ),
        spec!(
            "net.ip.is_hosting",
            Bool,
            "Per sign-in: the address is in hosting / data-centre space.",
            "false"
        ),
        spec!(
            "net.ip.is_tor",
            Bool,
            "Per sign-in: the address is a listed Tor exit.",
            "false"
        ),
        spec!(
            "net.ip.is_relay",
            Bool,
            "Per sign-in: the address is a privacy-relay egress (iCloud Private Relay).",
            "false"
        ),
        spec!(
            "net.ip.is_dprk",
            Bool,
            "Per sign-in: the address is in North Korea's allocation (175.45.176.0/22, AS131279).",
            "false"
        ),
        spec!(
            "net.sign_in_count",
            Int,
            "Sign-ins with an address in the window (failed ones excluded by default).",
            "42"
        ),
        spec!(
            "net.vpn_sign_in_count",
            Int,
            "Sign-ins from a VPN provider's addresses.",
            "30"
        ),
        spec!(
            "net.vpn_share",
            Float,
            "Share of sign-ins from VPN addresses.",
            "0.714"
        ),
        spec!(
            "net.vpn_providers",
            StringList,
            "VPN providers seen.",
            "Astrill"
        ),
        spec!(
            "net.astrill_share",
            Float,
            "Share of sign-ins from addresses in an Astrill VPN set.",
            "0.5"
        ),
        spec!(
            "net.hosting_share",
            Float,
            "Share of sign-ins from hosting / data-centre networks.",
            "0.2"
        ),
        spec!(
            "net.tor_share",
            Float,
            "Share of sign-ins from Tor exits.",
            "0.0"
        ),
        spec!(
            "net.relay_share",
            Float,
            "Share of sign-ins from privacy relays (iCloud Private Relay).",
            "0.1"
        ),
        spec!(
            "net.dprk_sign_in_count",
            Int,
            "Sign-ins from North Korea's allocation.",
            "0"
        ),
        spec!(
            "net.distinct_countries",
            Int,
            "Countries of the sign-ins that do not go through an anonymiser.",
            "2"
        ),
        spec!(
            "net.countries",
            StringList,
            "Those countries (ISO alpha-2).",
            "CN, US"
        ),
        spec!(
            "net.distinct_asns",
            Int,
            "Autonomous systems of all sign-ins.",
            "4"
        ),
        spec!(
            "net.claimed_country_mismatch_share",
            Float,
            "Share of non-anonymised, located sign-ins outside the claimed country of residence.",
            "0.6"
        ),
        spec!(
            "net.claimed_distance_km_median",
            Float,
            "Median distance (km, after accuracy radii) of non-anonymised sign-ins from the claimed country's area.",
            "8200"
        ),
        spec!(
            "net.impossible_travel_count",
            Int,
            "Consecutive real locations whose implied speed exceeds the bound (VPN/relay hops skipped).",
            "1"
        ),
        spec!(
            "tz.activity_event_count",
            Int,
            "Sign-ins and work events counted for the activity-hours inference.",
            "120"
        ),
        spec!(
            "tz.inferred_offset_hours",
            IntList,
            "UTC offsets (hours) whose working day best explains the activity hours, best first.",
            "9, 8"
        ),
        spec!(
            "tz.inference_confidence",
            Float,
            "0-1: how clearly the activity follows a working day, scaled by event count.",
            "0.9"
        ),
        spec!(
            "tz.claimed_offset_hours",
            Float,
            "The claimed time zone's UTC offset (hours) in the window.",
            "-8"
        ),
        spec!(
            "tz.claimed_mismatch_hours",
            Float,
            "Hours between the claimed offset and the nearest inferred offset, around the clock.",
            "7"
        ),
        spec!(
            "tz.declared_night_shift",
            Bool,
            "The subject's record declares a night shift (`shift`/`work_shift` column containing `night`); false when it declares none.",
            "false"
        ),
        spec!(
            "tz.recorded_offset_event_count",
            Int,
            "Sign-ins and work events whose source recorded a non-zero UTC offset with the time (git author dates).",
            "80"
        ),
        spec!(
            "tz.recorded_offset_hours",
            IntList,
            "The distinct non-zero UTC offsets (hours) recorded with the subject's events.",
            "9"
        ),
        spec!(
            "tz.recorded_offset_mismatch_share",
            Float,
            "Share of those events whose recorded offset is 3 or more hours from the claimed zone's offset at that time.",
            "0.95"
        ),
        spec!(
            "net.shared_egress_subjects",
            Int,
            "Other subjects seen on the same egress address in overlapping windows (anonymisers excluded).",
            "2"
        ),
        spec!(
            "net.shared_prefix_subjects",
            Int,
            "Other subjects seen in the same /24 (IPv6: /48) in overlapping windows (anonymisers excluded).",
            "3"
        ),
        spec!(
            "net.shared_egress_ips",
            StringList,
            "The shared egress addresses.",
            "203.0.113.7"
        ),
    ]
}

/// Sign-in addresses of events, for callers that group by address.
pub(crate) fn sign_in_ip(event: &Event) -> Option<IpAddr> {
    match &event.kind {
        EventKind::SignIn(s) if s.outcome != SignInOutcome::Failure => s.ip,
        _ => None,
    }
}

/// Groups facts by name (test and CLI helper).
pub fn by_name(facts: &[Fact]) -> BTreeMap<&str, &FactValue> {
    facts.iter().map(|f| (f.name.as_str(), &f.value)).collect()
}
