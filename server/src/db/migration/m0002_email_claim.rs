//! When a process claimed a batch's status e-mail: a claim older than a few leases belongs to a
//! process that died while sending, and is taken over.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::timestamp_with_time_zone_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Batches {
    Table,
    EmailClaimedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Batches::Table)
                .add_column(timestamp_with_time_zone_null(Batches::EmailClaimedAt))
                .to_owned(),
        )
        .await
    }
}
