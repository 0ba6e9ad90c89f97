use leptos::prelude::*;

use crate::api::AppError;

/// The signed-in administrator's own password; their sessions in other browsers end.
#[server(endpoint = "admins/password")]
pub async fn change_password(current: String, new: String, again: String) -> Result<(), AppError> {
    let (backend, admin) = crate::backend::require_admin().await?;
    if new != again {
        return Err(AppError::invalid("New password", "the two entries differ"));
    }
    let (_, headers) = crate::backend::request()?;
    backend
        .change_password(
            &admin,
            crate::backend::client_addr(),
            &headers,
            &current,
            &new,
        )
        .await
}
