//! A copied message: its destination UID (APPENDUID) and the source flags it last carried.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_maps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub folder_state_id: i64,
    pub source_uid: i64,
    /// `None`: the destination did not say (no UIDPLUS), or the message was found there.
    pub destination_uid: Option<i64>,
    /// The source's flags as carried, space-separated and sorted; `None`: not known.
    pub flags: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
