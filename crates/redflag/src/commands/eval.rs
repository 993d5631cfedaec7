//! `redflag eval`: runs the pipeline on a generated world (or any directory holding a redflag-synth
//! `ground_truth.json`) and scores it against the truth: subject and ring precision/recall/F1, a
//! precision–recall curve (SVG), each rule's contribution, the false positives, time to detect on
//! growing prefixes of the event window, and the fairness table.
//!
//! The pipeline is called directly ([`Engines::assess`]) on subjects and events read by the real
//! connectors (people with PDF, DOCX and text resumes; Okta, Entra ID and Google sign-ins; osquery;
//! payroll; shipping), without a database: attribution of events to subjects is done in memory the
//! way the store does it (the lowest subject id claiming one of the event's identifiers).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rayon::prelude::*;
use redflag_connectors::payroll::{PayoutMapping, PayrollReader};
use redflag_connectors::people::{PeopleMapping, PeopleReader};
use redflag_connectors::resumes::{self, ResumeLimits};
use redflag_connectors::shipping::{ShipmentMapping, ShippingReader};
use redflag_connectors::{Record, entra, google, okta, osquery};
use redflag_model::{DeviceId, DeviceKind, Event, Identifier, IdentifierKind, RiskLevel, Subject};
use redflag_pipeline::{Engines, PipelineOutput, ShardedRun};
use redflag_synth::WorldConfig;
use redflag_synth::eval::{
    EvalOptions, EvalReport, PrefixRun, Scored, StoredRing, Truth, evaluate, render_markdown, svg,
    time_to_detect,
};

use crate::Cli;
use crate::output::table;

/// How `eval` prints its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum EvalFormat {
    /// Tables for people.
    #[default]
    Table,
    /// The whole report as one JSON document.
    Json,
}

/// Arguments of `eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Evaluate this directory (with `ground_truth.json`, `people.csv` and any event files) instead of
    /// generating a world.
    #[arg(long)]
    pub world: Option<PathBuf>,
    /// Subjects of the generated world.
    #[arg(long, default_value_t = 10_000)]
    pub subjects: usize,
    /// Days of events of the generated world.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Seed of the generated world (default: the generator's default seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Operator rings per 10,000 subjects in the generated worlds (default: the generator's, 12).
    #[arg(long)]
    pub rings_per_10k: Option<f64>,
    /// Applications opened through single sign-on after each Okta or Entra session in the generated
    /// worlds, on average (default: the generator's; each is one more sign-in event).
    #[arg(long)]
    pub app_sign_ins: Option<f64>,
    /// Generate people and ground truth only, no event files (for very large worlds).
    #[arg(long)]
    pub people_only: bool,
    /// Where to write the generated world (default: `<data-dir>/eval-world-<subjects>-<seed>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A subject counts as flagged at this level or above (low, medium, high, critical).
    #[arg(long, default_value = "high", value_parser = parse_level)]
    pub level: RiskLevel,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = EvalFormat::Table)]
    pub format: EvalFormat,
    /// The Markdown report (default: `eval-report.md` in the world directory).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// The precision–recall curve (default: `pr-curve.svg` in the world directory).
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// Subjects of the smaller world time to detect runs on, written to
    /// `<data-dir>/eval-ttd-<subjects>-<seed>` (0 skips time to detect).
    #[arg(long, default_value_t = 2_000)]
    pub ttd_subjects: usize,
    /// Operator rings per 10,000 subjects in the time-to-detect world (denser than the default so a
    /// small world holds enough operators to measure).
    #[arg(long, default_value_t = 60.0)]
    pub ttd_rings_per_10k: f64,
    /// Prefixes of the event window, in days, time to detect runs on.
    #[arg(long, value_delimiter = ',', default_value = "7,14,30,60,90")]
    pub ttd_days: Vec<u32>,
    /// Generate and assess the world in shards of this many subjects (0: the whole world in memory).
    /// Every subject is held, but only one shard's event files and events at a time: the way to
    /// evaluate a million-subject world with events. Needs a generated world (not `--world`).
    #[arg(long, default_value_t = 0)]
    pub shard_size: usize,
    /// Also write every assessment, in subject order, as JSON Lines to this file.
    #[arg(long)]
    pub assessments: Option<PathBuf>,
    /// With `--shard-size`: also write the whole world to `<world>/whole`, assess it in memory (the
    /// path without shards) and write those assessments to this file as JSON Lines, to compare with
    /// `--assessments` (a check that sharding changes nothing; for small worlds).
    #[arg(long, requires = "shard_size")]
    pub in_memory_assessments: Option<PathBuf>,
    /// Exit with code 1 when subject-level F1 is below this.
    #[arg(long)]
    pub min_f1: Option<f64>,
    /// Exit with code 1 when subject-level recall is below this.
    #[arg(long)]
    pub min_recall: Option<f64>,
    /// Exit with code 1 when the fairness table has a violation.
    #[arg(long)]
    pub fail_on_unfair: bool,
}

fn parse_level(text: &str) -> Result<RiskLevel, String> {
    RiskLevel::parse(text)
        .ok_or_else(|| format!("unknown level {text:?}; expected low, medium, high or critical"))
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    tokio::task::block_in_place(|| run_blocking(cli, args))
}

impl Args {
    /// Applications opened a session in the generated worlds: the flag, else the generator's default.
    fn app_sign_ins_per_session(&self) -> f64 {
        self.app_sign_ins
            .unwrap_or(WorldConfig::default().app_sign_ins_per_session)
    }
}

fn run_blocking(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut timings = BTreeMap::new();
    let seed = args.seed.unwrap_or(WorldConfig::default().seed);
    if args.shard_size > 0 && args.world.is_some() {
        anyhow::bail!(
            "--shard-size generates the world shard by shard; it cannot be used with --world"
        );
    }
    let sharded = args.shard_size > 0 && !args.people_only;
    let dir = match &args.world {
        Some(dir) => dir.clone(),
        None => {
            let config = WorldConfig {
                seed,
                subjects: args.subjects,
                days: args.days,
                events: !args.people_only,
                rings_per_10k: args
                    .rings_per_10k
                    .unwrap_or(WorldConfig::default().rings_per_10k),
                app_sign_ins_per_session: args.app_sign_ins_per_session(),
                ..WorldConfig::default()
            };
            let dir = args.out.clone().unwrap_or_else(|| {
                cli.data_dir
                    .join(format!("eval-world-{}-{}", config.subjects, config.seed))
            });
            if sharded {
                let t = Instant::now();
                let config = WorldConfig {
                    events: true,
                    ..config
                };
                if !cli.quiet {
                    eprintln!(
                        "generating a world of {} subjects, {} days (seed {}) in {}, events in shards of {}",
                        config.subjects,
                        config.days,
                        config.seed,
                        dir.display(),
                        args.shard_size
                    );
                }
                redflag_synth::generate(&config)
                    .write_people_to(&dir)
                    .with_context(|| format!("writing the synthetic world to {}", dir.display()))?;
                timings.insert("generate people".to_string(), t.elapsed().as_secs_f64());
            } else {
                let t = Instant::now();
                generate(&config, &dir, cli.quiet)?;
                timings.insert("generate world".to_string(), t.elapsed().as_secs_f64());
            }
            dir
        }
    };

    let truth = Truth::read(&dir)?;
    let t = Instant::now();
    let engines = Engines::builtin().context("building the engines")?;
    timings.insert("build engines".to_string(), t.elapsed().as_secs_f64());
    let at = window_end(&truth)?;

    let (output, world_notes) = if sharded {
        let config = WorldConfig {
            seed,
            subjects: args.subjects,
            days: args.days,
            events: true,
            rings_per_10k: args
                .rings_per_10k
                .unwrap_or(WorldConfig::default().rings_per_10k),
            app_sign_ins_per_session: args.app_sign_ins_per_session(),
            ..WorldConfig::default()
        };
        let sharded_output = assess_sharded(
            &engines,
            &config,
            &dir,
            &truth,
            at,
            args.shard_size,
            cli.quiet,
            &mut timings,
        )?;
        if let Some(path) = &args.in_memory_assessments {
            let whole = dir.join("whole");
            generate(&config, &whole, cli.quiet)?;
            let world = load_world(&whole, &truth.ground.system)?;
            write_assessments(path, &engines.assess(&world.subjects, &world.events, at))?;
        }
        sharded_output
    } else {
        let t = Instant::now();
        let world = load_world(&dir, &truth.ground.system)?;
        timings.insert("read world".to_string(), t.elapsed().as_secs_f64());
        if !cli.quiet {
            eprintln!(
                "read {} subjects ({} rejected) and {} events ({} attributed) from {}",
                world.subjects.len(),
                world.rejected,
                world.events_read,
                world.events.len(),
                dir.display()
            );
        }
        let t = Instant::now();
        let output = engines.assess(&world.subjects, &world.events, at);
        timings.insert("assess".to_string(), t.elapsed().as_secs_f64());
        (output, world.notes)
    };
    if let Some(path) = &args.assessments {
        write_assessments(path, &output)?;
    }
    // The pipeline's own stages, to see which one grows with the world.
    for (stage, seconds) in &output.timings {
        *timings.entry(format!("assess: {stage}")).or_insert(0.0) += seconds;
    }

    let options = EvalOptions {
        level: args.level,
        ..EvalOptions::default()
    };
    let scored: Vec<Scored> = output
        .assessments
        .iter()
        .map(Scored::from_assessment)
        .collect();
    let rings = stored_rings(&output);
    let mut report = evaluate(&truth, &scored, &rings, &options);
    report.notes.extend(world_notes);
    if rings.is_empty() {
        report.notes.push(
            "The run stored no rings, so ring recall is 0 by construction and ring precision is not applicable.".into(),
        );
    }
    drop(output);

    if args.ttd_subjects > 0 && !args.ttd_days.is_empty() {
        let t = Instant::now();
        let ttd_dir = cli
            .data_dir
            .join(format!("eval-ttd-{}-{seed}", args.ttd_subjects));
        report.time_to_detect = Some(run_time_to_detect(
            &engines,
            &ttd_dir,
            WorldConfig {
                seed,
                subjects: args.ttd_subjects,
                rings_per_10k: args.ttd_rings_per_10k,
                app_sign_ins_per_session: args.app_sign_ins_per_session(),
                ..WorldConfig::default()
            },
            &args.ttd_days,
            args.level,
            cli.quiet,
        )?);
        timings.insert("time to detect".to_string(), t.elapsed().as_secs_f64());
    }
    timings.insert("total".to_string(), started.elapsed().as_secs_f64());
    report.timings = timings;

    let command = command_line();
    let svg_path = args.svg.clone().unwrap_or_else(|| dir.join("pr-curve.svg"));
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| dir.join("eval-report.md"));
    let operating = Some((report.subjects.recall, report.subjects.precision));
    let title = format!(
        "redflag precision–recall, {} subjects (seed {})",
        report.world.subjects, report.world.seed
    );
    let curve = svg::pr_curve_svg(&report.pr_curve, operating, &title);
    write_file(&svg_path, &curve)?;
    let svg_link = relative_to(&svg_path, &report_path);
    let markdown = render_markdown(&report, &command, Some(&svg_link));
    write_file(&report_path, &markdown)?;

    match args.format {
        EvalFormat::Json => {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &report)?;
            println!();
        }
        EvalFormat::Table => print_tables(&report),
    }
    if !cli.quiet {
        eprintln!(
            "report: {}  curve: {}",
            report_path.display(),
            svg_path.display()
        );
    }

    let mut failed = Vec::new();
    if let Some(min) = args.min_f1
        && report.subjects.f1 < min
    {
        failed.push(format!("F1 {:.3} is below {min}", report.subjects.f1));
    }
    if let Some(min) = args.min_recall
        && report.subjects.recall < min
    {
        failed.push(format!(
            "recall {:.3} is below {min}",
            report.subjects.recall
        ));
    }
    if args.fail_on_unfair && report.fairness_violated() {
        failed.push(format!(
            "{} fairness violation(s)",
            report.fairness.violations
        ));
    }
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("eval check failed: {}", failed.join("; "));
        Ok(ExitCode::from(1))
    }
}

fn generate(config: &WorldConfig, dir: &Path, quiet: bool) -> anyhow::Result<()> {
    if !quiet {
        eprintln!(
            "generating a world of {} subjects, {} days (seed {}) in {}",
            config.subjects,
            config.days,
            config.seed,
            dir.display()
        );
    }
    redflag_synth::generate(config)
        .write_to(dir)
        .with_context(|| format!("writing the synthetic world to {}", dir.display()))?;
    Ok(())
}

/// The end of the truth's event window (midnight UTC of its last day), when the run is assessed.
fn window_end(truth: &Truth) -> anyhow::Result<DateTime<Utc>> {
    window_day(&truth.ground.window[1])
}

fn window_day(text: &str) -> anyhow::Result<DateTime<Utc>> {
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("ground truth window day {text:?} is not YYYY-MM-DD"))?;
    Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// A world read through the connectors, events attributed in memory.
struct LoadedWorld {
    subjects: Vec<Subject>,
    /// Attributed events only.
    events: Vec<Event>,
    rejected: u64,
    events_read: u64,
    notes: Vec<String>,
}

/// Reads `people.csv` and whichever event files the directory holds.
fn load_world(dir: &Path, system: &str) -> anyhow::Result<LoadedWorld> {
    let people = dir.join("people.csv");
    let file = File::open(&people).with_context(|| format!("cannot open {}", people.display()))?;
    let reader = PeopleReader::new(
        BufReader::new(file),
        &people.display().to_string(),
        system,
        PeopleMapping::generic(),
    )?;
    let mut subjects = Vec::new();
    let mut rejected = 0;
    let mut unattached = 0u64;
    let limits = ResumeLimits::default();
    for record in reader {
        match record {
            Ok(mut subject) => {
                if let Err(problem) = resumes::attach_named(&mut subject, dir, &limits, extract) {
                    tracing::warn!(%problem, "resume not attached");
                    unattached += 1;
                }
                subjects.push(subject);
            }
            Err(reject) => {
                tracing::warn!(%reject, "rejected");
                rejected += 1;
            }
        }
    }

    let mut notes = Vec::new();
    if unattached > 0 {
        notes.push(format!(
            "{unattached} resumes named in people.csv could not be attached."
        ));
    }
    let events = read_event_files(dir, &mut rejected, &mut notes)?;
    let events_read = events.len() as u64;
    let events = Claims::new(&subjects).attribute(&subjects, events);
    Ok(LoadedWorld {
        subjects,
        events,
        rejected,
        events_read,
        notes,
    })
}

/// Reads whichever event files `dir` holds (payroll, shipping, Okta, Entra ID, Google, osquery), not
/// yet attributed; osquery rows get their laptop owner's email from the shipments.
fn read_event_files(
    dir: &Path,
    rejected: &mut u64,
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<Event>> {
    let rejected = &mut *rejected;
    let mut events = Vec::new();
    let payroll_path = dir.join("payroll_changes.csv");
    if payroll_path.exists() {
        let name = payroll_path.display().to_string();
        let reader = PayrollReader::new(open(&payroll_path)?, &name, &PayoutMapping::generic())?;
        read_events(reader, &mut events, rejected);
    }
    let shipping_path = dir.join("laptop_shipments.csv");
    if shipping_path.exists() {
        let name = shipping_path.display().to_string();
        let reader =
            ShippingReader::new(open(&shipping_path)?, &name, &ShipmentMapping::generic())?;
        read_events(reader, &mut events, rejected);
    }
    // Sign-ins: each department of a generated company signs in through Okta, Entra ID or Google.
    let mut sign_in_logs = 0;
    let okta_path = dir.join("okta_system_log.ndjson");
    if okta_path.exists() {
        let name = okta_path.display().to_string();
        read_events(
            okta::reader(open(&okta_path)?, &name),
            &mut events,
            rejected,
        );
        sign_in_logs += 1;
    }
    let entra_path = dir.join("entra_sign_ins.ndjson");
    if entra_path.exists() {
        let name = entra_path.display().to_string();
        read_events(
            entra::reader(open(&entra_path)?, &name),
            &mut events,
            rejected,
        );
        sign_in_logs += 1;
    }
    let google_path = dir.join("google_login_activities.ndjson");
    if google_path.exists() {
        let name = google_path.display().to_string();
        read_events(
            google::reader(open(&google_path)?, &name),
            &mut events,
            rejected,
        );
        sign_in_logs += 1;
    }
    if sign_in_logs == 0 {
        notes.push(
            "No sign-in log (okta_system_log.ndjson, entra_sign_ins.ndjson, google_login_activities.ndjson): sign-in rules saw no data.".into(),
        );
    }
    let osquery_path = dir.join("osquery_results.ndjson");
    if osquery_path.exists() {
        let name = osquery_path.display().to_string();
        let mut endpoint = Vec::new();
        read_events(
            osquery::reader(open(&osquery_path)?, &name),
            &mut endpoint,
            rejected,
        );
        // osquery rows name a host, not a person: the laptop's shipment record ties its serial to the
        // employee's email, as an MDM inventory would.
        let owners = laptop_owners(&dir.join("laptop_shipments.csv"))?;
        for event in &mut endpoint {
            let owner = event.identifiers.iter().find_map(|i| match i {
                Identifier::Device(d) if d.kind == DeviceKind::Serial => owners.get(&d.value),
                _ => None,
            });
            if let Some(email) = owner
                && let Ok(email) = Identifier::email(email)
            {
                event.identifiers.push(email);
            }
        }
        events.extend(endpoint);
    }
    Ok(events)
}

/// Resume text extraction within the identity engine's limits (as `ingest people` does).
fn extract(bytes: &[u8], name: &str) -> Result<String, String> {
    redflag_identity::extract_text(bytes, name, &redflag_identity::ExtractLimits::default())
        .map(|r| r.text)
        .map_err(|e| e.to_string())
}

fn open(path: &Path) -> anyhow::Result<BufReader<File>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(BufReader::with_capacity(1 << 20, file))
}

fn read_events(
    reader: impl Iterator<Item = Record<Event>>,
    out: &mut Vec<Event>,
    rejected: &mut u64,
) {
    for record in reader {
        match record {
            Ok(event) => out.push(event),
            Err(reject) => {
                tracing::warn!(%reject, "rejected");
                *rejected += 1;
            }
        }
    }
}

/// Serial → email from the synth `laptop_shipments.csv` (absent file: no owners).
fn laptop_owners(path: &Path) -> anyhow::Result<HashMap<String, String>> {
    let mut owners = HashMap::new();
    if !path.exists() {
        return Ok(owners);
    }
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot open {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(email), Some(serial)) = (column("email"), column("serial")) else {
        return Ok(owners);
    };
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", path.display()))?;
        if let (Some(e), Some(s)) = (record.get(email), record.get(serial))
            && let Ok(device) = DeviceId::new(DeviceKind::Serial, s)
        {
            owners.insert(device.value, e.to_string());
        }
    }
    Ok(owners)
}

/// Who claims each identifier: the position of the subject with the lowest id among those whose
/// record carries it (as the store attributes events).
struct Claims(HashMap<(IdentifierKind, String), usize>);

impl Claims {
    fn new(subjects: &[Subject]) -> Self {
        let mut claims: HashMap<(IdentifierKind, String), usize> = HashMap::new();
        for (p, subject) in subjects.iter().enumerate() {
            for identifier in &subject.identifiers {
                claims
                    .entry((identifier.kind(), identifier.value()))
                    .and_modify(|q| {
                        if subject.id < subjects[*q].id {
                            *q = p;
                        }
                    })
                    .or_insert(p);
            }
        }
        Self(claims)
    }

    /// Attributes each event to the lowest subject id claiming one of its identifiers (as the store
    /// does) and drops events nobody claims.
    fn attribute(&self, subjects: &[Subject], events: Vec<Event>) -> Vec<Event> {
        events
            .into_iter()
            .filter_map(|mut event| {
                let owner = event
                    .identifiers
                    .iter()
                    .filter_map(|i| self.0.get(&(i.kind(), i.value())))
                    .map(|&p| &subjects[p].id)
                    .min()
                    .cloned();
                event.subject = owner;
                event.subject.is_some().then_some(event)
            })
            .collect()
    }
}

/// Generates the world's events and resumes shard by shard (`shard_size` rows of `people.csv` at a
/// time, in `<dir>/shard-a` and `<dir>/shard-b`: the next shard is generated on another thread while
/// one is read and assessed; both are removed at the end) and assesses them with a [`ShardedRun`]:
/// every subject is held, at most two shards' files and one shard's events at a time. `people.csv`
/// and the truth are already in `dir`.
#[allow(clippy::too_many_arguments)]
fn assess_sharded(
    engines: &Engines,
    config: &WorldConfig,
    dir: &Path,
    truth: &Truth,
    at: DateTime<Utc>,
    shard_size: usize,
    quiet: bool,
    timings: &mut BTreeMap<String, f64>,
) -> anyhow::Result<(PipelineOutput, Vec<String>)> {
    let add = |timings: &mut BTreeMap<String, f64>, stage: &str, t: Instant| {
        *timings.entry(stage.to_string()).or_insert(0.0) += t.elapsed().as_secs_f64();
    };
    let t = Instant::now();
    let people = dir.join("people.csv");
    let file = File::open(&people).with_context(|| format!("cannot open {}", people.display()))?;
    let reader = PeopleReader::new(
        BufReader::with_capacity(1 << 20, file),
        &people.display().to_string(),
        &truth.ground.system,
        PeopleMapping::generic(),
    )?;
    let mut subjects = Vec::new();
    // The people.csv row of each subject (rejected rows have none).
    let mut rows: Vec<usize> = Vec::new();
    let mut rejected = 0u64;
    for (row, record) in reader.enumerate() {
        match record {
            Ok(subject) => {
                subjects.push(subject);
                rows.push(row);
            }
            Err(reject) => {
                tracing::warn!(%reject, "rejected");
                rejected += 1;
            }
        }
    }
    let claims = Claims::new(&subjects);
    add(timings, "read people", t);
    let t = Instant::now();
    let mut run = ShardedRun::new(engines, subjects, at);
    add(timings, "assess: index subjects", t);
    if !quiet {
        eprintln!(
            "read {} subjects ({rejected} rejected); {} claim an identifier shared with another subject (lowest id) and wait for the end",
            run.subjects().len(),
            run.deferred()
        );
    }
    let world = redflag_synth::generate(config);
    // Two shard directories: the next shard is generated in one while this one is read and assessed.
    let shard_dirs = [dir.join("shard-a"), dir.join("shard-b")];
    let write_shard = |k: usize| -> anyhow::Result<f64> {
        let t = Instant::now();
        let (start, end) = (k * shard_size, ((k + 1) * shard_size).min(config.subjects));
        let shard_dir = &shard_dirs[k % 2];
        if shard_dir.exists() {
            std::fs::remove_dir_all(shard_dir)
                .with_context(|| format!("cannot remove {}", shard_dir.display()))?;
        }
        world.write_events(shard_dir, start..end).with_context(|| {
            format!("writing subjects {start}..{end} to {}", shard_dir.display())
        })?;
        Ok(t.elapsed().as_secs_f64())
    };
    let shards = config.subjects.div_ceil(shard_size);
    let limits = ResumeLimits::default();
    let mut notes = Vec::new();
    let (mut unattached, mut events_read, mut attributed) = (0u64, 0u64, 0u64);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let mut next = (shards > 0).then(|| scope.spawn(|| write_shard(0)));
        for k in 0..shards {
            let t = Instant::now();
            let generated = match next.take() {
                Some(handle) => handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("the shard generator panicked"))??,
                None => write_shard(k)?,
            };
            add(timings, "wait for generation", t);
            *timings
                .entry("generate events and resumes (overlapped)".to_string())
                .or_insert(0.0) += generated;
            if k + 1 < shards {
                next = Some(scope.spawn(move || write_shard(k + 1)));
            }
            let (start, end) = (k * shard_size, ((k + 1) * shard_size).min(config.subjects));
            let shard_dir = &shard_dirs[k % 2];
            let t = Instant::now();
            let positions =
                rows.partition_point(|&r| r < start)..rows.partition_point(|&r| r < end);
            unattached += run.subjects_mut()[positions.clone()]
                .par_iter_mut()
                .map(
                    |subject| match resumes::attach_named(subject, shard_dir, &limits, extract) {
                        Ok(_) => 0,
                        Err(problem) => {
                            tracing::warn!(%problem, "resume not attached");
                            1
                        }
                    },
                )
                .sum::<u64>();
            let mut shard_notes = Vec::new();
            let events = read_event_files(shard_dir, &mut rejected, &mut shard_notes)?;
            for note in shard_notes {
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
            events_read += events.len() as u64;
            let events = claims.attribute(run.subjects(), events);
            attributed += events.len() as u64;
            add(timings, "read world", t);
            let t = Instant::now();
            let count = events.len();
            run.add_shard(positions, events);
            add(timings, "assess: per-subject shards", t);
            if !quiet {
                eprintln!(
                    "shard {start}..{end}: {count} events attributed ({events_read} read so far)"
                );
            }
        }
        Ok(())
    })?;
    for shard_dir in &shard_dirs {
        if shard_dir.exists() {
            std::fs::remove_dir_all(shard_dir)
                .with_context(|| format!("cannot remove {}", shard_dir.display()))?;
        }
    }
    drop(claims);
    if unattached > 0 {
        notes.push(format!(
            "{unattached} resumes named in people.csv could not be attached."
        ));
    }
    let late = run.late_events();
    notes.push(format!(
        "Assessed in shards of {shard_size} subjects: {events_read} events read, {attributed} attributed; {} subjects (the lowest id of an identifier shared with others) assessed after the last shard; {late} events attributed to a subject of an earlier shard (left out).",
        run.deferred()
    ));
    let t = Instant::now();
    let output = run.finish();
    add(timings, "assess: population and scoring", t);
    Ok((output, notes))
}

/// Every assessment as one JSON document per line, in subject order.
fn write_assessments(path: &Path, output: &PipelineOutput) -> anyhow::Result<()> {
    use std::io::Write;
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    for assessment in &output.assessments {
        serde_json::to_writer(&mut out, assessment)?;
        out.write_all(b"\n")?;
    }
    out.flush()
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Stored rings with the kinds of their links: the rings the run produced, or else the ring each
/// assessment names (members only).
fn stored_rings(output: &PipelineOutput) -> Vec<StoredRing> {
    if !output.rings.is_empty() {
        return output
            .rings
            .iter()
            .map(|r| StoredRing {
                members: r.members.iter().map(|m| m.as_str().to_string()).collect(),
                link_kinds: r
                    .links
                    .iter()
                    .filter(|l| l.weight > 0.0)
                    .map(|l| l.kind.clone())
                    .collect::<BTreeSet<String>>()
                    .into_iter()
                    .collect(),
            })
            .collect();
    }
    let mut rings: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for assessment in &output.assessments {
        if let Some(ring) = &assessment.ring {
            rings
                .entry(ring.0.as_str())
                .or_default()
                .push(assessment.subject.as_str().to_string());
        }
    }
    rings.into_values().map(StoredRing::from).collect()
}

/// Generates a smaller world and assesses it on growing prefixes of its event window.
fn run_time_to_detect(
    engines: &Engines,
    dir: &Path,
    base: WorldConfig,
    days: &[u32],
    level: RiskLevel,
    quiet: bool,
) -> anyhow::Result<redflag_synth::eval::TimeToDetect> {
    let longest = days.iter().copied().max().unwrap_or(0).max(1);
    let config = WorldConfig {
        days: longest,
        ..base
    };
    generate(&config, dir, quiet)?;
    let truth = Truth::read(dir)?;
    let world = load_world(dir, &truth.ground.system)?;
    let start = window_day(&truth.ground.window[0])?;
    let mut runs = Vec::new();
    for &d in days {
        let end = start + Duration::days(i64::from(d));
        let prefix: Vec<Event> = world
            .events
            .iter()
            .filter(|e| e.time < end)
            .cloned()
            .collect();
        let output = engines.assess(&world.subjects, &prefix, end);
        let flagged: BTreeSet<String> = output
            .assessments
            .iter()
            .filter(|a| a.level >= level)
            .map(|a| a.subject.as_str().to_string())
            .collect();
        if !quiet {
            eprintln!(
                "time to detect: {d} days, {} events, {} flagged",
                prefix.len(),
                flagged.len()
            );
        }
        runs.push(PrefixRun { days: d, flagged });
    }
    Ok(time_to_detect(&truth, &runs))
}

fn print_tables(report: &EvalReport) {
    let s = &report.subjects;
    let w = &report.world;
    println!(
        "World: {} subjects, {} operators in {} rings, {} innocents ({} hard negatives), events {} to {}",
        w.subjects, w.operators, w.rings, w.innocents, w.hard_negatives, w.window[0], w.window[1]
    );
    let mut t = table(&[
        "flagged at",
        "precision",
        "recall",
        "F1",
        "FPR",
        "TP",
        "FP",
        "FN",
        "TN",
    ]);
    for row in &s.by_level {
        let c = &row.confusion;
        let chosen = if row.level == s.level {
            " (chosen)"
        } else {
            ""
        };
        t.add_row(vec![
            format!("{} or above{chosen}", row.level.as_str()),
            format!("{:.3}", row.precision),
            format!("{:.3}", row.recall),
            format!("{:.3}", row.f1),
            format!("{:.2} %", c.false_positive_rate() * 100.0),
            c.true_positives.to_string(),
            c.false_positives.to_string(),
            c.false_negatives.to_string(),
            c.true_negatives.to_string(),
        ]);
    }
    println!("{t}");
    if let Some(best) = &s.best_f1 {
        println!(
            "Average precision {:.3}. Best F1 on this world: {:.3} at score >= {:.4} (precision {:.3}, recall {:.3})",
            s.average_precision, best.f1, best.threshold, best.precision, best.recall
        );
    }

    let l = &report.rings.linkage;
    println!(
        "Rings: {} planted, {} stored, {} found (recall {:.3}), precision {}; {} planted rings have a flagged member",
        l.planted,
        l.stored,
        l.found,
        l.recall,
        l.precision.map_or("n/a".into(), |p| format!("{p:.3}")),
        report.rings.rings_with_a_flagged_member
    );

    let mut t = table(&["strength", "operators", "flagged", "recall"]);
    for row in &report.by_strength {
        t.add_row(vec![
            format!("{:?}", row.strength),
            row.operators.to_string(),
            row.flagged.to_string(),
            format!("{:.3}", row.recall),
        ]);
    }
    println!("{t}");

    let mut t = table(&["rule", "on operators", "on innocents", "in TP", "in FP"]);
    for rule in &report.rules {
        t.add_row(vec![
            rule.rule.clone(),
            rule.fired_on_operators.to_string(),
            rule.fired_on_innocents.to_string(),
            rule.true_positives.to_string(),
            rule.false_positives.to_string(),
        ]);
    }
    println!("{t}");

    let mut t = table(&["signal", "operators", "flagged", "recall"]);
    for row in &report.by_signal {
        t.add_row(vec![
            serde_json::to_value(row.signal)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            row.operators.to_string(),
            row.flagged.to_string(),
            format!("{:.3}", row.recall),
        ]);
    }
    if !report.by_signal.is_empty() {
        println!("{t}");
    }

    let mut t = table(&["missed operator", "strength", "score", "planted", "rules"]);
    for m in report.missed_operators.iter().take(15) {
        t.add_row(vec![
            m.subject.clone(),
            format!("{:?}", m.strength),
            format!("{:.3}", m.score),
            m.signals
                .iter()
                .filter_map(|s| serde_json::to_value(s).ok())
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>()
                .join(" "),
            m.rules.join(" "),
        ]);
    }
    if !report.missed_operators.is_empty() {
        println!("{t}");
    }

    let mut t = table(&["false positive", "score", "hard negative", "rules"]);
    for fp in report.false_positives.iter().take(15) {
        t.add_row(vec![
            fp.subject.clone(),
            format!("{:.3}", fp.score),
            fp.hard_negative.clone().unwrap_or_default(),
            fp.rules.join(" "),
        ]);
    }
    if !report.false_positives.is_empty() {
        println!("{t}");
    }

    let f = &report.fairness;
    println!(
        "Fairness: overall FPR {:.2} % over {} innocents, limit {:.2} %, {} violation(s)",
        f.overall_rate * 100.0,
        f.innocents,
        f.limit * 100.0,
        f.violations
    );
    let mut t = table(&[
        "dimension",
        "group",
        "innocents",
        "flagged",
        "FPR",
        "verdict",
    ]);
    for row in f.rows.iter().filter(|r| r.judged) {
        t.add_row(vec![
            row.dimension.clone(),
            row.group.clone(),
            row.innocents.to_string(),
            row.false_positives.to_string(),
            format!("{:.2} %", row.rate * 100.0),
            if row.violation { "VIOLATION" } else { "ok" }.to_string(),
        ]);
    }
    println!("{t}");

    if let Some(ttd) = &report.time_to_detect {
        println!(
            "Time to detect ({} subjects): median {} days (hired: {}), {} operators never flagged",
            ttd.subjects,
            ttd.median_days.map_or("n/a".into(), |d| d.to_string()),
            ttd.median_days_hired
                .map_or("n/a".into(), |d| d.to_string()),
            ttd.never_flagged
        );
        let mut t = table(&["days", "recall", "hired recall", "innocents flagged"]);
        for p in &ttd.prefixes {
            t.add_row(vec![
                p.days.to_string(),
                format!("{:.1} %", p.recall * 100.0),
                format!("{:.1} %", p.hired_recall * 100.0),
                p.innocents_flagged.to_string(),
            ]);
        }
        println!("{t}");
    }
    for note in &report.notes {
        println!("note: {note}");
    }
}

/// The command line as typed, with the program shown as `redflag`.
fn command_line() -> String {
    let mut parts: Vec<String> = std::env::args().skip(1).collect();
    parts.insert(0, "redflag".into());
    parts.join(" ")
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// `target` relative to the directory of `from` when it lies under it, else `target` as given.
fn relative_to(target: &Path, from: &Path) -> String {
    let base = from.parent().unwrap_or(Path::new(""));
    target
        .strip_prefix(base)
        .unwrap_or(target)
        .display()
        .to_string()
}
