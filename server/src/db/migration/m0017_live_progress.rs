//! A running mailbox's live detail: the folders being copied, what its pass copies (messages and
//! bytes, done and in all, known from each folder's metadata pass on) and its rate over the
//! last minute. Written every few seconds while it runs, cleared when the pass ends. And when an
//! admin asked the running mailbox alone to stop (a bulk Stop).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer_null, text_null, timestamp_with_time_zone_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Mailboxes {
    Table,
    LiveFolders,
    LiveMessagesTotal,
    LiveMessagesDone,
    LiveBytesTotal,
    LiveBytesDone,
    LiveRate,
    StopRequestedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            text_null(Mailboxes::LiveFolders),
            big_integer_null(Mailboxes::LiveMessagesTotal),
            big_integer_null(Mailboxes::LiveMessagesDone),
            big_integer_null(Mailboxes::LiveBytesTotal),
            big_integer_null(Mailboxes::LiveBytesDone),
            big_integer_null(Mailboxes::LiveRate),
            timestamp_with_time_zone_null(Mailboxes::StopRequestedAt),
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
