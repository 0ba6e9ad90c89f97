//! A mailbox's last verification (one per batch row).

use sea_orm::entity::prelude::*;

use app::model::verification::VerifyOutcome;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "verifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub mailbox_id: i64,
    pub outcome: VerifyOutcome,
    pub folders: i32,
    pub source_messages: i64,
    pub destination_messages: i64,
    pub missing: i64,
    pub extra: i64,
    /// Arrived with the same Message-ID but another size or date.
    pub changed: i64,
    pub detail: Option<String>,
    pub verified_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
