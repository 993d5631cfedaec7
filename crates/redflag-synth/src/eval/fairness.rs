//! The fairness table: the false-positive rate among innocents, by name origin and by claimed
//! nationality, held against a tolerance around the overall rate.
//!
//! **Tolerance.** A group with at least [`Tolerance::min_group`] innocents (default 100) violates it when
//! its false-positive rate exceeds `max(ratio × overall, overall + points)` (default
//! `max(2 × overall, overall + 2 percentage points)`). The ratio term bounds relative harm when the
//! overall rate is large; the additive term keeps a near-zero overall rate from turning one or two
//! unlucky false positives in a group into a violation. Smaller groups are listed but not judged: a
//! rate on a few dozen people is noise.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The documented tolerance of the fairness table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    /// A group may reach this multiple of the overall rate.
    pub ratio: f64,
    /// … or the overall rate plus this many (as a fraction: 0.02 is 2 points), whichever is larger.
    pub points: f64,
    /// Groups with fewer innocents are listed but not judged.
    pub min_group: u64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Self {
            ratio: 2.0,
            points: 0.02,
            min_group: 100,
        }
    }
}

impl Tolerance {
    /// The highest false-positive rate a judged group may have.
    pub fn limit(&self, overall: f64) -> f64 {
        (self.ratio * overall).max(overall + self.points)
    }

    /// One line a report can print.
    pub fn describe(&self) -> String {
        format!(
            "a group of at least {} innocents violates the tolerance when its false-positive rate exceeds max({} × overall, overall + {} points)",
            self.min_group,
            self.ratio,
            self.points * 100.0
        )
    }
}

/// One innocent subject as the fairness table sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InnocentOutcome<'a> {
    /// The subject's name origin.
    pub name_origin: &'a str,
    /// The subject's claimed nationality (empty: none claimed).
    pub nationality: &'a str,
    /// Whether the subject was flagged.
    pub flagged: bool,
}

/// One group of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessRow {
    /// `name_origin` or `nationality`.
    pub dimension: String,
    /// The group (`korean`, `KR`, `(none)`, …).
    pub group: String,
    /// Innocents in the group.
    pub innocents: u64,
    /// Innocents flagged.
    pub false_positives: u64,
    /// `false_positives / innocents`.
    pub rate: f64,
    /// Whether the group is large enough to be judged.
    pub judged: bool,
    /// Whether it exceeds the limit (only judged groups can).
    pub violation: bool,
}

/// The whole table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessTable {
    /// The tolerance applied.
    pub tolerance: Tolerance,
    /// Innocents in the world.
    pub innocents: u64,
    /// Innocents flagged.
    pub false_positives: u64,
    /// The overall false-positive rate.
    pub overall_rate: f64,
    /// The highest rate a judged group may have.
    pub limit: f64,
    /// Groups, name origins first then nationalities, each by descending rate.
    pub rows: Vec<FairnessRow>,
    /// How many judged groups exceed the limit.
    pub violations: usize,
}

/// Builds the fairness table over innocents only.
pub fn fairness_table<'a>(
    innocents: impl IntoIterator<Item = InnocentOutcome<'a>>,
    tolerance: Tolerance,
) -> FairnessTable {
    let mut by_origin: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut by_nationality: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let (mut total, mut flagged) = (0u64, 0u64);
    for outcome in innocents {
        total += 1;
        flagged += u64::from(outcome.flagged);
        let nationality = if outcome.nationality.is_empty() {
            "(none)"
        } else {
            outcome.nationality
        };
        for (map, key) in [
            (&mut by_origin, outcome.name_origin),
            (&mut by_nationality, nationality),
        ] {
            let entry = map.entry(key).or_default();
            entry.0 += 1;
            entry.1 += u64::from(outcome.flagged);
        }
    }
    let overall = if total == 0 {
        0.0
    } else {
        flagged as f64 / total as f64
    };
    let limit = tolerance.limit(overall);
    let mut rows = Vec::new();
    for (dimension, map) in [("name_origin", by_origin), ("nationality", by_nationality)] {
        let mut group_rows: Vec<FairnessRow> = map
            .into_iter()
            .map(|(group, (n, fp))| {
                let rate = fp as f64 / n as f64;
                let judged = n >= tolerance.min_group;
                FairnessRow {
                    dimension: dimension.to_string(),
                    group: group.to_string(),
                    innocents: n,
                    false_positives: fp,
                    rate,
                    judged,
                    violation: judged && rate > limit,
                }
            })
            .collect();
        group_rows.sort_by(|a, b| {
            b.rate
                .total_cmp(&a.rate)
                .then_with(|| b.innocents.cmp(&a.innocents))
                .then_with(|| a.group.cmp(&b.group))
        });
        rows.extend(group_rows);
    }
    let violations = rows.iter().filter(|r| r.violation).count();
    FairnessTable {
        tolerance,
        innocents: total,
        false_positives: flagged,
        overall_rate: overall,
        limit,
        rows,
        violations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_the_larger_of_ratio_and_points() {
        let check = |overall: f64, expect: f64| {
            let got = Tolerance::default().limit(overall);
            assert!((got - expect).abs() < 1e-12, "{overall}: {got} vs {expect}");
        };
        check(0.0, 0.02);
        check(0.005, 0.025);
        check(0.02, 0.04);
        check(0.05, 0.10);
    }

    /// `groups`: (origin, nationality, innocents, flagged) → expected violating groups.
    fn check(groups: &[(&str, &str, u64, u64)], expect: &[&str]) {
        let mut outcomes = Vec::new();
        for &(origin, nationality, n, fp) in groups {
            for i in 0..n {
                outcomes.push(InnocentOutcome {
                    name_origin: origin,
                    nationality,
                    flagged: i < fp,
                });
            }
        }
        let table = fairness_table(outcomes, Tolerance::default());
        let got: Vec<String> = table
            .rows
            .iter()
            .filter(|r| r.violation)
            .map(|r| format!("{}={}", r.dimension, r.group))
            .collect();
        assert_eq!(got, expect, "{groups:?}");
        assert_eq!(table.violations, expect.len());
    }

    #[test]
    fn violations_follow_the_tolerance() {
        // 1000 innocents, 10 flagged overall (1%): limit 3%.
        check(&[("us", "US", 800, 6), ("korean", "KR", 200, 4)], &[]);
        // korean 8/200 = 4% > 3% (overall 14/1000 = 1.4%, limit 3.4%).
        check(
            &[("us", "US", 800, 6), ("korean", "KR", 200, 8)],
            &["name_origin=korean", "nationality=KR"],
        );
        // A small group is never judged, however high its rate.
        check(&[("us", "US", 950, 5), ("korean", "KR", 50, 10)], &[]);
        // Nationality and origin are judged separately: Korean-named US nationals.
        check(
            &[
                ("us", "US", 700, 0),
                ("korean", "US", 150, 9),
                ("korean", "", 150, 0),
            ],
            &["name_origin=korean"],
        );
        // Nobody flagged: no violation.
        check(&[("us", "US", 500, 0), ("chinese", "CN", 500, 0)], &[]);
    }

    #[test]
    fn empty_nationality_is_its_own_group() {
        let table = fairness_table(
            [InnocentOutcome {
                name_origin: "us",
                nationality: "",
                flagged: true,
            }],
            Tolerance::default(),
        );
        assert!(
            table
                .rows
                .iter()
                .any(|r| r.group == "(none)" && r.false_positives == 1)
        );
        assert_eq!(table.overall_rate, 1.0);
    }
}
