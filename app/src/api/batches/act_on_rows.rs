use leptos::prelude::*;

use crate::api::AppError;
use crate::ids::BatchId;
use crate::model::bulk::{BulkAction, BulkOutcome, RowTarget};

/// A bulk action on a batch's rows: a selection, or every row a filter matches.
#[server(endpoint = "batches/rows-action")]
pub async fn act_on_rows(
    batch: BatchId,
    target: RowTarget,
    action: BulkAction,
) -> Result<BulkOutcome, AppError> {
    use crate::model::audit::AuditAction;
    let (backend, admin) = crate::backend::require_admin().await?;
    let outcome = backend.bulk_action(batch, target, action).await?;
    let detail = format!("{} on {} rows", action.label(), outcome.affected);
    crate::backend::record(
        &backend,
        &admin,
        AuditAction::RowsActed,
        Some(batch),
        detail,
    )
    .await;
    Ok(outcome)
}
