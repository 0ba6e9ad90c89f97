use leptos::prelude::*;

use crate::api::AppError;
use crate::model::settings::MailSettingsView;

#[server(endpoint = "settings/mail")]
pub async fn get_mail_settings() -> Result<MailSettingsView, AppError> {
    let (backend, _admin) = crate::backend::require_admin().await?;
    backend.mail_settings().await
}
