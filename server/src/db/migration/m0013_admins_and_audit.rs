//! Several administrators (invitations) and an audit trail that can be filtered: the client's
//! address and the batch of each event, indexes for the filters.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer_null, big_pk_auto, string, string_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    At,
    Actor,
    ClientAddr,
    BatchId,
}

#[derive(DeriveIden)]
enum AdminInvites {
    Table,
    Id,
    Username,
    TokenHash,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        m.alter_table(
            Table::alter()
                .table(AuditEvents::Table)
                .add_column(string_null(AuditEvents::ClientAddr))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AuditEvents::Table)
                .add_column(big_integer_null(AuditEvents::BatchId))
                .to_owned(),
        )
        .await?;
        for (name, column) in [
            ("idx_audit_events_at", AuditEvents::At),
            ("idx_audit_events_actor", AuditEvents::Actor),
            ("idx_audit_events_batch", AuditEvents::BatchId),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(AuditEvents::Table)
                    .col(column)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(AdminInvites::Table)
                .col(big_pk_auto(AdminInvites::Id))
                .col(string(AdminInvites::Username))
                .col(string(AdminInvites::TokenHash).unique_key())
                .col(string(AdminInvites::InvitedBy))
                .col(timestamp_with_time_zone(AdminInvites::CreatedAt))
                .col(timestamp_with_time_zone(AdminInvites::ExpiresAt))
                .col(timestamp_with_time_zone_null(AdminInvites::UsedAt))
                .to_owned(),
        )
        .await
    }
}
