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
    admins::create_first(
        &runtime.db,
        &config.admin_username,
        &config.admin_password.0,
    )
    .await?;
    tracing::info!(admin = %config.admin_username, "created the first administrator from the configuration");
    Ok(())
}

pub async fn run(config: Config) -> Result<(), ServeError> {
    let addr = config.listen_addr()?;
    let runtime = open_runtime(config).await?;
    ensure_first_admin(&runtime).await?;

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
