use leptos::prelude::*;

use crate::api::AppError;
use crate::model::endpoint::EndpointView;

/// The stored endpoints, sources first.
#[server(endpoint = "endpoints/list")]
pub async fn list_endpoints() -> Result<Vec<EndpointView>, AppError> {
    let (backend, _admin) = crate::backend::require_admin().await?;
    backend.endpoints().await
}
