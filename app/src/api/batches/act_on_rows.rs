use leptos::prelude::*;

use crate::api::AppError;
use crate::ids::BatchId;
use crate::model::batch_rows::RowFilter;
use crate::model::bulk::{BulkAction, BulkOutcome};

/// A bulk action on a batch's rows: the `selected` ids (comma-separated), or with
/// `all_matching` every row `filter` matches. Plain arguments, so the form encoding stays flat.
#[server(endpoint = "batches/rows-action")]
pub async fn act_on_rows(
    batch: BatchId,
    filter: RowFilter,
    all_matching: bool,
    selected: String,
    bulk: BulkAction,
) -> Result<BulkOutcome, AppError> {
    use crate::ids::MailboxId;
    use crate::model::audit::AuditAction;
    use crate::model::bulk::RowTarget;
    let (backend, admin) = crate::backend::require_admin().await?;
    let target = if all_matching {
        RowTarget::Matching(filter)
    } else {
        let ids: Result<Vec<MailboxId>, _> = selected
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse::<i64>().map(MailboxId))
            .collect();
        RowTarget::Selected(ids.map_err(|_| AppError::invalid("Rows", "not a list of rows"))?)
    };
    let outcome = backend.bulk_action(batch, target, bulk).await?;
    let detail = format!("{} on {} rows", bulk.label(), outcome.affected);
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
