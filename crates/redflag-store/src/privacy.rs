//! Data-subject rights and retention: export everything held about a subject, erase it (keeping only the
//! audit record that the erasure happened), and delete what has outlived the retention period.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::{Result, Store, StoreError, query_err, ts};

/// Everything stored about one subject.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectExport {
    /// The subject record.
    pub subject: serde_json::Value,
    /// Events attributed to it.
    pub events: Vec<serde_json::Value>,
    /// Facts computed about it: name → value.
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// Its assessment.
    pub assessment: Option<serde_json::Value>,
    /// Cases about it, with comments and decisions.
    pub cases: Vec<serde_json::Value>,
}

/// What an erasure removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErasureCounts {
    /// Subject rows (0 or 1).
    pub subjects: u64,
    /// Events.
    pub events: u64,
    /// Facts.
    pub facts: u64,
    /// Assessments.
    pub assessments: u64,
    /// Rings dissolved (recomputed by the next link job).
    pub rings: u64,
    /// Cases scrubbed (kept with their decision, text removed).
    pub cases: u64,
}

/// What a retention run removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionCounts {
    /// Events older than the cut-off.
    pub events: u64,
    /// Finished jobs (with their uploaded data) older than the cut-off.
    pub jobs: u64,
    /// Delivered or failed alerts older than the cut-off.
    pub alerts: u64,
    /// Expired sessions.
    pub sessions: u64,
}

const ERASED: &str = "[erased]";

impl Store {
    /// Everything stored about a subject, or `None` when no such subject exists.
    pub async fn export_subject(&self, id: &str) -> Result<Option<SubjectExport>> {
        let e = || query_err("exporting a subject");
        let Some(row) = sqlx::query("SELECT body FROM subjects WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(e())?
        else {
            return Ok(None);
        };
        let parse =
            |text: String| serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        let subject = parse(row.try_get(0).map_err(e())?);
        let events = sqlx::query(
            "SELECT id, time, subject_id, body FROM events WHERE subject_id = $1 ORDER BY time, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(e())?
        .iter()
        .map(|row| {
            crate::events::event_from_row(row)
                .map(|event| serde_json::to_value(event).unwrap_or_default())
        })
        .collect::<Result<Vec<_>>>()?;
        let mut facts = serde_json::Map::new();
        for r in sqlx::query("SELECT name, value FROM facts WHERE subject_id = $1 ORDER BY name")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(e())?
        {
            facts.insert(
                r.try_get(0).map_err(e())?,
                parse(r.try_get(1).map_err(e())?),
            );
        }
        let assessment = sqlx::query("SELECT body FROM assessments WHERE subject_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(e())?
            .map(|r| r.try_get::<String, _>(0).map(parse))
            .transpose()
            .map_err(e())?;
        let mut cases = Vec::new();
        let filter = crate::CaseFilter {
            target_id: Some(id.to_string()),
            limit: Some(10_000),
            ..Default::default()
        };
        for case in self.cases(&filter).await? {
            let comments = self.case_comments(case.id).await?;
            let decisions = self.case_decisions(case.id).await?;
            cases.push(
                serde_json::json!({ "case": case, "comments": comments, "decisions": decisions }),
            );
        }
        Ok(Some(SubjectExport {
            subject,
            events,
            facts,
            assessment,
            cases,
        }))
    }

    /// Erases a subject: its record, identifiers, events, facts, findings and assessment are deleted,
    /// rings it belongs to are dissolved, and cases about it keep their decision but lose their text.
    /// The audit log gains `subject.erase` with the counts and nothing else.
    pub async fn erase_subject(&self, actor: &str, id: &str) -> Result<ErasureCounts> {
        let e = || query_err("erasing a subject");
        let mut tx = self.pool.begin().await.map_err(e())?;
        let mut counts = ErasureCounts::default();
        let exists = sqlx::query("SELECT 1 FROM subjects WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(e())?;
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: "subject",
                id: id.to_string(),
            });
        }
        sqlx::query(
            "DELETE FROM event_identifiers WHERE event_key IN (SELECT key FROM events WHERE subject_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(e())?;
        counts.events = sqlx::query("DELETE FROM events WHERE subject_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(e())?
            .rows_affected();
        counts.facts = sqlx::query("DELETE FROM facts WHERE subject_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(e())?
            .rows_affected();
        sqlx::query("DELETE FROM findings WHERE subject_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(e())?;
        counts.assessments = sqlx::query("DELETE FROM assessments WHERE subject_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(e())?
            .rows_affected();
        sqlx::query("DELETE FROM identifiers WHERE subject_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(e())?;
        counts.subjects = sqlx::query("DELETE FROM subjects WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(e())?
            .rows_affected();
        // Rings name their members in the body; dissolve those that contain this subject.
        let member = format!("%{}%", serde_json::Value::String(id.to_string()));
        counts.rings = sqlx::query("DELETE FROM rings WHERE body LIKE $1")
            .bind(member)
            .execute(&mut *tx)
            .await
            .map_err(e())?
            .rows_affected();
        let case_ids: Vec<i64> =
            sqlx::query("SELECT id FROM cases WHERE target_kind = 'subject' AND target_id = $1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await
                .map_err(e())?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<std::result::Result<_, _>>()
                .map_err(e())?;
        for case in &case_ids {
            sqlx::query("DELETE FROM case_comments WHERE case_id = $1")
                .bind(case)
                .execute(&mut *tx)
                .await
                .map_err(e())?;
            sqlx::query("UPDATE decisions SET reason = $1 WHERE case_id = $2")
                .bind(ERASED)
                .bind(case)
                .execute(&mut *tx)
                .await
                .map_err(e())?;
            sqlx::query(
                "UPDATE cases SET title = $1, target_id = $1, decision_reason = CASE WHEN decision_reason IS NULL THEN NULL ELSE $1 END WHERE id = $2",
            )
            .bind(ERASED)
            .bind(case)
            .execute(&mut *tx)
            .await
            .map_err(e())?;
        }
        counts.cases = case_ids.len() as u64;
        crate::audit::append(
            &mut tx,
            actor,
            "subject.erase",
            &format!("subject:{id}"),
            &serde_json::to_value(&counts).unwrap_or_default(),
        )
        .await?;
        tx.commit().await.map_err(e())?;
        Ok(counts)
    }

    /// Deletes events older than `cutoff`, finished jobs and settled alerts older than it, and expired
    /// sessions; audited as `retention.apply` with the counts.
    pub async fn apply_retention(
        &self,
        actor: &str,
        cutoff: DateTime<Utc>,
    ) -> Result<RetentionCounts> {
        let e = || query_err("applying retention");
        let cut = ts(cutoff);
        let mut tx = self.pool.begin().await.map_err(e())?;
        sqlx::query(
            "DELETE FROM event_identifiers WHERE event_key IN (SELECT key FROM events WHERE time < $1)",
        )
        .bind(&cut)
        .execute(&mut *tx)
        .await
        .map_err(e())?;
        let events = sqlx::query("DELETE FROM events WHERE time < $1")
            .bind(&cut)
            .execute(&mut *tx)
            .await
            .map_err(e())?
            .rows_affected();
        let jobs =
            sqlx::query("DELETE FROM jobs WHERE status IN ('done', 'failed') AND finished_at < $1")
                .bind(&cut)
                .execute(&mut *tx)
                .await
                .map_err(e())?
                .rows_affected();
        let alerts = sqlx::query(
            "DELETE FROM alerts WHERE status IN ('delivered', 'failed') AND created_at < $1",
        )
        .bind(&cut)
        .execute(&mut *tx)
        .await
        .map_err(e())?
        .rows_affected();
        let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(ts(Utc::now()))
            .execute(&mut *tx)
            .await
            .map_err(e())?
            .rows_affected();
        let counts = RetentionCounts {
            events,
            jobs,
            alerts,
            sessions,
        };
        crate::audit::append(
            &mut tx,
            actor,
            "retention.apply",
            "store",
            &serde_json::json!({ "cutoff": cut, "removed": counts }),
        )
        .await?;
        tx.commit().await.map_err(e())?;
        Ok(counts)
    }
}
