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
