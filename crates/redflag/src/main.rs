//! The `redflag` command line: one binary with a subcommand per task.
//!
//! Conventions every subcommand follows: `--data-dir` (default `./redflag-data`, or `REDFLAG_DATA_DIR`)
//! holds the embedded database; `--format table|json|csv` on every command that prints results; exit
//! code 0 on success, 1 when a check found something (`screen --fail-on-match`), 2 on usage or input
//! errors (including rejected input rows); errors are one line on stderr, with the cause chain under `-v`.

mod commands;
mod output;

/// mimalloc instead of glibc's allocator: ingest, linkage and the engines allocate many small,
/// short-lived values from several threads, and a profile of the 10,000-subject demo spent about a
/// fifth of its CPU in glibc's `malloc`/`free` (chunk consolidation and lock contention).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

/// Turns transparent huge pages off for this process. mimalloc asks the kernel for them, and then
/// every 2 MiB region it touches is zeroed in full on its first fault: the demo's assessment of 2.3 M
/// events spent 14 s of system time in the kernel's page clearing with them and 6 s without (and
/// 23 s instead of 29 s of wall time; docs/bench/demo.md). Failing to turn them off only costs time.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(error) = nix::sys::prctl::set_thp_disable(true) {
        tracing::debug!(%error, "transparent huge pages stay on");
    }
}

use clap::{Parser, Subcommand};

/// Find covert DPRK IT workers among applicants, contractors, employees and marketplace accounts,
/// with evidence a human can defend.
#[derive(Debug, Parser)]
#[command(name = "redflag", version, about, long_about = None)]
pub struct Cli {
    /// Directory of the embedded database and list snapshots.
    #[arg(
        long,
        global = true,
        env = "REDFLAG_DATA_DIR",
        default_value = "redflag-data"
    )]
    pub data_dir: PathBuf,
    /// Database URL (`sqlite://…` or `postgres://…`); overrides --data-dir for the database.
    #[arg(long, global = true, env = "REDFLAG_DATABASE_URL")]
    pub database_url: Option<String>,
    /// More logging (-v info, -vv debug) and error cause chains.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a realistic synthetic population, run every engine on it and show the results.
    Demo(commands::demo::Args),
    /// Score the pipeline against a synthetic world's ground truth: precision, recall, rings, fairness.
    Eval(commands::eval::Args),
    /// Read input files of one kind into the store.
    Ingest(commands::ingest::Args),
    /// Run every engine over the stored subjects and events and store the assessments.
    Assess(commands::assess::Args),
    /// Show stored assessments.
    Report(commands::report::Args),
    /// Serve the HTTP API.
    Serve(commands::serve::Args),
    /// Network-intelligence data: import files, show status, look addresses up.
    Netintel(commands::netintel::Args),
    /// The rule pack: list, show, test, lint, coverage.
    Rules(commands::rules::Args),
    /// Link personas into rings over the stored subjects and events (incremental; `--full` recomputes).
    Link(commands::link::Args),
    /// Persona rings found by linkage: list them, or show one with its evidence graph (JSON, DOT).
    Rings(commands::rings::Args),
    /// Run queued jobs (ingest, assess, retention) and deliver webhook alerts.
    Worker(commands::worker::Args),
    /// Show and verify the hash-chained audit log.
    Audit(commands::audit::Args),
    /// Data-subject rights: export or erase everything held about a subject.
    Subject(commands::subject::Args),
    /// Cases and decisions from the command line.
    Cases(commands::cases::Args),
    /// Screen names and identifiers against the sanctions lists.
    Screen(commands::screen::Args),
    /// Import, update and show the sanctions lists.
    Lists(commands::lists::Args),
    /// API tokens: create (secret shown once), list, revoke.
    Tokens(commands::tokens::Args),
    /// Console users: add, list, disable, change a password.
    Users(commands::users::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    no_transparent_huge_pages();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(ref args) => commands::demo::run(&cli, args).await,
            Command::Eval(ref args) => commands::eval::run(&cli, args).await,
            Command::Ingest(ref args) => commands::ingest::run(&cli, args).await,
            Command::Assess(ref args) => commands::assess::run(&cli, args).await,
            Command::Report(ref args) => commands::report::run(&cli, args).await,
            Command::Serve(ref args) => commands::serve::run(&cli, args).await,
            Command::Netintel(ref args) => commands::netintel::run(&cli, args).await,
            Command::Link(ref args) => commands::link::run(&cli, args).await,
            Command::Rings(ref args) => commands::rings::run(&cli, args).await,
            Command::Rules(ref args) => commands::rules::run(&cli, args).await,
            Command::Worker(ref args) => commands::worker::run(&cli, args).await,
            Command::Audit(ref args) => commands::audit::run(&cli, args).await,
            Command::Subject(ref args) => commands::subject::run(&cli, args).await,
            Command::Cases(ref args) => commands::cases::run(&cli, args).await,
            Command::Screen(ref args) => commands::screen::run(&cli, args).await,
            Command::Lists(ref args) => commands::lists::run(&cli, args).await,
            Command::Tokens(ref args) => commands::tokens::run(&cli, args).await,
            Command::Users(ref args) => commands::users::run(&cli, args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            if cli.verbose > 0 {
                eprintln!("error: {error:#}");
            } else {
                eprintln!("error: {error}");
            }
            ExitCode::from(2)
        }
    }
}

fn init_logging(cli: &Cli) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("REDFLAG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
