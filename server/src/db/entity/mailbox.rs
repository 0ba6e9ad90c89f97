//! One mailbox (one CSV row) of a batch, with its progress and the lease of the process working on it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mailboxes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub batch_id: i32,
    pub row_index: i32,
    pub email_address: String,
    pub source_username: String,
    pub source_secret: String,
    pub user_root: Option<String>,
    pub destination_secret: Option<String>,
    pub state: String,
    pub folders_total: i32,
    pub folders_done: i32,
    pub messages_total: i64,
    pub messages_copied: i64,
    pub messages_skipped: i64,
    pub bytes_copied: i64,
    pub error_kind: Option<String>,
    pub error_message: Option<String>,
    pub started_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub claimed_by: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub attempts: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
