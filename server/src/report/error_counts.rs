//! Error counts read from the counters that triggers keep per batch, kind and resolved
//! (m0018): a few dozen rows however many errors there are. A filter by mailbox or by time
//! cannot be answered from them; the report counts the matching rows then
//! (`error_query::counts_are_kept`).

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use app::ids::BatchId;
use app::{ErrorKind, ErrorScope};

use crate::db::entity::error_count::{self, Column};

/// Errors per kind of one batch (or all), current ones only unless `resolved_too`; kinds with
/// none left out, in kind order.
pub async fn per_kind(
    db: &impl ConnectionTrait,
    batch: Option<BatchId>,
    resolved_too: bool,
) -> Result<Vec<(ErrorKind, u64)>, DbErr> {
    let mut select = error_count::Entity::find();
    if let Some(batch) = batch {
        select = select.filter(Column::BatchId.eq(batch.0));
    }
    if !resolved_too {
        select = select.filter(Column::Resolved.eq(false));
    }
    let mut sums: BTreeMap<ErrorKind, u64> = BTreeMap::new();
    for row in select.all(db).await? {
        *sums.entry(row.kind).or_default() += row.count.max(0) as u64;
    }
    Ok(sums.into_iter().filter(|(_, n)| *n > 0).collect())
}

/// A batch's current errors of `scope` (e.g. the messages skipped, for its outcome). Only the
/// counts are read: a kind written by a newer process sharing the database does not fail it.
pub async fn current_of_scope(
    db: &impl ConnectionTrait,
    batch: BatchId,
    scope: ErrorScope,
) -> Result<u64, DbErr> {
    use sea_orm::QuerySelect;
    let kinds = ErrorKind::ALL
        .iter()
        .copied()
        .filter(|k| k.scope() == scope);
    let counts: Vec<i64> = error_count::Entity::find()
        .select_only()
        .column(Column::Count)
        .filter(Column::BatchId.eq(batch.0))
        .filter(Column::Resolved.eq(false))
        .filter(Column::Kind.is_in(kinds))
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts.into_iter().map(|n| n.max(0) as u64).sum())
}
