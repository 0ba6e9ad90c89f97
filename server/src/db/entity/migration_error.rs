//! A mailbox-level or message-level error of the error report.

use sea_orm::entity::prelude::*;

use app::{ErrorKind, ErrorScope};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "migration_errors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub batch_id: i64,
    pub mailbox_id: i64,
    pub row_index: i32,
    pub email_address: String,
    pub kind: ErrorKind,
    pub scope: ErrorScope,
    pub message: String,
    pub folder: Option<String>,
    pub uid: Option<i64>,
    pub subject: Option<String>,
    pub size: Option<i64>,
    pub created_at: DateTimeUtc,
    /// When a later pass of the mailbox overcame it (`None`: current).
    pub resolved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
