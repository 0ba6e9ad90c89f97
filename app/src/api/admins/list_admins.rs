use leptos::prelude::*;

use crate::api::AppError;
use crate::model::admin::AdminList;

#[server(endpoint = "admins/list")]
pub async fn list_admins() -> Result<AdminList, AppError> {
    let (backend, admin) = crate::backend::require_admin().await?;
    backend.admins(&admin).await
}
