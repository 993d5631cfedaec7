//! Event storage after migration 0004 (integer event keys, compact bodies), on SQLite and (when
//! `REDFLAG_TEST_DATABASE_URL` is set) PostgreSQL: stores made before it migrate with their data, key
//! collisions are refused, batches of every statement size are stored whole and idempotently, and
//! device claims attribute through the identifier index.

#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use chrono::{Duration, TimeZone, Utc};
use redflag_model::{
    DeviceId, DeviceKind, EndpointObservation, Event, EventId, EventKind, Identifier, PersonName,
    PostalAddress, Provenance, Shipment, SignIn, SignInOutcome, Subject, SubjectId, SubjectKind,
};
use redflag_store::testing::TestStore;
use redflag_store::{EventInsert, Store, StoreError};

fn subject(id: &str, identifiers: Vec<Identifier>) -> Subject {
    Subject {
        id: SubjectId::new("ats", id).unwrap(),
        kind: SubjectKind::Employee,
        name: PersonName::new(Some(&format!("Person {id}")), None, None).unwrap(),
        claimed: Default::default(),
        role: None,
        identifiers,
        attributes: Default::default(),
        provenance: Provenance::at_line("people-csv", "people.csv", 2),
    }
}

fn email(login: &str) -> Identifier {
    Identifier::email(login).unwrap()
}

fn serial(value: &str) -> Identifier {
    Identifier::Device(DeviceId::new(DeviceKind::Serial, value).unwrap())
}

fn sign_in(id: EventId, n: i64, identifiers: Vec<Identifier>) -> Event {
    Event {
        id,
        time: Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + Duration::seconds(n),
        utc_offset_seconds: 0,
        kind: EventKind::SignIn(SignIn {
            ip: "175.45.176.3".parse().ok(),
            user_agent: Some("Mozilla/5.0".into()),
            outcome: SignInOutcome::Success,
            application: None,
            provider_country: None,
        }),
        identifiers,
        subject: None,
        provenance: Provenance::at_line("okta", "okta.ndjson", n as u64 + 1),
    }
}

fn inventory(key: &str, device: &str) -> Event {
    Event {
        id: EventId::derive("osquery", &[key]),
        time: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        utc_offset_seconds: 0,
        kind: EventKind::Endpoint(EndpointObservation {
            host: "host-1".into(),
            table: "programs".into(),
            action: "snapshot".into(),
            columns: [("name", key)].into(),
        }),
        identifiers: vec![serial(device)],
        subject: None,
        provenance: Provenance::at_line("osquery", "osquery.ndjson", 1),
    }
}

fn shipment(key: &str, to: &str, device: &str) -> Event {
    Event {
        id: EventId::derive("shipping", &[key]),
        time: Utc.with_ymd_and_hms(2026, 2, 20, 9, 0, 0).unwrap(),
        utc_offset_seconds: 0,
        kind: EventKind::Shipment(Shipment {
            address: PostalAddress::new("1 Main St, Dallas TX", None).unwrap(),
            item: Some("laptop".into()),
            serial: Some(device.to_uppercase()),
        }),
        identifiers: vec![email(to), serial(device)],
        subject: None,
        provenance: Provenance::at_line("shipping", "shipping.csv", 2),
    }
}

/// Events with their `subject` as the store attributes them.
fn attributed(events: &[Event], owner: &str) -> Vec<Event> {
    events
        .iter()
        .cloned()
        .map(|mut e| {
            e.subject = Some(SubjectId::new("ats", owner).unwrap());
            e
        })
        .collect()
}

#[tokio::test]
async fn stores_made_before_integer_keys_migrate_with_their_data() {
    for t in TestStore::all().await.unwrap() {
        // Put the events tables back as migrations 0001-0003 left them, with rows written the old way
        // (whole-event JSON bodies, text keys), and forget migration 0004.
        t.store
            .upsert_subjects(&[subject("1", vec![email("ann@example.com")])])
            .await
            .unwrap();
        let pool = sqlx::AnyPool::connect(&t.url).await.unwrap();
        for sql in [
            "DROP TABLE event_identifiers",
            "DROP TABLE events",
            "CREATE TABLE events (id TEXT PRIMARY KEY, time TEXT NOT NULL, kind TEXT NOT NULL,
             subject_id TEXT, body TEXT NOT NULL)",
            "CREATE INDEX events_subject_time ON events(subject_id, time)",
            "CREATE TABLE event_identifiers (event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
             kind TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (event_id, kind, value))",
            "CREATE INDEX event_identifiers_value ON event_identifiers(kind, value)",
            "DELETE FROM _sqlx_migrations WHERE version = 4",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        let ann = sign_in(
            EventId::derive("okta", &["a"]),
            0,
            vec![email("ann@example.com")],
        );
        let bob = sign_in(
            EventId::derive("okta", &["b"]),
            1,
            vec![email("bob@example.com")],
        );
        // One id whose first hex digit is 8-f (a negative key), whatever the derivation gave above.
        let high = sign_in(
            EventId::from_stored("f0000000000000000000000000000001".into()),
            2,
            vec![email("ann@example.com")],
        );
        for (event, owner) in [(&ann, Some("ats:1")), (&bob, None), (&high, Some("ats:1"))] {
            sqlx::query(
                "INSERT INTO events (id, time, kind, subject_id, body) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(event.id.as_str())
            .bind(redflag_store::ts(event.time))
            .bind(event.kind.name())
            .bind(owner)
            .bind(serde_json::to_string(event).unwrap())
            .execute(&pool)
            .await
            .unwrap();
            for identifier in &event.identifiers {
                sqlx::query(
                    "INSERT INTO event_identifiers (event_id, kind, value) VALUES ($1, $2, $3)",
                )
                .bind(event.id.as_str())
                .bind(identifier.kind().as_str())
                .bind(identifier.value())
                .execute(&pool)
                .await
                .unwrap();
            }
        }
        pool.close().await;

        // Opening the store applies 0004 to those rows.
        let store = Store::open(&t.url).await.unwrap();
        let counts = store.counts().await.unwrap();
        assert_eq!((counts.events, counts.unattributed_events), (3, 1));
        assert_eq!(
            store.attributed_events().await.unwrap(),
            attributed(&[ann.clone(), high.clone()], "1")
        );
        // Keys were computed as the store computes them: re-ingest finds every event.
        assert_eq!(
            store
                .insert_events(&[ann.clone(), bob.clone(), high.clone()])
                .await
                .unwrap(),
            EventInsert {
                inserted: 0,
                duplicates: 3
            }
        );
        // Identifier rows were carried over: Bob's sign-in is attributed when Bob arrives.
        store
            .upsert_subjects(&[subject("2", vec![email("bob@example.com")])])
            .await
            .unwrap();
        assert_eq!(
            store
                .subject_events(&SubjectId::new("ats", "2").unwrap(), 10)
                .await
                .unwrap(),
            attributed(&[bob], "2")
        );
        // An old body reads back through the console and export paths too.
        let export = store.export_subject("ats:1").await.unwrap().unwrap();
        assert_eq!(export.events.len(), 2);
        assert_eq!(export.events[0]["id"], ann.id.as_str());
        store.close().await;
    }
}

#[tokio::test]
async fn a_64_bit_key_collision_is_refused_not_merged() {
    for t in TestStore::all().await.unwrap() {
        let store = &t.store;
        let first = sign_in(
            EventId::from_stored("0123456789abcdef0000000000000000".into()),
            0,
            vec![email("ann@example.com")],
        );
        let second = sign_in(
            EventId::from_stored("0123456789abcdef1111111111111111".into()),
            1,
            vec![email("bob@example.com")],
        );
        assert_eq!(
            redflag_store::event_key(&first.id),
            redflag_store::event_key(&second.id)
        );
        store
            .insert_events(std::slice::from_ref(&first))
            .await
            .unwrap();
        let err = store
            .insert_events(std::slice::from_ref(&second))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        assert!(err.to_string().contains(second.id.as_str()), "{err}");
        // In one batch too; the failed batches stored nothing.
        let fresh = sign_in(
            EventId::from_stored("fedcba98765432100000000000000000".into()),
            2,
            vec![],
        );
        let mut clash = fresh.clone();
        clash.id = EventId::from_stored("fedcba98765432109999999999999999".into());
        assert!(store.insert_events(&[fresh, clash]).await.is_err());
        assert_eq!(store.counts().await.unwrap().events, 1);
        // The stored event is intact.
        assert_eq!(store.insert_events(&[first]).await.unwrap().duplicates, 1);
    }
}

#[tokio::test]
async fn batches_of_every_statement_size_store_whole_and_idempotently() {
    for t in TestStore::all().await.unwrap() {
        let store = &t.store;
        // 600 events split into statements of 256, 256, 64, 16, 4 and 4 rows; 1,200 identifier rows
        // into 512, 512, 128, 32, 8, 8; every fourth event repeated in the batch.
        let events: Vec<Event> = (0..600)
            .map(|i| {
                sign_in(
                    EventId::derive("okta", &[&i.to_string()]),
                    i,
                    vec![
                        email(&format!("p{}@example.com", i % 7)),
                        Identifier::ip(&format!("10.0.{}.{}", i % 3, i % 250)).unwrap(),
                    ],
                )
            })
            .collect();
        let mut batch = events.clone();
        batch.extend(events.iter().step_by(4).cloned());
        assert_eq!(
            store.insert_events(&batch).await.unwrap(),
            EventInsert {
                inserted: 600,
                duplicates: 150
            }
        );
        assert_eq!(
            store.insert_events(&events[..300]).await.unwrap(),
            EventInsert {
                inserted: 0,
                duplicates: 300
            }
        );
        // A batch mixing stored and new events stores only the new ones.
        let more: Vec<Event> = (600..610)
            .map(|i| {
                sign_in(
                    EventId::derive("okta", &[&i.to_string()]),
                    i,
                    vec![email("p0@example.com")],
                )
            })
            .collect();
        let mixed: Vec<Event> = events[..5].iter().chain(&more).cloned().collect();
        assert_eq!(
            store.insert_events(&mixed).await.unwrap(),
            EventInsert {
                inserted: 10,
                duplicates: 5
            }
        );
        // Every identifier row was written: a subject claiming p0 gets all of p0's events.
        store
            .upsert_subjects(&[subject("0", vec![email("p0@example.com")])])
            .await
            .unwrap();
        let owned = store
            .subject_events(&SubjectId::new("ats", "0").unwrap(), 1_000)
            .await
            .unwrap();
        let mut expect: Vec<Event> = events
            .iter()
            .chain(&more)
            .filter(|e| e.identifiers[0] == email("p0@example.com"))
            .cloned()
            .collect();
        expect.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
        assert_eq!(owned, attributed(&expect, "0"));
        assert_eq!(owned.len(), 86 + 10);
        let counts = store.counts().await.unwrap();
        assert_eq!((counts.events, counts.unattributed_events), (610, 610 - 96));
    }
}

#[tokio::test]
async fn device_claims_attribute_through_the_identifier_index() {
    for t in TestStore::all().await.unwrap() {
        let store = &t.store;
        store
            .upsert_subjects(&[
                subject("1", vec![email("ann@example.com")]),
                subject("2", vec![email("bob@example.com")]),
            ])
            .await
            .unwrap();
        let before = [inventory("a", "sn-1"), inventory("b", "sn-2")];
        store.insert_events(&before).await.unwrap();
        // sn-1 goes to Bob; sn-2 was shipped to both (Ann, the lower id, gets its rows).
        store
            .insert_events(&[
                shipment("s1", "bob@example.com", "sn-1"),
                shipment("s2", "bob@example.com", "sn-2"),
                shipment("s3", "ann@example.com", "sn-2"),
            ])
            .await
            .unwrap();
        assert_eq!(store.counts().await.unwrap().unattributed_events, 2);
        assert_eq!(store.claim_shipped_devices().await.unwrap(), 3);
        assert_eq!(store.claim_shipped_devices().await.unwrap(), 0);
        assert_eq!(store.counts().await.unwrap().unattributed_events, 0);
        let owner = |event: &Event| {
            let subject = if event.identifiers[0] == serial("sn-1") {
                "2"
            } else {
                "1"
            };
            SubjectId::new("ats", subject).unwrap()
        };
        for event in &before {
            let theirs = store.subject_events(&owner(event), 100).await.unwrap();
            assert!(theirs.iter().any(|e| e.id == event.id), "{:?}", event.id);
        }
        // Rows of a claimed device that arrive later are attributed as they are written.
        let after = inventory("c", "sn-1");
        store
            .insert_events(std::slice::from_ref(&after))
            .await
            .unwrap();
        assert_eq!(store.counts().await.unwrap().unattributed_events, 0);
        let bobs = store.subject_events(&owner(&after), 100).await.unwrap();
        assert!(bobs.iter().any(|e| e.id == after.id));
        // Only the events that arrived unattributed have rows in the attribution index: the
        // shipments (Ann's and Bob's e-mails were claimed) and the later row were attributed as
        // they were written, and keep their identifiers in their bodies.
        let pool = sqlx::AnyPool::connect(&t.url).await.unwrap();
        let indexed: Vec<(String, i64)> =
            sqlx::query_as("SELECT value, event_key FROM event_identifiers ORDER BY value")
                .fetch_all(&pool)
                .await
                .unwrap();
        let values: Vec<&str> = indexed.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(values.len(), 2, "{indexed:?}");
        assert!(
            values.iter().all(|v| v.starts_with("serial:")),
            "{indexed:?}"
        );
        let shipped = store.subject_events(&owner(&before[0]), 100).await.unwrap();
        assert!(
            shipped
                .iter()
                .any(|e| e.identifiers.contains(&serial("sn-1"))
                    && matches!(e.kind, EventKind::Shipment(_)))
        );
        pool.close().await;
    }
}

#[tokio::test]
async fn times_below_the_microsecond_round_trip() {
    for t in TestStore::all().await.unwrap() {
        let store = &t.store;
        store
            .upsert_subjects(&[subject("1", vec![email("ann@example.com")])])
            .await
            .unwrap();
        let mut event = sign_in(
            EventId::derive("entra", &["n"]),
            0,
            vec![email("ann@example.com")],
        );
        event.time += Duration::nanoseconds(123_456_789);
        event.utc_offset_seconds = -18_000;
        store.insert_events(&[event.clone()]).await.unwrap();
        assert_eq!(
            store.attributed_events().await.unwrap(),
            attributed(&[event], "1")
        );
    }
}

#[tokio::test]
async fn every_attributed_event_reads_back_in_subject_time_id_order_across_decode_parts() {
    for t in TestStore::all().await.unwrap() {
        let store = &t.store;
        let logins = ["a@example.com", "b@example.com", "c@example.com"];
        store
            .upsert_subjects(&[
                subject("1", vec![email(logins[0])]),
                subject("2", vec![email(logins[1])]),
            ])
            .await
            .unwrap();
        // 9,000 events (6,000 attributed: two decode parts of 4,096), ten per second so that times tie, a
        // third of them unclaimed (c@).
        let events: Vec<Event> = (0..9_000)
            .map(|i| {
                sign_in(
                    EventId::derive("okta", &[&format!("r{i}")]),
                    (i / 10) as i64,
                    vec![email(logins[i % 3])],
                )
            })
            .collect();
        for batch in events.chunks(5_000) {
            store.insert_events(batch).await.unwrap();
        }
        let mut expect: Vec<Event> = events
            .iter()
            .filter(|e| e.identifiers[0] != email(logins[2]))
            .cloned()
            .map(|mut e| {
                let owner = if e.identifiers[0] == email(logins[0]) {
                    "1"
                } else {
                    "2"
                };
                e.subject = Some(SubjectId::new("ats", owner).unwrap());
                e
            })
            .collect();
        expect.sort_by(|a, b| (&a.subject, a.time, &a.id).cmp(&(&b.subject, b.time, &b.id)));
        let read = store.attributed_events().await.unwrap();
        assert_eq!(read.len(), 6_000);
        assert!(read == expect, "order or content differs");
    }
}

/// Checks that a store is as a normal load leaves it: with its read index, and on SQLite in WAL mode.
async fn assert_as_after_a_normal_load(url: &str) {
    assert_eq!(
        read_index_and_journal(url).await,
        (true, url.starts_with("sqlite").then(|| "wal".to_string()))
    );
}

/// Whether the subject time line index exists, and SQLite's journal mode (`None` on PostgreSQL).
///
/// SQLite is read through a `rusqlite` connection, closed when this returns: a sqlx pool hands its
/// connections back and closes them on other tasks, and one still open makes the store's next change
/// of journal mode fail with "database is locked".
async fn read_index_and_journal(url: &str) -> (bool, Option<String>) {
    const INDEX: &str = "events_subject_time";
    if let Some(file) = url.strip_prefix("sqlite://") {
        let file = file.split('?').next().unwrap();
        let db = rusqlite::Connection::open(file).unwrap();
        let found: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?1",
                [INDEX],
                |row| row.get(0),
            )
            .unwrap();
        let mode: String = db
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        return (found > 0, Some(mode));
    }
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let found: Vec<(String,)> =
        sqlx::query_as("SELECT indexname::text FROM pg_indexes WHERE indexname = $1")
            .bind(INDEX)
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    (!found.is_empty(), None)
}

#[tokio::test]
async fn a_bulk_load_stores_attributes_and_reads_like_any_other_and_ends_as_it_began() {
    for t in TestStore::all().await.unwrap() {
        let store = &t.store;
        assert_as_after_a_normal_load(&t.url).await;
        store.begin_bulk_load().await.unwrap();
        store
            .upsert_subjects(&[subject("1", vec![email("ann@example.com")])])
            .await
            .unwrap();
        let ann = sign_in(
            EventId::derive("okta", &["bulk-a"]),
            5,
            vec![email("ann@example.com")],
        );
        let earlier = sign_in(
            EventId::derive("okta", &["bulk-b"]),
            1,
            vec![email("ann@example.com")],
        );
        let device = inventory("bulk-c", "sn-9");
        let shipped = shipment("bulk-s", "ann@example.com", "sn-9");
        let stored = store
            .insert_events(&[ann.clone(), earlier.clone(), device.clone()])
            .await
            .unwrap();
        assert_eq!(stored.inserted, 3);
        // Idempotent and attributing as ever, and readable in order without the read index.
        assert_eq!(
            store
                .insert_events(std::slice::from_ref(&ann))
                .await
                .unwrap()
                .duplicates,
            1
        );
        store
            .insert_events(std::slice::from_ref(&shipped))
            .await
            .unwrap();
        assert_eq!(store.claim_shipped_devices().await.unwrap(), 1);
        let mut expect = attributed(&[earlier, ann, device, shipped], "1");
        expect.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
        assert_eq!(store.attributed_events().await.unwrap(), expect);

        store.end_bulk_load().await.unwrap();
        assert_eq!(store.attributed_events().await.unwrap(), expect);
        store.close().await;
        assert_as_after_a_normal_load(&t.url).await;
    }
}

#[tokio::test]
async fn a_bulk_load_that_stops_half_way_leaves_no_read_index_missing_after_a_restart() {
    for t in TestStore::all().await.unwrap() {
        t.store.begin_bulk_load().await.unwrap();
        t.store
            .insert_events(&[inventory("half-a", "sn-1")])
            .await
            .unwrap();
        // The process stops here: no end_bulk_load.
        t.store.close().await;
        assert!(!read_index_and_journal(&t.url).await.0);
        let reopened = Store::open(&t.url).await.unwrap();
        reopened.close().await;
        assert_as_after_a_normal_load(&t.url).await;
    }
}

#[tokio::test]
async fn a_store_in_memory_reads_its_events_through_its_own_connection_as_a_file_store_does() {
    // A file store reads events back through a second SQLite connection; one in memory cannot
    // (a second connection would open another, empty database) and reads through its pool.
    let dir = tempfile::tempdir().unwrap();
    let on_file = Store::open_data_dir(dir.path()).await.unwrap();
    let in_memory = Store::open("sqlite::memory:").await.unwrap();
    let mut read = Vec::new();
    for store in [&on_file, &in_memory] {
        store
            .upsert_subjects(&[subject("1", vec![email("ann@example.com")])])
            .await
            .unwrap();
        let events: Vec<Event> = (0..10_000)
            .map(|n| {
                sign_in(
                    EventId::derive("okta", &[&n.to_string()]),
                    n % 97,
                    vec![email("ann@example.com")],
                )
            })
            .collect();
        store.insert_events(&events).await.unwrap();
        read.push(store.attributed_events().await.unwrap());
    }
    assert_eq!(read[0].len(), 10_000);
    assert!(
        read[0]
            .windows(2)
            .all(|w| (w[0].time, &w[0].id) <= (w[1].time, &w[1].id))
    );
    assert_eq!(read[0], read[1]);
}
