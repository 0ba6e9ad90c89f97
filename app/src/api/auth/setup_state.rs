use leptos::prelude::*;

use crate::api::AppError;
use crate::model::admin::SetupState;

/// Whether the one-time set-up page is open (no admin exists yet). Public: needed before sign-in.
#[server(endpoint = "auth/setup_state")]
pub async fn get_setup_state() -> Result<SetupState, AppError> {
    let (backend, _) = crate::backend::request()?;
    backend.setup_state().await
}
