//! A migration batch: the mailboxes of one CSV file and the options they run with.

use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
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
}

pub async fn find<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// Whether an administrator asked the batch to stop; a deleted batch counts as stopped.
pub async fn stop_requested<C: ConnectionTrait>(db: &C, id: i64) -> Result<bool, DbErr> {
    Ok(find(db, id).await?.is_none_or(|b| b.stop_requested()))
}

/// Sets the state; the first pass's start and the end are stamped with it.
pub async fn set_state<C: ConnectionTrait>(
    db: &C,
    id: i64,
    state: BatchState,
) -> Result<(), DbErr> {
    let mut update = Entity::update_many().col_expr(Column::State, Expr::value(state));
    match state {
        BatchState::Syncing => update = update.col_expr(Column::StartedAt, Expr::value(Utc::now())),
        BatchState::Completed
        | BatchState::CompletedWithErrors
        | BatchState::Failed
        | BatchState::Stopped => update = update.col_expr(Column::EndedAt, Expr::value(Utc::now())),
        BatchState::Created | BatchState::Stopping => {}
    }
    update.filter(Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// Batches a process may be working on (Syncing or Stopping).
pub async fn running<C: ConnectionTrait>(db: &C) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::State.is_in([BatchState::Syncing, BatchState::Stopping]))
        .all(db)
        .await
}
