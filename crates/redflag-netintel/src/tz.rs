//! Activity-hours time-zone inference.
//!
//! People work in the day of the zone they live in. Given the UTC hours of someone's sign-ins and work
//! events, each candidate offset (UTC−12 … UTC+14) maps the 24-hour histogram onto local hours, and a
//! template of an office day scores it: the mean log-probability of the events under the template.
//! The offsets within a small margin of the best score are the answer (neighbouring offsets often fit
//! almost equally: a 00:00–09:00 UTC day fits UTC+8 and UTC+9). The confidence combines how much better
//! the best offset explains the data than round-the-clock activity would, with how many events there are.
//!
//! The inference cannot tell a Pyongyang day from a Seattle night shift: both are the same hours. Rules
//! therefore read it next to a declared shift (`tz.declared_night_shift`) and other evidence.

use chrono::{DateTime, Timelike, Utc};
use serde::Serialize;

/// Relative activity by local hour for an ordinary working day (lunch dip, some evening work, little at
/// night). Only the shape matters; it is normalised below.
const TEMPLATE: [f64; 24] = [
    0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.2, 0.6, 1.0, 1.0, 1.0, 0.8, 1.0, 1.0, 1.0, 1.0,
    0.8, 0.5, 0.3, 0.25, 0.2, 0.12, 0.05,
];

/// Offsets tried, in whole hours.
pub const OFFSETS: std::ops::RangeInclusive<i32> = -12..=14;

/// Offsets scoring within this many nats per event of the best are reported with it.
const TIE_MARGIN: f64 = 0.05;

/// The result of an inference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TzInference {
    /// Events counted per UTC hour.
    pub histogram: [u32; 24],
    /// Number of events.
    pub events: usize,
    /// The best-fitting offsets, best first (whole hours).
    pub best_offsets: Vec<i32>,
    /// 0–1: how clearly the activity follows a working day, scaled by the number of events.
    pub confidence: f64,
}

fn log_template() -> [f64; 24] {
    let total: f64 = TEMPLATE.iter().sum();
    let mut out = [0.0; 24];
    for (o, t) in out.iter_mut().zip(TEMPLATE) {
        *o = (t / total).ln();
    }
    out
}

/// Infers UTC offsets from event times; `None` with fewer than `min_events` events.
pub fn infer(
    times: impl IntoIterator<Item = DateTime<Utc>>,
    min_events: usize,
) -> Option<TzInference> {
    let mut histogram = [0u32; 24];
    for t in times {
        histogram[t.hour() as usize] += 1;
    }
    let events: usize = histogram.iter().map(|c| *c as usize).sum();
    if events == 0 || events < min_events {
        return None;
    }
    let log_t = log_template();
    let n = events as f64;
    let score = |offset: i32| -> f64 {
        let mut s = 0.0;
        for (h, count) in histogram.iter().enumerate() {
            let local = (h as i32 + offset).rem_euclid(24) as usize;
            s += f64::from(*count) * log_t[local];
        }
        s / n
    };
    let mut scored: Vec<(i32, f64)> = OFFSETS.map(|o| (o, score(o))).collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.abs().cmp(&b.0.abs())));
    let best = scored[0].1;
    // UTC+14 and UTC−10 are the same local hours: report each hour-of-day once.
    let mut best_offsets: Vec<i32> = Vec::new();
    for (o, s) in &scored {
        if best - s > TIE_MARGIN || best_offsets.len() == 3 {
            break;
        }
        if !best_offsets.iter().any(|b| (b - o).rem_euclid(24) == 0) {
            best_offsets.push(*o);
        }
    }
    let uniform: f64 = log_t.iter().sum::<f64>() / 24.0;
    let total: f64 = TEMPLATE.iter().sum();
    let ideal: f64 = TEMPLATE.iter().zip(log_t).map(|(t, l)| t / total * l).sum();
    let fit = ((best - uniform) / (ideal - uniform)).clamp(0.0, 1.0);
    let size = 1.0 - (-n / 20.0).exp();
    Some(TzInference {
        histogram,
        events,
        best_offsets,
        confidence: fit * size,
    })
}

/// The shortest distance in hours between two offsets around the clock.
pub fn circular_hours(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(24.0);
    d.min(24.0 - d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    /// Events every 20 minutes from `start` to `end` UTC hour (exclusive), on weekdays of two weeks.
    fn day(start: u32, end: u32) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        for d in 0..10 {
            let base = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + Duration::days(d);
            let mut h = start;
            while h != end {
                for m in [0, 20, 40] {
                    out.push(base + Duration::hours(i64::from(h)) + Duration::minutes(m));
                }
                h = (h + 1) % 24;
            }
        }
        out
    }

    fn check(times: Vec<DateTime<Utc>>, expect_contains: i32, min_conf: f64) {
        let inf = infer(times, 10).unwrap();
        assert!(
            inf.best_offsets.contains(&expect_contains),
            "expected {expect_contains} in {:?}",
            inf.best_offsets
        );
        assert!(inf.confidence >= min_conf, "confidence {}", inf.confidence);
    }

    #[test]
    fn a_day_from_midnight_to_nine_utc_fits_korea_and_china() {
        let inf = infer(day(0, 9), 10).unwrap();
        assert!(inf.best_offsets.contains(&9), "{:?}", inf.best_offsets);
        assert!(inf.best_offsets.contains(&8), "{:?}", inf.best_offsets);
        assert!(inf.best_offsets.iter().all(|o| (7..=10).contains(o)));
        assert!(inf.confidence > 0.8, "{}", inf.confidence);
    }

    #[test]
    fn pacific_and_european_days() {
        // 09:00-18:00 in Seattle (UTC-8 in winter) is 17:00-02:00 UTC.
        check(day(17, 2), -8, 0.8);
        // 09:00-18:00 in Berlin (UTC+1) is 08:00-17:00 UTC.
        check(day(8, 17), 1, 0.8);
    }

    #[test]
    fn round_the_clock_activity_has_no_confidence() {
        let inf = infer(day(0, 0).into_iter().chain(day(0, 23)), 10);
        // day(0,0) is empty by construction; day(0, 23) covers 23 hours.
        let inf = inf.unwrap();
        assert!(inf.confidence < 0.3, "{}", inf.confidence);
    }

    #[test]
    fn too_few_events_give_nothing() {
        assert!(infer(day(9, 10).into_iter().take(5), 10).is_none());
        let few = infer(day(9, 10).into_iter().take(12), 10).unwrap();
        assert!(few.confidence < 0.5, "{}", few.confidence);
    }

    #[test]
    fn circular_distance() {
        assert_eq!(circular_hours(-8.0, 9.0), 7.0);
        assert_eq!(circular_hours(9.0, -8.0), 7.0);
        assert_eq!(circular_hours(1.0, 1.0), 0.0);
        assert_eq!(circular_hours(-12.0, 12.0), 0.0);
    }
}
