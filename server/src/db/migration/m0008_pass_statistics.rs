//! Per mailbox, what later passes carried (flags updated, deletions applied) and when a pass
//! last ended well: Exchange's per-user statistics.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, timestamp_with_time_zone_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Mailboxes {
    Table,
    FlagsUpdated,
    DeletionsApplied,
    LastSyncedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            big_integer(Mailboxes::FlagsUpdated).default(0).take(),
            big_integer(Mailboxes::DeletionsApplied).default(0).take(),
            timestamp_with_time_zone_null(Mailboxes::LastSyncedAt),
        ];
        for mut column in columns {
            m.alter_table(
                Table::alter()
                    .table(Mailboxes::Table)
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
