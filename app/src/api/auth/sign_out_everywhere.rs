use leptos::prelude::*;

use crate::api::AppError;

/// Ends every session of the signed-in admin, in every browser (a lost laptop, a shared
/// machine), and clears this one's cookie.
#[server(endpoint = "auth/sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    let (backend, admin) = crate::backend::require_admin().await?;
    let cookie = backend.sign_out_everywhere(&admin).await?;
    crate::backend::set_cookie(cookie);
    leptos_axum::redirect("/sign-in");
    Ok(())
}
