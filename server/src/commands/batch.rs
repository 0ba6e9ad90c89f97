//! `mailferry batch …`: list, run, stop, resume, delete, retry failed rows, pre-flight.

use app::model::audit::AuditAction;
use std::io::Write;

use sea_orm::{EntityTrait, QueryOrder};

use crate::batches::actions::{self, ActionError};
use crate::batches::lifecycle;

use super::output;
use crate::batches::preflight::{PreflightError, preflight};
use crate::batches::run_batch::{RunBatchError, RunSettings, run_batch};
use crate::cli::BatchAction;
use crate::config::Config;
use crate::db::entity::batch;

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
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Create(#[from] crate::batches::create_batch::CreateBatchError),
    #[error(transparent)]
    Verify(#[from] crate::verify::run::VerifyError),
    #[error(transparent)]
    Export(#[from] crate::verify::export::ExportError),
}

/// `batch create`: the CSV checked (every problem with its row and column), the endpoints
/// checked, the batch stored with its schedule, started now if asked.
async fn create(
    db: &sea_orm::DatabaseConnection,
    cipher: &crate::secrets::Cipher,
    config: &Config,
    args: crate::cli::CreateBatchArgs,
) -> Result<u8, BatchCommandError> {
    use crate::batches::create_batch::{NewBatch, Schedule, create_batch};
    let bytes = std::fs::read(&args.csv)?;
    let interval = args.incremental_interval.map_or(0, |d| d.as_secs());
    if interval != 0 && interval < config.min_incremental_sync_secs {
        return Err(BatchCommandError::Usage(format!(
            "--incremental-interval: at least {} s",
            config.min_incremental_sync_secs
        )));
    }
    let mut passwords = crate::csv_import::Passwords::Required;
    for (id, side) in [(args.source, "source"), (args.destination, "destination")] {
        let Some(found) = crate::db::entity::endpoint::Entity::find_by_id(id)
            .one(db)
            .await?
        else {
            return Err(BatchCommandError::Usage(format!(
                "--{side} {id}: no such endpoint (`mailferry endpoint list`)"
            )));
        };
        if side == "source" && found.signs_users_in() {
            passwords = crate::csv_import::Passwords::Optional;
        }
    }
    let rows = crate::csv_import::parse_csv_with(&bytes, passwords).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
        BatchCommandError::Usage(format!("the CSV file has problems:\n{}", lines.join("\n")))
    })?;
    let options = crate::engine::options::BatchOptions {
        incremental_sync_secs: interval,
        ..Default::default()
    };
    let name = args
        .name
        .unwrap_or_else(|| format!("Batch {}", chrono::Utc::now().format("%Y-%m-%d %H:%M")));
    let id = create_batch(
        db,
        cipher,
        NewBatch {
            name,
            source_endpoint_id: args.source,
            destination_endpoint_id: args.destination,
            options: &options,
            notify_emails: args.notify,
            rows: &rows,
            origin: None,
            schedule: Schedule {
                start_after: args.start_after,
                complete_after: args.complete_after,
                complete_at_once: false,
            },
        },
    )
    .await?;
    if args.start {
        actions::start(db, id).await?;
    }
    println!("batch {id} created with {} mailboxes", rows.len());
    Ok(0)
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
    // Once per stage: a delta pass of a Synced batch sends none.
    let (smtp, stale) = (
        &runtime.config.smtp,
        crate::mail::status_email::stale_after(runtime.config.lease()),
    );
    let sent = crate::mail::status_email::send_once_with_settings(db, cipher, smtp, id, stale);
    if let Err(e) = sent.await {
        println!("the status e-mail could not be sent: {e}");
    }
    Ok(output::exit_code(&outcome))
}

/// `batch list`: every batch with its state and counts.
async fn list(db: &sea_orm::DatabaseConnection) -> Result<u8, BatchCommandError> {
    println!(
        "{:>5}  {:<20} {:<40} {:>9} {:>7} {:>7}  {:<20} {:<20}",
        "ID", "STATE", "NAME", "MAILBOXES", "SYNCED", "FAILED", "LAST SYNCED", "NEXT DELTA SYNC"
    );
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(
            || "-".into(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
    };
    let counts = crate::batches::counts::per_batch(db).await?;
    for b in batch::Entity::find()
        .order_by_asc(batch::Column::Id)
        .all(db)
        .await?
    {
        let counts = counts.get(&b.id).copied().unwrap_or_default();
        println!(
            "{:>5}  {:<20} {:<40} {:>9} {:>7} {:>7}  {:<20} {:<20}",
            b.id,
            b.state,
            b.name,
            counts.total,
            counts.synced,
            counts.failed,
            at(b.last_synced_at),
            at(b.next_sync_at)
        );
    }
    Ok(0)
}

/// Runs the action; the `Ok` value is the exit code.
pub async fn run(action: BatchAction, config: Config) -> Result<u8, BatchCommandError> {
    if let BatchAction::Run { id, concurrency } = action {
        return run_here(id, concurrency, config).await;
    }
    let runtime = crate::runtime::open(config).await?;
    let (db, cipher) = (&runtime.db, &runtime.cipher);
    let audited = audited(&action);
    let done = act(db, cipher, &runtime.config, action).await;
    if let (Ok(_), Some((what, id))) = (&done, audited) {
        let actor = crate::audit::Actor::CommandLine;
        crate::audit::record(db, actor, None, what, Some(id), "").await;
    }
    done
}

/// What the audit trail records of an action that changes a batch.
fn audited(action: &BatchAction) -> Option<(AuditAction, i64)> {
    Some(match action {
        BatchAction::Start { id } => (AuditAction::BatchStarted, *id),
        BatchAction::Stop { id } => (AuditAction::BatchStopped, *id),
        BatchAction::Resume { id } => (AuditAction::BatchResumed, *id),
        BatchAction::SyncNow { id } => (AuditAction::BatchSyncNow, *id),
        BatchAction::Complete { id } => (AuditAction::BatchCompleted, *id),
        BatchAction::Delete { id } => (AuditAction::BatchDeleted, *id),
        BatchAction::Retry { id } => (AuditAction::BatchFromFailed, *id),
        BatchAction::FailedRows { id, .. } => (AuditAction::Downloaded, *id),
        BatchAction::Verify { id, .. } => (AuditAction::BatchVerified, *id),
        BatchAction::CopyMissing { id } => (AuditAction::BatchCopyMissing, *id),
        _ => return None,
    })
}

async fn act(
    db: &sea_orm::DatabaseConnection,
    cipher: &crate::secrets::Cipher,
    config: &Config,
    action: BatchAction,
) -> Result<u8, BatchCommandError> {
    match action {
        BatchAction::List => list(db).await,
        BatchAction::Run { .. } => unreachable!("run above"),
        BatchAction::Create(args) => create(db, cipher, config, *args).await,
        BatchAction::SyncNow { id } => {
            let queued = lifecycle::sync_now(db, id).await?;
            println!("batch {id}: delta sync of {queued} mailboxes started");
            Ok(0)
        }
        BatchAction::Complete { id } => {
            let state = lifecycle::complete(db, id).await?;
            println!("batch {id}: {state}");
            Ok(0)
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
            let new_id = actions::new_batch_from_failed(db, cipher, id).await?;
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
        BatchAction::Verify { id, out } => verify(db, cipher, id, out).await,
        BatchAction::CopyMissing { id } => {
            let queued = crate::verify::copy_missing::copy_missing(db, id, None).await?;
            println!(
                "batch {id}: {queued} mailboxes queued to copy what is missing; the running \
                 `mailferry serve` workers pick it up (or `mailferry batch run {id}`)"
            );
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

/// `batch verify`: every mailbox a pass has ended for, compared with its source; a line per
/// mailbox, MigrationVerification.csv to `out`. Exit code 2 when anything is missing or a
/// mailbox could not be verified.
async fn verify(
    db: &sea_orm::DatabaseConnection,
    cipher: &crate::secrets::Cipher,
    id: i64,
    out: Option<std::path::PathBuf>,
) -> Result<u8, BatchCommandError> {
    use crate::verify::{export, run};
    let rows = run::rows_to_verify(db, id, None).await?;
    let tally = run::verify_rows(db, cipher, id, rows).await?;
    output::print_verifications(db, id).await?;
    println!(
        "batch {id}: {} verified whole, {} with messages missing, {} not verified",
        tally.whole, tally.missing, tally.failed
    );
    if let Some(path) = out {
        std::fs::write(
            path,
            export::write_verification_csv(db, id, Vec::new()).await?,
        )?;
    }
    Ok(if tally.missing + tally.failed > 0 {
        2
    } else {
        0
    })
}
