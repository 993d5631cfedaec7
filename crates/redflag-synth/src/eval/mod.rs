//! Scoring a run of the pipeline against a world's ground truth.
//!
//! The caller runs the detectors and hands over one [`Scored`] per subject (score, level, rules fired,
//! ring) and the stored rings as member lists; [`evaluate`] returns an [`EvalReport`]: subject-level
//! precision, recall and F1 at a decision level, ring-level precision and recall, a precision–recall
//! curve, each rule's true and false positives, the false positives themselves, and the fairness table.
//! [`time_to_detect`] scores runs on growing prefixes of the event window. [`render_markdown`] and
//! [`svg::pr_curve_svg`] turn a report into files.
//!
//! Everything here is arithmetic on labels and scores: no engine, no I/O beyond [`Truth::read`]. The
//! ground truth is read only here, never by a detector.

pub mod fairness;
pub mod metrics;
mod report;
pub mod svg;
mod truth;

use std::collections::{BTreeMap, BTreeSet};

use redflag_model::{Assessment, RiskLevel};
use serde::{Deserialize, Serialize};

pub use fairness::{FairnessRow, FairnessTable, InnocentOutcome, Tolerance, fairness_table};
pub use metrics::{Confusion, PrPoint, RingMatch, average_precision, match_rings, pr_curve};
pub use report::render_markdown;
pub use truth::{EvalError, PlantedRing, SubjectTruth, Truth, read_labels, subject_id};

use crate::truth::{Signal, Strength};

/// What the pipeline said about one subject, reduced to what scoring needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// The subject id (`synth:P0000042`).
    pub subject: String,
    /// The risk score (a probability).
    pub score: f64,
    /// The risk level.
    pub level: RiskLevel,
    /// Ids of the rules that fired.
    pub rules: Vec<String>,
}

impl Scored {
    /// The parts of an assessment scoring needs.
    pub fn from_assessment(assessment: &Assessment) -> Self {
        Self {
            subject: assessment.subject.as_str().to_string(),
            score: assessment.score,
            level: assessment.level,
            rules: assessment
                .findings
                .iter()
                .map(|f| f.rule_id.clone())
                .collect(),
        }
    }
}

/// How to score a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalOptions {
    /// A subject is flagged when its level is at least this.
    pub level: RiskLevel,
    /// The fairness tolerance.
    pub tolerance: Tolerance,
    /// Most false positives listed in the report (all are counted).
    pub max_listed: usize,
    /// Most points of the precision–recall curve kept in the report (the average precision uses all).
    pub max_curve_points: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            level: RiskLevel::High,
            tolerance: Tolerance::default(),
            max_listed: 50,
            max_curve_points: 200,
        }
    }
}

/// The world an evaluation ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldSummary {
    /// The generator that wrote it.
    pub generator: String,
    /// Its seed.
    pub seed: u64,
    /// Subjects in the truth.
    pub subjects: usize,
    /// Operators' personas.
    pub operators: usize,
    /// Innocents (hard negatives included).
    pub innocents: usize,
    /// Hard negatives.
    pub hard_negatives: usize,
    /// Planted rings.
    pub rings: usize,
    /// First and last day of the event window.
    pub window: [String; 2],
}

/// Subject-level figures at the decision level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubjectMetrics {
    /// The decision level (`high` flags high and critical).
    pub level: RiskLevel,
    /// Counts.
    pub confusion: Confusion,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// False-positive rate among innocents.
    pub false_positive_rate: f64,
    /// Average precision over every score threshold.
    pub average_precision: f64,
    /// Subjects of the truth the run did not assess (rejected rows); counted as not flagged.
    pub unscored: usize,
    /// The same counts at every decision level, lowest first.
    pub by_level: Vec<LevelRow>,
    /// The score threshold with the highest F1 on this world (for tuning the level thresholds; it is
    /// fitted to this world, so it overstates what a fixed threshold achieves elsewhere).
    pub best_f1: Option<BestPoint>,
}

/// Figures at one decision level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelRow {
    /// Flagged = this level or above.
    pub level: RiskLevel,
    /// Counts.
    pub confusion: Confusion,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
}

/// The point of the precision–recall curve with the highest F1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BestPoint {
    /// Flag subjects scoring at least this.
    pub threshold: f64,
    /// Precision there.
    pub precision: f64,
    /// Recall there.
    pub recall: f64,
    /// F1 there.
    pub f1: f64,
}

/// The curve's point with the highest F1 (the highest threshold among ties).
pub fn best_f1(curve: &[PrPoint]) -> Option<BestPoint> {
    let f1 = |p: &PrPoint| {
        if p.precision + p.recall == 0.0 {
            0.0
        } else {
            2.0 * p.precision * p.recall / (p.precision + p.recall)
        }
    };
    let mut best: Option<BestPoint> = None;
    for p in curve {
        let value = f1(p);
        if best.is_none_or(|b| value > b.f1) {
            best = Some(BestPoint {
                threshold: p.threshold,
                precision: p.precision,
                recall: p.recall,
                f1: value,
            });
        }
    }
    best
}

/// Recall by ring strength.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrengthRow {
    /// The strength.
    pub strength: Strength,
    /// Operators in rings of that strength.
    pub operators: u64,
    /// Flagged among them.
    pub flagged: u64,
    /// `flagged / operators`.
    pub recall: f64,
}

/// False positives by hard-negative category (and `ordinary` for other innocents).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryRow {
    /// The category.
    pub category: String,
    /// Innocents in it.
    pub innocents: u64,
    /// Flagged among them.
    pub flagged: u64,
    /// `flagged / innocents`.
    pub rate: f64,
}

/// Ring-level figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RingMetrics {
    /// Linkage against the planted rings.
    pub linkage: RingMatch,
    /// Planted rings with at least one member flagged at the decision level.
    pub rings_with_a_flagged_member: usize,
    /// One row per planted ring.
    pub rings: Vec<RingRow>,
    /// The stored rings that are not correct, by what they are made of (most rings first).
    #[serde(default)]
    pub wrong_rings: Vec<WrongRingRow>,
    /// The same rings by the kinds of link that hold them (most rings first, at most 12 rows).
    #[serde(default)]
    pub wrong_ring_links: Vec<WrongRingLinks>,
}

/// A ring the run stored: its members' subject ids and the kinds of the links that hold it together
/// (`payout`, `resume`, `egress`, …; empty when the run gave none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredRing {
    /// Members' subject ids.
    pub members: Vec<String>,
    /// Kinds of its links with positive weight, sorted, each once.
    pub link_kinds: Vec<String>,
}

impl From<Vec<String>> for StoredRing {
    fn from(members: Vec<String>) -> Self {
        Self {
            members,
            link_kinds: Vec::new(),
        }
    }
}

/// Stored rings that are not correct, held together by one set of link kinds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrongRingLinks {
    /// The link kinds, joined by `+` (`email+given_name`), or `unknown` when the run gave none.
    pub links: String,
    /// Rings held together by exactly these kinds.
    pub rings: usize,
}

/// Stored rings that are not correct, of one make-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrongRingRow {
    /// `innocents: family` (every member an innocent of one hard-negative category, `ordinary` for
    /// innocents not built to look suspicious), `innocents: mixed categories`, `operators with
    /// innocents`, `operators of several rings` or `subjects not in the truth`.
    pub kind: String,
    /// Rings of this make-up.
    pub rings: usize,
    /// Their members.
    pub members: usize,
}

/// What a stored ring that is not correct is made of (see [`WrongRingRow::kind`]).
fn wrong_ring_kind(members: &[String], truth: &BTreeMap<&str, &SubjectTruth>) -> String {
    let known: Vec<&SubjectTruth> = members
        .iter()
        .filter_map(|m| truth.get(m.as_str()).copied())
        .collect();
    if known.is_empty() {
        return "subjects not in the truth".into();
    }
    let rings: BTreeSet<&str> = known.iter().filter_map(|s| s.ring.as_deref()).collect();
    let innocents = known.iter().filter(|s| !s.operator).count();
    if !rings.is_empty() {
        return if innocents > 0 {
            "operators with innocents".into()
        } else {
            "operators of several rings".into()
        };
    }
    let categories: BTreeSet<&str> = known
        .iter()
        .map(|s| s.hard_negative.as_deref().unwrap_or("ordinary"))
        .collect();
    match categories.iter().next() {
        Some(one) if categories.len() == 1 => format!("innocents: {one}"),
        _ => "innocents: mixed categories".into(),
    }
}

/// [`WrongRingRow`]s and [`WrongRingLinks`] of the stored rings that are not correct.
/// `wrong` are the indices of the stored rings that are not correct ([`RingMatch::wrong_stored`]).
fn wrong_ring_rows(
    truth: &Truth,
    stored: &[StoredRing],
    wrong: &[usize],
) -> (Vec<WrongRingRow>, Vec<WrongRingLinks>) {
    let by_id: BTreeMap<&str, &SubjectTruth> = truth
        .subjects
        .iter()
        .map(|s| (s.subject_id.as_str(), s))
        .collect();
    let mut kinds: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut links: BTreeMap<String, usize> = BTreeMap::new();
    for ring in wrong.iter().filter_map(|&i| stored.get(i)) {
        let entry = kinds
            .entry(wrong_ring_kind(&ring.members, &by_id))
            .or_default();
        entry.0 += 1;
        entry.1 += ring.members.len();
        let held_by = if ring.link_kinds.is_empty() {
            "unknown".to_string()
        } else {
            ring.link_kinds.join("+")
        };
        *links.entry(held_by).or_default() += 1;
    }
    let mut links: Vec<WrongRingLinks> = links
        .into_iter()
        .map(|(links, rings)| WrongRingLinks { links, rings })
        .collect();
    links.sort_by(|a, b| b.rings.cmp(&a.rings).then_with(|| a.links.cmp(&b.links)));
    links.truncate(12);
    let mut rows: Vec<WrongRingRow> = kinds
        .into_iter()
        .map(|(kind, (rings, members))| WrongRingRow {
            kind,
            rings,
            members,
        })
        .collect();
    rows.sort_by(|a, b| b.rings.cmp(&a.rings).then_with(|| a.kind.cmp(&b.kind)));
    (rows, links)
}

/// One planted ring's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RingRow {
    /// `ring-001`.
    pub id: String,
    /// Strength.
    pub strength: Strength,
    /// Members.
    pub members: usize,
    /// Members flagged.
    pub flagged: usize,
    /// Whether a stored ring holds most of it.
    pub found_by_linkage: bool,
}

/// One rule's contribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleContribution {
    /// Rule id.
    pub rule: String,
    /// Operators it fired on.
    pub fired_on_operators: u64,
    /// Innocents it fired on.
    pub fired_on_innocents: u64,
    /// Flagged operators it fired on (true positives it contributed to).
    pub true_positives: u64,
    /// Flagged innocents it fired on (false positives it contributed to).
    pub false_positives: u64,
}

/// One flagged innocent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FalsePositive {
    /// Subject id.
    pub subject: String,
    /// Score.
    pub score: f64,
    /// Level.
    pub level: RiskLevel,
    /// The hard-negative category, if the subject was built to look suspicious.
    pub hard_negative: Option<String>,
    /// Rules that fired, each once, in the assessment's order.
    pub rules: Vec<String>,
}

/// An operator the run did not flag, with what was planted on it and what fired: the list to study
/// when recall is low.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissedOperator {
    /// Subject id.
    pub subject: String,
    /// Planted ring.
    pub ring: String,
    /// The ring's strength.
    pub strength: Strength,
    /// Whether the persona was hired (and so has sign-ins, a laptop, payroll).
    pub hired: bool,
    /// Score (0 when not assessed).
    pub score: f64,
    /// Level (`None` when not assessed).
    pub level: Option<RiskLevel>,
    /// Signals planted on this persona.
    pub signals: Vec<Signal>,
    /// Rules that fired for it, each once.
    pub rules: Vec<String>,
}

/// Recall among the operators carrying one planted signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalRow {
    /// The signal.
    pub signal: Signal,
    /// Operators carrying it.
    pub operators: u64,
    /// Of them, flagged.
    pub flagged: u64,
    /// flagged / operators.
    pub recall: f64,
}

/// The result of [`evaluate`] (plus what the caller adds: time to detect, timings, notes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// The world.
    pub world: WorldSummary,
    /// Subject-level figures.
    pub subjects: SubjectMetrics,
    /// Recall by ring strength.
    pub by_strength: Vec<StrengthRow>,
    /// False-positive rate by hard-negative category.
    pub by_category: Vec<CategoryRow>,
    /// Ring-level figures.
    pub rings: RingMetrics,
    /// The precision–recall curve (thinned to the configured number of points).
    pub pr_curve: Vec<PrPoint>,
    /// Every rule that fired, by id.
    pub rules: Vec<RuleContribution>,
    /// Operators the run missed, lowest score first (at most the configured number).
    #[serde(default)]
    pub missed_operators: Vec<MissedOperator>,
    /// Recall by planted signal.
    #[serde(default)]
    pub by_signal: Vec<SignalRow>,
    /// False positives, highest score first (at most the configured number).
    pub false_positives: Vec<FalsePositive>,
    /// The fairness table.
    pub fairness: FairnessTable,
    /// Time to detect, when the caller ran prefixes.
    pub time_to_detect: Option<TimeToDetect>,
    /// Wall time of the run's stages, in seconds, as the caller measured them.
    pub timings: BTreeMap<String, f64>,
    /// Remarks for the reader (missing inputs, engines not wired).
    pub notes: Vec<String>,
}

impl EvalReport {
    /// Whether the fairness table has a violation.
    pub fn fairness_violated(&self) -> bool {
        self.fairness.violations > 0
    }
}

/// Scores one run. `scored` holds the pipeline's verdicts (subjects missing from it count as not
/// flagged); `stored_rings` the rings the run stored (empty when linkage did not
/// run).
pub fn evaluate(
    truth: &Truth,
    scored: &[Scored],
    stored_rings: &[StoredRing],
    options: &EvalOptions,
) -> EvalReport {
    let by_subject: BTreeMap<&str, &Scored> =
        scored.iter().map(|s| (s.subject.as_str(), s)).collect();
    let flagged = |s: Option<&&Scored>| s.is_some_and(|s| s.level >= options.level);

    let mut confusion = Confusion::default();
    let levels = [
        RiskLevel::Low,
        RiskLevel::Medium,
        RiskLevel::High,
        RiskLevel::Critical,
    ];
    let mut at_level = [Confusion::default(); 4];
    let mut scores = Vec::with_capacity(truth.subjects.len());
    let mut unscored = 0;
    let mut rules: BTreeMap<&str, RuleContribution> = BTreeMap::new();
    let mut false_positives = Vec::new();
    let mut categories: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut innocents = Vec::new();
    let mut flagged_operators: BTreeSet<&str> = BTreeSet::new();
    for subject in &truth.subjects {
        let verdict = by_subject.get(subject.subject_id.as_str());
        if verdict.is_none() {
            unscored += 1;
        }
        let is_flagged = flagged(verdict);
        confusion.add(subject.operator, is_flagged);
        for (level, counts) in levels.iter().zip(at_level.iter_mut()) {
            counts.add(subject.operator, verdict.is_some_and(|v| v.level >= *level));
        }
        scores.push((verdict.map_or(0.0, |s| s.score), subject.operator));
        if subject.operator && is_flagged {
            flagged_operators.insert(subject.subject_id.as_str());
        }
        if let Some(verdict) = verdict {
            let fired: BTreeSet<&str> = verdict.rules.iter().map(String::as_str).collect();
            for rule in fired {
                let entry = rules.entry(rule).or_insert_with(|| RuleContribution {
                    rule: rule.to_string(),
                    fired_on_operators: 0,
                    fired_on_innocents: 0,
                    true_positives: 0,
                    false_positives: 0,
                });
                match (subject.operator, is_flagged) {
                    (true, true) => {
                        entry.fired_on_operators += 1;
                        entry.true_positives += 1;
                    }
                    (true, false) => entry.fired_on_operators += 1,
                    (false, true) => {
                        entry.fired_on_innocents += 1;
                        entry.false_positives += 1;
                    }
                    (false, false) => entry.fired_on_innocents += 1,
                }
            }
        }
        if !subject.operator {
            let category = subject.hard_negative.as_deref().unwrap_or("ordinary");
            let entry = categories.entry(category).or_default();
            entry.0 += 1;
            entry.1 += u64::from(is_flagged);
            innocents.push(InnocentOutcome {
                name_origin: &subject.name_origin,
                nationality: &subject.nationality,
                flagged: is_flagged,
            });
            if let (true, Some(verdict)) = (is_flagged, verdict) {
                false_positives.push(FalsePositive {
                    subject: subject.subject_id.clone(),
                    score: verdict.score,
                    level: verdict.level,
                    hard_negative: subject.hard_negative.clone(),
                    rules: unique(&verdict.rules),
                });
            }
        }
    }
    false_positives.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.subject.cmp(&b.subject))
    });
    false_positives.truncate(options.max_listed);

    let curve = pr_curve(&scores);
    let average_precision = average_precision(&curve);

    let planted = truth.planted_rings();
    let planted_members: Vec<Vec<String>> = planted.iter().map(|r| r.members.clone()).collect();
    let stored_members: Vec<Vec<String>> = stored_rings.iter().map(|r| r.members.clone()).collect();
    let linkage = match_rings(&planted_members, &stored_members);
    let (wrong_rings, wrong_ring_links) =
        wrong_ring_rows(truth, stored_rings, &linkage.wrong_stored);
    let found: BTreeSet<usize> = linkage.found_planted.iter().copied().collect();
    let ring_rows: Vec<RingRow> = planted
        .iter()
        .enumerate()
        .map(|(i, r)| RingRow {
            id: r.id.clone(),
            strength: r.strength,
            members: r.members.len(),
            flagged: r
                .members
                .iter()
                .filter(|m| flagged_operators.contains(m.as_str()))
                .count(),
            found_by_linkage: found.contains(&i),
        })
        .collect();

    let mut strengths: BTreeMap<Strength, (u64, u64)> = BTreeMap::new();
    for ring in &ring_rows {
        let entry = strengths.entry(ring.strength).or_default();
        entry.0 += ring.members as u64;
        entry.1 += ring.flagged as u64;
    }
    let rate = |n: u64, k: u64| if n == 0 { 0.0 } else { k as f64 / n as f64 };

    // What was planted on the operators the run missed, and recall by signal.
    let strength_of: BTreeMap<&str, Strength> = truth
        .ground
        .rings
        .iter()
        .map(|r| (r.id.as_str(), r.strength))
        .collect();
    let mut missed_operators = Vec::new();
    let mut signal_counts: BTreeMap<Signal, (u64, u64)> = BTreeMap::new();
    for o in &truth.ground.operators {
        let verdict = by_subject.get(o.subject_id.as_str());
        let is_flagged = flagged(verdict);
        for s in &o.signals {
            let entry = signal_counts.entry(s.signal).or_default();
            entry.0 += 1;
            entry.1 += u64::from(is_flagged);
        }
        if !is_flagged {
            missed_operators.push(MissedOperator {
                subject: o.subject_id.clone(),
                ring: o.ring.clone(),
                strength: strength_of
                    .get(o.ring.as_str())
                    .copied()
                    .unwrap_or(Strength::Subtle),
                hired: o.hired,
                score: verdict.map_or(0.0, |v| v.score),
                level: verdict.map(|v| v.level),
                signals: o.signals.iter().map(|s| s.signal).collect(),
                rules: verdict.map(|v| unique(&v.rules)).unwrap_or_default(),
            });
        }
    }
    missed_operators.sort_by(|a, b| {
        a.score
            .total_cmp(&b.score)
            .then_with(|| a.subject.cmp(&b.subject))
    });
    missed_operators.truncate(options.max_listed);

    let operators = truth.subjects.iter().filter(|s| s.operator).count();
    EvalReport {
        world: WorldSummary {
            generator: truth.ground.generator.clone(),
            seed: truth.ground.seed,
            subjects: truth.subjects.len(),
            operators,
            innocents: truth.subjects.len() - operators,
            hard_negatives: truth
                .subjects
                .iter()
                .filter(|s| s.hard_negative.is_some())
                .count(),
            rings: planted.len(),
            window: truth.ground.window.clone(),
        },
        subjects: SubjectMetrics {
            level: options.level,
            confusion,
            precision: confusion.precision(),
            recall: confusion.recall(),
            f1: confusion.f1(),
            false_positive_rate: confusion.false_positive_rate(),
            average_precision,
            unscored,
            by_level: levels
                .iter()
                .zip(at_level)
                .map(|(&level, c)| LevelRow {
                    level,
                    confusion: c,
                    precision: c.precision(),
                    recall: c.recall(),
                    f1: c.f1(),
                })
                .collect(),
            best_f1: best_f1(&curve),
        },
        by_strength: strengths
            .into_iter()
            .map(|(strength, (n, k))| StrengthRow {
                strength,
                operators: n,
                flagged: k,
                recall: rate(n, k),
            })
            .collect(),
        by_category: categories
            .into_iter()
            .map(|(category, (n, k))| CategoryRow {
                category: category.to_string(),
                innocents: n,
                flagged: k,
                rate: rate(n, k),
            })
            .collect(),
        rings: RingMetrics {
            rings_with_a_flagged_member: ring_rows.iter().filter(|r| r.flagged > 0).count(),
            wrong_rings,
            wrong_ring_links,
            linkage,
            rings: ring_rows,
        },
        pr_curve: metrics::thin(&curve, options.max_curve_points),
        rules: rules.into_values().collect(),
        missed_operators,
        by_signal: signal_counts
            .into_iter()
            .map(|(signal, (n, k))| SignalRow {
                signal,
                operators: n,
                flagged: k,
                recall: rate(n, k),
            })
            .collect(),
        false_positives,
        fairness: fairness_table(innocents, options.tolerance),
        time_to_detect: None,
        timings: BTreeMap::new(),
        notes: Vec::new(),
    }
}

/// The subjects one run on a prefix of the event window flagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrefixRun {
    /// Days of events the run saw (from the window's first day).
    pub days: u32,
    /// Subject ids flagged at the decision level.
    pub flagged: BTreeSet<String>,
}

/// One prefix's row of the time-to-detect table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrefixRow {
    /// Days of events.
    pub days: u32,
    /// Operators flagged.
    pub operators_flagged: u64,
    /// Recall over all operators.
    pub recall: f64,
    /// Operators holding an account (with events) flagged.
    pub hired_flagged: u64,
    /// Recall over hired operators.
    pub hired_recall: f64,
    /// Innocents flagged.
    pub innocents_flagged: u64,
}

/// How many days of data it takes to flag operators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeToDetect {
    /// Subjects of the (smaller) world the prefixes ran on.
    pub subjects: usize,
    /// Its seed.
    pub seed: u64,
    /// Operators in it.
    pub operators: u64,
    /// Of which hired (with events).
    pub hired: u64,
    /// One row per prefix, shortest first.
    pub prefixes: Vec<PrefixRow>,
    /// Median over operators flagged in the longest prefix of the first prefix (days) that flags them.
    pub median_days: Option<u32>,
    /// The same over hired operators only.
    pub median_days_hired: Option<u32>,
    /// Operators not flagged in any prefix.
    pub never_flagged: u64,
}

/// Scores runs on growing prefixes. An operator's time to detect is the first prefix that flags it.
pub fn time_to_detect(truth: &Truth, runs: &[PrefixRun]) -> TimeToDetect {
    let mut runs: Vec<&PrefixRun> = runs.iter().collect();
    runs.sort_by_key(|r| r.days);
    let hired = truth.hired();
    let operators: Vec<&SubjectTruth> = truth.subjects.iter().filter(|s| s.operator).collect();
    let is_hired = |s: &SubjectTruth| hired.get(&s.subject_id).copied().unwrap_or(false);
    let hired_count = operators.iter().filter(|s| is_hired(s)).count() as u64;
    let rate = |n: u64, k: u64| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    let operator_ids: BTreeSet<&str> = operators.iter().map(|s| s.subject_id.as_str()).collect();
    let prefixes = runs
        .iter()
        .map(|run| {
            let flagged_ops: Vec<&&SubjectTruth> = operators
                .iter()
                .filter(|s| run.flagged.contains(&s.subject_id))
                .collect();
            let hired_flagged = flagged_ops.iter().filter(|s| is_hired(s)).count() as u64;
            let ops = flagged_ops.len() as u64;
            PrefixRow {
                days: run.days,
                operators_flagged: ops,
                recall: rate(operators.len() as u64, ops),
                hired_flagged,
                hired_recall: rate(hired_count, hired_flagged),
                innocents_flagged: run
                    .flagged
                    .iter()
                    .filter(|s| !operator_ids.contains(s.as_str()))
                    .count() as u64,
            }
        })
        .collect();
    let first_day = |s: &SubjectTruth| {
        runs.iter()
            .find(|r| r.flagged.contains(&s.subject_id))
            .map(|r| r.days)
    };
    let mut all: Vec<u32> = operators.iter().filter_map(|s| first_day(s)).collect();
    let mut hired_days: Vec<u32> = operators
        .iter()
        .filter(|s| is_hired(s))
        .filter_map(|s| first_day(s))
        .collect();
    let never = operators.len() as u64 - all.len() as u64;
    TimeToDetect {
        subjects: truth.subjects.len(),
        seed: truth.ground.seed,
        operators: operators.len() as u64,
        hired: hired_count,
        prefixes,
        median_days: median(&mut all),
        median_days_hired: median(&mut hired_days),
        never_flagged: never,
    }
}

/// The items once each, in first-seen order.
fn unique(items: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    items
        .iter()
        .filter(|i| seen.insert(i.as_str()))
        .cloned()
        .collect()
}

/// The lower median (an observed prefix, never an average of two).
fn median(values: &mut [u32]) -> Option<u32> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[(values.len() - 1) / 2])
}

#[cfg(test)]
mod tests;
