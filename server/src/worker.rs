//! The worker inside `mailferry serve`: starts what the batches' schedules say is due, picks up
//! batches with a pass running (Syncing or Completing) that still have mailboxes to claim and
//! runs them, every mailbox under one of the process's slots
//! (`max_concurrent_mailboxes`, whatever the number of batches). Several processes on one
//! PostgreSQL share the work through the mailbox claims (db/claim.rs); no process talks to
//! another.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};
use tokio::sync::Semaphore;

use app::model::batch::BatchState;

use crate::batches::run_batch::{RunEvent, RunSettings, run_batch};
use crate::db::entity::{batch, mailbox};
use crate::engine::retry::RetryPolicy;
use crate::mail::smtp::SmtpSettings;
use crate::secrets::Cipher;

pub struct WorkerSettings {
    /// Mailboxes this process copies at once, over all batches.
    pub concurrency: usize,
    pub lease: Duration,
    /// The deadline of every IMAP answer.
    pub imap_timeout: Duration,
    /// Mailboxes all processes migrate at once (`None`: no such limit).
    pub cluster_max: Option<u32>,
    /// How often to look for work (and for status e-mails still due).
    pub poll: Duration,
}

impl WorkerSettings {
    /// When a status e-mail claim counts as its sender's death (see `status_email::stale_after`).
    pub fn email_stale(&self) -> Duration {
        crate::mail::status_email::stale_after(self.lease)
    }
}

/// Batches with a pass running (first, delta or final) and a mailbox that is queued or whose
/// claim has expired.
async fn batches_with_work(db: &DatabaseConnection) -> Result<Vec<i64>, DbErr> {
    let started = Query::select()
        .column(batch::Column::Id)
        .from(batch::Entity)
        .and_where(batch::Column::State.is_in([BatchState::Syncing, BatchState::Completing]))
        .to_owned();
    mailbox::Entity::find()
        .select_only()
        .column(mailbox::Column::BatchId)
        .distinct()
        .filter(mailbox::Column::BatchId.in_subquery(started))
        .filter(mailbox::claimable(Utc::now()))
        .into_tuple::<i64>()
        .all(db)
        .await
}

/// Sends a batch's status e-mail unless another process does (or did).
async fn send_status_email(
    db: &DatabaseConnection,
    cipher: &Cipher,
    configured: &SmtpSettings,
    id: i64,
    stale: Duration,
) {
    let sent =
        crate::mail::status_email::send_once_with_settings(db, cipher, configured, id, stale).await;
    if let Err(e) = sent {
        tracing::warn!(batch = id, error = %e, "status e-mail");
    }
}

/// What one worker shares with the batches it runs.
#[derive(Clone)]
struct Worker {
    db: DatabaseConnection,
    cipher: Cipher,
    smtp: SmtpSettings,
    /// One per mailbox running in this process.
    slots: Arc<Semaphore>,
    running: Arc<Mutex<HashSet<i64>>>,
    concurrency: usize,
    lease: Duration,
    imap_timeout: Duration,
    cluster_max: Option<u32>,
    email_stale: Duration,
}

impl Worker {
    /// Runs a batch's claimable mailboxes, then sends its status e-mail if it has ended.
    async fn run(self, id: i64) {
        let settings = RunSettings {
            concurrency: self.concurrency,
            slots: self.slots.clone(),
            retry: RetryPolicy::default(),
            lease: self.lease,
            imap_timeout: self.imap_timeout,
            cluster_max: self.cluster_max,
            wait_for_held: false,
        };
        let on_event = |event: &RunEvent| {
            if let RunEvent::Finished(done) = event {
                tracing::info!(batch = id, mailbox = %done.email, state = %done.state, copied = done.copied, "mailbox finished");
            }
        };
        match run_batch(&self.db, &self.cipher, id, settings, on_event).await {
            Ok(outcome) => {
                tracing::info!(
                    batch = id,
                    synced = outcome.synced,
                    failed = outcome.failed,
                    "batch pass finished"
                );
                send_status_email(&self.db, &self.cipher, &self.smtp, id, self.email_stale).await;
            }
            Err(e) => match crate::db::write_failure::hint(&e) {
                Some(hint) => tracing::error!(batch = id, error = %e, hint, "batch could not run"),
                None => tracing::warn!(batch = id, error = %e, "batch could not run"),
            },
        }
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }
}

/// Runs until the process ends.
pub async fn run(
    db: DatabaseConnection,
    cipher: Cipher,
    smtp: SmtpSettings,
    settings: WorkerSettings,
) {
    let worker = Worker {
        db,
        cipher,
        smtp,
        slots: Arc::new(Semaphore::new(settings.concurrency.max(1))),
        running: Arc::default(),
        concurrency: settings.concurrency.max(1),
        lease: settings.lease,
        imap_timeout: settings.imap_timeout,
        cluster_max: settings.cluster_max,
        email_stale: settings.email_stale(),
    };
    tracing::info!(
        concurrency = settings.concurrency,
        "migration worker started"
    );
    loop {
        // Scheduled starts, delta syncs and completions that are due (each happens once).
        if let Err(e) = crate::batches::lifecycle::run_due(&worker.db).await {
            tracing::warn!(error = %e, "running the scheduled batch steps failed");
        }
        match batches_with_work(&worker.db).await {
            Ok(ids) => {
                for id in ids {
                    let new = worker
                        .running
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(id);
                    if new {
                        tokio::spawn(worker.clone().run(id));
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "looking for work failed"),
        }
        // Status e-mails still due: a batch finished elsewhere, or its sender died mid-send.
        match crate::mail::status_email::pending(&worker.db, worker.email_stale).await {
            Ok(ids) => {
                for id in ids {
                    let w = worker.clone();
                    tokio::spawn(async move {
                        send_status_email(&w.db, &w.cipher, &w.smtp, id, w.email_stale).await
                    });
                }
            }
            Err(e) => tracing::warn!(error = %e, "looking for status e-mails to send failed"),
        }
        tokio::time::sleep(settings.poll).await;
    }
}
