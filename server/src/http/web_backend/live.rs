//! The batch page's live channel: follows the batch's shared poll (`http::live_hub`) and sends
//! each page only what changed since its last message, with a heartbeat.

use std::time::Duration;

use tokio::sync::watch;

use app::api::AppError;
use app::backend::LiveStream;
use app::model::batch::{BatchLive, BatchWatch, MailboxRow};

use super::WebBackend;
use crate::http::live_hub::{BatchSnapshot, Polled};

/// Sent even when nothing changed, so proxies keep the connection and the page knows it is live.
const HEARTBEAT: Duration = Duration::from_secs(20);
/// How often an open channel checks that its session still lasts.
const SESSION_RECHECK: Duration = Duration::from_secs(5);

/// `live` for as long as the session of `token` lasts (signed out here or everywhere, idle,
/// expired): then one `Unauthorized` and the end, so the page stops following the batch.
pub(super) fn while_signed_in(
    live: LiveStream,
    db: sea_orm::DatabaseConnection,
    token: String,
    idle: Duration,
) -> LiveStream {
    use futures::StreamExt;
    let (watch_db, watch_token) = (db.clone(), token.clone());
    let ended = async move {
        loop {
            tokio::time::sleep(SESSION_RECHECK).await;
            if !signed_in(&watch_db, &watch_token, idle).await {
                return;
            }
        }
    };
    let tail = futures::stream::once(async move {
        (!signed_in(&db, &token, idle).await).then_some(Err(AppError::Unauthorized))
    })
    .filter_map(futures::future::ready);
    Box::pin(live.take_until(ended).chain(tail))
}

/// Whether the session lasts (a database error counts as lasting: the next check decides).
async fn signed_in(db: &sea_orm::DatabaseConnection, token: &str, idle: Duration) -> bool {
    crate::auth::sessions::is_live(db, token, idle)
        .await
        .unwrap_or(true)
}

/// What one page has been sent so far.
struct Page {
    feed: watch::Receiver<Option<Polled>>,
    seen: Option<std::sync::Arc<BatchSnapshot>>,
}

/// The rows a page has not seen as they are now, and whether they are the whole page: on its
/// first message, and when the page holds other rows or another order than it has seen.
fn changed_rows(seen: Option<&[MailboxRow]>, rows: &[MailboxRow]) -> (Vec<MailboxRow>, bool) {
    let same_rows = |seen: &[MailboxRow]| {
        seen.len() == rows.len() && seen.iter().zip(rows).all(|(a, b)| a.id == b.id)
    };
    match seen {
        Some(seen) if same_rows(seen) => {
            let changed = rows
                .iter()
                .zip(seen)
                .filter(|(now, before)| now != before)
                .map(|(now, _)| now.clone())
                .collect();
            (changed, false)
        }
        _ => (rows.to_vec(), true),
    }
}

impl Page {
    /// The next message for this page: the whole page first, then the rows that changed (or
    /// nothing new but the counts, as a heartbeat).
    async fn next(&mut self) -> Option<Result<BatchLive, AppError>> {
        if self.seen.is_some() {
            // A heartbeat when the feed stays quiet; `Err` when the poll has ended.
            if let Ok(Err(_)) = tokio::time::timeout(HEARTBEAT, self.feed.changed()).await {
                return None;
            }
        }
        let polled = loop {
            if let Some(polled) = self.feed.borrow_and_update().clone() {
                break polled;
            }
            self.feed.changed().await.ok()?;
        };
        let snapshot = match polled {
            Polled::Batch(snapshot) => snapshot,
            Polled::Gone => return Some(Err(AppError::NotFound)),
            Polled::Failed => return Some(Err(AppError::Internal)),
        };
        let seen = self.seen.as_ref().map(|s| s.rows.as_slice());
        let (changed, full) = changed_rows(seen, &snapshot.rows);
        let message = Some(Ok(BatchLive {
            summary: snapshot.summary.clone(),
            bytes_copied: snapshot.bytes_copied,
            messages_total: snapshot.messages_total,
            email_status: snapshot.email_status,
            rows_matching: snapshot.rows_matching,
            state_counts: snapshot.state_counts.clone(),
            changed,
            full,
            at: chrono::Utc::now(),
        }));
        self.seen = Some(snapshot);
        message
    }
}

impl WebBackend {
    pub(super) async fn live(&self, watch: BatchWatch) -> Result<LiveStream, AppError> {
        // Bounded before it is read or keys a reader: a page never asks for more.
        let watch = BatchWatch {
            filter: watch.filter.bounded(),
            ..watch
        };
        let mut page = Page {
            feed: self.state.live.subscribe(watch),
            seen: None,
        };
        // The first message answers at once (and a missing batch fails the call itself).
        let first = page.next().await.ok_or(AppError::Internal)??;
        let rest = futures::stream::unfold((page, false), |(mut page, ended)| async move {
            if ended {
                return None;
            }
            let message = page.next().await?;
            let ended = message.is_err();
            Some((message, (page, ended)))
        });
        Ok(Box::pin(futures::StreamExt::chain(
            futures::stream::iter([Ok(first)]),
            rest,
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use app::ids::{BatchId, MailboxId};
    use app::model::batch::{BatchState, BatchSummary, MailboxState};

    use super::*;

    fn row(id: i64, copied: u64) -> MailboxRow {
        MailboxRow {
            id: MailboxId(id),
            row_index: id as u32,
            email_address: format!("u{id}@example.test"),
            state: MailboxState::Syncing,
            folders_done: 0,
            folders_total: 1,
            messages_copied: copied,
            messages_total: 10,
            bytes_copied: copied * 100,
            bytes_per_sec: None,
            error_kind: None,
            error_message: None,
            attempts: 1,
            last_synced_at: None,
            claimed_by: None,
            verification: None,
            live: None,
            consent: None,
        }
    }

    fn snapshot(rows: Vec<MailboxRow>) -> Polled {
        Polled::Batch(Arc::new(BatchSnapshot {
            summary: BatchSummary {
                id: BatchId(1),
                name: "b".into(),
                state: BatchState::Syncing,
                mailboxes_total: rows.len() as u64,
                mailboxes_done: 0,
                mailboxes_failed: 0,
                messages_copied: rows.iter().map(|r| r.messages_copied).sum(),
                errors: 0,
                created_at: chrono::Utc::now(),
                last_synced_at: None,
                next_sync_at: None,
                start_after: None,
                complete_after: None,
            },
            bytes_copied: 0,
            messages_total: 0,
            email_status: None,
            state_counts: Default::default(),
            rows_matching: rows.len() as u64,
            rows,
        }))
    }

    #[tokio::test]
    async fn a_page_gets_every_row_first_then_only_what_changed() {
        let (sender, feed) = watch::channel(Some(snapshot(vec![row(1, 0), row(2, 0)])));
        let mut page = Page { feed, seen: None };
        let first = page.next().await.unwrap().unwrap();
        assert!(first.full);
        assert_eq!(first.changed.len(), 2);

        sender.send_replace(Some(snapshot(vec![row(1, 0), row(2, 5)])));
        let next = page.next().await.unwrap().unwrap();
        assert!(!next.full);
        let ids: Vec<i64> = next.changed.iter().map(|r| r.id.0).collect();
        assert_eq!(ids, vec![2], "the changed row, not the same one");
        assert_eq!(next.changed[0].messages_copied, 5);

        // Another row on the page (a new order, a row filtered in): the whole page again.
        sender.send_replace(Some(snapshot(vec![row(2, 5), row(3, 0)])));
        let next = page.next().await.unwrap().unwrap();
        assert!(next.full);
        let ids: Vec<i64> = next.changed.iter().map(|r| r.id.0).collect();
        assert_eq!(ids, vec![2, 3]);

        sender.send_replace(Some(Polled::Gone));
        assert!(matches!(page.next().await, Some(Err(AppError::NotFound))));
        drop(sender);
        assert!(page.next().await.is_none(), "the stream ends with the poll");
    }
}
