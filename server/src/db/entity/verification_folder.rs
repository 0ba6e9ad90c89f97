//! One folder of a mailbox's last verification.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "verification_folders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub mailbox_id: i64,
    /// The decoded source name, as the admin reads it.
    pub folder: String,
    /// Wire names: the folder state's key, and where its messages land.
    pub source_folder: String,
    pub destination_folder: String,
    pub source_messages: i64,
    pub source_bytes: i64,
    pub destination_messages: i64,
    pub destination_bytes: i64,
    pub missing: i64,
    pub extra: i64,
    /// Arrived with the same Message-ID but another size or date.
    pub changed: i64,
    /// The source UIDs not on the destination (a UID set), for Copy missing.
    pub missing_uids: String,
    /// The first missing and extra messages (JSON), for the report.
    pub gaps: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
