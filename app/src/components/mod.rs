//! The user interface, one component per file, a folder per area.

pub mod auth;
pub mod dashboard;
pub mod layout;
