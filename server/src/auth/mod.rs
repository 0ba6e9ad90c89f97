//! Administrators of the web app: passwords, sessions, sign-in throttling.

pub mod admins;
pub mod password_hash;
pub mod password_policy;
pub mod rate_limit;
pub mod sessions;
