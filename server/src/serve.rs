//! `mailferry serve`: opens storage, makes sure an admin can sign in, and serves the web app.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{admins, rate_limit::RateLimiter};
use crate::config::Config;
use crate::http::state::AppState;
use crate::secrets::{Cipher, key_file};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Key(#[from] key_file::KeyFileError),
    #[error("first admin: {0}")]
    FirstAdmin(#[from] admins::AdminError),
    #[error("Leptos site configuration: {0}")]
    Leptos(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    SqliteLock(String),
    #[error("server stopped: {0}")]
    Serve(std::io::Error),
}

/// Everything `serve` and the headless commands share: config, database, cipher.
pub struct Runtime {
    pub config: Arc<Config>,
    pub db: sea_orm::DatabaseConnection,
    pub cipher: Cipher,
}

pub async fn open_runtime(config: Config) -> Result<Runtime, ServeError> {
    let db = crate::db::open(&config).await?;
    let key = key_file::load_or_create(&config.secret_key_file)?;
    crate::engine::memory_budget::MemoryBudget::configure(config.message_memory_mib);
    Ok(Runtime {
        config: Arc::new(config),
        db,
        cipher: Cipher::new(&key),
    })
}

/// Creates the first admin from `MAILFERRY_ADMIN_PASSWORD(_FILE)` when none exists yet.
async fn ensure_first_admin(runtime: &Runtime) -> Result<(), ServeError> {
    if admins::count(&runtime.db)
        .await
        .map_err(|e| ServeError::Db(crate::db::DbError::Connect(e)))?
        > 0
    {
        return Ok(());
    }
    let config = &runtime.config;
    if config.admin_password.0.is_empty() {
        tracing::warn!("no administrator yet: open the web app's /setup page to create one");
        return Ok(());
    }
    match admins::create_first(
        &runtime.db,
        &config.admin_username,
        &config.admin_password.0,
    )
    .await
    {
        Ok(_) => {
            tracing::info!(admin = %config.admin_username, "created the first administrator from the configuration")
        }
        // Several processes started together on one PostgreSQL: another one created it.
        Err(_) if admins::count(&runtime.db).await.unwrap_or(0) > 0 => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Which parts of the server this process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    WebAndWorker,
    WebOnly,
    WorkerOnly,
}

pub async fn run(config: Config, role: Role) -> Result<(), ServeError> {
    let addr = config.listen_addr()?;
    let _sqlite_guard = lock_sqlite(&config)?;
    let runtime = open_runtime(config).await?;
    ensure_first_admin(&runtime).await?;
    if role != Role::WebOnly {
        let settings = crate::worker::WorkerSettings {
            concurrency: runtime.config.max_concurrent_mailboxes as usize,
            lease: runtime.config.lease(),
            cluster_max: runtime.config.cluster_max(),
            poll: Duration::from_secs(2),
        };
        tokio::spawn(crate::worker::run(
            runtime.db.clone(),
            runtime.cipher.clone(),
            runtime.config.smtp.clone(),
            settings,
        ));
    }
    if role == Role::WorkerOnly {
        tracing::info!("worker only: no web app in this process");
        shutdown_signal().await;
        return Ok(());
    }

    let mut leptos_options = leptos::prelude::get_configuration(None)
        .map_err(|e| ServeError::Leptos(e.to_string()))?
        .leptos_options;
    leptos_options.site_addr = addr;
    let state = AppState {
        leptos_options,
        db: runtime.db.clone(),
        sign_in_limiter: Arc::new(RateLimiter::new(
            runtime.config.sign_in_attempts_per_minute,
            Duration::from_secs(60),
        )),
        config: runtime.config.clone(),
        cipher: runtime.cipher.clone(),
        live: crate::http::live_hub::LiveHub::new(runtime.db.clone()),
    };
    let router = crate::http::router::build(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Listen {
            addr: addr.to_string(),
            source,
        })?;
    tracing::info!("Mailferry listening on http://{addr}");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(ServeError::Serve)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return ctrl_c.await.unwrap_or(()),
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
}

/// Keeps other processes off a SQLite database: several processes need PostgreSQL.
pub struct SqliteGuard {
    _file: std::fs::File,
}

pub fn lock_sqlite(config: &Config) -> Result<Option<SqliteGuard>, ServeError> {
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
        .map_err(|e| ServeError::SqliteLock(format!("{lock_path}: {e}")))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(SqliteGuard { _file: file })),
        Err(std::fs::TryLockError::WouldBlock) => Err(ServeError::SqliteLock(format!(
            "another Mailferry process is serving the SQLite database {path}; SQLite allows one process — \
             to run several, use PostgreSQL (database_url = postgres://…)"
        ))),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(ServeError::SqliteLock(format!("{lock_path}: {e}")))
        }
    }
}
