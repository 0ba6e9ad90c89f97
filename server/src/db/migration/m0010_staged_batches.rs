//! The staged batch: when the first pass starts by itself, when the batch completes by itself,
//! when an admin asked it to complete, when its last pass ended and when the next delta runs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::timestamp_with_time_zone_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Batches {
    Table,
    StartAfter,
    CompleteAfter,
    CompleteRequestedAt,
    LastSyncedAt,
    NextSyncAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            Batches::StartAfter,
            Batches::CompleteAfter,
            Batches::CompleteRequestedAt,
            Batches::LastSyncedAt,
            Batches::NextSyncAt,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Batches::Table)
                    .add_column(timestamp_with_time_zone_null(column))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
