//! OAuth 2 sign-in with tokens Mailferry gets itself: Google Workspace's service account (RFC
//! 7523 JWT bearer grant, one token per user) and Microsoft 365's app (client credentials, one
//! token for every user); cached until shortly before they run out, refreshed and retried once
//! when a server refuses one.

pub mod client_assertion;
pub mod error;
pub mod grant;
pub mod service_account;
pub mod settings;
pub mod sign_in;
pub mod token_cache;

pub use error::OAuthError;
pub use settings::OAuthSettings;
pub use sign_in::SignIn;
pub use token_cache::TokenSource;

/// Deadline of a token request.
pub const TOKEN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
