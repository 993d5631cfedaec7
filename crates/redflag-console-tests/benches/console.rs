//! Server time of every console page with a million subjects in the store.
//!
//! Builds (once, then reuses) a SQLite store under `target/console-bench/` holding the console's fixture
//! population (a ring, sign-ins, a sanctioned wallet) plus `REDFLAG_BENCH_SUBJECTS` (default 1 000 000)
//! synthetic assessed subjects with findings, then sends each page through the real router in-process
//! (`tower::ServiceExt::oneshot`, no socket) and prints the median and worst of several runs.
//!
//! `cargo bench -p redflag-console-tests --bench console`

#![allow(clippy::unwrap_used)] // a benchmark harness: any failure should stop it loudly

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use redflag_model::{
    Assessment, Finding, PersonName, Provenance, RiskLevel, Severity, Stage, Subject, SubjectId,
    SubjectKind, VersionStamp,
};
use redflag_server::AppState;
use redflag_server::console::fixture;
use tower::ServiceExt;

const FIRST: &[&str] = &[
    "James", "Mary", "Wei", "Fatima", "Olga", "Juan", "Aiko", "Kwame", "Anna", "Omar", "Lucas",
    "Priya", "Noah", "Sara", "Ivan", "Mei", "Diego", "Leila", "Tom", "Nina",
];
const LAST: &[&str] = &[
    "Smith", "Garcia", "Chen", "Okafor", "Ivanova", "Silva", "Tanaka", "Mensah", "Kowalski",
    "Haddad", "Martin", "Raman", "Johnson", "Berg", "Petrov", "Lin", "Lopez", "Farah", "Brown",
    "Novak",
];
const RULES: &[(&str, Stage, Severity, f64)] = &[
    ("RF-NET-001", Stage::Network, Severity::High, 2.0),
    ("RF-NET-004", Stage::Network, Severity::High, 2.5),
    ("RF-ID-003", Stage::Identity, Severity::Medium, 1.2),
    ("RF-PAY-002", Stage::Payment, Severity::Medium, 1.0),
    ("RF-APP-001", Stage::Application, Severity::Low, 0.6),
    ("RF-SAN-001", Stage::Sanctions, Severity::Critical, 7.0),
];

/// A cheap deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

async fn fill(store: &redflag_store::Store, n: usize) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let at = Utc.with_ymd_and_hms(2025, 10, 1, 0, 0, 0).single().unwrap();
    let chunk = 20_000;
    let started = Instant::now();
    for start in (0..n).step_by(chunk) {
        let mut subjects = Vec::with_capacity(chunk);
        let mut assessments = Vec::with_capacity(chunk);
        for i in start..(start + chunk).min(n) {
            let id = SubjectId::new("bench", &format!("{i:07}")).unwrap();
            let name = format!(
                "{} {}",
                FIRST[rng.below(FIRST.len() as u64) as usize],
                LAST[rng.below(LAST.len() as u64) as usize]
            );
            subjects.push(Subject {
                id: id.clone(),
                kind: SubjectKind::Applicant,
                name: PersonName::new(Some(&name), None, None).unwrap(),
                claimed: Default::default(),
                role: None,
                identifiers: vec![
                    redflag_model::Identifier::email(&format!("user{i}@example.com")).unwrap(),
                ],
                attributes: Default::default(),
                provenance: Provenance::at_line("people_csv", "bench.csv", i as u64 + 2),
            });
            let roll = rng.below(1000);
            let (level, score, n_findings) = match roll {
                0..=4 => (RiskLevel::Critical, 0.9 + rng.below(100) as f64 / 1000.0, 3),
                5..=24 => (RiskLevel::High, 0.6 + rng.below(300) as f64 / 1000.0, 2),
                25..=124 => (RiskLevel::Medium, 0.2 + rng.below(400) as f64 / 1000.0, 1),
                _ => (RiskLevel::Low, rng.below(200) as f64 / 1000.0, 0),
            };
            let findings = (0..n_findings)
                .map(|_| {
                    let (rule, stage, severity, weight) = RULES[rng.below(5) as usize];
                    Finding {
                        subject: id.clone(),
                        rule_id: rule.into(),
                        title: format!("{rule} fired"),
                        stage,
                        severity,
                        weight,
                        explanation: "synthetic".into(),
                        evidence: vec![],
                        citations: vec![],
                    }
                })
                .collect();
            assessments.push(Assessment {
                subject: id,
                log_odds: score * 4.0 - 2.0,
                score,
                level,
                findings,
                sanctions: vec![],
                ring: None,
                versions: VersionStamp::default(),
                assessed_at: at + chrono::Duration::seconds(i as i64),
            });
        }
        store.upsert_subjects(&subjects).await.unwrap();
        store.save_assessments(&assessments).await.unwrap();
        if start % 200_000 == 0 {
            eprintln!(
                "  {start} subjects stored ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
}

async fn time(router: &axum::Router, method: &str, uri: &str, form: Option<&str>) -> Duration {
    let mut builder = Request::builder().method(method).uri(uri);
    if form.is_some() {
        builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let request = builder
        .body(Body::from(form.unwrap_or_default().to_string()))
        .unwrap();
    let started = Instant::now();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(
        status == StatusCode::OK,
        "{uri}: {status} {}",
        String::from_utf8_lossy(&bytes)
    );
    elapsed
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let n: usize = std::env::var("REDFLAG_BENCH_SUBJECTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../target/console-bench/{n}"));
    let store = redflag_store::Store::open_data_dir(&dir).await.unwrap();
    let engines = std::sync::Arc::new(
        tokio::task::spawn_blocking(redflag_pipeline::Engines::builtin)
            .await
            .unwrap()
            .unwrap(),
    );
    let counts = store.counts().await.unwrap();
    let ids = if counts.subjects < n as i64 {
        eprintln!("building a store of {n} subjects in {}", dir.display());
        let ids = fixture::populate(&store, &engines).await.unwrap();
        fill(&store, n).await;
        ids
    } else {
        eprintln!("reusing the store in {}", dir.display());
        fixture::populate(&store, &engines).await.unwrap()
    };
    let started = Instant::now();
    store.ensure_console_indexes().await.unwrap();
    eprintln!(
        "console indexes ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let counts = store.counts().await.unwrap();
    eprintln!(
        "store: {} subjects, {} assessments, {} events",
        counts.subjects, counts.assessments, counts.events
    );
    let router = redflag_server::console::routes()
        .with_state(AppState::new(store.clone()).with_engines(engines));

    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let member = enc(&ids.sanctioned);
    let pages: Vec<(&str, String, Option<String>)> = vec![
        ("overview", "/console".into(), None),
        ("subjects (score order)", "/console/subjects".into(), None),
        (
            "subjects level=high",
            "/console/subjects?level=high".into(),
            None,
        ),
        (
            "subjects level=low, deep cursor",
            "/console/subjects?level=low&after_key=0.05&after_id=bench%3A0500000".into(),
            None,
        ),
        (
            "subjects rule=RF-NET-004",
            "/console/subjects?rule=RF-NET-004".into(),
            None,
        ),
        (
            "subjects stage=network",
            "/console/subjects?stage=network".into(),
            None,
        ),
        (
            "subjects sort=name",
            "/console/subjects?sort=name".into(),
            None,
        ),
        (
            "subjects sort=name, deep cursor",
            "/console/subjects?sort=name&after_key=mei+lin&after_id=bench%3A0400000".into(),
            None,
        ),
        (
            "subjects search name prefix",
            "/console/subjects?q=priya+ra".into(),
            None,
        ),
        (
            "subjects search email",
            "/console/subjects?q=user424242%40example.com".into(),
            None,
        ),
        (
            "subject (ring member, 60 sign-ins)",
            format!("/console/subjects/{member}"),
            None,
        ),
        (
            "subject (synthetic)",
            "/console/subjects/bench%3A0123456".into(),
            None,
        ),
        ("ring", format!("/console/rings/{}", ids.ring), None),
        ("rings", "/console/rings".into(), None),
        ("rules (warm cache)", "/console/rules".into(), None),
        ("lists", "/console/lists".into(), None),
        ("cases", "/console/cases".into(), None),
        (
            "screen (name)",
            "/console/screen".into(),
            Some("name=Kim+Chol+Ho".into()),
        ),
        (
            "evidence pack (subject)",
            format!("/console/subjects/{member}/pack.zip"),
            None,
        ),
    ];
    let cold = time(&router, "GET", "/console/rules", None).await;
    println!(
        "{:<40} {:>9.1} ms (first call: per-rule hit counts over every finding, then cached 60 s)",
        "rules (cold)",
        cold.as_secs_f64() * 1e3
    );
    println!("{:<40} {:>9} {:>9}", "page", "median", "worst");
    let mut worst_median = Duration::ZERO;
    for (name, uri, form) in &pages {
        let method = if form.is_some() { "POST" } else { "GET" };
        let _ = time(&router, method, uri, form.as_deref()).await; // warm
        let mut samples = Vec::new();
        for _ in 0..7 {
            samples.push(time(&router, method, uri, form.as_deref()).await);
        }
        samples.sort();
        let median = samples[samples.len() / 2];
        worst_median = worst_median.max(median);
        println!(
            "{:<40} {:>6.1} ms {:>6.1} ms",
            name,
            median.as_secs_f64() * 1e3,
            samples[samples.len() - 1].as_secs_f64() * 1e3
        );
    }
    println!(
        "slowest median: {:.1} ms ({} subjects)",
        worst_median.as_secs_f64() * 1e3,
        counts.subjects
    );
}
