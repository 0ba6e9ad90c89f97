//! One mailbox (one CSV row) of a batch, with its progress and the lease of the process working on it.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{Condition, QueryOrder};

use app::ErrorKind;
use app::model::batch::MailboxState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mailboxes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub batch_id: i64,
    pub row_index: i32,
    pub email_address: String,
    pub source_username: String,
    pub source_secret: String,
    pub user_root: Option<String>,
    pub destination_secret: Option<String>,
    pub state: MailboxState,
    pub folders_total: i32,
    pub folders_done: i32,
    pub messages_total: i64,
    pub messages_copied: i64,
    pub messages_skipped: i64,
    pub bytes_copied: i64,
    pub error_kind: Option<ErrorKind>,
    pub error_message: Option<String>,
    pub started_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub claimed_by: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub attempts: i32,
    pub updated_at: DateTimeUtc,
    /// Destination messages whose flags later passes brought in line with the source's.
    pub flags_updated: i64,
    /// Destination copies deleted because the source expunged them.
    pub deletions_applied: i64,
    /// When a pass last ended with the mailbox synced.
    pub last_synced_at: Option<DateTimeUtc>,
    /// While a pass runs: the folders being copied (decoded, comma-separated), what the pass
    /// copies (from each folder's metadata on), what it has done, bytes/s over the last minute.
    pub live_folders: Option<String>,
    pub live_messages_total: Option<i64>,
    pub live_messages_done: Option<i64>,
    pub live_bytes_total: Option<i64>,
    pub live_bytes_done: Option<i64>,
    pub live_rate: Option<i64>,
    /// An admin asked this running mailbox alone to stop (its pass ends Stopped).
    pub stop_requested_at: Option<DateTimeUtc>,
    /// A personal account's consent: the code of the row's consent link, the request under
    /// way (its state and sealed PKCE verifier), the sealed refresh token it gave, and when.
    pub consent_code: Option<String>,
    pub consent_state: Option<String>,
    pub consent_verifier: Option<String>,
    pub refresh_secret: Option<String>,
    pub consented_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Mailboxes a worker may claim: queued, or marked Syncing by a process whose lease ran out.
pub fn claimable(now: DateTimeUtc) -> Condition {
    Condition::any()
        .add(Column::State.eq(MailboxState::Queued))
        .add(
            Condition::all()
                .add(Column::State.eq(MailboxState::Syncing))
                .add(
                    Condition::any()
                        .add(Column::LeaseUntil.is_null())
                        .add(Column::LeaseUntil.lt(now)),
                ),
        )
}

/// Mailboxes a live process is working on right now.
pub fn held(now: DateTimeUtc) -> Condition {
    Condition::all()
        .add(Column::State.eq(MailboxState::Syncing))
        .add(Column::LeaseUntil.gte(now))
}

/// The rows of a batch in CSV order.
pub async fn of_batch<C: ConnectionTrait>(db: &C, batch_id: i64) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::BatchId.eq(batch_id))
        .order_by_asc(Column::RowIndex)
        .all(db)
        .await
}

/// The rows of a batch in these states, in CSV order.
pub async fn of_batch_in<C: ConnectionTrait>(
    db: &C,
    batch_id: i64,
    states: &[MailboxState],
) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::BatchId.eq(batch_id))
        .filter(Column::State.is_in(states.iter().copied()))
        .order_by_asc(Column::RowIndex)
        .all(db)
        .await
}

/// Whether a live process holds a mailbox of the batch.
pub async fn batch_is_held<C: ConnectionTrait>(db: &C, batch_id: i64) -> Result<bool, DbErr> {
    let held = Entity::find()
        .filter(Column::BatchId.eq(batch_id))
        .filter(held(chrono::Utc::now()))
        .count(db)
        .await?;
    Ok(held > 0)
}

/// Whether a batch has a mailbox queued or running (held, or left by a process that died).
pub async fn batch_has_work<C: ConnectionTrait>(db: &C, batch_id: i64) -> Result<bool, DbErr> {
    let left = Entity::find()
        .filter(Column::BatchId.eq(batch_id))
        .filter(Column::State.is_in([MailboxState::Queued, MailboxState::Syncing]))
        .count(db)
        .await?;
    Ok(left > 0)
}

/// Queues a batch's mailboxes in the states `from` again; returns how many.
pub async fn queue<C: ConnectionTrait>(
    db: &C,
    batch_id: i64,
    from: &[MailboxState],
) -> Result<u64, DbErr> {
    Ok(Entity::update_many()
        .col_expr(Column::State, Expr::value(MailboxState::Queued))
        .col_expr(Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(Column::BatchId.eq(batch_id))
        .filter(Column::State.is_in(from.iter().copied()))
        .exec(db)
        .await?
        .rows_affected)
}
