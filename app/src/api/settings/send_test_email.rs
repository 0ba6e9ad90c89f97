use leptos::prelude::*;

use crate::api::AppError;

/// Sends a short test e-mail with the saved settings.
#[server(endpoint = "settings/mail/test")]
pub async fn send_test_email(to: String) -> Result<(), AppError> {
    let (backend, _admin) = crate::backend::require_admin().await?;
    backend.send_test_email(to).await
}
