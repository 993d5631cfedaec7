//! Impossible travel: consecutive located sign-ins whose implied speed exceeds a bound.
//!
//! Two refinements keep it honest. The distance is reduced by both points' accuracy radii, so two
//! country-level guesses for neighbouring places are not "travel". Anonymised sign-ins (VPN, Tor, relay,
//! hosting) are not locations of the person and are skipped: the comparison runs from the last real
//! location to the next, so home → VPN exit abroad → home is no travel at all.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::intel::Location;

/// Great-circle distance in kilometres.
pub fn haversine_km(a: &Location, b: &Location) -> f64 {
    let (p1, p2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dp = p2 - p1;
    let dl = (b.longitude - a.longitude).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.min(1.0).sqrt().asin()
}

/// Bounds of the impossible-travel test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TravelConfig {
    /// Fastest believable travel, km/h (an airliner's ground speed plus margin).
    pub max_speed_kmh: f64,
    /// Shortest distance (after subtracting accuracy radii) that counts as a move at all.
    pub min_distance_km: f64,
}

impl Default for TravelConfig {
    fn default() -> Self {
        Self {
            max_speed_kmh: 1000.0,
            min_distance_km: 500.0,
        }
    }
}

/// One sign-in as the travel test sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// When.
    pub time: DateTime<Utc>,
    /// Where, if the data place it.
    pub location: Option<Location>,
    /// VPN, Tor, relay or hosting: not a location of the person.
    pub anonymised: bool,
}

/// A pair of sign-ins too far apart for the time between them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ImpossibleTrip {
    /// Index (in the input) of the earlier sign-in.
    pub from: usize,
    /// Index of the later one.
    pub to: usize,
    /// Distance after subtracting both accuracy radii, km.
    pub distance_km: f64,
    /// Hours between them.
    pub hours: f64,
    /// Implied speed, km/h.
    pub speed_kmh: f64,
}

/// The impossible trips among `points` (any order).
pub fn impossible_trips(points: &[Point], config: &TravelConfig) -> Vec<ImpossibleTrip> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by_key(|i| points[*i].time);
    let mut trips = Vec::new();
    let mut prev: Option<(usize, Location)> = None;
    for i in order {
        let p = &points[i];
        let Some(here) = p.location.filter(|_| !p.anonymised) else {
            continue;
        };
        if let Some((j, there)) = prev {
            let distance_km =
                (haversine_km(&there, &here) - there.accuracy_km - here.accuracy_km).max(0.0);
            let hours = (p.time - points[j].time).num_seconds() as f64 / 3600.0;
            // Sign-ins in the same minute: treat as one minute apart, not as infinite speed.
            let speed_kmh = distance_km / hours.max(1.0 / 60.0);
            if distance_km >= config.min_distance_km && speed_kmh > config.max_speed_kmh {
                trips.push(ImpossibleTrip {
                    from: j,
                    to: i,
                    distance_km,
                    hours,
                    speed_kmh,
                });
            }
        }
        prev = Some((i, here));
    }
    trips
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn loc(latitude: f64, longitude: f64, accuracy_km: f64) -> Option<Location> {
        Some(Location {
            latitude,
            longitude,
            accuracy_km,
        })
    }

    fn at(hour: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + chrono::Duration::minutes(hour)
    }

    fn check(points: &[Point], expect: usize) {
        let trips = impossible_trips(points, &TravelConfig::default());
        assert_eq!(trips.len(), expect, "{trips:?}");
    }

    const SEATTLE: (f64, f64) = (47.61, -122.33);
    const TOKYO: (f64, f64) = (35.68, 139.69);
    const SHENYANG: (f64, f64) = (41.80, 123.43);

    fn p(minute: i64, place: (f64, f64), acc: f64, anonymised: bool) -> Point {
        Point {
            time: at(minute),
            location: loc(place.0, place.1, acc),
            anonymised,
        }
    }

    #[test]
    fn distances() {
        let d = haversine_km(
            &loc(SEATTLE.0, SEATTLE.1, 0.0).unwrap(),
            &loc(TOKYO.0, TOKYO.1, 0.0).unwrap(),
        );
        assert!((7600.0..7800.0).contains(&d), "{d}");
    }

    #[test]
    fn seattle_then_shenyang_within_an_hour_is_impossible() {
        check(
            &[p(0, SEATTLE, 20.0, false), p(50, SHENYANG, 50.0, false)],
            1,
        );
    }

    #[test]
    fn legitimate_traveller_is_not_flagged() {
        // Seattle, an 11-hour flight, Tokyo: ~690 km/h.
        check(
            &[
                p(0, SEATTLE, 20.0, false),
                p(11 * 60, TOKYO, 20.0, false),
                p(13 * 60, TOKYO, 20.0, false),
            ],
            0,
        );
    }

    #[test]
    fn vpn_user_at_home_is_not_flagged() {
        // Home, a VPN exit in Tokyo ten minutes later, home again.
        check(
            &[
                p(0, SEATTLE, 20.0, false),
                p(10, TOKYO, 20.0, true),
                p(20, SEATTLE, 20.0, false),
            ],
            0,
        );
    }

    #[test]
    fn coarse_neighbours_are_not_travel() {
        // Country-level guesses for neighbours: distance is within the radii.
        check(
            &[
                p(0, (51.1, 10.4), 300.0, false),
                p(5, (46.6, 2.2), 350.0, false),
            ],
            0,
        );
    }

    #[test]
    fn unlocated_points_are_skipped() {
        let mut points = vec![p(0, SEATTLE, 20.0, false), p(30, SHENYANG, 20.0, false)];
        points[1].location = None;
        check(&points, 0);
    }
}
