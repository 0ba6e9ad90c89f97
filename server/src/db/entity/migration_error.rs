//! A mailbox-level or message-level error of the error report.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "migration_errors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub batch_id: i32,
    pub mailbox_id: i32,
    pub row_index: i32,
    pub email_address: String,
    pub kind: String,
    pub scope: String,
    pub message: String,
    pub folder: Option<String>,
    pub uid: Option<i64>,
    pub subject: Option<String>,
    pub size: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
