//! `redflag worker`: runs queued jobs (ingest, assess, retention) and delivers webhook alerts. Start as
//! many as you like, on as many machines as share the PostgreSQL database.

use std::process::ExitCode;
use std::time::Duration;

use redflag_server::worker::{Worker, WorkerConfig};
use redflag_store::NewJob;

use crate::Cli;

/// Arguments of `worker`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run until the queue is empty, then exit (instead of waiting for more).
    #[arg(long)]
    pub drain: bool,
    /// This worker's name in the queue (default: host process id).
    #[arg(long)]
    pub id: Option<String>,
    /// Seconds a claimed job is held without a heartbeat before another worker may take it.
    #[arg(long, default_value_t = 30)]
    pub lease_seconds: u64,
    /// Queue a retention run that deletes events older than this many days, then work.
    #[arg(long)]
    pub retention_days: Option<i64>,
    /// Webhook URL for high-risk alerts (HMAC-signed with REDFLAG_WEBHOOK_SECRET).
    #[arg(long, env = "REDFLAG_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// PEM file of CA certificates an https webhook may also chain to (a private CA).
    #[arg(long, env = "REDFLAG_WEBHOOK_CA")]
    pub webhook_ca: Option<std::path::PathBuf>,
    /// Do not queue an assessment run after each ingest (bulk loads: queue one at the end).
    #[arg(long)]
    pub no_auto_assess: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open_store(cli).await?;
    if let Some(days) = args.retention_days {
        store
            .enqueue_job(&NewJob {
                kind: "retention".into(),
                dedupe_key: Some("retention".into()),
                payload: serde_json::json!({ "days": days }),
                ..Default::default()
            })
            .await?;
    }
    let config = WorkerConfig {
        id: args
            .id
            .clone()
            .unwrap_or_else(|| format!("worker-{}", std::process::id())),
        lease: Duration::from_secs(args.lease_seconds.max(2)),
        webhook: super::serve::webhook(args.webhook_url.clone(), args.webhook_ca.as_deref())?,
        assess_after_ingest: !args.no_auto_assess,
        ..WorkerConfig::default()
    };
    // The engines use this data directory's lists, network data and reshipper lists, like `assess`.
    let (engines, build) = super::serve::engines_in_background(cli.data_dir.clone()).await;
    let worker = Worker::with_shared_engines(store, config, engines);
    if args.drain {
        // A batch run has nothing to do before its engines exist: build them first, and refuse
        // when the data directory's lists do not load.
        build.finish().await?;
        let reports = worker.drain().await?;
        let failed = reports.iter().filter(|r| r.outcome.is_err()).count();
        if !cli.quiet {
            for report in &reports {
                match &report.outcome {
                    Ok(result) => eprintln!("job {} ({}): {result}", report.id, report.kind),
                    Err(error) => eprintln!("job {} ({}) failed: {error}", report.id, report.kind),
                }
            }
        }
        return Ok(if failed > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    if !cli.quiet {
        eprintln!("worker running (Ctrl-C to stop)");
    }
    build
        .guard(async {
            Ok(worker
                .run(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?)
        })
        .await?;
    Ok(ExitCode::SUCCESS)
}
