//! Running a batch in this process: its claimable mailboxes (queued, or left `Syncing` by a
//! process that died) go through the engine, each under a process-wide slot, the batch's own
//! "mailboxes at once" and the endpoints' limits; what other live processes hold is waited for
//! when the caller asks, and the batch is never reported finished while a mailbox is held.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

use app::ErrorScope;
use app::ids::BatchId;
use app::model::batch::{BatchState, MailboxState};

use super::mailbox_run::{Shared, run_one};
use crate::db::claim;
use crate::db::entity::{batch, mailbox};
use crate::endpoints::{EndpointSettings, store};
use crate::secrets::Cipher;

pub use super::run_settings::{HeldMailbox, MailboxFinished, RunEvent, RunSettings};

#[derive(Debug, thiserror::Error)]
pub enum RunBatchError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("batch {0} not found")]
    NotFound(i64),
    #[error("batch {0} has no source or destination endpoint")]
    NoEndpoint(i64),
    #[error(transparent)]
    Endpoint(#[from] store::EndpointStoreError),
    #[error("batch {0} is being stopped; resume it first")]
    Stopped(i64),
}

#[derive(Clone, Debug, Default)]
pub struct BatchOutcome {
    pub synced: u32,
    pub failed: u32,
    pub message_errors: u32,
    /// Mailboxes still queued or held by another process when the run ended.
    pub unfinished: u32,
    /// The batch was stopped.
    pub stopped: bool,
    /// This was the final pass: the batch ends Completed rather than Synced.
    pub completing: bool,
}

impl BatchOutcome {
    pub fn state(&self) -> BatchState {
        let clean = self.failed == 0 && self.message_errors == 0;
        match (self.completing, clean) {
            _ if self.unfinished > 0 && self.completing => BatchState::Completing,
            _ if self.unfinished > 0 => BatchState::Syncing,
            _ if self.stopped => BatchState::Stopped,
            _ if self.synced == 0 && self.failed > 0 => BatchState::Failed,
            (true, true) => BatchState::Completed,
            (true, false) => BatchState::CompletedWithErrors,
            (false, true) => BatchState::Synced,
            (false, false) => BatchState::SyncedWithErrors,
        }
    }
}

/// Writes the state a batch has reached when no pass of it runs any more: Synced (the next delta
/// scheduled), Completed, Failed or Stopped. Nothing while mailboxes are left.
pub async fn settle(
    db: &DatabaseConnection,
    id: i64,
    stopped_here: bool,
) -> Result<BatchOutcome, DbErr> {
    let outcome = outcome(db, id, stopped_here).await?;
    if outcome.unfinished > 0 {
        return Ok(outcome);
    }
    let state = outcome.state();
    // The next delta is written before the state: whoever sees Synced sees when it runs.
    if state.is_synced()
        && let Some(found) = batch::find(db, id).await?
    {
        let interval = found.options.incremental_sync_interval();
        let next = Utc::now() + chrono::Duration::seconds(interval.min(i64::MAX as u64) as i64);
        batch::set_next_sync(db, id, Some(next)).await?;
    }
    batch::set_state(db, id, state).await?;
    Ok(outcome)
}

/// Polls the batch's state so a stop given anywhere (web app, CLI, another process) is seen
/// within a second.
fn watch_for_stop(
    db: DatabaseConnection,
    id: i64,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if let Ok(true) = batch::stop_requested(&db, id).await {
                stop.store(true, Ordering::Relaxed);
                return;
            }
        }
    })
}

pub async fn run_batch(
    db: &DatabaseConnection,
    cipher: &Cipher,
    batch_id: i64,
    settings: RunSettings,
    on_event: impl Fn(&RunEvent) + Sync,
) -> Result<BatchOutcome, RunBatchError> {
    let found = batch::find(db, batch_id)
        .await?
        .ok_or(RunBatchError::NotFound(batch_id))?;
    let (Some(source_id), Some(destination_id)) =
        (found.source_endpoint_id, found.destination_endpoint_id)
    else {
        return Err(RunBatchError::NoEndpoint(batch_id));
    };
    if found.stop_requested() {
        return Err(RunBatchError::Stopped(batch_id));
    }
    let shared = Shared {
        db: db.clone(),
        cipher: cipher.clone(),
        batch_id,
        source: EndpointSettings {
            timeout: settings.imap_timeout,
            ..store::load(db, cipher, source_id).await?
        },
        destination: EndpointSettings {
            timeout: settings.imap_timeout,
            ..store::load(db, cipher, destination_id).await?
        },
        source_endpoint_id: source_id,
        destination_endpoint_id: destination_id,
        options: found.options.clone(),
        settings,
        stop: Arc::new(AtomicBool::new(false)),
        worker: claim::worker_id(),
    };
    batch::set_state(db, batch_id, found.pass_state()).await?;
    let watcher = watch_for_stop(db.clone(), batch_id, shared.stop.clone());
    let result = run_until_done(&shared, &on_event).await;
    watcher.abort();
    result?;
    // Other workers may still hold mailboxes of this batch: the last one to finish decides.
    Ok(settle(db, batch_id, shared.stop.load(Ordering::Relaxed)).await?)
}

/// Mailboxes at once within this batch: the run's own limit, the batch's option, each endpoint's.
fn concurrency(shared: &Shared) -> usize {
    let batch_option = match shared.options.concurrency {
        0 => usize::MAX,
        n => n as usize,
    };
    shared
        .settings
        .concurrency
        .min(batch_option)
        .min(shared.source.max_concurrent as usize)
        .min(shared.destination.max_concurrent as usize)
        .max(1)
}

/// Runs what this process can claim; with `wait_for_held`, then waits for what others hold
/// (claiming it if their lease runs out) until nothing of the batch is left.
async fn run_until_done(
    shared: &Shared,
    on_event: &(impl Fn(&RunEvent) + Sync),
) -> Result<(), DbErr> {
    loop {
        let rows = mailbox::Entity::find()
            .filter(mailbox::Column::BatchId.eq(shared.batch_id))
            .filter(mailbox::claimable(Utc::now()))
            .all(&shared.db)
            .await?;
        let mut finished = futures::stream::iter(rows)
            .map(|row| run_one(shared, row, on_event))
            .buffer_unordered(concurrency(shared));
        while let Some(result) = finished.next().await {
            result?;
        }
        drop(finished);
        if !shared.settings.wait_for_held || shared.stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        let held = held_elsewhere(shared).await?;
        if held.is_empty() {
            let left = mailbox::Entity::find()
                .filter(mailbox::Column::BatchId.eq(shared.batch_id))
                .filter(mailbox::claimable(Utc::now()))
                .count(&shared.db)
                .await?;
            if left == 0 {
                return Ok(());
            }
        } else {
            on_event(&RunEvent::Waiting(held));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The batch's mailboxes that another live process holds.
async fn held_elsewhere(shared: &Shared) -> Result<Vec<HeldMailbox>, DbErr> {
    Ok(mailbox::Entity::find()
        .filter(mailbox::Column::BatchId.eq(shared.batch_id))
        .filter(mailbox::held(Utc::now()))
        .filter(mailbox::Column::ClaimedBy.ne(shared.worker.as_str()))
        .all(&shared.db)
        .await?
        .into_iter()
        .map(|m| HeldMailbox {
            row_index: m.row_index,
            email: m.email_address,
            worker: m.claimed_by.unwrap_or_default(),
            lease_until: m.lease_until.unwrap_or_else(Utc::now),
        })
        .collect())
}

/// The batch's counts now, over every mailbox (also those finished by an earlier run).
async fn outcome(
    db: &DatabaseConnection,
    id: i64,
    stopped_here: bool,
) -> Result<BatchOutcome, DbErr> {
    let count = |states: &'static [MailboxState]| async move {
        mailbox::Entity::find()
            .filter(mailbox::Column::BatchId.eq(id))
            .filter(mailbox::Column::State.is_in(states.iter().copied()))
            .count(db)
            .await
    };
    let message_errors =
        crate::report::error_counts::current_of_scope(db, BatchId(id), ErrorScope::Message).await?;
    // Stopped when this run saw the stop, or the admin's stop arrived after its last look
    // (its mailboxes done, others stopped while queued).
    let found = batch::find(db, id).await?;
    let stopped = stopped_here
        || found.as_ref().is_none_or(|b| b.stop_requested())
        || count(&[MailboxState::Stopped]).await? > 0;
    Ok(BatchOutcome {
        synced: count(&[MailboxState::Synced]).await? as u32,
        failed: count(&[MailboxState::Failed]).await? as u32,
        message_errors: message_errors as u32,
        unfinished: count(&[MailboxState::Queued, MailboxState::Syncing]).await? as u32,
        stopped,
        completing: found.is_some_and(|b| b.complete_requested_at.is_some()),
    })
}
