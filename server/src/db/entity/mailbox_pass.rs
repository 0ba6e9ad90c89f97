//! One ended pass of a mailbox.

use sea_orm::entity::prelude::*;

use app::ErrorKind;
use app::model::batch::MailboxState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mailbox_passes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub mailbox_id: i64,
    pub started_at: DateTimeUtc,
    pub ended_at: DateTimeUtc,
    /// How the pass ended: Synced, Failed or Stopped.
    pub state: MailboxState,
    pub copied: i64,
    pub bytes: i64,
    pub flags_updated: i64,
    pub deleted: i64,
    /// Message and folder problems it met.
    pub problems: i64,
    pub error_kind: Option<ErrorKind>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
