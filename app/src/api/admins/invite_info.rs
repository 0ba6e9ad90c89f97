use leptos::prelude::*;

use crate::api::AppError;

/// The name an invitation link is for; open without a session (the link is the key).
#[server(endpoint = "admins/invite")]
pub async fn invite_info(token: String) -> Result<String, AppError> {
    let (backend, _headers) = crate::backend::request()?;
    backend.invite_for(&token).await
}
