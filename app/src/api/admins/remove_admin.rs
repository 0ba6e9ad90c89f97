use leptos::prelude::*;

use crate::api::AppError;

#[server(endpoint = "admins/remove")]
pub async fn remove_admin(id: i64) -> Result<(), AppError> {
    let (backend, admin) = crate::backend::require_admin().await?;
    backend
        .remove_admin(
            &admin,
            crate::backend::client_addr(),
            crate::ids::AdminId(id),
        )
        .await
}
