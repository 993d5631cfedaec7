//! Bulk-write throughput of the store: `cargo run --release -p redflag-store --example bulk_write --
//! DIR [EVENTS]` stores EVENTS sign-ins (two identifiers each, half of them claimed by 10,000
//! subjects) in batches of 5,000 into a fresh SQLite database in DIR (or, with DIR `pg`, a fresh
//! PostgreSQL database on `REDFLAG_TEST_DATABASE_URL`), then EVENTS/2 endpoint rows naming 10,000
//! unclaimed laptops, their shipments and the claim that attributes them, then one fact per event,
//! and reads the attributed events back; prints the rates (docs/bench/demo.md).

#![allow(clippy::unwrap_used)] // a benchmark: a failure is a crash

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use redflag_model::{
    DeviceId, DeviceKind, EndpointObservation, Event, EventId, EventKind, Fact, FactValue,
    Identifier, PersonName, PostalAddress, Provenance, Shipment, SignIn, SignInOutcome, Subject,
    SubjectId, SubjectKind,
};
use redflag_store::Store;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "/tmp/rf-bulk".into()));
    let events: usize = args.next().map(|n| n.parse().unwrap()).unwrap_or(200_000);
    // `pg` as DIR: a fresh PostgreSQL database on REDFLAG_TEST_DATABASE_URL (.ci/postgres.sh).
    let _pg_guard;
    let store = if dir.as_os_str() == "pg" {
        let t = redflag_store::testing::TestStore::postgres()
            .await
            .unwrap()
            .expect("REDFLAG_TEST_DATABASE_URL is set");
        let store = t.store.clone();
        _pg_guard = t;
        store
    } else {
        let _ = std::fs::remove_dir_all(&dir);
        Store::open_data_dir(&dir).await.unwrap()
    };
    let subjects: Vec<Subject> = (0..10_000)
        .map(|i| Subject {
            id: SubjectId::new("ats", &format!("{i:06}")).unwrap(),
            kind: SubjectKind::Employee,
            name: PersonName::new(Some(&format!("Person {i}")), None, None).unwrap(),
            claimed: Default::default(),
            role: None,
            identifiers: vec![Identifier::email(&format!("p{i}@example.com")).unwrap()],
            attributes: Default::default(),
            provenance: Provenance::at_line("people", "people.csv", i as u64 + 2),
        })
        .collect();
    let started = Instant::now();
    store.upsert_subjects(&subjects).await.unwrap();
    let t = started.elapsed().as_secs_f64();
    println!("subjects: 10000 in {t:.2} s ({:.0}/s)", 10_000.0 / t);

    let base = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let all: Vec<Event> = (0..events)
        .map(|i| {
            // Even events name a stored subject's login, odd ones an unknown one.
            let login = if i % 2 == 0 {
                format!("p{}@example.com", i % 10_000)
            } else {
                format!("x{}@example.com", i % 10_000)
            };
            Event {
                id: EventId::derive("bench", &[&i.to_string()]),
                time: base + Duration::seconds(i as i64 * 7),
                utc_offset_seconds: 0,
                kind: EventKind::SignIn(SignIn {
                    ip: format!("10.{}.{}.{}", i % 200, (i / 200) % 250, i % 250)
                        .parse()
                        .ok(),
                    user_agent: Some("Mozilla/5.0".into()),
                    outcome: SignInOutcome::Success,
                    application: None,
                    provider_country: None,
                }),
                identifiers: vec![
                    Identifier::email(&login).unwrap(),
                    Identifier::ip(&format!("10.{}.0.{}", i % 200, i % 250)).unwrap(),
                ],
                subject: None,
                provenance: Provenance::at_line("okta", "okta.ndjson", i as u64 + 1),
            }
        })
        .collect();
    let started = Instant::now();
    for batch in all.chunks(5_000) {
        store.insert_events(batch).await.unwrap();
    }
    let t = started.elapsed().as_secs_f64();
    println!("events: {events} in {t:.2} s ({:.0}/s)", events as f64 / t);

    // Endpoint inventory naming 10,000 laptops before anyone claims them, then their shipments
    // (to the subjects' logins) and the claim that attributes the inventory.
    let devices = 10_000;
    let inventory: Vec<Event> = (0..events / 2)
        .map(|i| Event {
            id: EventId::derive("bench-osquery", &[&i.to_string()]),
            time: base + Duration::seconds(i as i64 * 11),
            utc_offset_seconds: 0,
            kind: EventKind::Endpoint(EndpointObservation {
                host: format!("host-{}", i % devices),
                table: "programs".into(),
                action: "snapshot".into(),
                columns: [("name".to_string(), format!("app {}", i % 50))].into(),
            }),
            identifiers: vec![Identifier::Device(
                DeviceId::new(DeviceKind::Serial, &format!("sn{:06}", i % devices)).unwrap(),
            )],
            subject: None,
            provenance: Provenance::at_line("osquery", "osquery.ndjson", i as u64 + 1),
        })
        .collect();
    let started = Instant::now();
    for batch in inventory.chunks(5_000) {
        store.insert_events(batch).await.unwrap();
    }
    let t = started.elapsed().as_secs_f64();
    println!(
        "endpoint rows (unclaimed devices): {} in {t:.2} s ({:.0}/s)",
        inventory.len(),
        inventory.len() as f64 / t
    );
    let shipments: Vec<Event> = (0..devices)
        .map(|i| Event {
            id: EventId::derive("bench-shipping", &[&i.to_string()]),
            time: base,
            utc_offset_seconds: 0,
            kind: EventKind::Shipment(Shipment {
                address: PostalAddress::new("1 Main St, Dallas TX", None).unwrap(),
                item: Some("laptop".into()),
                serial: Some(format!("SN{i:06}")),
            }),
            identifiers: vec![
                Identifier::email(&format!("p{i}@example.com")).unwrap(),
                Identifier::Device(
                    DeviceId::new(DeviceKind::Serial, &format!("sn{i:06}")).unwrap(),
                ),
            ],
            subject: None,
            provenance: Provenance::at_line("shipping", "shipping.csv", i as u64 + 2),
        })
        .collect();
    store.insert_events(&shipments).await.unwrap();
    let started = Instant::now();
    let claims = store.claim_shipped_devices().await.unwrap();
    let t = started.elapsed().as_secs_f64();
    let left = store.counts().await.unwrap().unattributed_events;
    println!(
        "claim shipped devices: {claims} claims attributing {} rows in {t:.2} s ({left} events left unattributed)",
        inventory.len()
    );
    let started = Instant::now();
    assert_eq!(store.claim_shipped_devices().await.unwrap(), 0);
    println!(
        "claim again (nothing new): {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let facts: Vec<Fact> = (0..events)
        .map(|i| {
            Fact::new(
                subjects[i % 10_000].id.clone(),
                &format!("bench.fact_{}", i / 10_000),
                FactValue::Int(i as i64),
            )
        })
        .collect();
    let ids: Vec<SubjectId> = subjects.iter().map(|s| s.id.clone()).collect();
    let started = Instant::now();
    store.replace_facts(&ids, &facts).await.unwrap();
    let t = started.elapsed().as_secs_f64();
    println!("facts: {events} in {t:.2} s ({:.0}/s)", events as f64 / t);

    let started = Instant::now();
    let read = store.attributed_events().await.unwrap();
    let t = started.elapsed().as_secs_f64();
    println!("read attributed events: {} in {t:.2} s", read.len());

    // The share of that read which is JSON decoding of the model types alone.
    let bodies: Vec<String> = read
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let started = Instant::now();
    let decoded: Vec<Event> = bodies
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    let t = started.elapsed().as_secs_f64();
    println!(
        "  of which serde_json decode of {} events alone: {t:.2} s",
        decoded.len()
    );
}
