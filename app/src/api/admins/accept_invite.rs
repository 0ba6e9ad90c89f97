use leptos::prelude::*;

use crate::api::AppError;

/// Sets the invited administrator's password and signs them in.
#[server(endpoint = "admins/accept")]
pub async fn accept_invite(token: String, password: String, again: String) -> Result<(), AppError> {
    if password != again {
        return Err(AppError::invalid("Password", "the two entries differ"));
    }
    let (backend, headers) = crate::backend::request()?;
    let cookie = backend
        .accept_invite(&headers, crate::backend::client_addr(), &token, &password)
        .await?;
    crate::backend::set_cookie(cookie);
    leptos_axum::redirect("/");
    Ok(())
}
