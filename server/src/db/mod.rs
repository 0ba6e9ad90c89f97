//! Storage: connecting to SQLite (default) or PostgreSQL and bringing the schema up to date.

pub mod changes;
pub mod claim;
pub mod entity;
pub(crate) mod migration;
pub mod write_failure;

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

use crate::config::{Config, DatabaseKind};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the data folder {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Connect(#[source] DbErr),
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(#[source] DbErr),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
}

/// Opens the configured database and runs pending migrations.
pub async fn open(config: &Config) -> Result<DatabaseConnection, DbError> {
    let kind = config.database_kind()?;
    let mut url = config.database_url.0.clone();
    if kind == DatabaseKind::Sqlite {
        let path = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|source| DbError::DataDir {
                path: parent.display().to_string(),
                source,
            })?;
        }
        if !url.contains('?') {
            url.push_str("?mode=rwc");
        }
    }
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if kind == DatabaseKind::Sqlite {
        // WAL lets the web app read while the engine writes; busy_timeout waits instead of failing.
        options.max_connections(8).map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                // Rows the SQLite thread may read ahead of the reader: a 100,000-row download
                // then wakes the reader per batch of rows instead of per row.
                .row_buffer_size(1024)
        });
        // Every pooled connection tells the live pages what it writes.
        options.map_sqlx_sqlite_pool_opts(|pool| pool.after_connect(changes::hook_sqlite));
    } else {
        options.max_connections(20);
    }
    let db = Database::connect(options).await.map_err(DbError::Connect)?;
    if kind == DatabaseKind::Postgres {
        // Processes starting together take turns: a session-level advisory lock on a connection
        // of its own, held while the pool migrates.
        let mut lock_options = ConnectOptions::new(config.database_url.0.clone());
        lock_options
            .max_connections(1)
            .min_connections(1)
            .sqlx_logging(false);
        let lock = Database::connect(lock_options)
            .await
            .map_err(DbError::Connect)?;
        lock.execute_unprepared("SELECT pg_advisory_lock(7274411)")
            .await
            .map_err(DbError::Migrate)?;
        let migrated = migration::Migrator::up(&db, None).await;
        let _ = lock
            .execute_unprepared("SELECT pg_advisory_unlock(7274411)")
            .await;
        let _ = lock.close().await;
        migrated.map_err(DbError::Migrate)?;
    } else {
        migration::Migrator::up(&db, None)
            .await
            .map_err(DbError::Migrate)?;
    }
    Ok(db)
}
