//! Server functions, one per file, grouped by area. Each body checks the session first and then
//! calls the server through [`crate::backend::Backend`].

pub mod admins;
pub mod audit;
pub mod auth;
pub mod batches;
pub mod dashboard;
pub mod endpoints;
pub mod error;
pub mod mailboxes;
pub mod report;
pub mod settings;

pub use error::AppError;
