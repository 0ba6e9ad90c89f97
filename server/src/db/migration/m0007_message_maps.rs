//! Each copied message's destination UID and the source flags it last carried, so that a later
//! pass can carry flag changes and deletions to the right destination message; and each
//! folder's HIGHESTMODSEQ (CONDSTORE), so that a pass over an unchanged folder costs nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, big_pk_auto, text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FolderStates {
    Table,
    HighestModseq,
}

#[derive(DeriveIden)]
enum MessageMaps {
    Table,
    Id,
    FolderStateId,
    SourceUid,
    DestinationUid,
    Flags,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(FolderStates::Table)
                .add_column(big_integer_null(FolderStates::HighestModseq))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MessageMaps::Table)
                .col(big_pk_auto(MessageMaps::Id))
                .col(big_integer(MessageMaps::FolderStateId))
                .col(big_integer(MessageMaps::SourceUid))
                .col(big_integer_null(MessageMaps::DestinationUid))
                .col(text_null(MessageMaps::Flags))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_message_maps_folder_uid")
                .table(MessageMaps::Table)
                .col(MessageMaps::FolderStateId)
                .col(MessageMaps::SourceUid)
                .unique()
                .to_owned(),
        )
        .await
    }
}
