use leptos::prelude::*;

use crate::api::AppError;
use crate::ids::BatchId;
use crate::model::batch::BatchDetail;
use crate::model::batch_rows::RowFilter;

/// A batch with the page of its mailboxes that `filter` asks for.
#[server(endpoint = "batches/get")]
pub async fn get_batch(id: BatchId, filter: RowFilter) -> Result<BatchDetail, AppError> {
    let (backend, _admin) = crate::backend::require_admin().await?;
    backend.batch(id, filter).await
}
