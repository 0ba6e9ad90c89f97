//! Storing a new batch and its mailboxes (source passwords encrypted) in one transaction.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use app::model::batch::{BatchState, MailboxState};

use crate::csv_import::CsvRow;
use crate::db::entity::{batch, mailbox};
use crate::engine::options::BatchOptions;
use crate::secrets::Cipher;

/// A mailbox row about to be queued (new batch, or a retry of failed rows).
pub struct QueuedMailbox {
    pub batch_id: i32,
    pub row_index: i32,
    pub email_address: String,
    pub source_username: String,
    pub source_secret: String,
    pub user_root: Option<String>,
    pub destination_secret: Option<String>,
}

impl QueuedMailbox {
    pub fn into_active_model(self, now: chrono::DateTime<Utc>) -> mailbox::ActiveModel {
        mailbox::ActiveModel {
            batch_id: Set(self.batch_id),
            row_index: Set(self.row_index),
            email_address: Set(self.email_address),
            source_username: Set(self.source_username),
            source_secret: Set(self.source_secret),
            user_root: Set(self.user_root),
            destination_secret: Set(self.destination_secret),
            state: Set(MailboxState::Queued.as_str().into()),
            folders_total: Set(0),
            folders_done: Set(0),
            messages_total: Set(0),
            messages_copied: Set(0),
            messages_skipped: Set(0),
            bytes_copied: Set(0),
            attempts: Set(0),
            updated_at: Set(now),
            ..Default::default()
        }
    }
}

pub struct NewBatch<'a> {
    pub name: String,
    pub source_endpoint_id: i32,
    pub destination_endpoint_id: i32,
    pub options: &'a BatchOptions,
    pub notify_emails: Vec<String>,
    pub rows: &'a [CsvRow],
}

#[derive(Debug, thiserror::Error)]
pub enum CreateBatchError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(
        "{email} is in batch {batch}, which is still running or was interrupted: continue it \
         (`mailferry batch run {batch}`, or Resume in the web app) or stop it first"
    )]
    AlreadyRunning { email: String, batch: i32 },
}

/// Mailboxes of these addresses that a running batch is working on, with that batch.
pub async fn running_elsewhere(
    db: &DatabaseConnection,
    emails: &[String],
) -> Result<Vec<(String, i32)>, DbErr> {
    let running: Vec<i32> = batch::Entity::find()
        .filter(
            batch::Column::State
                .is_in([BatchState::Syncing.as_str(), BatchState::Stopping.as_str()]),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|b| b.id)
        .collect();
    if running.is_empty() || emails.is_empty() {
        return Ok(Vec::new());
    }
    let mut busy = Vec::new();
    for chunk in emails.chunks(500) {
        let rows = mailbox::Entity::find()
            .filter(mailbox::Column::BatchId.is_in(running.clone()))
            .filter(mailbox::Column::EmailAddress.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        busy.extend(rows.into_iter().map(|m| (m.email_address, m.batch_id)));
    }
    Ok(busy)
}

pub async fn create_batch(
    db: &DatabaseConnection,
    cipher: &Cipher,
    new: NewBatch<'_>,
) -> Result<i32, CreateBatchError> {
    let emails: Vec<String> = new.rows.iter().map(|r| r.email_address.clone()).collect();
    if let Some((email, batch)) = running_elsewhere(db, &emails).await?.into_iter().next() {
        return Err(CreateBatchError::AlreadyRunning { email, batch });
    }
    let options = serde_json::to_string(new.options).map_err(|e| DbErr::Custom(e.to_string()))?;
    let now = Utc::now();
    let rows: Vec<(CsvRow, String)> = new
        .rows
        .iter()
        .map(|r| (r.clone(), cipher.encrypt(&r.password).0))
        .collect();
    let id = db
        .transaction::<_, i32, DbErr>(|txn| {
            Box::pin(async move {
                let created = batch::ActiveModel {
                    name: Set(new.name),
                    state: Set(BatchState::Created.as_str().into()),
                    source_endpoint_id: Set(Some(new.source_endpoint_id)),
                    destination_endpoint_id: Set(Some(new.destination_endpoint_id)),
                    options: Set(options),
                    notify_emails: Set(new.notify_emails.join(",")),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
                for chunk in rows.chunks(500) {
                    let models = chunk.iter().map(|(row, secret)| {
                        QueuedMailbox {
                            batch_id: created.id,
                            row_index: row.row_index as i32,
                            email_address: row.email_address.clone(),
                            source_username: row.user_name.clone(),
                            source_secret: secret.clone(),
                            user_root: row.user_root.clone(),
                            destination_secret: None,
                        }
                        .into_active_model(now)
                    });
                    mailbox::Entity::insert_many(models).exec(txn).await?;
                }
                Ok(created.id)
            })
        })
        .await
        .map_err(|e| match e {
            sea_orm::TransactionError::Connection(e)
            | sea_orm::TransactionError::Transaction(e) => e,
        })?;
    Ok(id)
}
