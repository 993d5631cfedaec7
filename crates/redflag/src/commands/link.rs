//! `redflag link`: persona linkage over the stored subjects and events, storing the rings.
//!
//! The linking state (records, blocks, value counts, scored pairs, rings and the fitted model) is saved
//! in `<data dir>/linkage/state.bin` after every run. The next run loads it and links only the subjects
//! and events that are new or changed since (fingerprints of what was linked are kept in the state), so
//! a daily ingest of a few hundred applicants does not re-compare a million old ones. `--full`
//! recomputes everything and refits the model; so does a run that finds no usable state (missing,
//! corrupt, of another format version, or made under another linkage configuration: the reason is
//! printed) or a population that more than doubled since the model was fitted.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use redflag_linkage::{ExtraEvidence, LinkState, LinkageResult, SharedValue, fingerprint};
use redflag_model::{Event, Subject};
use redflag_netintel::EgressKey;
use redflag_pipeline::PipelineConfig;

use crate::Cli;

/// Arguments of `link`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Recompute every link from scratch and refit the model, instead of linking only what is new.
    #[arg(long)]
    pub full: bool,
}

/// How a run linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Only new and changed subjects and events, into the saved state.
    Incremental,
    /// Everything, with the reason.
    Full(String),
}

/// What a link run did.
#[derive(Debug)]
pub struct LinkSummary {
    /// Incremental or full (and why).
    pub mode: Mode,
    /// Subjects and events handed to the linker (new or changed).
    pub new_subjects: usize,
    /// Events handed to the linker.
    pub new_events: usize,
    /// The linker's result (every ring, the pairs scored in this run).
    pub result: LinkageResult,
}

/// Where linking gets its settings and the data of other engines (network intelligence for shared
/// egress, the sanctions lists for hits), each loaded only when the run needs it.
pub struct Sources<'a> {
    /// The data directory (imported lists and network data sets).
    pub data_dir: &'a Path,
    /// Engine settings (linkage, egress, screening).
    pub config: PipelineConfig,
}

/// Where the state of incremental linking is kept.
pub fn state_path(data_dir: &Path) -> PathBuf {
    data_dir.join("linkage").join("state.bin")
}

pub async fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let store = super::open_store(cli).await?;
    let subjects = store.subjects().await?;
    let events = store.attributed_events().await?;
    let sources = Sources {
        data_dir: &cli.data_dir,
        config: PipelineConfig::default(),
    };
    let path = state_path(&cli.data_dir);
    let summary =
        tokio::task::block_in_place(|| link(&sources, &subjects, &events, &path, args.full))?;
    store.replace_rings(&summary.result.rings).await?;
    if !cli.quiet {
        print_summary(
            &summary,
            subjects.len(),
            started.elapsed().as_secs_f64(),
            &path,
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn subject_fingerprint(subject: &Subject) -> anyhow::Result<u64> {
    let body = serde_json::to_vec(subject)
        .with_context(|| format!("fingerprinting subject {}", subject.id))?;
    Ok(fingerprint(&[b"subject", &body]))
}

fn event_fingerprint(event: &Event) -> u64 {
    let subject = event.subject.as_ref().map_or("", |s| s.as_str());
    fingerprint(&[b"event", event.id.as_str().as_bytes(), subject.as_bytes()])
}

/// Loads the saved state, or says why a full run is needed.
fn load_state(sources: &Sources, path: &Path, full: bool) -> (Option<LinkState>, String) {
    if full {
        return (None, "--full".into());
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (None, "no saved linkage state".into());
        }
        Err(e) => {
            return (None, format!("cannot read {}: {e}", path.display()));
        }
    };
    match LinkState::from_bytes(&bytes, &sources.config.linkage) {
        Ok(state) => (Some(state), String::new()),
        Err(e) => (
            None,
            format!("the saved state {} is unusable ({e})", path.display()),
        ),
    }
}

/// Links the population: incrementally into the saved state when there is a usable one, else in full.
/// Saves the new state to `path`.
pub fn link(
    sources: &Sources,
    subjects: &[Subject],
    events: &[Event],
    path: &Path,
    full: bool,
) -> anyhow::Result<LinkSummary> {
    let (loaded, mut why) = load_state(sources, path, full);
    let loaded = loaded.filter(|state| {
        // The model was fitted on the first population; refit when it has more than doubled.
        let grown = state.len() * 2 < subjects.len();
        if grown {
            why = format!(
                "the population grew from {} to {} subjects since the model was fitted",
                state.len(),
                subjects.len()
            );
        }
        !grown
    });
    if loaded.is_none() && why.starts_with("the saved state") {
        tracing::warn!("{why}; running a full link instead");
        eprintln!("warning: {why}; running a full link instead");
    }
    let (mut state, mode) = match loaded {
        Some(state) => (state, Mode::Incremental),
        None => (
            redflag_linkage::Linker::new(sources.config.linkage.clone())?.state(),
            Mode::Full(why),
        ),
    };
    let subject_prints: Vec<u64> = subjects
        .iter()
        .map(subject_fingerprint)
        .collect::<anyhow::Result<_>>()?;
    let new_subjects: Vec<Subject> = subjects
        .iter()
        .zip(&subject_prints)
        .filter(|(_, fp)| !state.is_seen(**fp))
        .map(|(s, _)| s.clone())
        .collect();
    let new_events: Vec<Event> = events
        .iter()
        .filter(|e| !state.is_seen(event_fingerprint(e)))
        .cloned()
        .collect();
    let extra = evidence(sources, &new_subjects, events, &new_events)?;
    let result = state.add_with(&new_subjects, &new_events, &extra);
    state.mark_seen(subject_prints);
    state.mark_seen(new_events.iter().map(event_fingerprint));
    save(&state, path)?;
    Ok(LinkSummary {
        mode,
        new_subjects: new_subjects.len(),
        new_events: new_events.len(),
        result,
    })
}

/// Shared egress over every attributed event (when some are new: otherwise the groups are those the
/// state already holds), and the corroborated sanctions hits among `screen` (the subjects new to this
/// run: older hits are in the state).
fn evidence(
    sources: &Sources,
    screen: &[Subject],
    events: &[Event],
    new_events: &[Event],
) -> anyhow::Result<ExtraEvidence> {
    let mut extra = ExtraEvidence::default();
    if !new_events.is_empty() {
        let netintel = super::netintel::load(sources.data_dir)?;
        let egress = redflag_netintel::shared_egress(&netintel, events, &sources.config.egress);
        extra.egress = egress
            .iter()
            .map(|group| match group.key {
                EgressKey::Ip(ip) => SharedValue::egress_ip(ip, group.subjects.clone()),
                EgressKey::Prefix(first) => {
                    let len = if first.is_ipv4() { 24 } else { 48 };
                    SharedValue::egress_prefix(&format!("{first}/{len}"), group.subjects.clone())
                }
            })
            .collect();
    }
    if !screen.is_empty() {
        let watchlist =
            redflag_watchlist::Index::build(super::lists::load_active(sources.data_dir)?);
        extra.sanctions_hits = screen
            .iter()
            .filter(|subject| {
                let (_, matches) =
                    redflag_watchlist::screen_subject(&watchlist, subject, &sources.config.screen);
                matches.iter().any(|m| m.corroborated)
            })
            .map(|subject| subject.id.clone())
            .collect();
    }
    Ok(extra)
}

/// Writes the state next to its final place, then renames it over the old one (never half a file).
fn save(state: &LinkState, path: &Path) -> anyhow::Result<()> {
    let bytes = state.to_bytes()?;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = path.with_extension("bin.tmp");
    std::fs::write(&tmp, &bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

fn print_summary(summary: &LinkSummary, population: usize, seconds: f64, path: &Path) {
    let stats = &summary.result.stats;
    let mode = match &summary.mode {
        Mode::Incremental => format!(
            "incremental: {} of {} subjects re-compared",
            stats.dirty_subjects, stats.subjects
        ),
        Mode::Full(why) => format!("full run ({why})"),
    };
    eprintln!(
        "linked {} new or changed subjects and {} new events ({mode}); {population} subjects, {} candidate pairs, {} linked pairs, {} rings in {seconds:.1} s; state saved to {}",
        summary.new_subjects,
        summary.new_events,
        stats.candidate_pairs,
        stats.linked_pairs,
        stats.rings,
        path.display()
    );
    for note in &summary.result.notes {
        eprintln!("note: {note}");
    }
    let excluded = &summary.result.excluded_values;
    for value in excluded.iter().take(10) {
        eprintln!(
            "note: {} value {:?} excluded from linking: {}",
            value.comparison.name(),
            value.value,
            value.reason
        );
    }
    if excluded.len() > 10 {
        eprintln!("note: {} more values excluded", excluded.len() - 10);
    }
}
