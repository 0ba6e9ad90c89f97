//! Which `mailferry migrate` command made a batch (a digest of its CSV, servers and options), so
//! that running the same command again continues an interrupted batch instead of refusing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Batches {
    Table,
    Origin,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Batches::Table)
                .add_column(string_null(Batches::Origin))
                .to_owned(),
        )
        .await
    }
}
