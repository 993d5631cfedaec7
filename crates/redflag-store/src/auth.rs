//! Credentials at rest: API tokens (only their SHA-256 is stored; the token is shown once), console users
//! (an argon2 PHC string computed by the server; this crate never sees a password) and sessions (only the
//! SHA-256 of the cookie value is stored, with its CSRF token and expiry).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Result, Store, StoreError, query_err, ts};

/// SHA-256 hex of a secret (tokens and session ids are 256-bit random, so a fast hash is enough).
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A stored API token (without the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Id.
    pub id: i64,
    /// A name (what system uses it).
    pub name: String,
    /// Scopes, e.g. `["read", "screen"]`.
    pub scopes: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// When it was revoked.
    pub revoked_at: Option<String>,
    /// When it stops working (`None`: never).
    pub expires_at: Option<String>,
}

/// A console user (without the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// `admin`, `analyst` or `read_only`.
    pub role: String,
    /// When created.
    pub created_at: String,
    /// Whether logins are refused.
    pub disabled: bool,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The user.
    pub user: User,
    /// The session's CSRF token.
    pub csrf: String,
    /// When it ends.
    pub expires_at: String,
}

fn token_from_row(row: &sqlx::any::AnyRow) -> Result<ApiToken> {
    let e = || query_err("reading a token");
    let scopes: String = row.try_get(2).map_err(e())?;
    Ok(ApiToken {
        id: row.try_get(0).map_err(e())?,
        name: row.try_get(1).map_err(e())?,
        scopes: scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        created_by: row.try_get(3).map_err(e())?,
        created_at: row.try_get(4).map_err(e())?,
        revoked_at: row.try_get(5).map_err(e())?,
        expires_at: row.try_get(6).map_err(e())?,
    })
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User> {
    let e = || query_err("reading a user");
    let disabled: i64 = row.try_get(4).map_err(e())?;
    Ok(User {
        id: row.try_get(0).map_err(e())?,
        username: row.try_get(1).map_err(e())?,
        role: row.try_get(2).map_err(e())?,
        created_at: row.try_get(3).map_err(e())?,
        disabled: disabled != 0,
    })
}

impl Store {
    /// Stores a token by the hash of its secret (audited as `token.create`); it never expires.
    pub async fn create_token(
        &self,
        actor: &str,
        name: &str,
        secret: &str,
        scopes: &[&str],
    ) -> Result<ApiToken> {
        self.create_token_expiring(actor, name, secret, scopes, None)
            .await
    }

    /// Stores a token that stops working at `expires_at` (audited as `token.create`, with the expiry).
    pub async fn create_token_expiring(
        &self,
        actor: &str,
        name: &str,
        secret: &str,
        scopes: &[&str],
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<ApiToken> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO api_tokens (name, token_hash, scopes, created_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, name, scopes, created_by, created_at, revoked_at, expires_at",
        )
        .bind(name)
        .bind(secret_hash(secret))
        .bind(scopes.join(","))
        .bind(actor)
        .bind(ts(Utc::now()))
        .bind(expires_at.map(ts))
        .fetch_one(&mut *tx)
        .await
        .map_err(query_err("creating a token"))?;
        let token = token_from_row(&row)?;
        crate::audit::append(
            &mut tx,
            actor,
            "token.create",
            &format!("token:{}", token.id),
            &serde_json::json!({ "name": name, "scopes": scopes, "expires_at": token.expires_at }),
        )
        .await?;
        tx.commit().await.map_err(query_err("creating a token"))?;
        Ok(token)
    }

    /// The live (not revoked, not expired) token whose secret this is.
    pub async fn token_by_secret(&self, secret: &str) -> Result<Option<ApiToken>> {
        let row = sqlx::query(
            "SELECT id, name, scopes, created_by, created_at, revoked_at, expires_at FROM api_tokens
             WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(secret_hash(secret))
        .bind(ts(Utc::now()))
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("looking a token up"))?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// Every token.
    pub async fn tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, name, scopes, created_by, created_at, revoked_at, expires_at FROM api_tokens ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("listing tokens"))?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes a token (audited as `token.revoke`).
    pub async fn revoke_token(&self, actor: &str, id: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(ts(Utc::now()))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(query_err("revoking a token"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "token",
                id: id.to_string(),
            });
        }
        crate::audit::append(
            &mut tx,
            actor,
            "token.revoke",
            &format!("token:{id}"),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await.map_err(query_err("revoking a token"))
    }

    /// Creates a user with an argon2 PHC hash (audited as `user.create`). Fails with
    /// [`StoreError::Conflict`] when the name is taken.
    pub async fn create_user(
        &self,
        actor: &str,
        username: &str,
        password_hash: &str,
        role: &str,
    ) -> Result<User> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (username) DO NOTHING
             RETURNING id, username, role, created_at, disabled",
        )
        .bind(username)
        .bind(password_hash)
        .bind(role)
        .bind(ts(Utc::now()))
        .fetch_optional(&mut *tx)
        .await
        .map_err(query_err("creating a user"))?
        .ok_or_else(|| StoreError::Conflict {
            what: "user",
            id: username.to_string(),
        })?;
        let user = user_from_row(&row)?;
        crate::audit::append(
            &mut tx,
            actor,
            "user.create",
            &format!("user:{}", user.id),
            &serde_json::json!({ "role": role }),
        )
        .await?;
        tx.commit().await.map_err(query_err("creating a user"))?;
        Ok(user)
    }

    /// A user and their password hash, by login name.
    pub async fn user_with_hash(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(
            "SELECT id, username, role, created_at, disabled, password_hash FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("looking a user up"))?;
        match row {
            None => Ok(None),
            Some(row) => {
                let hash: String = row.try_get(5).map_err(query_err("looking a user up"))?;
                Ok(Some((user_from_row(&row)?, hash)))
            }
        }
    }

    /// Every user.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows =
            sqlx::query("SELECT id, username, role, created_at, disabled FROM users ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(query_err("listing users"))?;
        rows.iter().map(user_from_row).collect()
    }

    /// Disables (or re-enables) a user: sign-ins are refused and live sessions end (audited as
    /// `user.disable` / `user.enable`). Fails with [`StoreError::NotFound`] for an unknown name.
    pub async fn set_user_disabled(
        &self,
        actor: &str,
        username: &str,
        disabled: bool,
    ) -> Result<User> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE users SET disabled = $1 WHERE username = $2
             RETURNING id, username, role, created_at, disabled",
        )
        .bind(i64::from(disabled))
        .bind(username)
        .fetch_optional(&mut *tx)
        .await
        .map_err(query_err("disabling a user"))?
        .ok_or_else(|| StoreError::NotFound {
            what: "user",
            id: username.to_string(),
        })?;
        let user = user_from_row(&row)?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.id)
                .execute(&mut *tx)
                .await
                .map_err(query_err("ending a disabled user's sessions"))?;
        }
        crate::audit::append(
            &mut tx,
            actor,
            if disabled {
                "user.disable"
            } else {
                "user.enable"
            },
            &format!("user:{}", user.id),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await.map_err(query_err("disabling a user"))?;
        Ok(user)
    }

    /// Replaces a user's argon2 PHC hash and ends their sessions (audited as `user.passwd`; the
    /// record holds no hash).
    pub async fn set_user_password(
        &self,
        actor: &str,
        username: &str,
        password_hash: &str,
    ) -> Result<User> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE users SET password_hash = $1 WHERE username = $2
             RETURNING id, username, role, created_at, disabled",
        )
        .bind(password_hash)
        .bind(username)
        .fetch_optional(&mut *tx)
        .await
        .map_err(query_err("changing a password"))?
        .ok_or_else(|| StoreError::NotFound {
            what: "user",
            id: username.to_string(),
        })?;
        let user = user_from_row(&row)?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await
            .map_err(query_err("ending sessions after a password change"))?;
        crate::audit::append(
            &mut tx,
            actor,
            "user.passwd",
            &format!("user:{}", user.id),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit()
            .await
            .map_err(query_err("changing a password"))?;
        Ok(user)
    }

    /// Whether any user or token exists (a first start bootstraps an admin when not).
    pub async fn has_credentials(&self) -> Result<bool> {
        let row =
            sqlx::query("SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM api_tokens)")
                .fetch_one(&self.pool)
                .await
                .map_err(query_err("counting credentials"))?;
        let n: i64 = row.try_get(0).map_err(query_err("counting credentials"))?;
        Ok(n > 0)
    }

    /// Stores a session by the hash of its id.
    pub async fn create_session(
        &self,
        session_id: &str,
        user_id: i64,
        csrf: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(secret_hash(session_id))
        .bind(user_id)
        .bind(csrf)
        .bind(ts(Utc::now()))
        .bind(ts(expires_at))
        .execute(&self.pool)
        .await
        .map_err(query_err("creating a session"))?;
        Ok(())
    }

    /// The live session with this id (not expired, user not disabled).
    pub async fn session(&self, session_id: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.role, u.created_at, u.disabled, s.csrf, s.expires_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
        )
        .bind(secret_hash(session_id))
        .bind(ts(Utc::now()))
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("looking a session up"))?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(SessionRecord {
                user: user_from_row(&row)?,
                csrf: row.try_get(5).map_err(query_err("looking a session up"))?,
                expires_at: row.try_get(6).map_err(query_err("looking a session up"))?,
            })),
        }
    }

    /// Ends a session; also removes expired ones.
    pub async fn delete_session(&self, session_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1 OR expires_at <= $2")
            .bind(secret_hash(session_id))
            .bind(ts(Utc::now()))
            .execute(&self.pool)
            .await
            .map_err(query_err("ending a session"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::testing::TestStore;

    #[tokio::test]
    async fn tokens_expire_and_users_are_disabled_and_repassworded_with_audit() {
        for t in TestStore::all().await.unwrap() {
            let s = &t.store;
            let past = Utc::now() - chrono::Duration::days(1);
            let future = Utc::now() + chrono::Duration::days(30);
            let old = s
                .create_token_expiring("cli:test", "old", "rf_old", &["read"], Some(past))
                .await
                .unwrap();
            let live = s
                .create_token_expiring("cli:test", "live", "rf_live", &["read"], Some(future))
                .await
                .unwrap();
            assert!(old.expires_at.is_some());
            assert!(s.token_by_secret("rf_old").await.unwrap().is_none());
            assert_eq!(s.token_by_secret("rf_live").await.unwrap(), Some(live));

            let user = s
                .create_user("cli:test", "ana", "$hash1", "analyst")
                .await
                .unwrap();
            s.create_session("sess", user.id, "csrf", future)
                .await
                .unwrap();
            assert!(s.session("sess").await.unwrap().is_some());
            let changed = s
                .set_user_password("cli:test", "ana", "$hash2")
                .await
                .unwrap();
            assert_eq!(changed.id, user.id);
            assert_eq!(s.user_with_hash("ana").await.unwrap().unwrap().1, "$hash2");
            assert!(s.session("sess").await.unwrap().is_none(), "sessions end");
            let off = s.set_user_disabled("cli:test", "ana", true).await.unwrap();
            assert!(off.disabled);
            assert!(matches!(
                s.set_user_disabled("cli:test", "nobody", true).await,
                Err(StoreError::NotFound { .. })
            ));
            assert!(matches!(
                s.set_user_password("cli:test", "nobody", "$h").await,
                Err(StoreError::NotFound { .. })
            ));
            let actions: Vec<String> = s
                .audit_records(0, 100)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.action)
                .collect();
            assert_eq!(
                actions,
                [
                    "token.create",
                    "token.create",
                    "user.create",
                    "user.passwd",
                    "user.disable"
                ]
            );
            assert!(matches!(
                s.verify_audit().await.unwrap(),
                crate::AuditVerdict::Intact { records: 5, .. }
            ));
        }
    }
}
