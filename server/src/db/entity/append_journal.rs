//! Messages being appended right now: healed after a crash instead of copied twice.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "append_journal")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub folder_state_id: i64,
    pub uidvalidity: i64,
    pub uid: i64,
    pub message_id: Option<String>,
    pub internal_date: String,
    pub size: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
