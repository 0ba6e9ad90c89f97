//! The source's personal namespace prefix as a mailbox's first pass found it: folder states are
//! keyed by source names, so a prefix that changes later would make every folder look new.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncAccounts {
    Table,
    SourcePrefix,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(SyncAccounts::Table)
                .add_column(string_null(SyncAccounts::SourcePrefix))
                .to_owned(),
        )
        .await
    }
}
