//! Administrators of the web app: passwords, sessions, sign-in throttling, the first-run
//! set-up code.

pub mod admins;
pub mod invites;
pub(crate) mod password_hash;
pub(crate) mod password_policy;
pub(crate) mod rate_limit;
pub mod sessions;
pub mod setup_code;
pub mod team;
