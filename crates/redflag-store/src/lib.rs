//! Persistence for redflag: subjects, identifiers, events, facts, assessments and rings.
//!
//! One code path serves both databases: queries go through sqlx's `Any` driver with portable SQL
//! (`$1` placeholders, `ON CONFLICT`), so the embedded SQLite file that a small team gets with nothing to
//! install and the PostgreSQL that a marketplace scales out on run the same repository functions.
//! Records are stored as their serde JSON next to the columns that are queried, so what is read back is
//! exactly what was written.
//!
//! **Attribution** (DESIGN §8): every event keeps the identifiers its source saw; the store links it to
//! the subject that claims one of them. An event nobody claims is kept unattributed, never dropped, and
//! is attributed later when a people file that claims its identifier arrives.
//!
//! ```no_run
//! # async fn demo() -> Result<(), redflag_store::StoreError> {
//! let store = redflag_store::Store::open_data_dir(std::path::Path::new("redflag-data")).await?;
//! let counts = store.counts().await?;
//! println!("{} subjects, {} events", counts.subjects, counts.events);
//! # Ok(()) }
//! ```
//!
//! **What this crate must never do:** compute anything about subjects (that is the engines' work) or
//! know about HTTP.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use redflag_model::{Assessment, Event, Fact, Ring, RiskLevel, Subject, SubjectId};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened.
    #[error("cannot open database {url}: {source}")]
    Open {
        /// The URL (without password).
        url: String,
        /// The cause.
        source: sqlx::Error,
    },
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database query failed while {action}: {source}")]
    Query {
        /// What the store was doing.
        action: &'static str,
        /// The cause.
        source: sqlx::Error,
    },
    /// A stored record could not be decoded (a newer or corrupted database).
    #[error("stored {what} {id} cannot be decoded: {source}")]
    Decode {
        /// The record type.
        what: &'static str,
        /// Its id.
        id: String,
        /// The cause.
        source: serde_json::Error,
    },
}

type Result<T> = std::result::Result<T, StoreError>;

fn query_err(action: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { action, source }
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (WAL) in a data directory.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Counts of what the store holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Subjects.
    pub subjects: i64,
    /// Events.
    pub events: i64,
    /// Events no subject claims.
    pub unattributed_events: i64,
    /// Facts.
    pub facts: i64,
    /// Assessments.
    pub assessments: i64,
    /// Rings.
    pub rings: i64,
}

/// Outcome of an event batch insert.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventInsert {
    /// New events stored.
    pub inserted: u64,
    /// Events already stored (same stable id), skipped.
    pub duplicates: u64,
}

/// The database behind redflag.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

fn ts(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Store {
    /// Opens (creating if needed) the SQLite database `redflag.db` in `dir`.
    pub async fn open_data_dir(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let url = format!("sqlite://{}?mode=rwc", dir.join("redflag.db").display());
        Self::open(&url).await
    }

    /// Opens a database by URL (`sqlite://…` or `postgres://…`) and applies migrations.
    pub async fn open(url: &str) -> Result<Self> {
        install_default_drivers();
        let backend = if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let shown_url = redact(url);
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 1 } else { 8 })
            .connect(url)
            .await
            .map_err(|source| StoreError::Open {
                url: shown_url.clone(),
                source,
            })?;
        if backend == Backend::Sqlite {
            for pragma in [
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                "PRAGMA foreign_keys = ON",
            ] {
                sqlx::query(pragma)
                    .execute(&pool)
                    .await
                    .map_err(query_err("setting SQLite pragmas"))?;
            }
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        } else {
            return Err(StoreError::Open {
                url: shown_url,
                source: sqlx::Error::Configuration(
                    "PostgreSQL support lands with issue #11".into(),
                ),
            });
        }
        Ok(Self { pool, backend })
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(query_err("pinging the database"))?;
        Ok(())
    }

    /// Inserts or replaces subjects and their identifiers, then attributes unattributed events to them.
    pub async fn upsert_subjects(&self, subjects: &[Subject]) -> Result<u64> {
        let now = ts(Utc::now());
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_err("starting a transaction"))?;
        for subject in subjects {
            let body = serde_json::to_string(subject).map_err(|source| StoreError::Decode {
                what: "subject",
                id: subject.id.to_string(),
                source,
            })?;
            sqlx::query(
                "INSERT INTO subjects (id, kind, name, body, updated_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name,
                 body = excluded.body, updated_at = excluded.updated_at",
            )
            .bind(subject.id.as_str())
            .bind(subject.kind.as_str())
            .bind(subject.name.full.as_str())
            .bind(body)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(query_err("storing a subject"))?;
            sqlx::query("DELETE FROM identifiers WHERE subject_id = $1")
                .bind(subject.id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(query_err("replacing identifiers"))?;
            for identifier in &subject.identifiers {
                sqlx::query(
                    "INSERT INTO identifiers (kind, value, subject_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(identifier.kind().as_str())
                .bind(identifier.value())
                .bind(subject.id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(query_err("storing an identifier"))?;
            }
        }
        tx.commit()
            .await
            .map_err(query_err("committing subjects"))?;
        self.attribute_events().await?;
        Ok(subjects.len() as u64)
    }

    /// Stores events; an event whose id is already stored is skipped (idempotent re-ingest). Each new
    /// event is attributed to the subject that claims one of its identifiers, if any.
    pub async fn insert_events(&self, events: &[Event]) -> Result<EventInsert> {
        let mut outcome = EventInsert::default();
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_err("starting a transaction"))?;
        for event in events {
            let body = serde_json::to_string(event).map_err(|source| StoreError::Decode {
                what: "event",
                id: event.id.as_str().to_string(),
                source,
            })?;
            let result = sqlx::query(
                "INSERT INTO events (id, time, kind, subject_id, body) VALUES ($1, $2, $3, NULL, $4)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(event.id.as_str())
            .bind(ts(event.time))
            .bind(event.kind.name())
            .bind(body)
            .execute(&mut *tx)
            .await
            .map_err(query_err("storing an event"))?;
            if result.rows_affected() == 0 {
                outcome.duplicates += 1;
                continue;
            }
            outcome.inserted += 1;
            for identifier in &event.identifiers {
                sqlx::query(
                    "INSERT INTO event_identifiers (event_id, kind, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(event.id.as_str())
                .bind(identifier.kind().as_str())
                .bind(identifier.value())
                .execute(&mut *tx)
                .await
                .map_err(query_err("storing an event identifier"))?;
            }
        }
        tx.commit().await.map_err(query_err("committing events"))?;
        self.attribute_events().await?;
        Ok(outcome)
    }

    /// Attributes every unattributed event whose identifiers a subject claims. When two subjects claim
    /// the same identifier the lowest subject id wins the attribution; the shared claim itself is
    /// evidence for linkage, which reads the identifiers table, not this column.
    pub async fn attribute_events(&self) -> Result<u64> {
        let result = sqlx::query(
            "UPDATE events SET subject_id = (
                 SELECT MIN(i.subject_id) FROM event_identifiers ei
                 JOIN identifiers i ON i.kind = ei.kind AND i.value = ei.value
                 WHERE ei.event_id = events.id)
             WHERE subject_id IS NULL AND EXISTS (
                 SELECT 1 FROM event_identifiers ei
                 JOIN identifiers i ON i.kind = ei.kind AND i.value = ei.value
                 WHERE ei.event_id = events.id)",
        )
        .execute(&self.pool)
        .await
        .map_err(query_err("attributing events"))?;
        Ok(result.rows_affected())
    }

    /// Every subject, in id order.
    pub async fn subjects(&self) -> Result<Vec<Subject>> {
        let rows = sqlx::query("SELECT id, body FROM subjects ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(query_err("reading subjects"))?;
        rows.iter().map(|row| decode(row, "subject")).collect()
    }

    /// One subject.
    pub async fn subject(&self, id: &SubjectId) -> Result<Option<Subject>> {
        let row = sqlx::query("SELECT id, body FROM subjects WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(query_err("reading a subject"))?;
        row.as_ref().map(|row| decode(row, "subject")).transpose()
    }

    /// Every attributed event, ordered by subject and time (the order the enrichers want).
    pub async fn attributed_events(&self) -> Result<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT id, subject_id, body FROM events WHERE subject_id IS NOT NULL ORDER BY subject_id, time, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("reading events"))?;
        rows.iter()
            .map(|row| {
                let mut event: Event = decode(row, "event")?;
                let subject: String = row
                    .try_get("subject_id")
                    .map_err(query_err("reading events"))?;
                event.subject = Some(SubjectId::from_stored(subject));
                Ok(event)
            })
            .collect()
    }

    /// Replaces all facts of the given subjects with `facts`.
    pub async fn replace_facts(&self, subjects: &[SubjectId], facts: &[Fact]) -> Result<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_err("starting a transaction"))?;
        for subject in subjects {
            sqlx::query("DELETE FROM facts WHERE subject_id = $1")
                .bind(subject.as_str())
                .execute(&mut *tx)
                .await
                .map_err(query_err("clearing facts"))?;
        }
        for fact in facts {
            let value =
                serde_json::to_string(&fact.value).map_err(|source| StoreError::Decode {
                    what: "fact",
                    id: fact.name.clone(),
                    source,
                })?;
            let evidence =
                serde_json::to_string(&fact.evidence).map_err(|source| StoreError::Decode {
                    what: "fact",
                    id: fact.name.clone(),
                    source,
                })?;
            sqlx::query(
                "INSERT INTO facts (subject_id, name, value, evidence) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (subject_id, name) DO UPDATE SET value = excluded.value, evidence = excluded.evidence",
            )
            .bind(fact.subject.as_str())
            .bind(&fact.name)
            .bind(value)
            .bind(evidence)
            .execute(&mut *tx)
            .await
            .map_err(query_err("storing a fact"))?;
        }
        tx.commit().await.map_err(query_err("committing facts"))
    }

    /// Inserts or replaces assessments.
    pub async fn save_assessments(&self, assessments: &[Assessment]) -> Result<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_err("starting a transaction"))?;
        for assessment in assessments {
            let body = serde_json::to_string(assessment).map_err(|source| StoreError::Decode {
                what: "assessment",
                id: assessment.subject.to_string(),
                source,
            })?;
            sqlx::query(
                "INSERT INTO assessments (subject_id, score, log_odds, level, ring_id, body, assessed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (subject_id) DO UPDATE SET score = excluded.score, log_odds = excluded.log_odds,
                 level = excluded.level, ring_id = excluded.ring_id, body = excluded.body,
                 assessed_at = excluded.assessed_at",
            )
            .bind(assessment.subject.as_str())
            .bind(assessment.score)
            .bind(assessment.log_odds)
            .bind(assessment.level.as_str())
            .bind(assessment.ring.as_ref().map(|r| r.0.clone()))
            .bind(body)
            .bind(ts(assessment.assessed_at))
            .execute(&mut *tx)
            .await
            .map_err(query_err("storing an assessment"))?;
        }
        tx.commit()
            .await
            .map_err(query_err("committing assessments"))
    }

    /// Assessments at or above `min_level`, highest score first, at most `limit`.
    pub async fn assessments(&self, min_level: RiskLevel, limit: i64) -> Result<Vec<Assessment>> {
        let levels: Vec<&str> = [
            RiskLevel::Low,
            RiskLevel::Medium,
            RiskLevel::High,
            RiskLevel::Critical,
        ]
        .into_iter()
        .filter(|l| *l >= min_level)
        .map(RiskLevel::as_str)
        .collect();
        // The level list is built from our own enum, never from input, so it is safe to inline.
        let in_list = levels
            .iter()
            .map(|l| format!("'{l}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT subject_id AS id, body FROM assessments WHERE level IN ({in_list})
             ORDER BY score DESC, subject_id LIMIT $1"
        );
        let rows = sqlx::query(&sql)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(query_err("reading assessments"))?;
        rows.iter().map(|row| decode(row, "assessment")).collect()
    }

    /// Replaces all rings.
    pub async fn replace_rings(&self, rings: &[Ring]) -> Result<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_err("starting a transaction"))?;
        sqlx::query("DELETE FROM rings")
            .execute(&mut *tx)
            .await
            .map_err(query_err("clearing rings"))?;
        for ring in rings {
            let body = serde_json::to_string(ring).map_err(|source| StoreError::Decode {
                what: "ring",
                id: ring.id.0.clone(),
                source,
            })?;
            sqlx::query("INSERT INTO rings (id, size, score, body) VALUES ($1, $2, $3, $4)")
                .bind(&ring.id.0)
                .bind(ring.members.len() as i64)
                .bind(ring.score)
                .bind(body)
                .execute(&mut *tx)
                .await
                .map_err(query_err("storing a ring"))?;
        }
        tx.commit().await.map_err(query_err("committing rings"))
    }

    /// Every ring, largest first.
    pub async fn rings(&self) -> Result<Vec<Ring>> {
        let rows = sqlx::query("SELECT id, body FROM rings ORDER BY size DESC, score DESC, id")
            .fetch_all(&self.pool)
            .await
            .map_err(query_err("reading rings"))?;
        rows.iter().map(|row| decode(row, "ring")).collect()
    }

    /// Counts of everything stored.
    pub async fn counts(&self) -> Result<Counts> {
        let count = |sql: &'static str| {
            let pool = self.pool.clone();
            async move {
                let row = sqlx::query(sql)
                    .fetch_one(&pool)
                    .await
                    .map_err(query_err("counting records"))?;
                row.try_get::<i64, _>(0)
                    .map_err(query_err("counting records"))
            }
        };
        Ok(Counts {
            subjects: count("SELECT COUNT(*) FROM subjects").await?,
            events: count("SELECT COUNT(*) FROM events").await?,
            unattributed_events: count("SELECT COUNT(*) FROM events WHERE subject_id IS NULL")
                .await?,
            facts: count("SELECT COUNT(*) FROM facts").await?,
            assessments: count("SELECT COUNT(*) FROM assessments").await?,
            rings: count("SELECT COUNT(*) FROM rings").await?,
        })
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    row: &sqlx::any::AnyRow,
    what: &'static str,
) -> Result<T> {
    let id: String = row.try_get("id").map_err(query_err("decoding a row"))?;
    let body: String = row.try_get("body").map_err(query_err("decoding a row"))?;
    serde_json::from_str(&body).map_err(|source| StoreError::Decode { what, id, source })
}

/// Hides a password in a database URL before it is shown in an error.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://rf:secret@db/redflag"),
            "postgres://rf:***@db/redflag"
        );
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
