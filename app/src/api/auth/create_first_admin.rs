use leptos::prelude::*;

use crate::api::AppError;

/// Creates the first admin and signs them in; needs the set-up code from the server's log, and
/// is refused once any admin exists.
#[server(endpoint = "auth/create_first_admin")]
pub async fn create_first_admin(
    setup_code: String,
    username: String,
    password: String,
) -> Result<(), AppError> {
    let (backend, headers) = crate::backend::request()?;
    match backend
        .create_first_admin(&headers, &setup_code, &username, &password)
        .await
    {
        Ok(cookie) => {
            crate::backend::set_cookie(cookie);
            leptos_axum::redirect("/");
            Ok(())
        }
        Err(error) => {
            // Without JavaScript the browser follows this back to the form, which shows the error.
            leptos_axum::redirect("/setup?error=invalid");
            Err(error)
        }
    }
}
