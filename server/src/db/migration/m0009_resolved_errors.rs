//! When a later pass overcame an error: the report shows current errors by default and keeps the
//! resolved ones, with their time, behind a filter.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::timestamp_with_time_zone_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MigrationErrors {
    Table,
    ResolvedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(MigrationErrors::Table)
                .add_column(timestamp_with_time_zone_null(MigrationErrors::ResolvedAt))
                .to_owned(),
        )
        .await
    }
}
