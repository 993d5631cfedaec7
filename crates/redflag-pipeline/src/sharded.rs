//! Assessing a population too large to hold with its events: subjects in shards.
//!
//! [`Engines::assess`] holds every subject and every event at once. A [`ShardedRun`] holds every
//! subject (the population-wide stages compare each with all the others) but only one shard's events
//! at a time: [`ShardedRun::add_shard`] runs the per-subject stage on the shard's subjects with their
//! full events, keeps the facts the rules read, and keeps of the events only what the population-wide
//! stages read ([`population_events`]); [`ShardedRun::finish`] runs identity's population facts,
//! shared egress and linkage over every subject and those kept events, then the rules, the scorer and
//! ring propagation. The assessments and rings are the same as [`Engines::assess`] on the whole
//! population (the `eval_sharded` integration test of the `redflag` crate checks it on a world).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use redflag_identity::IdentityConfig;
use redflag_model::{
    Assessment, Event, EventKind, SanctionsMatchSummary, SignInOutcome, Subject, SubjectId,
};

use crate::{Clock, Engines, PackedFacts, PipelineOutput, SubjectStage, sanctions_hits};

/// The events of `events` the population-wide stages read, in the order [`Engines::assess`] would
/// read them (by subject as given, then time, then id): per subject, the first and the last successful
/// sign-in from each address (shared egress reads an address's first and last time and the first
/// sign-in's record), every payout change and shipment (identity and linkage join on their accounts,
/// wallets and addresses) and the first endpoint observation of each host (linkage joins on host
/// names). Events without a subject are dropped, and the kept ones lose what those stages do not
/// read (see `slim`). A subject's events must all be in one call.
pub fn population_events(events: Vec<Event>) -> Vec<Event> {
    let mut owned: Vec<Event> = events
        .into_iter()
        .filter(|e| e.subject.is_some() && read_by_population(e))
        .collect();
    owned.par_sort_unstable_by(|a, b| {
        a.subject
            .cmp(&b.subject)
            .then_with(|| a.time.cmp(&b.time))
            .then_with(|| a.id.cmp(&b.id))
    });
    // Index of the last sign-in kept per (subject, address), to replace it with a later one.
    let mut out: Vec<Event> = Vec::new();
    let mut first_sign_in: HashMap<(SubjectId, std::net::IpAddr), (usize, Option<usize>)> =
        HashMap::new();
    let mut hosts: HashSet<(SubjectId, String)> = HashSet::new();
    for mut event in owned {
        let Some(subject) = event.subject.clone() else {
            continue;
        };
        slim(&mut event);
        match &event.kind {
            EventKind::SignIn(s) => {
                let Some(ip) = s.ip else { continue };
                match first_sign_in.get_mut(&(subject.clone(), ip)) {
                    None => {
                        first_sign_in.insert((subject, ip), (out.len(), None));
                        out.push(event);
                    }
                    Some((_, Some(last))) => out[*last] = event,
                    Some((_, last)) => {
                        *last = Some(out.len());
                        out.push(event);
                    }
                }
            }
            EventKind::Endpoint(o) => {
                if hosts.insert((subject, o.host.clone())) {
                    out.push(event);
                }
            }
            _ => out.push(event),
        }
    }
    out
}

/// Drops what no population-wide stage reads (identifiers: the event is attributed already; a
/// sign-in's user agent, application and provider country; an endpoint row's table and columns), so
/// that a million subjects' kept events fit in memory.
fn slim(event: &mut Event) {
    event.identifiers = Vec::new();
    match &mut event.kind {
        EventKind::SignIn(s) => {
            s.user_agent = None;
            s.application = None;
            s.provider_country = None;
        }
        EventKind::Endpoint(o) => {
            o.table = "".into();
            o.action = "".into();
            o.columns = Default::default();
        }
        _ => {}
    }
}

fn read_by_population(event: &Event) -> bool {
    match &event.kind {
        EventKind::SignIn(s) => s.outcome != SignInOutcome::Failure && s.ip.is_some(),
        EventKind::PayoutChange(_) | EventKind::Shipment(_) | EventKind::Endpoint(_) => true,
        _ => false,
    }
}

/// What a subject's per-subject stage leaves for [`ShardedRun::finish`].
#[derive(Debug, Clone)]
struct KeptStage {
    facts: PackedFacts,
    matches: Vec<SanctionsMatchSummary>,
}

impl KeptStage {
    fn unpack(self) -> SubjectStage {
        SubjectStage {
            // The bytes were packed by this process a moment ago: failing to read them back is a
            // bug in `packed`, whose tests cover every value and evidence shape.
            facts: self
                .facts
                .unpack()
                .expect("facts packed by this run unpack"),
            matches: self.matches,
        }
    }
}

/// A population assessed shard by shard. See the module documentation.
pub struct ShardedRun<'e> {
    engines: &'e Engines,
    at: DateTime<Utc>,
    identity: IdentityConfig,
    subjects: Vec<Subject>,
    position: HashMap<SubjectId, usize>,
    /// Subjects with the lowest id among those sharing an identifier: events carrying it are
    /// attributed to them from any shard, so their per-subject stage waits for [`ShardedRun::finish`].
    deferred: Vec<bool>,
    /// Events waiting for their subject's turn (deferred subjects, subjects of later shards).
    held: HashMap<usize, Vec<Event>>,
    /// Each assessed subject's kept facts, packed (see [`PackedFacts`]), and sanctions matches.
    stages: Vec<Option<KeptStage>>,
    population_events: Vec<Event>,
    /// Fact names some rule reads (condition, evidence or explanation): the only facts kept.
    read: HashSet<String>,
    late: u64,
    clock: Clock,
}

impl<'e> ShardedRun<'e> {
    /// A run over `subjects` (every subject of the population, in the order of the assessments),
    /// assessed as of `at`.
    pub fn new(engines: &'e Engines, subjects: Vec<Subject>, at: DateTime<Utc>) -> Self {
        let mut clock = Clock::start();
        let position: HashMap<SubjectId, usize> = subjects
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        // Per identifier: how many subjects claim it and which of them has the lowest id (events
        // carrying it are attributed to that one, from whichever shard they come).
        let mut claimants: HashMap<(redflag_model::IdentifierKind, String), (usize, usize)> =
            HashMap::new();
        for (p, subject) in subjects.iter().enumerate() {
            let own: HashSet<(redflag_model::IdentifierKind, String)> = subject
                .identifiers
                .iter()
                .map(|i| (i.kind(), i.value()))
                .collect();
            for key in own {
                let entry = claimants.entry(key).or_insert((0, p));
                entry.0 += 1;
                if subject.id < subjects[entry.1].id {
                    entry.1 = p;
                }
            }
        }
        let mut deferred = vec![false; subjects.len()];
        for (count, lowest) in claimants.values() {
            if *count > 1 {
                deferred[*lowest] = true;
            }
        }
        drop(claimants);
        let read = engines
            .registry
            .iter()
            .map(|spec| spec.name)
            .filter(|name| {
                engines.rules.rules().iter().any(|r| {
                    let rule = r.rule();
                    r.reads().iter().any(|n| n == name)
                        || rule.evidence.iter().any(|n| n == name)
                        || rule.condition.contains(name)
                        || rule
                            .explanation
                            .as_deref()
                            .is_some_and(|e| e.contains(name))
                })
            })
            .map(str::to_string)
            .collect();
        let identity = IdentityConfig {
            as_of: Some(at),
            ..engines.config.identity.clone()
        };
        let stages = vec![None; subjects.len()];
        clock.lap("sharded: index subjects");
        Self {
            engines,
            at,
            identity,
            subjects,
            position,
            deferred,
            held: HashMap::new(),
            stages,
            population_events: Vec::new(),
            read,
            late: 0,
            clock,
        }
    }

    /// Every subject, in order.
    pub fn subjects(&self) -> &[Subject] {
        &self.subjects
    }

    /// The subjects, to complete a shard's records (attach resumes) before [`ShardedRun::add_shard`].
    pub fn subjects_mut(&mut self) -> &mut [Subject] {
        &mut self.subjects
    }

    /// Subjects whose per-subject stage waits for [`ShardedRun::finish`] (the lowest id among the
    /// subjects sharing an identifier).
    pub fn deferred(&self) -> usize {
        self.deferred.iter().filter(|d| **d).count()
    }

    /// Events attributed to a subject whose shard was already assessed, so left out of its facts
    /// (0 when every event comes with its subject's shard or a later one; see [`ShardedRun::add_shard`]).
    pub fn late_events(&self) -> u64 {
        self.late
    }

    /// Assesses the subjects at positions `range` (per-subject stage) with `events`: the events read
    /// with this shard, attributed (`Event::subject`) to any subject of the run. Events of subjects of
    /// later shards and of deferred subjects are held for them; events of subjects of earlier shards
    /// are counted in [`ShardedRun::late_events`] and dropped; events of unknown subjects are dropped.
    pub fn add_shard(&mut self, range: Range<usize>, events: Vec<Event>) {
        self.clock.restart();
        let range = range.start.min(self.subjects.len())..range.end.min(self.subjects.len());
        let mut now: Vec<(usize, Event)> = Vec::with_capacity(events.len());
        for event in events {
            let Some(&p) = event.subject.as_ref().and_then(|s| self.position.get(s)) else {
                continue;
            };
            if range.contains(&p) && !self.deferred[p] {
                now.push((p, event));
            } else if self.stages[p].is_some() {
                self.late += 1;
            } else {
                self.held.entry(p).or_default().push(event);
            }
        }
        for p in range.clone() {
            if !self.deferred[p]
                && let Some(held) = self.held.remove(&p)
            {
                now.extend(held.into_iter().map(|e| (p, e)));
            }
        }
        let positions: Vec<usize> = range.filter(|&p| !self.deferred[p]).collect();
        self.assess_positions(&positions, now);
    }

    /// Per-subject stage of the subjects at `positions` (ascending) with their events.
    fn assess_positions(&mut self, positions: &[usize], mut events: Vec<(usize, Event)>) {
        events.par_sort_unstable_by(|(i, a), (j, b)| {
            i.cmp(j)
                .then_with(|| a.time.cmp(&b.time))
                .then_with(|| a.id.cmp(&b.id))
        });
        let events: Vec<Event> = {
            let mut grouped = Vec::with_capacity(events.len());
            let mut ranges: HashMap<usize, Range<usize>> = HashMap::new();
            for (p, e) in events {
                let r = ranges.entry(p).or_insert(grouped.len()..grouped.len());
                r.end = grouped.len() + 1;
                grouped.push(e);
            }
            let slices: Vec<(usize, &[Event])> = positions
                .iter()
                .map(|&p| {
                    let r = ranges.get(&p).cloned().unwrap_or(0..0);
                    (p, &grouped[r])
                })
                .collect();
            let (engines, subjects, identity, read) =
                (self.engines, &self.subjects, &self.identity, &self.read);
            let stages: Vec<(usize, KeptStage)> = slices
                .par_iter()
                .map(|&(p, own)| {
                    let mut stage = engines.subject_stage_one(&subjects[p], own, identity);
                    stage.facts.retain(|f| read.contains(&f.name));
                    let kept = KeptStage {
                        facts: PackedFacts::pack(&stage.facts),
                        matches: stage.matches,
                    };
                    (p, kept)
                })
                .collect();
            for (p, stage) in stages {
                self.stages[p] = Some(stage);
            }
            grouped
        };
        self.population_events.extend(population_events(events));
        self.clock.lap("sharded: per subject");
    }

    /// Assesses the deferred subjects and those no shard covered, runs the population-wide stages and
    /// scores every subject. The output's `facts` is empty (a population of millions would not fit);
    /// assessments are in subject order.
    pub fn finish(mut self) -> PipelineOutput {
        self.clock.restart();
        let rest: Vec<usize> = (0..self.subjects.len())
            .filter(|&p| self.stages[p].is_none())
            .collect();
        let mut events = Vec::new();
        for &p in &rest {
            if let Some(held) = self.held.remove(&p) {
                events.extend(held.into_iter().map(|e| (p, e)));
            }
        }
        self.held.clear();
        self.assess_positions(&rest, events);

        let stages: Vec<Option<KeptStage>> = std::mem::take(&mut self.stages);
        // Only the matches are read here: the facts stay packed until their subject is scored.
        let hits = sanctions_hits(
            &self.subjects,
            stages
                .iter()
                .map(|s| s.as_ref().map_or(&[][..], |k| k.matches.as_slice())),
        );
        // The kept events, grouped as `assess` groups them: by subject order, then time and id.
        let mut kept: Vec<(usize, Event)> = std::mem::take(&mut self.population_events)
            .into_iter()
            .filter_map(|e| {
                let p = *e.subject.as_ref().and_then(|s| self.position.get(s))?;
                Some((p, e))
            })
            .collect();
        kept.par_sort_unstable_by(|(i, a), (j, b)| {
            i.cmp(j)
                .then_with(|| a.time.cmp(&b.time))
                .then_with(|| a.id.cmp(&b.id))
        });
        let kept: Vec<Event> = kept.into_iter().map(|(_, e)| e).collect();
        self.clock.lap("sharded: group kept events");
        let population = self.engines.population_grouped(
            &self.subjects,
            &kept,
            hits,
            &self.identity,
            Some(&self.read),
            &mut self.clock,
        );
        drop(kept);
        let (engines, at) = (self.engines, self.at);
        let scoring = crate::ScoringContext::new(engines, &population, at);
        let assessments: Vec<Assessment> = self
            .subjects
            .par_iter()
            .zip(stages)
            .enumerate()
            .map(|(position, (subject, kept))| {
                let stage = kept.map(KeptStage::unpack).unwrap_or_default();
                engines.score_one(position, subject, stage, &scoring).1
            })
            .collect();
        drop(scoring);
        let mut output = PipelineOutput {
            assessments,
            ..PipelineOutput::default()
        };
        self.clock.lap("rules and scoring");
        engines
            .scorer
            .propagate_rings(&mut output.assessments, &population.rings);
        output.rings = population.rings;
        output.linkage_notes = population.notes;
        self.clock.lap("ring propagation");
        output.timings = self.clock.laps;
        output
    }
}
