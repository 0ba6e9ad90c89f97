//! The batch page's live channel: follows the batch's shared poll (`http::live_hub`) and sends
//! each page only what changed since its last message, with a heartbeat.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::watch;

use app::api::AppError;
use app::backend::LiveStream;
use app::ids::{BatchId, MailboxId};
use app::model::batch::{BatchLive, MailboxRow};

use super::WebBackend;
use crate::http::live_hub::Polled;

/// Sent even when nothing changed, so proxies keep the connection and the page knows it is live.
const HEARTBEAT: Duration = Duration::from_secs(20);

/// What one page has been sent so far.
struct Page {
    feed: watch::Receiver<Option<Polled>>,
    seen: Option<HashMap<MailboxId, MailboxRow>>,
}

impl Page {
    /// The next message for this page: every row first, then the rows that changed (or nothing
    /// new but the counts, as a heartbeat).
    async fn next(&mut self) -> Option<Result<BatchLive, AppError>> {
        let first = self.seen.is_none();
        if !first {
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
        let changed: Vec<MailboxRow> = match &self.seen {
            None => snapshot.rows.clone(),
            Some(seen) => snapshot
                .rows
                .iter()
                .filter(|row| seen.get(&row.id) != Some(row))
                .cloned()
                .collect(),
        };
        self.seen = Some(snapshot.rows.iter().map(|r| (r.id, r.clone())).collect());
        Some(Ok(BatchLive {
            summary: snapshot.summary.clone(),
            bytes_copied: snapshot.bytes_copied,
            messages_total: snapshot.messages_total,
            email_status: snapshot.email_status,
            changed,
            full: first,
            at: chrono::Utc::now(),
        }))
    }
}

impl WebBackend {
    pub(super) async fn live(&self, id: BatchId) -> Result<LiveStream, AppError> {
        let mut page = Page {
            feed: self.state.live.subscribe(id),
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
