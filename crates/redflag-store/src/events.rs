//! Events: idempotent batch writes with attribution at write time, attribution of stored events when
//! claims arrive later, and reads.
//!
//! Layout (migration 0004): an event row is keyed by [`event_key`], the first 8 bytes of its id as a
//! signed 64-bit integer; the text id stays on the row so that a read returns it and a key collision
//! is reported instead of merging two events. Identifier rows are keyed `(kind, value, event_key)`, so
//! the same index answers "which events carry this identifier" and makes their insert idempotent. The
//! body is the event's JSON without the fields the row already holds (id, time, subject); bodies
//! written before 0004 carry them and decode the same way.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Range;

use chrono::{DateTime, Utc};
use redflag_model::{Event, EventId, EventKind, Identifier, Provenance, SubjectId};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Backend, EventInsert, Result, Store, StoreError, marks, query_err, rows_clause, ts};

/// Events per insert statement at most (6 parameters each).
const EVENT_ROWS: usize = 256;
/// Identifier rows per insert statement at most (3 parameters each).
const IDENTIFIER_ROWS: usize = 512;
/// Identifier values per claim lookup at most.
const LOOKUP_ROWS: usize = 512;

/// The integer key of an event id: its first 16 hex digits (8 bytes of the SHA-256 that
/// [`EventId::derive`] makes) read big-endian as a signed 64-bit integer. An id that does not start
/// with 16 hex digits (never made by this project's connectors) is keyed by the first 8 bytes of its
/// own SHA-256. Migration 0004 computes the same value in SQL for stored hex ids.
pub fn event_key(id: &EventId) -> i64 {
    let text = id.as_str();
    let hex = text
        .get(..16)
        .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
        .and_then(|h| u64::from_str_radix(h, 16).ok());
    let bytes = match hex {
        Some(value) => value.to_be_bytes(),
        None => {
            let digest = Sha256::digest(text.as_bytes());
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&digest[..8]);
            bytes
        }
    };
    i64::from_be_bytes(bytes)
}

/// Splits `0..len` into ranges of at most `max` rows whose sizes are `max`, `max/4`, `max/16`, …, 1,
/// largest first. Each size is one SQL string, so a handful of prepared statements (sqlx caches them
/// per connection by their text) serve batches of any length, and no statement is compiled per batch.
pub(crate) fn fixed_chunks(len: usize, max: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut size = max.max(1);
    while start < len {
        while size > 1 && len - start < size {
            size = (size / 4).max(1);
        }
        out.push(start..start + size);
        start += size;
    }
    out
}

/// The stored body: the event without the fields its row holds. The time is kept in the body only
/// when it has digits below the microsecond, which the fixed-width time column does not hold.
#[derive(serde::Serialize)]
struct BodyOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<DateTime<Utc>>,
    utc_offset_seconds: i32,
    kind: &'a EventKind,
    identifiers: &'a [Identifier],
    provenance: &'a Provenance,
}

/// A stored body, compact (0004) or whole (an `Event` written before 0004: its id, time and `subject`
/// are present and the row's win for id and subject).
#[derive(serde::Deserialize)]
struct BodyIn {
    #[serde(default)]
    time: Option<DateTime<Utc>>,
    utc_offset_seconds: i32,
    kind: EventKind,
    identifiers: Vec<Identifier>,
    provenance: Provenance,
}

/// Rebuilds an event from its row: id, time column, subject column and body.
pub(crate) fn decode_event(
    id: String,
    time: &str,
    subject: Option<String>,
    body: &str,
) -> Result<Event> {
    let bad = |source| StoreError::Decode {
        what: "event",
        id: id.clone(),
        source,
    };
    let stored: BodyIn = serde_json::from_str(body).map_err(bad)?;
    let time = match stored.time {
        Some(time) => time,
        None => match DateTime::parse_from_rfc3339(time) {
            Ok(time) => time.with_timezone(&Utc),
            // Not RFC 3339: let serde say why, for the error message.
            Err(_) => {
                serde_json::from_value(serde_json::Value::String(time.to_string())).map_err(bad)?
            }
        },
    };
    Ok(Event {
        id: EventId::from_stored(id),
        time,
        utc_offset_seconds: stored.utc_offset_seconds,
        kind: stored.kind,
        identifiers: stored.identifiers,
        subject: subject.map(SubjectId::from_stored),
        provenance: stored.provenance,
    })
}

/// Reads an event row with the columns `id`, `time`, `subject_id` and `body`.
pub(crate) fn event_from_row(row: &sqlx::any::AnyRow) -> Result<Event> {
    RawEvent::from_row(row)?.decode()
}

/// Rows decoded per rayon task when reading every attributed event.
const DECODE_ROWS: usize = 4096;

/// An event row's columns, read from the database and not yet decoded.
struct RawEvent {
    id: String,
    time: String,
    subject: Option<String>,
    body: String,
}

impl RawEvent {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self> {
        let e = || query_err("reading events");
        Ok(Self {
            id: row.try_get("id").map_err(e())?,
            time: row.try_get("time").map_err(e())?,
            subject: row.try_get("subject_id").map_err(e())?,
            body: row.try_get("body").map_err(e())?,
        })
    }

    fn decode(self) -> Result<Event> {
        decode_event(self.id, &self.time, self.subject, &self.body)
    }
}

/// An event ready to write: its key, identifiers as stored (kind, value) and its compact body.
struct EncodedEvent<'a> {
    event: &'a Event,
    key: i64,
    identifiers: Vec<(&'static str, String)>,
    body: String,
}

impl<'a> EncodedEvent<'a> {
    fn new(event: &'a Event) -> Result<Self> {
        let precise = !event.time.timestamp_subsec_nanos().is_multiple_of(1_000);
        let body = serde_json::to_string(&BodyOut {
            time: precise.then_some(event.time),
            utc_offset_seconds: event.utc_offset_seconds,
            kind: &event.kind,
            identifiers: &event.identifiers,
            provenance: &event.provenance,
        })
        .map_err(|source| StoreError::Decode {
            what: "event",
            id: event.id.as_str().to_string(),
            source,
        })?;
        let mut identifiers: Vec<(&'static str, String)> = event
            .identifiers
            .iter()
            .map(|i| (i.kind().as_str(), i.value()))
            .collect();
        identifiers.sort();
        identifiers.dedup();
        Ok(Self {
            event,
            key: event_key(&event.id),
            identifiers,
            body,
        })
    }
}

impl Store {
    /// Stores events; an event whose id is already stored (or repeated in the batch) is skipped
    /// (idempotent re-ingest). Each new event is attributed to the subject that claims one of its
    /// identifiers, if any (the lowest subject id when several do), as it is written: the claims of
    /// the batch's identifiers are looked up once, so a batch costs the same however many unattributed
    /// events the store already holds. Writes are multi-row statements of a few fixed sizes (prepared
    /// once per connection) in one transaction; an event and its identifier rows commit together.
    ///
    /// Two different ids with the same [`event_key`] (a 64-bit collision) fail the batch with
    /// [`StoreError::Conflict`] rather than dropping one of them.
    pub async fn insert_events(&self, events: &[Event]) -> Result<EventInsert> {
        let mut outcome = EventInsert::default();
        let mut seen = HashSet::new();
        let unique: Vec<&Event> = events
            .iter()
            .filter(|e| seen.insert(e.id.as_str()))
            .collect();
        outcome.duplicates += (events.len() - unique.len()) as u64;
        if unique.is_empty() {
            return Ok(outcome);
        }
        // Encode outside the transaction: keys, identifiers and bodies.
        let encoded: Vec<EncodedEvent<'_>> = unique
            .iter()
            .map(|event| EncodedEvent::new(event))
            .collect::<Result<_>>()?;
        let mut tx = self.begin().await?;
        let claims = claims_of(
            self.backend,
            &mut tx,
            encoded.iter().flat_map(|e| e.identifiers.iter()),
        )
        .await?;
        // Each event's owner: the lowest subject id claiming one of its identifiers, if any.
        let owners: Vec<Option<String>> = encoded
            .iter()
            .map(|event| {
                event
                    .identifiers
                    .iter()
                    .filter_map(|(kind, value)| claims.get(&(*kind, value.as_str())))
                    .min()
                    .cloned()
            })
            .collect();
        for range in fixed_chunks(encoded.len(), EVENT_ROWS) {
            let (chunk, chunk_owners) = (&encoded[range.clone()], &owners[range]);
            let sql = format!(
                "INSERT {} INTO events (key, id, time, kind, subject_id, body) VALUES {} {}",
                or_ignore(self.backend),
                rows_clause(self.backend, chunk.len(), 6),
                on_conflict(self.backend, "(key)"),
            );
            let mut query = sqlx::query(&sql);
            for (event, owner) in chunk.iter().zip(chunk_owners) {
                query = query
                    .bind(event.key)
                    .bind(event.event.id.as_str())
                    .bind(ts(event.event.time))
                    .bind(event.event.kind.name())
                    .bind(owner.as_deref())
                    .bind(event.body.as_str());
            }
            let stored = query
                .execute(&mut *tx)
                .await
                .map_err(query_err("storing events"))?
                .rows_affected();
            outcome.inserted += stored;
            if (stored as usize) < chunk.len() {
                // Some keys were there: they must be the same events (re-ingest), not collisions.
                same_ids_stored(self.backend, &mut tx, chunk).await?;
            }
        }
        outcome.duplicates += unique.len() as u64 - outcome.inserted;
        // Identifier rows are the attribution index: a later claim finds the unattributed events
        // that carry it through them (`attribute_events_where`), and nothing else reads them (an
        // event's identifiers stay in its body). An event attributed as it is written never goes
        // through that path again, so only unattributed events get rows: in a load where the people
        // come first (the demo, most imports) that is most of the rows this insert used to write.
        // Identifier rows are idempotent by their key, so those of events stored before are no-ops.
        let rows: Vec<(&'static str, &str, i64)> = encoded
            .iter()
            .zip(&owners)
            .filter(|(_, owner)| owner.is_none())
            .flat_map(|(e, _)| {
                e.identifiers
                    .iter()
                    .map(move |(kind, value)| (*kind, value.as_str(), e.key))
            })
            .collect();
        for range in fixed_chunks(rows.len(), IDENTIFIER_ROWS) {
            let part = &rows[range];
            let sql = format!(
                "INSERT {} INTO event_identifiers (kind, value, event_key) VALUES {} {}",
                or_ignore(self.backend),
                rows_clause(self.backend, part.len(), 3),
                on_conflict(self.backend, ""),
            );
            let mut query = sqlx::query(&sql);
            for (kind, value, key) in part {
                query = query.bind(*kind).bind(*value).bind(*key);
            }
            query
                .execute(&mut *tx)
                .await
                .map_err(query_err("storing event identifiers"))?;
        }
        tx.commit().await.map_err(query_err("committing events"))?;
        Ok(outcome)
    }

    /// Attributes every unattributed event whose identifiers a subject claims. When two subjects claim
    /// the same identifier the lowest subject id wins the attribution; the shared claim itself is
    /// evidence for linkage, which reads the identifiers table, not this column.
    pub async fn attribute_events(&self) -> Result<u64> {
        Self::attribute_events_where(&self.pool, "1 = 1", &[]).await
    }

    /// [`Store::attribute_events`] limited to the events that carry an identifier whose claim `i`
    /// matches `filter` (an SQL condition built by this crate, never from input, with `binds` as its
    /// parameters): those events are found through the identifier index instead of by scanning every
    /// unattributed event, so the cost follows the new claims, not the size of the store. Each event
    /// goes to the lowest subject id among the matching claims: an event still unattributed has no
    /// other claimed identifier (every claim is attributed as it is written), so that is the lowest
    /// claimant overall.
    pub(crate) async fn attribute_events_where<'q, E>(
        executor: E,
        filter: &str,
        binds: &[&'q str],
    ) -> Result<u64>
    where
        E: sqlx::Executor<'q, Database = sqlx::Any>,
    {
        let sql = format!(
            "UPDATE events SET subject_id = claimed.owner FROM (
                 SELECT ei.event_key AS event_key, MIN(i.subject_id) AS owner
                 FROM identifiers i
                 JOIN event_identifiers ei ON ei.kind = i.kind AND ei.value = i.value
                 WHERE {filter}
                 GROUP BY ei.event_key) claimed
             WHERE events.key = claimed.event_key AND events.subject_id IS NULL"
        );
        let mut query = sqlx::query(&sql);
        for bind in binds {
            query = query.bind(*bind);
        }
        let result = query
            .execute(executor)
            .await
            .map_err(query_err("attributing events"))?;
        Ok(result.rows_affected())
    }

    /// The events attributed to one subject, in time order.
    pub async fn subject_events(&self, id: &SubjectId, limit: i64) -> Result<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT id, time, subject_id, body FROM events WHERE subject_id = $1
             ORDER BY time, id LIMIT $2",
        )
        .bind(id.as_str())
        .bind(limit.clamp(1, 100_000))
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("reading events"))?;
        rows.iter().map(event_from_row).collect()
    }

    /// Every attributed event, ordered by subject and time (the order the enrichers want).
    pub async fn attributed_events(&self) -> Result<Vec<Event>> {
        use futures_util::TryStreamExt;
        if let Some(path) = self.sqlite_file.clone() {
            // sqlx hands SQLite rows over one at a time from its worker thread (4-5 µs a row, most
            // of the read); a connection of our own steps through them at about 1 µs.
            return match tokio::task::spawn_blocking(move || read_attributed_sqlite(&path)).await {
                Ok(events) => events,
                Err(stopped) if stopped.is_panic() => {
                    std::panic::resume_unwind(stopped.into_panic())
                }
                Err(_) => Err(StoreError::Stopped {
                    action: "reading events",
                }),
            };
        }
        let mut rows = sqlx::query(ATTRIBUTED_EVENTS).fetch(&self.pool);
        let mut decoder = ParallelDecoder::default();
        while let Some(row) = rows.try_next().await.map_err(query_err("reading events"))? {
            decoder.push(RawEvent::from_row(&row)?);
        }
        decoder.finish()
    }
}

/// Every attributed event in (subject, time) index order.
const ATTRIBUTED_EVENTS: &str = "SELECT id, time, subject_id, body FROM events \
    WHERE subject_id IS NOT NULL ORDER BY subject_id, time";

/// Reads [`ATTRIBUTED_EVENTS`] through a SQLite connection of its own, which only reads.
fn read_attributed_sqlite(path: &std::path::Path) -> Result<Vec<Event>> {
    use rusqlite::OpenFlags;
    let failed = |source| StoreError::SqliteRead {
        action: "attributed events",
        path: path.to_path_buf(),
        source,
    };
    // Opened read-write (never created): a read-only connection cannot make the WAL's shared-memory
    // file, which is gone when the pool has closed its last connection.
    let connection = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    // A writer of the store's own pool may hold the lock for a moment (rollback journal during a
    // bulk load); wait for it as the pool's connections do.
    connection
        .busy_timeout(std::time::Duration::from_secs(5))
        .map_err(failed)?;
    let mut statement = connection.prepare(ATTRIBUTED_EVENTS).map_err(failed)?;
    let mut rows = statement.query([]).map_err(failed)?;
    let mut decoder = ParallelDecoder::default();
    while let Some(row) = rows.next().map_err(failed)? {
        decoder.push(RawEvent {
            id: row.get(0).map_err(failed)?,
            time: row.get(1).map_err(failed)?,
            subject: row.get(2).map_err(failed)?,
            body: row.get(3).map_err(failed)?,
        });
    }
    decoder.finish()
}

/// Decodes event rows on the rayon pool, [`DECODE_ROWS`] a task, while the caller reads the next
/// ones, and puts them together in (subject, time, id) order.
struct ParallelDecoder {
    part: Vec<RawEvent>,
    parts: usize,
    done: std::sync::mpsc::Sender<(usize, Result<Vec<Event>>)>,
    decoded: std::sync::mpsc::Receiver<(usize, Result<Vec<Event>>)>,
}

impl Default for ParallelDecoder {
    fn default() -> Self {
        let (done, decoded) = std::sync::mpsc::channel();
        Self {
            part: Vec::with_capacity(DECODE_ROWS),
            parts: 0,
            done,
            decoded,
        }
    }
}

impl ParallelDecoder {
    fn push(&mut self, raw: RawEvent) {
        self.part.push(raw);
        if self.part.len() == DECODE_ROWS {
            self.send_part();
        }
    }

    fn send_part(&mut self) {
        let raw = std::mem::replace(&mut self.part, Vec::with_capacity(DECODE_ROWS));
        let done = self.done.clone();
        let index = self.parts;
        self.parts += 1;
        rayon::spawn(move || {
            let events = raw.into_iter().map(RawEvent::decode).collect();
            // The receiver outlives every sender unless the read already failed.
            let _ = done.send((index, events));
        });
    }

    fn finish(mut self) -> Result<Vec<Event>> {
        if !self.part.is_empty() {
            self.send_part();
        }
        drop(self.done);
        let mut ordered: Vec<(usize, Result<Vec<Event>>)> = self.decoded.iter().collect();
        ordered.sort_by_key(|(index, _)| *index);
        // One allocation of the final size: growing a vector of millions of events by doubling
        // copies it again at each step into freshly faulted pages (a fifth of a demo's assess CPU).
        let parts: Vec<Vec<Event>> = ordered
            .into_iter()
            .map(|(_, part)| part)
            .collect::<Result<_>>()?;
        let mut events = Vec::with_capacity(parts.iter().map(Vec::len).sum());
        for part in parts {
            events.extend(part);
        }
        // Ties in time come in no particular order from the index: put them in id order.
        events.sort_by(|a, b| {
            (a.subject.as_ref(), a.time, &a.id).cmp(&(b.subject.as_ref(), b.time, &b.id))
        });
        Ok(events)
    }
}

/// `OR IGNORE` on SQLite, where it (unlike an upsert clause, which leaves the other constraints
/// aborting) lets a multi-row insert run without a statement journal; nothing on PostgreSQL.
/// Every column the store writes with it is bound non-null, so only duplicate keys are ignored.
fn or_ignore(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "OR IGNORE",
        Backend::Postgres => "",
    }
}

/// `ON CONFLICT {target} DO NOTHING` on PostgreSQL; nothing on SQLite (see [`or_ignore`]).
fn on_conflict(backend: Backend, target: &str) -> String {
    match backend {
        Backend::Sqlite => String::new(),
        Backend::Postgres => format!("ON CONFLICT {target} DO NOTHING"),
    }
}

/// Checks that each event of `chunk` whose key is already stored is stored under its own id.
async fn same_ids_stored(
    backend: Backend,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    chunk: &[EncodedEvent<'_>],
) -> Result<()> {
    let sql = format!(
        "SELECT key, id FROM events WHERE key IN ({})",
        marks(backend, 1, chunk.len())
    );
    let mut query = sqlx::query(&sql);
    for event in chunk {
        query = query.bind(event.key);
    }
    let e = || query_err("checking event keys");
    let mut stored = HashMap::new();
    for row in query.fetch_all(&mut **tx).await.map_err(e())? {
        let key: i64 = row.try_get(0).map_err(e())?;
        let id: String = row.try_get(1).map_err(e())?;
        stored.insert(key, id);
    }
    for event in chunk {
        match stored.get(&event.key) {
            Some(id) if id != event.event.id.as_str() => {
                return Err(StoreError::Conflict {
                    what: "event key",
                    id: format!(
                        "{} (event {} has the same 64-bit key as stored event {id})",
                        event.key,
                        event.event.id.as_str()
                    ),
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// The subject that claims each of `identifiers` (the lowest id when several do), read in
/// multi-row lookups inside the caller's transaction.
pub(crate) async fn claims_of<'a>(
    backend: Backend,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    identifiers: impl Iterator<Item = &'a (&'static str, String)>,
) -> Result<HashMap<(&'static str, &'a str), String>> {
    let wanted: BTreeSet<(&'static str, &'a str)> = identifiers
        .map(|(kind, value)| (*kind, value.as_str()))
        .collect();
    // Looked up kind by kind, so that the (kind, value, subject) key answers each lookup.
    let mut by_kind: BTreeMap<&'static str, Vec<&'a str>> = BTreeMap::new();
    for (kind, value) in &wanted {
        by_kind.entry(*kind).or_default().push(*value);
    }
    let mut claims = HashMap::new();
    for (kind, values) in by_kind {
        for range in fixed_chunks(values.len(), LOOKUP_ROWS) {
            let part = &values[range];
            let sql = format!(
                "SELECT value, MIN(subject_id) FROM identifiers WHERE kind = {} AND value IN ({}) GROUP BY value",
                marks(backend, 1, 1),
                marks(backend, 2, part.len())
            );
            let asked: HashSet<&'a str> = part.iter().copied().collect();
            let mut query = sqlx::query(&sql).bind(kind);
            for value in part {
                query = query.bind(*value);
            }
            let rows = query
                .fetch_all(&mut **tx)
                .await
                .map_err(query_err("reading identifier claims"))?;
            for row in &rows {
                let value: String = row
                    .try_get(0)
                    .map_err(query_err("reading identifier claims"))?;
                let subject: String = row
                    .try_get(1)
                    .map_err(query_err("reading identifier claims"))?;
                if let Some(value) = asked.get(value.as_str()) {
                    claims.insert((kind, *value), subject);
                }
            }
        }
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_chunks(len: usize, max: usize, expect: &[usize]) {
        let sizes: Vec<usize> = fixed_chunks(len, max).iter().map(|r| r.len()).collect();
        assert_eq!(sizes, expect, "len {len} max {max}");
        let covered: usize = sizes.iter().sum();
        assert_eq!(covered, len);
    }

    #[test]
    fn chunks_have_few_fixed_sizes() {
        check_chunks(0, 256, &[]);
        check_chunks(1, 256, &[1]);
        check_chunks(256, 256, &[256]);
        check_chunks(600, 256, &[256, 256, 64, 16, 4, 4]);
        check_chunks(5, 4, &[4, 1]);
        check_chunks(3, 1, &[1, 1, 1]);
    }

    #[test]
    fn keys_are_the_id_prefix_as_signed_integer() {
        let check = |id: &str, expect: i64| {
            assert_eq!(event_key(&EventId::from_stored(id.into())), expect, "{id}");
        };
        check("0000000000000001ffff", 1);
        check("7fffffffffffffff", i64::MAX);
        check("8000000000000000aaaa", i64::MIN);
        check("ffffffffffffffff0000", -1);
        check("FFFFFFFFFFFFFFFF", -1);
        // Not hex: keyed by its own hash, deterministically.
        let odd = EventId::from_stored("not-a-hex-id".into());
        assert_eq!(event_key(&odd), event_key(&odd));
        assert_ne!(event_key(&odd), 0);
        let derived = EventId::derive("okta", &["uuid-1"]);
        let prefix = u64::from_str_radix(&derived.as_str()[..16], 16).unwrap();
        assert_eq!(
            event_key(&derived),
            i64::from_be_bytes(prefix.to_be_bytes())
        );
    }

    #[test]
    fn compact_and_old_bodies_decode_alike() {
        let event = Event {
            id: EventId::derive("test", &["1"]),
            time: DateTime::parse_from_rfc3339("2026-03-01T09:00:00.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            utc_offset_seconds: 3600,
            kind: EventKind::Activity {
                action: "commit".into(),
                target: Some("repo".into()),
                count: Some(2),
            },
            identifiers: vec![Identifier::email("ann@example.com").unwrap()],
            subject: None,
            provenance: Provenance::at_line("test", "test.ndjson", 3),
        };
        let encoded = EncodedEvent::new(&event).unwrap();
        assert!(!encoded.body.contains(event.id.as_str()));
        assert!(!encoded.body.contains("2026-03-01"));
        let time = ts(event.time);
        let back = decode_event(event.id.as_str().into(), &time, None, &encoded.body).unwrap();
        assert_eq!(back, event);
        // A body written before migration 0004 (the whole event) still decodes.
        let old = serde_json::to_string(&event).unwrap();
        let back =
            decode_event(event.id.as_str().into(), &time, Some("ats:1".into()), &old).unwrap();
        assert_eq!(back.subject.as_ref().map(SubjectId::as_str), Some("ats:1"));
        assert_eq!(back.time, event.time);
        // Nanoseconds the time column cannot hold are kept in the body.
        let mut precise = event.clone();
        precise.time += chrono::Duration::nanoseconds(7);
        let encoded = EncodedEvent::new(&precise).unwrap();
        let back = decode_event(
            precise.id.as_str().into(),
            &ts(precise.time),
            None,
            &encoded.body,
        )
        .unwrap();
        assert_eq!(back, precise);
        // A corrupt body or time names the event.
        let err = decode_event("e1".into(), &time, None, "{").unwrap_err();
        assert!(err.to_string().contains("e1"), "{err}");
        let err = decode_event("e2".into(), "yesterday", None, &encoded.body);
        assert!(err.is_ok(), "the precise body carries its own time");
        let plain = EncodedEvent::new(&event).unwrap();
        let err = decode_event("e3".into(), "yesterday", None, &plain.body).unwrap_err();
        assert!(err.to_string().contains("e3"), "{err}");
    }
}
