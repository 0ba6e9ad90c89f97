use leptos::prelude::*;

use crate::api::AppError;
use crate::ids::BatchId;
use crate::model::batch::{ActionOutcome, BatchAction};

/// Start, stop, resume, retry, copy the failed rows into a new batch, or delete. Sends the
/// browser to the batch to show next (the list after a delete).
#[server(endpoint = "batches/action")]
pub async fn act_on_batch(batch: BatchId, action: BatchAction) -> Result<ActionOutcome, AppError> {
    use crate::model::audit::AuditAction;
    let (backend, admin) = crate::backend::require_admin().await?;
    let outcome = backend.batch_action(batch, action).await?;
    let audited = match action {
        BatchAction::Start => AuditAction::BatchStarted,
        BatchAction::Stop => AuditAction::BatchStopped,
        BatchAction::Resume => AuditAction::BatchResumed,
        BatchAction::SyncNow => AuditAction::BatchSyncNow,
        BatchAction::Complete => AuditAction::BatchCompleted,
        BatchAction::RetryFailed => AuditAction::BatchRetried,
        BatchAction::NewBatchFromFailed => AuditAction::BatchFromFailed,
        BatchAction::Verify => AuditAction::BatchVerified,
        BatchAction::CopyMissing => AuditAction::BatchCopyMissing,
        BatchAction::Delete => AuditAction::BatchDeleted,
    };
    let detail = match outcome.show {
        Some(new) if new != batch => format!("new batch {new}"),
        _ => String::new(),
    };
    crate::backend::record(&backend, &admin, audited, Some(batch), detail).await;
    match outcome.show {
        Some(next) if next != batch => leptos_axum::redirect(&format!("/batches/{next}")),
        Some(_) => {}
        None => leptos_axum::redirect("/"),
    }
    Ok(outcome)
}
