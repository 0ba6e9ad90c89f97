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
    /// The origins a browser request may come from (CSRF and DNS-rebinding guard).
    pub allowed_origins: Arc<super::origin::AllowedOrigins>,
    /// While no administrator exists: the code the set-up page asks for.
    pub setup_code: Option<crate::auth::setup_code::SetupCode>,
    pub cipher: Cipher,
    pub sign_in_limits: Arc<SignInLimits>,
    /// The batch pages' shared database polls.
    pub live: Arc<super::live_hub::LiveHub>,
}
