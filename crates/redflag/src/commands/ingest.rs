//! `redflag ingest KIND FILE…`: read input files into the store.
//!
//! Every kind streams its file in bounded memory, stores records in batches, writes refused records to
//! a rejects file (`<file>.rejects.csv`, with file, line, field and reason), shows a progress bar with
//! rate and ETA on a terminal, and saves a checkpoint (the byte offset after the last stored batch) to
//! `<data-dir>/checkpoints/` so that a killed run resumes where it stopped (`--restart` reads from the
//! start). Re-reading a record is harmless: event ids are stable and subjects are upserted.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use redflag_connectors::marketplace::MarketplaceReader;
use redflag_connectors::payroll::{PayoutMapping, PayrollReader};
use redflag_connectors::people::{PeopleMapping, PeopleReader};
use redflag_connectors::reader::JsonFormat;
use redflag_connectors::resumes::{self, ResumeLimits};
use redflag_connectors::shipping::{ShipmentMapping, ShippingReader};
use redflag_connectors::{Checkpoint, JsonEventReader, Record, Reject, RejectWriter};
use redflag_model::{Event, EventId, Subject, SubjectId};
use redflag_store::Store;
use serde::{Deserialize, Serialize};

use crate::Cli;

/// The kinds of input `ingest` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// ATS / HRIS people export (CSV with a header row; `--mapping` greenhouse|lever|workday|generic|FILE).
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
    /// Payroll / payout changes (CSV; `--mapping` generic|FILE).
    Payroll,
    /// Device shipments (CSV; `--mapping` generic|FILE).
    Shipping,
    /// Freelance-marketplace profiles (JSON; `--system` names the platform).
    Marketplace,
    /// Resume files (PDF, DOCX, text) named by subject id (`P0000042.pdf`), attached to stored subjects.
    Resumes,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::People => "people",
            Kind::Okta => "okta",
            Kind::Entra => "entra",
            Kind::Google => "google",
            Kind::Osquery => "osquery",
            Kind::Github => "github",
            Kind::Payroll => "payroll",
            Kind::Shipping => "shipping",
            Kind::Marketplace => "marketplace",
            Kind::Resumes => "resumes",
        }
    }
}

/// Arguments of `ingest`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What the files are.
    pub kind: Kind,
    /// The files (for `resumes`, files or folders of files).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The source system's name, which prefixes subject ids (e.g. greenhouse, workday, upwork).
    #[arg(long, default_value = "ats")]
    pub system: String,
    /// Column mapping for CSV kinds: a built-in name or a YAML mapping file.
    #[arg(long, value_name = "FILE|NAME")]
    pub mapping: Option<String>,
    /// Where to write rejected records (default: `<data-dir>/rejects`).
    #[arg(long)]
    pub rejects_dir: Option<PathBuf>,
    /// Ignore saved checkpoints and read every file from its start.
    #[arg(long)]
    pub restart: bool,
    /// Records stored per batch (a checkpoint is saved after each). Event keys are hashes, so each
    /// commit rewrites leaves all over the key index: on a store of a million events, 10,000 a batch
    /// ingested an Okta log 2.2x and an Entra log 2.4x faster than 1,000 (docs/bench/demo.md).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,
}

/// Counts of one ingest run.
#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize)]
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
    let options = Options {
        checkpoints: Some(cli.data_dir.join("checkpoints")),
        rejects_dir,
        restart: args.restart,
        batch: args.batch_size as usize,
        progress: !cli.quiet && std::io::stderr().is_terminal(),
        quiet: cli.quiet,
    };
    let mut total = IngestCounts::default();
    if args.kind == Kind::Resumes {
        total = ingest_resume_files(&store, &args.files, &args.system, &options).await?;
    } else {
        for file in &args.files {
            let counts = ingest_file(
                &store,
                args.kind,
                file,
                &args.system,
                args.mapping.as_deref(),
                &options,
            )
            .await?;
            total.accepted += counts.accepted;
            total.rejected += counts.rejected;
        }
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

/// How files are ingested.
#[derive(Debug, Clone)]
pub struct Options {
    /// Folder of checkpoint files (None: no checkpoints are read or saved).
    pub checkpoints: Option<PathBuf>,
    /// Folder of rejects files.
    pub rejects_dir: PathBuf,
    /// Ignore saved checkpoints.
    pub restart: bool,
    /// Records per stored batch.
    pub batch: usize,
    /// Show a progress bar.
    pub progress: bool,
    /// Print nothing but errors.
    pub quiet: bool,
}

/// A saved position in one input file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedCheckpoint {
    kind: String,
    file: String,
    /// A hash of the file's first bytes, so that a different file at the same path is not resumed.
    head: String,
    checkpoint: Checkpoint,
    counts: IngestCounts,
}

fn head_fingerprint(file: &Path) -> anyhow::Result<String> {
    let mut head = Vec::with_capacity(4096);
    File::open(file)
        .with_context(|| format!("cannot open {}", file.display()))?
        .take(4096)
        .read_to_end(&mut head)
        .with_context(|| format!("cannot read {}", file.display()))?;
    Ok(
        EventId::derive("file-head", &[&String::from_utf8_lossy(&head)])
            .as_str()
            .to_string(),
    )
}

fn checkpoint_path(dir: &Path, kind: Kind, file: &Path) -> PathBuf {
    let absolute = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let key = EventId::derive("checkpoint", &[kind.name(), &absolute.to_string_lossy()]);
    let stem = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(
        "{}-{stem}-{}.json",
        kind.name(),
        &key.as_str()[..12]
    ))
}

/// The position a file's previous, interrupted run stopped at, if it is the same file.
fn load_checkpoint(
    path: &Path,
    kind: Kind,
    file: &Path,
    head: &str,
    len: u64,
) -> Option<SavedCheckpoint> {
    let text = std::fs::read_to_string(path).ok()?;
    let saved: SavedCheckpoint = match serde_json::from_str(&text) {
        Ok(saved) => saved,
        Err(e) => {
            tracing::warn!(checkpoint = %path.display(), error = %e, "unreadable checkpoint ignored");
            return None;
        }
    };
    let same = saved.kind == kind.name() && saved.head == head && saved.checkpoint.offset <= len;
    if !same {
        eprintln!(
            "{}: the saved checkpoint belongs to another file or version of it; reading from the start",
            file.display()
        );
        return None;
    }
    Some(saved)
}

fn save_checkpoint(path: &Path, saved: &SavedCheckpoint) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec(saved)?)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A reader that can say where to resume.
trait Positioned {
    fn resume_at(&self) -> Checkpoint;
}

impl<R: Read, F: JsonFormat> Positioned for JsonEventReader<R, F> {
    fn resume_at(&self) -> Checkpoint {
        self.checkpoint()
    }
}

impl<R: Read> Positioned for PeopleReader<R> {
    fn resume_at(&self) -> Checkpoint {
        self.checkpoint()
    }
}

impl<R: Read> Positioned for PayrollReader<R> {
    fn resume_at(&self) -> Checkpoint {
        self.checkpoint()
    }
}

impl<R: Read> Positioned for ShippingReader<R> {
    fn resume_at(&self) -> Checkpoint {
        self.checkpoint()
    }
}

impl<R: Read> Positioned for MarketplaceReader<R> {
    fn resume_at(&self) -> Checkpoint {
        self.checkpoint()
    }
}

trait Source<T>: Iterator<Item = Record<T>> + Positioned {}
impl<T, I: Iterator<Item = Record<T>> + Positioned> Source<T> for I {}

/// Records the store takes in batches.
trait Storable: Sized {
    async fn store(store: &Store, batch: &[Self]) -> anyhow::Result<u64>;
}

impl Storable for Event {
    async fn store(store: &Store, batch: &[Self]) -> anyhow::Result<u64> {
        let stored = store.insert_events(batch).await?;
        Ok(stored.inserted + stored.duplicates)
    }
}

impl Storable for Subject {
    async fn store(store: &Store, batch: &[Self]) -> anyhow::Result<u64> {
        Ok(store.upsert_subjects(batch).await?)
    }
}

type Input = BufReader<File>;

fn open_at(file: &Path, offset: u64) -> anyhow::Result<Input> {
    let mut input = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    if offset > 0 {
        input
            .seek(SeekFrom::Start(offset))
            .with_context(|| format!("cannot seek in {}", file.display()))?;
    }
    Ok(BufReader::with_capacity(1 << 20, input))
}

fn open(file: &Path) -> anyhow::Result<Input> {
    open_at(file, 0)
}

/// Reads one event file into the store from its start, without checkpoints (bad records go to the
/// rejects file; re-ingesting stores nothing twice: event ids are stable).
pub async fn ingest_events(
    store: &Store,
    kind: Kind,
    file: &Path,
    rejects_dir: &Path,
    batch: usize,
) -> anyhow::Result<IngestCounts> {
    let options = Options {
        checkpoints: None,
        rejects_dir: rejects_dir.to_path_buf(),
        restart: true,
        batch,
        progress: false,
        quiet: false,
    };
    ingest_file(store, kind, file, "ats", None, &options).await
}

/// Reads one file of `kind` into the store, resuming from its checkpoint unless `options.restart`.
/// `system` prefixes subject ids (people, marketplace); `mapping` names a built-in column mapping or a
/// YAML file (people, payroll, shipping).
pub async fn ingest_file(
    store: &Store,
    kind: Kind,
    file: &Path,
    system: &str,
    mapping: Option<&str>,
    options: &Options,
) -> anyhow::Result<IngestCounts> {
    use redflag_connectors::{entra, github, google, okta, osquery};
    let len = std::fs::metadata(file)
        .with_context(|| format!("cannot open {}", file.display()))?
        .len();
    let head = head_fingerprint(file)?;
    let cp_path = options
        .checkpoints
        .as_deref()
        .map(|dir| checkpoint_path(dir, kind, file));
    let saved = match &cp_path {
        Some(path) if !options.restart => load_checkpoint(path, kind, file, &head, len),
        _ => None,
    };
    let start = saved
        .as_ref()
        .map(|s| s.checkpoint)
        .unwrap_or(Checkpoint::START);
    if let Some(saved) = &saved
        && !options.quiet
    {
        eprintln!(
            "{}: resuming at line {} (byte {} of {len}) after {} stored and {} rejected records",
            file.display(),
            start.line,
            start.offset,
            saved.counts.accepted,
            saved.counts.rejected
        );
    }
    let name = file.display().to_string();
    let run = FileRun {
        file,
        kind,
        head,
        len,
        cp_path,
        start,
        counts: saved.map(|s| s.counts).unwrap_or_default(),
        options,
    };
    match kind {
        Kind::Okta => {
            run.drive::<Event>(
                store,
                Box::new(okta::resume(open_at(file, start.offset)?, &name, start)),
                |_| {},
            )
            .await
        }
        Kind::Entra => {
            run.drive::<Event>(
                store,
                Box::new(entra::resume(open_at(file, start.offset)?, &name, start)),
                |_| {},
            )
            .await
        }
        Kind::Google => {
            run.drive::<Event>(
                store,
                Box::new(google::resume(open_at(file, start.offset)?, &name, start)),
                |_| {},
            )
            .await
        }
        Kind::Osquery => {
            run.drive::<Event>(
                store,
                Box::new(osquery::resume(open_at(file, start.offset)?, &name, start)),
                |_| {},
            )
            .await
        }
        Kind::Github => {
            run.drive::<Event>(
                store,
                Box::new(github::resume(open_at(file, start.offset)?, &name, start)),
                |_| {},
            )
            .await
        }
        Kind::Payroll => {
            let mapping = match mapping {
                Some(m) => PayoutMapping::load(m)?,
                None => PayoutMapping::generic(),
            };
            // Employee ids are scoped by the system that issued them: the mapping's own
            // `employee_id_system`, else the `--system` the people file was ingested with.
            let mut reader = PayrollReader::resume(open(file)?, &name, &mapping, start)?;
            if mapping.employee_id_system.is_none() {
                reader = reader.with_employee_id_system(system);
            }
            run.drive::<Event>(store, Box::new(reader), |_| {}).await
        }
        Kind::Shipping => {
            let mapping = match mapping {
                Some(m) => ShipmentMapping::load(m)?,
                None => ShipmentMapping::generic(),
            };
            // Employee ids are scoped by the system that issued them: the mapping's own
            // `employee_id_system`, else the `--system` the people file was ingested with.
            let mut reader = ShippingReader::resume(open(file)?, &name, &mapping, start)?;
            if mapping.employee_id_system.is_none() {
                reader = reader.with_employee_id_system(system);
            }
            run.drive::<Event>(store, Box::new(reader), |_| {}).await
        }
        Kind::Marketplace => {
            let reader =
                MarketplaceReader::resume(open_at(file, start.offset)?, &name, system, start);
            run.drive::<Subject>(store, Box::new(reader), |_| {}).await
        }
        Kind::People => {
            let mapping = match mapping {
                Some(m) => PeopleMapping::load(m)?,
                None => PeopleMapping::generic(),
            };
            let reader = PeopleReader::resume(open(file)?, &name, system, mapping, start)?;
            let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
            let limits = ResumeLimits::default();
            let quiet = options.quiet;
            run.drive::<Subject>(store, Box::new(reader), move |subject: &mut Subject| {
                if let Err(problem) = resumes::attach_named(subject, &base, &limits, extract) {
                    tracing::warn!(%problem, "resume not attached");
                    if !quiet {
                        eprintln!("resume not attached: {problem}");
                    }
                }
            })
            .await
        }
        Kind::Resumes => anyhow::bail!("resumes are attached with ingest_resume_files"),
    }
}

/// Text extraction for resumes, bounded by the identity engine's limits.
fn extract(bytes: &[u8], name: &str) -> Result<String, String> {
    redflag_identity::extract_text(bytes, name, &redflag_identity::ExtractLimits::default())
        .map(|r| r.text)
        .map_err(|e| e.to_string())
}

struct FileRun<'a> {
    file: &'a Path,
    kind: Kind,
    head: String,
    len: u64,
    cp_path: Option<PathBuf>,
    start: Checkpoint,
    counts: IngestCounts,
    options: &'a Options,
}

impl FileRun<'_> {
    fn progress(&self) -> ProgressBar {
        if !self.options.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(self.len);
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(
            self.file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        bar.set_position(self.start.offset);
        bar.reset_eta();
        bar
    }

    /// Reads, prepares and stores every record. Parsing (and `prepare`, which may extract resume
    /// text) runs on its own thread and hands finished batches to this one, which stores them: the
    /// connector and the database work at the same time, on the two cores a small machine has.
    /// `prepare` runs on a whole batch at once, its records in parallel (resume text extraction is
    /// the slow part of a people file, and records are independent).
    async fn drive<T: Storable + Send>(
        self,
        store: &Store,
        reader: Box<dyn Source<T> + Send + '_>,
        prepare: impl Fn(&mut T) + Send + Sync,
    ) -> anyhow::Result<IngestCounts> {
        let handle = tokio::runtime::Handle::current();
        tokio::task::block_in_place(|| self.drive_blocking(&handle, store, reader, prepare))
    }

    fn drive_blocking<T: Storable + Send>(
        self,
        handle: &tokio::runtime::Handle,
        store: &Store,
        mut reader: Box<dyn Source<T> + Send + '_>,
        prepare: impl Fn(&mut T) + Send + Sync,
    ) -> anyhow::Result<IngestCounts> {
        let rejects_path = RejectWriter::path_for(&self.options.rejects_dir, self.file);
        let resumed = self.start.offset > 0;
        let mut rejects = if resumed {
            RejectWriter::append(rejects_path)
        } else {
            RejectWriter::new(rejects_path)
        };
        let bar = self.progress();
        let mut counts = self.counts;
        let batch_size = self.options.batch.max(1);
        // Two batches in flight: one being stored, one being parsed.
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Parsed<T>>(1);
        std::thread::scope(|scope| -> anyhow::Result<()> {
            scope.spawn(move || {
                let mut batch: Vec<T> = Vec::with_capacity(batch_size);
                let mut refused = Vec::new();
                loop {
                    let next = reader.next();
                    let done = next.is_none();
                    match next {
                        Some(Ok(record)) => batch.push(record),
                        Some(Err(reject)) => refused.push(reject),
                        None => {}
                    }
                    if batch.len() >= batch_size
                        || (done && !(batch.is_empty() && refused.is_empty()))
                    {
                        batch.par_iter_mut().for_each(&prepare);
                        let parsed = Parsed {
                            records: std::mem::replace(&mut batch, Vec::with_capacity(batch_size)),
                            rejects: std::mem::take(&mut refused),
                            position: reader.resume_at(),
                        };
                        if sender.send(parsed).is_err() {
                            // The storing side failed and stopped; its error is reported.
                            return;
                        }
                    }
                    if done {
                        return;
                    }
                }
            });
            for parsed in receiver {
                for reject in &parsed.rejects {
                    tracing::warn!(%reject, "rejected");
                    rejects.write(reject)?;
                }
                counts.rejected += parsed.rejects.len() as u64;
                if !parsed.records.is_empty() {
                    counts.accepted += handle.block_on(T::store(store, &parsed.records))?;
                }
                rejects.flush()?;
                let position = parsed.position;
                if let Some(cp_path) = &self.cp_path {
                    save_checkpoint(
                        cp_path,
                        &SavedCheckpoint {
                            kind: self.kind.name().to_string(),
                            file: self.file.display().to_string(),
                            head: self.head.clone(),
                            checkpoint: position,
                            counts,
                        },
                    )?;
                }
                bar.set_position(position.offset.min(self.len));
                bar.set_message(format!(
                    "stored {} rejected {}",
                    counts.accepted, counts.rejected
                ));
            }
            Ok(())
        })?;
        bar.finish_and_clear();
        // The file is done: a later run reads it from the start (and stores nothing twice).
        if let Some(cp_path) = self.cp_path.as_ref().filter(|p| p.exists()) {
            std::fs::remove_file(cp_path)
                .with_context(|| format!("cannot remove {}", cp_path.display()))?;
        }
        if let Some((path, n)) = rejects.finish()? {
            eprintln!(
                "{}: {n} rejected records written to {}",
                self.file.display(),
                path.display()
            );
        }
        Ok(counts)
    }
}

/// One batch the parsing thread hands to the storing one.
struct Parsed<T> {
    /// Records to store.
    records: Vec<T>,
    /// Records refused since the previous batch.
    rejects: Vec<Reject>,
    /// Where a resumed run starts once this batch is stored.
    position: Checkpoint,
}

/// Attaches resume files to stored subjects: a file's stem is the subject's id in `system`
/// (`resumes/P0000042.pdf` → `synth:P0000042`). A file with no such subject, or whose text cannot be
/// read, is rejected with the reason.
pub async fn ingest_resume_files(
    store: &Store,
    paths: &[PathBuf],
    system: &str,
    options: &Options,
) -> anyhow::Result<IngestCounts> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot list {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            entries.sort();
            files.extend(entries);
        } else {
            files.push(path.clone());
        }
    }
    let bar = if options.progress {
        ProgressBar::new(files.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    let limits = ResumeLimits::default();
    let mut rejects = RejectWriter::new(options.rejects_dir.join("resumes.rejects.csv"));
    let mut counts = IngestCounts::default();
    let mut batch = Vec::new();
    for file in &files {
        bar.inc(1);
        let reject = |reason: String| Reject {
            source: file.display().to_string(),
            line: 0,
            field: None,
            reason,
            raw: String::new(),
        };
        let Some(external) = resumes::external_id_of(file) else {
            continue;
        };
        let subject = match SubjectId::new(system, &external) {
            Ok(id) => store.subject(&id).await?,
            Err(e) => {
                rejects.write(&reject(e.to_string()))?;
                counts.rejected += 1;
                continue;
            }
        };
        let Some(mut subject) = subject else {
            rejects.write(&reject(format!(
                "no stored subject {system}:{external} (ingest the people file first, with the same --system)"
            )))?;
            counts.rejected += 1;
            continue;
        };
        match resumes::attach_file(&mut subject, file, &limits, extract) {
            Ok(()) => batch.push(subject),
            Err(problem) => {
                rejects.write(&reject(problem.reason))?;
                counts.rejected += 1;
            }
        }
        if batch.len() >= options.batch {
            counts.accepted += store.upsert_subjects(&batch).await?;
            batch.clear();
        }
    }
    counts.accepted += store.upsert_subjects(&batch).await?;
    bar.finish_and_clear();
    if let Some((path, n)) = rejects.finish()? {
        eprintln!("{n} resumes not attached, listed in {}", path.display());
    }
    Ok(counts)
}
