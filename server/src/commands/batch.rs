//! `mailferry batch …`: list, run, stop, resume, delete, retry failed rows, pre-flight.

use std::io::Write;

use sea_orm::{EntityTrait, QueryOrder};

use crate::batches::actions::{self, ActionError};
use app::model::batch::MailboxState;

use super::output;
use crate::batches::preflight::{PreflightError, preflight};
use crate::batches::run_batch::{RunBatchError, RunSettings, run_batch};
use crate::cli::BatchAction;
use crate::config::Config;
use crate::db::entity::{batch, mailbox};

#[derive(Debug, thiserror::Error)]
pub enum BatchCommandError {
    #[error(transparent)]
    Runtime(#[from] crate::runtime::RuntimeError),
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

/// `batch run`: runs (or continues) the batch in this process, waiting for the mailboxes other
/// processes hold; never reports the batch finished while one is held.
async fn run_here(id: i64, concurrency: usize, config: Config) -> Result<u8, BatchCommandError> {
    // This process migrates: on SQLite it takes the database's lock (and with it the mailboxes
    // of a run that was killed).
    let runtime = crate::runtime::open_for_work(config).await?;
    let (db, cipher) = (&runtime.db, &runtime.cipher);
    let settings = RunSettings {
        lease: runtime.config.lease(),
        imap_timeout: runtime.config.imap_timeout(),
        cluster_max: runtime.config.cluster_max(),
        wait_for_held: true,
        ..RunSettings::with_concurrency(concurrency.max(1))
    };
    let outcome = run_batch(db, cipher, id, settings, output::print_event).await?;
    output::print_outcome(id, &outcome);
    let smtp = crate::mail::mail_settings::load(db, cipher, &runtime.config.smtp)
        .await
        .map(|settings| settings.smtp)
        .unwrap_or_else(|_| runtime.config.smtp.clone());
    if let Err(e) = crate::mail::status_email::send(db, &smtp, id).await {
        println!("the status e-mail could not be sent: {e}");
    }
    Ok(output::exit_code(&outcome))
}

/// Runs the action; the `Ok` value is the exit code.
pub async fn run(action: BatchAction, config: Config) -> Result<u8, BatchCommandError> {
    if let BatchAction::Run { id, concurrency } = action {
        return run_here(id, concurrency, config).await;
    }
    let runtime = crate::runtime::open(config).await?;
    let (db, cipher) = (&runtime.db, &runtime.cipher);
    match action {
        BatchAction::List => {
            println!(
                "{:>5}  {:<20} {:<40} {:>9} {:>7} {:>7}",
                "ID", "STATE", "NAME", "MAILBOXES", "SYNCED", "FAILED"
            );
            for b in batch::Entity::find()
                .order_by_asc(batch::Column::Id)
                .all(db)
                .await?
            {
                let counts = mailbox::counts_by_state(db, b.id).await?;
                let count = |s: MailboxState| counts.get(&s).copied().unwrap_or(0);
                println!(
                    "{:>5}  {:<20} {:<40} {:>9} {:>7} {:>7}",
                    b.id,
                    b.state,
                    b.name,
                    counts.values().sum::<u64>(),
                    count(MailboxState::Synced),
                    count(MailboxState::Failed)
                );
            }
            Ok(0)
        }
        BatchAction::Run { .. } => unreachable!("run above"),
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
            output::print_preflight(&rows);
            Ok(if rows.iter().any(|r| r.problem.is_some()) {
                2
            } else {
                0
            })
        }
    }
}
