use leptos::prelude::*;

use crate::api::AppError;

/// Checks the credentials (rate-limited per client and user) and sets the session cookie.
#[server(endpoint = "auth/sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<(), AppError> {
    let (backend, headers) = crate::backend::request()?;
    match backend.sign_in(&headers, &username, &password).await {
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
