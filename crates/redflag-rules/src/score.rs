//! Scoring: findings combine in log-odds with a prior; see `docs/SCORING.md` for the formula, the reasons,
//! calibration and limits.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use redflag_model::{
    Assessment, Citation, Evidence, Finding, Ring, RingId, RiskLevel, SanctionsMatchSummary,
    Severity, Stage, SubjectId, VersionStamp,
};
use serde::{Deserialize, Serialize};

/// Probability thresholds of the risk levels (a score at or above `medium` is medium, and so on).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LevelThresholds {
    /// Lowest score of `medium`.
    pub medium: f64,
    /// Lowest score of `high`.
    pub high: f64,
    /// Lowest score of `critical`.
    pub critical: f64,
}

/// How findings are combined. The defaults are documented, with their reasons, in `docs/SCORING.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoringConfig {
    /// The base rate before any evidence: the share of screened subjects expected to be covert workers.
    pub prior_probability: f64,
    /// Diminishing returns within a stage: the k-th strongest finding of one stage (k = 0, 1, …) counts
    /// `decay^k` of its weight, so many correlated weak signals of one kind do not explode the score.
    pub same_stage_decay: f64,
    /// Level thresholds on the score (a probability).
    pub thresholds: LevelThresholds,
    /// Log-odds of a sanctions match on an exact identifier (wallet, email, phone, document): decisive.
    pub sanctions_exact_weight: f64,
    /// Log-odds of a corroborated name match (name plus an agreeing date of birth),
    /// multiplied by its match score in [0, 1]. An uncorroborated name-only match adds nothing: it is
    /// listed on the assessment for a compliance review, but a common name is never a risk on its own.
    pub sanctions_name_weight: f64,
    /// Share of another ring member's strongest finding weight given to each member by
    /// [`Scorer::propagate_rings`].
    pub ring_propagation: f64,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        Self {
            // Pindrop (2026) saw 1 in 343 applicants linked to the DPRK: ~0.3 %.
            prior_probability: 0.003,
            same_stage_decay: 0.5,
            thresholds: LevelThresholds {
                medium: 0.05,
                high: 0.30,
                critical: 0.80,
            },
            sanctions_exact_weight: 9.0,
            sanctions_name_weight: 4.0,
            ring_propagation: 0.5,
        }
    }
}

/// Turns findings into an [`Assessment`]. Immutable; share it.
#[derive(Debug, Clone, Default)]
pub struct Scorer {
    config: ScoringConfig,
}

/// `ln(p / (1 - p))`, clamped away from 0 and 1.
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-9, 1.0 - 1e-9);
    (p / (1.0 - p)).ln()
}

/// `1 / (1 + e^-x)`.
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Scorer {
    /// A scorer with this configuration.
    pub fn new(config: ScoringConfig) -> Self {
        Self { config }
    }

    /// The configuration.
    pub fn config(&self) -> &ScoringConfig {
        &self.config
    }

    /// The level of a score, without decisive findings.
    pub fn level_of(&self, score: f64) -> RiskLevel {
        let t = &self.config.thresholds;
        if score >= t.critical {
            RiskLevel::Critical
        } else if score >= t.high {
            RiskLevel::High
        } else if score >= t.medium {
            RiskLevel::Medium
        } else {
            RiskLevel::Low
        }
    }

    /// The combined log-odds of findings plus sanctions matches, and whether one of them is decisive.
    pub fn combine(
        &self,
        findings: &[Finding],
        sanctions: &[SanctionsMatchSummary],
    ) -> (f64, bool) {
        let mut by_stage: BTreeMap<Stage, Vec<f64>> = BTreeMap::new();
        let mut decisive = false;
        for f in findings {
            decisive |= f.severity == Severity::Critical && f.weight > 0.0;
            by_stage.entry(f.stage).or_default().push(f.weight);
        }
        // A sanctions match is sanctions-stage evidence, so it shares the stage's diminishing returns with
        // any rule that fired on the same match (no double counting of one hit).
        for m in sanctions {
            let w = if m.exact_identifier {
                decisive = true;
                self.config.sanctions_exact_weight
            } else if m.corroborated {
                self.config.sanctions_name_weight * m.score.clamp(0.0, 1.0)
            } else {
                continue;
            };
            by_stage.entry(Stage::Sanctions).or_default().push(w);
        }
        let decay = self.config.same_stage_decay.clamp(0.0, 1.0);
        let mut total = logit(self.config.prior_probability);
        for weights in by_stage.values_mut() {
            let (mut pos, mut neg): (Vec<f64>, Vec<f64>) = weights.iter().partition(|w| **w >= 0.0);
            pos.sort_by(|a, b| b.total_cmp(a));
            neg.sort_by(f64::total_cmp);
            for group in [pos, neg] {
                let mut factor = 1.0;
                for w in group {
                    total += w * factor;
                    factor *= decay;
                }
            }
        }
        (total, decisive)
    }

    /// Assesses one subject. Findings are sorted strongest first; a decisive finding (severity critical,
    /// or a sanctions match on an exact identifier) makes the level critical and the score at least the
    /// critical threshold, whatever else was found.
    pub fn assess(
        &self,
        subject: &SubjectId,
        mut findings: Vec<Finding>,
        sanctions: Vec<SanctionsMatchSummary>,
        ring: Option<RingId>,
        versions: VersionStamp,
        at: DateTime<Utc>,
    ) -> Assessment {
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.weight.total_cmp(&a.weight))
                .then(a.rule_id.cmp(&b.rule_id))
        });
        let (mut log_odds, decisive) = self.combine(&findings, &sanctions);
        if decisive {
            log_odds = log_odds.max(logit(self.config.thresholds.critical));
        }
        let score = sigmoid(log_odds);
        let level = if decisive {
            RiskLevel::Critical
        } else {
            self.level_of(score)
        };
        Assessment {
            subject: subject.clone(),
            log_odds,
            score,
            level,
            findings,
            sanctions,
            ring,
            versions,
            assessed_at: at,
        }
    }

    /// Findings on a ring raise its members: each member receives, for the strongest finding of every
    /// member it is joined to by identity values (a [`redflag_model::RingLink::is_identity_link`]: payout account,
    /// device, phone, e-mail, document, shipping address, profile — directly or through other
    /// personas of the ring), a linkage finding worth `ring_propagation` × that finding's weight,
    /// explained and cited; then every member is re-scored. Nothing travels over links that families,
    /// coworkers behind one NAT or namesakes also have (names, cities, egress networks, resume
    /// likeness): in a large population such links put innocents in the same cluster as an operator,
    /// and an operator's sanctions or laptop-farm finding must not become theirs. Assessments of
    /// subjects outside `rings` are left alone.
    pub fn propagate_rings(&self, assessments: &mut [Assessment], rings: &[Ring]) {
        let index: BTreeMap<SubjectId, usize> = assessments
            .iter()
            .enumerate()
            .map(|(i, a)| (a.subject.clone(), i))
            .collect();
        let mut additions: Vec<(usize, Finding)> = Vec::new();
        for ring in rings {
            let members: Vec<usize> = ring
                .members
                .iter()
                .filter_map(|m| index.get(m).copied())
                .collect();
            let identity_group = identity_groups(ring);
            for &source in &members {
                let Some(best) = assessments[source]
                    .findings
                    .iter()
                    .filter(|f| !f.rule_id.ends_with(RING_SUFFIX) && f.weight > 0.0)
                    .max_by(|a, b| a.weight.total_cmp(&b.weight))
                else {
                    continue;
                };
                let group = identity_group.get(&assessments[source].subject);
                let linked = |target: usize| {
                    group.is_some() && identity_group.get(&assessments[target].subject) == group
                };
                for &target in members.iter().filter(|&&t| t != source && linked(t)) {
                    additions.push((
                        target,
                        self.ring_finding(
                            ring,
                            &assessments[source].subject,
                            best,
                            &assessments[target].subject,
                        ),
                    ));
                }
            }
        }
        let mut touched: Vec<usize> = additions.iter().map(|(i, _)| *i).collect();
        touched.sort_unstable();
        touched.dedup();
        for (i, finding) in additions {
            assessments[i].findings.push(finding);
        }
        for i in touched {
            let a = &assessments[i];
            let rescored = self.assess(
                &a.subject,
                a.findings.clone(),
                a.sanctions.clone(),
                a.ring.clone(),
                a.versions.clone(),
                a.assessed_at,
            );
            assessments[i] = rescored;
        }
    }

    fn ring_finding(
        &self,
        ring: &Ring,
        source: &SubjectId,
        best: &Finding,
        target: &SubjectId,
    ) -> Finding {
        let severity = match best.severity {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            _ => Severity::Low,
        };
        let mut evidence = vec![
            Evidence::new("ring", ring.id.0.clone()),
            Evidence::new("ring member", source.as_str()),
            Evidence::new("member finding", format!("{} {}", best.rule_id, best.title)),
        ];
        evidence.extend(best.evidence.iter().cloned());
        let mut citations: Vec<Citation> = best.citations.clone();
        citations.dedup();
        Finding {
            subject: target.clone(),
            rule_id: format!("{}{RING_SUFFIX}", best.rule_id),
            title: format!("Ring member: {}", best.title),
            stage: Stage::Linkage,
            severity,
            weight: best.weight * self.config.ring_propagation,
            explanation: format!(
                "Linked in ring {} to {}, on whom {} ({}) fired.",
                ring.id.0, source, best.rule_id, best.title
            ),
            evidence,
            citations,
        }
    }
}

/// Each member of `ring` mapped to the smallest member reachable from it through identity links
/// ([`redflag_model::RingLink::is_identity_link`]): members with the same value are held together
/// by values one person holds, directly or through other personas of the ring.
fn identity_groups(ring: &Ring) -> BTreeMap<SubjectId, SubjectId> {
    let mut parent: BTreeMap<&SubjectId, &SubjectId> =
        ring.members.iter().map(|m| (m, m)).collect();
    fn root<'a>(
        parent: &BTreeMap<&'a SubjectId, &'a SubjectId>,
        mut at: &'a SubjectId,
    ) -> &'a SubjectId {
        while let Some(&up) = parent.get(at) {
            if up == at {
                break;
            }
            at = up;
        }
        at
    }
    for link in ring.links.iter().filter(|l| l.is_identity_link()) {
        if !(parent.contains_key(&link.a) && parent.contains_key(&link.b)) {
            continue;
        }
        let (ra, rb) = (root(&parent, &link.a), root(&parent, &link.b));
        if ra != rb {
            let (low, high) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent.insert(high, low);
        }
    }
    ring.members
        .iter()
        .map(|m| (m.clone(), root(&parent, m).clone()))
        .collect()
}

/// Suffix of the rule id of a finding propagated from another ring member (`RF-END-001@ring`).
pub const RING_SUFFIX: &str = "@ring";

/// One labelled subject for calibration: the rules that fired on it, and whether it was confirmed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledSubject {
    /// Ids of the rules that fired.
    pub fired: Vec<String>,
    /// True when an investigation confirmed the subject as a covert worker (or facilitator persona).
    pub positive: bool,
}

/// Settings of [`fit_weights`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationConfig {
    /// Strength of the pull toward the expert weights (the Gaussian prior's precision, 1/σ²). With few
    /// labelled cases a rule's weight stays near what its author wrote.
    pub ridge: f64,
    /// Newton iterations.
    pub iterations: usize,
}

impl Default for CalibrationConfig {
    fn default() -> Self {
        Self {
            ridge: 1.0,
            iterations: 25,
        }
    }
}

/// Weights fitted by [`fit_weights`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The fitted intercept (log-odds with no finding): the calibrated prior.
    pub intercept: f64,
    /// Fitted weight per rule id.
    pub weights: BTreeMap<String, f64>,
    /// Mean log-loss of the starting weights on the labelled set.
    pub log_loss_before: f64,
    /// Mean log-loss of the fitted weights on the labelled set (in-sample: validate on held-out data).
    pub log_loss_after: f64,
    /// Subjects used.
    pub subjects: usize,
    /// Positives among them.
    pub positives: usize,
}

/// Fits rule weights by L2-regularised logistic regression (MAP with a Gaussian prior centred on the
/// starting weights), by Newton's method. `start` gives each rule's current weight (and so which rules
/// are fitted); rules absent from `start` are ignored. The model is the plain sum of weights — the scorer's
/// same-stage decay is not modelled, so fit on the undecayed sum and keep the decay as a safety margin.
pub fn fit_weights(
    samples: &[LabelledSubject],
    start: &BTreeMap<String, f64>,
    prior_probability: f64,
    config: &CalibrationConfig,
) -> Calibration {
    let ids: Vec<&String> = start.keys().collect();
    let col: BTreeMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i + 1))
        .collect();
    let dim = ids.len() + 1; // 0 = intercept
    let rows: Vec<(Vec<usize>, f64)> = samples
        .iter()
        .map(|s| {
            let mut x: Vec<usize> = s
                .fired
                .iter()
                .filter_map(|id| col.get(id.as_str()).copied())
                .collect();
            x.sort_unstable();
            x.dedup();
            (x, if s.positive { 1.0 } else { 0.0 })
        })
        .collect();
    let mut prior = vec![logit(prior_probability)];
    prior.extend(ids.iter().map(|id| start[*id]));
    let mut w = prior.clone();
    let loss = |w: &[f64]| -> f64 {
        if rows.is_empty() {
            return 0.0;
        }
        let total: f64 = rows
            .iter()
            .map(|(x, y)| {
                let p =
                    sigmoid(w[0] + x.iter().map(|&j| w[j]).sum::<f64>()).clamp(1e-12, 1.0 - 1e-12);
                -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
            })
            .sum();
        total / rows.len() as f64
    };
    // The intercept gets a weak prior: the base rate is what the labelled data tell best.
    let ridge: Vec<f64> = (0..dim)
        .map(|j| if j == 0 { 1e-3 } else { config.ridge.max(1e-6) })
        .collect();
    // The penalised objective Newton minimises (total, not mean, log-loss: the prior's pull does not grow
    // with the data, so many labelled cases outweigh it).
    let objective = |w: &[f64]| -> f64 {
        let penalty: f64 = (0..dim)
            .map(|j| 0.5 * ridge[j] * (w[j] - prior[j]).powi(2))
            .sum();
        loss(w) * rows.len() as f64 + penalty
    };
    let before = loss(&w);
    for _ in 0..config.iterations {
        let mut grad: Vec<f64> = (0..dim).map(|j| ridge[j] * (w[j] - prior[j])).collect();
        let mut hess = vec![0.0; dim * dim];
        for j in 0..dim {
            hess[j * dim + j] = ridge[j];
        }
        for (x, y) in &rows {
            let p = sigmoid(w[0] + x.iter().map(|&j| w[j]).sum::<f64>());
            let r = p - y;
            let h = (p * (1.0 - p)).max(1e-9);
            let active: Vec<usize> = std::iter::once(0).chain(x.iter().copied()).collect();
            for &a in &active {
                grad[a] += r;
                for &b in &active {
                    hess[a * dim + b] += h;
                }
            }
        }
        let Some(step) = cholesky_solve(&hess, &grad, dim) else {
            break;
        };
        // Damped Newton: halve the step until the objective decreases (plain Newton overshoots on
        // logistic loss when the start is far from the optimum).
        let current = objective(&w);
        let mut t = 1.0;
        let mut improved = false;
        for _ in 0..40 {
            let trial: Vec<f64> = w.iter().zip(&step).map(|(wj, sj)| wj - t * sj).collect();
            if objective(&trial) <= current {
                w = trial;
                improved = true;
                break;
            }
            t *= 0.5;
        }
        let moved = step.iter().fold(0.0f64, |m, s| m.max((t * s).abs()));
        if !improved || moved < 1e-9 {
            break;
        }
    }
    Calibration {
        intercept: w[0],
        weights: ids
            .iter()
            .enumerate()
            .map(|(i, id)| ((*id).clone(), w[i + 1]))
            .collect(),
        log_loss_before: before,
        log_loss_after: loss(&w),
        subjects: samples.len(),
        positives: samples.iter().filter(|s| s.positive).count(),
    }
}

/// Solves `A x = b` for a symmetric positive-definite `A` (row-major, n×n).
fn cholesky_solve(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = a[i * n + j];
            for k in 0..j {
                sum -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if sum <= 0.0 {
                    return None;
                }
                l[i * n + i] = sum.sqrt();
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut sum = b[i];
        for k in 0..i {
            sum -= l[i * n + k] * y[k];
        }
        y[i] = sum / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut sum = y[i];
        for k in i + 1..n {
            sum -= l[k * n + i] * x[k];
        }
        x[i] = sum / l[i * n + i];
    }
    Some(x)
}
