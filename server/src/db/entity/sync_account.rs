//! A destination mailbox across batches: whether it was ever completed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email_address: String,
    pub source_username: String,
    pub completed_at: Option<DateTimeUtc>,
    pub last_batch_id: Option<i64>,
    pub updated_at: DateTimeUtc,
    /// The source's personal namespace prefix at the first pass.
    pub source_prefix: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The account of a destination address, if a pass (or a verification) ever made one.
pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<Model>, DbErr> {
    Entity::find()
        .filter(Column::EmailAddress.eq(email))
        .one(db)
        .await
}
