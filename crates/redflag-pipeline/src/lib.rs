//! The assessment pipeline: runs the engines in the order DESIGN §2 fixes, over one population.
//!
//! ```text
//! subjects + events ─► enrichers (identity, netintel, endpoint, watchlist; per subject, then population-wide)
//!                   ─► facts ─► rules (findings) ─► scorer ─► assessments
//! ```
//!
//! [`Engines`] holds every engine, built once and shared (`Send + Sync`): the network data, the
//! sanctions index, the identity lists, the rule pack checked against the [`FactRegistry`] of all
//! engines, and the scorer. [`Engines::assess`] takes subjects and their attributed events and returns
//! facts and assessments; it reads and writes nothing, so the CLI, the HTTP server and the background
//! workers all call the same function around their own I/O.
//!
//! [`ShardedRun`] assesses a population too large to hold with its events (a million subjects with
//! months of sign-ins): shard by shard for the per-subject stage, then the population-wide stages over
//! every subject and the few events they read ([`population_events`]); same assessments and rings.
//!
//! **Design decision:** this crate is the only place that knows every engine. Engines stay ignorant of
//! each other (the rules crate never sees netintel, netintel never sees the rules), and the fact
//! registry that lets rules be checked at load time is assembled here from each engine's
//! `fact_specs()`.
//!
//! ```no_run
//! let engines = redflag_pipeline::Engines::builtin().unwrap();
//! let output = engines.assess(&[], &[], chrono::Utc::now());
//! assert!(output.assessments.is_empty());
//! ```
//!
//! **What this crate must never do:** read or write files, databases or the network.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use redflag_identity::IdentityConfig;
use redflag_linkage::{ExtraEvidence, LinkageConfig, Linker, SharedValue};
use redflag_model::{
    Assessment, Event, Fact, FactRegistry, FactSpec, FactType, FactValue, ModelError, Ring, RingId,
    SanctionsMatchSummary, Subject, SubjectId, VersionStamp,
};
use redflag_netintel::{EgressConfig, EgressKey, NetConfig, NetIntel};
use redflag_rules::{RulePack, Scorer, ScoringConfig};
use redflag_watchlist::{Index, ScreenOptions};

mod packed;
mod sharded;
pub use packed::{PackedFacts, UnpackError};
pub use sharded::{ShardedRun, population_events};

/// A failure to build the engines.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Two engines registered the same fact.
    #[error("fact registry: {0}")]
    Registry(#[from] ModelError),
    /// The vendored network data failed to load.
    #[error("network intelligence: {0}")]
    NetIntel(#[from] redflag_netintel::NetIntelError),
    /// The vendored lists failed to load.
    #[error("watchlists: {0}")]
    Watchlist(#[from] redflag_watchlist::WatchlistError),
    /// The linkage configuration is invalid.
    #[error("linkage: {0}")]
    Linkage(#[from] redflag_linkage::LinkageError),
}

/// The crate name, as the producer of the `subject.*` facts.
pub const PRODUCER: &str = "redflag-pipeline";

/// The facts the pipeline itself states about a subject's own claims.
pub fn fact_specs() -> Vec<FactSpec> {
    vec![
        FactSpec {
            name: "subject.kind",
            fact_type: FactType::String,
            producer: PRODUCER,
            meaning: "applicant, contractor, employee or marketplace_account.",
            example: "applicant",
            protected: false,
        },
        FactSpec {
            name: "subject.claimed_country",
            fact_type: FactType::String,
            producer: PRODUCER,
            meaning: "The country of residence the subject claims (ISO alpha-2). Compared only with the subject's own evidence.",
            example: "US",
            protected: false,
        },
        FactSpec {
            name: "subject.claimed_nationality",
            fact_type: FactType::String,
            producer: PRODUCER,
            meaning: "The nationality the subject claims. Protected: no rule may fire on it alone.",
            example: "JP",
            protected: true,
        },
        FactSpec {
            name: "subject.identifier_count",
            fact_type: FactType::Int,
            producer: PRODUCER,
            meaning: "How many identifiers (emails, phones, accounts, devices, …) the subject's records carry.",
            example: "4",
            protected: false,
        },
    ]
}

/// The registry of every fact every engine produces.
pub fn registry() -> Result<FactRegistry, PipelineError> {
    let mut registry = FactRegistry::new();
    registry.register(fact_specs())?;
    registry.register(redflag_identity::fact_specs())?;
    registry.register(redflag_netintel::fact_specs())?;
    registry.register(redflag_watchlist::fact_specs())?;
    registry.register(redflag_endpoint::fact_specs())?;
    registry.register(redflag_linkage::fact_specs())?;
    Ok(registry)
}

/// The facts reference (`docs/FACTS.md`): every registered fact with its type, producer, meaning and
/// example, grouped by domain. Generated, so it cannot drift from the code.
pub fn facts_markdown(registry: &FactRegistry) -> String {
    let mut out = String::from(
        "# Facts reference\n\nEvery fact the engines produce, generated from their `fact_specs()` by \
         `redflag-pipeline` (regenerate with `REDFLAG_UPDATE_DOCS=1 cargo test -p redflag-pipeline`). \
         Rules may read only these names; a rule that names another fact is refused at load time. \
         **Protected** facts may not be the only facts a rule reads (the fairness lint).\n",
    );
    let mut domain = "";
    for spec in registry.iter() {
        let this = spec.name.split('.').next().unwrap_or("");
        if this != domain {
            domain = this;
            out.push_str(&format!(
                "\n## `{domain}.*`\n\n| fact | type | producer | meaning | example |\n|---|---|---|---|---|\n"
            ));
        }
        let protected = if spec.protected {
            " **Protected.**"
        } else {
            ""
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {}{} | `{}` |\n",
            spec.name,
            spec.fact_type
                .as_str()
                .replace('<', "&lt;")
                .replace('>', "&gt;"),
            spec.producer,
            spec.meaning.replace('|', "\\|").replace('\n', " "),
            protected,
            spec.example.replace('|', "\\|"),
        ));
    }
    out
}

/// Settings of every engine the pipeline runs.
#[derive(Debug, Clone, Default)]
pub struct PipelineConfig {
    /// Identity lists and thresholds.
    pub identity: IdentityConfig,
    /// Network fact window and travel bounds.
    pub net: NetConfig,
    /// Shared-egress detection.
    pub egress: EgressConfig,
    /// Sanctions screening threshold and top-k.
    pub screen: ScreenOptions,
    /// Scoring prior, decay and level thresholds.
    pub scoring: ScoringConfig,
    /// Persona linkage thresholds and benign values.
    pub linkage: LinkageConfig,
}

/// Every engine, built once.
pub struct Engines {
    /// The fact registry the rules were checked against.
    pub registry: FactRegistry,
    /// Network intelligence.
    pub netintel: Arc<NetIntel>,
    /// The sanctions index.
    pub watchlist: Arc<Index>,
    /// The active rule pack.
    pub rules: RulePack,
    /// The scorer.
    pub scorer: Scorer,
    /// Persona linkage.
    pub linker: Linker,
    /// Engine settings.
    pub config: PipelineConfig,
}

/// What one run produced.
#[derive(Debug, Default)]
pub struct PipelineOutput {
    /// Every fact about every subject.
    pub facts: Vec<Fact>,
    /// One assessment per subject, in subject order.
    pub assessments: Vec<Assessment>,
    /// Rings of linked personas.
    pub rings: Vec<Ring>,
    /// Notes from linkage (excluded placeholder values, oversized blocks).
    pub linkage_notes: Vec<String>,
    /// Wall time of each stage, in seconds, in run order (for `demo` and benchmarks).
    pub timings: Vec<(&'static str, f64)>,
}

impl Engines {
    /// Engines on the vendored data and the built-in rule pack, with default settings.
    pub fn builtin() -> Result<Self, PipelineError> {
        let registry = registry()?;
        let rules = RulePack::builtin(&registry);
        Self::with(
            registry,
            rules,
            NetIntel::builtin()?,
            Arc::new(Index::build(redflag_watchlist::builtin_snapshots()?)),
            PipelineConfig::default(),
        )
    }

    /// Engines from parts the caller built (user rule directories, fresher data sets).
    pub fn with(
        registry: FactRegistry,
        rules: RulePack,
        netintel: Arc<NetIntel>,
        watchlist: Arc<Index>,
        config: PipelineConfig,
    ) -> Result<Self, PipelineError> {
        if !rules.errors().is_empty() {
            tracing::warn!(
                count = rules.errors().len(),
                "some rules were not loaded (run `redflag rules lint` for the list)"
            );
        }
        for error in rules.errors() {
            tracing::debug!(%error, "rule not loaded");
        }
        let scorer = Scorer::new(config.scoring.clone());
        // A long batch's linkage phases go to the log (with `-v`), next to the pipeline's stages.
        let linker = Linker::new(config.linkage.clone())?
            .with_progress(|phase| tracing::info!(target: "redflag_linkage", "{phase}"));
        Ok(Self {
            registry,
            netintel,
            watchlist,
            rules,
            scorer,
            linker,
            config,
        })
    }

    /// The versions an assessment made now records.
    pub fn versions(&self) -> VersionStamp {
        VersionStamp {
            rule_pack: self.rules.version().to_string(),
            lists: self.watchlist.versions(),
            engine: concat!("redflag ", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }

    /// Assesses a population. `events` are the subjects' attributed events (any order); events of
    /// subjects not in `subjects` are ignored.
    pub fn assess(
        &self,
        subjects: &[Subject],
        events: &[Event],
        at: DateTime<Utc>,
    ) -> PipelineOutput {
        let clock = Clock::start();
        let (attributed, ranges) = group_events(subjects, events);
        self.assess_grouped(subjects, attributed, ranges, clock, at)
    }

    /// [`Engines::assess`] on events the caller gives up: they are grouped by moving them, not by
    /// copying (a million events' strings are seconds of copying). Same output as `assess`.
    pub fn assess_owned(
        &self,
        subjects: &[Subject],
        events: Vec<Event>,
        at: DateTime<Utc>,
    ) -> PipelineOutput {
        let clock = Clock::start();
        let (attributed, ranges) = group_owned_events(subjects, events);
        self.assess_grouped(subjects, attributed, ranges, clock, at)
    }

    /// The stages after grouping: `attributed` holds each subject's events in (time, id) order,
    /// `ranges[i]` where subject `i`'s are.
    fn assess_grouped(
        &self,
        subjects: &[Subject],
        attributed: Vec<Event>,
        ranges: Vec<std::ops::Range<usize>>,
        mut clock: Clock,
        at: DateTime<Utc>,
    ) -> PipelineOutput {
        let by_subject: Vec<&[Event]> = ranges.iter().map(|r| &attributed[r.clone()]).collect();
        clock.lap("group events");
        let identity_config = IdentityConfig {
            as_of: Some(at),
            ..self.config.identity.clone()
        };

        // Per subject, in parallel: the subject's own claims, identity, network, endpoint and work
        // activity, and sanctions.
        let per_subject: Vec<SubjectStage> = subjects
            .par_iter()
            .zip(by_subject.par_iter())
            .map(|(subject, own_events)| {
                self.subject_stage_one(subject, own_events, &identity_config)
            })
            .collect();
        clock.lap("per subject: identity, netintel, endpoint, watchlist");

        let sanctions_hits =
            sanctions_hits(subjects, per_subject.iter().map(|s| s.matches.as_slice()));
        let population = self.population_grouped(
            subjects,
            &attributed,
            sanctions_hits,
            &identity_config,
            None,
            &mut clock,
        );
        let scoring = ScoringContext::new(self, &population, at);
        let mut output = PipelineOutput::default();
        let results: Vec<(Vec<Fact>, Assessment)> = subjects
            .par_iter()
            .zip(per_subject)
            .enumerate()
            .map(|(position, (subject, stage))| self.score_one(position, subject, stage, &scoring))
            .collect();
        drop(scoring);
        clock.lap("rules and scoring");
        for (facts, assessment) in results {
            output.facts.extend(facts);
            output.assessments.push(assessment);
        }
        // Findings on a ring raise every member.
        self.scorer
            .propagate_rings(&mut output.assessments, &population.rings);
        output.rings = population.rings;
        output.linkage_notes = population.notes;
        clock.lap("ring propagation");
        output.timings = clock.laps;
        output
    }

    /// The per-subject stage for one subject and its own events (grouped by time).
    fn subject_stage_one(
        &self,
        subject: &Subject,
        own_events: &[Event],
        identity_config: &IdentityConfig,
    ) -> SubjectStage {
        let mut facts = own_facts(subject);
        facts.extend(redflag_identity::subject_facts(
            subject,
            own_events,
            identity_config,
        ));
        facts.extend(redflag_netintel::subject_facts(
            &self.netintel,
            subject,
            own_events,
            &self.config.net,
        ));
        facts.extend(redflag_endpoint::subject_facts(subject, own_events));
        let (sanction_facts, matches) =
            redflag_watchlist::screen_subject(&self.watchlist, subject, &self.config.screen);
        facts.extend(sanction_facts);
        SubjectStage { facts, matches }
    }

    /// The population-wide stages over every subject: identity (shared identifiers, reused resumes
    /// and photos), shared egress and linkage. `attributed` holds the events to read, grouped by
    /// subject in `subjects` order and by time within a subject; it may be the full events or the
    /// subset [`population_events`] keeps (the result is the same). With `keep`, only the facts
    /// named in it are kept, packed (see [`HeldFacts`]); without, every fact as it is.
    fn population_grouped(
        &self,
        subjects: &[Subject],
        attributed: &[Event],
        sanctions_hits: Vec<SubjectId>,
        identity_config: &IdentityConfig,
        keep: Option<&HashSet<String>>,
        clock: &mut Clock,
    ) -> PopulationStage {
        // Population-wide: shared identifiers, reused resumes and photos, shared egress. Each
        // subject's identity facts are kept (filtered, packed) as they are made, so that a million
        // subjects' evidence is never held at once as `Fact`s.
        let mut log =
            |phase: &str| tracing::info!(target: "redflag_identity", "population: {phase}");
        let mut facts: Vec<HeldFacts> = redflag_identity::Population::new_with_laps(
            subjects,
            attributed,
            identity_config,
            &mut log,
        )
        .facts_each_with_laps(&mut log, |_, made| {
            let mut held = HeldFacts::default();
            held.add(made, keep);
            held
        });
        clock.lap("population: identity");
        let position: HashMap<&SubjectId, usize> = subjects
            .iter()
            .enumerate()
            .map(|(i, s)| (&s.id, i))
            .collect();
        let add = |facts: &mut Vec<HeldFacts>, made: Vec<Fact>| {
            let mut by_position: HashMap<usize, Vec<Fact>> = HashMap::new();
            for fact in made {
                if let Some(&p) = position.get(&fact.subject) {
                    by_position.entry(p).or_default().push(fact);
                }
            }
            for (p, made) in by_position {
                facts[p].add(made, keep);
            }
        };
        let egress =
            redflag_netintel::shared_egress(&self.netintel, attributed, &self.config.egress);
        let ids: Vec<SubjectId> = subjects.iter().map(|s| s.id.clone()).collect();
        add(
            &mut facts,
            redflag_netintel::shared_egress_facts(&egress, &ids),
        );
        drop(ids);
        clock.lap("population: shared egress");

        // Linkage: one operator, many personas. Shared egress and sanctions hits come in as data.
        let extra = ExtraEvidence {
            egress: egress
                .iter()
                .map(|group| match group.key {
                    EgressKey::Ip(ip) => SharedValue::egress_ip(ip, group.subjects.clone()),
                    EgressKey::Prefix(first) => {
                        SharedValue::egress_prefix(&prefix_text(first), group.subjects.clone())
                    }
                })
                .collect(),
            sanctions_hits,
        };
        let linkage = self.linker.link(subjects, attributed, &extra);
        clock.lap("linkage");
        add(&mut facts, linkage.facts);
        PopulationStage {
            facts,
            rings: linkage.rings,
            notes: linkage.notes,
        }
    }

    /// Rules and scoring for the subject at `position`: its own facts, then the population's facts
    /// about it.
    fn score_one(
        &self,
        position: usize,
        subject: &Subject,
        stage: SubjectStage,
        scoring: &ScoringContext<'_>,
    ) -> (Vec<Fact>, Assessment) {
        let SubjectStage { mut facts, matches } = stage;
        if let Some(more) = scoring.population.facts.get(position) {
            more.extend_into(&mut facts);
        }
        let findings = self.rules.evaluate(&subject.id, &facts);
        let ring = scoring.ring_of.get(&subject.id).map(|r| (*r).clone());
        let assessment = self.scorer.assess(
            &subject.id,
            findings,
            matches,
            ring,
            scoring.versions.clone(),
            scoring.at,
        );
        (facts, assessment)
    }
}

/// What scoring any one subject needs from the whole run, made once: the population-wide stage,
/// each member's ring, the versions stamped on assessments and the time they are made at.
pub(crate) struct ScoringContext<'p> {
    population: &'p PopulationStage,
    ring_of: HashMap<&'p SubjectId, &'p RingId>,
    versions: VersionStamp,
    at: DateTime<Utc>,
}

impl<'p> ScoringContext<'p> {
    pub(crate) fn new(
        engines: &Engines,
        population: &'p PopulationStage,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            population,
            ring_of: population.ring_of(),
            versions: engines.versions(),
            at,
        }
    }
}

/// What the per-subject stage states about one subject (before the population-wide stages).
#[derive(Debug, Clone, Default)]
pub struct SubjectStage {
    /// The subject's own facts: claims, identity, network, endpoint, sanctions.
    pub facts: Vec<Fact>,
    /// The subject's sanctions matches.
    pub matches: Vec<SanctionsMatchSummary>,
}

/// What the population-wide stages found.
#[derive(Debug, Default)]
pub struct PopulationStage {
    /// Population facts by subject position.
    pub facts: Vec<HeldFacts>,
    /// Rings of linked personas.
    pub rings: Vec<Ring>,
    /// Notes from linkage.
    pub notes: Vec<String>,
}

/// The population-wide facts about one subject: as made, or (when only the facts some rule reads
/// are kept, in a [`ShardedRun`]) packed, one [`PackedFacts`] per engine that stated some.
#[derive(Debug, Default)]
pub struct HeldFacts {
    plain: Vec<Fact>,
    packed: Vec<PackedFacts>,
}

impl HeldFacts {
    /// Adds `made`: every fact as it is without `keep`, else those named in `keep`, packed.
    fn add(&mut self, mut made: Vec<Fact>, keep: Option<&HashSet<String>>) {
        match keep {
            None => self.plain.extend(made),
            Some(read) => {
                made.retain(|f| read.contains(&f.name));
                if !made.is_empty() {
                    self.packed.push(PackedFacts::pack(&made));
                }
            }
        }
    }

    /// Appends the held facts to `facts`, in the order they were added (engine by engine).
    fn extend_into(&self, facts: &mut Vec<Fact>) {
        facts.extend(self.plain.iter().cloned());
        for packed in &self.packed {
            // Packed by this process during this run: a failure is a bug in `packed`, whose
            // tests cover every value and evidence shape.
            facts.extend(packed.unpack().expect("facts packed by this run unpack"));
        }
    }
}

impl PopulationStage {
    /// Each ring member's ring.
    fn ring_of(&self) -> HashMap<&SubjectId, &RingId> {
        self.rings
            .iter()
            .flat_map(|r| r.members.iter().map(move |m| (m, &r.id)))
            .collect()
    }
}

/// Subjects with a corroborated sanctions match (linkage evidence).
/// The subjects with a corroborated sanctions match; `matches` gives each subject's matches, in the
/// order of `subjects`.
fn sanctions_hits<'m>(
    subjects: &[Subject],
    matches: impl Iterator<Item = &'m [SanctionsMatchSummary]>,
) -> Vec<SubjectId> {
    subjects
        .iter()
        .zip(matches)
        .filter(|(_, matches)| matches.iter().any(|m| m.corroborated))
        .map(|(s, _)| s.id.clone())
        .collect()
}

/// Wall-clock laps of the pipeline's stages.
struct Clock {
    last: std::time::Instant,
    laps: Vec<(&'static str, f64)>,
}

impl Clock {
    fn start() -> Self {
        Self {
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    /// Starts the next lap now (time spent outside the pipeline is not counted).
    fn restart(&mut self) {
        self.last = std::time::Instant::now();
    }

    fn lap(&mut self, stage: &'static str) {
        let now = std::time::Instant::now();
        let seconds = now.duration_since(self.last).as_secs_f64();
        tracing::info!(stage, seconds, "pipeline stage done");
        self.laps.push((stage, seconds));
        self.last = now;
    }
}

/// The events of the subjects in `subjects`, grouped by subject in `subjects` order and by time
/// within a subject (one copy of the events, sorted in parallel), with each subject's range in it.
fn group_events(
    subjects: &[Subject],
    events: &[Event],
) -> (Vec<Event>, Vec<std::ops::Range<usize>>) {
    let (order, ranges) = grouping_order(subjects, events);
    let grouped = order.into_par_iter().map(|i| events[i].clone()).collect();
    (grouped, ranges)
}

/// [`group_events`] moving the events instead of copying them.
fn group_owned_events(
    subjects: &[Subject],
    events: Vec<Event>,
) -> (Vec<Event>, Vec<std::ops::Range<usize>>) {
    let (order, ranges) = grouping_order(subjects, &events);
    // The store reads events in subject and time order: then they are grouped already and moving
    // millions of them again would only cost time and fresh memory.
    if order.len() == events.len() && order.iter().enumerate().all(|(k, &i)| k == i) {
        return (events, ranges);
    }
    let mut slots: Vec<Option<Event>> = events.into_iter().map(Some).collect();
    let mut grouped = Vec::with_capacity(order.len());
    grouped.extend(order.iter().filter_map(|&i| slots[i].take()));
    (grouped, ranges)
}

/// The positions in `events` of the subjects' events, grouped by subject (in `subjects` order) and
/// sorted by time and id within a subject, and where each subject's run lies in that order. Events
/// of no listed subject are left out.
fn grouping_order(
    subjects: &[Subject],
    events: &[Event],
) -> (Vec<usize>, Vec<std::ops::Range<usize>>) {
    let position: std::collections::HashMap<&SubjectId, usize> = subjects
        .iter()
        .enumerate()
        .map(|(i, s)| (&s.id, i))
        .collect();
    let mut owned: Vec<(usize, usize)> = events
        .iter()
        .enumerate()
        .filter_map(|(at, e)| {
            e.subject
                .as_ref()
                .and_then(|s| position.get(s))
                .map(|&i| (i, at))
        })
        .collect();
    owned.par_sort_unstable_by(|&(i, a), &(j, b)| {
        i.cmp(&j)
            .then_with(|| events[a].time.cmp(&events[b].time))
            .then_with(|| events[a].id.cmp(&events[b].id))
    });
    let mut ranges = vec![0..0; subjects.len()];
    let mut start = 0;
    while start < owned.len() {
        let subject = owned[start].0;
        let end = start + owned[start..].partition_point(|(i, _)| *i == subject);
        ranges[subject] = start..end;
        start = end;
    }
    (owned.into_iter().map(|(_, at)| at).collect(), ranges)
}

/// `a.b.c.0/24` or `x:y:z::/48` for a prefix given by its first address.
fn prefix_text(first: std::net::IpAddr) -> String {
    match first {
        std::net::IpAddr::V4(_) => format!("{first}/24"),
        std::net::IpAddr::V6(_) => format!("{first}/48"),
    }
}

fn own_facts(subject: &Subject) -> Vec<Fact> {
    let mut facts = vec![
        Fact::new(
            subject.id.clone(),
            "subject.kind",
            FactValue::Text(subject.kind.as_str().to_string()),
        ),
        Fact::new(
            subject.id.clone(),
            "subject.identifier_count",
            FactValue::Int(subject.identifiers.len() as i64),
        ),
    ];
    if let Some(country) = subject.claimed.country {
        facts.push(Fact::new(
            subject.id.clone(),
            "subject.claimed_country",
            FactValue::Text(country.to_string()),
        ));
    }
    if let Some(nationality) = subject.claimed.nationality {
        facts.push(Fact::new(
            subject.id.clone(),
            "subject.claimed_nationality",
            FactValue::Text(nationality.to_string()),
        ));
    }
    facts
}
