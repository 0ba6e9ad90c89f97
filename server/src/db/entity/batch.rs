//! A migration batch: the mailboxes of one CSV file and the options they run with.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "batches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub state: String,
    pub source_endpoint_id: Option<i32>,
    pub destination_endpoint_id: Option<i32>,
    /// JSON of `engine::options::BatchOptions`.
    pub options: String,
    pub notify_emails: String,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub email_status: Option<String>,
    pub email_error: Option<String>,
    /// When a process claimed the status e-mail (a stale claim is taken over).
    pub email_claimed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
