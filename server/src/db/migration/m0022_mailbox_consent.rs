//! A personal account's consent per batch row: the code of its consent link, the request in
//! progress (state and sealed PKCE verifier), and the sealed refresh token the consent gave.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string_null, text_null, timestamp_with_time_zone_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Mailboxes {
    Table,
    ConsentCode,
    ConsentState,
    ConsentVerifier,
    RefreshSecret,
    ConsentedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too: a crash half-way would leave a column that the next start
    /// fails to add again.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            string_null(Mailboxes::ConsentCode),
            string_null(Mailboxes::ConsentState),
            text_null(Mailboxes::ConsentVerifier),
            text_null(Mailboxes::RefreshSecret),
            timestamp_with_time_zone_null(Mailboxes::ConsentedAt),
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
        // A link or a provider's answer finds its row.
        for (name, column) in [
            ("ux_mailboxes_consent_code", Mailboxes::ConsentCode),
            ("ux_mailboxes_consent_state", Mailboxes::ConsentState),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(Mailboxes::Table)
                    .col(column)
                    .unique()
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
