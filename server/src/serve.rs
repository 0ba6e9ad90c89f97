//! `mailferry serve`: makes sure an admin can sign in, starts the migration worker and serves
//! the web app.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::setup_code::SetupCode;
use crate::auth::{admins, rate_limit::SignInLimits};
use crate::config::Config;
use crate::http::origin::AllowedOrigins;
use crate::http::state::AppState;
use crate::runtime::{self, Runtime, RuntimeError};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("first admin: {0}")]
    FirstAdmin(#[from] admins::AdminError),
    #[error("counting administrators: {0}")]
    Admins(#[source] sea_orm::DbErr),
    #[error("Leptos site configuration: {0}")]
    Leptos(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
}

/// Creates the first admin from `MAILFERRY_ADMIN_PASSWORD(_FILE)` when none exists yet; without
/// one, makes the set-up code the /setup page asks for and prints it.
async fn ensure_first_admin(runtime: &Runtime) -> Result<Option<SetupCode>, ServeError> {
    if admins::count(&runtime.db)
        .await
        .map_err(ServeError::Admins)?
        > 0
    {
        return Ok(None);
    }
    let config = &runtime.config;
    if config.admin_password.0.is_empty() {
        let code = SetupCode::generate();
        tracing::warn!(
            "no administrator yet: open the web app's /setup page and enter the set-up code {}",
            code.reveal()
        );
        return Ok(Some(code));
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
    Ok(None)
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
    let runtime = runtime::open_for_work(config).await?;
    let setup_code = ensure_first_admin(&runtime).await?;
    if role != Role::WebOnly {
        start_worker(&runtime);
    }
    if role == Role::WorkerOnly {
        tracing::info!("worker only: no web app in this process");
        shutdown_signal().await;
        return Ok(());
    }
    serve_web(runtime, addr, setup_code).await
}

fn start_worker(runtime: &Runtime) {
    let settings = crate::worker::WorkerSettings {
        concurrency: runtime.config.max_concurrent_mailboxes as usize,
        lease: runtime.config.lease(),
        imap_timeout: runtime.config.imap_timeout(),
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

/// Serves the web app until Ctrl-C or SIGTERM (the runtime, and its SQLite lock, live as long).
async fn serve_web(
    runtime: Runtime,
    addr: std::net::SocketAddr,
    setup_code: Option<SetupCode>,
) -> Result<(), ServeError> {
    let mut leptos_options = leptos::prelude::get_configuration(None)
        .map_err(|e| ServeError::Leptos(e.to_string()))?
        .leptos_options;
    leptos_options.site_addr = addr;
    // The live pages hear of changes from every process sharing PostgreSQL (SQLite's writers
    // are in this process, seen by its update hook).
    if runtime.config.database_kind()? == crate::config::DatabaseKind::Postgres {
        crate::db::changes::follow_postgres(runtime.config.database_url.0.clone());
    }
    let state = AppState {
        leptos_options,
        db: runtime.db.clone(),
        sign_in_limits: Arc::new(SignInLimits::new(
            runtime.config.sign_in_attempts_per_minute,
            Duration::from_secs(60),
        )),
        config: runtime.config.clone(),
        allowed_origins: Arc::new(AllowedOrigins::of(&runtime.config, addr)),
        setup_code,
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
    let limits = crate::http::connections::ConnectionLimits {
        max_connections: runtime.config.max_connections as usize,
        header_read_timeout: Duration::from_secs(runtime.config.header_read_timeout_secs.max(1)),
    };
    crate::http::connections::serve(listener, router, limits, shutdown_signal()).await;
    Ok(())
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
