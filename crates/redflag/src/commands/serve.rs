//! `redflag serve`: the HTTP API and console, with an in-process worker by default.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use redflag_server::worker::{Worker, WorkerConfig};
use redflag_server::{AppState, ServerConfig, SharedEngines, router};
use redflag_store::Store;

use crate::Cli;

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Background workers run inside the server (0: only separate `redflag worker` processes).
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// Sustained requests per second per credential (0 disables the limit).
    #[arg(long, default_value_t = 2000.0)]
    pub rate_limit: f64,
    /// Largest ingest upload in MiB.
    #[arg(long, default_value_t = 256)]
    pub max_upload_mib: u64,
    /// Send the session cookie without `Secure` (only for plain HTTP on a host other than localhost).
    #[arg(long)]
    pub insecure_cookies: bool,
    /// Webhook URL for high-risk alerts (HMAC-signed with REDFLAG_WEBHOOK_SECRET; https or http).
    #[arg(long, env = "REDFLAG_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// PEM file of CA certificates an https webhook may also chain to (a private CA), besides the
    /// public roots compiled in.
    #[arg(long, env = "REDFLAG_WEBHOOK_CA")]
    pub webhook_ca: Option<std::path::PathBuf>,
    /// Seconds an in-process worker holds a job without a heartbeat before any worker may take it
    /// again (after a crash, the job is retried this long after the last heartbeat).
    #[arg(long, default_value_t = 30)]
    pub lease_seconds: u64,
    /// Do not queue an assessment run after each ingest (bulk loads: `POST /v1/assess` at the end).
    #[arg(long)]
    pub no_auto_assess: bool,
}

/// Settings of the in-process workers.
#[derive(Debug, Clone)]
pub struct Workers {
    /// How many.
    pub count: usize,
    /// Webhook alerts.
    pub webhook: Option<redflag_server::worker::Webhook>,
    /// Lease of a claimed job.
    pub lease: std::time::Duration,
    /// Queue an assessment after each ingest.
    pub assess_after_ingest: bool,
}

impl Default for Workers {
    fn default() -> Self {
        let defaults = WorkerConfig::default();
        Self {
            count: 1,
            webhook: None,
            lease: defaults.lease,
            assess_after_ingest: defaults.assess_after_ingest,
        }
    }
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open_store(cli).await?;
    let config = ServerConfig {
        secure_cookies: !args.insecure_cookies,
        rate_per_second: args.rate_limit,
        rate_burst: (args.rate_limit * 2.0).max(1.0),
        max_ingest_bytes: args.max_upload_mib * 1024 * 1024,
        ..ServerConfig::default()
    };
    let workers = Workers {
        count: args.workers,
        webhook: webhook(args.webhook_url.clone(), args.webhook_ca.as_deref())?,
        lease: std::time::Duration::from_secs(args.lease_seconds.max(2)),
        assess_after_ingest: !args.no_auto_assess,
    };
    let (engines, build) = engines_in_background(cli.data_dir.clone()).await;
    build
        .guard(serve_with(store, args.listen, config, workers, engines))
        .await?;
    Ok(ExitCode::SUCCESS)
}

/// An engine cell that a background task fills with [`super::assess::engines_for`] on `data_dir`
/// (its active lists, imported network data and reshipper lists), so the server can listen at once.
/// Returns when the build has started: whoever needs the engines then waits for this build instead
/// of starting one on the vendored data alone. The returned [`EngineBuild`] ends the caller's work
/// with the error when the build fails: a server must not go on with other engines than the ones
/// its data directory names (a broken list file would otherwise be screened against silently).
pub async fn engines_in_background(data_dir: std::path::PathBuf) -> (SharedEngines, EngineBuild) {
    let cell = SharedEngines::default();
    let building = cell.clone();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let handle = tokio::spawn(async move {
        building
            .get_or_try_init(|| async move {
                let _ = started_tx.send(());
                tokio::task::spawn_blocking(move || super::assess::engines_for(&data_dir))
                    .await
                    .context("the engine build stopped")?
                    .map(std::sync::Arc::new)
            })
            .await
            .map(|_| ())
            // The cause is the message: it names the list file and line to mend.
            .map_err(|error| anyhow::anyhow!("cannot build the engines: {error:#}"))
    });
    let _ = started_rx.await;
    (cell, EngineBuild(handle))
}

/// The background engine build started by [`engines_in_background`].
pub struct EngineBuild(tokio::task::JoinHandle<anyhow::Result<()>>);

impl EngineBuild {
    /// Waits for the build to end: its error if it failed.
    pub async fn finish(self) -> anyhow::Result<()> {
        self.0
            .await
            .map_err(|join| anyhow::anyhow!("the engine build stopped: {join}"))?
    }

    /// Runs `work` until it ends, or until the engine build fails (then its error is returned and
    /// `work` is dropped).
    pub async fn guard<T>(
        self,
        work: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let failed = async {
            match self.0.await {
                Ok(Ok(())) => std::future::pending().await,
                Ok(Err(error)) => error,
                Err(join) => anyhow::anyhow!("the engine build stopped: {join}"),
            }
        };
        tokio::select! {
            done = work => done,
            error = failed => {
                tracing::error!(error = %format!("{error:#}"), "stopping: no engines");
                Err(error)
            }
        }
    }
}

/// The webhook settings from a URL, `REDFLAG_WEBHOOK_SECRET` and an optional CA file.
pub fn webhook(
    url: Option<String>,
    ca: Option<&std::path::Path>,
) -> anyhow::Result<Option<redflag_server::worker::Webhook>> {
    use redflag_server::worker::{TlsRoots, Webhook};
    let Some(url) = url else { return Ok(None) };
    anyhow::ensure!(
        url.starts_with("https://") || url.starts_with("http://"),
        "--webhook-url {url:?}: use an https:// (or http://) URL"
    );
    let secret = std::env::var("REDFLAG_WEBHOOK_SECRET")
        .context("a webhook URL needs REDFLAG_WEBHOOK_SECRET (the HMAC key)")?;
    let roots = match ca {
        None => TlsRoots::WebPki,
        Some(path) => {
            let pem = std::fs::read(path)
                .with_context(|| format!("--webhook-ca {}: cannot read", path.display()))?;
            TlsRoots::with_pem(&pem)
                .map_err(|e| anyhow::anyhow!("--webhook-ca {}: {e}", path.display()))?
        }
    };
    Ok(Some(Webhook { url, secret, roots }))
}

/// Serves the API on `listen` until Ctrl-C with default settings, one in-process worker and the
/// engines already built (the demo's).
pub async fn serve(
    store: Store,
    listen: SocketAddr,
    engines: std::sync::Arc<redflag_pipeline::Engines>,
) -> anyhow::Result<()> {
    let cell = SharedEngines::default();
    let _ = cell.set(engines);
    serve_with(
        store,
        listen,
        ServerConfig::default(),
        Workers::default(),
        cell,
    )
    .await
}

/// Serves the API; on first start creates an admin user and token and prints them once. Listens at
/// once; the engines are built in the background (a screening request or assessment job that comes
/// first waits for them).
pub async fn serve_with(
    store: Store,
    listen: SocketAddr,
    config: ServerConfig,
    workers: Workers,
    engines: SharedEngines,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    let state = AppState::with_config(store.clone(), config);
    let password = std::env::var("REDFLAG_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    match redflag_server::auth::bootstrap(&state, password)
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the first admin: {e:?}"))?
    {
        Some(boot) => {
            eprintln!("First start: created the admin user and an admin API token (shown once).");
            eprintln!("  Console: http://{address}/login  user: {}", boot.username);
            match &boot.password {
                Some(password) => eprintln!("  Password: {password}"),
                None => eprintln!("  Password: the value of REDFLAG_ADMIN_PASSWORD"),
            }
            eprintln!("  API token (admin): {}", boot.token);
        }
        None => eprintln!("Console: http://{address}/login"),
    }
    let state = state.with_shared_engines(engines.clone());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for i in 0..workers.count {
        let worker = Worker::with_shared_engines(
            store.clone(),
            WorkerConfig {
                id: format!("serve-{}-{i}", std::process::id()),
                webhook: workers.webhook.clone(),
                lease: workers.lease,
                assess_after_ingest: workers.assess_after_ingest,
                ..WorkerConfig::default()
            },
            engines.clone(),
        );
        let mut stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let _ = worker
                .run(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
        }));
    }
    eprintln!("redflag is serving on http://{address} (Ctrl-C to stop)");
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("the server stopped")?;
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = task.await;
    }
    Ok(())
}
