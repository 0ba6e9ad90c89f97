//! The worker inside `mailferry serve`: picks up started batches (state Syncing) that still have
//! mailboxes to claim and runs them. Several processes on one PostgreSQL share the work through
//! the mailbox claims (db/claim.rs); no process talks to another.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

use app::model::batch::{BatchState, MailboxState};

use crate::batches::run_batch::{RunSettings, run_batch};
use crate::db::entity::{batch, mailbox};
use crate::mail::smtp::SmtpSettings;
use crate::secrets::Cipher;

pub struct WorkerSettings {
    /// Mailboxes this process copies at once, over all batches.
    pub concurrency: usize,
    pub lease: Duration,
    /// Mailboxes all processes migrate at once (`None`: no such limit).
    pub cluster_max: Option<u32>,
    /// How often to look for work (and for status e-mails still due).
    pub poll: Duration,
}

impl WorkerSettings {
    /// A status e-mail claim older than this belongs to a process that died while sending
    /// (sending takes at most the SMTP timeout of 30 s).
    pub fn email_stale(&self) -> Duration {
        (self.lease * 5).max(Duration::from_secs(15))
    }
}

/// Started batches with a mailbox that is queued or whose claim has expired.
async fn batches_with_work(db: &DatabaseConnection) -> Result<Vec<i32>, DbErr> {
    let started = batch::Entity::find()
        .filter(batch::Column::State.eq(BatchState::Syncing.as_str()))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for b in started {
        let claimable = Condition::any()
            .add(mailbox::Column::State.eq(MailboxState::Queued.as_str()))
            .add(
                Condition::all()
                    .add(mailbox::Column::State.eq(MailboxState::Syncing.as_str()))
                    .add(
                        Condition::any()
                            .add(mailbox::Column::LeaseUntil.is_null())
                            .add(mailbox::Column::LeaseUntil.lt(Utc::now())),
                    ),
            );
        let waiting = mailbox::Entity::find()
            .filter(mailbox::Column::BatchId.eq(b.id))
            .filter(claimable)
            .count(db)
            .await?;
        if waiting > 0 {
            out.push(b.id);
        }
    }
    Ok(out)
}

/// Sends a batch's status e-mail unless another process does (or did).
async fn send_status_email(
    db: &DatabaseConnection,
    cipher: &Cipher,
    configured: &SmtpSettings,
    id: i32,
    stale: Duration,
) {
    // Read now: the settings page may have changed them since start-up.
    let smtp = match crate::mail::mail_settings::load(db, cipher, configured).await {
        Ok(settings) => settings.smtp,
        Err(e) => {
            tracing::warn!(error = %e, "reading the mail settings; using the configuration");
            configured.clone()
        }
    };
    if let Err(e) = crate::mail::status_email::send_once(db, &smtp, id, stale).await {
        tracing::warn!(batch = id, error = %e, "status e-mail");
    }
}

/// Runs until the process ends.
pub async fn run(
    db: DatabaseConnection,
    cipher: Cipher,
    smtp: SmtpSettings,
    settings: WorkerSettings,
) {
    let running: Arc<Mutex<HashSet<i32>>> = Arc::default();
    let slots = Arc::new(tokio::sync::Semaphore::new(settings.concurrency.max(1)));
    tracing::info!(
        concurrency = settings.concurrency,
        "migration worker started"
    );
    loop {
        match batches_with_work(&db).await {
            Ok(ids) => {
                for id in ids {
                    if !running.lock().unwrap_or_else(|p| p.into_inner()).insert(id) {
                        continue;
                    }
                    let (db, cipher, running, slots, smtp) = (
                        db.clone(),
                        cipher.clone(),
                        running.clone(),
                        slots.clone(),
                        smtp.clone(),
                    );
                    let (concurrency, lease, cluster_max, email_stale) = (
                        settings.concurrency,
                        settings.lease,
                        settings.cluster_max,
                        settings.email_stale(),
                    );
                    tokio::spawn(async move {
                        // One permit per running batch keeps this process within its limit.
                        let _permit = slots.acquire_owned().await;
                        let run = RunSettings {
                            concurrency,
                            lease,
                            cluster_max,
                            ..RunSettings::default()
                        };
                        match run_batch(&db, &cipher, id, run, |done| {
                            tracing::info!(batch = id, mailbox = %done.email, state = %done.state, copied = done.copied, "mailbox finished");
                        })
                        .await
                        {
                            Ok(outcome) => {
                                tracing::info!(batch = id, synced = outcome.synced, failed = outcome.failed, "batch pass finished");
                                send_status_email(&db, &cipher, &smtp, id, email_stale).await;
                            }
                            Err(e) => match crate::db::write_failure::hint(&e) {
                                Some(hint) => tracing::error!(batch = id, error = %e, hint, "batch could not run"),
                                None => tracing::warn!(batch = id, error = %e, "batch could not run"),
                            },
                        }
                        running
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(&id);
                    });
                }
            }
            Err(e) => tracing::warn!(error = %e, "looking for work failed"),
        }
        // Status e-mails still due: a batch finished elsewhere, or its sender died mid-send.
        match crate::mail::status_email::pending(&db, settings.email_stale()).await {
            Ok(ids) => {
                for id in ids {
                    let (db, cipher, smtp) = (db.clone(), cipher.clone(), smtp.clone());
                    let stale = settings.email_stale();
                    tokio::spawn(
                        async move { send_status_email(&db, &cipher, &smtp, id, stale).await },
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "looking for status e-mails to send failed"),
        }
        tokio::time::sleep(settings.poll).await;
    }
}
