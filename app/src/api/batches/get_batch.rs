use leptos::prelude::*;

use crate::api::AppError;
use crate::ids::BatchId;
use crate::model::batch::BatchDetail;

/// A batch with its mailboxes.
#[server(endpoint = "batches/get")]
pub async fn get_batch(id: BatchId) -> Result<BatchDetail, AppError> {
    let (backend, _admin) = crate::backend::require_admin().await?;
    backend.batch(id).await
}
