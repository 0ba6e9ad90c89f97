//! One reader per watched page of a batch (batch and row filter), shared by every open page
//! alike in this process: a hundred tabs on one batch cost one read per change, not a hundred.
//! Reads happen when the database says something changed (`db::changes`: SQLite's update hook,
//! PostgreSQL's NOTIFY from every process), at most twice a second, and every [`FALLBACK`] in
//! case a change came from a process that cannot tell us (another process writing the same
//! SQLite file). The reader stops when the last page goes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio::time::Instant;

use app::model::batch::BatchWatch;

pub use super::web_backend::batch_view::BatchSnapshot;
use super::web_backend::batch_view::load;
use crate::db::changes;

/// The shortest time between two reads of one page: changes in between are read together.
/// Half a second keeps a change on screen within a second even when it is written just after
/// a read (at 1 s: 1.3 s then); ten pages of a busy batch cost about 1.5 % of a core.
const MIN_GAP: Duration = Duration::from_millis(500);
/// Read even without a change event this often.
const FALLBACK: Duration = Duration::from_secs(10);

/// What a read found: the batch, or that it is gone (deleted) or could not be read.
#[derive(Clone, Debug)]
pub enum Polled {
    Batch(Arc<BatchSnapshot>),
    Gone,
    Failed,
}

type Feed = watch::Receiver<Option<Polled>>;

pub struct LiveHub {
    db: DatabaseConnection,
    readers: Mutex<HashMap<BatchWatch, Feed>>,
    /// Read without a change this often (`None`: only on changes).
    fallback: Option<Duration>,
}

/// Waits for the next read, at least [`MIN_GAP`] after the last: after a change, or the
/// fallback — and always once more after a read a change woke, because SQLite tells of a write
/// while it runs, before its commit, so that read may not see it yet. Returns whether a change
/// came.
async fn next_read(
    changes: &mut watch::Receiver<u64>,
    last_read: Instant,
    follow_up: bool,
    fallback: Option<Duration>,
) -> bool {
    let mut changed = false;
    if !follow_up {
        changed = match fallback {
            Some(after) => matches!(
                tokio::time::timeout(after, changes.changed()).await,
                Ok(Ok(()))
            ),
            None => changes.changed().await.is_ok(),
        };
    }
    tokio::time::sleep_until(last_read + MIN_GAP).await;
    // What changed until now is read now, not woken for again.
    changed |= changes.has_changed().unwrap_or(false);
    changes.borrow_and_update();
    changed
}

impl LiveHub {
    pub fn new(db: DatabaseConnection) -> Arc<LiveHub> {
        Arc::new(LiveHub {
            db,
            readers: Mutex::default(),
            fallback: Some(FALLBACK),
        })
    }

    /// A hub that reads only when a change event comes (no fallback read): what a test needs
    /// to prove that the events come.
    pub fn on_changes_only(db: DatabaseConnection) -> Arc<LiveHub> {
        Arc::new(LiveHub {
            db,
            readers: Mutex::default(),
            fallback: None,
        })
    }

    fn readers(&self) -> std::sync::MutexGuard<'_, HashMap<BatchWatch, Feed>> {
        self.readers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn read(&self, watch: &BatchWatch) -> Polled {
        match load(&self.db, watch.id, &watch.filter).await {
            Ok(Some((_, snapshot))) => Polled::Batch(Arc::new(snapshot)),
            Ok(None) => Polled::Gone,
            Err(error) => {
                tracing::warn!(batch = %watch.id, %error, "reading a batch for its live pages");
                Polled::Failed
            }
        }
    }

    /// The page's feed, starting its reader if no page like it is watched yet.
    pub fn subscribe(self: &Arc<Self>, watch: BatchWatch) -> Feed {
        let mut readers = self.readers();
        if let Some(feed) = readers.get(&watch)
            && feed.has_changed().is_ok()
        {
            return feed.clone();
        }
        let (sender, feed) = watch::channel(None);
        readers.insert(watch.clone(), feed.clone());
        let hub = self.clone();
        // Subscribed before the first read: a change during it is read again.
        let mut changes = changes::subscribe();
        tokio::spawn(async move {
            let mut follow_up = false;
            loop {
                let read_at = Instant::now();
                let polled = hub.read(&watch).await;
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
                follow_up = next_read(&mut changes, read_at, follow_up, hub.fallback).await;
                // The hub's own copy is the only one left: no page watches any more.
                let mut readers = hub.readers();
                if sender.receiver_count() <= 1 {
                    readers.remove(&watch);
                    return;
                }
            }
        });
        feed
    }
}
