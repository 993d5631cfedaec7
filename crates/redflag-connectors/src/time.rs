//! Timestamps: every stored time is UTC, with the offset the source wrote kept beside it. A time written
//! without a zone is refused: guessing the zone would shift every activity-hour fact.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};

/// Parses an RFC 3339 / ISO 8601 timestamp that carries a zone (`Z` or `±hh:mm`), with `T` or a space
/// between date and time and any number of fractional digits. Returns the UTC time and the offset in
/// seconds the source wrote.
pub fn parse_zoned(input: &str) -> Result<(DateTime<Utc>, i32), String> {
    let text = input.trim();
    match fast_rfc3339(text.as_bytes()) {
        Some(parsed) => Ok(parsed),
        None => parse_zoned_chrono(text),
    }
}

/// The fixed-width RFC 3339 form every log source writes (`2024-08-13T15:58:20.353Z`,
/// `2024-05-01 10:00:00+09:00`), checked by hand: four-digit year, `T` or a space, seconds 00-59, a
/// fraction of 1-9 digits, then `Z` or `±hh:mm`. `None` for anything else — other layouts, leap
/// seconds, longer fractions, impossible dates — which then go through chrono, so what is accepted and
/// every error message stay as they were.
fn fast_rfc3339(b: &[u8]) -> Option<(DateTime<Utc>, i32)> {
    fn digits(b: &[u8], from: usize, n: usize) -> Option<u32> {
        let mut v = 0u32;
        for &c in b.get(from..from + n)? {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    }
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let (month, day) = (digits(b, 5, 2)?, digits(b, 8, 2)?);
    let (hour, minute, second) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if year == 0 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0u32;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let n = i - start;
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(b, start, n)? * 10u32.pow(9 - n as u32);
    }
    let offset = match &b[i..] {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (digits(b, i + 1, 2)?, digits(b, i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = (h * 3600 + m * 60) as i32;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let local = NaiveDate::from_ymd_opt(year as i32, month, day)?
        .and_hms_nano_opt(hour, minute, second, nanos)?;
    let utc = local.checked_sub_signed(chrono::TimeDelta::seconds(i64::from(offset)))?;
    Some((Utc.from_utc_datetime(&utc), offset))
}

/// [`parse_zoned`] through chrono alone: every layout it accepts, and the errors.
fn parse_zoned_chrono(text: &str) -> Result<(DateTime<Utc>, i32), String> {
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

/// The zone a column mapping declares for times written without one (`UTC`, `+05:30`, `Europe/Rome`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DeclaredZone {
    /// A fixed offset from UTC.
    Fixed(FixedOffset),
    /// An IANA zone (its offset at each instant, daylight saving included).
    Named(chrono_tz::Tz),
}

impl DeclaredZone {
    /// Parses `UTC`/`Z`, a fixed offset (`+02:00`, `-0500`) or an IANA zone name.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("utc") || t == "Z" || t.eq_ignore_ascii_case("gmt") {
            return Ok(DeclaredZone::Fixed(
                FixedOffset::east_opt(0).unwrap_or(Utc.fix()),
            ));
        }
        if let Some(sign) = t.chars().next().filter(|c| *c == '+' || *c == '-') {
            let digits: String = t[1..].chars().filter(|c| c.is_ascii_digit()).collect();
            let (h, m) = match digits.len() {
                1 | 2 => (digits.parse::<i32>().ok(), Some(0)),
                4 => (
                    digits[..2].parse::<i32>().ok(),
                    digits[2..].parse::<i32>().ok(),
                ),
                _ => (None, None),
            };
            let seconds = h
                .zip(m)
                .filter(|(h, m)| *h <= 18 && *m < 60)
                .map(|(h, m)| h * 3600 + m * 60);
            let seconds =
                seconds.ok_or_else(|| format!("{text:?} is not a UTC offset such as +02:00"))?;
            let seconds = if sign == '-' { -seconds } else { seconds };
            return FixedOffset::east_opt(seconds)
                .map(DeclaredZone::Fixed)
                .ok_or_else(|| format!("{text:?} is out of range"));
        }
        t.parse::<chrono_tz::Tz>()
            .map(DeclaredZone::Named)
            .map_err(|_| {
                format!("{text:?} is not UTC, an offset such as +02:00, or an IANA time zone")
            })
    }

    fn resolve(&self, local: NaiveDateTime) -> Option<(DateTime<Utc>, i32)> {
        match self {
            DeclaredZone::Fixed(offset) => offset
                .from_local_datetime(&local)
                .earliest()
                .map(|t| (t.with_timezone(&Utc), offset.local_minus_utc())),
            DeclaredZone::Named(tz) => tz
                .from_local_datetime(&local)
                .earliest()
                .map(|t| (t.with_timezone(&Utc), t.offset().fix().local_minus_utc())),
        }
    }
}

/// Parses a timestamp: one with a zone as [`parse_zoned`] does; one without a zone (or a bare date,
/// read as local midnight) only when the column mapping declares `zone`, otherwise it is refused.
pub fn parse_with_zone(
    input: &str,
    zone: Option<&DeclaredZone>,
) -> Result<(DateTime<Utc>, i32), String> {
    let text = input.trim();
    let zoned = parse_zoned(text);
    if zoned.is_ok() {
        return zoned;
    }
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .ok()
        .map(|t| (t, false))
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| (t, true))
        });
    match (local, zone) {
        (Some((local, _)), Some(zone)) => zone
            .resolve(local)
            .ok_or_else(|| format!("{text:?} does not exist in the declared time zone")),
        (Some((_, true)), None) => Err(format!(
            "date {text:?} has no time zone (declare `timezone:` in the column mapping, e.g. UTC)"
        )),
        (Some((_, false)), None) => Err(format!(
            "timestamp {text:?} has no time zone (expected RFC 3339 with Z or an offset such as +02:00, or declare `timezone:` in the column mapping)"
        )),
        (None, _) => zoned,
    }
}

thread_local! {
    /// The last day [`from_unix`] turned into a date (days since 1970-01-01, the date): a log's
    /// times fall on a few days, and the calendar arithmetic is most of the conversion.
    static LAST_DAY: std::cell::Cell<Option<(i64, NaiveDate)>> = const { std::cell::Cell::new(None) };
}

/// A UTC time from Unix seconds (a zone-free but unambiguous instant).
pub fn from_unix(seconds: i64) -> Result<(DateTime<Utc>, i32), String> {
    let out_of_range = || format!("Unix time {seconds} is out of range");
    let (day, second) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let date = match LAST_DAY.with(std::cell::Cell::get) {
        Some((last, date)) if last == day => date,
        _ => {
            // what `DateTime::from_timestamp` does, the date kept for the next call
            let date = i32::try_from(day)
                .ok()
                .and_then(|d| d.checked_add(719_163))
                .and_then(NaiveDate::from_num_days_from_ce_opt)
                .ok_or_else(out_of_range)?;
            LAST_DAY.with(|c| c.set(Some((day, date))));
            date
        }
    };
    let time = u32::try_from(second)
        .ok()
        .and_then(|s| chrono::NaiveTime::from_num_seconds_from_midnight_opt(s, 0))
        .ok_or_else(out_of_range)?;
    Ok((date.and_time(time).and_utc(), 0))
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
    use chrono::Datelike;

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

    /// The hand-checked path gives exactly what chrono gives (value, offset, or the same error).
    fn same_as_chrono(input: &str) {
        let text = input.trim();
        assert_eq!(parse_zoned(input), parse_zoned_chrono(text), "{input}");
        if let Some(fast) = fast_rfc3339(text.as_bytes()) {
            assert_eq!(Ok(fast), parse_zoned_chrono(text), "{input}");
        }
    }

    #[test]
    fn fast_path_agrees_with_chrono_on_edge_cases() {
        let fast = |t: &str| fast_rfc3339(t.as_bytes()).is_some();
        for t in [
            "2024-02-29T23:59:59Z", // leap year
            "2000-02-29T00:00:00Z", // divisible by 400
            "2024-12-31T23:59:59.999999999Z",
            "2024-01-01T00:30:00+01:00", // offset crosses the year back
            "2023-12-31T23:30:00-01:00", // and forward
            "2024-05-01 10:00:00-05:00",
            "2024-05-01T10:00:00+14:00",
            "2024-05-01T10:00:00-12:00",
            "2024-05-01T10:00:00-00:00",
            "0001-01-01T00:00:00+00:00",
            "9999-12-31T23:59:59Z",
        ] {
            assert!(fast(t), "{t}");
            same_as_chrono(t);
        }
        for digits in 1..=9 {
            let t = format!("2024-08-13T15:58:20.{}Z", &"123456789"[..digits]);
            assert!(fast(&t), "{t}");
            same_as_chrono(&t);
            same_as_chrono(&format!(
                "2024-08-13T15:58:20.{}+05:30",
                &"987654321"[..digits]
            ));
        }
        // left to chrono: refused the same way as before, or accepted by chrono's wider grammar
        for t in [
            "2023-02-29T10:00:00Z", // not a leap year
            "1900-02-29T10:00:00Z", // divisible by 100, not 400
            "2024-04-31T10:00:00Z",
            "2024-13-01T10:00:00Z",
            "2024-00-10T10:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T10:60:00Z",
            "2024-06-30T23:59:60Z", // leap second
            "2024-05-01T10:00:00.Z",
            "2024-05-01T10:00:00.1234567891Z", // ten fraction digits
            "2024-05-01T10:00:00+24:00",
            "2024-05-01T10:00:00+05:60",
            "2024-05-01T10:00:00+0530",
            "2024-05-01T10:00:00+05",
            "2024-05-01t10:00:00z",
            "2024-05-01T10:00:00",
            "2024-05-01T10:00:00ZZ",
            "2024-5-01T10:00:00Z",
            "+2024-05-01T10:00:00Z",
            "2024-05-01T10:00:00Z ",
            " 2024-05-01T10:00:00Z",
            "２０２４-05-01T10:00:00Z",
            "",
        ] {
            assert!(!fast(t), "{t}");
            same_as_chrono(t);
        }
        // every day of four years, at offsets either side
        let mut day = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
        while day.year() < 2027 {
            for zone in ["Z", "+09:30", "-07:00"] {
                same_as_chrono(&format!("{}T23:45:06.7{zone}", day.format("%Y-%m-%d")));
            }
            day = day.succ_opt().unwrap();
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
        let utc = DeclaredZone::parse("UTC").unwrap();
        let rome = DeclaredZone::parse("Europe/Rome").unwrap();
        let ist = DeclaredZone::parse("+05:30").unwrap();
        let z = |text: &str, zone: Option<&DeclaredZone>| {
            parse_with_zone(text, zone).map(|(t, o)| (t.to_rfc3339(), o))
        };
        assert_eq!(
            z("2024-03-05", Some(&utc)),
            Ok(("2024-03-05T00:00:00+00:00".into(), 0))
        );
        assert_eq!(
            z("2024-07-05 09:30", Some(&rome)),
            Ok(("2024-07-05T07:30:00+00:00".into(), 7200))
        );
        assert_eq!(
            z("2024-01-05T09:30:00", Some(&ist)),
            Ok(("2024-01-05T04:00:00+00:00".into(), 19800))
        );
        // a written zone wins over the declared one
        assert_eq!(
            z("2024-01-05T09:30:00Z", Some(&ist)),
            Ok(("2024-01-05T09:30:00+00:00".into(), 0))
        );
        assert!(
            z("2024-03-05", None)
                .unwrap_err()
                .contains("declare `timezone:`")
        );
        assert!(
            z("2024-03-05T10:00:00", None)
                .unwrap_err()
                .contains("no time zone")
        );
        assert!(
            z("05/03/2024", Some(&utc))
                .unwrap_err()
                .contains("not RFC 3339")
        );
        assert!(DeclaredZone::parse("Mars/Olympus").is_err());
        assert!(DeclaredZone::parse("+25:00").is_err());
        assert_eq!(
            from_unix(1_412_123_850).unwrap().0.to_rfc3339(),
            "2014-10-01T00:37:30+00:00"
        );
    }

    /// `from_unix` (which keeps the last day's date) gives what chrono's `from_timestamp` gives, or
    /// fails where it fails, in any order of calls: around the epoch, day boundaries, negative times
    /// and both ends of chrono's range.
    #[test]
    fn from_unix_is_chronos_timestamp() {
        let edge = [
            0,
            -1,
            1,
            86_399,
            86_400,
            -86_400,
            -86_401,
            1_713_258_721,
            253_402_300_799,
            i64::MAX,
            i64::MIN,
            i64::MAX / 86_400 * 86_400,
            DateTime::<Utc>::MAX_UTC.timestamp(),
            DateTime::<Utc>::MAX_UTC.timestamp() + 1,
            DateTime::<Utc>::MIN_UTC.timestamp(),
            DateTime::<Utc>::MIN_UTC.timestamp() - 1,
            DateTime::<Utc>::MIN_UTC.timestamp() - 86_400,
        ];
        let mut seconds: Vec<i64> = edge.to_vec();
        // runs on one day, then alternating days, then random-ish instants
        seconds.extend((0..200).map(|i| 1_700_000_000 + i * 37));
        seconds.extend((0..200).map(|i| 1_700_000_000 + (i % 2) * 86_400 + i));
        let mut x: i64 = 0x1234_5678;
        for _ in 0..2000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            seconds.push(x >> (x as u64 % 40));
            seconds.push(x);
        }
        seconds.extend(edge);
        for s in seconds {
            let want = DateTime::<Utc>::from_timestamp(s, 0);
            match (from_unix(s), want) {
                (Ok((got, 0)), Some(want)) => assert_eq!(got, want, "{s}"),
                (Err(e), None) => assert!(e.contains("out of range"), "{s}: {e}"),
                (got, want) => panic!("{s}: got {got:?}, want {want:?}"),
            }
        }
    }
}
