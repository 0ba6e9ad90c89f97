//! The status e-mail of a finished batch: counts per state and per error kind, duration, and
//! MigrationErrors.csv and MigrationStatistics.csv attached. A failed send is logged and noted on
//! the batch; it never fails the batch.

use std::collections::BTreeMap;

use chrono::Utc;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use app::model::batch::{BatchState, EmailStatus};

use app::ids::BatchId;
use app::model::report::ErrorFilter;

use super::smtp::{SendError, SmtpSettings};
use crate::db::entity::batch;
use crate::report::export;

#[derive(Debug, thiserror::Error)]
pub enum StatusEmailError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Export(#[from] export::ExportError),
    #[error(transparent)]
    Send(#[from] SendError),
}

/// The e-mail's text (no secrets: only addresses, counts and error kinds).
pub async fn body_text(db: &DatabaseConnection, batch: &batch::Model) -> Result<String, DbErr> {
    // Counted by the database: a batch of 5,000 rows and 100,000 errors is not loaded.
    let (counts, by_state) = crate::batches::counts::of_batch(db, batch.id).await?;
    let states: BTreeMap<&str, u64> = by_state
        .0
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(state, n)| (state.as_str(), n))
        .collect();
    // Current errors only (the filter's default): what a later pass overcame is in the report.
    let current = ErrorFilter {
        batch: Some(BatchId(batch.id)),
        ..ErrorFilter::default()
    };
    let kinds = crate::report::error_query::kind_counts(db, &current).await?;
    let (copied, bytes) = (counts.messages_copied, counts.bytes_copied);
    let end = batch.ended_at.or(batch.last_synced_at);
    let duration = match (batch.started_at, end) {
        (Some(start), Some(end)) => format!("{} s", (end - start).num_seconds()),
        _ => "unknown".into(),
    };
    let mut text = format!(
        "Migration batch \"{}\" is {}.\n\nMailboxes: {}\nMessages copied: {}\nData copied: {:.1} MB\nDuration: {}\n\nMailboxes by state:\n",
        batch.name,
        batch.state,
        counts.total,
        copied,
        bytes as f64 / 1_048_576.0,
        duration
    );
    for (state, n) in &states {
        text.push_str(&format!("  {state}: {n}\n"));
    }
    if batch.state.is_synced() {
        text.push_str(
            "\nThe first pass is done. Delta syncs keep the destination current until you \
             complete the batch (after the MX switch); you get another report then.\n",
        );
        if let Some(next) = batch.next_sync_at {
            text.push_str(&format!(
                "Next delta sync: {}\n",
                next.format("%Y-%m-%d %H:%M UTC")
            ));
        }
    }
    if kinds.is_empty() {
        text.push_str("\nNo errors.\n");
    } else {
        text.push_str("\nErrors by kind:\n");
        for (kind, n) in &kinds {
            text.push_str(&format!("  {}: {n} — {}\n", kind.title(), kind.solution()));
        }
        text.push_str("\nMigrationErrors.csv (attached) lists every error by row.\n");
    }
    Ok(text)
}

/// States that send an e-mail, once each: the first pass ended (Synced, as Exchange's initial
/// sync report), the batch completed, failed or stopped. A delta pass sends none (its e-mail
/// status stays Sent); Complete clears it so the completion report goes out too.
const ENDED: [BatchState; 6] = [
    BatchState::Synced,
    BatchState::SyncedWithErrors,
    BatchState::Completed,
    BatchState::CompletedWithErrors,
    BatchState::Failed,
    BatchState::Stopped,
];

/// A status e-mail nobody sent yet, or whose sender died: claimed longer than `stale` ago.
fn unsent(stale: std::time::Duration) -> Condition {
    let before = Utc::now() - chrono::Duration::from_std(stale).unwrap_or(chrono::Duration::MAX);
    Condition::any()
        .add(batch::Column::EmailStatus.is_null())
        .add(
            Condition::all()
                .add(batch::Column::EmailStatus.eq(EmailStatus::Sending))
                .add(
                    Condition::any()
                        .add(batch::Column::EmailClaimedAt.is_null())
                        .add(batch::Column::EmailClaimedAt.lt(before)),
                ),
        )
}

/// Sends the status e-mail once a batch has ended, by whichever process gets there first: the
/// batch's e-mail status is claimed with a conditional UPDATE, so several workers send one e-mail.
/// A claim older than `stale` belongs to a process that died while sending and is taken over.
pub async fn send_once(
    db: &DatabaseConnection,
    smtp: &SmtpSettings,
    batch_id: i64,
    stale: std::time::Duration,
) -> Result<bool, StatusEmailError> {
    if batch::find(db, batch_id)
        .await?
        .is_none_or(|b| b.notify_emails.0.is_empty())
    {
        return Ok(false);
    }
    let claimed = batch::Entity::update_many()
        .col_expr(
            batch::Column::EmailStatus,
            Expr::value(EmailStatus::Sending),
        )
        .col_expr(batch::Column::EmailClaimedAt, Expr::value(Utc::now()))
        .filter(batch::Column::Id.eq(batch_id))
        .filter(batch::Column::State.is_in(ENDED))
        .filter(unsent(stale))
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(false);
    }
    send(db, smtp, batch_id).await
}

/// A status e-mail claim older than this belongs to a process that died while sending (sending
/// takes at most the SMTP timeout of 30 s); `lease` is the mailbox lease of the processes.
pub fn stale_after(lease: std::time::Duration) -> std::time::Duration {
    (lease * 5).max(std::time::Duration::from_secs(15))
}

/// [`send_once`] over the SMTP server of the settings page, read now (it may have changed since
/// start-up), or the configuration's when none was saved there.
pub async fn send_once_with_settings(
    db: &DatabaseConnection,
    cipher: &crate::secrets::Cipher,
    configured: &SmtpSettings,
    batch_id: i64,
    stale: std::time::Duration,
) -> Result<bool, StatusEmailError> {
    let smtp = match crate::mail::mail_settings::load(db, cipher, configured).await {
        Ok(settings) => settings.smtp,
        Err(e) => {
            tracing::warn!(error = %e, "reading the mail settings; using the configuration");
            configured.clone()
        }
    };
    send_once(db, &smtp, batch_id, stale).await
}

/// Ended batches whose status e-mail is still due (never sent, or its sender died).
pub async fn pending(
    db: &DatabaseConnection,
    stale: std::time::Duration,
) -> Result<Vec<i64>, DbErr> {
    Ok(batch::Entity::find()
        .filter(batch::Column::State.is_in(ENDED))
        .filter(unsent(stale))
        .all(db)
        .await?
        .into_iter()
        .filter(|b| !b.notify_emails.0.is_empty())
        .map(|b| b.id)
        .collect())
}

/// Builds and sends the status e-mail of a batch to its notification addresses.
pub async fn send(
    db: &DatabaseConnection,
    smtp: &SmtpSettings,
    batch_id: i64,
) -> Result<bool, StatusEmailError> {
    let Some(batch) = batch::find(db, batch_id).await? else {
        return Ok(false);
    };
    let recipients: Vec<&str> = batch.notify_emails.0.iter().map(String::as_str).collect();
    if recipients.is_empty() {
        return Ok(false);
    }
    let result = build_and_send(db, smtp, &batch, &recipients).await;
    let (status, error) = match &result {
        Ok(()) => (EmailStatus::Sent, None),
        Err(e) => {
            tracing::warn!(batch = batch_id, error = %e, "the status e-mail could not be sent");
            (EmailStatus::Failed, Some(e.to_string()))
        }
    };
    batch::Entity::update_many()
        .col_expr(batch::Column::EmailStatus, Expr::value(status))
        .col_expr(batch::Column::EmailError, Expr::value(error))
        .filter(batch::Column::Id.eq(batch_id))
        .exec(db)
        .await?;
    result.map(|()| true)
}

async fn build_and_send(
    db: &DatabaseConnection,
    smtp: &SmtpSettings,
    batch: &batch::Model,
    recipients: &[&str],
) -> Result<(), StatusEmailError> {
    let text = body_text(db, batch).await?;
    let filter = ErrorFilter {
        batch: Some(BatchId(batch.id)),
        ..ErrorFilter::default()
    };
    let errors_csv = export::write_errors_csv(db, &filter, Vec::new()).await?;
    let statistics_csv = export::write_statistics_csv(db, batch.id, Vec::new()).await?;
    let csv = ContentType::parse("text/csv; charset=utf-8")
        .map_err(|e| SendError::Build(e.to_string()))?;
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|_| SendError::Address(smtp.from.clone()))?;
    let mut builder = Message::builder().from(from).subject(format!(
        "Mailferry: batch \"{}\" {} ({})",
        batch.name,
        batch.state,
        Utc::now().format("%Y-%m-%d %H:%M UTC")
    ));
    for to in recipients {
        builder = builder.to(to.parse().map_err(|_| SendError::Address(to.to_string()))?);
    }
    let message = builder
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(text))
                .singlepart(
                    Attachment::new("MigrationErrors.csv".into()).body(errors_csv, csv.clone()),
                )
                .singlepart(
                    Attachment::new("MigrationStatistics.csv".into()).body(statistics_csv, csv),
                ),
        )
        .map_err(|e| SendError::Build(e.to_string()))?;
    smtp.send(message).await?;
    Ok(())
}
