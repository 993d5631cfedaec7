//! `redflag assess`: run every engine over the stored population and store the assessments.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use redflag_identity::ReshipperList;
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
/// data directory (`redflag lists import`, `redflag netintel import`) and the reshipper lists placed
/// in its `reshippers/` folder.
pub fn build_engines(cli: &Cli) -> anyhow::Result<Engines> {
    engines_for(&cli.data_dir)
}

/// [`build_engines`] for a data directory: what `serve` and `worker` build in the background.
pub fn engines_for(data_dir: &Path) -> anyhow::Result<Engines> {
    let registry = redflag_pipeline::registry()?;
    let rules = redflag_rules::RulePack::builtin(&registry);
    let netintel = std::sync::Arc::new(super::netintel::load(data_dir)?);
    let lists = super::lists::load_active(data_dir)?;
    let watchlist = std::sync::Arc::new(redflag_watchlist::Index::build(lists));
    let mut config = redflag_pipeline::PipelineConfig::default();
    config.identity.reshippers = load_reshippers(&data_dir.join(RESHIPPERS_DIR))?;
    Ok(Engines::with(registry, rules, netintel, watchlist, config)?)
}

/// The folder of a data directory whose `*.csv` files are reshipper/freight-forwarder lists
/// (`name,address_lines,city,postcode,country,source`; none ship with redflag).
pub const RESHIPPERS_DIR: &str = "reshippers";

/// Every `*.csv` list in `dir` (in file-name order, each named by its file stem), combined; an empty
/// list when the folder does not exist. A bad row fails the whole load with its file, line and field,
/// so a half-read list never screens silently.
pub fn load_reshippers(dir: &Path) -> anyhow::Result<ReshipperList> {
    let mut all = ReshipperList::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(all),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read {}", dir.display()))?
            .path();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            files.push(path);
        }
    }
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read reshipper list {}", path.display()))?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let list = ReshipperList::parse_csv(&name, &text)
            .with_context(|| format!("reshipper list {}", path.display()))?;
        all.extend(list);
    }
    Ok(all)
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
    let event_count = events.len();
    // The engines are CPU-bound (rayon); keep them off the async workers.
    let output =
        tokio::task::block_in_place(|| engines.assess_owned(&subjects, events, Utc::now()));
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
        events: event_count,
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

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "name,address_lines,city,postcode,country,source\n\
        Bluewater Parcel Forwarding,4410 Industrial Pkwy | Suite 200,Newark,19702,US,fraud team 2026-03\n";

    #[test]
    fn reshipper_lists_come_from_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(RESHIPPERS_DIR);
        assert!(
            load_reshippers(&folder).unwrap().is_empty(),
            "no folder, no list"
        );

        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("fraud-team.csv"), LIST).unwrap();
        std::fs::write(folder.join("notes.txt"), "not a list").unwrap();
        let list = load_reshippers(&folder).unwrap();
        assert_eq!(list.entries().len(), 1);
        assert!(list.entries()[0].describe().contains("Bluewater"));
    }

    #[test]
    fn a_bad_reshipper_row_names_the_file_and_fails_the_load() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), LIST).unwrap();
        std::fs::write(
            dir.path().join("b.csv"),
            "name,address_lines,city,postcode,country,source\n,,,,,\n",
        )
        .unwrap();
        let error = format!("{:#}", load_reshippers(dir.path()).unwrap_err());
        assert!(error.contains("b.csv"), "{error}");
        assert!(error.contains("line"), "{error}");
    }
}
