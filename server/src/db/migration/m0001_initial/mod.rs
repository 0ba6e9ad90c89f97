//! The first schema: admins and sessions, endpoints, batches and their mailboxes, errors,
//! per-folder sync state with its in-flight journal, settings and the audit trail.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

mod names;

use names::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// Administrators, their sessions and the stored servers.
async fn admins_and_endpoints(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Admins::Table)
            .col(pk_auto(Admins::Id))
            .col(string_uniq(Admins::Username))
            .col(string(Admins::PasswordHash))
            .col(timestamp_with_time_zone(Admins::CreatedAt))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(Sessions::Table)
            .col(pk_auto(Sessions::Id))
            .col(string_uniq(Sessions::TokenHash))
            .col(integer(Sessions::AdminId))
            .col(timestamp_with_time_zone(Sessions::CreatedAt))
            .col(timestamp_with_time_zone(Sessions::ExpiresAt))
            .foreign_key(&mut fk(
                "fk_sessions_admin",
                (Sessions::Table, Sessions::AdminId),
                (Admins::Table, Admins::Id),
            ))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(Endpoints::Table)
            .col(pk_auto(Endpoints::Id))
            .col(string_uniq(Endpoints::Name))
            .col(string(Endpoints::Role))
            .col(string(Endpoints::Host))
            .col(integer(Endpoints::Port))
            .col(string(Endpoints::Security))
            .col(string(Endpoints::AuthMechanism))
            .col(string_null(Endpoints::AdminUser))
            .col(text_null(Endpoints::AdminSecret))
            .col(string(Endpoints::Impersonation))
            .col(text_null(Endpoints::TlsCaPem))
            .col(boolean(Endpoints::InsecureSkipVerify))
            .col(integer(Endpoints::MaxConcurrent))
            .col(timestamp_with_time_zone(Endpoints::CreatedAt))
            .col(timestamp_with_time_zone(Endpoints::UpdatedAt))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Batches: the rows of one CSV file and the options they run with.
async fn batches(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Batches::Table)
            .col(pk_auto(Batches::Id))
            .col(string(Batches::Name))
            .col(string(Batches::State))
            .col(integer_null(Batches::SourceEndpointId))
            .col(integer_null(Batches::DestinationEndpointId))
            .col(text(Batches::Options))
            .col(text(Batches::NotifyEmails))
            .col(timestamp_with_time_zone(Batches::CreatedAt))
            .col(timestamp_with_time_zone_null(Batches::StartedAt))
            .col(timestamp_with_time_zone_null(Batches::EndedAt))
            .col(string_null(Batches::EmailStatus))
            .col(text_null(Batches::EmailError))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Mailboxes, with the indexes the workers and pages read by.
async fn mailboxes(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Mailboxes::Table)
            .col(pk_auto(Mailboxes::Id))
            .col(integer(Mailboxes::BatchId))
            .col(integer(Mailboxes::RowIndex))
            .col(string(Mailboxes::EmailAddress))
            .col(string(Mailboxes::SourceUsername))
            .col(text(Mailboxes::SourceSecret))
            .col(string_null(Mailboxes::UserRoot))
            .col(text_null(Mailboxes::DestinationSecret))
            .col(string(Mailboxes::State))
            .col(integer(Mailboxes::FoldersTotal))
            .col(integer(Mailboxes::FoldersDone))
            .col(big_integer(Mailboxes::MessagesTotal))
            .col(big_integer(Mailboxes::MessagesCopied))
            .col(big_integer(Mailboxes::MessagesSkipped))
            .col(big_integer(Mailboxes::BytesCopied))
            .col(string_null(Mailboxes::ErrorKind))
            .col(text_null(Mailboxes::ErrorMessage))
            .col(timestamp_with_time_zone_null(Mailboxes::StartedAt))
            .col(timestamp_with_time_zone_null(Mailboxes::EndedAt))
            .col(string_null(Mailboxes::ClaimedBy))
            .col(timestamp_with_time_zone_null(Mailboxes::LeaseUntil))
            .col(integer(Mailboxes::Attempts))
            .col(timestamp_with_time_zone(Mailboxes::UpdatedAt))
            .foreign_key(&mut fk(
                "fk_mailboxes_batch",
                (Mailboxes::Table, Mailboxes::BatchId),
                (Batches::Table, Batches::Id),
            ))
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ix_mailboxes_batch_state")
            .table(Mailboxes::Table)
            .col(Mailboxes::BatchId)
            .col(Mailboxes::State)
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ix_mailboxes_state_lease")
            .table(Mailboxes::Table)
            .col(Mailboxes::State)
            .col(Mailboxes::LeaseUntil)
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ix_mailboxes_email")
            .table(Mailboxes::Table)
            .col(Mailboxes::EmailAddress)
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The error report's rows and their indexes.
async fn errors(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(MigrationErrors::Table)
            .col(pk_auto(MigrationErrors::Id))
            .col(integer(MigrationErrors::BatchId))
            .col(integer(MigrationErrors::MailboxId))
            .col(integer(MigrationErrors::RowIndex))
            .col(string(MigrationErrors::EmailAddress))
            .col(string(MigrationErrors::Kind))
            .col(string(MigrationErrors::Scope))
            .col(text(MigrationErrors::Message))
            .col(string_null(MigrationErrors::Folder))
            .col(big_integer_null(MigrationErrors::Uid))
            .col(text_null(MigrationErrors::Subject))
            .col(big_integer_null(MigrationErrors::Size))
            .col(timestamp_with_time_zone(MigrationErrors::CreatedAt))
            .foreign_key(&mut fk(
                "fk_errors_batch",
                (MigrationErrors::Table, MigrationErrors::BatchId),
                (Batches::Table, Batches::Id),
            ))
            .foreign_key(&mut fk(
                "fk_errors_mailbox",
                (MigrationErrors::Table, MigrationErrors::MailboxId),
                (Mailboxes::Table, Mailboxes::Id),
            ))
            .to_owned(),
    )
    .await?;
    // The error report filters by batch and/or kind and sorts by time: one index per access path.
    m.create_index(
        Index::create()
            .name("ix_errors_batch_kind_time")
            .table(MigrationErrors::Table)
            .col(MigrationErrors::BatchId)
            .col(MigrationErrors::Kind)
            .col(MigrationErrors::CreatedAt)
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ix_errors_kind_time")
            .table(MigrationErrors::Table)
            .col(MigrationErrors::Kind)
            .col(MigrationErrors::CreatedAt)
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ix_errors_time")
            .table(MigrationErrors::Table)
            .col(MigrationErrors::CreatedAt)
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ix_errors_mailbox")
            .table(MigrationErrors::Table)
            .col(MigrationErrors::MailboxId)
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Per-account sync state and the journal of appends in flight.
async fn sync_state(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(SyncAccounts::Table)
            .col(pk_auto(SyncAccounts::Id))
            .col(string_uniq(SyncAccounts::EmailAddress))
            .col(string(SyncAccounts::SourceUsername))
            .col(timestamp_with_time_zone_null(SyncAccounts::CompletedAt))
            .col(integer_null(SyncAccounts::LastBatchId))
            .col(timestamp_with_time_zone(SyncAccounts::UpdatedAt))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(FolderStates::Table)
            .col(pk_auto(FolderStates::Id))
            .col(integer(FolderStates::AccountId))
            .col(string(FolderStates::SourceFolder))
            .col(string(FolderStates::DestinationFolder))
            .col(big_integer(FolderStates::Uidvalidity))
            .col(text(FolderStates::CopiedUids))
            .col(big_integer(FolderStates::Uidnext))
            .col(big_integer(FolderStates::ExistsCount))
            .col(timestamp_with_time_zone(FolderStates::UpdatedAt))
            .foreign_key(&mut fk(
                "fk_folder_states_account",
                (FolderStates::Table, FolderStates::AccountId),
                (SyncAccounts::Table, SyncAccounts::Id),
            ))
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ux_folder_states_account_folder")
            .table(FolderStates::Table)
            .col(FolderStates::AccountId)
            .col(FolderStates::SourceFolder)
            .unique()
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(AppendJournal::Table)
            .col(pk_auto(AppendJournal::Id))
            .col(integer(AppendJournal::FolderStateId))
            .col(big_integer(AppendJournal::Uidvalidity))
            .col(big_integer(AppendJournal::Uid))
            .col(text_null(AppendJournal::MessageId))
            .col(string(AppendJournal::InternalDate))
            .col(big_integer(AppendJournal::Size))
            .col(timestamp_with_time_zone(AppendJournal::CreatedAt))
            .foreign_key(&mut fk(
                "fk_journal_folder_state",
                (AppendJournal::Table, AppendJournal::FolderStateId),
                (FolderStates::Table, FolderStates::Id),
            ))
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ix_journal_folder_state")
            .table(AppendJournal::Table)
            .col(AppendJournal::FolderStateId)
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Settings and the audit trail.
async fn settings_and_audit(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Settings::Table)
            .col(string(Settings::Key).primary_key())
            .col(text(Settings::Value))
            .col(text_null(Settings::Secret))
            .col(timestamp_with_time_zone(Settings::UpdatedAt))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(AuditEvents::Table)
            .col(pk_auto(AuditEvents::Id))
            .col(timestamp_with_time_zone(AuditEvents::At))
            .col(string(AuditEvents::Actor))
            .col(string(AuditEvents::Action))
            .col(text(AuditEvents::Detail))
            .to_owned(),
    )
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        admins_and_endpoints(m).await?;
        batches(m).await?;
        mailboxes(m).await?;
        errors(m).await?;
        sync_state(m).await?;
        settings_and_audit(m).await
    }
}
