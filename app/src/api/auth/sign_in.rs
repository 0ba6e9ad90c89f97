use leptos::prelude::*;

use crate::api::AppError;

/// Checks the credentials (rate-limited per client address, and per address and user name) and
/// sets the session cookie.
#[server(endpoint = "auth/sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<(), AppError> {
    let (backend, headers) = crate::backend::request()?;
    let client = crate::backend::client_addr();
    match backend
        .sign_in(&headers, client, &username, &password)
        .await
    {
        Ok(cookie) => {
            crate::backend::set_cookie(cookie);
            leptos_axum::redirect("/");
            Ok(())
        }
        Err(error) => {
            let reason = match error {
                AppError::RateLimited { .. } => "rate_limited",
                _ => "bad_credentials",
            };
            leptos_axum::redirect(&format!("/sign-in?error={reason}"));
            Err(error)
        }
    }
}
