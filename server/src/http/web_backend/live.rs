//! The batch page's live channel: polls the database (which every process writes to, so progress
//! of all of them shows) once a second and sends only what changed, with a heartbeat.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, EntityTrait};

use app::api::AppError;
use app::backend::LiveStream;
use app::ids::{BatchId, MailboxId};
use app::model::batch::{BatchLive, MailboxRow};

use super::batch_view::{mailbox_row, summary};
use super::{WebBackend, internal};
use crate::db::entity::{batch, mailbox};

const POLL: Duration = Duration::from_secs(1);
/// Sent even when nothing changed, so proxies keep the connection and the page knows it is live.
const HEARTBEAT: Duration = Duration::from_secs(20);

struct Watch {
    db: DatabaseConnection,
    id: BatchId,
    seen: Option<HashMap<MailboxId, MailboxRow>>,
    last_summary: Option<app::model::batch::BatchSummary>,
    last_sent: Instant,
    ended: bool,
}

impl Watch {
    async fn snapshot(&mut self) -> Result<Option<BatchLive>, AppError> {
        let Some(found) = batch::Entity::find_by_id(self.id.0 as i32)
            .one(&self.db)
            .await
            .map_err(internal)?
        else {
            return Err(AppError::NotFound);
        };
        let models = {
            use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
            mailbox::Entity::find()
                .filter(mailbox::Column::BatchId.eq(found.id))
                .order_by_asc(mailbox::Column::RowIndex)
                .all(&self.db)
                .await
                .map_err(internal)?
        };
        let refs: Vec<&mailbox::Model> = models.iter().collect();
        let batch_summary = summary(&found, &refs);
        let rows: Vec<MailboxRow> = models.iter().map(mailbox_row).collect();
        let full = self.seen.is_none();
        let changed: Vec<MailboxRow> = match &self.seen {
            None => rows.clone(),
            Some(seen) => rows
                .iter()
                .filter(|row| seen.get(&row.id) != Some(row))
                .cloned()
                .collect(),
        };
        let quiet = !full
            && changed.is_empty()
            && self.last_summary.as_ref() == Some(&batch_summary)
            && self.last_sent.elapsed() < HEARTBEAT;
        self.seen = Some(rows.into_iter().map(|r| (r.id, r)).collect());
        self.last_summary = Some(batch_summary.clone());
        if quiet {
            return Ok(None);
        }
        self.last_sent = Instant::now();
        Ok(Some(BatchLive {
            summary: batch_summary,
            bytes_copied: models.iter().map(|m| m.bytes_copied.max(0) as u64).sum(),
            messages_total: models.iter().map(|m| m.messages_total.max(0) as u64).sum(),
            email_status: found.email_status,
            changed,
            full,
            at: chrono::Utc::now(),
        }))
    }
}

impl WebBackend {
    pub(super) async fn live(&self, id: BatchId) -> Result<LiveStream, AppError> {
        let mut watch = Watch {
            db: self.state.db.clone(),
            id,
            seen: None,
            last_summary: None,
            last_sent: Instant::now(),
            ended: false,
        };
        // The first snapshot answers at once (and a missing batch fails the call itself).
        let first = watch.snapshot().await?;
        let first = futures::stream::iter(first.map(Ok));
        let rest = futures::stream::unfold(watch, |mut watch| async move {
            loop {
                if watch.ended {
                    return None;
                }
                tokio::time::sleep(POLL).await;
                match watch.snapshot().await {
                    Ok(Some(live)) => return Some((Ok(live), watch)),
                    Ok(None) => continue,
                    Err(e) => {
                        watch.ended = true;
                        return Some((Err(e), watch));
                    }
                }
            }
        });
        Ok(Box::pin(futures::StreamExt::chain(first, rest)))
    }
}
