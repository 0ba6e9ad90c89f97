//! Sign-in attempts per window, shared by every process on one database.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SignInAttempts {
    Table,
    Key,
    WindowStart,
    Attempts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SignInAttempts::Table)
                .col(string(SignInAttempts::Key).primary_key())
                // Unix seconds: compared as numbers on every database.
                .col(big_integer(SignInAttempts::WindowStart))
                .col(big_integer(SignInAttempts::Attempts))
                .to_owned(),
        )
        .await
    }
}
