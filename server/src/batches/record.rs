//! Writing outcomes: mailbox states and counters, error rows, the account's completion.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

use app::model::batch::MailboxState;
use app::{ErrorKind, ErrorScope};

use crate::db::entity::{mailbox, migration_error, sync_account};
use crate::engine::mailbox::MailboxReport;

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

/// What tells two error rows of one mailbox apart: kind, folder, UID.
type ErrorKey = (ErrorKind, Option<String>, Option<i64>);

impl ErrorRecord<'_> {
    fn key(&self) -> ErrorKey {
        (self.kind, self.folder.clone(), self.uid.map(i64::from))
    }
}

/// The report's message and folder problems as error rows of `mailbox`.
fn records<'a>(
    mailbox: &'a mailbox::Model,
    report: &'a MailboxReport,
) -> impl Iterator<Item = ErrorRecord<'a>> {
    let messages = report
        .problems
        .iter()
        .chain(&report.notices)
        .map(move |p| ErrorRecord {
            mailbox,
            kind: p.problem.kind,
            message: p.problem.detail.clone(),
            folder: Some(p.folder.clone()),
            uid: Some(p.problem.uid),
            subject: p.problem.subject.clone(),
            size: Some(p.problem.size),
        });
    let folders = report.folder_problems.iter().map(move |note| ErrorRecord {
        mailbox,
        kind: note.kind,
        message: note.detail.clone(),
        folder: Some(note.folder.clone()),
        uid: None,
        subject: None,
        size: None,
    });
    messages.chain(folders)
}

/// Writes a mailbox's message and folder problems, except those a pass before already wrote
/// (a retried or resumed mailbox meets the same problems again).
pub async fn problems(
    db: &DatabaseConnection,
    mailbox: &mailbox::Model,
    report: &MailboxReport,
) -> Result<(), DbErr> {
    if report.problems.is_empty() && report.notices.is_empty() && report.folder_problems.is_empty()
    {
        return Ok(());
    }
    // A problem resolved earlier and met again is current again: a new row.
    let known: HashSet<ErrorKey> = migration_error::Entity::find()
        .filter(migration_error::Column::MailboxId.eq(mailbox.id))
        .filter(migration_error::Column::Scope.ne(ErrorScope::Mailbox))
        .filter(migration_error::Column::ResolvedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.kind, e.folder, e.uid))
        .collect();
    for record in records(mailbox, report) {
        if !known.contains(&record.key()) {
            error(db, record).await?;
        }
    }
    Ok(())
}

/// After a pass that went through every folder and ended with the mailbox synced: the errors of
/// earlier passes that this one did not meet again are resolved (kept, with the time).
pub async fn resolve_overcome(
    db: &DatabaseConnection,
    mailbox: &mailbox::Model,
    report: &MailboxReport,
) -> Result<(), DbErr> {
    let current: HashSet<ErrorKey> = records(mailbox, report).map(|r| r.key()).collect();
    let open = migration_error::Entity::find()
        .filter(migration_error::Column::MailboxId.eq(mailbox.id))
        .filter(migration_error::Column::ResolvedAt.is_null())
        .all(db)
        .await?;
    let overcome: Vec<i64> = open
        .into_iter()
        .filter(|e| {
            e.scope == ErrorScope::Mailbox || !current.contains(&(e.kind, e.folder.clone(), e.uid))
        })
        .map(|e| e.id)
        .collect();
    for chunk in overcome.chunks(500) {
        migration_error::Entity::update_many()
            .col_expr(migration_error::Column::ResolvedAt, Expr::value(Utc::now()))
            .filter(migration_error::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    Ok(())
}

pub async fn error(db: &DatabaseConnection, record: ErrorRecord<'_>) -> Result<(), DbErr> {
    migration_error::ActiveModel {
        batch_id: Set(record.mailbox.batch_id),
        mailbox_id: Set(record.mailbox.id),
        row_index: Set(record.mailbox.row_index),
        email_address: Set(record.mailbox.email_address.clone()),
        kind: Set(record.kind),
        scope: Set(record.kind.scope()),
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

pub async fn set_state(db: &DatabaseConnection, id: i64, state: MailboxState) -> Result<(), DbErr> {
    let now = Utc::now();
    let mut update = mailbox::Entity::update_many()
        .col_expr(mailbox::Column::State, Expr::value(state))
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
                Expr::value(Option::<ErrorKind>::None),
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
    pub flags_updated: u64,
    pub deleted: u64,
}

impl Totals {
    pub fn of(report: &MailboxReport, skipped: u64) -> Totals {
        Totals {
            folders_total: report.folders_total,
            folders_done: report.folders_done,
            messages_total: report.messages_total,
            skipped,
            flags_updated: report.flags_updated,
            deleted: report.deleted,
        }
    }
}

pub async fn finish(
    db: &DatabaseConnection,
    id: i64,
    state: MailboxState,
    totals: Totals,
    failure: Option<(ErrorKind, String)>,
) -> Result<(), DbErr> {
    let (kind, message) = failure.unzip();
    let mut update = mailbox::Entity::update_many();
    if state == MailboxState::Synced {
        update = update.col_expr(mailbox::Column::LastSyncedAt, Expr::value(Utc::now()));
    }
    update
        .col_expr(
            mailbox::Column::FoldersTotal,
            Expr::value(i32::try_from(totals.folders_total).unwrap_or(i32::MAX)),
        )
        .col_expr(
            mailbox::Column::FoldersDone,
            Expr::value(i32::try_from(totals.folders_done).unwrap_or(i32::MAX)),
        )
        .col_expr(
            mailbox::Column::MessagesTotal,
            Expr::value(totals.messages_total as i64),
        )
        .col_expr(
            mailbox::Column::MessagesSkipped,
            Expr::value(totals.skipped as i64),
        )
        .col_expr(
            mailbox::Column::FlagsUpdated,
            Expr::col(mailbox::Column::FlagsUpdated).add(totals.flags_updated as i64),
        )
        .col_expr(
            mailbox::Column::DeletionsApplied,
            Expr::col(mailbox::Column::DeletionsApplied).add(totals.deleted as i64),
        )
        .col_expr(mailbox::Column::ErrorKind, Expr::value(kind))
        .col_expr(mailbox::Column::ErrorMessage, Expr::value(message))
        // The live detail is of a running pass.
        .col_expr(
            mailbox::Column::LiveFolders,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            mailbox::Column::LiveMessagesTotal,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            mailbox::Column::LiveMessagesDone,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            mailbox::Column::LiveBytesTotal,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            mailbox::Column::LiveBytesDone,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(mailbox::Column::LiveRate, Expr::value(Option::<i64>::None))
        .col_expr(
            mailbox::Column::StopRequestedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(mailbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    set_state(db, id, state).await
}

/// Whether a batch other than `this_batch` already completed this destination mailbox.
pub async fn completed_before(
    db: &DatabaseConnection,
    email: &str,
    this_batch: i64,
) -> Result<bool, DbErr> {
    Ok(sync_account::Entity::find()
        .filter(sync_account::Column::EmailAddress.eq(email))
        .one(db)
        .await?
        .is_some_and(|a| a.completed_at.is_some() && a.last_batch_id != Some(this_batch)))
}

pub async fn mark_completed(
    db: &DatabaseConnection,
    email: &str,
    batch_id: i64,
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

/// How one pass of a mailbox ended, for its history.
pub struct Pass {
    pub started_at: chrono::DateTime<Utc>,
    pub state: MailboxState,
    pub problems: i64,
    pub error_kind: Option<ErrorKind>,
}

/// Adds an ended pass to the mailbox's history.
pub async fn pass(
    db: &DatabaseConnection,
    mailbox_id: i64,
    pass: Pass,
    report: &crate::engine::mailbox::MailboxReport,
) -> Result<(), DbErr> {
    use sea_orm::{ActiveModelTrait, Set};
    crate::db::entity::mailbox_pass::ActiveModel {
        mailbox_id: Set(mailbox_id),
        started_at: Set(pass.started_at),
        ended_at: Set(Utc::now()),
        state: Set(pass.state),
        copied: Set(report.copied as i64),
        bytes: Set(report.bytes as i64),
        flags_updated: Set(report.flags_updated as i64),
        deleted: Set(report.deleted as i64),
        problems: Set(pass.problems),
        error_kind: Set(pass.error_kind),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
