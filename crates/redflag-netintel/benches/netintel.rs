//! Criterion benchmarks: range-table lookups, full lookups, MMDB lookups, enrichment of 1M sign-ins.
//!
//! `cargo bench -p redflag-netintel --bench netintel` (set `NETINTEL_BENCH_MMDB=/path/file.mmdb` to
//! measure a real-size MMDB; otherwise MaxMind's small test database is used).
#![allow(clippy::unwrap_used)] // benchmark setup: a failure is a failed run

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use redflag_model::{ClaimedAttributes, CountryCode, PersonName, Subject, SubjectKind};
use redflag_model::{Event, EventId, EventKind, Provenance, SignIn, SignInOutcome, SubjectId};
use redflag_netintel::{NetConfig, NetIntel, enrich_sign_ins, subject_facts};

/// Deterministic pseudo-random public-looking IPv4 addresses (xorshift).
fn addresses(n: usize) -> Vec<IpAddr> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            IpAddr::V4(Ipv4Addr::from((x >> 16) as u32))
        })
        .collect()
}

fn events(n: usize) -> Vec<Event> {
    let addrs = addresses(n);
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    addrs
        .into_iter()
        .enumerate()
        .map(|(i, ip)| Event {
            id: EventId::from_stored(i.to_string()),
            time: t0 + chrono::Duration::seconds(i as i64),
            utc_offset_seconds: 0,
            kind: EventKind::SignIn(SignIn {
                ip: Some(ip),
                user_agent: None,
                outcome: SignInOutcome::Success,
                application: None,
                provider_country: None,
            }),
            identifiers: Vec::new(),
            subject: Some(SubjectId::from_stored(format!("s:{}", i % 10_000))),
            provenance: Provenance::at_line("bench", "signins.csv", i as u64 + 1),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let intel = NetIntel::builtin().unwrap();
    let addrs = addresses(1 << 16);

    let mut g = c.benchmark_group("range_table");
    g.throughput(Throughput::Elements(addrs.len() as u64));
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("country_of_ipv4", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for ip in &addrs {
                hits += usize::from(intel.country_of(*ip).is_some());
            }
            black_box(hits)
        })
    });
    g.bench_function("lookup_builtin_all_fields", |b| {
        b.iter(|| {
            for ip in &addrs {
                black_box(intel.lookup(*ip));
            }
        })
    });
    g.finish();

    let mmdb = std::env::var("NETINTEL_BENCH_MMDB").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/GeoIP2-City-Test.mmdb"
        )
        .to_string()
    });
    let with_mmdb = NetIntel::builder()
        .mmdb_file(&mmdb)
        .unwrap()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("mmdb");
    g.throughput(Throughput::Elements(addrs.len() as u64));
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("lookup", |b| {
        b.iter(|| {
            for ip in &addrs {
                black_box(with_mmdb.lookup(*ip));
            }
        })
    });
    g.finish();

    let evs = events(1_000_000);
    let mut g = c.benchmark_group("enrich");
    g.throughput(Throughput::Elements(evs.len() as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("sign_ins_1m_builtin", |b| {
        b.iter(|| black_box(enrich_sign_ins(&intel, &evs).len()))
    });
    // End to end per subject: 1M sign-ins of 10,000 subjects (100 each), grouped, then every net.* and
    // tz.* fact, subjects in parallel.
    let mut by_subject: Vec<Vec<Event>> = vec![Vec::new(); 10_000];
    for e in &evs {
        let i: usize = e.subject.as_ref().unwrap().as_str()[2..].parse().unwrap();
        by_subject[i].push(e.clone());
    }
    let subjects: Vec<Subject> = (0..10_000)
        .map(|i| Subject {
            id: SubjectId::from_stored(format!("s:{i}")),
            kind: SubjectKind::Employee,
            name: PersonName::new(Some("Bench Person"), None, None).unwrap(),
            claimed: ClaimedAttributes {
                country: Some(CountryCode::parse("US").unwrap()),
                timezone: Some(redflag_model::parse_timezone("America/Chicago").unwrap()),
                ..Default::default()
            },
            role: None,
            identifiers: Vec::new(),
            attributes: Default::default(),
            provenance: Provenance::at_line("bench", "people.csv", i + 2),
        })
        .collect();
    let config = NetConfig::default();
    g.bench_function("subject_facts_1m_events_10k_subjects", |b| {
        b.iter(|| {
            let n: usize = subjects
                .par_iter()
                .zip(by_subject.par_iter())
                .map(|(s, evs)| subject_facts(&intel, s, evs, &config).len())
                .sum();
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
