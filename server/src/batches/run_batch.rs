//! Running a batch: its queued mailboxes (and any left `Syncing` by a crash) go through the
//! engine with bounded concurrency; states, counters and errors are written as they happen.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use app::ErrorKind;
use app::model::batch::{BatchState, MailboxState};

use super::record::{self, ErrorRecord, Totals};
use crate::db::claim;
use crate::db::entity::{batch, mailbox};
use crate::endpoints::{EndpointSettings, store};
use crate::engine::copy_folder::ProgressSink;
use crate::engine::mailbox_job::{MailboxSpec, run_mailbox};
use crate::engine::options::BatchOptions;
use crate::engine::retry::RetryPolicy;
use crate::secrets::{Cipher, EncryptedSecret};

#[derive(Debug, thiserror::Error)]
pub enum RunBatchError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("batch {0} not found")]
    NotFound(i32),
    #[error("batch {0} has no source or destination endpoint")]
    NoEndpoint(i32),
    #[error(transparent)]
    Endpoint(#[from] store::EndpointStoreError),
    #[error("batch {0} is being stopped; resume it first")]
    Stopped(i32),
    #[error("batch options: {0}")]
    Options(serde_json::Error),
}

/// What the runner reports as mailboxes finish (the CLI prints it, the web app pushes it).
#[derive(Clone, Debug)]
pub struct MailboxFinished {
    pub row_index: i32,
    pub email: String,
    pub state: MailboxState,
    pub copied: u64,
    pub bytes: u64,
    pub problems: usize,
    pub error: Option<(ErrorKind, String)>,
    pub elapsed: Duration,
}

#[derive(Clone, Debug, Default)]
pub struct BatchOutcome {
    pub synced: u32,
    pub failed: u32,
    pub message_errors: u32,
}

impl BatchOutcome {
    pub fn state(&self) -> BatchState {
        match (self.synced, self.failed, self.message_errors) {
            (0, f, _) if f > 0 => BatchState::Failed,
            (_, 0, 0) => BatchState::Completed,
            _ => BatchState::CompletedWithErrors,
        }
    }
}

pub struct RunSettings {
    /// Mailboxes at once (further bounded by each endpoint's own limit).
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// How long a claim on a mailbox holds without a heartbeat (a dead worker's mailboxes are
    /// taken over after it).
    pub lease: Duration,
    /// Mailboxes all processes migrate at once (`None`: no such limit).
    pub cluster_max: Option<u32>,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            concurrency: 4,
            retry: RetryPolicy::default(),
            lease: claim::LEASE,
            cluster_max: None,
        }
    }
}

/// The engine's view of a batch mailbox: its counters move inside each commit.
struct MailboxProgress {
    row: i32,
    stop: Arc<AtomicBool>,
}

impl ProgressSink for MailboxProgress {
    fn copied(&self, _messages: u64, _bytes: u64) {}

    fn mailbox_row(&self) -> Option<i32> {
        Some(self.row)
    }

    fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Polls the batch's state so a stop given anywhere (web app, CLI, another process) is seen
/// within a second.
fn watch_for_stop(
    db: DatabaseConnection,
    batch_id: i32,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if let Ok(Some(b)) = batch::Entity::find_by_id(batch_id).one(&db).await
                && (b.state == BatchState::Stopping.as_str()
                    || b.state == BatchState::Stopped.as_str())
            {
                stop.store(true, Ordering::Relaxed);
                return;
            }
        }
    })
}

async fn set_batch_state(db: &DatabaseConnection, id: i32, state: BatchState) -> Result<(), DbErr> {
    let mut update =
        batch::Entity::update_many().col_expr(batch::Column::State, Expr::value(state.as_str()));
    match state {
        BatchState::Syncing => {
            update = update.col_expr(batch::Column::StartedAt, Expr::value(Utc::now()))
        }
        BatchState::Completed
        | BatchState::CompletedWithErrors
        | BatchState::Failed
        | BatchState::Stopped => {
            update = update.col_expr(batch::Column::EndedAt, Expr::value(Utc::now()))
        }
        _ => {}
    }
    update.filter(batch::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

struct Shared {
    db: DatabaseConnection,
    cipher: Cipher,
    batch_id: i32,
    source: EndpointSettings,
    destination: EndpointSettings,
    options: BatchOptions,
    retry: RetryPolicy,
    stop: Arc<AtomicBool>,
    /// This process, as written into the mailboxes it claims.
    worker: String,
    source_endpoint_id: i32,
    lease: Duration,
    cluster_max: Option<u32>,
}

pub async fn run_batch(
    db: &DatabaseConnection,
    cipher: &Cipher,
    batch_id: i32,
    settings: RunSettings,
    on_finished: impl Fn(&MailboxFinished),
) -> Result<BatchOutcome, RunBatchError> {
    let batch = batch::Entity::find_by_id(batch_id)
        .one(db)
        .await?
        .ok_or(RunBatchError::NotFound(batch_id))?;
    let (Some(source_id), Some(destination_id)) =
        (batch.source_endpoint_id, batch.destination_endpoint_id)
    else {
        return Err(RunBatchError::NoEndpoint(batch_id));
    };
    let shared = Arc::new(Shared {
        db: db.clone(),
        cipher: cipher.clone(),
        batch_id,
        source: store::load(db, cipher, source_id).await?,
        destination: store::load(db, cipher, destination_id).await?,
        options: serde_json::from_str(&batch.options).map_err(RunBatchError::Options)?,
        retry: settings.retry,
        stop: Arc::new(AtomicBool::new(false)),
        worker: claim::worker_id(),
        source_endpoint_id: source_id,
        lease: settings.lease,
        cluster_max: settings.cluster_max,
    });
    if batch.state == BatchState::Stopping.as_str() || batch.state == BatchState::Stopped.as_str() {
        return Err(RunBatchError::Stopped(batch_id));
    }
    set_batch_state(db, batch_id, BatchState::Syncing).await?;
    let watcher = watch_for_stop(db.clone(), batch_id, shared.stop.clone());
    let rows = mailbox::Entity::find()
        .filter(mailbox::Column::BatchId.eq(batch_id))
        .filter(mailbox::Column::State.is_in([
            MailboxState::Queued.as_str(),
            MailboxState::Syncing.as_str(),
        ]))
        .order_by_asc(mailbox::Column::RowIndex)
        .all(db)
        .await?;
    let concurrency = settings
        .concurrency
        .min(shared.source.max_concurrent as usize)
        .min(shared.destination.max_concurrent as usize)
        .max(1);
    let mut finished = futures::stream::iter(rows)
        .map(|row| run_one(shared.clone(), row))
        .buffer_unordered(concurrency);
    while let Some(result) = finished.next().await {
        if let Some(event) = result? {
            on_finished(&event);
        }
    }
    watcher.abort();
    drop(finished);
    // Every mailbox of the batch counts, also those finished by an earlier run.
    let all = mailbox::Entity::find()
        .filter(mailbox::Column::BatchId.eq(batch_id))
        .all(db)
        .await?;
    let message_errors = crate::db::entity::migration_error::Entity::find()
        .filter(crate::db::entity::migration_error::Column::BatchId.eq(batch_id))
        .filter(crate::db::entity::migration_error::Column::Scope.eq("message"))
        .all(db)
        .await?
        .len() as u32;
    let outcome = BatchOutcome {
        synced: all
            .iter()
            .filter(|m| m.state == MailboxState::Synced.as_str())
            .count() as u32,
        failed: all
            .iter()
            .filter(|m| m.state == MailboxState::Failed.as_str())
            .count() as u32,
        message_errors,
    };
    // Other workers may still hold mailboxes of this batch: the last one to finish decides.
    let unfinished = all.iter().any(|m| {
        m.state == MailboxState::Queued.as_str() || m.state == MailboxState::Syncing.as_str()
    });
    if !unfinished {
        // Stopped when any worker saw the stop, or the admin's stop arrived after this worker's
        // last look (its mailboxes done, others stopped while queued).
        let stop_requested = batch::Entity::find_by_id(batch_id)
            .one(db)
            .await?
            .is_some_and(|b| {
                b.state == BatchState::Stopping.as_str() || b.state == BatchState::Stopped.as_str()
            });
        let stopped = shared.stop.load(Ordering::Relaxed)
            || stop_requested
            || all
                .iter()
                .any(|m| m.state == MailboxState::Stopped.as_str());
        let end_state = if stopped {
            BatchState::Stopped
        } else {
            outcome.state()
        };
        set_batch_state(db, batch_id, end_state).await?;
    }
    Ok(outcome)
}

/// Runs one mailbox if this process can claim it; `None` when another worker holds it.
async fn run_one(
    shared: Arc<Shared>,
    row: mailbox::Model,
) -> Result<Option<MailboxFinished>, DbErr> {
    if shared.stop.load(Ordering::Relaxed) {
        record::set_state(&shared.db, row.id, MailboxState::Stopped).await?;
        return Ok(None);
    }
    let limits = claim::ClaimLimits {
        endpoint: Some(claim::EndpointLimit {
            source_endpoint_id: shared.source_endpoint_id,
            max: shared.source.max_concurrent,
        }),
        cluster_max: shared.cluster_max,
    };
    loop {
        match claim::claim(&shared.db, row.id, &shared.worker, shared.lease, limits).await? {
            claim::Claim::Claimed => break,
            claim::Claim::Taken => return Ok(None),
            // Other processes use every slot of the endpoint or the cluster: wait for one.
            claim::Claim::LimitReached if !shared.stop.load(Ordering::Relaxed) => {
                tokio::time::sleep(Duration::from_millis(500)).await
            }
            claim::Claim::LimitReached => return Ok(None),
        }
    }
    let heartbeat = {
        let (db, worker, id, lease) = (
            shared.db.clone(),
            shared.worker.clone(),
            row.id,
            shared.lease,
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                if !matches!(claim::renew(&db, id, &worker, lease).await, Ok(true)) {
                    tracing::warn!(mailbox = id, "lost the claim on a mailbox");
                    return;
                }
            }
        })
    };
    let result = run_claimed(&shared, &row).await;
    heartbeat.abort();
    result.map(Some)
}

async fn run_claimed(shared: &Shared, row: &mailbox::Model) -> Result<MailboxFinished, DbErr> {
    let row = row.clone();
    let db = &shared.db;
    let started = Instant::now();
    let finished = |state, copied, bytes, problems, error| MailboxFinished {
        row_index: row.row_index,
        email: row.email_address.clone(),
        state,
        copied,
        bytes,
        problems,
        error,
        elapsed: started.elapsed(),
    };
    if !shared.options.sync_again && record::completed_before(db, &row.email_address).await? {
        let kind = ErrorKind::MailboxAlreadyMigrated;
        let detail = "completed by an earlier batch".to_string();
        record::fail_before_start(db, &row, kind, detail.clone()).await?;
        return Ok(finished(
            MailboxState::Failed,
            0,
            0,
            0,
            Some((kind, detail)),
        ));
    }
    let password = match shared
        .cipher
        .decrypt(&EncryptedSecret(row.source_secret.clone()))
    {
        Ok(p) => p,
        Err(e) => {
            let detail = format!("the stored source password cannot be read: {e}");
            record::fail_before_start(db, &row, ErrorKind::Internal, detail.clone()).await?;
            return Ok(finished(
                MailboxState::Failed,
                0,
                0,
                0,
                Some((ErrorKind::Internal, detail)),
            ));
        }
    };
    record::set_state(db, row.id, MailboxState::Syncing).await?;
    let spec = MailboxSpec {
        email: row.email_address.clone(),
        source: shared.source.address(),
        source_credentials: shared
            .source
            .credentials_for(&row.source_username, Some(&password)),
        destination: shared.destination.address(),
        destination_credentials: shared.destination.credentials_for(&row.email_address, None),
        user_root: row.user_root.clone(),
        options: shared.options.clone(),
        retry: shared.retry,
    };
    drop(password);
    let result = run_mailbox(
        db,
        &spec,
        &MailboxProgress {
            row: row.id,
            stop: shared.stop.clone(),
        },
    )
    .await;
    match result {
        Ok(report) => {
            for (folder, problem) in &report.problems {
                record::error(
                    db,
                    ErrorRecord {
                        mailbox: &row,
                        kind: problem.kind,
                        message: problem.detail.clone(),
                        folder: Some(folder.clone()),
                        uid: Some(problem.uid),
                        subject: problem.subject.clone(),
                        size: Some(problem.size),
                    },
                )
                .await?;
            }
            for (folder, detail) in &report.folder_problems {
                record::error(
                    db,
                    ErrorRecord {
                        mailbox: &row,
                        kind: ErrorKind::FolderFailed,
                        message: detail.clone(),
                        folder: Some(folder.clone()),
                        uid: None,
                        subject: None,
                        size: None,
                    },
                )
                .await?;
            }
            let problems = report.problems.len() + report.folder_problems.len();
            let totals = Totals::of(&report, problems as u64);
            record::finish(db, row.id, MailboxState::Synced, totals, None).await?;
            record::mark_completed(db, &row.email_address, shared.batch_id).await?;
            Ok(finished(
                MailboxState::Synced,
                report.copied,
                report.bytes,
                problems,
                None,
            ))
        }
        Err(failure) if failure.stopped => {
            let totals = Totals::of(&failure.report, 0);
            record::finish(db, row.id, MailboxState::Stopped, totals, None).await?;
            Ok(finished(
                MailboxState::Stopped,
                failure.report.copied,
                failure.report.bytes,
                0,
                None,
            ))
        }
        Err(failure) => {
            record::error(
                db,
                ErrorRecord {
                    mailbox: &row,
                    kind: failure.kind,
                    message: failure.detail.clone(),
                    folder: failure.folder.clone(),
                    uid: None,
                    subject: None,
                    size: None,
                },
            )
            .await?;
            let totals = Totals::of(&failure.report, failure.report.problems.len() as u64);
            record::finish(
                db,
                row.id,
                MailboxState::Failed,
                totals,
                Some((failure.kind, failure.detail.clone())),
            )
            .await?;
            Ok(finished(
                MailboxState::Failed,
                failure.report.copied,
                failure.report.bytes,
                0,
                Some((failure.kind, failure.detail)),
            ))
        }
    }
}
