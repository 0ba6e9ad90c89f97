//! Storing a new batch and its mailboxes (source passwords encrypted) in one transaction.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, Set, TransactionTrait};

use app::model::batch::{BatchState, MailboxState};

use super::membership::{self, Conflict};
use crate::csv_import::CsvRow;
use crate::db::entity::batch::Recipients;
use crate::db::entity::{batch, mailbox};
use crate::engine::options::BatchOptions;
use crate::secrets::{Cipher, Slot};

/// A mailbox row about to be queued (new batch, or a retry of failed rows).
pub struct QueuedMailbox {
    pub batch_id: i64,
    pub row_index: i32,
    pub email_address: String,
    pub source_username: String,
    pub source_secret: String,
    pub user_root: Option<String>,
    pub destination_secret: Option<String>,
    /// The code of the row's consent link (a source of personal accounts).
    pub consent_code: Option<String>,
}

/// A new consent link's code: 128 random bits, unguessable.
pub(crate) fn new_consent_code() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether the endpoint's users each give their consent (personal accounts): its rows then get
/// consent links.
pub(crate) async fn asks_consent(
    db: &impl sea_orm::ConnectionTrait,
    endpoint_id: Option<i64>,
) -> Result<bool, DbErr> {
    let Some(id) = endpoint_id else {
        return Ok(false);
    };
    let found = crate::db::entity::endpoint::Entity::find_by_id(id)
        .one(db)
        .await?;
    Ok(found.is_some_and(|e| e.oauth_kind == app::model::endpoint::OAuthKind::Personal))
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
            consent_code: Set(self.consent_code),
            state: Set(MailboxState::Queued),
            folders_total: Set(0),
            folders_done: Set(0),
            messages_total: Set(0),
            messages_copied: Set(0),
            messages_skipped: Set(0),
            bytes_copied: Set(0),
            flags_updated: Set(0),
            deletions_applied: Set(0),
            attempts: Set(0),
            updated_at: Set(now),
            ..Default::default()
        }
    }
}

pub struct NewBatch<'a> {
    pub name: String,
    pub source_endpoint_id: i64,
    pub destination_endpoint_id: i64,
    pub options: &'a BatchOptions,
    pub notify_emails: Vec<String>,
    pub rows: &'a [CsvRow],
    /// The digest of the `migrate` command that makes it.
    pub origin: Option<String>,
    pub schedule: Schedule,
}

/// When a batch starts and completes by itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct Schedule {
    pub start_after: Option<chrono::DateTime<Utc>>,
    pub complete_after: Option<chrono::DateTime<Utc>>,
    /// The first pass is also the final one (a one-shot `migrate`): it ends Completed.
    pub complete_at_once: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateBatchError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(
        "{} is in batch {}, which is running, synced and not yet completed, or was interrupted: \
         complete or stop that batch first (or continue it: `mailferry batch run {}`)",
        .0.email, .0.batch, .0.batch
    )]
    AlreadyRunning(Conflict),
}

pub async fn create_batch(
    db: &DatabaseConnection,
    cipher: &Cipher,
    new: NewBatch<'_>,
) -> Result<i64, CreateBatchError> {
    let emails: Vec<String> = new.rows.iter().map(|r| r.email_address.clone()).collect();
    let now = Utc::now();
    let txn = db.begin().await?;
    membership::lock(&txn).await?;
    if let Some(conflict) = membership::running_elsewhere(&txn, &emails, None).await? {
        return Err(CreateBatchError::AlreadyRunning(conflict));
    }
    let created = batch::ActiveModel {
        name: Set(new.name),
        state: Set(BatchState::Created),
        source_endpoint_id: Set(Some(new.source_endpoint_id)),
        destination_endpoint_id: Set(Some(new.destination_endpoint_id)),
        options: Set(new.options.clone()),
        notify_emails: Set(Recipients(new.notify_emails)),
        origin: Set(new.origin),
        start_after: Set(new.schedule.start_after),
        complete_after: Set(new.schedule.complete_after),
        complete_requested_at: Set(new.schedule.complete_at_once.then_some(now)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let consent = asks_consent(&txn, Some(new.source_endpoint_id)).await?;
    // Sealed for their rows, which need the batch's id (microseconds a row).
    let secrets = new.rows.iter().map(|r| {
        let slot = Slot::MailboxSource {
            batch_id: created.id,
            email: &r.email_address,
        };
        cipher.encrypt(&r.password, &slot).0
    });
    let rows: Vec<(&CsvRow, String)> = new.rows.iter().zip(secrets).collect();
    for chunk in rows.chunks(500) {
        let models = chunk.iter().map(|(row, secret)| {
            QueuedMailbox {
                batch_id: created.id,
                row_index: i32::try_from(row.row_index).unwrap_or(i32::MAX),
                email_address: row.email_address.clone(),
                source_username: row.user_name.clone(),
                source_secret: secret.clone(),
                user_root: row.user_root.clone(),
                destination_secret: None,
                consent_code: consent.then(new_consent_code),
            }
            .into_active_model(now)
        });
        mailbox::Entity::insert_many(models).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(created.id)
}

/// The batch a `migrate` command with this digest made and did not finish (its process was
/// killed or lost its disk, or it keeps a Synced batch for delta syncs): running the command
/// again continues it.
pub async fn unfinished_of_origin(
    db: &DatabaseConnection,
    origin: &str,
) -> Result<Option<batch::Model>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    batch::Entity::find()
        .filter(batch::Column::Origin.eq(origin))
        .filter(batch::Column::State.is_in([
            BatchState::Created,
            BatchState::Syncing,
            BatchState::Completing,
            BatchState::Synced,
            BatchState::SyncedWithErrors,
        ]))
        .order_by_desc(batch::Column::Id)
        .one(db)
        .await
}
