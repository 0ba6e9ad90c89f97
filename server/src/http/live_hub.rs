//! One database poll per watched batch, shared by every open page of it in this process: a
//! hundred tabs on one batch cost one query a second, not a hundred. The poll reads the rows
//! every process writes, so the progress of all of them shows; it stops when the last page goes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::watch;

use app::ids::BatchId;
use app::model::batch::{BatchSummary, EmailStatus, MailboxRow};

use super::web_backend::batch_view::{mailbox_row, summary};
use crate::db::entity::{batch, mailbox};

const POLL: Duration = Duration::from_secs(1);

/// A batch as read at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchSnapshot {
    pub summary: BatchSummary,
    pub bytes_copied: u64,
    pub messages_total: u64,
    pub email_status: Option<EmailStatus>,
    pub rows: Vec<MailboxRow>,
}

/// What a poll found: the batch, or that it is gone (deleted) or could not be read.
#[derive(Clone, Debug)]
pub enum Polled {
    Batch(Arc<BatchSnapshot>),
    Gone,
    Failed,
}

type Feed = watch::Receiver<Option<Polled>>;

pub struct LiveHub {
    db: DatabaseConnection,
    polls: Mutex<HashMap<BatchId, Feed>>,
}

async fn read(db: &DatabaseConnection, id: BatchId) -> Result<Option<BatchSnapshot>, DbErr> {
    let Some(found) = batch::find(db, id.0).await? else {
        return Ok(None);
    };
    let models = mailbox::of_batch(db, found.id).await?;
    let refs: Vec<&mailbox::Model> = models.iter().collect();
    Ok(Some(BatchSnapshot {
        summary: summary(&found, &refs),
        bytes_copied: models.iter().map(|m| m.bytes_copied.max(0) as u64).sum(),
        messages_total: models.iter().map(|m| m.messages_total.max(0) as u64).sum(),
        email_status: found.email_status,
        rows: models.iter().map(mailbox_row).collect(),
    }))
}

impl LiveHub {
    pub fn new(db: DatabaseConnection) -> Arc<LiveHub> {
        Arc::new(LiveHub {
            db,
            polls: Mutex::default(),
        })
    }

    fn polls(&self) -> std::sync::MutexGuard<'_, HashMap<BatchId, Feed>> {
        self.polls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The batch's feed, starting its poll if no page watches it yet.
    pub fn subscribe(self: &Arc<Self>, id: BatchId) -> Feed {
        let mut polls = self.polls();
        if let Some(feed) = polls.get(&id)
            && feed.has_changed().is_ok()
        {
            return feed.clone();
        }
        let (sender, feed) = watch::channel(None);
        polls.insert(id, feed.clone());
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                let polled = match read(&hub.db, id).await {
                    Ok(Some(snapshot)) => Polled::Batch(Arc::new(snapshot)),
                    Ok(None) => Polled::Gone,
                    Err(error) => {
                        tracing::warn!(batch = %id, %error, "reading a batch for its live pages");
                        Polled::Failed
                    }
                };
                sender.send_if_modified(|current| {
                    let changed = match (&*current, &polled) {
                        (Some(Polled::Batch(a)), Polled::Batch(b)) => a != b,
                        _ => true,
                    };
                    if changed {
                        *current = Some(polled);
                    }
                    changed
                });
                tokio::time::sleep(POLL).await;
                // The hub's own copy is the only one left: no page watches any more.
                let mut polls = hub.polls();
                if sender.receiver_count() <= 1 {
                    polls.remove(&id);
                    return;
                }
            }
        });
        feed
    }
}
