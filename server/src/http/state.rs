//! What every request handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sea_orm::DatabaseConnection;

use crate::auth::rate_limit::SignInLimits;
use crate::config::Config;
use crate::secrets::Cipher;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub cipher: Cipher,
    pub sign_in_limits: Arc<SignInLimits>,
    /// The batch pages' shared database polls.
    pub live: Arc<super::live_hub::LiveHub>,
}
