//! A migration batch: the mailboxes of one CSV file and the options they run with.

use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, Func};
use serde::{Deserialize, Serialize};

use app::model::batch::{BatchState, EmailStatus};
use app::model::batch_options::BatchOptions;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "batches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub state: BatchState,
    pub source_endpoint_id: Option<i64>,
    pub destination_endpoint_id: Option<i64>,
    pub options: BatchOptions,
    /// Who gets the status e-mails.
    pub notify_emails: Recipients,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub email_status: Option<EmailStatus>,
    pub email_error: Option<String>,
    /// When a process claimed the status e-mail (a stale claim is taken over).
    pub email_claimed_at: Option<DateTimeUtc>,
    /// The digest of the `mailferry migrate` command that made it (CSV, servers, options).
    pub origin: Option<String>,
    /// The first pass starts by itself then.
    pub start_after: Option<DateTimeUtc>,
    /// Once Synced, the batch completes by itself then.
    pub complete_after: Option<DateTimeUtc>,
    /// An admin (or CompleteAfter, or a one-shot `migrate`) asked for the final pass: the pass
    /// running or next ends the batch Completed.
    pub complete_requested_at: Option<DateTimeUtc>,
    /// When the last pass ended with every mailbox done.
    pub last_synced_at: Option<DateTimeUtc>,
    /// When the next scheduled delta sync runs (while Synced).
    pub next_sync_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The addresses of a batch's status e-mails (a JSON list).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Recipients(pub Vec<String>);

impl Model {
    /// An administrator asked the batch to stop (or it has stopped).
    pub fn stop_requested(&self) -> bool {
        matches!(self.state, BatchState::Stopping | BatchState::Stopped)
    }

    /// A process may be working on it.
    pub fn is_running(&self) -> bool {
        self.state.is_running()
    }

    /// The state of a pass of this batch: the final one once completion was asked for.
    pub fn pass_state(&self) -> BatchState {
        match self.complete_requested_at {
            Some(_) => BatchState::Completing,
            None => BatchState::Syncing,
        }
    }
}

pub async fn find<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// Whether an administrator asked the batch to stop; a deleted batch counts as stopped.
pub async fn stop_requested<C: ConnectionTrait>(db: &C, id: i64) -> Result<bool, DbErr> {
    Ok(find(db, id).await?.is_none_or(|b| b.stop_requested()))
}

/// Sets the state; the first pass's start, the end of a pass that synced everything and the
/// batch's end are stamped with it.
pub async fn set_state<C: ConnectionTrait>(
    db: &C,
    id: i64,
    state: BatchState,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let mut update = Entity::update_many().col_expr(Column::State, Expr::value(state));
    match state {
        // A delta pass keeps the first pass's start.
        BatchState::Syncing | BatchState::Completing => {
            update = update.col_expr(
                Column::StartedAt,
                Func::coalesce([Expr::col(Column::StartedAt), Expr::value(now)]).into(),
            )
        }
        BatchState::Synced | BatchState::SyncedWithErrors => {
            update = update.col_expr(Column::LastSyncedAt, Expr::value(now))
        }
        BatchState::Completed | BatchState::CompletedWithErrors => {
            update = update
                .col_expr(Column::LastSyncedAt, Expr::value(now))
                .col_expr(Column::EndedAt, Expr::value(now))
                .col_expr(Column::NextSyncAt, Expr::value(Option::<DateTimeUtc>::None))
        }
        BatchState::Failed | BatchState::Stopped => {
            update = update
                .col_expr(Column::EndedAt, Expr::value(now))
                .col_expr(Column::NextSyncAt, Expr::value(Option::<DateTimeUtc>::None))
        }
        BatchState::Created | BatchState::Stopping => {}
    }
    update.filter(Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// States whose batch holds its addresses: a pass runs, or delta syncs and the completion are
/// still to come.
pub const HOLDING: [BatchState; 5] = [
    BatchState::Syncing,
    BatchState::Completing,
    BatchState::Stopping,
    BatchState::Synced,
    BatchState::SyncedWithErrors,
];

/// Batches that hold their addresses (see [`HOLDING`]).
pub async fn holding<C: ConnectionTrait>(db: &C) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::State.is_in(HOLDING))
        .all(db)
        .await
}

/// When the next scheduled delta sync runs (none: not scheduled).
pub async fn set_next_sync<C: ConnectionTrait>(
    db: &C,
    id: i64,
    at: Option<DateTimeUtc>,
) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::NextSyncAt, Expr::value(at))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
