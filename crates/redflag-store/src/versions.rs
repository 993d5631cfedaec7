//! Which list snapshots and rule packs were active when: an assessment names its versions, and these
//! tables say when each version was first used (a new version is audited as `lists.update` or
//! `rules.change`).

use chrono::Utc;
use serde::Serialize;
use sqlx::Row;

use crate::{Result, Store, query_err, ts};

/// A list version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListVersion {
    /// List id, e.g. `us-ofac-sdn`.
    pub list_id: String,
    /// Version.
    pub version: String,
    /// SHA-256 of the source file.
    pub sha256: String,
    /// Entities.
    pub entity_count: i64,
    /// First used.
    pub activated_at: String,
}

/// A rule-pack version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RulePackVersion {
    /// The pack's version hash.
    pub version: String,
    /// Rules in it.
    pub rule_count: i64,
    /// First used.
    pub activated_at: String,
}

impl Store {
    /// Records a list version; `true` (and an audit record) when it was not known.
    pub async fn record_list_version(
        &self,
        actor: &str,
        list_id: &str,
        version: &str,
        sha256: &str,
        entity_count: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "INSERT INTO list_versions (list_id, version, sha256, entity_count, activated_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(list_id)
        .bind(version)
        .bind(sha256)
        .bind(entity_count)
        .bind(ts(Utc::now()))
        .execute(&mut *tx)
        .await
        .map_err(query_err("recording a list version"))?;
        let new = done.rows_affected() == 1;
        if new {
            crate::audit::append(
                &mut tx,
                actor,
                "lists.update",
                &format!("list:{list_id}"),
                &serde_json::json!({ "version": version, "sha256": sha256, "entities": entity_count }),
            )
            .await?;
        }
        tx.commit()
            .await
            .map_err(query_err("recording a list version"))?;
        Ok(new)
    }

    /// Records a rule-pack version; `true` (and an audit record) when it was not known.
    pub async fn record_rule_pack(
        &self,
        actor: &str,
        version: &str,
        rule_count: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "INSERT INTO rule_pack_versions (version, rule_count, activated_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(version)
        .bind(rule_count)
        .bind(ts(Utc::now()))
        .execute(&mut *tx)
        .await
        .map_err(query_err("recording a rule pack"))?;
        let new = done.rows_affected() == 1;
        if new {
            crate::audit::append(
                &mut tx,
                actor,
                "rules.change",
                &format!("rule-pack:{version}"),
                &serde_json::json!({ "rules": rule_count }),
            )
            .await?;
        }
        tx.commit()
            .await
            .map_err(query_err("recording a rule pack"))?;
        Ok(new)
    }

    /// Every list version, newest first.
    pub async fn list_versions(&self) -> Result<Vec<ListVersion>> {
        let rows = sqlx::query(
            "SELECT list_id, version, sha256, entity_count, activated_at FROM list_versions
             ORDER BY activated_at DESC, list_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("reading list versions"))?;
        rows.iter()
            .map(|row| {
                let e = || query_err("reading list versions");
                Ok(ListVersion {
                    list_id: row.try_get(0).map_err(e())?,
                    version: row.try_get(1).map_err(e())?,
                    sha256: row.try_get(2).map_err(e())?,
                    entity_count: row.try_get(3).map_err(e())?,
                    activated_at: row.try_get(4).map_err(e())?,
                })
            })
            .collect()
    }

    /// Every rule-pack version, newest first.
    pub async fn rule_pack_versions(&self) -> Result<Vec<RulePackVersion>> {
        let rows = sqlx::query(
            "SELECT version, rule_count, activated_at FROM rule_pack_versions ORDER BY activated_at DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("reading rule-pack versions"))?;
        rows.iter()
            .map(|row| {
                let e = || query_err("reading rule-pack versions");
                Ok(RulePackVersion {
                    version: row.try_get(0).map_err(e())?,
                    rule_count: row.try_get(1).map_err(e())?,
                    activated_at: row.try_get(2).map_err(e())?,
                })
            })
            .collect()
    }
}
