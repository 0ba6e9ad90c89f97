//! The staged batch after its first pass: delta syncs (on schedule or on Sync now) and the final
//! pass (on Complete or at CompleteAfter), and the scheduled start. Every change is a conditional
//! UPDATE on the batch's state, so when several processes share one PostgreSQL each step happens
//! once.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, TransactionTrait,
};

use app::model::batch::{BatchState, EmailStatus, MailboxState};

use super::actions::{self, ActionError};
use super::membership;
use super::run_batch::settle;
use crate::db::entity::{batch, mailbox};

/// States from which a delta pass starts.
const SYNCED: [BatchState; 2] = [BatchState::Synced, BatchState::SyncedWithErrors];

/// A delta sync of the batch's synced mailboxes now. Returns how many were queued.
pub async fn sync_now(db: &DatabaseConnection, id: i64) -> Result<u64, ActionError> {
    let txn = db.begin().await?;
    let moved = batch::Entity::update_many()
        .col_expr(batch::Column::State, Expr::value(BatchState::Syncing))
        .col_expr(
            batch::Column::NextSyncAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(batch::Column::Id.eq(id))
        .filter(batch::Column::State.is_in(SYNCED))
        .exec(&txn)
        .await?;
    if moved.rows_affected != 1 {
        let state = actions::find(&txn, id).await?.state;
        return Err(ActionError::NotSynced(id, state));
    }
    let queued = mailbox::queue(&txn, id, &[MailboxState::Synced]).await?;
    txn.commit().await?;
    if queued == 0 {
        settle(db, id, false).await?;
    }
    Ok(queued)
}

/// The final pass: a last delta of every synced (and stopped) mailbox, after which the batch ends
/// Completed, and the completion e-mail goes out. While a pass runs, the final one follows it. A
/// completed batch stays as it is.
pub async fn complete(db: &DatabaseConnection, id: i64) -> Result<BatchState, ActionError> {
    let txn = db.begin().await?;
    membership::lock(&txn).await?;
    let found = actions::find(&txn, id).await?;
    if found.state.is_completed() || found.state == BatchState::Completing {
        return Ok(found.state);
    }
    if found.state == BatchState::Syncing {
        // A pass is running (the first, or a delta): its mailboxes may have been read before
        // this moment, so the final pass follows it, as soon as it ends.
        complete_after_this_pass(&txn, &found).await?;
        txn.commit().await?;
        return Ok(found.state);
    }
    if !(found.state.is_synced() || found.state == BatchState::Stopped) {
        return Err(ActionError::NotSynced(id, found.state));
    }
    // A stopped batch holds its addresses again.
    actions::check_free(&txn, id).await?;
    let now = Utc::now();
    batch::Entity::update_many()
        .col_expr(batch::Column::CompleteRequestedAt, Expr::value(now))
        .col_expr(
            batch::Column::NextSyncAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        // The completion e-mail is a second one: the first pass's was sent when it was Synced.
        .col_expr(
            batch::Column::EmailStatus,
            Expr::value(Option::<EmailStatus>::None),
        )
        .col_expr(
            batch::Column::EmailClaimedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(batch::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    batch::set_state(&txn, id, BatchState::Completing).await?;
    let queued = mailbox::queue(&txn, id, &[MailboxState::Synced, MailboxState::Stopped]).await?;
    txn.commit().await?;
    if queued == 0 {
        return Ok(settle(db, id, false).await?.state());
    }
    Ok(BatchState::Completing)
}

/// Brings the batch's CompleteAfter forward to now: the scheduler completes it once Synced.
async fn complete_after_this_pass(
    txn: &sea_orm::DatabaseTransaction,
    found: &batch::Model,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let at = found.complete_after.map_or(now, |t| t.min(now));
    batch::Entity::update_many()
        .col_expr(batch::Column::CompleteAfter, Expr::value(at))
        .filter(batch::Column::Id.eq(found.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// What the scheduler did to one batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduled {
    Started,
    DeltaSync,
    Completing,
}

/// Runs what is due now: first passes whose StartAfter has come, completions whose
/// CompleteAfter has come, delta syncs whose time has come. A batch another process moved first
/// is left alone.
pub async fn run_due(db: &DatabaseConnection) -> Result<(), DbErr> {
    let now = Utc::now();
    let starts = batch::Entity::find()
        .filter(batch::Column::State.eq(BatchState::Created))
        .filter(batch::Column::StartAfter.lte(now))
        .all(db)
        .await?;
    for b in starts {
        record(b.id, Scheduled::Started, actions::start(db, b.id).await)?;
    }
    let due = Condition::any()
        .add(batch::Column::CompleteAfter.lte(now))
        .add(batch::Column::NextSyncAt.lte(now));
    let synced = batch::Entity::find()
        .filter(batch::Column::State.is_in(SYNCED))
        .filter(due)
        .all(db)
        .await?;
    for b in synced {
        if b.complete_after.is_some_and(|t| t <= now) && !synced_email_due(&b) {
            let result = complete(db, b.id).await.map(|_| ());
            record(b.id, Scheduled::Completing, result)?;
        } else if b.next_sync_at.is_some_and(|t| t <= now) {
            let result = sync_now(db, b.id).await.map(|_| ());
            record(b.id, Scheduled::DeltaSync, result)?;
        }
    }
    Ok(())
}

/// The Synced report is still to go out: completing now would skip it (the completion clears
/// the e-mail status for its own report), so the completion waits for it.
fn synced_email_due(b: &batch::Model) -> bool {
    !b.notify_emails.0.is_empty() && matches!(b.email_status, None | Some(EmailStatus::Sending))
}

/// Notes a scheduled step; a database error ends the round, any other refusal (another process
/// got there first, an address held by another batch) is logged and left.
fn record(id: i64, step: Scheduled, result: Result<(), ActionError>) -> Result<(), DbErr> {
    match result {
        Ok(()) => {
            tracing::info!(batch = id, ?step, "scheduled step");
            Ok(())
        }
        Err(ActionError::Db(e)) => Err(e),
        Err(ActionError::NotSynced(..)) => Ok(()),
        Err(e) => {
            tracing::warn!(batch = id, ?step, error = %e, "a scheduled step could not run");
            Ok(())
        }
    }
}
