//! The append-only, hash-chained audit log.
//!
//! Every record carries the hash of the record before it; its own hash covers that link and every field
//! (length-prefixed, so no two field lists hash alike). Appends are serialised by updating the single
//! `audit_head` row first (a row lock on PostgreSQL, the write lock on SQLite), so concurrent servers
//! and workers extend one chain. Triggers refuse `UPDATE` and `DELETE` on `audit_log`; [`Store::verify_audit`]
//! catches anyone who bypasses them (edits, deletions, insertions, truncation of the tail).

use chrono::Utc;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Result, Store, query_err, ts};

/// The hash before the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// Who: `user:NAME`, `token:ID`, `system`, `cli`.
    pub actor: String,
    /// What: `case.decide`, `case.override`, `rules.change`, `lists.update`, `auth.login`, …
    pub action: String,
    /// On what: `case:12`, `subject:ats:1`, … (ids, never personal data).
    pub target: String,
    /// Details as JSON (reasons, counts, versions).
    pub detail: String,
    /// The previous record's hash.
    pub prev_hash: String,
    /// This record's hash.
    pub hash: String,
}

/// What a chain check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AuditVerdict {
    /// Every record links to the one before and hashes to its stored hash.
    Intact {
        /// Records checked.
        records: i64,
        /// The head hash.
        head: String,
    },
    /// The first record that does not verify.
    Broken {
        /// Its sequence number (or the missing one).
        seq: i64,
        /// Why.
        reason: String,
    },
}

/// The hash of one record's content, chained to `prev_hash`.
pub fn record_hash(
    prev_hash: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> String {
    let mut hasher = Sha256::new();
    for field in [
        prev_hash,
        &seq.to_string(),
        at,
        actor,
        action,
        target,
        detail,
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

impl Store {
    /// Appends one record to the audit log and returns it.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: &serde_json::Value,
    ) -> Result<AuditRecord> {
        let mut tx = self.begin().await?;
        let record = append(&mut tx, actor, action, target, detail).await?;
        tx.commit()
            .await
            .map_err(query_err("committing an audit record"))?;
        Ok(record)
    }

    /// Audit records with `seq > after`, oldest first, at most `limit`.
    pub async fn audit_records(&self, after: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, target, detail, prev_hash, hash FROM audit_log
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("reading the audit log"))?;
        rows.iter().map(record_from_row).collect()
    }

    /// Walks the whole chain and reports the first record that does not verify.
    pub async fn verify_audit(&self) -> Result<AuditVerdict> {
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(query_err("reading the audit head"))?;
        let head_seq: i64 = head
            .try_get(0)
            .map_err(query_err("reading the audit head"))?;
        let head_hash: String = head
            .try_get(1)
            .map_err(query_err("reading the audit head"))?;
        let mut expected_seq = 1;
        let mut prev = GENESIS_HASH.to_string();
        let mut after = 0;
        loop {
            let page = self.audit_records(after, 5000).await?;
            if page.is_empty() {
                break;
            }
            for record in &page {
                if record.seq != expected_seq {
                    return Ok(AuditVerdict::Broken {
                        seq: expected_seq,
                        reason: format!(
                            "record {expected_seq} is missing (next stored record is {})",
                            record.seq
                        ),
                    });
                }
                if record.prev_hash != prev {
                    return Ok(AuditVerdict::Broken {
                        seq: record.seq,
                        reason: "its previous-hash link does not match the record before it".into(),
                    });
                }
                let hash = record_hash(
                    &record.prev_hash,
                    record.seq,
                    &record.at,
                    &record.actor,
                    &record.action,
                    &record.target,
                    &record.detail,
                );
                if hash != record.hash {
                    return Ok(AuditVerdict::Broken {
                        seq: record.seq,
                        reason: "its content does not hash to its stored hash (edited)".into(),
                    });
                }
                prev = record.hash.clone();
                expected_seq += 1;
            }
            after = page.last().map_or(after, |r| r.seq);
        }
        let records = expected_seq - 1;
        if records != head_seq || prev != head_hash {
            return Ok(AuditVerdict::Broken {
                seq: records + 1,
                reason: format!(
                    "the chain ends at record {records} but the head says {head_seq} (records removed from the end)"
                ),
            });
        }
        Ok(AuditVerdict::Intact {
            records,
            head: prev,
        })
    }
}

/// Appends a record inside the caller's transaction (so a decision and its audit record commit together).
pub(crate) async fn append(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &str,
    action: &str,
    target: &str,
    detail: &serde_json::Value,
) -> Result<AuditRecord> {
    // Taking the head row first serialises appenders on both databases.
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut **tx)
        .await
        .map_err(query_err("advancing the audit head"))?;
    let seq: i64 = head
        .try_get(0)
        .map_err(query_err("advancing the audit head"))?;
    let prev_hash: String = head
        .try_get(1)
        .map_err(query_err("advancing the audit head"))?;
    let at = ts(Utc::now());
    let detail = detail.to_string();
    let hash = record_hash(&prev_hash, seq, &at, actor, action, target, &detail);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(&at)
    .bind(actor)
    .bind(action)
    .bind(target)
    .bind(&detail)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut **tx)
    .await
    .map_err(query_err("appending an audit record"))?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut **tx)
        .await
        .map_err(query_err("advancing the audit head"))?;
    Ok(AuditRecord {
        seq,
        at,
        actor: actor.to_string(),
        action: action.to_string(),
        target: target.to_string(),
        detail,
        prev_hash,
        hash,
    })
}

fn record_from_row(row: &sqlx::any::AnyRow) -> Result<AuditRecord> {
    let get = |i: usize| -> Result<String> {
        row.try_get::<String, _>(i)
            .map_err(query_err("reading the audit log"))
    };
    Ok(AuditRecord {
        seq: row
            .try_get::<i64, _>(0)
            .map_err(query_err("reading the audit log"))?,
        at: get(1)?,
        actor: get(2)?,
        action: get(3)?,
        target: get(4)?,
        detail: get(5)?,
        prev_hash: get(6)?,
        hash: get(7)?,
    })
}
