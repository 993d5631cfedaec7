//! The job queue and the webhook alert outbox.
//!
//! A job is claimed by one worker for a lease; the worker extends the lease while it works
//! ([`Store::heartbeat_job`]) and finishes it ([`Store::complete_job`] / [`Store::fail_job`]). A worker
//! killed mid-job stops extending its lease, and once the lease has passed any other worker claims the
//! job again, so jobs must be idempotent (ingest upserts by stable ids; assess replaces). On PostgreSQL
//! the claim is `FOR UPDATE SKIP LOCKED`, so many workers on many machines share one queue without
//! waiting on each other; on SQLite the claiming `UPDATE` is atomic under the database's write lock.

use std::time::Duration;

use chrono::Utc;
use serde::Serialize;
use sqlx::Row;

use crate::{Backend, Result, Store, query_err, ts};

/// A job to enqueue.
#[derive(Debug, Clone, Default)]
pub struct NewJob {
    /// `ingest`, `assess`, `link`, `retention`, …
    pub kind: String,
    /// At most one queued job per key (e.g. `assess`): enqueuing again while one waits is a no-op.
    pub dedupe_key: Option<String>,
    /// Parameters.
    pub payload: serde_json::Value,
    /// The data an ingest job reads (the uploaded file).
    pub blob: Option<Vec<u8>>,
    /// Attempts before the job is marked failed (default 5).
    pub max_attempts: Option<i64>,
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// Parameters.
    pub payload: serde_json::Value,
    /// This attempt's number, from 1.
    pub attempts: i64,
    /// The limit.
    pub max_attempts: i64,
}

/// A job's state, for status pages and the API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobStatus {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// `queued`, `running`, `done`, `failed`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last error.
    pub last_error: Option<String>,
    /// The result of a finished job.
    pub result: Option<serde_json::Value>,
    /// When enqueued.
    pub created_at: String,
    /// When finished.
    pub finished_at: Option<String>,
}

/// A webhook alert waiting for delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Id.
    pub id: i64,
    /// `assessment` or `ring`.
    pub kind: String,
    /// The subject or ring id.
    pub target_id: String,
    /// The JSON body to send.
    pub payload: String,
    /// Delivery attempts so far, including this one.
    pub attempts: i64,
}

fn later(d: Duration) -> String {
    ts(Utc::now() + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX))
}

fn json_of(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

impl Store {
    /// Enqueues a job; returns its id, or `None` when a queued job with the same dedupe key exists.
    pub async fn enqueue_job(&self, job: &NewJob) -> Result<Option<i64>> {
        let now = ts(Utc::now());
        let row = sqlx::query(
            "INSERT INTO jobs (kind, dedupe_key, payload, blob, status, max_attempts, run_after, created_at)
             VALUES ($1, $2, $3, $4, 'queued', $5, $6, $6) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(&job.kind)
        .bind(job.dedupe_key.clone())
        .bind(job.payload.to_string())
        .bind(job.blob.clone())
        .bind(job.max_attempts.unwrap_or(5))
        .bind(&now)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("enqueuing a job"))?;
        row.map(|r| r.try_get::<i64, _>(0))
            .transpose()
            .map_err(query_err("enqueuing a job"))
    }

    /// Claims the oldest ready job (queued, or running with an expired lease) for `worker`, for `lease`.
    pub async fn claim_job(&self, worker: &str, lease: Duration) -> Result<Option<Job>> {
        let now = ts(Utc::now());
        // Jobs whose lease ran out on their last attempt will never be claimed again: fail them.
        sqlx::query(
            "UPDATE jobs SET status = 'failed', finished_at = $1,
             last_error = COALESCE(last_error, 'worker lost on the last attempt')
             WHERE status = 'running' AND locked_until < $1 AND attempts >= max_attempts",
        )
        .bind(&now)
        .execute(&self.pool)
        .await
        .map_err(query_err("failing abandoned jobs"))?;
        let lock = if self.backend == Backend::Postgres {
            "FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1
             WHERE id = (SELECT id FROM jobs
                 WHERE ((status = 'queued' AND run_after <= $3) OR (status = 'running' AND locked_until < $3))
                   AND attempts < max_attempts
                 ORDER BY id LIMIT 1 {lock})
             RETURNING id, kind, payload, attempts, max_attempts"
        );
        let row = sqlx::query(&sql)
            .bind(worker)
            .bind(later(lease))
            .bind(&now)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_err("claiming a job"))?;
        let Some(row) = row else { return Ok(None) };
        let e = || query_err("claiming a job");
        let payload: String = row.try_get(2).map_err(e())?;
        Ok(Some(Job {
            id: row.try_get(0).map_err(e())?,
            kind: row.try_get(1).map_err(e())?,
            payload: json_of(&payload),
            attempts: row.try_get(3).map_err(e())?,
            max_attempts: row.try_get(4).map_err(e())?,
        }))
    }

    /// The blob of a job.
    pub async fn job_blob(&self, id: i64) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT blob FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_err("reading a job's data"))?;
        match row {
            None => Ok(None),
            Some(row) => row
                .try_get::<Option<Vec<u8>>, _>(0)
                .map_err(query_err("reading a job's data")),
        }
    }

    /// Extends `worker`'s lease on a job; `false` when the job is no longer this worker's.
    pub async fn heartbeat_job(&self, id: i64, worker: &str, lease: Duration) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3 AND status = 'running'",
        )
        .bind(later(lease))
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(query_err("extending a job lease"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a job done with its result; `false` when the job was no longer this worker's.
    pub async fn complete_job(
        &self,
        id: i64,
        worker: &str,
        result: &serde_json::Value,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET status = 'done', result = $1, finished_at = $2, locked_until = NULL
             WHERE id = $3 AND locked_by = $4 AND status = 'running'",
        )
        .bind(result.to_string())
        .bind(ts(Utc::now()))
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(query_err("completing a job"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a failed attempt: the job is queued again after `retry_after`, or marked failed when
    /// it has used its attempts.
    pub async fn fail_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_after: Duration,
    ) -> Result<()> {
        let now = ts(Utc::now());
        let requeue = sqlx::query(
            "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
             last_error = $1, run_after = $2, locked_until = NULL,
             finished_at = CASE WHEN attempts >= max_attempts THEN $3 ELSE NULL END
             WHERE id = $4 AND locked_by = $5 AND status = 'running'",
        )
        .bind(error)
        .bind(later(retry_after))
        .bind(&now)
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await;
        if let Err(source) = requeue {
            // Another job with the same dedupe key is already queued: this one is superseded.
            tracing::debug!(%source, job = id, "requeue refused; marking superseded");
            sqlx::query(
                "UPDATE jobs SET status = 'failed', last_error = $1, finished_at = $2
                 WHERE id = $3 AND locked_by = $4",
            )
            .bind(format!("{error} (superseded by a queued job)"))
            .bind(&now)
            .bind(id)
            .bind(worker)
            .execute(&self.pool)
            .await
            .map_err(query_err("failing a job"))?;
        }
        Ok(())
    }

    /// One job's state.
    pub async fn job(&self, id: i64) -> Result<Option<JobStatus>> {
        let rows = self.job_rows(Some(id), None, 1).await?;
        Ok(rows.into_iter().next())
    }

    /// Recent jobs, newest first, optionally of one status.
    pub async fn jobs(&self, status: Option<&str>, limit: i64) -> Result<Vec<JobStatus>> {
        self.job_rows(None, status, limit).await
    }

    async fn job_rows(
        &self,
        id: Option<i64>,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<JobStatus>> {
        let rows = sqlx::query(
            "SELECT id, kind, status, attempts, last_error, result, created_at, finished_at FROM jobs
             WHERE ($1 IS NULL OR id = $1) AND ($2 IS NULL OR status = $2)
             ORDER BY id DESC LIMIT $3",
        )
        .bind(id)
        .bind(status.map(str::to_string))
        .bind(limit.clamp(1, 10_000))
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("reading jobs"))?;
        rows.iter()
            .map(|row| {
                let e = || query_err("reading jobs");
                let result: Option<String> = row.try_get(5).map_err(e())?;
                Ok(JobStatus {
                    id: row.try_get(0).map_err(e())?,
                    kind: row.try_get(1).map_err(e())?,
                    status: row.try_get(2).map_err(e())?,
                    attempts: row.try_get(3).map_err(e())?,
                    last_error: row.try_get(4).map_err(e())?,
                    result: result.as_deref().map(json_of),
                    created_at: row.try_get(6).map_err(e())?,
                    finished_at: row.try_get(7).map_err(e())?,
                })
            })
            .collect()
    }

    /// Counts of jobs per status.
    pub async fn job_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status")
            .fetch_all(&self.pool)
            .await
            .map_err(query_err("counting jobs"))?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get(0).map_err(query_err("counting jobs"))?,
                    row.try_get(1).map_err(query_err("counting jobs"))?,
                ))
            })
            .collect()
    }

    /// Queues a webhook alert unless one with the same dedupe key was ever queued; `true` when new.
    pub async fn enqueue_alert(
        &self,
        kind: &str,
        target_id: &str,
        dedupe_key: &str,
        payload: &serde_json::Value,
    ) -> Result<bool> {
        let now = ts(Utc::now());
        let done = sqlx::query(
            "INSERT INTO alerts (kind, target_id, dedupe_key, payload, status, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, $5) ON CONFLICT DO NOTHING",
        )
        .bind(kind)
        .bind(target_id)
        .bind(dedupe_key)
        .bind(payload.to_string())
        .bind(&now)
        .execute(&self.pool)
        .await
        .map_err(query_err("queuing an alert"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Claims up to `limit` due alerts for `lease` (their next attempt moves past the lease, so another
    /// worker does not send them at the same time).
    pub async fn claim_alerts(&self, limit: i64, lease: Duration) -> Result<Vec<Alert>> {
        let lock = if self.backend == Backend::Postgres {
            "FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE alerts SET next_attempt_at = $1, attempts = attempts + 1
             WHERE id IN (SELECT id FROM alerts WHERE status = 'pending' AND next_attempt_at <= $2
                          ORDER BY id LIMIT $3 {lock})
             RETURNING id, kind, target_id, payload, attempts"
        );
        let rows = sqlx::query(&sql)
            .bind(later(lease))
            .bind(ts(Utc::now()))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(query_err("claiming alerts"))?;
        rows.iter()
            .map(|row| {
                let e = || query_err("claiming alerts");
                Ok(Alert {
                    id: row.try_get(0).map_err(e())?,
                    kind: row.try_get(1).map_err(e())?,
                    target_id: row.try_get(2).map_err(e())?,
                    payload: row.try_get(3).map_err(e())?,
                    attempts: row.try_get(4).map_err(e())?,
                })
            })
            .collect()
    }

    /// Records an alert's delivery.
    pub async fn alert_delivered(&self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE alerts SET status = 'delivered', delivered_at = $1, last_error = NULL WHERE id = $2",
        )
        .bind(ts(Utc::now()))
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(query_err("recording an alert delivery"))?;
        Ok(())
    }

    /// Records a failed delivery: retried after `retry_after`, or given up (`failed`) when `give_up`.
    pub async fn alert_failed(
        &self,
        id: i64,
        error: &str,
        retry_after: Duration,
        give_up: bool,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE alerts SET status = $1, last_error = $2, next_attempt_at = $3 WHERE id = $4",
        )
        .bind(if give_up { "failed" } else { "pending" })
        .bind(error)
        .bind(later(retry_after))
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(query_err("recording an alert failure"))?;
        Ok(())
    }

    /// Alerts by status (for tests and the status page).
    pub async fn alert_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) FROM alerts GROUP BY status ORDER BY status")
                .fetch_all(&self.pool)
                .await
                .map_err(query_err("counting alerts"))?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get(0).map_err(query_err("counting alerts"))?,
                    row.try_get(1).map_err(query_err("counting alerts"))?,
                ))
            })
            .collect()
    }
}
