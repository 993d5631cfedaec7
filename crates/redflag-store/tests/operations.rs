//! Cases, the audit chain, credentials, the job queue, alerts, versions and privacy, on SQLite and
//! (when `REDFLAG_TEST_DATABASE_URL` is set) PostgreSQL.

#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use std::time::Duration;

use chrono::{TimeZone, Utc};
use redflag_model::{
    Event, EventId, EventKind, Identifier, PersonName, Provenance, SignIn, SignInOutcome, Subject,
    SubjectId, SubjectKind,
};
use redflag_store::testing::TestStore;
use redflag_store::{AuditVerdict, CaseFilter, CaseTarget, Decision, NewJob, Store, StoreError};

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

fn sign_in(uuid: &str, login: &str, day: u32) -> Event {
    Event {
        id: EventId::derive("okta", &[uuid]),
        time: Utc.with_ymd_and_hms(2026, 3, day, 9, 30, 0).unwrap(),
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

async fn stores() -> Vec<TestStore> {
    TestStore::all().await.unwrap()
}

/// Edits a stored audit record the way an attacker with database access would (dropping the
/// append-only trigger first).
async fn tamper(t: &TestStore, sql: &str) {
    let pool = sqlx::AnyPool::connect(&t.url).await.unwrap();
    let drops: &[&str] = match t.store.backend() {
        redflag_store::Backend::Sqlite => &[
            "DROP TRIGGER IF EXISTS audit_log_no_update",
            "DROP TRIGGER IF EXISTS audit_log_no_delete",
        ],
        redflag_store::Backend::Postgres => {
            &["DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log"]
        }
    };
    for drop in drops {
        sqlx::query(drop).execute(&pool).await.unwrap();
    }
    sqlx::query(sql).execute(&pool).await.unwrap();
    pool.close().await;
}

#[tokio::test]
async fn batches_with_repeats_write_each_record_once() {
    for t in stores().await {
        let store = &t.store;
        let mut people: Vec<Subject> = (0..1200)
            .map(|i| subject(&i.to_string(), &format!("p{i}@example.com")))
            .collect();
        // The same person twice in one batch: the last one wins.
        let mut again = subject("7", "seven-new@example.com");
        again.role = Some("engineer".into());
        people.push(again.clone());
        assert_eq!(store.upsert_subjects(&people).await.unwrap(), 1201);
        assert_eq!(store.counts().await.unwrap().subjects, 1200);
        assert_eq!(store.subject(&again.id).await.unwrap(), Some(again));

        let events: Vec<Event> = (0..1100)
            .map(|i| {
                sign_in(
                    &format!("e{}", i % 1000),
                    &format!("p{}@example.com", i % 1000),
                    1,
                )
            })
            .collect();
        let outcome = store.insert_events(&events).await.unwrap();
        assert_eq!((outcome.inserted, outcome.duplicates), (1000, 100));
        let outcome = store.insert_events(&events).await.unwrap();
        assert_eq!((outcome.inserted, outcome.duplicates), (0, 1100));
        let counts = store.counts().await.unwrap();
        // p7's address changed, so its sign-in stays unattributed.
        assert_eq!((counts.events, counts.unattributed_events), (1000, 1));
    }
}

#[tokio::test]
async fn cases_decisions_and_overrides_are_audited_in_a_chain() {
    for t in stores().await {
        let store = &t.store;
        let case = store
            .open_case("user:ana", CaseTarget::Subject, "ats:1", "Astrill sign-ins")
            .await
            .unwrap();
        assert_eq!(case.status, "open");
        store.assign_case("user:ana", case.id, "bo").await.unwrap();
        store
            .comment_case(
                "user:bo",
                case.id,
                "Asked HR for the laptop shipping address",
            )
            .await
            .unwrap();
        let decided = store
            .decide_case(
                "user:bo",
                case.id,
                Decision::Escalated,
                "needs security review",
            )
            .await
            .unwrap();
        assert_eq!(
            (decided.status.as_str(), decided.decision),
            ("open", Some(Decision::Escalated))
        );
        let decided = store
            .decide_case(
                "user:cy",
                case.id,
                Decision::Confirmed,
                "laptop farm address",
            )
            .await
            .unwrap();
        assert_eq!(decided.status, "decided");
        assert_eq!(decided.assignee.as_deref(), Some("bo"));
        assert_eq!(store.case_decisions(case.id).await.unwrap().len(), 2);
        assert_eq!(store.case_comments(case.id).await.unwrap().len(), 1);
        let open = store
            .cases(&CaseFilter {
                status: Some("open".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(open.is_empty());
        assert!(matches!(
            store.decide_case("x", 999, Decision::Cleared, "r").await,
            Err(StoreError::NotFound { .. })
        ));

        let records = store.audit_records(0, 100).await.unwrap();
        let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "case.open",
                "case.assign",
                "case.comment",
                "case.decide",
                "case.override"
            ]
        );
        assert!(records[4].detail.contains("\"previous\":\"escalated\""));
        assert_eq!(records[0].prev_hash, redflag_store::GENESIS_HASH);
        assert_eq!(records[1].prev_hash, records[0].hash);
        match store.verify_audit().await.unwrap() {
            AuditVerdict::Intact { records, .. } => assert_eq!(records, 5),
            broken => panic!("{broken:?}"),
        }

        // The database refuses edits…
        let pool = sqlx::AnyPool::connect(&t.url).await.unwrap();
        assert!(
            sqlx::query("UPDATE audit_log SET actor = 'x' WHERE seq = 2")
                .execute(&pool)
                .await
                .is_err()
        );
        assert!(
            sqlx::query("DELETE FROM audit_log")
                .execute(&pool)
                .await
                .is_err()
        );
        pool.close().await;
        // …and an edit that gets past the trigger is found, at the first broken record.
        tamper(
            &t,
            "UPDATE audit_log SET detail = '{\"decision\":\"cleared\"}' WHERE seq = 4",
        )
        .await;
        match store.verify_audit().await.unwrap() {
            AuditVerdict::Broken { seq, reason } => {
                assert_eq!(seq, 4);
                assert!(reason.contains("edited"), "{reason}");
            }
            intact => panic!("tampering not found: {intact:?}"),
        }
    }
}

#[tokio::test]
async fn deleted_and_truncated_audit_records_are_found() {
    for t in stores().await {
        let store = &t.store;
        for i in 0..5 {
            store
                .audit(
                    "cli",
                    "test.event",
                    &format!("n:{i}"),
                    &serde_json::json!({}),
                )
                .await
                .unwrap();
        }
        tamper(&t, "DELETE FROM audit_log WHERE seq = 5").await;
        match store.verify_audit().await.unwrap() {
            AuditVerdict::Broken { seq, reason } => {
                assert_eq!(seq, 5);
                assert!(reason.contains("removed"), "{reason}");
            }
            intact => panic!("{intact:?}"),
        }
        tamper(&t, "DELETE FROM audit_log WHERE seq = 2").await;
        match store.verify_audit().await.unwrap() {
            AuditVerdict::Broken { seq, reason } => {
                assert_eq!(seq, 2);
                assert!(reason.contains("missing"), "{reason}");
            }
            intact => panic!("{intact:?}"),
        }
    }
}

#[tokio::test]
async fn concurrent_appenders_extend_one_chain() {
    for t in stores().await {
        let mut tasks = Vec::new();
        for i in 0..20 {
            let store = t.store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .audit(
                        "worker",
                        "test.event",
                        &format!("n:{i}"),
                        &serde_json::json!({ "i": i }),
                    )
                    .await
                    .unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert!(matches!(
            t.store.verify_audit().await.unwrap(),
            AuditVerdict::Intact { records: 20, .. }
        ));
    }
}

#[tokio::test]
async fn tokens_users_and_sessions() {
    for t in stores().await {
        let store = &t.store;
        assert!(!store.has_credentials().await.unwrap());
        let token = store
            .create_token("system", "ats", "rf_secret_1", &["read", "screen"])
            .await
            .unwrap();
        assert!(store.has_credentials().await.unwrap());
        let found = store.token_by_secret("rf_secret_1").await.unwrap().unwrap();
        assert_eq!(found.scopes, ["read", "screen"]);
        assert!(
            store
                .token_by_secret("rf_secret_2")
                .await
                .unwrap()
                .is_none()
        );
        // Only the hash is stored.
        let pool = sqlx::AnyPool::connect(&t.url).await.unwrap();
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE token_hash LIKE '%secret%'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(n, 0);
        pool.close().await;
        store.revoke_token("system", token.id).await.unwrap();
        assert!(
            store
                .token_by_secret("rf_secret_1")
                .await
                .unwrap()
                .is_none()
        );

        let user = store
            .create_user("system", "ana", "$argon2id$fake", "analyst")
            .await
            .unwrap();
        assert!(matches!(
            store
                .create_user("system", "ana", "$argon2id$x", "admin")
                .await,
            Err(StoreError::Conflict { .. })
        ));
        let (again, hash) = store.user_with_hash("ana").await.unwrap().unwrap();
        assert_eq!((again, hash.as_str()), (user.clone(), "$argon2id$fake"));
        let later = Utc::now() + chrono::Duration::hours(1);
        store
            .create_session("sess-1", user.id, "csrf-1", later)
            .await
            .unwrap();
        let session = store.session("sess-1").await.unwrap().unwrap();
        assert_eq!(
            (session.user.username.as_str(), session.csrf.as_str()),
            ("ana", "csrf-1")
        );
        store
            .create_session(
                "sess-old",
                user.id,
                "c",
                Utc::now() - chrono::Duration::seconds(1),
            )
            .await
            .unwrap();
        assert!(store.session("sess-old").await.unwrap().is_none());
        store.delete_session("sess-1").await.unwrap();
        assert!(store.session("sess-1").await.unwrap().is_none());
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditVerdict::Intact { records: 3, .. }
        ));
    }
}

#[tokio::test]
async fn jobs_are_claimed_once_retried_after_a_lost_lease_and_deduplicated() {
    for t in stores().await {
        let store = &t.store;
        let id = store
            .enqueue_job(&NewJob {
                kind: "ingest".into(),
                payload: serde_json::json!({ "kind": "people" }),
                blob: Some(b"id,name\n1,Ann\n".to_vec()),
                max_attempts: Some(3),
                ..Default::default()
            })
            .await
            .unwrap()
            .unwrap();
        let assess = NewJob {
            kind: "assess".into(),
            dedupe_key: Some("assess".into()),
            ..Default::default()
        };
        assert!(store.enqueue_job(&assess).await.unwrap().is_some());
        assert!(
            store.enqueue_job(&assess).await.unwrap().is_none(),
            "deduplicated"
        );

        let lease = Duration::from_millis(300);
        let job = store.claim_job("w1", lease).await.unwrap().unwrap();
        assert_eq!((job.id, job.attempts), (id, 1));
        assert_eq!(
            store.job_blob(id).await.unwrap().unwrap(),
            b"id,name\n1,Ann\n"
        );
        let second = store.claim_job("w2", lease).await.unwrap().unwrap();
        assert_eq!(second.kind, "assess");
        assert!(store.claim_job("w2", lease).await.unwrap().is_none());
        // An assess job may be queued again while one runs.
        assert!(store.enqueue_job(&assess).await.unwrap().is_some());
        assert!(
            store
                .complete_job(second.id, "w2", &serde_json::json!({}))
                .await
                .unwrap()
        );

        // w1 dies: its lease passes and w2 takes the job over; w1 can no longer finish it.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let retried = store.claim_job("w2", lease).await.unwrap().unwrap();
        assert_eq!((retried.id, retried.attempts), (id, 2));
        assert!(
            !store
                .complete_job(id, "w1", &serde_json::json!({}))
                .await
                .unwrap()
        );
        assert!(store.heartbeat_job(id, "w2", lease).await.unwrap());
        store
            .fail_job(id, "w2", "database hiccup", Duration::ZERO)
            .await
            .unwrap();
        let status = store.job(id).await.unwrap().unwrap();
        assert_eq!((status.status.as_str(), status.attempts), ("queued", 2));
        let third = store.claim_job("w3", lease).await.unwrap().unwrap();
        // Both the ingest job (attempt 3) and the queued assess job are ready; the older comes first.
        assert_eq!((third.id, third.attempts), (id, 3));
        store
            .fail_job(id, "w3", "still broken", Duration::ZERO)
            .await
            .unwrap();
        let status = store.job(id).await.unwrap().unwrap();
        assert_eq!(status.status, "failed");
        assert_eq!(status.last_error.as_deref(), Some("still broken"));
    }
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_job() {
    for t in stores().await {
        for i in 0..40 {
            t.store
                .enqueue_job(&NewJob {
                    kind: "noop".into(),
                    payload: serde_json::json!({ "i": i }),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
        let mut tasks = Vec::new();
        for w in 0..4 {
            let store: Store = t.store.clone();
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(job) = store
                    .claim_job(&format!("w{w}"), Duration::from_secs(60))
                    .await
                    .unwrap()
                {
                    assert!(
                        store
                            .complete_job(job.id, &format!("w{w}"), &serde_json::json!({}))
                            .await
                            .unwrap()
                    );
                    mine.push(job.id);
                }
                mine
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all.sort();
        let before = all.len();
        all.dedup();
        assert_eq!((before, all.len()), (40, 40));
    }
}

#[tokio::test]
async fn alerts_are_queued_once_and_retried() {
    for t in stores().await {
        let store = &t.store;
        let payload = serde_json::json!({ "subject": "ats:1", "level": "high" });
        assert!(
            store
                .enqueue_alert("assessment", "ats:1", "ats:1:high:abc", &payload)
                .await
                .unwrap()
        );
        assert!(
            !store
                .enqueue_alert("assessment", "ats:1", "ats:1:high:abc", &payload)
                .await
                .unwrap()
        );
        let due = store
            .claim_alerts(10, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(due.len(), 1);
        assert!(
            store
                .claim_alerts(10, Duration::from_secs(60))
                .await
                .unwrap()
                .is_empty()
        );
        store
            .alert_failed(due[0].id, "503", Duration::ZERO, false)
            .await
            .unwrap();
        let again = store
            .claim_alerts(10, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(again[0].attempts, 2);
        store.alert_delivered(again[0].id).await.unwrap();
        assert_eq!(
            store.alert_counts().await.unwrap(),
            [("delivered".to_string(), 1)]
        );
    }
}

#[tokio::test]
async fn versions_are_recorded_once_and_audited() {
    for t in stores().await {
        let store = &t.store;
        assert!(
            store
                .record_list_version("system", "us-ofac-sdn", "2025-11-19", "ab", 18000)
                .await
                .unwrap()
        );
        assert!(
            !store
                .record_list_version("system", "us-ofac-sdn", "2025-11-19", "ab", 18000)
                .await
                .unwrap()
        );
        assert!(store.record_rule_pack("system", "rp-1", 84).await.unwrap());
        assert!(store.record_rule_pack("system", "rp-2", 85).await.unwrap());
        assert_eq!(store.list_versions().await.unwrap().len(), 1);
        assert_eq!(store.rule_pack_versions().await.unwrap().len(), 2);
        let actions: Vec<String> = store
            .audit_records(0, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert_eq!(actions, ["lists.update", "rules.change", "rules.change"]);
    }
}

#[tokio::test]
async fn export_then_erase_keeps_only_the_fact_of_erasure() {
    for t in stores().await {
        let store = &t.store;
        let ann = subject("1", "ann@example.com");
        store
            .upsert_subjects(&[ann.clone(), subject("2", "bob@example.com")])
            .await
            .unwrap();
        store
            .insert_events(&[
                sign_in("a", "ann@example.com", 1),
                sign_in("b", "bob@example.com", 2),
            ])
            .await
            .unwrap();
        let case = store
            .open_case("user:ana", CaseTarget::Subject, "ats:1", "Person 1 review")
            .await
            .unwrap();
        store
            .comment_case("user:ana", case.id, "Person 1 said …")
            .await
            .unwrap();
        store
            .decide_case(
                "user:ana",
                case.id,
                Decision::Cleared,
                "Person 1 verified in person",
            )
            .await
            .unwrap();

        let export = store.export_subject("ats:1").await.unwrap().unwrap();
        assert_eq!(export.events.len(), 1);
        assert_eq!(export.cases.len(), 1);
        assert!(
            serde_json::to_string(&export)
                .unwrap()
                .contains("ann@example.com")
        );
        assert!(store.export_subject("ats:9").await.unwrap().is_none());

        let counts = store.erase_subject("user:admin", "ats:1").await.unwrap();
        assert_eq!((counts.subjects, counts.events, counts.cases), (1, 1, 1));
        assert!(store.export_subject("ats:1").await.unwrap().is_none());
        assert_eq!(store.counts().await.unwrap().subjects, 1);
        let case = store.case(case.id).await.unwrap().unwrap();
        assert_eq!(case.decision, Some(Decision::Cleared));
        assert_eq!(case.title, "[erased]");
        assert!(store.case_comments(case.id).await.unwrap().is_empty());
        // Nothing personal survives anywhere in the database file's tables we read back.
        let pool = sqlx::AnyPool::connect(&t.url).await.unwrap();
        for table in [
            "subjects",
            "identifiers",
            "events",
            "event_identifiers",
            "cases",
            "case_comments",
            "decisions",
            "audit_log",
        ] {
            let rows = sqlx::query(&format!("SELECT * FROM {table}"))
                .fetch_all(&pool)
                .await
                .unwrap();
            for row in rows {
                use sqlx::Row;
                for i in 0..row.len() {
                    if let Ok(text) = row.try_get::<String, _>(i) {
                        assert!(!text.contains("ann@example.com"), "{table}: {text}");
                        assert!(!text.contains("Person 1"), "{table}: {text}");
                    }
                }
            }
        }
        pool.close().await;
        let last = store.audit_records(0, 100).await.unwrap().pop().unwrap();
        assert_eq!(
            (last.action.as_str(), last.target.as_str()),
            ("subject.erase", "subject:ats:1")
        );
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditVerdict::Intact { .. }
        ));
        assert!(matches!(
            store.erase_subject("user:admin", "ats:1").await,
            Err(StoreError::NotFound { .. })
        ));
    }
}

#[tokio::test]
async fn retention_removes_old_events_only() {
    for t in stores().await {
        let store = &t.store;
        store
            .upsert_subjects(&[subject("1", "ann@example.com")])
            .await
            .unwrap();
        store
            .insert_events(&[
                sign_in("old", "ann@example.com", 1),
                sign_in("new", "ann@example.com", 20),
            ])
            .await
            .unwrap();
        let cutoff = Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap();
        let removed = store.apply_retention("system", cutoff).await.unwrap();
        assert_eq!(removed.events, 1);
        assert_eq!(store.counts().await.unwrap().events, 1);
        let last = store.audit_records(0, 10).await.unwrap().pop().unwrap();
        assert_eq!(last.action, "retention.apply");
    }
}
