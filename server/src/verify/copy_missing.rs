//! Copy missing: the source messages a verification found missing are taken out of the folder
//! states (as never copied) and put in the append journal, so the pass that follows looks on the
//! destination before copying each (a message that arrived meanwhile is not copied twice); their
//! mailboxes are queued and the batch started. The pass verifies the mailbox again at its end.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, Set, TransactionTrait,
};

use app::model::batch::{BatchState, MailboxState};
use app::model::verification::VerifyOutcome;

use crate::batches::actions::{self, ActionError};
use crate::batches::membership;
use crate::db::entity::{
    append_journal, batch, folder_state, mailbox, sync_account, verification, verification_folder,
};
use crate::engine::message_map;
use crate::imap::uid_set::UidSet;

fn uid_set(text: &str) -> Result<UidSet, DbErr> {
    UidSet::parse(text).map_err(|e| DbErr::Custom(format!("a stored UID set: {}", e.0)))
}

/// Marks one folder's missing UIDs as not copied and journals them (the pass checks the
/// destination for them first). The folder is no longer recorded as complete, so the next pass
/// lists it whole. Returns how many of them had been counted as copied.
async fn forget_missing(
    db: &impl ConnectionTrait,
    account_id: i64,
    folder: &verification_folder::Model,
) -> Result<u64, DbErr> {
    let missing = uid_set(&folder.missing_uids)?;
    let Some(state) = folder_state::Entity::find()
        .filter(folder_state::Column::AccountId.eq(account_id))
        .filter(folder_state::Column::SourceFolder.eq(&folder.source_folder))
        .one(db)
        .await?
    else {
        // Never passed: the next pass copies the whole folder anyway.
        return Ok(0);
    };
    let copied = uid_set(&state.copied_uids)?;
    let kept: UidSet = copied.iter().filter(|u| !missing.contains(*u)).collect();
    let forgotten = copied.len() - kept.len();
    folder_state::Entity::update_many()
        .col_expr(
            folder_state::Column::CopiedUids,
            Expr::value(kept.to_string()),
        )
        .col_expr(folder_state::Column::Uidnext, Expr::value(0i64))
        .col_expr(
            folder_state::Column::HighestModseq,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(folder_state::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(folder_state::Column::Id.eq(state.id))
        .exec(db)
        .await?;
    let uids: Vec<u32> = missing.iter().collect();
    message_map::forget(db, state.id, Some(&uids)).await?;
    // An old journal time: nothing is in flight, the pass need not wait for an orphan APPEND.
    let long_ago = Utc::now() - chrono::Duration::days(1);
    let rows: Vec<append_journal::ActiveModel> = uids
        .iter()
        .map(|&uid| append_journal::ActiveModel {
            folder_state_id: Set(state.id),
            uidvalidity: Set(state.uidvalidity),
            uid: Set(uid.into()),
            message_id: Set(None),
            internal_date: Set(String::new()),
            size: Set(0),
            created_at: Set(long_ago),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        append_journal::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(forgotten)
}

/// The mailboxes whose last verification found messages missing and is not older than their
/// last pass (a pass since may have copied some: verify again first).
async fn incomplete(txn: &DatabaseTransaction, rows: &[mailbox::Model]) -> Result<Vec<i64>, DbErr> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let found = verification::Entity::find()
        .filter(verification::Column::MailboxId.is_in(ids))
        .filter(verification::Column::Outcome.eq(VerifyOutcome::Missing))
        .all(txn)
        .await?;
    Ok(found
        .into_iter()
        .filter(|v| {
            rows.iter().any(|r| {
                r.id == v.mailbox_id && r.ended_at.is_none_or(|ended| v.verified_at >= ended)
            })
        })
        .map(|v| v.mailbox_id)
        .collect())
}

/// Forgets one mailbox's missing messages and queues it.
async fn requeue(txn: &DatabaseTransaction, row: &mailbox::Model) -> Result<(), DbErr> {
    let account = sync_account::find_by_email(txn, &row.email_address).await?;
    let folders = verification_folder::Entity::find()
        .filter(verification_folder::Column::MailboxId.eq(row.id))
        .filter(verification_folder::Column::Missing.gt(0))
        .all(txn)
        .await?;
    let mut forgotten = 0;
    if let Some(account) = account {
        for folder in &folders {
            forgotten += forget_missing(txn, account.id, folder).await?;
        }
    }
    // Counted as copied once, lost since: "copied" stays what the destination holds.
    let copied = Expr::col(mailbox::Column::MessagesCopied).sub(forgotten as i64);
    mailbox::Entity::update_many()
        .col_expr(
            mailbox::Column::MessagesCopied,
            Expr::expr(Func::greatest([copied, Expr::value(0i64)])),
        )
        .col_expr(mailbox::Column::State, Expr::value(MailboxState::Queued))
        .col_expr(
            mailbox::Column::StopRequestedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(mailbox::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(mailbox::Column::Id.eq(row.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Queues the batch's mailboxes (or `only` those) whose last verification found messages
/// missing, with those messages marked as not copied, and starts the batch — all in one
/// transaction under the membership lock, refused while this batch runs or another running
/// batch holds one of its addresses. Returns how many mailboxes were queued.
pub async fn copy_missing(
    db: &DatabaseConnection,
    batch_id: i64,
    only: Option<&[i64]>,
) -> Result<u64, ActionError> {
    let txn = db.begin().await?;
    membership::lock(&txn).await?;
    let found = actions::find(&txn, batch_id).await?;
    if found.is_running() {
        return Err(ActionError::Running(batch_id));
    }
    actions::check_free(&txn, batch_id).await?;
    let rows: Vec<mailbox::Model> = mailbox::of_batch(&txn, batch_id)
        .await?
        .into_iter()
        .filter(|r| r.state.is_final() && only.is_none_or(|ids| ids.contains(&r.id)))
        .collect();
    let incomplete = incomplete(&txn, &rows).await?;
    let mut queued = 0;
    for row in rows.iter().filter(|r| incomplete.contains(&r.id)) {
        requeue(&txn, row).await?;
        queued += 1;
    }
    if queued == 0 {
        return Err(ActionError::NothingMissing(batch_id));
    }
    let state: BatchState = found.pass_state();
    batch::set_state(&txn, batch_id, state).await?;
    txn.commit().await?;
    Ok(queued)
}
