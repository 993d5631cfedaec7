//! `redflag assess`: run every engine over the stored population and store the assessments.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use chrono::Utc;
use redflag_model::RiskLevel;
use redflag_pipeline::Engines;
use redflag_store::Store;

use crate::Cli;

/// Arguments of `assess`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// What an assessment run did.
#[derive(Debug, Default)]
pub struct AssessSummary {
    /// Subjects assessed.
    pub subjects: usize,
    /// Events used.
    pub events: usize,
    /// Facts computed.
    pub facts: usize,
    /// Findings raised.
    pub findings: usize,
    /// Rings of linked personas.
    pub rings: usize,
    /// Subjects per level.
    pub levels: BTreeMap<RiskLevel, usize>,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Wall time of each step (reads, pipeline stages, writes), in seconds, in run order.
    pub timings: Vec<(String, f64)>,
}

pub async fn run(cli: &Cli, _args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open_store(cli).await?;
    let engines = tokio::task::block_in_place(|| build_engines(cli))?;
    let summary = assess_store(&store, &engines).await?;
    if !cli.quiet {
        print_summary(&summary);
    }
    Ok(ExitCode::SUCCESS)
}

/// The engines on the vendored data plus whatever lists and network data sets were imported into the
/// data directory (`redflag lists import`, `redflag netintel import`).
pub fn build_engines(cli: &Cli) -> anyhow::Result<Engines> {
    let registry = redflag_pipeline::registry()?;
    let rules = redflag_rules::RulePack::builtin(&registry);
    let netintel = std::sync::Arc::new(super::netintel::load(&cli.data_dir)?);
    let lists = super::lists::load_active(&cli.data_dir)?;
    let watchlist = std::sync::Arc::new(redflag_watchlist::Index::build(lists));
    Ok(Engines::with(
        registry,
        rules,
        netintel,
        watchlist,
        redflag_pipeline::PipelineConfig::default(),
    )?)
}

/// Assesses everything in the store and writes facts and assessments back.
pub async fn assess_store(store: &Store, engines: &Engines) -> anyhow::Result<AssessSummary> {
    let started = Instant::now();
    let mut timings = Vec::new();
    let mut last = Instant::now();
    let mut lap = |step: &str, timings: &mut Vec<(String, f64)>| {
        timings.push((step.to_string(), last.elapsed().as_secs_f64()));
        last = Instant::now();
    };
    let subjects = store.subjects().await?;
    lap("read subjects", &mut timings);
    let events = store.attributed_events().await?;
    lap("read events", &mut timings);
    // The engines are CPU-bound (rayon); keep them off the async workers.
    let output = tokio::task::block_in_place(|| engines.assess(&subjects, &events, Utc::now()));
    lap("engines", &mut timings);
    timings.extend(
        output
            .timings
            .iter()
            .map(|(stage, s)| (format!("  engines: {stage}"), *s)),
    );
    let ids: Vec<_> = subjects.iter().map(|s| s.id.clone()).collect();
    store.replace_facts(&ids, &output.facts).await?;
    lap("store facts", &mut timings);
    store.save_assessments(&output.assessments).await?;
    lap("store assessments", &mut timings);
    store.replace_rings(&output.rings).await?;
    lap("store rings", &mut timings);
    for note in &output.linkage_notes {
        tracing::info!(%note, "linkage");
    }
    let mut levels = BTreeMap::new();
    for a in &output.assessments {
        *levels.entry(a.level).or_insert(0) += 1;
    }
    Ok(AssessSummary {
        subjects: subjects.len(),
        events: events.len(),
        facts: output.facts.len(),
        findings: output.assessments.iter().map(|a| a.findings.len()).sum(),
        rings: output.rings.len(),
        levels,
        seconds: started.elapsed().as_secs_f64(),
        timings,
    })
}

/// Prints the run summary to stderr.
pub fn print_summary(summary: &AssessSummary) {
    let levels = summary
        .levels
        .iter()
        .rev()
        .map(|(level, n)| format!("{n} {}", level.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    eprintln!(
        "assessed {} subjects from {} events in {:.1} s: {} facts, {} findings, {} rings; {}",
        summary.subjects,
        summary.events,
        summary.seconds,
        summary.facts,
        summary.findings,
        summary.rings,
        levels
    );
}
