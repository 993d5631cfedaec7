//! `redflag ingest KIND FILE…`: read input files into the store.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use redflag_connectors::RejectWriter;
use redflag_connectors::people::{PeopleMapping, PeopleReader};
use redflag_store::Store;

use crate::Cli;

/// The kinds of input `ingest` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// ATS / HRIS people export (CSV with a header row).
    People,
    /// Okta System Log (API JSON array or NDJSON).
    Okta,
    /// Entra ID sign-ins (Graph `signIns` JSON or Azure Monitor export).
    Entra,
    /// Google Workspace Reports API activities (login, drive, token).
    Google,
    /// osquery scheduled-query results (event, batch or snapshot format).
    Osquery,
    /// GitHub REST API user / repositories / commits JSON, or audit-log events.
    Github,
}

/// Arguments of `ingest`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What the files are.
    pub kind: Kind,
    /// The files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The source system's name, which prefixes subject ids (e.g. greenhouse, workday).
    #[arg(long, default_value = "ats")]
    pub system: String,
    /// Where to write rejected records (default: `<data-dir>/rejects`).
    #[arg(long)]
    pub rejects_dir: Option<PathBuf>,
}

/// Counts of one ingest run.
#[derive(Debug, Default, Clone, Copy)]
pub struct IngestCounts {
    /// Records stored.
    pub accepted: u64,
    /// Records refused.
    pub rejected: u64,
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open_store(cli).await?;
    let rejects_dir = args
        .rejects_dir
        .clone()
        .unwrap_or_else(|| cli.data_dir.join("rejects"));
    let mut total = IngestCounts::default();
    for file in &args.files {
        let counts = match args.kind {
            Kind::People => ingest_people(&store, file, &args.system, &rejects_dir).await?,
            Kind::Okta | Kind::Entra | Kind::Google | Kind::Osquery | Kind::Github => {
                ingest_events(&store, args.kind, file, &rejects_dir).await?
            }
        };
        total.accepted += counts.accepted;
        total.rejected += counts.rejected;
    }
    if !cli.quiet {
        eprintln!(
            "ingested {} records, rejected {}",
            total.accepted, total.rejected
        );
    }
    Ok(if total.rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads one people file into the store; bad rows go to the rejects file and the rest is stored.
pub async fn ingest_people(
    store: &Store,
    file: &Path,
    system: &str,
    rejects_dir: &Path,
) -> anyhow::Result<IngestCounts> {
    let input = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let reader = PeopleReader::new(
        BufReader::new(input),
        &file.display().to_string(),
        system,
        PeopleMapping::generic(),
    )?;
    let mut rejects = RejectWriter::new(RejectWriter::path_for(rejects_dir, file));
    let mut batch = Vec::with_capacity(1000);
    let mut counts = IngestCounts::default();
    for record in reader {
        match record {
            Ok(subject) => batch.push(subject),
            Err(reject) => {
                tracing::warn!(%reject, "rejected");
                rejects.write(&reject)?;
                counts.rejected += 1;
            }
        }
        if batch.len() == batch.capacity() {
            counts.accepted += store.upsert_subjects(&batch).await?;
            batch.clear();
        }
    }
    counts.accepted += store.upsert_subjects(&batch).await?;
    if let Some((path, n)) = rejects.finish()? {
        eprintln!(
            "{}: {n} rejected records written to {}",
            file.display(),
            path.display()
        );
    }
    Ok(counts)
}

/// Reads one vendor event file into the store; bad records go to the rejects file, the rest is stored
/// (re-ingesting the same file stores nothing twice: event ids are stable).
pub async fn ingest_events(
    store: &Store,
    kind: Kind,
    file: &Path,
    rejects_dir: &Path,
) -> anyhow::Result<IngestCounts> {
    use redflag_connectors::{entra, github, google, okta, osquery};
    let input = BufReader::with_capacity(
        1 << 20,
        File::open(file).with_context(|| format!("cannot open {}", file.display()))?,
    );
    let name = file.display().to_string();
    let records: Box<dyn Iterator<Item = redflag_connectors::Record<redflag_model::Event>>> =
        match kind {
            Kind::Okta => Box::new(okta::reader(input, &name)),
            Kind::Entra => Box::new(entra::reader(input, &name)),
            Kind::Google => Box::new(google::reader(input, &name)),
            Kind::Osquery => Box::new(osquery::reader(input, &name)),
            Kind::Github => Box::new(github::reader(input, &name)),
            Kind::People => anyhow::bail!("people files are not event files"),
        };
    let mut rejects = RejectWriter::new(RejectWriter::path_for(rejects_dir, file));
    let mut batch = Vec::with_capacity(1000);
    let mut counts = IngestCounts::default();
    for record in records {
        match record {
            Ok(event) => batch.push(event),
            Err(reject) => {
                tracing::warn!(%reject, "rejected");
                rejects.write(&reject)?;
                counts.rejected += 1;
            }
        }
        if batch.len() == batch.capacity() {
            let stored = store.insert_events(&batch).await?;
            counts.accepted += stored.inserted + stored.duplicates;
            batch.clear();
        }
    }
    let stored = store.insert_events(&batch).await?;
    counts.accepted += stored.inserted + stored.duplicates;
    if let Some((path, n)) = rejects.finish()? {
        eprintln!(
            "{}: {n} rejected records written to {}",
            file.display(),
            path.display()
        );
    }
    Ok(counts)
}
