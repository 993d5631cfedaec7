//! Timestamps: every stored time is UTC, with the offset the source wrote kept beside it. A time written
//! without a zone is refused: guessing the zone would shift every activity-hour fact.

use chrono::{DateTime, FixedOffset, Utc};

/// Parses an RFC 3339 / ISO 8601 timestamp that carries a zone (`Z` or `±hh:mm`), with `T` or a space
/// between date and time and any number of fractional digits. Returns the UTC time and the offset in
/// seconds the source wrote.
pub fn parse_zoned(input: &str) -> Result<(DateTime<Utc>, i32), String> {
    let text = input.trim();
    let parsed = DateTime::<FixedOffset>::parse_from_rfc3339(text).or_else(|first| {
        // `2024-05-01 10:00:00+02:00` and `+0200` forms
        DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z")
            .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
            .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%z"))
            .map_err(|_| first)
    });
    match parsed {
        Ok(t) => Ok((t.with_timezone(&Utc), t.offset().local_minus_utc())),
        Err(_) if has_no_zone(text) => Err(format!(
            "timestamp {text:?} has no time zone (expected RFC 3339 with Z or an offset such as +02:00)"
        )),
        Err(e) => Err(format!("timestamp {text:?} is not RFC 3339: {e}")),
    }
}

fn has_no_zone(text: &str) -> bool {
    let time_part = text.split(['T', ' ']).nth(1).unwrap_or("");
    !time_part.is_empty()
        && !time_part.ends_with(['Z', 'z'])
        && !time_part.contains('+')
        && !time_part.contains('-')
}

/// A UTC time from Unix seconds (a zone-free but unambiguous instant).
pub fn from_unix(seconds: i64) -> Result<(DateTime<Utc>, i32), String> {
    DateTime::<Utc>::from_timestamp(seconds, 0)
        .map(|t| (t, 0))
        .ok_or_else(|| format!("Unix time {seconds} is out of range"))
}

/// A UTC time from Unix milliseconds.
pub fn from_unix_millis(millis: i64) -> Result<(DateTime<Utc>, i32), String> {
    DateTime::<Utc>::from_timestamp_millis(millis)
        .map(|t| (t, 0))
        .ok_or_else(|| format!("Unix time {millis} ms is out of range"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<(&str, i32), &str>) {
        match (parse_zoned(input), expect) {
            (Ok((t, off)), Ok((want, want_off))) => {
                assert_eq!(t.to_rfc3339(), want, "{input}");
                assert_eq!(off, want_off, "{input}");
            }
            (Err(e), Err(want)) => assert!(e.contains(want), "{input}: {e}"),
            (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn zoned_forms_and_refusals() {
        check(
            "2024-08-13T15:58:20.353Z",
            Ok(("2024-08-13T15:58:20.353+00:00", 0)),
        );
        check(
            "2020-03-13T19:15:41.6195833Z",
            Ok(("2020-03-13T19:15:41.619583300+00:00", 0)),
        );
        check(
            "2024-05-01T10:00:00+09:00",
            Ok(("2024-05-01T01:00:00+00:00", 9 * 3600)),
        );
        check(
            "2024-05-01 10:00:00-05:00",
            Ok(("2024-05-01T15:00:00+00:00", -5 * 3600)),
        );
        check(
            "2024-05-01T10:00:00+0530",
            Ok(("2024-05-01T04:30:00+00:00", 19800)),
        );
        check("2024-05-01T10:00:00", Err("has no time zone"));
        check("2024-05-01 10:00", Err("has no time zone"));
        check("yesterday", Err("not RFC 3339"));
        assert_eq!(
            from_unix(1_412_123_850).unwrap().0.to_rfc3339(),
            "2014-10-01T00:37:30+00:00"
        );
    }
}
