use leptos::prelude::*;

use crate::api::AppError;
use crate::ids::EndpointId;
use crate::model::endpoint::EndpointTestResult;

/// Connects to the endpoint and signs in as its admin; answers capabilities or a typed error.
#[server(endpoint = "endpoints/test")]
pub async fn test_endpoint(id: EndpointId) -> Result<EndpointTestResult, AppError> {
    use crate::model::audit::AuditAction;
    let (backend, admin) = crate::backend::require_admin().await?;
    let result = backend.test_endpoint(id).await?;
    let detail = format!("endpoint {id}");
    crate::backend::record(&backend, &admin, AuditAction::EndpointTested, None, detail).await;
    Ok(result)
}
