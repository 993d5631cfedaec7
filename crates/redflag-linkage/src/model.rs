//! Fellegi–Sunter parameters: u probabilities from random pairs, m probabilities and the prior by EM over
//! the candidate pairs' comparison patterns (unsupervised).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::compare::{COMPARISONS, Comparison, Gamma, N_COMP};

/// The fitted model. Saved with a state so that later batches are scored with the same parameters
/// (incremental equals batch under one model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelParams {
    /// Prior probability that two random records match: the EM share of matches among candidate pairs
    /// times candidates over all pairs.
    pub lambda: f64,
    /// Share of candidate pairs that are matches (EM).
    pub lambda_candidates: f64,
    /// m probability per comparison and level (index 0, "null", unused).
    pub m: Vec<Vec<f64>>,
    /// u probability per comparison and level, from random pairs.
    pub u: Vec<Vec<f64>>,
    /// Denominators of term frequencies: records with a value, per comparison, when the model was fitted.
    pub tf_denominator: Vec<f64>,
    /// EM iterations run.
    pub iterations: usize,
}

/// The prior m of each level (before EM): matches mostly agree.
fn prior_m(comp: Comparison) -> Vec<f64> {
    let v: &[f64] = match comp {
        Comparison::GivenName | Comparison::FamilyName => &[0.0, 0.05, 0.05, 0.15, 0.75],
        Comparison::DateOfBirth => &[0.0, 0.05, 0.05, 0.15, 0.75],
        Comparison::Address | Comparison::City => &[0.0, 0.15, 0.15, 0.7],
        Comparison::Postcode | Comparison::IdNumber => &[0.0, 0.1, 0.1, 0.8],
        Comparison::Photo => &[0.0, 0.3, 0.2, 0.5],
        Comparison::Resume => &[0.0, 0.5, 0.2, 0.3],
        Comparison::Egress => &[0.0, 0.5, 0.5],
        _ => &[0.0, 0.3, 0.7],
    };
    v.to_vec()
}

impl ModelParams {
    /// A model from priors alone (used before any data, and in tests).
    pub fn prior() -> Self {
        Self {
            lambda: 0.001,
            lambda_candidates: 0.1,
            m: COMPARISONS.iter().map(|c| prior_m(*c)).collect(),
            u: COMPARISONS
                .iter()
                .map(|c| {
                    let n = c.levels().len();
                    let mut u = vec![0.0; n];
                    // Random pairs mostly disagree.
                    u[1] = 0.9;
                    for l in u.iter_mut().skip(2) {
                        *l = 0.1 / (n - 2) as f64 / 10.0;
                    }
                    u
                })
                .collect(),
            tf_denominator: vec![1.0; N_COMP],
            iterations: 0,
        }
    }

    /// log2(m/u) of a level without term-frequency adjustment.
    pub fn level_bits(&self, comp: Comparison, level: u8) -> f64 {
        if level == 0 {
            return 0.0;
        }
        let c = comp as usize;
        let l = level as usize;
        (self.m[c][l] / self.u[c][l]).log2()
    }

    /// log2 of the prior odds.
    pub fn prior_bits(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }
}

/// The prior u of each level: how often two unrelated records reach it. Used with [`U_PSEUDO`] weight
/// so that a comparison the random sample rarely exercises (photos, wallets) keeps a sane u.
fn prior_u(comp: Comparison) -> Vec<f64> {
    let v: &[f64] = match comp {
        Comparison::GivenName | Comparison::FamilyName => &[0.0, 0.0, 0.01, 0.002, 0.005],
        Comparison::DateOfBirth => &[0.0, 0.0, 0.015, 0.002, 0.0001],
        Comparison::Address | Comparison::City => &[0.0, 0.0, 0.001, 0.0005],
        Comparison::Postcode | Comparison::IdNumber => &[0.0, 0.0, 0.001, 0.0001],
        Comparison::Photo => &[0.0, 0.0, 0.0001, 0.00001],
        Comparison::Resume => &[0.0, 0.0, 0.001, 0.0001],
        Comparison::Egress => &[0.0, 0.9, 0.1],
        _ => &[0.0, 0.0, 0.00001],
    };
    let mut v = v.to_vec();
    if comp != Comparison::Egress {
        v[1] = 1.0 - v.iter().skip(2).sum::<f64>();
    }
    v
}

/// Weight, in pairs, of the prior u against the sampled counts.
const U_PSEUDO: f64 = 10_000.0;

/// u probabilities from level counts of random pairs, smoothed toward [`prior_u`].
pub(crate) fn u_from_counts(counts: &[Vec<u64>]) -> Vec<Vec<f64>> {
    COMPARISONS
        .iter()
        .map(|c| {
            let row = &counts[*c as usize];
            let prior = prior_u(*c);
            let n = c.levels().len();
            let total: f64 = row.iter().skip(1).map(|&x| x as f64).sum::<f64>() + U_PSEUDO;
            let mut u = vec![0.0; n];
            for l in 1..n {
                u[l] = ((row[l] as f64 + U_PSEUDO * prior[l]) / total).max(1e-9);
            }
            u
        })
        .collect()
}

/// EM over comparison patterns with their counts; u held fixed (estimated from random pairs), m and
/// lambda re-estimated, with `pseudo` pairs of the prior m mixed in so that a comparison the data never
/// exercises keeps its prior.
pub(crate) fn em(
    patterns: &HashMap<Gamma, u64>,
    u: &[Vec<f64>],
    iterations: usize,
) -> (f64, Vec<Vec<f64>>, usize) {
    let pseudo = 5.0;
    let mut m: Vec<Vec<f64>> = COMPARISONS.iter().map(|c| prior_m(*c)).collect();
    let mut lambda: f64 = 0.1;
    // In pattern order, not the map's: floating-point sums depend on their order, and two runs over
    // the same pairs must fit the same model to the last bit.
    let mut pats: Vec<(&Gamma, f64)> = patterns.iter().map(|(g, c)| (g, *c as f64)).collect();
    pats.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut done = 0;
    for _ in 0..iterations {
        done += 1;
        let mut sum_p = 0.0;
        let mut total = 0.0;
        let mut acc: Vec<Vec<f64>> = COMPARISONS
            .iter()
            .map(|c| vec![0.0; c.levels().len()])
            .collect();
        for (g, count) in &pats {
            let mut lm = lambda.ln();
            let mut lu = (1.0 - lambda).ln();
            for (c, &level) in g.iter().enumerate() {
                if level == 0 {
                    continue;
                }
                lm += m[c][level as usize].max(1e-12).ln();
                lu += u[c][level as usize].max(1e-12).ln();
            }
            let p = 1.0 / (1.0 + (lu - lm).exp());
            let w = p * count;
            sum_p += w;
            total += count;
            for (c, &level) in g.iter().enumerate() {
                if level != 0 {
                    acc[c][level as usize] += w;
                }
            }
        }
        if total == 0.0 {
            break;
        }
        // As if one more candidate pair were a match (a Beta prior on the share): a small batch
        // whose candidates look like no match at all keeps a prior of one match among them rather
        // than collapsing to none, and a big one is not moved by it.
        let new_lambda = ((sum_p + 1.0) / (total + 1.0)).clamp(1e-6, 0.5);
        let mut delta = (new_lambda - lambda).abs();
        lambda = new_lambda;
        for comp in COMPARISONS {
            let c = comp as usize;
            let prior = prior_m(comp);
            let denom: f64 = acc[c].iter().sum::<f64>() + pseudo;
            for l in 1..prior.len() {
                let v = ((acc[c][l] + pseudo * prior[l]) / denom).clamp(1e-6, 1.0 - 1e-6);
                delta = delta.max((v - m[c][l]).abs());
                m[c][l] = v;
            }
            constrain(comp, &mut m[c], &u[c]);
        }
        if delta < 1e-6 {
            break;
        }
    }
    (lambda, m, done)
}

/// Keeps EM's m sane where the data cannot teach it (few or no true matches among candidates): closer
/// levels never weigh less than farther ones, and a "different" level is at least one bit of evidence
/// against and at most `MAX_DIFFERENT` likely among matches. The share a capped "different" level gives
/// up goes to the agreeing levels (in their proportions, or to the closest level when EM left them
/// none): rescaling the whole vector instead would give it back to "different" whenever EM had pushed
/// the agreeing levels to nothing.
fn constrain(comp: Comparison, m: &mut [f64], u: &[f64]) {
    const MAX_DIFFERENT: f64 = 0.2;
    for l in 2..m.len() {
        let floor = m[l - 1] * u[l] / u[l - 1];
        if m[l] < floor {
            m[l] = floor;
        }
    }
    let total: f64 = m.iter().skip(1).sum();
    if total > 0.0 {
        for v in m.iter_mut().skip(1) {
            *v /= total;
        }
    }
    if comp.levels().get(1) != Some(&"different") || m.len() < 3 {
        return;
    }
    let cap = (u[1] / 2.0).min(MAX_DIFFERENT);
    if m[1] <= cap {
        return;
    }
    let agreeing: f64 = m[2..].iter().sum();
    if agreeing > 0.0 {
        let scale = (1.0 - cap) / agreeing;
        for v in &mut m[2..] {
            *v *= scale;
        }
    } else if let Some(closest) = m.last_mut() {
        *closest = 1.0 - cap;
    }
    m[1] = cap;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn em_separates_two_populations() {
        // 1000 non-matches that disagree on names, 100 matches that agree exactly.
        let mut patterns = HashMap::new();
        let mut non = [0u8; N_COMP];
        non[0] = 1;
        non[1] = 1;
        non[2] = 1;
        let mut mat = [0u8; N_COMP];
        mat[0] = 4;
        mat[1] = 4;
        mat[2] = 4;
        patterns.insert(non, 1000);
        patterns.insert(mat, 100);
        let mut counts: Vec<Vec<u64>> = COMPARISONS
            .iter()
            .map(|c| vec![0; c.levels().len()])
            .collect();
        for row in counts.iter_mut().take(3) {
            row[1] = 9_900;
            row[4] = 100;
        }
        let u = u_from_counts(&counts);
        let (lambda, m, _) = em(&patterns, &u, 50);
        assert!((lambda - 100.0 / 1100.0).abs() < 0.02, "{lambda}");
        // "different" stays evidence against.
        assert!(m[2][1] < u[2][1], "{:?}", m[2]);
        assert!(m[0][4] > 0.9, "{:?}", m[0]);
        // An unexercised comparison keeps its prior.
        assert!(
            m[Comparison::Payout as usize][2] >= 0.7,
            "{:?}",
            m[Comparison::Payout as usize]
        );
    }

    /// A "different" level that EM made nearly certain among matches (a cluster of look-alike strangers
    /// taken for the matches) is brought down to its cap, and what it gives up goes to agreement.
    #[test]
    fn a_capped_different_level_gives_its_share_to_agreement() {
        let comp = Comparison::Address;
        let n = comp.levels().len();
        let mut u = vec![0.0; n];
        u[1] = 0.999;
        for v in &mut u[2..] {
            *v = 0.001 / (n - 2) as f64;
        }
        let mut m = vec![0.0; n];
        m[1] = 0.999_999;
        for v in &mut m[2..] {
            *v = 1e-9;
        }
        constrain(comp, &mut m, &u);
        assert!((m[1] - 0.2).abs() < 1e-12, "{m:?}");
        assert!((m[1..].iter().sum::<f64>() - 1.0).abs() < 1e-9, "{m:?}");
        assert!(m[2..].iter().all(|v| *v > 0.0), "{m:?}");
        for l in 2..n {
            assert!(m[l] / u[l] >= m[l - 1] / u[l - 1] - 1e-9, "{m:?}");
        }
    }

    #[test]
    fn prior_model_rewards_agreement() {
        let p = ModelParams::prior();
        assert!(p.level_bits(Comparison::GivenName, 4) > 0.0);
        assert!(p.level_bits(Comparison::GivenName, 1) < 0.0);
        assert_eq!(p.level_bits(Comparison::GivenName, 0), 0.0);
    }
}
