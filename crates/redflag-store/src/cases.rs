//! Cases and decisions: an analyst opens a case on a subject or a ring, assigns it, comments, and
//! decides. Every change writes its audit record in the same transaction, so a decision without its
//! audit record (or the reverse) cannot exist.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::audit::append;
use crate::{Result, Store, StoreError, query_err, ts};

/// What a case is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseTarget {
    /// One subject.
    Subject,
    /// A ring of linked subjects.
    Ring,
}

impl CaseTarget {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseTarget::Subject => "subject",
            CaseTarget::Ring => "ring",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "subject" => Some(CaseTarget::Subject),
            "ring" => Some(CaseTarget::Ring),
            _ => None,
        }
    }
}

/// An analyst's decision on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Nothing to act on.
    Cleared,
    /// Handed to a senior reviewer, legal or security.
    Escalated,
    /// The evidence holds: a covert worker or a sanctioned party.
    Confirmed,
    /// The flags were wrong (feeds rule tuning).
    FalsePositive,
}

impl Decision {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Cleared => "cleared",
            Decision::Escalated => "escalated",
            Decision::Confirmed => "confirmed",
            Decision::FalsePositive => "false_positive",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cleared" => Some(Decision::Cleared),
            "escalated" => Some(Decision::Escalated),
            "confirmed" => Some(Decision::Confirmed),
            "false_positive" | "false-positive" => Some(Decision::FalsePositive),
            _ => None,
        }
    }
}

/// A case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    /// Id.
    pub id: i64,
    /// Subject or ring.
    pub target_kind: CaseTarget,
    /// The subject or ring id.
    pub target_id: String,
    /// Short title.
    pub title: String,
    /// `open` or `decided` (`escalated` keeps a case open).
    pub status: String,
    /// The analyst it is assigned to.
    pub assignee: Option<String>,
    /// Who opened it.
    pub opened_by: String,
    /// When.
    pub opened_at: String,
    /// Last change.
    pub updated_at: String,
    /// The latest decision.
    pub decision: Option<Decision>,
    /// Its reason.
    pub decision_reason: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<String>,
}

/// A comment on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseComment {
    /// Id.
    pub id: i64,
    /// Author.
    pub author: String,
    /// Text.
    pub body: String,
    /// When.
    pub at: String,
}

/// One decision in a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRecord {
    /// Id.
    pub id: i64,
    /// The decision.
    pub decision: Decision,
    /// Why.
    pub reason: String,
    /// Who.
    pub actor: String,
    /// When.
    pub at: String,
}

/// Filter for [`Store::cases`].
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only this assignee.
    pub assignee: Option<String>,
    /// Only cases on this target id.
    pub target_id: Option<String>,
    /// At most this many (default 100).
    pub limit: Option<i64>,
}

const CASE_COLUMNS: &str = "id, target_kind, target_id, title, status, assignee, opened_by, opened_at, updated_at, decision, decision_reason, decided_by, decided_at";

fn case_from_row(row: &sqlx::any::AnyRow) -> Result<Case> {
    let err = query_err("reading a case");
    let s = |i: usize| row.try_get::<String, _>(i);
    let o = |i: usize| row.try_get::<Option<String>, _>(i);
    let kind: String = s(1).map_err(query_err("reading a case"))?;
    let decision: Option<String> = o(9).map_err(query_err("reading a case"))?;
    Ok(Case {
        id: row.try_get(0).map_err(query_err("reading a case"))?,
        target_kind: CaseTarget::parse(&kind).unwrap_or(CaseTarget::Subject),
        target_id: s(2).map_err(query_err("reading a case"))?,
        title: s(3).map_err(query_err("reading a case"))?,
        status: s(4).map_err(query_err("reading a case"))?,
        assignee: o(5).map_err(query_err("reading a case"))?,
        opened_by: s(6).map_err(query_err("reading a case"))?,
        opened_at: s(7).map_err(query_err("reading a case"))?,
        updated_at: s(8).map_err(query_err("reading a case"))?,
        decision: decision.as_deref().and_then(Decision::parse),
        decision_reason: o(10).map_err(query_err("reading a case"))?,
        decided_by: o(11).map_err(query_err("reading a case"))?,
        decided_at: o(12).map_err(err)?,
    })
}

impl Store {
    /// Opens a case (audited as `case.open`).
    pub async fn open_case(
        &self,
        actor: &str,
        target_kind: CaseTarget,
        target_id: &str,
        title: &str,
    ) -> Result<Case> {
        let now = ts(Utc::now());
        let mut tx = self.begin().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO cases (target_kind, target_id, title, status, opened_by, opened_at, updated_at)
             VALUES ($1, $2, $3, 'open', $4, $5, $5) RETURNING {CASE_COLUMNS}"
        ))
        .bind(target_kind.as_str())
        .bind(target_id)
        .bind(title)
        .bind(actor)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(query_err("opening a case"))?;
        let case = case_from_row(&row)?;
        append(
            &mut tx,
            actor,
            "case.open",
            &format!("case:{}", case.id),
            &serde_json::json!({ "target": format!("{}:{}", target_kind.as_str(), target_id) }),
        )
        .await?;
        tx.commit().await.map_err(query_err("opening a case"))?;
        Ok(case)
    }

    /// One case.
    pub async fn case(&self, id: i64) -> Result<Option<Case>> {
        let row = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_err("reading a case"))?;
        row.as_ref().map(case_from_row).transpose()
    }

    /// Cases, most recently changed first.
    pub async fn cases(&self, filter: &CaseFilter) -> Result<Vec<Case>> {
        let rows = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases
             WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR assignee = $2) AND ($3 IS NULL OR target_id = $3)
             ORDER BY updated_at DESC, id DESC LIMIT $4"
        ))
        .bind(filter.status.clone())
        .bind(filter.assignee.clone())
        .bind(filter.target_id.clone())
        .bind(filter.limit.unwrap_or(100).clamp(1, 10_000))
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("listing cases"))?;
        rows.iter().map(case_from_row).collect()
    }

    /// Assigns a case (audited as `case.assign`).
    pub async fn assign_case(&self, actor: &str, id: i64, assignee: &str) -> Result<Case> {
        let now = ts(Utc::now());
        let mut tx = self.begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE cases SET assignee = $1, updated_at = $2 WHERE id = $3 RETURNING {CASE_COLUMNS}"
        ))
        .bind(assignee)
        .bind(&now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(query_err("assigning a case"))?
        .ok_or(StoreError::NotFound {
            what: "case",
            id: id.to_string(),
        })?;
        append(
            &mut tx,
            actor,
            "case.assign",
            &format!("case:{id}"),
            &serde_json::json!({ "assignee": assignee }),
        )
        .await?;
        tx.commit().await.map_err(query_err("assigning a case"))?;
        case_from_row(&row)
    }

    /// Adds a comment (audited as `case.comment`, without the text).
    pub async fn comment_case(&self, actor: &str, id: i64, body: &str) -> Result<CaseComment> {
        let now = ts(Utc::now());
        let mut tx = self.begin().await?;
        let touched = sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(query_err("commenting on a case"))?;
        if touched.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "case",
                id: id.to_string(),
            });
        }
        let row = sqlx::query(
            "INSERT INTO case_comments (case_id, author, body, at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(id)
        .bind(actor)
        .bind(body)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(query_err("commenting on a case"))?;
        let comment_id: i64 = row.try_get(0).map_err(query_err("commenting on a case"))?;
        append(
            &mut tx,
            actor,
            "case.comment",
            &format!("case:{id}"),
            &serde_json::json!({ "comment": comment_id }),
        )
        .await?;
        tx.commit()
            .await
            .map_err(query_err("commenting on a case"))?;
        Ok(CaseComment {
            id: comment_id,
            author: actor.to_string(),
            body: body.to_string(),
            at: now,
        })
    }

    /// Records a decision with its reason. A decision on a case that already has one is an override
    /// (audited as `case.override` with the previous decision); otherwise `case.decide`.
    pub async fn decide_case(
        &self,
        actor: &str,
        id: i64,
        decision: Decision,
        reason: &str,
    ) -> Result<Case> {
        let now = ts(Utc::now());
        let mut tx = self.begin().await?;
        let previous = sqlx::query("SELECT decision FROM cases WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(query_err("deciding a case"))?
            .ok_or(StoreError::NotFound {
                what: "case",
                id: id.to_string(),
            })?;
        let previous: Option<String> = previous.try_get(0).map_err(query_err("deciding a case"))?;
        let status = if decision == Decision::Escalated {
            "open"
        } else {
            "decided"
        };
        let row = sqlx::query(&format!(
            "UPDATE cases SET decision = $1, decision_reason = $2, decided_by = $3, decided_at = $4,
             updated_at = $4, status = $5 WHERE id = $6 RETURNING {CASE_COLUMNS}"
        ))
        .bind(decision.as_str())
        .bind(reason)
        .bind(actor)
        .bind(&now)
        .bind(status)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(query_err("deciding a case"))?;
        sqlx::query(
            "INSERT INTO decisions (case_id, decision, reason, actor, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(decision.as_str())
        .bind(reason)
        .bind(actor)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(query_err("deciding a case"))?;
        // The reason may name people, and the audit log can never be edited: it keeps the reason's
        // SHA-256 (proving the decisions table's text unaltered), the table keeps the text (erasable).
        let reason_sha256 = crate::auth::secret_hash(reason);
        let (action, detail) = match &previous {
            Some(prev) => (
                "case.override",
                serde_json::json!({ "decision": decision.as_str(), "previous": prev, "reason_sha256": reason_sha256 }),
            ),
            None => (
                "case.decide",
                serde_json::json!({ "decision": decision.as_str(), "reason_sha256": reason_sha256 }),
            ),
        };
        append(&mut tx, actor, action, &format!("case:{id}"), &detail).await?;
        tx.commit().await.map_err(query_err("deciding a case"))?;
        case_from_row(&row)
    }

    /// A case's comments, oldest first.
    pub async fn case_comments(&self, id: i64) -> Result<Vec<CaseComment>> {
        let rows = sqlx::query(
            "SELECT id, author, body, at FROM case_comments WHERE case_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("reading comments"))?;
        rows.iter()
            .map(|row| {
                let e = || query_err("reading comments");
                Ok(CaseComment {
                    id: row.try_get(0).map_err(e())?,
                    author: row.try_get(1).map_err(e())?,
                    body: row.try_get(2).map_err(e())?,
                    at: row.try_get(3).map_err(e())?,
                })
            })
            .collect()
    }

    /// A case's decisions, oldest first.
    pub async fn case_decisions(&self, id: i64) -> Result<Vec<DecisionRecord>> {
        let rows = sqlx::query(
            "SELECT id, decision, reason, actor, at FROM decisions WHERE case_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("reading decisions"))?;
        rows.iter()
            .map(|row| {
                let e = || query_err("reading decisions");
                let decision: String = row.try_get(1).map_err(e())?;
                Ok(DecisionRecord {
                    id: row.try_get(0).map_err(e())?,
                    decision: Decision::parse(&decision).unwrap_or(Decision::Escalated),
                    reason: row.try_get(2).map_err(e())?,
                    actor: row.try_get(3).map_err(e())?,
                    at: row.try_get(4).map_err(e())?,
                })
            })
            .collect()
    }
}
