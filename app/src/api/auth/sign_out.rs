use leptos::prelude::*;

use crate::api::AppError;

/// Ends the session on the server and clears the cookie.
#[server(endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let (backend, admin) = crate::backend::require_admin().await?;
    let (_, headers) = crate::backend::request()?;
    let cookie = backend.sign_out(&headers, &admin).await?;
    crate::backend::set_cookie(cookie);
    leptos_axum::redirect("/sign-in");
    Ok(())
}
