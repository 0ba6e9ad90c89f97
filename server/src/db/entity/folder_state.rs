//! Sync state of one source folder of one account: UIDVALIDITY and the UIDs already copied.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "folder_states")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    /// The source folder's wire (modified UTF-7) name: its identity.
    pub source_folder: String,
    pub destination_folder: String,
    pub uidvalidity: i64,
    /// Copied UIDs as an IMAP sequence set (`1:500,502`).
    pub copied_uids: String,
    pub uidnext: i64,
    pub exists_count: i64,
    pub updated_at: DateTimeUtc,
    /// The source folder's HIGHESTMODSEQ at the last complete pass (CONDSTORE servers).
    pub highest_modseq: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
