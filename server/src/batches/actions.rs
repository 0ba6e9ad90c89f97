//! What an admin does to a batch: start, stop, resume, delete, and start again from its failed
//! rows. Each change that lets mailboxes run checks, in its own transaction, that no other
//! running batch holds the same addresses.

use std::io::Write;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, TransactionTrait,
};

use app::model::batch::{BatchState, MailboxState};

use super::create_batch::QueuedMailbox;
use super::membership::{self, Conflict};
use crate::db::entity::{batch, mailbox, migration_error};
use crate::report::errors_csv::escape_cell;
use crate::secrets::{Cipher, CipherError, Slot};

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("batch {0} not found")]
    NotFound(i64),
    #[error(
        "batch {0} is running (a process holds its mailboxes; the claims of a process that died \
         run out after mailbox_lease_secs); stop it first"
    )]
    Running(i64),
    #[error(
        "batch {0} is {1}: a delta sync or completion starts once every mailbox has had its first \
         pass (Synced)"
    )]
    NotSynced(i64, BatchState),
    #[error("batch {0} has no failed or stopped mailboxes")]
    NothingToRetry(i64),
    #[error(
        "batch {0} has no mailbox whose last verification found messages missing: verify it \
         first"
    )]
    NothingMissing(i64),
    #[error(
        "{} is in batch {}, which is running, synced and not yet completed, or was interrupted: \
         complete or stop that batch first (or continue it: `mailferry batch run {}`)",
        .0.email, .0.batch, .0.batch
    )]
    AlreadyRunning(Conflict),
    #[error("writing the CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("the stored password of {email} cannot be read: {why}")]
    Secret { email: String, why: String },
}

pub(crate) async fn find(
    db: &impl sea_orm::ConnectionTrait,
    id: i64,
) -> Result<batch::Model, ActionError> {
    batch::find(db, id).await?.ok_or(ActionError::NotFound(id))
}

/// Refuses when another running batch holds one of this batch's addresses (inside `txn`, after
/// the membership lock).
pub(crate) async fn check_free(txn: &DatabaseTransaction, id: i64) -> Result<(), ActionError> {
    let emails = membership::addresses(txn, id).await?;
    match membership::running_elsewhere(txn, &emails, Some(id)).await? {
        Some(conflict) => Err(ActionError::AlreadyRunning(conflict)),
        None => Ok(()),
    }
}

/// Starts a batch for the workers (state Syncing, or Completing once completion was asked for);
/// a finished batch is started again only through `resume`. A batch with nothing left to copy
/// settles at once.
pub async fn start(db: &DatabaseConnection, id: i64) -> Result<(), ActionError> {
    let txn = db.begin().await?;
    membership::lock(&txn).await?;
    let found = find(&txn, id).await?;
    if found.state == BatchState::Stopping {
        return Err(ActionError::Running(id));
    }
    check_free(&txn, id).await?;
    batch::set_state(&txn, id, found.pass_state()).await?;
    txn.commit().await?;
    if !mailbox::batch_has_work(db, id).await? {
        crate::batches::run_batch::settle(db, id, false).await?;
    }
    Ok(())
}

/// Stops a batch: queued mailboxes at once, running ones after their transaction in flight.
pub async fn stop(db: &DatabaseConnection, id: i64) -> Result<BatchState, ActionError> {
    let current = find(db, id).await?;
    if matches!(
        current.state,
        BatchState::Completed
            | BatchState::CompletedWithErrors
            | BatchState::Failed
            | BatchState::Stopped
    ) {
        // Nothing left to stop.
        return Ok(current.state);
    }
    let next = if matches!(current.state, BatchState::Syncing | BatchState::Completing) {
        BatchState::Stopping
    } else {
        // Created, Synced (no more scheduled deltas) or already stopping.
        BatchState::Stopped
    };
    mailbox::Entity::update_many()
        .col_expr(mailbox::Column::State, Expr::value(MailboxState::Stopped))
        .col_expr(mailbox::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(mailbox::Column::BatchId.eq(id))
        .filter(mailbox::Column::State.eq(MailboxState::Queued))
        .exec(db)
        .await?;
    batch::set_state(db, id, next).await?;
    Ok(next)
}

/// Queues the failed and stopped mailboxes again (they resume from their state); returns how many.
/// A batch still marked running whose every claim has expired was interrupted (its process died,
/// or its disk filled up) and is resumed too.
pub async fn resume(db: &DatabaseConnection, id: i64) -> Result<u64, ActionError> {
    let txn = db.begin().await?;
    membership::lock(&txn).await?;
    let current = find(&txn, id).await?;
    if current.is_running() && mailbox::batch_is_held(&txn, id).await? {
        return Err(ActionError::Running(id));
    }
    let retry = Condition::any()
        .add(mailbox::Column::State.is_in([MailboxState::Failed, MailboxState::Stopped]))
        // Interrupted: claimed by a process whose lease ran out.
        .add(mailbox::claimable(Utc::now()));
    let queued = mailbox::Entity::update_many()
        .col_expr(mailbox::Column::State, Expr::value(MailboxState::Queued))
        // A stop asked of a mailbox whose process died is spent.
        .col_expr(
            mailbox::Column::StopRequestedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(mailbox::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(mailbox::Column::BatchId.eq(id))
        .filter(retry)
        .exec(&txn)
        .await?
        .rows_affected;
    batch::set_state(&txn, id, BatchState::Created).await?;
    txn.commit().await?;
    Ok(queued)
}

/// Deletes a batch with its mailboxes and errors (the accounts' sync state stays: a later batch
/// still resumes and never duplicates).
pub async fn delete(db: &DatabaseConnection, id: i64) -> Result<(), ActionError> {
    if find(db, id).await?.is_running() {
        return Err(ActionError::Running(id));
    }
    let rows: Vec<i64> = mailbox::of_batch(db, id)
        .await?
        .iter()
        .map(|m| m.id)
        .collect();
    let txn = db.begin().await?;
    super::bulk::delete_rows(&txn, &rows).await?;
    migration_error::Entity::delete_many()
        .filter(migration_error::Column::BatchId.eq(id))
        .exec(&txn)
        .await?;
    mailbox::Entity::delete_many()
        .filter(mailbox::Column::BatchId.eq(id))
        .exec(&txn)
        .await?;
    batch::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

const RETRYABLE: [MailboxState; 2] = [MailboxState::Failed, MailboxState::Stopped];

/// A new batch of the failed and stopped rows, with the stored (encrypted) credentials: nothing
/// to upload again. Returns the new batch's id.
pub async fn new_batch_from_failed(
    db: &DatabaseConnection,
    cipher: &Cipher,
    id: i64,
) -> Result<i64, ActionError> {
    let original = find(db, id).await?;
    let rows = mailbox::of_batch_in(db, id, &RETRYABLE).await?;
    if rows.is_empty() {
        return Err(ActionError::NothingToRetry(id));
    }
    let emails: Vec<String> = rows.iter().map(|r| r.email_address.clone()).collect();
    let now = Utc::now();
    let txn = db.begin().await?;
    membership::lock(&txn).await?;
    if let Some(conflict) = membership::running_elsewhere(&txn, &emails, None).await? {
        return Err(ActionError::AlreadyRunning(conflict));
    }
    use sea_orm::{ActiveModelTrait, Set};
    let created = batch::ActiveModel {
        name: Set(format!("{} (retry)", original.name)),
        state: Set(BatchState::Created),
        source_endpoint_id: Set(original.source_endpoint_id),
        destination_endpoint_id: Set(original.destination_endpoint_id),
        options: Set(original.options.clone()),
        notify_emails: Set(original.notify_emails.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // Each secret is sealed for its row: moved to the new batch's rows, it is sealed again.
    // A personal account's consent is asked again (its link names the new row).
    let consent = super::create_batch::asks_consent(&txn, original.source_endpoint_id).await?;
    let mut copies = Vec::with_capacity(rows.len());
    for row in rows {
        let (source_secret, destination_secret) =
            reseal_for(cipher, &row, created.id).map_err(|e| ActionError::Secret {
                email: row.email_address.clone(),
                why: e.to_string(),
            })?;
        copies.push(
            QueuedMailbox {
                batch_id: created.id,
                row_index: row.row_index,
                email_address: row.email_address,
                source_username: row.source_username,
                source_secret,
                user_root: row.user_root,
                destination_secret,
                consent_code: consent.then(super::create_batch::new_consent_code),
            }
            .into_active_model(now),
        );
    }
    mailbox::Entity::insert_many(copies).exec(&txn).await?;
    txn.commit().await?;
    Ok(created.id)
}

/// One failed row: no password; cells a spreadsheet would run as formulas escaped, as in the
/// other reports (the import takes the escape off again).
fn failed_row(row: &mailbox::Model) -> [String; 4] {
    [
        escape_cell(&row.email_address).into_owned(),
        escape_cell(&row.source_username).into_owned(),
        String::new(),
        escape_cell(row.user_root.as_deref().unwrap_or("")).into_owned(),
    ]
}

/// The failed rows as Exchange's CSV with an empty Password column, to fix and upload again.
pub async fn write_failed_rows_csv<W: Write>(
    db: &DatabaseConnection,
    id: i64,
    out: W,
) -> Result<W, ActionError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["EmailAddress", "UserName", "Password", "UserRoot"])?;
    for row in mailbox::of_batch_in(db, id, &RETRYABLE).await? {
        writer.write_record(failed_row(&row))?;
    }
    writer.flush().map_err(csv::Error::from)?;
    writer
        .into_inner()
        .map_err(|e| ActionError::Csv(csv::Error::from(e.into_error())))
}

/// A row's stored secrets, opened for its batch and sealed for `batch_id`.
fn reseal_for(
    cipher: &Cipher,
    row: &mailbox::Model,
    batch_id: i64,
) -> Result<(String, Option<String>), CipherError> {
    let email = row.email_address.as_str();
    let from = row.batch_id;
    let source = cipher.reseal(
        &row.source_secret,
        &Slot::MailboxSource {
            batch_id: from,
            email,
        },
        &Slot::MailboxSource { batch_id, email },
    )?;
    let destination = row
        .destination_secret
        .as_deref()
        .map(|stored| {
            cipher.reseal(
                stored,
                &Slot::MailboxDestination {
                    batch_id: from,
                    email,
                },
                &Slot::MailboxDestination { batch_id, email },
            )
        })
        .transpose()?;
    Ok((source.0, destination.map(|d| d.0)))
}
