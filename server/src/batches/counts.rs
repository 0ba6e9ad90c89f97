//! How many mailboxes of each batch are where, counted by the database (one query grouped by
//! batch and state) instead of by loading every mailbox row: the dashboard of 20 batches of
//! 5,000 rows, a batch page, the status e-mail of a batch of 5,000.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

use app::model::batch::MailboxState;
use app::model::batch_rows::StateCounts;

use crate::db::entity::mailbox;

/// The counts of one batch's mailboxes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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

/// The mailboxes of one batch in one state.
#[derive(FromQueryResult)]
struct Grouped {
    batch_id: i64,
    state: MailboxState,
    n: i64,
    messages_copied: i64,
    messages_total: i64,
    bytes_copied: i64,
    errors: i64,
}

/// A batch's counts and its counts per state, from its groups.
fn fold(groups: &[Grouped]) -> (MailboxCounts, StateCounts) {
    let mut counts = MailboxCounts::default();
    for g in groups {
        counts.total += g.n;
        match g.state {
            MailboxState::Synced => counts.synced += g.n,
            MailboxState::Failed => counts.failed += g.n,
            _ => {}
        }
        counts.messages_copied += g.messages_copied.max(0);
        counts.messages_total += g.messages_total.max(0);
        counts.bytes_copied += g.bytes_copied.max(0);
        counts.errors += g.errors;
    }
    let states = StateCounts::from_pairs(groups.iter().map(|g| (g.state, g.n.max(0) as u64)));
    (counts, states)
}

/// The counts of every batch that has mailboxes, by batch id.
pub async fn per_batch(db: &impl ConnectionTrait) -> Result<HashMap<i64, MailboxCounts>, DbErr> {
    Ok(grouped(db, None)
        .await?
        .into_iter()
        .map(|(batch, groups)| (batch, fold(&groups).0))
        .collect())
}

/// The counts of one batch and its counts per state (all zero without mailboxes).
pub async fn of_batch(
    db: &impl ConnectionTrait,
    batch_id: i64,
) -> Result<(MailboxCounts, StateCounts), DbErr> {
    let groups = grouped(db, Some(batch_id)).await?.remove(&batch_id);
    Ok(fold(groups.as_deref().unwrap_or_default()))
}

async fn grouped(
    db: &impl ConnectionTrait,
    batch: Option<i64>,
) -> Result<HashMap<i64, Vec<Grouped>>, DbErr> {
    let mut query = mailbox::Entity::find();
    if let Some(batch) = batch {
        query = query.filter(mailbox::Column::BatchId.eq(batch));
    }
    let sum = |column: &str| Expr::cust(format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)"));
    let rows = query
        .select_only()
        .column(mailbox::Column::BatchId)
        .column(mailbox::Column::State)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .column_as(sum("messages_copied"), "messages_copied")
        .column_as(sum("messages_total"), "messages_total")
        .column_as(sum("bytes_copied"), "bytes_copied")
        .column_as(
            sum("CASE WHEN error_kind IS NULL THEN 0 ELSE 1 END"),
            "errors",
        )
        .group_by(mailbox::Column::BatchId)
        .group_by(mailbox::Column::State)
        .into_model::<Grouped>()
        .all(db)
        .await?;
    let mut by_batch: HashMap<i64, Vec<Grouped>> = HashMap::new();
    for row in rows {
        by_batch.entry(row.batch_id).or_default().push(row);
    }
    Ok(by_batch)
}
