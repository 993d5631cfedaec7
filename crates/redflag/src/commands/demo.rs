//! `redflag demo`: a synthetic population through every engine into the embedded database.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use redflag_model::RiskLevel;
use redflag_synth::WorldConfig;

use crate::Cli;
use crate::output::{Format, print_assessments};

/// The default demo world: 10,000 subjects and 90 days of events (2.04 M), which go through the
/// connectors, the store and every engine in 40-48 s on two cores (docs/bench/demo.md).
const DEFAULT_SUBJECTS: usize = 10_000;
/// Days of activity in the default demo world.
const DEFAULT_DAYS: u32 = 90;
/// Applications opened through single sign-on per Okta or Entra session in the demo world, on
/// average: about 850,000 more sign-in events than sessions alone (2.04 M in all). With 2 a session
/// (2.32 M events) the demo took 43.5-59.1 s depending on the hour: too little margin under 60 s
/// (docs/bench/demo.md).
const DEFAULT_APP_SIGN_INS: f64 = 1.5;
/// Events stored per transaction in the demo. Event keys are hashes, so every batch dirties leaves
/// all over the key index, and each commit writes them all: with 5,000 events a batch, 2.3 M events
/// spent 15.7 s on the Entra log, with 25,000 8.7 s (docs/bench/demo.md).
const DEMO_BATCH: usize = 25_000;
/// Planted operator rings per 10,000 subjects in the demo world.
const DEMO_RINGS_PER_10K: f64 = 30.0;

/// The event files a synthetic world contains, and the connector that reads each.
const DEMO_EVENT_FILES: &[(&str, super::ingest::Kind)] = &[
    ("okta_system_log.ndjson", super::ingest::Kind::Okta),
    ("entra_sign_ins.ndjson", super::ingest::Kind::Entra),
    (
        "google_login_activities.ndjson",
        super::ingest::Kind::Google,
    ),
    ("payroll_changes.csv", super::ingest::Kind::Payroll),
    ("laptop_shipments.csv", super::ingest::Kind::Shipping),
    // After the shipments: their devices are claimed first, so inventory rows are attributed as
    // they are written.
    ("osquery_results.ndjson", super::ingest::Kind::Osquery),
];

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address the console and API listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Do not serve: generate, assess, print the summary and exit.
    #[arg(long)]
    pub no_serve: bool,
    /// Number of subjects to generate.
    #[arg(long, default_value_t = DEFAULT_SUBJECTS)]
    pub subjects: usize,
    /// Days of events (sign-ins, endpoint inventory, payroll, shipping) to generate.
    #[arg(long, default_value_t = DEFAULT_DAYS)]
    pub days: u32,
    /// Seed of the generator (the same seed gives the same world).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Applications opened through single sign-on after each Okta or Entra session, on average
    /// (each one more sign-in event; 0 writes session starts only).
    #[arg(long, default_value_t = DEFAULT_APP_SIGN_INS)]
    pub app_sign_ins: f64,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let world_dir: PathBuf = cli.data_dir.join("demo-world");
    let mut config = WorldConfig {
        seed: args.seed,
        ..WorldConfig::default()
    };
    config.subjects = args.subjects;
    config.days = args.days;
    config.app_sign_ins_per_session = args.app_sign_ins;
    // Denser than a real company (about 12 rings per 10,000), so a demo-sized world shows several.
    config.rings_per_10k = DEMO_RINGS_PER_10K;
    eprintln!(
        "generating a synthetic world of {} subjects (seed {}) in {}",
        config.subjects,
        config.seed,
        world_dir.display()
    );
    let mut phases = Phases::start();
    let world = redflag_synth::generate(&config);
    phases.lap("generate world");
    let written = world
        .write_to(&world_dir)
        .context("writing the synthetic world")?;
    phases.lap("write world files");

    if cli.database_url.is_none() {
        // A demo starts from an empty database so that reruns show the same world.
        let db = cli.data_dir.join("redflag.db");
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", db.display()));
            if path.exists() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot reset {}", path.display()))?;
            }
        }
    }
    let store = super::open_store(cli).await?;
    // The store starts empty and takes millions of events in one go (a crash means running the demo
    // again): read indexes are built once after them, pages are written once, without the WAL.
    store.begin_bulk_load().await?;
    phases.lap("open store");
    // The engines (lists, network data, rules) are built on another thread while the files go in:
    // ingest leaves a core mostly idle waiting on the database.
    let data_dir = cli.data_dir.clone();
    let engines_build = std::thread::spawn(move || super::assess::engines_for(&data_dir));
    let rejects_dir = cli.data_dir.join("rejects");
    let options = super::ingest::Options {
        checkpoints: None,
        rejects_dir: rejects_dir.clone(),
        restart: true,
        batch: 5000,
        progress: false,
        quiet: true,
    };
    // People with their resumes (the `resume_file` column) attached.
    let people = super::ingest::ingest_file(
        &store,
        super::ingest::Kind::People,
        &written.path("people.csv"),
        &config.system,
        None,
        &options,
    )
    .await?;
    eprintln!(
        "ingested {} people ({} rejected)",
        people.accepted, people.rejected
    );
    phases.lap("ingest people.csv (with resumes)");
    for (file, kind) in DEMO_EVENT_FILES {
        let path = written.path(file);
        if !path.exists() {
            continue;
        }
        let counts =
            super::ingest::ingest_events(&store, *kind, &path, &rejects_dir, DEMO_BATCH).await?;
        eprintln!(
            "ingested {} events from {file} ({} rejected)",
            counts.accepted, counts.rejected
        );
        phases.lap_owned(format!("ingest {file}"));
        if *kind == super::ingest::Kind::Shipping {
            // Laptops shipped to a person are theirs: claim them before their inventory arrives.
            store.claim_shipped_devices().await?;
            phases.lap("claim shipped devices");
        }
    }

    // Shipments ingested after the inventory (none in the demo world) are claimed here; with nothing
    // new this costs one indexed read.
    store.claim_shipped_devices().await?;
    phases.lap("claim shipped devices (again)");
    store.end_bulk_load().await?;
    phases.lap("end the bulk load (build read indexes, back to the WAL)");

    let engines = tokio::task::block_in_place(|| engines_build.join())
        .map_err(|_| anyhow::anyhow!("the engine build stopped"))??;
    phases.lap("wait for the engines (built during ingest)");
    let summary = super::assess::assess_store(&store, &engines).await?;
    phases.lap("assess (read, engines, store results)");
    super::assess::print_summary(&summary);

    let top = store.assessments(RiskLevel::High, 15).await?;
    let subjects = store.subjects().await?;
    let name_of = |id: &str| {
        subjects
            .iter()
            .find(|s| s.id.as_str() == id)
            .map(|s| s.name.full.clone())
            .unwrap_or_default()
    };
    let mut out = std::io::stdout().lock();
    println!("\nHighest risks:");
    print_assessments(&mut out, &top, &name_of, Format::Table)?;
    drop(out);
    phases.lap("report");
    phases.print(&summary.timings);
    println!(
        "\nDemo finished in {:.1} s. Database: {}  World files: {}  Ground truth: {}",
        started.elapsed().as_secs_f64(),
        cli.data_dir.join("redflag.db").display(),
        world_dir.display(),
        written.path("ground_truth.json").display()
    );
    println!(
        "Explore: redflag report --data-dir {}  |  redflag report --subject ID",
        cli.data_dir.display()
    );
    if args.no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    super::serve::serve(store, args.listen, std::sync::Arc::new(engines)).await?;
    Ok(ExitCode::SUCCESS)
}

/// Wall-clock time of each demo phase, printed at the end (docs/bench/demo.md is made from it).
struct Phases {
    last: Instant,
    laps: Vec<(String, f64)>,
}

impl Phases {
    fn start() -> Self {
        Self {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, phase: &str) {
        self.lap_owned(phase.to_string());
    }

    fn lap_owned(&mut self, phase: String) {
        self.laps.push((phase, self.last.elapsed().as_secs_f64()));
        self.last = Instant::now();
    }

    /// Prints the phases to stderr, with the assessment's own steps under it.
    fn print(&self, assess_steps: &[(String, f64)]) {
        eprintln!("\nphase timings (s):");
        for (phase, seconds) in &self.laps {
            eprintln!("  {seconds:>7.2}  {phase}");
            if phase.starts_with("assess") {
                for (step, seconds) in assess_steps {
                    eprintln!("  {seconds:>7.2}    {step}");
                }
            }
        }
        let total: f64 = self.laps.iter().map(|(_, s)| s).sum();
        eprintln!("  {total:>7.2}  total");
    }
}
