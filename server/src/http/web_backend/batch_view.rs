//! Database rows of a batch turned into what the pages show.

use sea_orm::{ConnectionTrait, DbErr};

use app::ids::{BatchId, MailboxId};
use app::model::batch::{
    BatchSummary, ConsentView, EmailStatus, LiveDetail, MailboxRow, MailboxState,
};
use app::model::batch_rows::{RowFilter, StateCounts};
use app::model::verification::VerificationBadge;

use crate::batches::counts::{self, MailboxCounts};
use crate::batches::row_page;
use crate::db::entity::{batch, mailbox};

/// A batch as its page shows it at one moment: the counts of all its rows, one page of them.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchSnapshot {
    pub summary: BatchSummary,
    pub bytes_copied: u64,
    pub messages_total: u64,
    pub email_status: Option<EmailStatus>,
    pub state_counts: StateCounts,
    pub rows_matching: u64,
    pub rows: Vec<MailboxRow>,
}

/// Reads a batch's page: its counts (one grouped query) and one page of rows (never every row).
pub async fn load(
    db: &impl ConnectionTrait,
    id: BatchId,
    filter: &RowFilter,
) -> Result<Option<(batch::Model, BatchSnapshot)>, DbErr> {
    let Some(found) = batch::find(db, id.0).await? else {
        return Ok(None);
    };
    let (counts, state_counts) = counts::of_batch(db, id.0).await?;
    let page = row_page::page(db, id.0, filter, &state_counts).await?;
    let ids: Vec<i64> = page.rows.iter().map(|r| r.id).collect();
    let verified = crate::verify::store::badges(db, &ids).await?;
    let snapshot = BatchSnapshot {
        summary: summary_of(&found, counts),
        bytes_copied: counts.bytes_copied.max(0) as u64,
        messages_total: counts.messages_total.max(0) as u64,
        email_status: found.email_status,
        state_counts,
        rows_matching: page.matching,
        rows: page
            .rows
            .iter()
            .map(|row| mailbox_row(row, verified.get(&row.id).cloned()))
            .collect(),
    };
    Ok(Some((found, snapshot)))
}

/// The summary of a batch from its counts (the dashboard's, counted by the database).
pub fn summary_of(batch: &batch::Model, counts: MailboxCounts) -> BatchSummary {
    let n = |v: i64| v.max(0) as u64;
    BatchSummary {
        id: BatchId(batch.id),
        name: batch.name.clone(),
        state: batch.state,
        mailboxes_total: n(counts.total),
        mailboxes_done: n(counts.synced),
        mailboxes_failed: n(counts.failed),
        messages_copied: n(counts.messages_copied),
        errors: n(counts.errors),
        created_at: batch.created_at,
        last_synced_at: batch.last_synced_at,
        next_sync_at: batch.next_sync_at,
        start_after: batch.start_after,
        complete_after: batch.complete_after,
    }
}

pub fn mailbox_row(model: &mailbox::Model, verification: Option<VerificationBadge>) -> MailboxRow {
    let state = model.state;
    let running_secs = model.started_at.map(|start| {
        let end = model.ended_at.unwrap_or_else(chrono::Utc::now);
        (end - start).num_milliseconds().max(1) as f64 / 1000.0
    });
    MailboxRow {
        id: MailboxId(model.id),
        row_index: model.row_index.max(0) as u32,
        email_address: model.email_address.clone(),
        state,
        folders_done: model.folders_done.max(0) as u32,
        folders_total: model.folders_total.max(0) as u32,
        messages_copied: model.messages_copied.max(0) as u64,
        messages_total: model.messages_total.max(0) as u64,
        bytes_copied: model.bytes_copied.max(0) as u64,
        bytes_per_sec: running_secs
            .filter(|_| model.bytes_copied > 0)
            .map(|secs| model.bytes_copied as f64 / secs),
        error_kind: model.error_kind,
        error_message: model.error_message.clone(),
        attempts: model.attempts.max(0) as u32,
        last_synced_at: model.last_synced_at,
        claimed_by: (state == MailboxState::Syncing)
            .then(|| model.claimed_by.clone())
            .flatten(),
        verification,
        live: live_detail(model),
        consent: model.consent_code.as_ref().map(|code| ConsentView {
            link: format!("/oauth/consent/{code}"),
            given: model.consented_at.is_some(),
        }),
    }
}

/// The live detail of a running pass, once it has written one.
fn live_detail(model: &mailbox::Model) -> Option<LiveDetail> {
    if model.state != MailboxState::Syncing {
        return None;
    }
    let n = |v: Option<i64>| v.unwrap_or(0).max(0) as u64;
    model.live_bytes_total.map(|_| {
        LiveDetail::of(
            model.live_folders.clone().unwrap_or_default(),
            (n(model.live_messages_done), n(model.live_messages_total)),
            (n(model.live_bytes_done), n(model.live_bytes_total)),
            n(model.live_rate),
        )
    })
}
