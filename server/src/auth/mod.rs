//! Administrators of the web app: passwords, sessions, sign-in throttling.

pub mod admins;
pub(crate) mod password_hash;
pub(crate) mod password_policy;
pub(crate) mod rate_limit;
pub mod sessions;
