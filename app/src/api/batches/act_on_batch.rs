use leptos::prelude::*;

use crate::api::AppError;
use crate::ids::BatchId;
use crate::model::batch::{ActionOutcome, BatchAction};

/// Start, stop, resume, retry, copy the failed rows into a new batch, or delete. Sends the
/// browser to the batch to show next (the list after a delete).
#[server(endpoint = "batches/action")]
pub async fn act_on_batch(batch: BatchId, action: BatchAction) -> Result<ActionOutcome, AppError> {
    let (backend, _admin) = crate::backend::require_admin().await?;
    let outcome = backend.batch_action(batch, action).await?;
    match outcome.show {
        Some(next) if next != batch => leptos_axum::redirect(&format!("/batches/{next}")),
        Some(_) => {}
        None => leptos_axum::redirect("/"),
    }
    Ok(outcome)
}
