//! How many mailboxes of each batch are where, counted by the database (grouped queries)
//! instead of by loading every mailbox row: the dashboard of 20 batches of 5,000 rows, the
//! status e-mail of a batch of 5,000.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

use app::model::batch::MailboxState;

use crate::db::entity::mailbox;

/// The counts of one batch's mailboxes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct MailboxCounts {
    pub total: i64,
    pub synced: i64,
    pub failed: i64,
    pub messages_copied: i64,
    pub messages_total: i64,
    pub bytes_copied: i64,
    /// Mailboxes with an error.
    pub errors: i64,
}

impl MailboxCounts {
    /// The same counts over rows already loaded (the batch page has them).
    pub fn of(rows: &[&mailbox::Model]) -> Self {
        let count = |state: MailboxState| rows.iter().filter(|m| m.state == state).count() as i64;
        MailboxCounts {
            total: rows.len() as i64,
            synced: count(MailboxState::Synced),
            failed: count(MailboxState::Failed),
            messages_copied: rows.iter().map(|m| m.messages_copied.max(0)).sum(),
            messages_total: rows.iter().map(|m| m.messages_total.max(0)).sum(),
            bytes_copied: rows.iter().map(|m| m.bytes_copied.max(0)).sum(),
            errors: rows.iter().filter(|m| m.error_kind.is_some()).count() as i64,
        }
    }
}

#[derive(FromQueryResult)]
struct Grouped {
    batch_id: i64,
    total: i64,
    synced: i64,
    failed: i64,
    messages_copied: i64,
    messages_total: i64,
    bytes_copied: i64,
    errors: i64,
}

/// The counts of every batch that has mailboxes, by batch id.
pub async fn per_batch(db: &impl ConnectionTrait) -> Result<HashMap<i64, MailboxCounts>, DbErr> {
    grouped(db, None).await
}

/// The counts of one batch (all zero without mailboxes).
pub async fn of_batch(db: &impl ConnectionTrait, batch_id: i64) -> Result<MailboxCounts, DbErr> {
    let counts = grouped(db, Some(batch_id)).await?;
    Ok(counts.get(&batch_id).copied().unwrap_or_default())
}

/// How many mailboxes of `batch_id` are in each state.
pub async fn by_state(
    db: &impl ConnectionTrait,
    batch_id: i64,
) -> Result<Vec<(MailboxState, i64)>, DbErr> {
    mailbox::Entity::find()
        .select_only()
        .column(mailbox::Column::State)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .filter(mailbox::Column::BatchId.eq(batch_id))
        .group_by(mailbox::Column::State)
        .into_tuple()
        .all(db)
        .await
}

async fn grouped(
    db: &impl ConnectionTrait,
    batch: Option<i64>,
) -> Result<HashMap<i64, MailboxCounts>, DbErr> {
    let in_state = |state: MailboxState| {
        // The codes are the enum's own constants, never user input.
        Expr::cust(format!(
            "CAST(SUM(CASE WHEN state = '{}' THEN 1 ELSE 0 END) AS BIGINT)",
            state.as_str()
        ))
    };
    let mut query = mailbox::Entity::find();
    if let Some(batch) = batch {
        query = query.filter(mailbox::Column::BatchId.eq(batch));
    }
    let rows = query
        .select_only()
        .column(mailbox::Column::BatchId)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "total")
        .column_as(in_state(MailboxState::Synced), "synced")
        .column_as(in_state(MailboxState::Failed), "failed")
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(messages_copied), 0) AS BIGINT)"),
            "messages_copied",
        )
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(messages_total), 0) AS BIGINT)"),
            "messages_total",
        )
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(bytes_copied), 0) AS BIGINT)"),
            "bytes_copied",
        )
        .column_as(
            Expr::cust("CAST(SUM(CASE WHEN error_kind IS NULL THEN 0 ELSE 1 END) AS BIGINT)"),
            "errors",
        )
        .group_by(mailbox::Column::BatchId)
        .into_model::<Grouped>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|g| {
            let counts = MailboxCounts {
                total: g.total,
                synced: g.synced,
                failed: g.failed,
                messages_copied: g.messages_copied.max(0),
                messages_total: g.messages_total.max(0),
                bytes_copied: g.bytes_copied.max(0),
                errors: g.errors,
            };
            (g.batch_id, counts)
        })
        .collect())
}
