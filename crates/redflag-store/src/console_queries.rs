//! Read queries of the analyst console (`redflag-server`'s `console` module): one page of subjects
//! under filters with keyset pagination, one subject's assessment, facts, events and linked personas,
//! counts for the overview and per-rule hit counts.
//!
//! Every list query is keyset-paginated (`WHERE (key, id) < (last key, last id) ORDER BY key, id LIMIT n`)
//! over an index that [`Store::ensure_console_indexes`] creates, so page 5 000 costs what page 1 costs
//! at a million subjects. Kept apart from the store's write paths on purpose: nothing here writes data.

use redflag_model::{Assessment, Event, Ring, SubjectId};
use sqlx::Row;

use crate::{Result, Store, StoreError, decode, query_err};

/// Indexes the console's queries rely on (idempotent; both databases accept this SQL).
const CONSOLE_INDEXES: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS console_assessments_score ON assessments(score, subject_id)",
    "CREATE INDEX IF NOT EXISTS console_assessments_level ON assessments(level, score, subject_id)",
    "CREATE INDEX IF NOT EXISTS console_assessments_ring ON assessments(ring_id, score)",
    "CREATE INDEX IF NOT EXISTS console_assessments_recent ON assessments(assessed_at, subject_id)",
    "CREATE INDEX IF NOT EXISTS console_subjects_name ON subjects(lower(name), id)",
    "CREATE INDEX IF NOT EXISTS console_identifiers_value ON identifiers(value)",
    "CREATE INDEX IF NOT EXISTS console_findings_rule ON findings(rule_id, subject_id)",
];

/// How a subject list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubjectSort {
    /// Highest score first (ties: id descending).
    #[default]
    ScoreDesc,
    /// Lowest score first.
    ScoreAsc,
    /// Name A→Z (case-insensitive; ties: id).
    Name,
    /// Most recently assessed first.
    Recent,
}

impl SubjectSort {
    /// Parses `score`, `score_asc`, `name`, `recent`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | "score" => Some(Self::ScoreDesc),
            "score_asc" => Some(Self::ScoreAsc),
            "name" => Some(Self::Name),
            "recent" => Some(Self::Recent),
            _ => None,
        }
    }

    /// The query-string name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ScoreDesc => "score",
            Self::ScoreAsc => "score_asc",
            Self::Name => "name",
            Self::Recent => "recent",
        }
    }

    /// (sort expression, descending?) — expressions are ours, never input.
    fn key(self) -> (&'static str, bool) {
        match self {
            Self::ScoreDesc => ("a.score", true),
            Self::ScoreAsc => ("a.score", false),
            Self::Name => ("lower(s.name)", false),
            Self::Recent => ("a.assessed_at", true),
        }
    }
}

/// Where the next page starts: the sort key and id of the last row shown.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    /// A score.
    Score(f64),
    /// A lower-cased name or a time stamp.
    Text(String),
}

/// Filters of the subject list; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct SubjectFilter {
    /// Exact risk level (`low`, `medium`, `high`, `critical`).
    pub level: Option<String>,
    /// Subjects with a finding of this rule.
    pub rule: Option<String>,
    /// Subjects with a finding of any of these rules (a stage, resolved by the caller from its rule pack).
    pub rules_any: Option<Vec<String>>,
    /// Members of this ring.
    pub ring: Option<String>,
    /// Subjects whose id starts with `source:`.
    pub source: Option<String>,
    /// Subjects with a case in this status (`open`, `decided`).
    pub case_status: Option<String>,
    /// Name prefix (case-insensitive), exact subject id, or exact identifier value.
    pub search: Option<String>,
}

/// One row of the subject list.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectRow {
    /// Subject id.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Applicant, contractor, …
    pub kind: String,
    /// Score in [0, 1].
    pub score: f64,
    /// Risk level.
    pub level: String,
    /// Ring, if any.
    pub ring: Option<String>,
    /// When assessed (RFC 3339).
    pub assessed_at: String,
    /// The lower-cased name (the name sort's key).
    pub name_key: String,
}

impl SubjectRow {
    /// The key a following page starts after.
    pub fn sort_key(&self, sort: SubjectSort) -> SortKey {
        match sort {
            SubjectSort::ScoreDesc | SubjectSort::ScoreAsc => SortKey::Score(self.score),
            SubjectSort::Name => SortKey::Text(self.name_key.clone()),
            SubjectSort::Recent => SortKey::Text(self.assessed_at.clone()),
        }
    }
}

/// A subject linked to another through a shared identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedPersona {
    /// Identifier kind (`email`, `payout_account`, …).
    pub kind: String,
    /// Identifier value.
    pub value: String,
    /// The other subject.
    pub subject_id: String,
    /// Its name.
    pub name: String,
}

/// Bound parameters of a dynamically built query.
enum Param {
    Text(String),
    Float(f64),
    Int(i64),
}

impl Store {
    /// Creates the console's indexes when missing. Cheap when they exist; on a large database that
    /// never had them the first call takes seconds (once).
    pub async fn ensure_console_indexes(&self) -> Result<()> {
        for sql in CONSOLE_INDEXES {
            sqlx::query(sql)
                .execute(&self.pool)
                .await
                .map_err(query_err("creating the console's indexes"))?;
        }
        Ok(())
    }

    /// One page of assessed subjects under `filter`, ordered by `sort`, starting after `after`
    /// (`(key, subject id)` of the previous page's last row), at most `limit` rows.
    pub async fn console_subjects(
        &self,
        filter: &SubjectFilter,
        sort: SubjectSort,
        after: Option<(SortKey, String)>,
        limit: i64,
    ) -> Result<Vec<SubjectRow>> {
        let mut params: Vec<Param> = Vec::new();
        let bind = |p: Param, params: &mut Vec<Param>| {
            params.push(p);
            format!("${}", params.len())
        };
        let mut clauses: Vec<String> = Vec::new();
        if let Some(level) = &filter.level {
            clauses.push(format!(
                "a.level = {}",
                bind(Param::Text(level.clone()), &mut params)
            ));
        }
        if let Some(ring) = &filter.ring {
            clauses.push(format!(
                "a.ring_id = {}",
                bind(Param::Text(ring.clone()), &mut params)
            ));
        }
        if let Some(rule) = &filter.rule {
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM findings f WHERE f.subject_id = a.subject_id AND f.rule_id = {})",
                bind(Param::Text(rule.clone()), &mut params)
            ));
        }
        if let Some(rules) = &filter.rules_any {
            if rules.is_empty() {
                clauses.push("1 = 0".into());
            } else {
                let list: Vec<String> = rules
                    .iter()
                    .map(|r| bind(Param::Text(r.clone()), &mut params))
                    .collect();
                clauses.push(format!(
                    "EXISTS (SELECT 1 FROM findings f WHERE f.subject_id = a.subject_id AND f.rule_id IN ({}))",
                    list.join(", ")
                ));
            }
        }
        if let Some(source) = &filter.source {
            let low = format!("{}:", source.to_lowercase());
            let high = format!("{};", source.to_lowercase());
            let (l, h) = (
                bind(Param::Text(low), &mut params),
                bind(Param::Text(high), &mut params),
            );
            clauses.push(format!("a.subject_id >= {l} AND a.subject_id < {h}"));
        }
        if let Some(status) = &filter.case_status {
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM cases c WHERE c.target_kind = 'subject' AND c.target_id = a.subject_id AND c.status = {})",
                bind(Param::Text(status.clone()), &mut params)
            ));
        }
        if let Some(search) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let lower = search.to_lowercase();
            let upper = format!("{lower}\u{10ffff}");
            let (p_low, p_high, p_exact, p_lexact) = (
                bind(Param::Text(lower.clone()), &mut params),
                bind(Param::Text(upper), &mut params),
                bind(Param::Text(search.to_string()), &mut params),
                bind(Param::Text(lower), &mut params),
            );
            // One candidate set from three index lookups (an OR across them would scan the table).
            clauses.push(format!(
                "a.subject_id IN (SELECT id FROM subjects WHERE lower(name) >= {p_low} AND lower(name) < {p_high}
                  UNION SELECT id FROM subjects WHERE id = {p_exact}
                  UNION SELECT subject_id FROM identifiers WHERE value IN ({p_exact}, {p_lexact}))"
            ));
        }
        let (key, desc) = sort.key();
        if let Some((after_key, after_id)) = after {
            let k = match after_key {
                SortKey::Score(v) => bind(Param::Float(v), &mut params),
                SortKey::Text(t) => bind(Param::Text(t), &mut params),
            };
            let id_col = if sort == SubjectSort::Name {
                "s.id"
            } else {
                "a.subject_id"
            };
            let i = bind(Param::Text(after_id), &mut params);
            let op = if desc { "<" } else { ">" };
            // `key >= k AND (key > k OR id > i)` rather than a row value: every planner turns the first
            // term into an index seek, also on the expression index of the name order.
            let op_eq = if desc { "<=" } else { ">=" };
            clauses.push(format!(
                "{key} {op_eq} {k} AND ({key} {op} {k} OR {id_col} {op} {i})"
            ));
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let dir = if desc { "DESC" } else { "ASC" };
        let id_col = if sort == SubjectSort::Name {
            "s.id"
        } else {
            "a.subject_id"
        };
        let limit_param = bind(Param::Int(limit.clamp(1, 500)), &mut params);
        let sql = format!(
            "SELECT a.subject_id, s.name, s.kind, a.score, a.level, a.ring_id, a.assessed_at, lower(s.name) AS name_key
             FROM assessments a JOIN subjects s ON s.id = a.subject_id
             {where_sql}
             ORDER BY {key} {dir}, {id_col} {dir}
             LIMIT {limit_param}"
        );
        let mut query = sqlx::query(&sql);
        for p in params {
            query = match p {
                Param::Text(t) => query.bind(t),
                Param::Float(f) => query.bind(f),
                Param::Int(i) => query.bind(i),
            };
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(query_err("listing subjects for the console"))?;
        let err = || query_err("reading the console's subject list");
        rows.iter()
            .map(|row| {
                Ok(SubjectRow {
                    id: row.try_get(0).map_err(err())?,
                    name: row.try_get(1).map_err(err())?,
                    kind: row.try_get(2).map_err(err())?,
                    score: row.try_get(3).map_err(err())?,
                    level: row.try_get(4).map_err(err())?,
                    ring: row.try_get(5).map_err(err())?,
                    assessed_at: row.try_get(6).map_err(err())?,
                    name_key: row.try_get(7).map_err(err())?,
                })
            })
            .collect()
    }

    /// The rule ids that fired for each of `subjects` (for the list's "top findings" column), heaviest
    /// first.
    pub async fn console_rules_of(&self, subjects: &[String]) -> Result<Vec<(String, String)>> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT subject_id, rule_id FROM findings WHERE subject_id IN ({}) ORDER BY subject_id, weight DESC, rule_id",
            crate::placeholders(1, subjects.len())
        );
        let mut query = sqlx::query(&sql);
        for s in subjects {
            query = query.bind(s.as_str());
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(query_err("reading findings of a page"))?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get(0).map_err(query_err("reading findings"))?,
                    row.try_get(1).map_err(query_err("reading findings"))?,
                ))
            })
            .collect()
    }

    /// Assessments of several subjects (ring members), in no particular order.
    pub async fn console_assessments_of(&self, subjects: &[SubjectId]) -> Result<Vec<Assessment>> {
        self.bodies_by_id(
            "SELECT subject_id AS id, body FROM assessments WHERE subject_id",
            subjects,
            "assessment",
        )
        .await
    }

    /// Subjects by id (ring members), in no particular order.
    pub async fn console_subjects_by_id(
        &self,
        ids: &[SubjectId],
    ) -> Result<Vec<redflag_model::Subject>> {
        self.bodies_by_id("SELECT id, body FROM subjects WHERE id", ids, "subject")
            .await
    }

    /// The JSON bodies `select` (a query ending in the id column, before `IN`) finds for `ids`,
    /// asked in chunks that stay under every backend's bound-parameter limit.
    async fn bodies_by_id<T: serde::de::DeserializeOwned>(
        &self,
        select: &str,
        ids: &[SubjectId],
        what: &'static str,
    ) -> Result<Vec<T>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!("{select} IN ({})", crate::placeholders(1, chunk.len()));
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            let rows = query
                .fetch_all(&self.pool)
                .await
                .map_err(query_err("reading rows by id"))?;
            for row in &rows {
                out.push(decode(row, what)?);
            }
        }
        Ok(out)
    }

    /// One subject's facts as `(name, value JSON, evidence JSON)`, by name.
    pub async fn console_facts(&self, subject: &SubjectId) -> Result<Vec<redflag_model::Fact>> {
        let rows = sqlx::query(
            "SELECT name, value, evidence FROM facts WHERE subject_id = $1 ORDER BY name",
        )
        .bind(subject.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("reading facts"))?;
        rows.iter()
            .map(|row| {
                let name: String = row.try_get(0).map_err(query_err("reading facts"))?;
                let value: String = row.try_get(1).map_err(query_err("reading facts"))?;
                let evidence: String = row.try_get(2).map_err(query_err("reading facts"))?;
                let bad = |source| StoreError::Decode {
                    what: "fact",
                    id: name.clone(),
                    source,
                };
                Ok(redflag_model::Fact {
                    subject: subject.clone(),
                    value: serde_json::from_str(&value).map_err(bad)?,
                    evidence: serde_json::from_str(&evidence).map_err(bad)?,
                    name,
                })
            })
            .collect()
    }

    /// One subject's events in time order, at most `limit` (the most recent ones when there are more).
    pub async fn console_events(&self, subject: &SubjectId, limit: i64) -> Result<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT id, time, subject_id, body FROM (SELECT id, time, subject_id, body FROM events
             WHERE subject_id = $1 ORDER BY time DESC, id DESC LIMIT $2) recent ORDER BY time, id",
        )
        .bind(subject.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("reading a subject's events"))?;
        rows.iter().map(crate::events::event_from_row).collect()
    }

    /// Other subjects that claim one of `subject`'s identifiers, at most `limit`.
    pub async fn console_linked(
        &self,
        subject: &SubjectId,
        limit: i64,
    ) -> Result<Vec<LinkedPersona>> {
        let rows = sqlx::query(
            "SELECT i2.kind, i2.value, i2.subject_id, s.name
             FROM identifiers i1
             JOIN identifiers i2 ON i2.kind = i1.kind AND i2.value = i1.value AND i2.subject_id <> i1.subject_id
             JOIN subjects s ON s.id = i2.subject_id
             WHERE i1.subject_id = $1
             ORDER BY i2.kind, i2.value, i2.subject_id LIMIT $2",
        )
        .bind(subject.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("reading linked personas"))?;
        rows.iter()
            .map(|row| {
                let err = || query_err("reading linked personas");
                Ok(LinkedPersona {
                    kind: row.try_get(0).map_err(err())?,
                    value: row.try_get(1).map_err(err())?,
                    subject_id: row.try_get(2).map_err(err())?,
                    name: row.try_get(3).map_err(err())?,
                })
            })
            .collect()
    }

    /// The `limit` highest-scoring rings.
    pub async fn console_top_rings(&self, limit: i64) -> Result<Vec<Ring>> {
        let rows =
            sqlx::query("SELECT id, body FROM rings ORDER BY score DESC, size DESC, id LIMIT $1")
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(query_err("reading rings"))?;
        rows.iter().map(|r| decode(r, "ring")).collect()
    }

    /// How many assessments have each level.
    pub async fn console_level_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut out = Vec::new();
        for level in ["critical", "high", "medium", "low"] {
            let row = sqlx::query("SELECT COUNT(*) FROM assessments WHERE level = $1")
                .bind(level)
                .fetch_one(&self.pool)
                .await
                .map_err(query_err("counting levels"))?;
            out.push((
                level.to_string(),
                row.try_get::<i64, _>(0)
                    .map_err(query_err("counting levels"))?,
            ));
        }
        Ok(out)
    }

    /// The `limit` most recently assessed subjects at high or critical level, newest first.
    pub async fn console_recent_high(&self, limit: i64) -> Result<Vec<SubjectRow>> {
        let mut rows = Vec::new();
        for level in ["critical", "high"] {
            let filter = SubjectFilter {
                level: Some(level.into()),
                ..SubjectFilter::default()
            };
            rows.extend(
                self.console_subjects(&filter, SubjectSort::ScoreDesc, None, limit)
                    .await?,
            );
        }
        rows.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| b.assessed_at.cmp(&a.assessed_at))
        });
        rows.truncate(limit.max(0) as usize);
        Ok(rows)
    }

    /// `(rule id, subjects it fired for)` for every rule that fired.
    pub async fn console_rule_hits(&self) -> Result<Vec<(String, i64)>> {
        let rows =
            sqlx::query("SELECT rule_id, COUNT(*) FROM findings GROUP BY rule_id ORDER BY rule_id")
                .fetch_all(&self.pool)
                .await
                .map_err(query_err("counting rule hits"))?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get(0).map_err(query_err("counting rule hits"))?,
                    row.try_get(1).map_err(query_err("counting rule hits"))?,
                ))
            })
            .collect()
    }

    /// How many cases are in `status`.
    pub async fn console_case_count(&self, status: &str) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM cases WHERE status = $1")
            .bind(status)
            .fetch_one(&self.pool)
            .await
            .map_err(query_err("counting cases"))?;
        row.try_get(0).map_err(query_err("counting cases"))
    }
}

impl Store {
    /// The audit records about one target (`case:12`, `subject:ats:1`), oldest first, at most `limit`.
    pub async fn console_audit_for(
        &self,
        target: &str,
        limit: i64,
    ) -> Result<Vec<crate::AuditRecord>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, target, detail, prev_hash, hash FROM audit_log
             WHERE target = $1 ORDER BY seq LIMIT $2",
        )
        .bind(target)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("reading the audit log"))?;
        rows.iter()
            .map(|row| {
                let err = || query_err("reading the audit log");
                Ok(crate::AuditRecord {
                    seq: row.try_get(0).map_err(err())?,
                    at: row.try_get(1).map_err(err())?,
                    actor: row.try_get(2).map_err(err())?,
                    action: row.try_get(3).map_err(err())?,
                    target: row.try_get(4).map_err(err())?,
                    detail: row.try_get(5).map_err(err())?,
                    prev_hash: row.try_get(6).map_err(err())?,
                    hash: row.try_get(7).map_err(err())?,
                })
            })
            .collect()
    }
}
