//! The history of each mailbox's passes (first, delta, final, copy missing): when, how it
//! ended, what it carried. One row per pass, written when the pass ends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_pk_auto, string, string_null, timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MailboxPasses {
    Table,
    Id,
    MailboxId,
    StartedAt,
    EndedAt,
    State,
    Copied,
    Bytes,
    FlagsUpdated,
    Deleted,
    Problems,
    ErrorKind,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(MailboxPasses::Table)
                .col(big_pk_auto(MailboxPasses::Id))
                .col(big_integer(MailboxPasses::MailboxId))
                .col(timestamp_with_time_zone(MailboxPasses::StartedAt))
                .col(timestamp_with_time_zone(MailboxPasses::EndedAt))
                .col(string(MailboxPasses::State))
                .col(big_integer(MailboxPasses::Copied))
                .col(big_integer(MailboxPasses::Bytes))
                .col(big_integer(MailboxPasses::FlagsUpdated))
                .col(big_integer(MailboxPasses::Deleted))
                .col(big_integer(MailboxPasses::Problems))
                .col(string_null(MailboxPasses::ErrorKind))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_mailbox_passes_mailbox")
                .table(MailboxPasses::Table)
                .col(MailboxPasses::MailboxId)
                .to_owned(),
        )
        .await
    }
}
