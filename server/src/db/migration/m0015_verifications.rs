//! Verify: each mailbox's last comparison with its source, and what it found per folder (the
//! source UIDs that are missing, for Copy missing, and the messages for the report).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_pk_auto, integer, string, text, text_null, timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Verifications {
    Table,
    Id,
    MailboxId,
    Outcome,
    Folders,
    SourceMessages,
    DestinationMessages,
    Missing,
    Extra,
    Detail,
    VerifiedAt,
}

#[derive(DeriveIden)]
enum VerificationFolders {
    Table,
    Id,
    MailboxId,
    Folder,
    SourceFolder,
    DestinationFolder,
    SourceMessages,
    SourceBytes,
    DestinationMessages,
    DestinationBytes,
    Missing,
    Extra,
    MissingUids,
    Gaps,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Verifications::Table)
                .col(big_pk_auto(Verifications::Id))
                .col(big_integer(Verifications::MailboxId).unique_key())
                .col(string(Verifications::Outcome))
                .col(integer(Verifications::Folders))
                .col(big_integer(Verifications::SourceMessages))
                .col(big_integer(Verifications::DestinationMessages))
                .col(big_integer(Verifications::Missing))
                .col(big_integer(Verifications::Extra))
                .col(text_null(Verifications::Detail))
                .col(timestamp_with_time_zone(Verifications::VerifiedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(VerificationFolders::Table)
                .col(big_pk_auto(VerificationFolders::Id))
                .col(big_integer(VerificationFolders::MailboxId))
                .col(string(VerificationFolders::Folder))
                .col(string(VerificationFolders::SourceFolder))
                .col(string(VerificationFolders::DestinationFolder))
                .col(big_integer(VerificationFolders::SourceMessages))
                .col(big_integer(VerificationFolders::SourceBytes))
                .col(big_integer(VerificationFolders::DestinationMessages))
                .col(big_integer(VerificationFolders::DestinationBytes))
                .col(big_integer(VerificationFolders::Missing))
                .col(big_integer(VerificationFolders::Extra))
                .col(text(VerificationFolders::MissingUids))
                .col(text(VerificationFolders::Gaps))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_verification_folders_mailbox")
                .table(VerificationFolders::Table)
                .col(VerificationFolders::MailboxId)
                .to_owned(),
        )
        .await
    }
}
