//! A destination mailbox is migrated by one batch at a time: creating, starting, resuming or
//! copying a batch checks that none of its addresses is in another running batch, inside the
//! same transaction that changes the batch (see [`lock`]). A Synced batch holds its addresses
//! until it is completed: its delta syncs still write to them.

use app::model::batch::MailboxState;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    QueryFilter,
};

use crate::db::entity::{batch, mailbox};

/// The advisory lock that serializes changes of which batch runs which address ("mfbatch").
const MEMBERSHIP_LOCK: i64 = 0x006d_6662_6174_6368;

/// An address that another running batch holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub email: String,
    pub batch: i64,
}

/// Takes the lock that makes a check and the change after it one step; the first statement of
/// the transaction. PostgreSQL: an advisory lock. SQLite: a write that changes nothing takes its
/// one write lock now (a transaction that read first could not write later once another
/// connection had committed).
pub async fn lock(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    let statement = match txn.get_database_backend() {
        DbBackend::Postgres => format!("SELECT pg_advisory_xact_lock({MEMBERSHIP_LOCK})"),
        _ => "UPDATE batches SET id = id WHERE id = -1".to_string(),
    };
    txn.execute_unprepared(&statement).await?;
    Ok(())
}

/// The first of `emails` that a batch other than `except` holds: any row of a running batch; a
/// row of a Synced batch unless it failed (its delta syncs skip it, so a new batch of the failed
/// rows may take it).
pub async fn running_elsewhere<C: ConnectionTrait>(
    db: &C,
    emails: &[String],
    except: Option<i64>,
) -> Result<Option<Conflict>, DbErr> {
    let (mut running, mut synced) = (Vec::new(), Vec::new());
    for b in batch::holding(db).await? {
        if Some(b.id) == except {
            continue;
        }
        match b.state.is_synced() {
            true => synced.push(b.id),
            false => running.push(b.id),
        }
    }
    if (running.is_empty() && synced.is_empty()) || emails.is_empty() {
        return Ok(None);
    }
    let held = Condition::any()
        .add(mailbox::Column::BatchId.is_in(running))
        .add(
            Condition::all()
                .add(mailbox::Column::BatchId.is_in(synced))
                .add(mailbox::Column::State.ne(MailboxState::Failed)),
        );
    for chunk in emails.chunks(500) {
        let found = mailbox::Entity::find()
            .filter(held.clone())
            .filter(mailbox::Column::EmailAddress.is_in(chunk.to_vec()))
            .one(db)
            .await?;
        if let Some(m) = found {
            return Ok(Some(Conflict {
                email: m.email_address,
                batch: m.batch_id,
            }));
        }
    }
    Ok(None)
}

/// The addresses of a batch's rows.
pub async fn addresses<C: ConnectionTrait>(db: &C, batch_id: i64) -> Result<Vec<String>, DbErr> {
    Ok(mailbox::of_batch(db, batch_id)
        .await?
        .into_iter()
        .map(|m| m.email_address)
        .collect())
}
