//! Bulk actions on a batch's rows (a selection, or every row a filter matches): stop, queue
//! again (resume, retry, sync now), remove. Each acts on the rows in a state it applies to and
//! leaves the others; Verify and Copy missing are in `crate::verify`.

use chrono::Utc;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    TransactionTrait,
};

use app::model::batch::{BatchState, MailboxState};
use app::model::bulk::{BulkOutcome, RowTarget};

use super::actions::{self, ActionError};
use super::{membership, row_page};
use crate::db::entity::{mailbox, mailbox_pass, migration_error};

/// The target's rows, all of the batch.
pub async fn rows_of(
    db: &DatabaseConnection,
    batch_id: i64,
    target: &RowTarget,
) -> Result<Vec<mailbox::Model>, DbErr> {
    match target {
        RowTarget::Matching(filter) => row_page::matching(db, batch_id, filter).await,
        RowTarget::Selected(ids) => {
            let mut rows = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(500) {
                rows.extend(
                    mailbox::Entity::find()
                        .filter(mailbox::Column::BatchId.eq(batch_id))
                        .filter(mailbox::Column::Id.is_in(chunk.iter().map(|id| id.0)))
                        .all(db)
                        .await?,
                );
            }
            Ok(rows)
        }
    }
}

fn ids_in(rows: &[mailbox::Model], states: &[MailboxState]) -> Vec<i64> {
    rows.iter()
        .filter(|r| states.contains(&r.state))
        .map(|r| r.id)
        .collect()
}

/// What an action on `rows` that acted on `affected` of them did.
pub fn outcome(rows: &[mailbox::Model], affected: u64) -> BulkOutcome {
    BulkOutcome {
        affected,
        left: rows.len() as u64 - affected.min(rows.len() as u64),
    }
}

/// Queued rows stop at once; running ones are asked to, and stop after their transaction in
/// flight (their process sees it within a second).
pub async fn stop(db: &DatabaseConnection, rows: &[mailbox::Model]) -> Result<BulkOutcome, DbErr> {
    let mut affected = 0;
    for chunk in ids_in(rows, &[MailboxState::Queued]).chunks(500) {
        affected += mailbox::Entity::update_many()
            .col_expr(mailbox::Column::State, Expr::value(MailboxState::Stopped))
            .col_expr(mailbox::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(mailbox::Column::Id.is_in(chunk.iter().copied()))
            .filter(mailbox::Column::State.eq(MailboxState::Queued))
            .exec(db)
            .await?
            .rows_affected;
    }
    for chunk in ids_in(rows, &[MailboxState::Syncing]).chunks(500) {
        affected += mailbox::Entity::update_many()
            .col_expr(mailbox::Column::StopRequestedAt, Expr::value(Utc::now()))
            .filter(mailbox::Column::Id.is_in(chunk.iter().copied()))
            .filter(mailbox::Column::State.eq(MailboxState::Syncing))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(outcome(rows, affected))
}

/// Queues the rows in one of `from` for a pass (they resume from their state) and starts the
/// batch for the workers, in one transaction under the membership lock: refused while the batch
/// is stopping or another running batch holds one of its addresses.
pub async fn queue(
    db: &DatabaseConnection,
    batch_id: i64,
    rows: &[mailbox::Model],
    from: &[MailboxState],
) -> Result<BulkOutcome, ActionError> {
    let txn = db.begin().await?;
    membership::lock(&txn).await?;
    let found = actions::find(&txn, batch_id).await?;
    if found.state == BatchState::Stopping {
        return Err(ActionError::Running(batch_id));
    }
    actions::check_free(&txn, batch_id).await?;
    let mut affected = 0;
    for chunk in ids_in(rows, from).chunks(500) {
        affected += mailbox::Entity::update_many()
            .col_expr(mailbox::Column::State, Expr::value(MailboxState::Queued))
            .col_expr(
                mailbox::Column::StopRequestedAt,
                Expr::value(Option::<chrono::DateTime<Utc>>::None),
            )
            .col_expr(mailbox::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(mailbox::Column::Id.is_in(chunk.iter().copied()))
            .filter(mailbox::Column::State.is_in(from.iter().copied()))
            .exec(&txn)
            .await?
            .rows_affected;
    }
    if affected > 0 {
        crate::db::entity::batch::set_state(&txn, batch_id, found.pass_state()).await?;
    }
    txn.commit().await?;
    Ok(outcome(rows, affected))
}

/// Removes the rows that are not running from the batch, with their errors, passes and
/// verifications (the accounts' sync state stays: a later batch resumes, never duplicates).
pub async fn remove(
    db: &DatabaseConnection,
    rows: &[mailbox::Model],
) -> Result<BulkOutcome, DbErr> {
    let ids: Vec<i64> = rows
        .iter()
        .filter(|r| r.state != MailboxState::Syncing)
        .map(|r| r.id)
        .collect();
    let txn = db.begin().await?;
    let affected = delete_rows(&txn, &ids).await?;
    txn.commit().await?;
    Ok(outcome(rows, affected))
}

/// Deletes mailbox rows with what hangs off them (errors, passes, verifications); a row that
/// started running meanwhile stays. Returns how many rows went.
pub(crate) async fn delete_rows(txn: &DatabaseTransaction, ids: &[i64]) -> Result<u64, DbErr> {
    // The errors first, of the rows not running, in one statement for up to 10,000 rows: it
    // locks error rows and then (its trigger) the batch's counters, in the order every other
    // writer of errors does. Chunked like the rest, a selection would take the counters of one
    // chunk and then wait for the errors of a mailbox whose pass, ending, waits for them.
    for chunk in ids.chunks(10_000) {
        let deletable = Query::select()
            .column(mailbox::Column::Id)
            .from(mailbox::Entity)
            .and_where(mailbox::Column::Id.is_in(chunk.iter().copied()))
            .and_where(mailbox::Column::State.ne(MailboxState::Syncing))
            .to_owned();
        migration_error::Entity::delete_many()
            .filter(migration_error::Column::MailboxId.in_subquery(deletable))
            .exec(txn)
            .await?;
    }
    crate::verify::store::delete_for(txn, ids).await?;
    let mut affected = 0;
    for chunk in ids.chunks(500) {
        let chunk = chunk.iter().copied();
        mailbox_pass::Entity::delete_many()
            .filter(mailbox_pass::Column::MailboxId.is_in(chunk.clone()))
            .exec(txn)
            .await?;
        affected += mailbox::Entity::delete_many()
            .filter(mailbox::Column::Id.is_in(chunk))
            .filter(mailbox::Column::State.ne(MailboxState::Syncing))
            .exec(txn)
            .await?
            .rows_affected;
    }
    Ok(affected)
}
