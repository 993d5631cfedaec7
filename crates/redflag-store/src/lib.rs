//! Persistence for redflag: subjects, identifiers, events, facts, assessments and rings.
//!
//! One code path serves both databases: queries go through sqlx's `Any` driver with portable SQL
//! (`$1` placeholders, `ON CONFLICT`), so the embedded SQLite file that a small team gets with nothing to
//! install and the PostgreSQL that a marketplace scales out on run the same repository functions.
//! Records are stored as their serde JSON next to the columns that are queried, so what is read back is
//! exactly what was written. Events, the one table that grows to millions of rows, are keyed by a
//! 64-bit integer taken from their hash id and keep a compact body without the columns (migration 0004,
//! `events.rs`), so a bulk load appends rows and writes two small indexes per event.
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

mod assets;
mod audit;
mod auth;
mod cases;
pub mod console_queries;
mod events;
mod jobs;
mod privacy;
pub mod testing;
mod versions;

use std::path::{Path, PathBuf};

pub use audit::{AuditRecord, AuditVerdict, GENESIS_HASH, record_hash};
pub use auth::{ApiToken, SessionRecord, User, secret_hash};
pub use cases::{Case, CaseComment, CaseFilter, CaseTarget, Decision, DecisionRecord};
pub use events::event_key;
pub use jobs::{Alert, Job, JobStatus, NewJob};
pub use privacy::{ErasureCounts, RetentionCounts, SubjectExport};
pub use versions::{ListVersion, RulePackVersion};

use chrono::{DateTime, SecondsFormat, Utc};
use redflag_model::{Assessment, Fact, Ring, RiskLevel, Subject, SubjectId};
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
    /// No such record.
    #[error("no {what} {id}")]
    NotFound {
        /// The record type.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The record exists already.
    #[error("{what} {id} exists already")]
    Conflict {
        /// The record type.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// SQLite kept its journal mode (another connection has the database open).
    #[error(
        "the SQLite journal stayed in {got} mode instead of {wanted}: is another process using the database?"
    )]
    JournalMode {
        /// The mode asked for.
        wanted: &'static str,
        /// The mode the database kept.
        got: String,
    },
    /// A bulk read through a SQLite connection of its own failed.
    #[error("cannot read {action} from the SQLite database {path}: {source}")]
    SqliteRead {
        /// What was read.
        action: &'static str,
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The runtime shut down while the store was working.
    #[error("the store stopped while {action}")]
    Stopped {
        /// What the store was doing.
        action: &'static str,
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

pub(crate) fn query_err(action: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { action, source }
}

/// The file of a SQLite URL, or none when the database lives in memory (a second connection would
/// see another, empty database) or the URL is not one sqlx's SQLite driver reads.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    use std::str::FromStr;
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    let text = file.to_string_lossy();
    let in_memory = text.is_empty()
        || text == ":memory:"
        || text.starts_with("file:")
        || url.contains("mode=memory");
    (!in_memory).then(|| file.to_path_buf())
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
    /// The database file of a SQLite store (none in memory or on PostgreSQL), which bulk reads open
    /// a connection of their own to.
    sqlite_file: Option<PathBuf>,
}

/// Formats a time as the fixed-width RFC 3339 text the tables store (sorts and compares as text).
pub fn ts(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Pragmas set on every SQLite connection.
const SQLITE_PRAGMAS: [&str; 8] = [
    // 16 KiB pages for a new database (an existing one keeps its size): shallower b-trees and fewer
    // WAL frames per event batch; bulk_write stores events ~25 % faster than with 4 KiB pages.
    "PRAGMA page_size = 16384",
    "PRAGMA journal_mode = WAL",
    // Checkpoint every 64 MiB of WAL (4,096 pages of 16 KiB) rather than every 1,000 pages: an index
    // page rewritten by many batches is copied back once. Durability is unchanged: synchronous =
    // NORMAL in WAL mode, so a commit survives a crash of the process (kill -9) and a power loss may
    // lose the last commits but never corrupts the database.
    "PRAGMA wal_autocheckpoint = 4096",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 10000",
    // Bulk ingest: temporary b-trees in memory and a 128 MiB page cache, so that index inserts of a
    // million-event load stay in memory.
    "PRAGMA temp_store = MEMORY",
    "PRAGMA cache_size = -131072",
];

/// The indexes only reads use (name, definition after the name), as the latest migration defines
/// them: [`Store::begin_bulk_load`] drops them for a bulk load.
const READ_INDEXES: [(&str, &str); 1] = [(
    "events_subject_time",
    "ON events(subject_id, time) WHERE subject_id IS NOT NULL",
)];

/// Subjects per multi-row statement (5 parameters each).
const SUBJECT_CHUNK: usize = 500;
/// Facts per statement (4 parameters each).
const FACT_CHUNK: usize = 1000;
/// Assessments per statement (7 parameters each).
const ASSESSMENT_CHUNK: usize = 300;
/// Rows of three or four parameters per statement.
const ROW_CHUNK: usize = 1000;

/// `$first, $first+1, …` (`count` placeholders).
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `count` parameter marks numbered from `first`: `$first, …` on PostgreSQL, bare `?` on SQLite.
/// SQLite looks a numbered parameter's name up by a linear scan (`sqlite3_bind_parameter_name`), so a
/// 2,500-parameter statement with `$N` marks spends most of its time binding; `?` marks have no name.
/// A statement must use one style throughout.
pub(crate) fn marks(backend: Backend, first: usize, count: usize) -> String {
    match backend {
        Backend::Postgres => placeholders(first, count),
        Backend::Sqlite => vec!["?"; count].join(", "),
    }
}

/// `($1, $2), ($3, $4), …` (or `(?, ?), …` on SQLite) for `rows` rows of `cols` columns.
pub(crate) fn rows_clause(backend: Backend, rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", marks(backend, r * cols + 1, cols)))
        .collect::<Vec<_>>()
        .join(", ")
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
        let mut options =
            AnyPoolOptions::new().max_connections(if backend == Backend::Sqlite { 1 } else { 16 });
        if backend == Backend::Sqlite {
            // Set on every connection the pool opens (it replaces idle or old ones), not once.
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    for pragma in SQLITE_PRAGMAS {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            });
        }
        let pool = options
            .connect(url)
            .await
            .map_err(|source| StoreError::Open {
                url: shown_url.clone(),
                source,
            })?;
        if backend == Backend::Sqlite {
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        } else {
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        }
        let sqlite_file = match backend {
            Backend::Sqlite => sqlite_file(url),
            Backend::Postgres => None,
        };
        let store = Self {
            pool,
            backend,
            sqlite_file,
        };
        // A bulk load that stopped before its end left its read indexes dropped: build them again.
        store.restore_read_indexes().await?;
        Ok(store)
    }

    /// Prepares the store for one large load (millions of events into an empty or disposable store):
    /// drops the indexes only reads use (an attributed event's place in its subject's time line) so
    /// that they are built once by sorting at the end instead of kept in order through every insert,
    /// and on SQLite keeps the rollback journal in memory without syncing, so pages are written once
    /// instead of to the WAL and back. Writes, idempotent re-ingest and attribution need neither.
    ///
    /// Until [`Store::end_bulk_load`], a crash of the process can leave a SQLite database corrupt:
    /// use it only on a store that can be rebuilt from its inputs (the demo starts from an empty one).
    /// Reads still answer during the load, by scanning. Opening the store builds missing read indexes,
    /// so a load that stops half-way leaves no index missing after a restart.
    pub async fn begin_bulk_load(&self) -> Result<()> {
        for (name, _) in READ_INDEXES {
            sqlx::query(&format!("DROP INDEX IF EXISTS {name}"))
                .execute(&self.pool)
                .await
                .map_err(query_err("dropping a read index"))?;
        }
        if self.backend == Backend::Sqlite {
            self.sqlite_journal("memory", "OFF").await?;
        }
        Ok(())
    }

    /// Ends [`Store::begin_bulk_load`]: builds the read indexes and, on SQLite, returns to the WAL
    /// journal with `synchronous = NORMAL` (the store's durable setting).
    pub async fn end_bulk_load(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            self.sqlite_journal("wal", "NORMAL").await?;
        }
        self.restore_read_indexes().await
    }

    /// Sets SQLite's journal mode and synchronous level; fails when the journal mode does not change
    /// (another connection holds the database).
    async fn sqlite_journal(&self, mode: &'static str, synchronous: &str) -> Result<()> {
        // One connection for both pragmas: the pool may hold others.
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(query_err("changing the journal mode"))?;
        let set: String = sqlx::query_scalar(&format!("PRAGMA journal_mode = {mode}"))
            .fetch_one(&mut *conn)
            .await
            .map_err(query_err("changing the journal mode"))?;
        if !set.eq_ignore_ascii_case(mode) {
            return Err(StoreError::JournalMode {
                wanted: mode,
                got: set,
            });
        }
        sqlx::query(&format!("PRAGMA synchronous = {synchronous}"))
            .execute(&mut *conn)
            .await
            .map_err(query_err("changing the synchronous level"))?;
        Ok(())
    }

    /// Builds the read indexes [`Store::begin_bulk_load`] dropped. Each is looked up in the catalogue
    /// first: on PostgreSQL even `CREATE INDEX IF NOT EXISTS` locks the table against writes, which a
    /// server or worker starting beside a long ingest would wait behind.
    async fn restore_read_indexes(&self) -> Result<()> {
        let exists = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = $1"
            }
            Backend::Postgres => "SELECT COUNT(*) FROM pg_indexes WHERE indexname = $1",
        };
        for (name, definition) in READ_INDEXES {
            let found: i64 = sqlx::query_scalar(exists)
                .bind(name)
                .fetch_one(&self.pool)
                .await
                .map_err(query_err("looking a read index up"))?;
            if found == 0 {
                sqlx::query(&format!("CREATE INDEX IF NOT EXISTS {name} {definition}"))
                    .execute(&self.pool)
                    .await
                    .map_err(query_err("building a read index"))?;
            }
        }
        Ok(())
    }

    /// Connects without migrating (test databases are created through it).
    /// A transaction on the store's pool.
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        self.pool
            .begin()
            .await
            .map_err(query_err("starting a transaction"))
    }

    pub(crate) async fn connect_only(url: &str) -> Result<AnyPool> {
        install_default_drivers();
        AnyPoolOptions::new()
            .max_connections(1)
            .connect(url)
            .await
            .map_err(|source| StoreError::Open {
                url: redact(url),
                source,
            })
    }

    /// Closes the pool (waits for connections to finish).
    pub async fn close(&self) {
        self.pool.close().await;
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
    /// Writes are multi-row statements in one transaction; when a batch names a subject twice, the last
    /// occurrence wins. Returns the number of subjects given.
    pub async fn upsert_subjects(&self, subjects: &[Subject]) -> Result<u64> {
        let now = ts(Utc::now());
        // Last occurrence of each id wins (one statement may not update a row twice on PostgreSQL).
        let unique = last_per_key(subjects, |s| s.id.as_str());
        let mut tx = self.begin().await?;
        for chunk in unique.chunks(SUBJECT_CHUNK) {
            let mut bodies = Vec::with_capacity(chunk.len());
            for subject in chunk {
                bodies.push(serde_json::to_string(subject).map_err(|source| {
                    StoreError::Decode {
                        what: "subject",
                        id: subject.id.to_string(),
                        source,
                    }
                })?);
            }
            let sql = format!(
                "INSERT INTO subjects (id, kind, name, body, updated_at) VALUES {}
                 ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name,
                 body = excluded.body, updated_at = excluded.updated_at",
                rows_clause(self.backend, chunk.len(), 5)
            );
            let mut query = sqlx::query(&sql);
            for (subject, body) in chunk.iter().zip(bodies) {
                query = query
                    .bind(subject.id.as_str())
                    .bind(subject.kind.as_str())
                    .bind(subject.name.full.as_str())
                    .bind(body)
                    .bind(&now);
            }
            query
                .execute(&mut *tx)
                .await
                .map_err(query_err("storing subjects"))?;

            let sql = format!(
                "DELETE FROM identifiers WHERE subject_id IN ({})",
                marks(self.backend, 1, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for subject in chunk {
                query = query.bind(subject.id.as_str());
            }
            query
                .execute(&mut *tx)
                .await
                .map_err(query_err("replacing identifiers"))?;

            let rows: Vec<(&str, &'static str, String)> = chunk
                .iter()
                .flat_map(|s| {
                    s.identifiers
                        .iter()
                        .map(|i| (s.id.as_str(), i.kind().as_str(), i.value()))
                })
                .collect();
            for part in rows.chunks(ROW_CHUNK) {
                let sql = format!(
                    "INSERT INTO identifiers (kind, value, subject_id) VALUES {} ON CONFLICT DO NOTHING",
                    rows_clause(self.backend, part.len(), 3)
                );
                let mut query = sqlx::query(&sql);
                for (subject, kind, value) in part {
                    query = query.bind(*kind).bind(value.as_str()).bind(*subject);
                }
                query
                    .execute(&mut *tx)
                    .await
                    .map_err(query_err("storing identifiers"))?;
            }
            // Events stored before their owner arrived are attributed now.
            let ids: Vec<&str> = chunk.iter().map(|s| s.id.as_str()).collect();
            let filter = format!("i.subject_id IN ({})", marks(self.backend, 1, ids.len()));
            Self::attribute_events_where(&mut *tx, &filter, &ids).await?;
        }
        tx.commit()
            .await
            .map_err(query_err("committing subjects"))?;
        Ok(subjects.len() as u64)
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

    /// A page of subjects in id order: those after `after` (exclusive), at most `limit`.
    pub async fn subjects_page(&self, after: Option<&str>, limit: i64) -> Result<Vec<Subject>> {
        let rows = sqlx::query("SELECT id, body FROM subjects WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after.unwrap_or(""))
            .bind(limit.clamp(1, 10_000))
            .fetch_all(&self.pool)
            .await
            .map_err(query_err("reading subjects"))?;
        rows.iter().map(|row| decode(row, "subject")).collect()
    }

    /// One subject's assessment.
    pub async fn assessment(&self, id: &SubjectId) -> Result<Option<Assessment>> {
        let row =
            sqlx::query("SELECT subject_id AS id, body FROM assessments WHERE subject_id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(query_err("reading an assessment"))?;
        row.as_ref()
            .map(|row| decode(row, "assessment"))
            .transpose()
    }

    /// One ring.
    pub async fn ring(&self, id: &str) -> Result<Option<Ring>> {
        let row = sqlx::query("SELECT id, body FROM rings WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_err("reading a ring"))?;
        row.as_ref().map(|row| decode(row, "ring")).transpose()
    }

    /// Subjects whose latest assessment fired `rule_id`.
    pub async fn subjects_with_finding(&self, rule_id: &str, limit: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT subject_id FROM findings WHERE rule_id = $1 ORDER BY subject_id LIMIT $2",
        )
        .bind(rule_id)
        .bind(limit.clamp(1, 100_000))
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("reading findings"))?;
        rows.iter()
            .map(|row| row.try_get(0).map_err(query_err("reading findings")))
            .collect()
    }

    /// Replaces all facts of the given subjects with `facts` (multi-row writes in one transaction; a
    /// fact named twice for one subject keeps the last value).
    pub async fn replace_facts(&self, subjects: &[SubjectId], facts: &[Fact]) -> Result<()> {
        let mut tx = self.begin().await?;
        for chunk in subjects.chunks(ROW_CHUNK) {
            let sql = format!(
                "DELETE FROM facts WHERE subject_id IN ({})",
                marks(self.backend, 1, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for subject in chunk {
                query = query.bind(subject.as_str());
            }
            query
                .execute(&mut *tx)
                .await
                .map_err(query_err("clearing facts"))?;
        }
        let mut last: std::collections::HashMap<(&str, &str), usize> =
            std::collections::HashMap::new();
        for (i, fact) in facts.iter().enumerate() {
            last.insert((fact.subject.as_str(), fact.name.as_str()), i);
        }
        let mut rows = Vec::with_capacity(last.len());
        for (i, fact) in facts.iter().enumerate() {
            if last.get(&(fact.subject.as_str(), fact.name.as_str())) != Some(&i) {
                continue;
            }
            let encode = |value: std::result::Result<String, serde_json::Error>| {
                value.map_err(|source| StoreError::Decode {
                    what: "fact",
                    id: fact.name.clone(),
                    source,
                })
            };
            let value = encode(serde_json::to_string(&fact.value))?;
            let evidence = encode(serde_json::to_string(&fact.evidence))?;
            rows.push((fact.subject.as_str(), fact.name.as_str(), value, evidence));
        }
        for part in rows.chunks(FACT_CHUNK) {
            let sql = format!(
                "INSERT INTO facts (subject_id, name, value, evidence) VALUES {}
                 ON CONFLICT (subject_id, name) DO UPDATE SET value = excluded.value, evidence = excluded.evidence",
                rows_clause(self.backend, part.len(), 4)
            );
            let mut query = sqlx::query(&sql);
            for (subject, name, value, evidence) in part {
                query = query
                    .bind(*subject)
                    .bind(*name)
                    .bind(value.as_str())
                    .bind(evidence.as_str());
            }
            query
                .execute(&mut *tx)
                .await
                .map_err(query_err("storing facts"))?;
        }
        tx.commit().await.map_err(query_err("committing facts"))
    }

    /// Inserts or replaces assessments, and the per-rule findings index (`findings` table) that
    /// answers "who fired rule X". A subject assessed twice in one batch keeps the last assessment.
    pub async fn save_assessments(&self, assessments: &[Assessment]) -> Result<()> {
        let unique = last_per_key(assessments, |a| a.subject.as_str());
        let mut tx = self.begin().await?;
        for chunk in unique.chunks(ASSESSMENT_CHUNK) {
            let mut bodies = Vec::with_capacity(chunk.len());
            for assessment in chunk {
                bodies.push(serde_json::to_string(assessment).map_err(|source| {
                    StoreError::Decode {
                        what: "assessment",
                        id: assessment.subject.to_string(),
                        source,
                    }
                })?);
            }
            let sql = format!(
                "INSERT INTO assessments (subject_id, score, log_odds, level, ring_id, body, assessed_at)
                 VALUES {}
                 ON CONFLICT (subject_id) DO UPDATE SET score = excluded.score, log_odds = excluded.log_odds,
                 level = excluded.level, ring_id = excluded.ring_id, body = excluded.body,
                 assessed_at = excluded.assessed_at",
                rows_clause(self.backend, chunk.len(), 7)
            );
            let mut query = sqlx::query(&sql);
            for (assessment, body) in chunk.iter().zip(bodies) {
                query = query
                    .bind(assessment.subject.as_str())
                    .bind(assessment.score)
                    .bind(assessment.log_odds)
                    .bind(assessment.level.as_str())
                    .bind(assessment.ring.as_ref().map(|r| r.0.clone()))
                    .bind(body)
                    .bind(ts(assessment.assessed_at));
            }
            query
                .execute(&mut *tx)
                .await
                .map_err(query_err("storing assessments"))?;
            let sql = format!(
                "DELETE FROM findings WHERE subject_id IN ({})",
                marks(self.backend, 1, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for assessment in chunk {
                query = query.bind(assessment.subject.as_str());
            }
            query
                .execute(&mut *tx)
                .await
                .map_err(query_err("clearing findings"))?;
            let mut seen = std::collections::HashSet::new();
            let rows: Vec<(&str, &str, &'static str, f64)> = chunk
                .iter()
                .flat_map(|a| a.findings.iter())
                .filter(|f| seen.insert((f.subject.as_str(), f.rule_id.as_str())))
                .map(|f| {
                    (
                        f.subject.as_str(),
                        f.rule_id.as_str(),
                        f.severity.as_str(),
                        f.weight,
                    )
                })
                .collect();
            for part in rows.chunks(ROW_CHUNK) {
                let sql = format!(
                    "INSERT INTO findings (subject_id, rule_id, severity, weight) VALUES {}",
                    rows_clause(self.backend, part.len(), 4)
                );
                let mut query = sqlx::query(&sql);
                for (subject, rule, severity, weight) in part {
                    query = query
                        .bind(*subject)
                        .bind(*rule)
                        .bind(*severity)
                        .bind(*weight);
                }
                query
                    .execute(&mut *tx)
                    .await
                    .map_err(query_err("storing findings"))?;
            }
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
        let mut tx = self.begin().await?;
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
        let events = count("SELECT COUNT(*) FROM events").await?;
        // Counted through the partial index of attributed events (unattributed ones have none).
        let attributed = count("SELECT COUNT(*) FROM events WHERE subject_id IS NOT NULL").await?;
        Ok(Counts {
            subjects: count("SELECT COUNT(*) FROM subjects").await?,
            events,
            unattributed_events: (events - attributed).max(0),
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

/// The items whose key does not occur again later in `items`, in order: the last occurrence of each
/// key wins, since one multi-row statement may not touch a row twice.
fn last_per_key<'a, T>(items: &'a [T], key: impl Fn(&'a T) -> &'a str) -> Vec<&'a T> {
    let mut last: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, item) in items.iter().enumerate() {
        last.insert(key(item), i);
    }
    items
        .iter()
        .enumerate()
        .filter(|(i, item)| last.get(key(item)) == Some(i))
        .map(|(_, item)| item)
        .collect()
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

    #[test]
    fn only_a_sqlite_file_is_opened_again_for_bulk_reads() {
        use std::path::PathBuf;
        assert_eq!(
            super::sqlite_file("sqlite:///data/redflag.db?mode=rwc"),
            Some(PathBuf::from("/data/redflag.db"))
        );
        assert_eq!(
            super::sqlite_file("sqlite://redflag.db"),
            Some(PathBuf::from("redflag.db"))
        );
        for memory in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://?mode=memory",
            "sqlite://x.db?mode=memory",
        ] {
            assert_eq!(super::sqlite_file(memory), None, "{memory}");
        }
    }
}
