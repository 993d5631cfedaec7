//! The store on SQLite and (when `REDFLAG_TEST_DATABASE_URL` is set) PostgreSQL: round trips, idempotent events, attribution of events to subjects.

#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use chrono::{TimeZone, Utc};
use redflag_model::{
    Assessment, Event, EventId, EventKind, Identifier, PersonName, Provenance, RiskLevel, SignIn,
    SignInOutcome, Subject, SubjectId, SubjectKind, VersionStamp,
};
use redflag_store::testing::TestStore;
use redflag_store::{EventInsert, Store};

fn subject(id: &str, email: &str) -> Subject {
    Subject {
        id: SubjectId::new("ats", id).unwrap(),
        kind: SubjectKind::Applicant,
        name: PersonName::new(Some(&format!("Person {id}")), None, None).unwrap(),
        claimed: Default::default(),
        role: None,
        identifiers: vec![Identifier::email(email).unwrap()],
        attributes: Default::default(),
        provenance: Provenance::at_line("people-csv", "people.csv", 2),
    }
}

fn sign_in(uuid: &str, login: &str) -> Event {
    Event {
        id: EventId::derive("okta", &[uuid]),
        time: Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap(),
        utc_offset_seconds: 0,
        kind: EventKind::SignIn(SignIn {
            ip: "175.45.176.3".parse().ok(),
            user_agent: None,
            outcome: SignInOutcome::Success,
            application: None,
            provider_country: None,
        }),
        identifiers: vec![Identifier::email(login).unwrap()],
        subject: None,
        provenance: Provenance::at_line("okta", "okta.json", 1),
    }
}

#[tokio::test]
async fn events_are_idempotent_and_attributed_when_their_owner_arrives() {
    for t in TestStore::all().await.unwrap() {
        let store = &t.store;
        store
            .upsert_subjects(&[subject("1", "ann@example.com")])
            .await
            .unwrap();

        let batch = [
            sign_in("u1", "ann@example.com"),
            sign_in("u2", "bob@example.com"),
        ];
        assert_eq!(
            store.insert_events(&batch).await.unwrap(),
            EventInsert {
                inserted: 2,
                duplicates: 0
            }
        );
        assert_eq!(
            store.insert_events(&batch).await.unwrap(),
            EventInsert {
                inserted: 0,
                duplicates: 2
            }
        );
        let counts = store.counts().await.unwrap();
        assert_eq!((counts.events, counts.unattributed_events), (2, 1));

        // Bob's people record arrives later: his sign-in is attributed to him, not lost.
        store
            .upsert_subjects(&[subject("2", "bob@example.com")])
            .await
            .unwrap();
        let events = store.attributed_events().await.unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].subject.as_ref().unwrap().as_str(), "ats:2");
        assert_eq!(
            events[1],
            Event {
                subject: events[1].subject.clone(),
                ..sign_in("u2", "bob@example.com")
            }
        );
    }
}

#[tokio::test]
async fn an_event_claimed_by_two_subjects_goes_to_the_lowest_id_in_any_batch_size() {
    for t in TestStore::all().await.unwrap() {
        let store = &t.store;
        store
            .upsert_subjects(&[
                subject("9", "shared@example.com"),
                subject("3", "shared@example.com"),
                subject("5", "eve@example.com"),
            ])
            .await
            .unwrap();
        // A batch larger than one statement, with one identifier claimed twice, one claimed once and
        // one nobody claims, each event also carrying a second identifier nobody claims.
        let logins = [
            "shared@example.com",
            "eve@example.com",
            "nobody@example.com",
        ];
        let batch: Vec<Event> = (0..1500)
            .map(|i| {
                let mut event = sign_in(&format!("e{i}"), logins[i % 3]);
                event
                    .identifiers
                    .push(Identifier::email(&format!("alias{i}@example.com")).unwrap());
                event
            })
            .collect();
        let stored = store.insert_events(&batch).await.unwrap();
        assert_eq!(stored.inserted, 1500);
        let counts = store.counts().await.unwrap();
        assert_eq!(counts.unattributed_events, 500);
        let events = store.attributed_events().await.unwrap();
        let owners: std::collections::BTreeMap<&str, usize> =
            events.iter().fold(Default::default(), |mut m, e| {
                *m.entry(e.subject.as_ref().unwrap().as_str()).or_default() += 1;
                m
            });
        assert_eq!(
            owners.into_iter().collect::<Vec<_>>(),
            vec![("ats:3", 500), ("ats:5", 500)]
        );
        // The owner of the unclaimed login arrives: only its 500 events move.
        store
            .upsert_subjects(&[subject("7", "nobody@example.com")])
            .await
            .unwrap();
        assert_eq!(store.counts().await.unwrap().unattributed_events, 0);
        let of_7 = store
            .subject_events(&SubjectId::new("ats", "7").unwrap(), 10_000)
            .await
            .unwrap();
        assert_eq!(of_7.len(), 500);
    }
}

#[tokio::test]
async fn subjects_and_assessments_round_trip() {
    for t in TestStore::all().await.unwrap() {
        let store = &t.store;
        let ann = subject("1", "ann@example.com");
        store
            .upsert_subjects(&[ann.clone(), subject("2", "bob@example.com")])
            .await
            .unwrap();
        // Re-ingesting the same person replaces, never duplicates.
        store
            .upsert_subjects(std::slice::from_ref(&ann))
            .await
            .unwrap();
        assert_eq!(store.subjects().await.unwrap().len(), 2);
        assert_eq!(store.subject(&ann.id).await.unwrap(), Some(ann.clone()));

        let assessment = |id: &str, score: f64, level| Assessment {
            subject: SubjectId::new("ats", id).unwrap(),
            log_odds: 0.0,
            score,
            level,
            findings: vec![],
            sanctions: vec![],
            ring: None,
            versions: VersionStamp::default(),
            assessed_at: Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap(),
        };
        store
            .save_assessments(&[
                assessment("1", 0.2, RiskLevel::Low),
                assessment("2", 0.9, RiskLevel::High),
            ])
            .await
            .unwrap();
        let all = store.assessments(RiskLevel::Low, 10).await.unwrap();
        assert_eq!(
            all.iter().map(|a| a.subject.as_str()).collect::<Vec<_>>(),
            ["ats:2", "ats:1"]
        );
        let high = store.assessments(RiskLevel::High, 10).await.unwrap();
        assert_eq!(high.len(), 1);
        store.ping().await.unwrap();
    }
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error() {
    let err = Store::open("sqlite:///nonexistent-dir/x/y.db")
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .starts_with("cannot open database sqlite:///nonexistent-dir/x/y.db"),
        "{err}"
    );
}
