//! `mailferry batch …`: list, run, stop, resume, delete, retry failed rows, pre-flight.

use std::io::Write;

use sea_orm::{EntityTrait, QueryOrder};

use crate::batches::actions::{self, ActionError};
use crate::batches::preflight::{PreflightError, PreflightRow, preflight};
use crate::batches::run_batch::{RunBatchError, RunSettings, run_batch};
use crate::cli::BatchAction;
use crate::config::Config;
use crate::db::entity::{batch, mailbox};
use crate::engine::retry::RetryPolicy;

#[derive(Debug, thiserror::Error)]
pub enum BatchCommandError {
    #[error(transparent)]
    Runtime(#[from] crate::serve::ServeError),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Action(#[from] ActionError),
    #[error(transparent)]
    Run(#[from] RunBatchError),
    #[error(transparent)]
    Preflight(#[from] PreflightError),
    #[error("writing: {0}")]
    Io(#[from] std::io::Error),
}

pub fn print_preflight(rows: &[PreflightRow]) {
    let mut total = std::time::Duration::ZERO;
    for row in rows {
        match &row.problem {
            Some((kind, detail)) => println!(
                "row {:>5}  {:<40} {}: {}",
                row.row_index,
                row.email,
                kind.title(),
                detail
            ),
            None => println!(
                "row {:>5}  {:<40} ok  {} folders, {} messages, {:.1} MB, about {} s",
                row.row_index,
                row.email,
                row.folders,
                row.messages,
                row.bytes as f64 / 1_048_576.0,
                row.estimate.as_secs().max(1)
            ),
        }
        total += row.estimate;
    }
    let problems = rows.iter().filter(|r| r.problem.is_some()).count();
    println!(
        "pre-flight: {} rows, {} with problems, about {} s of copying",
        rows.len(),
        problems,
        total.as_secs()
    );
}

/// Runs the action; the `Ok` value is the exit code.
pub async fn run(action: BatchAction, config: Config) -> Result<u8, BatchCommandError> {
    let runtime = crate::serve::open_runtime(config).await?;
    let (db, cipher) = (&runtime.db, &runtime.cipher);
    match action {
        BatchAction::List => {
            let batches = batch::Entity::find()
                .order_by_asc(batch::Column::Id)
                .all(db)
                .await?;
            let mailboxes = mailbox::Entity::find().all(db).await?;
            println!(
                "{:>5}  {:<20} {:<40} {:>9} {:>7} {:>7}",
                "ID", "STATE", "NAME", "MAILBOXES", "SYNCED", "FAILED"
            );
            for b in batches {
                let rows: Vec<_> = mailboxes.iter().filter(|m| m.batch_id == b.id).collect();
                let count = |s: &str| rows.iter().filter(|m| m.state == s).count();
                println!(
                    "{:>5}  {:<20} {:<40} {:>9} {:>7} {:>7}",
                    b.id,
                    b.state,
                    b.name,
                    rows.len(),
                    count("Synced"),
                    count("Failed")
                );
            }
            Ok(0)
        }
        BatchAction::Run { id, concurrency } => {
            let outcome = run_batch(
                db,
                cipher,
                id,
                RunSettings {
                    concurrency: concurrency.max(1),
                    retry: RetryPolicy::default(),
                    lease: runtime.config.lease(),
                    cluster_max: runtime.config.cluster_max(),
                },
                |done| {
                    println!(
                        "row {:>5}  {:<40} {}  {} messages",
                        done.row_index, done.email, done.state, done.copied
                    );
                },
            )
            .await?;
            println!(
                "batch {id}: {} — {} synced, {} failed",
                outcome.state(),
                outcome.synced,
                outcome.failed
            );
            let _ = crate::mail::status_email::send(db, &runtime.config.smtp, id).await;
            Ok(if outcome.failed > 0 || outcome.message_errors > 0 {
                2
            } else {
                0
            })
        }
        BatchAction::Start { id } => {
            actions::start(db, id).await?;
            println!("batch {id} started; the running `mailferry serve` workers pick it up");
            Ok(0)
        }
        BatchAction::Stop { id } => {
            println!("batch {id}: {}", actions::stop(db, id).await?);
            Ok(0)
        }
        BatchAction::Resume { id } => {
            println!(
                "batch {id}: {} mailboxes queued again; run it with `mailferry batch run {id}`",
                actions::resume(db, id).await?
            );
            Ok(0)
        }
        BatchAction::Delete { id } => {
            actions::delete(db, id).await?;
            println!("batch {id} deleted");
            Ok(0)
        }
        BatchAction::Retry { id } => {
            let new_id = actions::new_batch_from_failed(db, id).await?;
            println!(
                "batch {new_id} created from the failed rows of batch {id}; run it with `mailferry batch run {new_id}`"
            );
            Ok(0)
        }
        BatchAction::FailedRows { id, out } => {
            let bytes = actions::write_failed_rows_csv(db, id, Vec::new()).await?;
            match out {
                Some(path) => std::fs::write(path, bytes)?,
                None => std::io::stdout().write_all(&bytes)?,
            }
            Ok(0)
        }
        BatchAction::Preflight { id } => {
            let rows = preflight(db, cipher, id).await?;
            print_preflight(&rows);
            Ok(if rows.iter().any(|r| r.problem.is_some()) {
                2
            } else {
                0
            })
        }
    }
}
