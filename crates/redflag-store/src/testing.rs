//! Test support shared by the store, server and CLI tests: a fresh store on every backend available
//! (SQLite always; PostgreSQL when `REDFLAG_TEST_DATABASE_URL` is set, in a new database per call).

use crate::{Result, Store, StoreError};

/// The environment variable naming a PostgreSQL server for tests.
pub const TEST_DATABASE_URL: &str = "REDFLAG_TEST_DATABASE_URL";

/// A fresh store for a test; keep the returned guard alive as long as the store.
pub struct TestStore {
    /// The store.
    pub store: Store,
    /// Its URL (to open it again, or from another process).
    pub url: String,
    _dir: Option<tempfile_dir::TempDir>,
}

mod tempfile_dir {
    /// A directory removed on drop.
    pub struct TempDir(pub std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Drops, once per process, the test databases left by test processes that have ended (the pid in
/// the name no longer runs here), so repeated local runs do not pile databases up. A database that
/// still has connections is refused by PostgreSQL and stays; where `/proc` does not exist nothing
/// is swept.
async fn sweep_ended_runs(admin: &sqlx::AnyPool) {
    use sqlx::Row;
    use std::sync::atomic::{AtomicBool, Ordering};
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if SWEPT.swap(true, Ordering::SeqCst) || !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let Ok(rows) =
        sqlx::query("SELECT datname::text FROM pg_database WHERE datname LIKE 'redflag_t_%'")
            .fetch_all(admin)
            .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get::<String, _>(0) else {
            continue;
        };
        let pid = name
            .strip_prefix("redflag_t_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let ended = pid.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists());
        let safe = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ended && safe {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(admin)
                .await;
        }
    }
}

impl TestStore {
    /// A fresh SQLite store in a temporary directory.
    pub async fn sqlite() -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("redflag-test-{}", unique_suffix()));
        let store = Store::open_data_dir(&dir).await?;
        let url = format!("sqlite://{}?mode=rwc", dir.join("redflag.db").display());
        Ok(Self {
            store,
            url,
            _dir: Some(tempfile_dir::TempDir(dir)),
        })
    }

    /// A fresh PostgreSQL database on the server `REDFLAG_TEST_DATABASE_URL` names, or `None` when
    /// the variable is unset.
    pub async fn postgres() -> Result<Option<Self>> {
        let Ok(base) = std::env::var(TEST_DATABASE_URL) else {
            return Ok(None);
        };
        if base.trim().is_empty() {
            return Ok(None);
        }
        let name = format!("redflag_t_{}", unique_suffix());
        let admin = Store::connect_only(&base).await?;
        sweep_ended_runs(&admin).await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .map_err(|source| StoreError::Query {
                action: "creating a test database",
                source,
            })?;
        admin.close().await;
        let (head, _) = base.rsplit_once('/').unwrap_or((base.as_str(), ""));
        let url = format!("{head}/{name}");
        let store = Store::open(&url).await?;
        Ok(Some(Self {
            store,
            url,
            _dir: None,
        }))
    }

    /// SQLite, and PostgreSQL when configured.
    pub async fn all() -> Result<Vec<Self>> {
        let mut stores = vec![Self::sqlite().await?];
        if let Some(pg) = Self::postgres().await? {
            stores.push(pg);
        }
        Ok(stores)
    }
}
