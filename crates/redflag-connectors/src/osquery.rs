//! osquery scheduled-query results as the filesystem logger (or any log shipper) writes them, one JSON
//! object per line: differential results in event format (`columns` + `action`) or batch format
//! (`diffResults.added` / `.removed`), and snapshot results (`snapshot` + `action: "snapshot"`).
//!
//! Every row becomes one [`EventKind::Endpoint`] observation carrying the host's identifiers
//! (`hostIdentifier`, and the `hostname` / `hardware_serial` decorations when configured). The table is
//! taken from the query name (`pack_inventory_usb_devices` → `usb_devices`) or recognised from the
//! columns. Schema: osquery documentation, "Logging / osquery results".

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::io::Read;

use redflag_model::{
    Columns, DeviceId, DeviceKind, EndpointObservation, Event, EventKind, Identifier,
};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::fastjson::{Bail, Fast, Parser};
use crate::framing::Checkpoint;
use crate::reader::{JsonEventReader, JsonFormat, RecordAt, RecordError, SourceFormat, json_error};
use crate::simd::Preclassified;
use crate::time::{from_unix, parse_zoned};

/// The connector name in provenance.
pub const CONNECTOR: &str = "osquery";

/// The inventory tables the endpoint engine reads.
pub const TABLES: &[&str] = &[
    "programs",
    "processes",
    "usb_devices",
    "listening_ports",
    "apps",
    "deb_packages",
    "rpm_packages",
    "chrome_extensions",
];

/// A column value: osquery writes strings, or numbers with `--logger_numerics`.
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number, boolean or null column value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `unixTime` is a number in current osquery and a string in old versions.
#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
#[serde(untagged)]
enum UnixTime<'a> {
    Number(i64),
    #[serde(borrow)]
    Text(Cow<'a, str>),
}

/// One row's columns, values as text (see [`Scalar`]), deserialised straight into the [`Columns`] the
/// model keeps, so a row is built once.
#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Default)]
struct Row(Columns);

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Row;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // as serde's own map impl says, so rejects read as before
                f.write_str("a map")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut access: A) -> Result<Row, A::Error> {
                let mut row = Columns::new();
                while let Some((k, v)) = access.next_entry::<String, Scalar>()? {
                    row.insert(k, v.0);
                }
                Ok(Row(row))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct ResultLine<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, rename = "hostIdentifier")]
    host: Cow<'a, str>,
    #[serde(borrow, default, rename = "unixTime")]
    unix_time: Option<UnixTime<'a>>,
    #[serde(borrow, default, rename = "calendarTime")]
    calendar_time: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    action: Option<Cow<'a, str>>,
    #[serde(default)]
    columns: Option<Row>,
    #[serde(default, rename = "diffResults")]
    diff: Option<DiffResults>,
    #[serde(default)]
    snapshot: Option<Vec<Row>>,
    #[serde(default)]
    decorations: Option<Row>,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct DiffResults {
    #[serde(default)]
    added: Vec<Row>,
    #[serde(default)]
    removed: Vec<Row>,
}

/// The most buffer a row reserves up front; a longer row grows it.
const ROW_BYTES: usize = 1024;

fn fast_row(p: &mut Parser<'_>) -> Fast<Row> {
    // what is left of the record bounds the row's text (decoded strings are never longer than their
    // JSON), so one allocation usually holds it; the slack is given back when large
    let mut row = Columns::with_capacity(p.remaining().min(ROW_BYTES), 8);
    // columns come in the table's order, not sorted: sorted once at the end
    row.fill(|row| p.map(|p, key| row.push_with(&key, |value| p.scalar_text_into(value))))?;
    row.shrink_slack();
    Ok(Row(row))
}

fn fast_rows(p: &mut Parser<'_>) -> Fast<Vec<Row>> {
    let mut rows = Vec::new();
    p.array(|p| {
        rows.push(fast_row(p)?);
        Ok(())
    })?;
    Ok(rows)
}

impl ResultLine<'_> {
    /// A line with nothing read yet (what [`fast_line`] fills).
    fn empty() -> Self {
        ResultLine {
            name: Cow::Borrowed(""),
            host: Cow::Borrowed(""),
            unix_time: None,
            calendar_time: None,
            action: None,
            columns: None,
            diff: None,
            snapshot: None,
            decorations: None,
        }
    }
}

/// The fast path: fills `line` (which must be [`ResultLine::empty`]) with what serde would give, or
/// [`Bail`]s (leaving `line` partly filled). Filling the caller's value instead of returning one saves
/// moving the whole line on every record.
fn fast_line<'a>(
    bytes: &'a [u8],
    pre: Option<Preclassified<'_>>,
    line: &mut ResultLine<'a>,
) -> Fast<()> {
    let mut p = Parser::with_stops(bytes, pre)?;
    let seen = p.object(
        &[
            "name",
            "hostIdentifier",
            "unixTime",
            "calendarTime",
            "action",
            "columns",
            "diffResults",
            "snapshot",
            "decorations",
        ],
        |p, k| {
            match k {
                0 if p.peek()? == b'"' => line.name = p.cow()?,
                1 if p.peek()? == b'"' => line.host = p.cow()?,
                0 | 1 => return Err(Bail),
                2 => {
                    line.unix_time = match p.peek()? {
                        b'"' => Some(UnixTime::Text(p.cow()?)),
                        _ => p.int_or_null()?.map(UnixTime::Number),
                    }
                }
                3 => line.calendar_time = p.cow_or_null()?,
                4 => line.action = p.cow_or_null()?,
                5 if !p.null()? => line.columns = Some(fast_row(p)?),
                6 if !p.null()? => {
                    let mut diff = DiffResults {
                        added: Vec::new(),
                        removed: Vec::new(),
                    };
                    p.object(&["added", "removed"], |p, k| {
                        let rows = fast_rows(p)?;
                        if k == 0 {
                            diff.added = rows
                        } else {
                            diff.removed = rows
                        }
                        Ok(())
                    })?;
                    line.diff = Some(diff);
                }
                7 if !p.null()? => line.snapshot = Some(fast_rows(p)?),
                8 if !p.null()? => line.decorations = Some(fast_row(p)?),
                _ => {}
            }
            Ok(())
        },
    )?;
    p.finish()?;
    if seen & 0b11 != 0b11 {
        return Err(Bail);
    }
    Ok(())
}

/// The last four bytes of a table name (all lower-case letters, see [`table_of`]) as an integer.
const fn table_tail(table: &str) -> u32 {
    let b = table.as_bytes();
    let n = b.len();
    u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]])
}

/// The table a query reads, from its name or else its columns.
pub fn table_of(query_name: &str, columns: &Columns) -> Cow<'static, str> {
    let name = query_name.as_bytes();
    // every table name ends in four lower-case letters: a name whose last four bytes, with the case
    // bit set, differ from a table's cannot end with it (a letter matches only itself in either case),
    // so one integer compare per table rules out most before the exact comparison
    let tail = name
        .last_chunk::<4>()
        .map_or(0, |t| u32::from_le_bytes(*t) | 0x2020_2020);
    for table in TABLES {
        // `ends_with` on the ASCII-lower-cased name, without building it
        if table_tail(table) == tail
            && name.len() >= table.len()
            && (name.ends_with(table.as_bytes())
                || name[name.len() - table.len()..].eq_ignore_ascii_case(table.as_bytes()))
        {
            return Cow::Borrowed(table);
        }
    }
    let has = |k: &str| columns.contains_key(k);
    if has("vendor_id") && has("model_id") {
        "usb_devices".into()
    } else if has("port") && has("protocol") && has("pid") {
        "listening_ports".into()
    } else if has("cmdline") && has("pid") {
        "processes".into()
    } else if has("install_location") || (has("publisher") && has("version")) {
        "programs".into()
    } else {
        query_name.to_ascii_lowercase().into()
    }
}

/// A checked action as a static string: `added`, `removed` or `snapshot`, else the error naming it.
fn action_of(action: &str) -> Result<&'static str, RecordError> {
    match action {
        "added" => Ok("added"),
        "removed" => Ok("removed"),
        "snapshot" => Ok("snapshot"),
        _ => Err(RecordError::field(
            "action",
            format!("{action:?} is not added, removed or snapshot"),
        )),
    }
}

fn time_of(line: &ResultLine<'_>) -> Result<(chrono::DateTime<chrono::Utc>, i32), RecordError> {
    match &line.unix_time {
        Some(UnixTime::Number(n)) => from_unix(*n).map_err(|r| RecordError::field("unixTime", r)),
        Some(UnixTime::Text(t)) => t
            .trim()
            .parse::<i64>()
            .map_err(|_| RecordError::field("unixTime", format!("{t:?} is not a Unix time")))
            .and_then(|n| from_unix(n).map_err(|r| RecordError::field("unixTime", r))),
        None => match line.calendar_time.as_deref() {
            // calendarTime is `Tue Sep 30 17:37:30 2014 UTC`: always UTC.
            Some(text) => chrono::NaiveDateTime::parse_from_str(
                text.trim_end_matches(" UTC"),
                "%a %b %e %H:%M:%S %Y",
            )
            .map(|t| (t.and_utc(), 0))
            .or_else(|_| parse_zoned(text))
            .map_err(|_| {
                RecordError::field(
                    "calendarTime",
                    format!("{text:?} is not an osquery calendar time"),
                )
            }),
            None => Err(RecordError::field(
                "unixTime",
                "missing (and no calendarTime)",
            )),
        },
    }
}

/// The host's identifiers: its osquery host identifier (already trimmed), and the `hostname` and
/// serial decorations when present; the vector holds exactly them.
fn host_identifiers(host: &str, decorations: Option<&Row>) -> Result<Vec<Identifier>, RecordError> {
    const DECORATIONS: [(&str, DeviceKind); 3] = [
        ("hostname", DeviceKind::Hostname),
        ("hardware_serial", DeviceKind::Serial),
        ("serial", DeviceKind::Serial),
    ];
    let device = if host.is_empty() {
        // the model's error, as before
        DeviceId::new(DeviceKind::OsqueryHost, host)
            .map_err(|e| RecordError::field("hostIdentifier", e.to_string()))?
    } else {
        // what `DeviceId::new` gives for a trimmed, non-empty osquery host (kept as written),
        // without trimming it again
        DeviceId {
            kind: DeviceKind::OsqueryHost,
            value: host.to_owned(),
        }
    };
    let Some(decorations) = decorations else {
        return Ok(vec![Identifier::Device(device)]);
    };
    let found = DECORATIONS.map(|(key, kind)| {
        decorations
            .0
            .get(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .and_then(|v| DeviceId::new(kind, v).ok())
    });
    let mut identifiers = Vec::with_capacity(1 + found.iter().flatten().count());
    identifiers.push(Identifier::Device(device));
    identifiers.extend(found.into_iter().flatten().map(Identifier::Device));
    Ok(identifiers)
}

/// Turns one result line's rows into events: what every row of the line shares, prepared once.
struct Rows<'l, 'o> {
    host: &'l str,
    name: &'l str,
    /// The Unix time in decimal, as the id hashes it.
    unix: &'l str,
    time: chrono::DateTime<chrono::Utc>,
    offset: i32,
    at: RecordAt<'l>,
    /// Rows still to push: the last one takes `identifiers`, the others a copy.
    left: usize,
    identifiers: Vec<Identifier>,
    out: &'o mut VecDeque<Event>,
}

impl Rows<'_, '_> {
    fn push(&mut self, action: &str, columns: Columns) -> Result<(), RecordError> {
        let action = action_of(action)?;
        // the key part is every column as `k \x1f v \x1e`, hashed in place
        let mut id = crate::ids::IdHasher::new(CONNECTOR);
        id.part(self.host)
            .part(self.name)
            .part(self.unix)
            .part(action)
            .part("");
        for (k, v) in &columns {
            id.more(k.as_bytes())
                .more(b"\x1f")
                .more(v.as_bytes())
                .more(b"\x1e");
        }
        let table = table_of(self.name, &columns);
        self.left = self.left.saturating_sub(1);
        let identifiers = if self.left == 0 {
            std::mem::take(&mut self.identifiers)
        } else {
            self.identifiers.clone()
        };
        self.out.push_back(Event {
            id: id.finish(),
            time: self.time,
            utc_offset_seconds: self.offset,
            kind: EventKind::Endpoint(EndpointObservation {
                host: self.host.to_owned(),
                table,
                action: Cow::Borrowed(action),
                columns,
            }),
            identifiers,
            subject: None,
            provenance: self.at.provenance(CONNECTOR),
        });
        Ok(())
    }
}

/// The osquery results format for [`JsonEventReader`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OsqueryFormat;

impl JsonFormat for OsqueryFormat {
    fn connector(&self) -> &'static str {
        CONNECTOR
    }

    fn accepts(&self, format: SourceFormat) -> bool {
        format == SourceFormat::Osquery
    }

    fn parse(
        &self,
        bytes: &[u8],
        at: RecordAt<'_>,
        out: &mut VecDeque<Event>,
    ) -> Result<usize, RecordError> {
        let mut line = ResultLine::empty();
        if fast_line(bytes, at.pre, &mut line).is_err() {
            line = serde_json::from_slice(bytes)
                .map_err(|e| json_error::<ResultLine<'_>>(bytes, e))?;
        }
        let (time, offset) = time_of(&line)?;
        let host = line.host.trim();
        let identifiers = host_identifiers(host, line.decorations.as_ref())?;
        let ResultLine {
            columns,
            diff,
            snapshot,
            action,
            ..
        } = line;
        let (added, removed) = diff.map_or((Vec::new(), Vec::new()), |d| (d.added, d.removed));
        let snapshot = snapshot.unwrap_or_default();
        let total = usize::from(columns.is_some()) + added.len() + removed.len() + snapshot.len();
        let mut digits = itoa::Buffer::new();
        let mut rows = Rows {
            host,
            name: &line.name,
            unix: digits.format(time.timestamp()),
            time,
            offset,
            at,
            left: total,
            identifiers,
            out,
        };
        // the rows in order: the event-format row, then the batch format's, then a snapshot's
        if let Some(columns) = columns {
            rows.push(action.as_deref().unwrap_or("added"), columns.0)?;
        }
        for (action, list) in [
            ("added", added),
            ("removed", removed),
            ("snapshot", snapshot),
        ] {
            for row in list {
                rows.push(action, row.0)?;
            }
        }
        Ok(total)
    }
}

/// A reader of osquery result logs.
pub type OsqueryReader<R> = JsonEventReader<R, OsqueryFormat>;

/// Opens an osquery reader over a whole file.
pub fn reader<R: Read>(input: R, source: &str) -> OsqueryReader<R> {
    JsonEventReader::new(input, source, OsqueryFormat)
}

/// Resumes an osquery reader at a checkpoint (`input` positioned at `checkpoint.offset`).
pub fn resume<R: Read>(input: R, source: &str, checkpoint: Checkpoint) -> OsqueryReader<R> {
    JsonEventReader::resume(input, source, OsqueryFormat, checkpoint)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod fast_path {
    use super::*;
    use crate::fastjson::equivalence::{check, records};

    #[test]
    fn agrees_with_serde_on_fixtures_and_mutations() {
        let mut base = records(include_str!("../tests/fixtures/osquery_results.log"));
        // numbers, booleans and null as column values (`--logger_numerics`), a string unixTime
        base.push(
            br#"{"name":"q","hostIdentifier":"h","unixTime":"1713258721","columns":{"pid":42,"on":true,"x":null,"n":-7},"action":"added"}"#
                .to_vec(),
        );
        // escapes decoded into the row's buffer, a repeated column (the later value wins), keys out
        // of order, decorations
        base.push(
            br#"{"name":"pack_x_processes","hostIdentifier":"h","unixTime":1,"decorations":{"hostname":"l\u00e9a","serial":"S1"},"columns":{"path":"C:\\Program Files\\A\\p.exe","pid":"1","cmdline":"a \"b\"\n\t\u263a","pid":"2","":""},"action":"added"}"#
                .to_vec(),
        );
        check(
            &base,
            |b| {
                let mut line = ResultLine::empty();
                fast_line(b, None, &mut line)
                    .ok()
                    .map(|()| format!("{line:?}"))
            },
            |b| {
                serde_json::from_slice::<ResultLine<'_>>(b)
                    .ok()
                    .map(|e| format!("{e:?}"))
            },
        );
    }
}

#[cfg(test)]
mod helpers {
    use super::*;

    #[test]
    fn table_from_name_ignores_case_and_falls_back_to_columns() {
        let none = Columns::new();
        let check = |name: &str, columns: &Columns, want: &str| {
            assert_eq!(table_of(name, columns), want, "{name}");
        };
        check("pack_inventory_usb_devices", &none, "usb_devices");
        check("Pack_Inventory_USB_Devices", &none, "usb_devices");
        check("programs", &none, "programs");
        check("rograms", &none, "rograms");
        check("My_Query", &none, "my_query");
        let ports = Columns::from([("port", "1"), ("protocol", "6"), ("pid", "2")]);
        check("Q", &ports, "listening_ports");
        check("apps", &none, "apps");
        check("pps", &none, "pps");
        check("x_APPS", &none, "apps");
        check("chrome_EXTENSIONS", &none, "chrome_extensions");
        check("deb_packages_", &none, "deb_packages_");
        check("pack_rpm_packagez", &none, "pack_rpm_packagez");
    }

    /// The four-byte pre-filter of [`table_of`] never rules out a name that ends with a table: the
    /// table's tail is lower-case letters, and every name, in every case mix of every table's last
    /// bytes, and with the neighbouring bytes that share a letter's low five bits, gives what the plain
    /// lower-cased `ends_with` gives.
    #[test]
    fn table_tail_filter_is_exact() {
        for table in TABLES {
            let tail = &table.as_bytes()[table.len() - 4..];
            assert!(tail.iter().all(u8::is_ascii_lowercase), "{table}");
        }
        let plain = |name: &str| {
            let lower = name.to_ascii_lowercase();
            TABLES
                .iter()
                .find(|t| lower.ends_with(*t))
                .map(|t| (*t).to_string())
        };
        let none = Columns::new();
        for table in TABLES {
            for prefix in ["", "pack_", "x"] {
                let base = format!("{prefix}{table}");
                // every case mix of the last four bytes, and each of them swapped for a byte that
                // differs only in bits the filter folds or in the case bit of a non-letter
                for mask in 0..16u8 {
                    let mut name = base.clone().into_bytes();
                    let n = name.len();
                    for i in 0..4 {
                        if mask >> i & 1 == 1 {
                            name[n - 4 + i] = name[n - 4 + i].to_ascii_uppercase();
                        }
                    }
                    let name = String::from_utf8(name).unwrap();
                    let want = plain(&name).unwrap_or_else(|| name.to_ascii_lowercase());
                    assert_eq!(table_of(&name, &none), want, "{name}");
                    for i in 0..4 {
                        for flip in [0x20u8, 0x40, 0x01] {
                            let mut other = name.clone().into_bytes();
                            other[n - 4 + i] ^= flip;
                            let Ok(other) = String::from_utf8(other) else {
                                continue;
                            };
                            let want = plain(&other).unwrap_or_else(|| other.to_ascii_lowercase());
                            assert_eq!(table_of(&other, &none), want, "{other:?}");
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod ids {
    use super::*;
    use redflag_model::EventId;

    /// Event ids are what the store deduplicates re-ingested rows by: they must stay those of the
    /// earlier versions, which joined the columns into one key string for `EventId::derive`.
    #[test]
    fn row_ids_are_those_of_the_joined_key() {
        let text = include_str!("../tests/fixtures/osquery_results.log");
        let mut checked = 0;
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let Some(name) = serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v["name"].as_str().map(str::to_string))
            else {
                continue;
            };
            let mut out = VecDeque::new();
            let at = RecordAt::new("f", i as u64 + 1, 0);
            if OsqueryFormat.parse(line.as_bytes(), at, &mut out).is_err() {
                continue;
            }
            for event in out {
                let EventKind::Endpoint(o) = &event.kind else {
                    panic!("not an endpoint event")
                };
                let mut key = String::new();
                for (k, v) in &o.columns {
                    key.push_str(k);
                    key.push('\u{1f}');
                    key.push_str(v);
                    key.push('\u{1e}');
                }
                let unix = event.time.timestamp().to_string();
                let old = EventId::derive(CONNECTOR, &[&o.host, &name, &unix, &o.action, &key]);
                assert_eq!(event.id, old, "line {}", i + 1);
                checked += 1;
            }
        }
        assert!(checked >= 5, "{checked}");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod reference {
    //! The reader against a plain reference: the row loop as it was before rows were pushed by
    //! [`Rows`] (serde only, the id from the joined key string by `EventId::derive`, identifiers by
    //! `DeviceId::new`), on the fixtures, lines that exercise every branch, and random mutations.
    use super::*;
    use crate::fastjson::equivalence::records;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use redflag_model::EventId;

    fn reference(bytes: &[u8], at: RecordAt<'_>) -> Result<Vec<Event>, RecordError> {
        let line: ResultLine<'_> =
            serde_json::from_slice(bytes).map_err(|e| json_error::<ResultLine<'_>>(bytes, e))?;
        let (time, offset) = time_of(&line)?;
        let host = line.host.trim();
        let mut identifiers = vec![Identifier::Device(
            DeviceId::new(DeviceKind::OsqueryHost, host)
                .map_err(|e| RecordError::field("hostIdentifier", e.to_string()))?,
        )];
        if let Some(decorations) = &line.decorations {
            for (key, kind) in [
                ("hostname", DeviceKind::Hostname),
                ("hardware_serial", DeviceKind::Serial),
                ("serial", DeviceKind::Serial),
            ] {
                if let Some(value) = decorations
                    .0
                    .get(key)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    && let Ok(d) = DeviceId::new(kind, value)
                {
                    identifiers.push(Identifier::Device(d));
                }
            }
        }
        let action = line.action.as_deref().unwrap_or("added");
        let mut rows: Vec<(&str, &Row)> = line.columns.iter().map(|c| (action, c)).collect();
        if let Some(d) = &line.diff {
            rows.extend(d.added.iter().map(|r| ("added", r)));
            rows.extend(d.removed.iter().map(|r| ("removed", r)));
        }
        rows.extend(line.snapshot.iter().flatten().map(|r| ("snapshot", r)));
        let mut out = Vec::new();
        for (action, row) in rows {
            if !matches!(action, "added" | "removed" | "snapshot") {
                return Err(RecordError::field(
                    "action",
                    format!("{action:?} is not added, removed or snapshot"),
                ));
            }
            let mut key = String::new();
            for (k, v) in &row.0 {
                key.push_str(k);
                key.push('\u{1f}');
                key.push_str(v);
                key.push('\u{1e}');
            }
            let unix = time.timestamp().to_string();
            out.push(Event {
                id: EventId::derive(CONNECTOR, &[host, &line.name, &unix, action, &key]),
                time,
                utc_offset_seconds: offset,
                kind: EventKind::Endpoint(EndpointObservation {
                    host: host.to_string(),
                    table: table_of(&line.name, &row.0),
                    action: action.to_string().into(),
                    columns: row.0.clone(),
                }),
                identifiers: identifiers.clone(),
                subject: None,
                provenance: at.provenance(CONNECTOR),
            });
        }
        Ok(out)
    }

    fn both(bytes: &[u8]) -> (String, String) {
        let at = RecordAt::new("f.log", 7, 1234);
        let mut out = VecDeque::new();
        let got = OsqueryFormat
            .parse(bytes, at, &mut out)
            .map(|n| (n, Vec::from(out)));
        let want = reference(bytes, at).map(|v| (v.len(), v));
        (format!("{got:?}"), format!("{want:?}"))
    }

    #[test]
    fn rows_are_those_of_the_reference() {
        let mut base = records(include_str!("../tests/fixtures/osquery_results.log"));
        for line in [
            // batch format with both lists, decorations trimmed and cased by kind, an empty serial
            r#"{"name":"pack_usb_devices","hostIdentifier":" h1 ","unixTime":5,"decorations":{"hostname":" Lea-PC ","hardware_serial":"abc1","serial":" "},"diffResults":{"added":[{"a":"1"},{"b":"2","a":"x"}],"removed":[{"c":"3"}]}}"#,
            // every list at once: the event row first, then added, removed, snapshot
            r#"{"name":"q","hostIdentifier":"h","unixTime":-1,"columns":{"z":"1"},"action":"snapshot","diffResults":{"added":[{"a":"1"}],"removed":[]},"snapshot":[{"s":"1"},{"s":"2"}]}"#,
            // a bad action refuses the line before any row; without an event row it is not read
            r#"{"name":"q","hostIdentifier":"h","unixTime":1,"columns":{"z":"1"},"action":"renamed","diffResults":{"added":[{"a":"1"}]}}"#,
            r#"{"name":"q","hostIdentifier":"h","unixTime":1,"action":"renamed","diffResults":{"added":[{"a":"1"}]}}"#,
            // no rows, an empty host, a blank host, decorations only a serial
            r#"{"name":"q","hostIdentifier":"h","unixTime":1}"#,
            r#"{"name":"q","hostIdentifier":"","unixTime":1,"columns":{"a":"1"}}"#,
            r#"{"name":"q","hostIdentifier":" \t","unixTime":1,"columns":{"a":"1"}}"#,
            r#"{"name":"Pack_PROGRAMS","hostIdentifier":"h","unixTime":"17","decorations":{"serial":"s-9"},"snapshot":[{"name":"A"},{"name":"B"}],"action":"snapshot"}"#,
            r#"{"name":"q","hostIdentifier":"h","calendarTime":"Tue Apr 16 09:12:01 2024 UTC","columns":{"pid":"1","cmdline":"x"},"action":"removed"}"#,
        ] {
            base.push(line.as_bytes().to_vec());
        }
        let mut read = 0;
        for bytes in &base {
            let (got, want) = both(bytes);
            assert_eq!(got, want, "{}", String::from_utf8_lossy(bytes));
            read += usize::from(got.starts_with("Ok"));
        }
        assert!(read >= 10, "{read}");
        const BYTES: &[u8] = b"\"\\{}[],:0-1 \tnulltrueaddedremovedsnapshot";
        let mut runner = TestRunner::new(Config {
            cases: 2000,
            failure_persistence: None,
            ..Config::default()
        });
        let edits = proptest::collection::vec((any::<usize>(), 0u8..3, 0..BYTES.len()), 1..4);
        runner
            .run(&(0..base.len(), edits), |(i, edits)| {
                let bytes = crate::fastjson::equivalence::mutated(&base[i], &edits, BYTES);
                let (got, want) = both(&bytes);
                prop_assert_eq!(got, want, "{}", String::from_utf8_lossy(&bytes));
                Ok(())
            })
            .unwrap();
    }
}
