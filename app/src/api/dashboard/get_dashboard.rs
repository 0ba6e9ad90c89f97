use leptos::prelude::*;

use crate::api::AppError;
use crate::model::dashboard::Dashboard;

/// Batches with their counts, newest first.
#[server(endpoint = "dashboard/get")]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    let (backend, _admin) = crate::backend::require_admin().await?;
    backend.dashboard().await
}
