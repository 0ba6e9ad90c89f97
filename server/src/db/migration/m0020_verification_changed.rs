//! How many messages a verification found arrived changed (the same Message-ID, another size
//! or date: repaired on the way, or stored otherwise by the destination), per mailbox and
//! folder; they were counted but not kept, so the admin saw neither missing nor why.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Verifications {
    Table,
    Changed,
}

#[derive(DeriveIden)]
enum VerificationFolders {
    Table,
    Changed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too (sea-orm wraps only PostgreSQL's by default): a crash
    /// half-way would leave a table or column that the next start fails to create again.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Verifications::Table)
                .add_column(big_integer(Verifications::Changed).default(0))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(VerificationFolders::Table)
                .add_column(big_integer(VerificationFolders::Changed).default(0))
                .to_owned(),
        )
        .await
    }
}
