//! The user interface, one component per file, a folder per area.

pub mod admins;
pub mod audit;
pub mod auth;
pub mod batches;
pub mod common;
pub mod dashboard;
pub mod endpoints;
pub mod layout;
pub mod mailboxes;
pub mod report;
pub mod settings;
