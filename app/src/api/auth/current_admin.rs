use leptos::prelude::*;

use crate::api::AppError;
use crate::model::admin::AdminView;

/// The signed-in admin, or `None` (pages use it to send strangers to the sign-in page).
#[server(endpoint = "auth/current_admin")]
pub async fn current_admin() -> Result<Option<AdminView>, AppError> {
    match crate::backend::require_admin().await {
        Ok((_, admin)) => Ok(Some(admin)),
        Err(AppError::Unauthorized) => Ok(None),
        Err(other) => Err(other),
    }
}
