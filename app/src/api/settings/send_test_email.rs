use leptos::prelude::*;

use crate::api::AppError;

/// Sends a short test e-mail with the saved settings.
#[server(endpoint = "settings/mail/test")]
pub async fn send_test_email(to: String) -> Result<(), AppError> {
    let (backend, admin) = crate::backend::require_admin().await?;
    let detail = format!("to {to}");
    backend.send_test_email(to).await?;
    let action = crate::model::audit::AuditAction::TestEmailSent;
    crate::backend::record(&backend, &admin, action, None, detail).await;
    Ok(())
}
