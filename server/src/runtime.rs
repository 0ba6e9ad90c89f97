//! What every command starts from: the configuration, the database (schema up to date) and the
//! cipher of stored secrets; and, for the processes that migrate, the SQLite lock that keeps a
//! second process off an embedded database.

use std::sync::Arc;

use crate::config::Config;
use crate::secrets::{Cipher, key_file};

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Key(#[from] key_file::KeyFileError),
    #[error(
        "the database holds passwords sealed with key {stored}, but the key file {path} {found}: \
         restore the key file (from the backup of this installation) instead of starting over"
    )]
    KeyMismatch {
        path: String,
        stored: String,
        found: String,
    },
    #[error("reading which key sealed the stored secrets: {0}")]
    Census(#[source] sea_orm::DbErr),
    #[error("resealing stored secrets: {0}")]
    Reseal(#[from] crate::secrets::rotate::RotateError),
    #[error("{0}")]
    SqliteLock(String),
    #[error("taking over the claims of a process that is gone: {0}")]
    Orphans(#[source] sea_orm::DbErr),
}

/// Everything `serve` and the headless commands share: config, database, cipher.
pub struct Runtime {
    pub config: Arc<Config>,
    pub db: sea_orm::DatabaseConnection,
    pub cipher: Cipher,
    /// Held by a process that migrates on SQLite (see [`open_for_work`]).
    _sqlite_guard: Option<SqliteGuard>,
}

/// Opens the database and the key, for a command that only reads or acts on stored data. On
/// SQLite, when no process is migrating (nobody holds the lock), the claims of one that died are
/// released first, so that `batch resume` and the reports see what really runs.
pub async fn open(config: Config) -> Result<Runtime, RuntimeError> {
    let probe = lock_sqlite(&config).ok().flatten();
    let runtime = open_unlocked(config).await?;
    if probe.is_some() {
        release_orphans(&runtime.db).await?;
    }
    Ok(runtime)
}

async fn release_orphans(db: &sea_orm::DatabaseConnection) -> Result<(), RuntimeError> {
    let released = crate::db::claim::release_orphans(db)
        .await
        .map_err(RuntimeError::Orphans)?;
    if released > 0 {
        tracing::info!(
            mailboxes = released,
            "took over the mailboxes of a process that is gone"
        );
    }
    Ok(())
}

async fn open_unlocked(config: Config) -> Result<Runtime, RuntimeError> {
    let db = crate::db::open(&config).await?;
    let cipher = open_key(&db, &config.secret_key_file).await?;
    crate::engine::memory_budget::MemoryBudget::configure(config.message_memory_mib);
    Ok(Runtime {
        config: Arc::new(config),
        db,
        cipher,
        _sqlite_guard: None,
    })
}

/// The key of the stored secrets: a missing key file is created only while the database holds
/// no secret, and a key file whose key did not seal them is refused (naming both keys); secrets
/// from before key ids are resealed with the key and their row.
async fn open_key(
    db: &sea_orm::DatabaseConnection,
    path: &std::path::Path,
) -> Result<Cipher, RuntimeError> {
    use crate::secrets::census;
    let stored = census::a_stored_key_id(db)
        .await
        .map_err(RuntimeError::Census)?;
    let mismatch = |found: String, stored: String| RuntimeError::KeyMismatch {
        path: path.display().to_string(),
        stored,
        found,
    };
    if !path.exists()
        && let Some(stored) = stored.clone()
    {
        return Err(mismatch("is missing".into(), stored));
    }
    let cipher = Cipher::new(&key_file::load_or_create(path)?);
    if let Some(id) = stored
        .as_deref()
        .filter(|id| *id != "v1" && *id != cipher.key_id())
    {
        return Err(mismatch(
            format!("holds key {}", cipher.key_id()),
            id.to_string(),
        ));
    }
    // Any secret from before key ids, beside newer ones too (an older binary on the same
    // database), is resealed with the key and its row.
    let legacy = stored.is_some()
        && census::any_sealed_with(db, "v1")
            .await
            .map_err(RuntimeError::Census)?;
    if legacy {
        let resealed = crate::secrets::rotate::rotate(db, &cipher, &cipher).await?;
        tracing::info!(
            secrets = resealed,
            key = cipher.key_id(),
            "resealed stored secrets with key ids"
        );
    }
    Ok(cipher)
}

/// Opens the runtime of a process that migrates (`serve`, `migrate`, `batch run`). On SQLite it
/// holds the database's lock for its lifetime: no other process can be working then, so the
/// claims of one that died (a `kill -9`) are taken over at once instead of after their lease.
pub async fn open_for_work(config: Config) -> Result<Runtime, RuntimeError> {
    let guard = lock_sqlite(&config)?;
    let mut runtime = open_unlocked(config).await?;
    if guard.is_some() {
        release_orphans(&runtime.db).await?;
    }
    runtime._sqlite_guard = guard;
    Ok(runtime)
}

/// Keeps other processes off a SQLite database: several processes need PostgreSQL.
pub struct SqliteGuard {
    _file: std::fs::File,
}

/// Takes the lock file beside a SQLite database; `None` for PostgreSQL.
pub fn lock_sqlite(config: &Config) -> Result<Option<SqliteGuard>, RuntimeError> {
    if config.database_kind()? != crate::config::DatabaseKind::Sqlite {
        return Ok(None);
    }
    let url = &config.database_url.0;
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    let lock_path = format!("{path}.lock");
    if let Some(parent) = std::path::Path::new(&lock_path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        let _ = std::fs::create_dir_all(parent);
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| RuntimeError::SqliteLock(format!("{lock_path}: {e}")))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(SqliteGuard { _file: file })),
        Err(std::fs::TryLockError::WouldBlock) => Err(RuntimeError::SqliteLock(format!(
            "another Mailferry process is migrating with the SQLite database {path}; SQLite allows one process — \
             to run several, use PostgreSQL (database_url = postgres://…)"
        ))),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(RuntimeError::SqliteLock(format!("{lock_path}: {e}")))
        }
    }
}
