//! `mailferry audit`: the audit trail, filtered, newest first.

use app::ids::BatchId;
use app::model::audit::{AuditAction, AuditFilter};

use crate::cli::AuditArgs;
use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum AuditCommandError {
    #[error(transparent)]
    Runtime(#[from] crate::runtime::RuntimeError),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error("unknown action {0:?}; one of: {1}")]
    UnknownAction(String, String),
}

pub async fn run(args: AuditArgs, config: Config) -> Result<u8, AuditCommandError> {
    let action = match args.action.as_deref() {
        None => None,
        Some(name) => Some(AuditAction::parse(name).ok_or_else(|| {
            let names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
            AuditCommandError::UnknownAction(name.to_string(), names.join(", "))
        })?),
    };
    let filter = AuditFilter {
        admin: args.admin,
        action,
        batch: args.batch.map(BatchId),
        since: args.since,
        until: args.until,
        before: None,
    };
    let runtime = crate::runtime::open(config).await?;
    let (entries, older) = crate::audit::query::entries(&runtime.db, &filter, args.limit).await?;
    println!(
        "{:<20}  {:<20}  {:<16}  {:<22}  {:>5}  detail",
        "time (UTC)", "admin", "from", "action", "batch"
    );
    for e in &entries {
        println!(
            "{:<20}  {:<20}  {:<16}  {:<22}  {:>5}  {}",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.admin,
            e.client.as_deref().unwrap_or("-"),
            e.action.as_str(),
            e.batch.map_or("-".to_string(), |b| b.to_string()),
            e.detail
        );
    }
    if older.is_some() {
        println!("(older entries: narrow with --since/--until or raise --limit)");
    }
    Ok(0)
}
