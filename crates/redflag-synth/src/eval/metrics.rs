//! Confusion counts, precision–recall curves and ring matching: plain arithmetic on labels and scores.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Counts of one binary decision against the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Confusion {
    /// Operators flagged.
    pub true_positives: u64,
    /// Innocents flagged.
    pub false_positives: u64,
    /// Operators not flagged.
    pub false_negatives: u64,
    /// Innocents not flagged.
    pub true_negatives: u64,
}

impl Confusion {
    /// Counts `(actual, predicted)` pairs.
    pub fn count(pairs: impl IntoIterator<Item = (bool, bool)>) -> Self {
        let mut c = Self::default();
        for pair in pairs {
            c.add(pair.0, pair.1);
        }
        c
    }

    /// Adds one decision.
    pub fn add(&mut self, actual: bool, predicted: bool) {
        match (actual, predicted) {
            (true, true) => self.true_positives += 1,
            (false, true) => self.false_positives += 1,
            (true, false) => self.false_negatives += 1,
            (false, false) => self.true_negatives += 1,
        }
    }

    /// Flagged operators over everyone flagged; 1 when nobody is flagged (no false alarm was raised).
    pub fn precision(&self) -> f64 {
        ratio_or(
            self.true_positives,
            self.true_positives + self.false_positives,
            1.0,
        )
    }

    /// Flagged operators over all operators; 0 when there are none (nothing can be found).
    pub fn recall(&self) -> f64 {
        ratio_or(
            self.true_positives,
            self.true_positives + self.false_negatives,
            0.0,
        )
    }

    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Flagged innocents over all innocents (0 when there are none).
    pub fn false_positive_rate(&self) -> f64 {
        ratio_or(
            self.false_positives,
            self.false_positives + self.true_negatives,
            0.0,
        )
    }
}

fn ratio_or(num: u64, den: u64, empty: f64) -> f64 {
    if den == 0 {
        empty
    } else {
        num as f64 / den as f64
    }
}

/// One point of a precision–recall curve: flag every subject whose score is at least `threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PrPoint {
    /// The score threshold.
    pub threshold: f64,
    /// Precision at that threshold.
    pub precision: f64,
    /// Recall at that threshold.
    pub recall: f64,
    /// Operators at or above the threshold.
    pub true_positives: u64,
    /// Innocents at or above the threshold.
    pub false_positives: u64,
}

/// The precision–recall curve of `(score, is_operator)` pairs, one point per distinct score, highest
/// threshold first. Ties share a point (a threshold cannot split subjects with equal scores).
pub fn pr_curve(scores: &[(f64, bool)]) -> Vec<PrPoint> {
    let positives = scores.iter().filter(|s| s.1).count() as u64;
    let mut sorted: Vec<(f64, bool)> = scores.iter().copied().filter(|s| !s.0.is_nan()).collect();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out = Vec::new();
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut i = 0;
    while i < sorted.len() {
        let threshold = sorted[i].0;
        while i < sorted.len() && sorted[i].0 == threshold {
            if sorted[i].1 {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        out.push(PrPoint {
            threshold,
            precision: ratio_or(tp, tp + fp, 1.0),
            recall: ratio_or(tp, positives, 0.0),
            true_positives: tp,
            false_positives: fp,
        });
    }
    out
}

/// Average precision: the area under the step curve, Σ (Rₙ − Rₙ₋₁)·Pₙ over the curve's points.
pub fn average_precision(curve: &[PrPoint]) -> f64 {
    let mut previous = 0.0;
    let mut area = 0.0;
    for point in curve {
        area += (point.recall - previous) * point.precision;
        previous = point.recall;
    }
    area
}

/// At most `max` points of a curve for display: the first and last points, every point where recall
/// rises, and as many others as fit, evenly spaced. Points keep their order.
pub fn thin(curve: &[PrPoint], max: usize) -> Vec<PrPoint> {
    if curve.len() <= max || max < 2 {
        return curve.to_vec();
    }
    let mut keep: BTreeSet<usize> = BTreeSet::from([0, curve.len() - 1]);
    for i in 1..curve.len() {
        if keep.len() >= max {
            break;
        }
        if curve[i].recall > curve[i - 1].recall {
            keep.insert(i);
        }
    }
    let step = curve.len().div_ceil(max.saturating_sub(keep.len()).max(1));
    let mut i = 0;
    while keep.len() < max && i < curve.len() {
        keep.insert(i);
        i += step.max(1);
    }
    keep.into_iter().map(|i| curve[i]).collect()
}

/// Which planted rings a set of stored rings recovers, and which stored rings are right.
///
/// A planted ring is **found** when one stored ring holds more than half of its members. A stored ring
/// is **correct** when more than half of its members belong to one planted ring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RingMatch {
    /// Planted rings.
    pub planted: usize,
    /// Stored rings.
    pub stored: usize,
    /// Planted rings found.
    pub found: usize,
    /// Stored rings that are correct.
    pub correct: usize,
    /// `found / planted` (0 with no planted rings).
    pub recall: f64,
    /// `correct / stored`; `None` when nothing was stored.
    pub precision: Option<f64>,
    /// Ids of the planted rings found (by index into the planted list).
    pub found_planted: Vec<usize>,
    /// Indices of the stored rings that are not correct, in order (not written to reports: the
    /// evaluation breaks them down by make-up instead).
    #[serde(skip)]
    pub wrong_stored: Vec<usize>,
}

/// Matches stored rings (member lists) against planted ones.
pub fn match_rings(planted: &[Vec<String>], stored: &[Vec<String>]) -> RingMatch {
    let stored_sets: Vec<BTreeSet<&str>> = stored
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let planted_sets: Vec<BTreeSet<&str>> = planted
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let majority = |part: usize, whole: usize| whole > 0 && part * 2 > whole;
    let found_planted: Vec<usize> = planted_sets
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            stored_sets
                .iter()
                .any(|s| majority(s.intersection(p).count(), p.len()))
        })
        .map(|(i, _)| i)
        .collect();
    let wrong_stored: Vec<usize> = stored_sets
        .iter()
        .enumerate()
        .filter(|(_, s)| !holds_a_planted_majority(s, &planted_sets))
        .map(|(i, _)| i)
        .collect();
    let correct = stored.len() - wrong_stored.len();
    RingMatch {
        planted: planted.len(),
        stored: stored.len(),
        found: found_planted.len(),
        correct,
        recall: ratio_or(found_planted.len() as u64, planted.len() as u64, 0.0),
        precision: (!stored.is_empty()).then(|| correct as f64 / stored.len() as f64),
        found_planted,
        wrong_stored,
    }
}

/// Whether more than half of a stored ring's members come from one planted ring (a correct ring).
fn holds_a_planted_majority(stored: &BTreeSet<&str>, planted: &[BTreeSet<&str>]) -> bool {
    planted
        .iter()
        .any(|p| stored.intersection(p).count() * 2 > stored.len() && !stored.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn precision_recall_f1_and_fpr() {
        // (tp, fp, fn, tn) → (precision, recall, f1, fpr)
        let check = |counts: (u64, u64, u64, u64), expect: (f64, f64, f64, f64)| {
            let c = Confusion {
                true_positives: counts.0,
                false_positives: counts.1,
                false_negatives: counts.2,
                true_negatives: counts.3,
            };
            let got = (c.precision(), c.recall(), c.f1(), c.false_positive_rate());
            assert!(
                close(got.0, expect.0)
                    && close(got.1, expect.1)
                    && close(got.2, expect.2)
                    && close(got.3, expect.3),
                "{counts:?}: got {got:?}, expected {expect:?}"
            );
        };
        check((8, 2, 2, 88), (0.8, 0.8, 0.8, 2.0 / 90.0));
        check(
            (3, 1, 6, 90),
            (
                0.75,
                1.0 / 3.0,
                2.0 * 0.75 * (1.0 / 3.0) / (0.75 + 1.0 / 3.0),
                1.0 / 91.0,
            ),
        );
        // Nothing flagged: no false alarm (precision 1), nothing found (recall 0, F1 0).
        check((0, 0, 5, 95), (1.0, 0.0, 0.0, 0.0));
        // Everything flagged.
        check((5, 95, 0, 0), (0.05, 1.0, 2.0 * 0.05 / 1.05, 1.0));
        // No operators at all.
        check((0, 3, 0, 97), (0.0, 0.0, 0.0, 0.03));
    }

    #[test]
    fn confusion_counts_pairs() {
        let c = Confusion::count([
            (true, true),
            (true, false),
            (false, true),
            (false, false),
            (false, false),
        ]);
        assert_eq!(
            (
                c.true_positives,
                c.false_negatives,
                c.false_positives,
                c.true_negatives
            ),
            (1, 1, 1, 2)
        );
    }

    #[test]
    fn pr_curve_groups_ties_and_sweeps_down() {
        let scores = [
            (0.9, true),
            (0.8, false),
            (0.8, true),
            (0.5, true),
            (0.1, false),
            (0.1, false),
        ];
        let curve = pr_curve(&scores);
        let got: Vec<(f64, u64, u64)> = curve
            .iter()
            .map(|p| (p.threshold, p.true_positives, p.false_positives))
            .collect();
        assert_eq!(
            got,
            vec![(0.9, 1, 0), (0.8, 2, 1), (0.5, 3, 1), (0.1, 3, 3)]
        );
        assert!(close(curve[1].precision, 2.0 / 3.0));
        assert!(close(curve[1].recall, 2.0 / 3.0));
        // AP = 1/3·1 + 1/3·2/3 + 1/3·3/4
        assert!(close(
            average_precision(&curve),
            (1.0 + 2.0 / 3.0 + 0.75) / 3.0
        ));
    }

    #[test]
    fn perfect_ranking_has_average_precision_one() {
        let scores = [(0.99, true), (0.98, true), (0.2, false), (0.1, false)];
        assert!(close(average_precision(&pr_curve(&scores)), 1.0));
        assert!(pr_curve(&[]).is_empty());
    }

    #[test]
    fn thinning_keeps_ends_and_recall_steps() {
        let scores: Vec<(f64, bool)> = (0..1000)
            .map(|i| (1.0 - i as f64 / 1000.0, i % 100 == 0))
            .collect();
        let curve = pr_curve(&scores);
        let thin = thin(&curve, 50);
        assert!(thin.len() <= 50);
        assert_eq!(thin.first(), curve.first());
        assert_eq!(thin.last(), curve.last());
        let steps = curve
            .windows(2)
            .filter(|w| w[1].recall > w[0].recall)
            .count();
        let kept_steps = thin
            .windows(2)
            .filter(|w| w[1].recall > w[0].recall)
            .count();
        assert_eq!(steps, 9);
        assert!(kept_steps >= 9);
        assert!(thin.windows(2).all(|w| w[0].threshold > w[1].threshold));
    }

    #[test]
    fn rings_are_found_by_majority() {
        let v = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let planted = vec![
            v(&["a", "b", "c"]),
            v(&["d", "e"]),
            v(&["f", "g", "h", "i"]),
        ];
        // covers 2 of 3 (found); covers 1 of 2 (not found); covers 3 of 4 with 2 strays (found, correct
        // since 3 of 5 are from one ring); a ring of strangers (wrong).
        let stored = vec![
            v(&["a", "b"]),
            v(&["d", "x"]),
            v(&["f", "g", "h", "y", "z"]),
            v(&["p", "q"]),
        ];
        let m = match_rings(&planted, &stored);
        assert_eq!(m.found_planted, vec![0, 2]);
        assert_eq!((m.found, m.correct, m.planted, m.stored), (2, 2, 3, 4));
        assert_eq!(m.wrong_stored, vec![1, 3]);
        assert!(close(m.recall, 2.0 / 3.0));
        assert_eq!(m.precision, Some(0.5));

        let none = match_rings(&planted, &[]);
        assert_eq!((none.found, none.recall, none.precision), (0, 0.0, None));
    }
}
