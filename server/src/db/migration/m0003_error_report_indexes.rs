//! Indexes for the error report at 100,000+ errors: a mailbox search finds its errors by mailbox
//! (with kind and time, so the counts per kind read the index only), "by mailbox" sorting reads
//! the address index, and MigrationErrors.csv (by row) streams in index order.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MigrationErrors {
    Table,
    Id,
    BatchId,
    MailboxId,
    RowIndex,
    EmailAddress,
    Kind,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Its columns lead the new mailbox index.
        m.drop_index(
            Index::drop()
                .name("ix_errors_mailbox")
                .table(MigrationErrors::Table)
                .to_owned(),
        )
        .await?;
        let indexes = [
            (
                "ix_errors_mailbox_kind_time",
                vec![
                    MigrationErrors::MailboxId,
                    MigrationErrors::Kind,
                    MigrationErrors::CreatedAt,
                ],
            ),
            (
                "ix_errors_address",
                vec![MigrationErrors::EmailAddress, MigrationErrors::Id],
            ),
            (
                "ix_errors_row",
                vec![MigrationErrors::RowIndex, MigrationErrors::Id],
            ),
            (
                "ix_errors_batch_row",
                vec![
                    MigrationErrors::BatchId,
                    MigrationErrors::RowIndex,
                    MigrationErrors::Id,
                ],
            ),
        ];
        for (name, columns) in indexes {
            let mut index = Index::create();
            index.name(name).table(MigrationErrors::Table);
            for column in columns {
                index.col(column);
            }
            m.create_index(index.to_owned()).await?;
        }
        Ok(())
    }
}
