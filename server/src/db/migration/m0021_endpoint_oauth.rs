//! An endpoint's OAuth 2 provider: which kind issues its users' tokens, the client's public
//! settings, and its secret (a service account key or a client secret) sealed like the admin
//! password.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string, string_null, text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Endpoints {
    Table,
    OauthKind,
    OauthClientId,
    OauthTenant,
    OauthTokenUrl,
    OauthAuthorizationUrl,
    OauthScope,
    OauthSecret,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too: a crash half-way would leave a column that the next start
    /// fails to add again.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        let columns = [
            string(Endpoints::OauthKind).default("none").to_owned(),
            string_null(Endpoints::OauthClientId),
            string_null(Endpoints::OauthTenant),
            string_null(Endpoints::OauthTokenUrl),
            string_null(Endpoints::OauthAuthorizationUrl),
            string_null(Endpoints::OauthScope),
            text_null(Endpoints::OauthSecret),
        ];
        for mut column in columns {
            m.alter_table(
                Table::alter()
                    .table(Endpoints::Table)
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
