use leptos::prelude::*;

use crate::api::AppError;
use crate::model::admin::AdminAdded;

/// Adds an administrator: with `password`, or (`invite` set) with a one-time link to pass on.
#[server(endpoint = "admins/add")]
pub async fn add_admin(
    username: String,
    password: String,
    invite: Option<String>,
) -> Result<AdminAdded, AppError> {
    use crate::model::admin::NewAdmin;
    let (backend, admin) = crate::backend::require_admin().await?;
    let username = username.trim().to_string();
    let new = match invite.is_some() {
        true => NewAdmin::Invite { username },
        false if password.is_empty() => {
            return Err(AppError::invalid(
                "Password",
                "set a password, or send an invitation link instead",
            ));
        }
        false => NewAdmin::WithPassword { username, password },
    };
    backend
        .add_admin(&admin, crate::backend::client_addr(), new)
        .await
}
