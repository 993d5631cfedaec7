//! Background work: the jobs the queue holds (ingest, assess, retention) and webhook alert delivery.
//!
//! A [`Worker`] claims one job at a time with a lease it keeps extending while it works; if the process
//! dies the lease runs out and another worker re-runs the job. Every job is idempotent: ingest upserts
//! subjects by their stable ids and events by theirs, assess replaces facts and assessments, and alerts
//! carry a dedupe key (subject, level and fired rules), so re-running a job never duplicates data or
//! alerts. Alerts are POSTed as JSON with an HMAC-SHA256 signature and retried with exponential backoff.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use redflag_connectors::people::{PeopleMapping, PeopleReader};
use redflag_model::{Event, RiskLevel, Subject};
use redflag_pipeline::Engines;
use redflag_store::{Job, NewJob, Store, StoreError};
use serde::Serialize;
use sha2::Sha256;

/// The input kinds ingest jobs read.
pub const INGEST_KINDS: [&str; 9] = [
    "people",
    "okta",
    "entra",
    "google",
    "osquery",
    "github",
    "payroll",
    "shipping",
    "marketplace",
];

/// A worker failure (the job is retried; the message is stored with it).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The job's parameters or data are unusable.
    #[error("job {id} ({kind}): {reason}")]
    Job {
        /// Job id.
        id: i64,
        /// Job kind.
        kind: String,
        /// Why.
        reason: String,
    },
    /// The engines could not be built.
    #[error("cannot build the engines: {0}")]
    Engines(String),
}

/// Where alerts go.
#[derive(Debug, Clone, Default)]
pub struct Webhook {
    /// `https://…` (or `http://…`) URL that receives a POST per alert.
    pub url: String,
    /// The HMAC key.
    pub secret: String,
    /// The certificate authorities an `https` webhook's certificate must chain to.
    pub roots: TlsRoots,
}

/// Trust anchors for `https` webhooks.
#[derive(Debug, Clone, Default)]
pub enum TlsRoots {
    /// Mozilla's root programme (the `webpki-roots` crate, compiled in): public CAs only.
    #[default]
    WebPki,
    /// These roots only (a private CA, or a test's self-signed certificate).
    Custom(Arc<rustls::RootCertStore>),
    /// Mozilla's roots plus these (a private CA next to public receivers).
    WebPkiAnd(Arc<rustls::RootCertStore>),
}

impl TlsRoots {
    /// Roots from PEM certificates (e.g. `--webhook-ca ca.pem`), on top of Mozilla's.
    pub fn with_pem(pem: &[u8]) -> Result<TlsRoots, String> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut store = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("not a PEM certificate: {e}"))?;
            store
                .add(cert)
                .map_err(|e| format!("unusable CA certificate: {e}"))?;
        }
        if store.is_empty() {
            return Err("no CERTIFICATE block in the PEM file".into());
        }
        Ok(TlsRoots::WebPkiAnd(Arc::new(store)))
    }

    fn store(&self) -> rustls::RootCertStore {
        let webpki = || rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        match self {
            TlsRoots::WebPki => webpki(),
            TlsRoots::Custom(store) => (**store).clone(),
            TlsRoots::WebPkiAnd(extra) => {
                let mut store = webpki();
                store.roots.extend(extra.roots.iter().cloned());
                store
            }
        }
    }

    /// A TLS client configuration trusting these roots (ring provider, TLS 1.2 and 1.3).
    pub fn client_config(&self) -> Result<rustls::ClientConfig, String> {
        Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(self.store())
        .with_no_client_auth())
    }
}

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// This worker's name in the queue (`host:pid` by default).
    pub id: String,
    /// How long a claim lasts without a heartbeat.
    pub lease: Duration,
    /// How long to sleep when the queue is empty.
    pub poll: Duration,
    /// Subjects or events per write batch.
    pub batch: usize,
    /// Alert delivery, when configured.
    pub webhook: Option<Webhook>,
    /// Queue an assessment run after each ingest (default true).
    pub assess_after_ingest: bool,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            id: format!("worker-{}", std::process::id()),
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(500),
            batch: 5000,
            webhook: None,
            assess_after_ingest: true,
        }
    }
}

/// What one job did.
#[derive(Debug, Clone, Serialize)]
pub struct JobReport {
    /// Job id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// Its result, or the error it failed with.
    pub outcome: Result<serde_json::Value, String>,
}

/// Runs jobs from the queue.
#[derive(Clone)]
pub struct Worker {
    store: Store,
    engines: crate::SharedEngines,
    config: WorkerConfig,
}

type HmacSha256 = Hmac<Sha256>;

/// The signature header value of a webhook body: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

impl Worker {
    /// A worker over a store; the engines are built on the first assess job.
    pub fn new(store: Store, config: WorkerConfig) -> Self {
        Self {
            store,
            engines: Arc::default(),
            config,
        }
    }

    /// A worker with engines already built (tests, or a server that has them).
    pub fn with_engines(store: Store, config: WorkerConfig, engines: Arc<Engines>) -> Self {
        let cell = tokio::sync::OnceCell::new();
        let _ = cell.set(engines);
        Self {
            store,
            engines: Arc::new(cell),
            config,
        }
    }

    /// A worker sharing an engine cell with the API ([`crate::AppState::with_shared_engines`]).
    pub fn with_shared_engines(
        store: Store,
        config: WorkerConfig,
        engines: crate::SharedEngines,
    ) -> Self {
        Self {
            store,
            engines,
            config,
        }
    }

    async fn engines(&self) -> Result<Arc<Engines>, WorkerError> {
        self.engines
            .get_or_try_init(|| async {
                tokio::task::spawn_blocking(Engines::builtin)
                    .await
                    .map_err(|e| WorkerError::Engines(e.to_string()))?
                    .map(Arc::new)
                    .map_err(|e| WorkerError::Engines(e.to_string()))
            })
            .await
            .cloned()
    }

    /// Claims and runs one job; `None` when the queue has nothing ready.
    pub async fn run_once(&self) -> Result<Option<JobReport>, WorkerError> {
        let Some(job) = self
            .store
            .claim_job(&self.config.id, self.config.lease)
            .await?
        else {
            return Ok(None);
        };
        // Keep the lease while the job runs.
        let heartbeat = {
            let store = self.store.clone();
            let id = self.config.id.clone();
            let lease = self.config.lease;
            let job_id = job.id;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(lease / 3).await;
                    if !matches!(store.heartbeat_job(job_id, &id, lease).await, Ok(true)) {
                        break;
                    }
                }
            })
        };
        let outcome = self.execute(&job).await;
        heartbeat.abort();
        let report = match outcome {
            Ok(result) => {
                self.store
                    .complete_job(job.id, &self.config.id, &result)
                    .await?;
                JobReport {
                    id: job.id,
                    kind: job.kind.clone(),
                    outcome: Ok(result),
                }
            }
            Err(error) => {
                let message = error.to_string();
                tracing::warn!(job = job.id, kind = %job.kind, error = %message, "job failed");
                let backoff =
                    Duration::from_secs(2u64.saturating_pow(job.attempts as u32).min(300));
                self.store
                    .fail_job(job.id, &self.config.id, &message, backoff)
                    .await?;
                JobReport {
                    id: job.id,
                    kind: job.kind.clone(),
                    outcome: Err(message),
                }
            }
        };
        Ok(Some(report))
    }

    /// Runs jobs and delivers alerts until `shutdown` resolves.
    pub async fn run(
        &self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), WorkerError> {
        tokio::pin!(shutdown);
        loop {
            let worked = match self.run_once().await {
                Ok(report) => report.is_some(),
                Err(error) => {
                    tracing::error!(%error, "worker loop");
                    false
                }
            };
            if self.config.webhook.is_some()
                && let Err(error) = self.deliver_alerts().await
            {
                tracing::error!(%error, "alert delivery");
            }
            if !worked {
                tokio::select! {
                    _ = &mut shutdown => return Ok(()),
                    _ = tokio::time::sleep(self.config.poll) => {}
                }
            }
        }
    }

    /// Runs until the queue has nothing ready; returns the reports (tests, `worker --drain`).
    pub async fn drain(&self) -> Result<Vec<JobReport>, WorkerError> {
        let mut reports = Vec::new();
        while let Some(report) = self.run_once().await? {
            reports.push(report);
        }
        if self.config.webhook.is_some() {
            self.deliver_alerts().await?;
        }
        Ok(reports)
    }

    async fn execute(&self, job: &Job) -> Result<serde_json::Value, WorkerError> {
        let bad = |reason: String| WorkerError::Job {
            id: job.id,
            kind: job.kind.clone(),
            reason,
        };
        match job.kind.as_str() {
            "ingest" => self.ingest(job).await,
            "assess" => self.assess().await,
            "retention" => {
                let days = job
                    .payload
                    .get("days")
                    .and_then(serde_json::Value::as_i64)
                    .ok_or_else(|| bad("retention needs `days`".into()))?;
                let cutoff = Utc::now() - chrono::Duration::days(days.max(1));
                let counts = self.store.apply_retention("worker", cutoff).await?;
                Ok(serde_json::to_value(counts).unwrap_or_default())
            }
            "noop" => Ok(serde_json::json!({})),
            other => Err(bad(format!("unknown job kind {other:?}"))),
        }
    }

    async fn ingest(&self, job: &Job) -> Result<serde_json::Value, WorkerError> {
        let bad = |reason: String| WorkerError::Job {
            id: job.id,
            kind: job.kind.clone(),
            reason,
        };
        let text = |key: &str, default: &str| {
            job.payload
                .get(key)
                .and_then(serde_json::Value::as_str)
                .unwrap_or(default)
                .to_string()
        };
        let kind = text("kind", "");
        let system = text("system", "api");
        let source = text("source", "upload");
        let mapping = job
            .payload
            .get("mapping")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string);
        let blob = self
            .store
            .job_blob(job.id)
            .await?
            .ok_or_else(|| bad("the job has no data".into()))?;
        let parsed = tokio::task::spawn_blocking(move || {
            parse_input_with(&kind, &system, &source, mapping.as_deref(), &blob[..])
        })
        .await
        .map_err(|e| bad(e.to_string()))?
        .map_err(|e| bad(e.to_string()))?;
        let mut stored = 0u64;
        let mut duplicates = 0u64;
        for chunk in parsed.subjects.chunks(self.config.batch.max(1)) {
            stored += self.store.upsert_subjects(chunk).await?;
        }
        for chunk in parsed.events.chunks(self.config.batch.max(1)) {
            let outcome = self.store.insert_events(chunk).await?;
            stored += outcome.inserted;
            duplicates += outcome.duplicates;
        }
        if self.config.assess_after_ingest {
            self.store
                .enqueue_job(&NewJob {
                    kind: "assess".into(),
                    dedupe_key: Some("assess".into()),
                    ..Default::default()
                })
                .await?;
        }
        Ok(serde_json::json!({
            "accepted": stored,
            "duplicates": duplicates,
            "rejected": parsed.rejects.len(),
            // Line and field only: a reject's raw text may hold personal data.
            "rejects": parsed.rejects.iter().take(20).collect::<Vec<_>>(),
        }))
    }

    async fn assess(&self) -> Result<serde_json::Value, WorkerError> {
        let engines = self.engines().await?;
        let subjects = self.store.subjects().await?;
        let events = self.store.attributed_events().await?;
        let (output, subjects) = {
            let engines = engines.clone();
            tokio::task::spawn_blocking(move || {
                let output = engines.assess_owned(&subjects, events, Utc::now());
                (output, subjects)
            })
            .await
            .map_err(|e| WorkerError::Engines(e.to_string()))?
        };
        let ids: Vec<_> = subjects.iter().map(|s| s.id.clone()).collect();
        self.store.replace_facts(&ids, &output.facts).await?;
        self.store.save_assessments(&output.assessments).await?;
        self.store
            .record_rule_pack(
                "worker",
                engines.rules.version(),
                engines.rules.rules().len() as i64,
            )
            .await?;
        for list in engines.watchlist.lists() {
            self.store
                .record_list_version(
                    "worker",
                    &list.id,
                    &list.version,
                    &list.sha256,
                    list.entity_count as i64,
                )
                .await?;
        }
        let mut alerts = 0;
        for assessment in output
            .assessments
            .iter()
            .filter(|a| a.level >= RiskLevel::High)
        {
            let mut rules: Vec<&str> = assessment
                .findings
                .iter()
                .map(|f| f.rule_id.as_str())
                .collect();
            rules.sort_unstable();
            rules.dedup();
            let key = format!(
                "assessment:{}:{}:{}",
                assessment.subject,
                assessment.level.as_str(),
                redflag_store::secret_hash(&rules.join(","))
            );
            let payload = serde_json::json!({
                "type": "assessment.high_risk",
                "subject": assessment.subject.as_str(),
                "level": assessment.level.as_str(),
                "score": assessment.score,
                "rules": rules,
                "assessed_at": assessment.assessed_at,
            });
            if self
                .store
                .enqueue_alert("assessment", assessment.subject.as_str(), &key, &payload)
                .await?
            {
                alerts += 1;
            }
        }
        for ring in self.store.rings().await? {
            let mut members: Vec<&str> = ring.members.iter().map(|m| m.as_str()).collect();
            members.sort_unstable();
            let key = format!(
                "ring:{}:{}",
                ring.id.0,
                redflag_store::secret_hash(&members.join(","))
            );
            let payload = serde_json::json!({
                "type": "ring.detected",
                "ring": ring.id.0,
                "members": members,
                "score": ring.score,
            });
            if self
                .store
                .enqueue_alert("ring", &ring.id.0, &key, &payload)
                .await?
            {
                alerts += 1;
            }
        }
        Ok(serde_json::json!({
            "subjects": subjects.len(),
            "facts": output.facts.len(),
            "high_risk": output.assessments.iter().filter(|a| a.level >= RiskLevel::High).count(),
            "new_alerts": alerts,
        }))
    }

    /// Sends due alerts to the webhook; returns how many were delivered.
    pub async fn deliver_alerts(&self) -> Result<usize, WorkerError> {
        let Some(webhook) = &self.config.webhook else {
            return Ok(0);
        };
        let due = self.store.claim_alerts(50, Duration::from_secs(60)).await?;
        let mut delivered = 0;
        for alert in due {
            match post_signed(webhook, &alert.payload).await {
                Ok(()) => {
                    self.store.alert_delivered(alert.id).await?;
                    delivered += 1;
                }
                Err(error) => {
                    let give_up = alert.attempts >= MAX_ALERT_ATTEMPTS;
                    let backoff =
                        Duration::from_secs(2u64.saturating_pow(alert.attempts as u32).min(3600));
                    tracing::warn!(alert = alert.id, attempts = alert.attempts, %error, "webhook delivery failed");
                    self.store
                        .alert_failed(alert.id, &error, backoff, give_up)
                        .await?;
                }
            }
        }
        Ok(delivered)
    }
}

/// Attempts before an alert is given up.
pub const MAX_ALERT_ATTEMPTS: i64 = 10;

async fn post_signed(webhook: &Webhook, body: &str) -> Result<(), String> {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    let timestamp = Utc::now().timestamp();
    let request = hyper::Request::post(&webhook.url)
        .header("content-type", "application/json")
        .header("user-agent", concat!("redflag/", env!("CARGO_PKG_VERSION")))
        .header(
            "x-redflag-signature",
            sign(&webhook.secret, timestamp, body),
        )
        .body(Full::new(hyper::body::Bytes::from(body.to_string())))
        .map_err(|e| format!("bad webhook request: {e}"))?;
    if !(webhook.url.starts_with("https://") || webhook.url.starts_with("http://")) {
        return Err("the webhook URL must start with https:// or http://".into());
    }
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(webhook.roots.client_config()?)
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Full<hyper::body::Bytes>> =
        Client::builder(TokioExecutor::new()).build(connector);
    let response = tokio::time::timeout(Duration::from_secs(10), client.request(request))
        .await
        .map_err(|_| "timed out after 10 s".to_string())?
        .map_err(|e| {
            // The connector's error chain names the TLS failure (e.g. an unknown issuer).
            let mut message = format!("cannot reach the webhook: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            message
        })?;
    let status = response.status();
    let _ = response.into_body().collect().await;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the webhook answered {status}"))
    }
}

/// A rejected input record, without its raw text.
#[derive(Debug, Clone, Serialize)]
pub struct RejectSummary {
    /// Line in the uploaded file.
    pub line: u64,
    /// Field, when known.
    pub field: Option<String>,
}

/// Parsed upload.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Subjects read.
    pub subjects: Vec<Subject>,
    /// Events read.
    pub events: Vec<Event>,
    /// Rejected records.
    pub rejects: Vec<RejectSummary>,
}

/// Why an upload cannot be read at all: the line (1 for a header), the field when known, and the
/// connector's reason (which may quote the uploader's own value; it is answered, never logged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}{}: {reason}", field.as_deref().map(|f| format!(", field {f}")).unwrap_or_default())]
pub struct InputProblem {
    /// Line in the upload.
    pub line: u64,
    /// Field, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub reason: String,
}

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The request names an unknown kind or column mapping.
    #[error("{0}")]
    Setup(String),
    /// The data is not of the kind named (wrong vendor format, unusable header, no readable record).
    #[error(transparent)]
    Input(#[from] InputProblem),
}

/// The built-in column mappings an upload of `kind` may name (`?mapping=`); file paths are never
/// accepted over the API.
pub fn builtin_mappings(kind: &str) -> &'static [&'static str] {
    match kind {
        "people" => &["generic", "greenhouse", "lever", "workday"],
        "payroll" | "shipping" => &["generic"],
        _ => &[],
    }
}

/// Whether uploads of `kind` are CSV (else JSON or NDJSON).
pub fn is_csv_kind(kind: &str) -> bool {
    matches!(kind, "people" | "payroll" | "shipping")
}

enum Item {
    Subject(Subject),
    Event(Event),
}

type Records<'a> = Box<dyn Iterator<Item = redflag_connectors::Record<Item>> + 'a>;

/// The connector reading `kind`, as one stream of subjects and events.
fn records<'a>(
    kind: &str,
    system: &str,
    source: &str,
    mapping: Option<&str>,
    input: impl Read + 'a,
) -> Result<Records<'a>, ParseError> {
    use redflag_connectors::payroll::{PayoutMapping, PayrollReader};
    use redflag_connectors::shipping::{ShipmentMapping, ShippingReader};
    use redflag_connectors::{
        ConnectorError, entra, github, google, marketplace::MarketplaceReader, okta, osquery,
    };
    let unknown_mapping = |m: &str| {
        ParseError::Setup(format!(
            "unknown {kind} mapping {m:?}; use one of {}",
            builtin_mappings(kind).join(", ")
        ))
    };
    let header = |e: ConnectorError| {
        ParseError::Input(InputProblem {
            line: 1,
            field: None,
            reason: e.to_string(),
        })
    };
    fn events<'a>(
        reader: impl Iterator<Item = redflag_connectors::Record<Event>> + 'a,
    ) -> Records<'a> {
        Box::new(reader.map(|r| r.map(Item::Event)))
    }
    fn subjects<'a>(
        reader: impl Iterator<Item = redflag_connectors::Record<Subject>> + 'a,
    ) -> Records<'a> {
        Box::new(reader.map(|r| r.map(Item::Subject)))
    }
    Ok(match kind {
        "people" => {
            let mapping = match mapping {
                Some(m) => PeopleMapping::builtin(m).ok_or_else(|| unknown_mapping(m))?,
                None => PeopleMapping::generic(),
            };
            subjects(PeopleReader::new(input, source, system, mapping).map_err(header)?)
        }
        "payroll" => {
            let mapping = match mapping {
                Some(m) => PayoutMapping::builtin(m).ok_or_else(|| unknown_mapping(m))?,
                None => PayoutMapping::generic(),
            };
            let reader = PayrollReader::new(input, source, &mapping).map_err(header)?;
            // Employee ids belong to the mapping's `employee_id_system`, else to `system`.
            events(match mapping.employee_id_system {
                Some(_) => reader,
                None => reader.with_employee_id_system(system),
            })
        }
        "shipping" => {
            let mapping = match mapping {
                Some(m) => ShipmentMapping::builtin(m).ok_or_else(|| unknown_mapping(m))?,
                None => ShipmentMapping::generic(),
            };
            let reader = ShippingReader::new(input, source, &mapping).map_err(header)?;
            // Employee ids belong to the mapping's `employee_id_system`, else to `system`.
            events(match mapping.employee_id_system {
                Some(_) => reader,
                None => reader.with_employee_id_system(system),
            })
        }
        _ if mapping.is_some() => {
            return Err(ParseError::Setup(format!(
                "{kind} uploads take no column mapping"
            )));
        }
        "marketplace" => subjects(MarketplaceReader::new(input, source, system)),
        "okta" => events(okta::reader(input, source)),
        "entra" => events(entra::reader(input, source)),
        "google" => events(google::reader(input, source)),
        "osquery" => events(osquery::reader(input, source)),
        "github" => events(github::reader(input, source)),
        other => {
            return Err(ParseError::Setup(format!(
                "unknown input kind {other:?}; use one of {}",
                INGEST_KINDS.join(", ")
            )));
        }
    })
}

/// Records [`probe_input`] reads before it decides.
const PROBE_RECORDS: usize = 20;

/// Checks, before an upload is accepted, that it is data of `kind`: the header (CSV kinds) must map,
/// and the first records must not all be rejected (another vendor's format is refused on its first
/// record). Cheap: reads at most a header and [`PROBE_RECORDS`] records.
pub fn probe_input(
    kind: &str,
    system: &str,
    source: &str,
    mapping: Option<&str>,
    input: impl Read,
) -> Result<(), ParseError> {
    let mut first_reject = None;
    for record in records(kind, system, source, mapping, input)?.take(PROBE_RECORDS) {
        match record {
            Ok(_) => return Ok(()),
            Err(reject) => {
                first_reject.get_or_insert(InputProblem {
                    line: reject.line,
                    field: reject.field,
                    reason: reject.reason,
                });
            }
        }
    }
    match first_reject {
        Some(problem) => Err(ParseError::Input(problem)),
        None => Ok(()),
    }
}

/// Parses an upload of one input kind with its default column mapping.
pub fn parse_input(
    kind: &str,
    system: &str,
    source: &str,
    input: impl Read,
) -> Result<Parsed, String> {
    parse_input_with(kind, system, source, None, input).map_err(|e| e.to_string())
}

/// Parses an upload of one input kind; `mapping` names a built-in column mapping (CSV kinds).
pub fn parse_input_with(
    kind: &str,
    system: &str,
    source: &str,
    mapping: Option<&str>,
    input: impl Read,
) -> Result<Parsed, ParseError> {
    let mut parsed = Parsed::default();
    for record in records(kind, system, source, mapping, input)? {
        match record {
            Ok(Item::Subject(subject)) => parsed.subjects.push(subject),
            Ok(Item::Event(event)) => parsed.events.push(event),
            Err(reject) => parsed.rejects.push(RejectSummary {
                line: reject.line,
                field: reject.field,
            }),
        }
    }
    Ok(parsed)
}
