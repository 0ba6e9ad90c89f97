//! What an admin does to a batch: stop, resume, delete, and start again from its failed rows.

use std::io::Write;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};

use app::model::batch::{BatchState, MailboxState};

use super::create_batch::QueuedMailbox;
use crate::db::entity::{batch, mailbox, migration_error};

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("batch {0} not found")]
    NotFound(i32),
    #[error(
        "batch {0} is running (a process holds its mailboxes; the claims of a process that died \
         run out after mailbox_lease_secs); stop it first"
    )]
    Running(i32),
    #[error("batch {0} has no failed or stopped mailboxes")]
    NothingToRetry(i32),
    #[error("writing the CSV: {0}")]
    Csv(#[from] csv::Error),
}

async fn find(db: &DatabaseConnection, id: i32) -> Result<batch::Model, ActionError> {
    batch::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ActionError::NotFound(id))
}

async fn set_state(db: &DatabaseConnection, id: i32, state: BatchState) -> Result<(), DbErr> {
    batch::Entity::update_many()
        .col_expr(batch::Column::State, Expr::value(state.as_str()))
        .filter(batch::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Starts a batch for the workers (state Syncing); a finished batch is started again only
/// through `resume`.
pub async fn start(db: &DatabaseConnection, id: i32) -> Result<(), ActionError> {
    let current = find(db, id).await?;
    if current.state == BatchState::Stopping.as_str() {
        return Err(ActionError::Running(id));
    }
    set_state(db, id, BatchState::Syncing).await?;
    Ok(())
}

/// Stops a batch: queued mailboxes at once, running ones after their transaction in flight.
pub async fn stop(db: &DatabaseConnection, id: i32) -> Result<BatchState, ActionError> {
    let current = find(db, id).await?;
    let finished = [
        BatchState::Completed,
        BatchState::CompletedWithErrors,
        BatchState::Failed,
        BatchState::Stopped,
    ];
    if let Some(state) = finished.into_iter().find(|s| current.state == s.as_str()) {
        // Nothing left to stop.
        return Ok(state);
    }
    let next = if current.state == BatchState::Syncing.as_str() {
        BatchState::Stopping
    } else {
        BatchState::Stopped
    };
    mailbox::Entity::update_many()
        .col_expr(
            mailbox::Column::State,
            Expr::value(MailboxState::Stopped.as_str()),
        )
        .col_expr(mailbox::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(mailbox::Column::BatchId.eq(id))
        .filter(mailbox::Column::State.eq(MailboxState::Queued.as_str()))
        .exec(db)
        .await?;
    set_state(db, id, next).await?;
    Ok(next)
}

/// Whether any process holds a live claim on a mailbox of the batch.
async fn has_live_claims(db: &DatabaseConnection, id: i32) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait;
    let live = mailbox::Entity::find()
        .filter(mailbox::Column::BatchId.eq(id))
        .filter(mailbox::Column::State.eq(MailboxState::Syncing.as_str()))
        .filter(mailbox::Column::LeaseUntil.gte(Utc::now()))
        .count(db)
        .await?;
    Ok(live > 0)
}

/// Queues the failed and stopped mailboxes again (they resume from their state); returns how many.
/// A batch still marked running whose every claim has expired was interrupted (its process died,
/// or its disk filled up) and is resumed too.
pub async fn resume(db: &DatabaseConnection, id: i32) -> Result<u64, ActionError> {
    let current = find(db, id).await?;
    let marked_running = current.state == BatchState::Syncing.as_str()
        || current.state == BatchState::Stopping.as_str();
    if marked_running && has_live_claims(db, id).await? {
        return Err(ActionError::Running(id));
    }
    let queued = mailbox::Entity::update_many()
        .col_expr(
            mailbox::Column::State,
            Expr::value(MailboxState::Queued.as_str()),
        )
        .col_expr(mailbox::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(mailbox::Column::BatchId.eq(id))
        .filter(
            sea_orm::Condition::any()
                .add(mailbox::Column::State.is_in([
                    MailboxState::Failed.as_str(),
                    MailboxState::Stopped.as_str(),
                ]))
                // Interrupted: claimed by a process whose lease ran out.
                .add(
                    sea_orm::Condition::all()
                        .add(mailbox::Column::State.eq(MailboxState::Syncing.as_str()))
                        .add(
                            sea_orm::Condition::any()
                                .add(mailbox::Column::LeaseUntil.is_null())
                                .add(mailbox::Column::LeaseUntil.lt(Utc::now())),
                        ),
                ),
        )
        .exec(db)
        .await?
        .rows_affected;
    set_state(db, id, BatchState::Created).await?;
    Ok(queued)
}

/// Deletes a batch with its mailboxes and errors (the accounts' sync state stays: a later batch
/// still resumes and never duplicates).
pub async fn delete(db: &DatabaseConnection, id: i32) -> Result<(), ActionError> {
    let current = find(db, id).await?;
    if current.state == BatchState::Syncing.as_str()
        || current.state == BatchState::Stopping.as_str()
    {
        return Err(ActionError::Running(id));
    }
    db.transaction::<_, (), DbErr>(|txn| {
        Box::pin(async move {
            migration_error::Entity::delete_many()
                .filter(migration_error::Column::BatchId.eq(id))
                .exec(txn)
                .await?;
            mailbox::Entity::delete_many()
                .filter(mailbox::Column::BatchId.eq(id))
                .exec(txn)
                .await?;
            batch::Entity::delete_by_id(id).exec(txn).await?;
            Ok(())
        })
    })
    .await
    .map_err(|e| match e {
        sea_orm::TransactionError::Connection(e) | sea_orm::TransactionError::Transaction(e) => e,
    })?;
    Ok(())
}

async fn failed_rows(db: &DatabaseConnection, id: i32) -> Result<Vec<mailbox::Model>, DbErr> {
    mailbox::Entity::find()
        .filter(mailbox::Column::BatchId.eq(id))
        .filter(mailbox::Column::State.is_in([
            MailboxState::Failed.as_str(),
            MailboxState::Stopped.as_str(),
        ]))
        .order_by_asc(mailbox::Column::RowIndex)
        .all(db)
        .await
}

/// A new batch of the failed and stopped rows, with the stored (encrypted) credentials: nothing
/// to upload again. Returns the new batch's id.
pub async fn new_batch_from_failed(db: &DatabaseConnection, id: i32) -> Result<i32, ActionError> {
    let original = find(db, id).await?;
    let rows = failed_rows(db, id).await?;
    if rows.is_empty() {
        return Err(ActionError::NothingToRetry(id));
    }
    let now = Utc::now();
    let new_id = db
        .transaction::<_, i32, DbErr>(|txn| {
            Box::pin(async move {
                use sea_orm::{ActiveModelTrait, Set};
                let created = batch::ActiveModel {
                    name: Set(format!("{} (retry)", original.name)),
                    state: Set(BatchState::Created.as_str().into()),
                    source_endpoint_id: Set(original.source_endpoint_id),
                    destination_endpoint_id: Set(original.destination_endpoint_id),
                    options: Set(original.options.clone()),
                    notify_emails: Set(original.notify_emails.clone()),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
                let copies = rows.into_iter().map(|row| {
                    QueuedMailbox {
                        batch_id: created.id,
                        row_index: row.row_index,
                        email_address: row.email_address,
                        source_username: row.source_username,
                        source_secret: row.source_secret,
                        user_root: row.user_root,
                        destination_secret: row.destination_secret,
                    }
                    .into_active_model(now)
                });
                mailbox::Entity::insert_many(copies).exec(txn).await?;
                Ok(created.id)
            })
        })
        .await
        .map_err(|e| match e {
            sea_orm::TransactionError::Connection(e)
            | sea_orm::TransactionError::Transaction(e) => e,
        })?;
    Ok(new_id)
}

/// The failed rows as Exchange's CSV with an empty Password column, to fix and upload again.
pub async fn write_failed_rows_csv<W: Write>(
    db: &DatabaseConnection,
    id: i32,
    out: W,
) -> Result<W, ActionError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["EmailAddress", "UserName", "Password", "UserRoot"])?;
    for row in failed_rows(db, id).await? {
        writer.write_record([
            row.email_address.as_str(),
            &row.source_username,
            "",
            row.user_root.as_deref().unwrap_or(""),
        ])?;
    }
    writer.flush().map_err(csv::Error::from)?;
    writer
        .into_inner()
        .map_err(|e| ActionError::Csv(csv::Error::from(e.into_error())))
}
