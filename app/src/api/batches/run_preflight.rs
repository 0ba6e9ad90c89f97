use leptos::prelude::*;

use crate::api::AppError;
use crate::ids::BatchId;
use crate::model::batch::PreflightRowView;

/// Signs in on both sides for every row and counts what there is to copy; copies nothing.
#[server(endpoint = "batches/preflight")]
pub async fn run_preflight(id: BatchId) -> Result<Vec<PreflightRowView>, AppError> {
    let (backend, admin) = crate::backend::require_admin().await?;
    let rows = backend.preflight(id).await?;
    let action = crate::model::audit::AuditAction::PreflightRun;
    let detail = format!("{} rows", rows.len());
    crate::backend::record(&backend, &admin, action, Some(id), detail).await;
    Ok(rows)
}
