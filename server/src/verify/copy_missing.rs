//! Copy missing: the source messages a verification found missing are taken out of the folder
//! states (as never copied), and their mailboxes queued for a pass, which copies only them.
//! A verification follows that pass by itself (a mailbox last found incomplete is verified
//! again after every pass).

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    TransactionTrait,
};

use app::model::batch::MailboxState;
use app::model::verification::VerifyOutcome;

use crate::batches::actions::{self, ActionError};
use crate::db::entity::{folder_state, mailbox, sync_account, verification, verification_folder};
use crate::engine::message_map;
use crate::imap::uid_set::UidSet;

/// Marks one folder's missing UIDs as not copied. The folder is no longer recorded as complete,
/// so the next pass lists it whole instead of looking only for what is new.
async fn forget_missing(
    db: &impl ConnectionTrait,
    account_id: i64,
    folder: &verification_folder::Model,
) -> Result<u64, DbErr> {
    let missing = UidSet::parse(&folder.missing_uids).map_err(|e| DbErr::Custom(e.0))?;
    let Some(state) = folder_state::Entity::find()
        .filter(folder_state::Column::AccountId.eq(account_id))
        .filter(folder_state::Column::SourceFolder.eq(&folder.source_folder))
        .one(db)
        .await?
    else {
        // Never passed: the next pass copies the whole folder anyway.
        return Ok(missing.len());
    };
    let copied = UidSet::parse(&state.copied_uids).map_err(|e| DbErr::Custom(e.0))?;
    let kept: UidSet = copied.iter().filter(|u| !missing.contains(*u)).collect();
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
    Ok(missing.len())
}

/// Queues the batch's mailboxes (or `only` those) whose last verification found messages
/// missing, each with its missing messages marked as not copied, and starts the batch.
/// Returns how many mailboxes were queued.
pub async fn copy_missing(
    db: &DatabaseConnection,
    batch_id: i64,
    only: Option<&[i64]>,
) -> Result<u64, ActionError> {
    if actions::find(db, batch_id).await?.is_running() {
        return Err(ActionError::Running(batch_id));
    }
    let rows: Vec<mailbox::Model> = mailbox::of_batch(db, batch_id)
        .await?
        .into_iter()
        .filter(|r| r.state.is_final() && only.is_none_or(|ids| ids.contains(&r.id)))
        .collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let incomplete: Vec<i64> = verification::Entity::find()
        .filter(verification::Column::MailboxId.is_in(ids))
        .filter(verification::Column::Outcome.eq(VerifyOutcome::Missing))
        .all(db)
        .await?
        .into_iter()
        .map(|v| v.mailbox_id)
        .collect();
    let txn = db.begin().await?;
    let mut queued = 0;
    for row in rows.iter().filter(|r| incomplete.contains(&r.id)) {
        let account = sync_account::Entity::find()
            .filter(sync_account::Column::EmailAddress.eq(&row.email_address))
            .one(&txn)
            .await?;
        let folders = verification_folder::Entity::find()
            .filter(verification_folder::Column::MailboxId.eq(row.id))
            .filter(verification_folder::Column::Missing.gt(0))
            .all(&txn)
            .await?;
        let mut forgotten = 0;
        if let Some(account) = account {
            for folder in &folders {
                forgotten += forget_missing(&txn, account.id, folder).await?;
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
            .col_expr(mailbox::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(mailbox::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
        queued += 1;
    }
    if queued == 0 {
        return Err(ActionError::NothingMissing(batch_id));
    }
    txn.commit().await?;
    actions::start(db, batch_id).await?;
    Ok(queued)
}
