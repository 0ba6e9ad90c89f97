use leptos::prelude::*;

use crate::api::AppError;
use crate::model::audit::{AuditFilter, AuditPage};

#[server(endpoint = "audit")]
pub async fn get_audit(filter: AuditFilter) -> Result<AuditPage, AppError> {
    let (backend, _admin) = crate::backend::require_admin().await?;
    backend.audit(filter).await
}
