//! A batch's errors in time order (the error report of one batch, newest or oldest first, and
//! its keyset pages): without it a batch of a million errors was sorted whole for each page,
//! the (batch, kind, time) index giving time order only within one kind.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MigrationErrors {
    Table,
    BatchId,
    CreatedAt,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("ix_errors_batch_time")
                .table(MigrationErrors::Table)
                .col(MigrationErrors::BatchId)
                .col(MigrationErrors::CreatedAt)
                .col(MigrationErrors::Id)
                .to_owned(),
        )
        .await
    }
}
