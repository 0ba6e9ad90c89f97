//! How many errors a batch has of one kind, current or resolved; kept by triggers on
//! `migration_errors` (m0018), never written by the application.

use sea_orm::entity::prelude::*;

use app::ErrorKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "error_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub batch_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: ErrorKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub resolved: bool,
    pub count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
