//! The table and column names of the first schema, as they were then (a migration keeps its
//! own snapshot of names).

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
pub(super) enum Admins {
    Table,
    Id,
    Username,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum Sessions {
    Table,
    Id,
    TokenHash,
    AdminId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
pub(super) enum Endpoints {
    Table,
    Id,
    Name,
    Role,
    Host,
    Port,
    Security,
    AuthMechanism,
    AdminUser,
    AdminSecret,
    Impersonation,
    TlsCaPem,
    InsecureSkipVerify,
    MaxConcurrent,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(super) enum Batches {
    Table,
    Id,
    Name,
    State,
    SourceEndpointId,
    DestinationEndpointId,
    Options,
    NotifyEmails,
    CreatedAt,
    StartedAt,
    EndedAt,
    EmailStatus,
    EmailError,
}

#[derive(DeriveIden)]
pub(super) enum Mailboxes {
    Table,
    Id,
    BatchId,
    RowIndex,
    EmailAddress,
    SourceUsername,
    SourceSecret,
    UserRoot,
    DestinationSecret,
    State,
    FoldersTotal,
    FoldersDone,
    MessagesTotal,
    MessagesCopied,
    MessagesSkipped,
    BytesCopied,
    ErrorKind,
    ErrorMessage,
    StartedAt,
    EndedAt,
    ClaimedBy,
    LeaseUntil,
    Attempts,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(super) enum MigrationErrors {
    Table,
    Id,
    BatchId,
    MailboxId,
    RowIndex,
    EmailAddress,
    Kind,
    Scope,
    Message,
    Folder,
    Uid,
    Subject,
    Size,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum SyncAccounts {
    Table,
    Id,
    EmailAddress,
    SourceUsername,
    CompletedAt,
    LastBatchId,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(super) enum FolderStates {
    Table,
    Id,
    AccountId,
    SourceFolder,
    DestinationFolder,
    Uidvalidity,
    CopiedUids,
    Uidnext,
    ExistsCount,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(super) enum AppendJournal {
    Table,
    Id,
    FolderStateId,
    Uidvalidity,
    Uid,
    MessageId,
    InternalDate,
    Size,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum Settings {
    Table,
    Key,
    Value,
    Secret,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(super) enum AuditEvents {
    Table,
    Id,
    At,
    Actor,
    Action,
    Detail,
}
