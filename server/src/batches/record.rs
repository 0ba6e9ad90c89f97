//! Writing outcomes: mailbox states and counters, error rows, the account's completion.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

use app::model::batch::MailboxState;
use app::{ErrorKind, ErrorScope};

use crate::db::entity::{mailbox, migration_error, sync_account};

/// One error row of the report.
pub struct ErrorRecord<'a> {
    pub mailbox: &'a mailbox::Model,
    pub kind: ErrorKind,
    pub message: String,
    pub folder: Option<String>,
    pub uid: Option<u32>,
    pub subject: Option<String>,
    pub size: Option<u32>,
}

impl<'a> ErrorRecord<'a> {
    /// An error of the whole mailbox (no folder or message).
    pub fn mailbox_level(mailbox: &'a mailbox::Model, kind: ErrorKind, message: String) -> Self {
        ErrorRecord {
            mailbox,
            kind,
            message,
            folder: None,
            uid: None,
            subject: None,
            size: None,
        }
    }
}

/// Fails a mailbox before any copying: its error row and its final state.
pub async fn fail_before_start(
    db: &DatabaseConnection,
    mailbox: &mailbox::Model,
    kind: ErrorKind,
    detail: String,
) -> Result<(), DbErr> {
    error(
        db,
        ErrorRecord::mailbox_level(mailbox, kind, detail.clone()),
    )
    .await?;
    finish(
        db,
        mailbox.id,
        MailboxState::Failed,
        Totals::default(),
        Some((kind, detail)),
    )
    .await
}

pub async fn error(db: &DatabaseConnection, record: ErrorRecord<'_>) -> Result<(), DbErr> {
    migration_error::ActiveModel {
        batch_id: Set(record.mailbox.batch_id),
        mailbox_id: Set(record.mailbox.id),
        row_index: Set(record.mailbox.row_index),
        email_address: Set(record.mailbox.email_address.clone()),
        kind: Set(record.kind.as_str().into()),
        scope: Set(match record.kind.scope() {
            ErrorScope::Mailbox => "mailbox".into(),
            ErrorScope::Message => "message".into(),
        }),
        message: Set(record.message),
        folder: Set(record.folder),
        uid: Set(record.uid.map(i64::from)),
        subject: Set(record.subject),
        size: Set(record.size.map(i64::from)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn set_state(db: &DatabaseConnection, id: i32, state: MailboxState) -> Result<(), DbErr> {
    let now = Utc::now();
    let mut update = mailbox::Entity::update_many()
        .col_expr(mailbox::Column::State, Expr::value(state.as_str()))
        .col_expr(mailbox::Column::UpdatedAt, Expr::value(now));
    if state == MailboxState::Syncing {
        update = update
            .col_expr(mailbox::Column::StartedAt, Expr::value(now))
            .col_expr(
                mailbox::Column::Attempts,
                Expr::col(mailbox::Column::Attempts).add(1),
            )
            .col_expr(
                mailbox::Column::ErrorKind,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                mailbox::Column::ErrorMessage,
                Expr::value(Option::<String>::None),
            );
    }
    if state.is_final() {
        update = update.col_expr(mailbox::Column::EndedAt, Expr::value(now));
    }
    update.filter(mailbox::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

#[derive(Default)]
pub struct Totals {
    pub folders_total: u32,
    pub folders_done: u32,
    pub messages_total: u64,
    pub skipped: u64,
}

impl Totals {
    pub fn of(report: &crate::engine::mailbox_job::MailboxReport, skipped: u64) -> Totals {
        Totals {
            folders_total: report.folders_total,
            folders_done: report.folders_done,
            messages_total: report.messages_total,
            skipped,
        }
    }
}

pub async fn finish(
    db: &DatabaseConnection,
    id: i32,
    state: MailboxState,
    totals: Totals,
    failure: Option<(ErrorKind, String)>,
) -> Result<(), DbErr> {
    let (kind, message) = match failure {
        Some((k, m)) => (Some(k.as_str().to_string()), Some(m)),
        None => (None, None),
    };
    mailbox::Entity::update_many()
        .col_expr(
            mailbox::Column::FoldersTotal,
            Expr::value(totals.folders_total as i32),
        )
        .col_expr(
            mailbox::Column::FoldersDone,
            Expr::value(totals.folders_done as i32),
        )
        .col_expr(
            mailbox::Column::MessagesTotal,
            Expr::value(totals.messages_total as i64),
        )
        .col_expr(
            mailbox::Column::MessagesSkipped,
            Expr::value(totals.skipped as i64),
        )
        .col_expr(mailbox::Column::ErrorKind, Expr::value(kind))
        .col_expr(mailbox::Column::ErrorMessage, Expr::value(message))
        .filter(mailbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    set_state(db, id, state).await
}

/// Whether a batch already completed this destination mailbox.
pub async fn completed_before(db: &DatabaseConnection, email: &str) -> Result<bool, DbErr> {
    Ok(sync_account::Entity::find()
        .filter(sync_account::Column::EmailAddress.eq(email))
        .one(db)
        .await?
        .is_some_and(|a| a.completed_at.is_some()))
}

pub async fn mark_completed(
    db: &DatabaseConnection,
    email: &str,
    batch_id: i32,
) -> Result<(), DbErr> {
    sync_account::Entity::update_many()
        .col_expr(sync_account::Column::CompletedAt, Expr::value(Utc::now()))
        .col_expr(sync_account::Column::LastBatchId, Expr::value(batch_id))
        .col_expr(sync_account::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(sync_account::Column::EmailAddress.eq(email))
        .exec(db)
        .await?;
    Ok(())
}
