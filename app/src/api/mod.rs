//! Server functions, one per file, grouped by area. Each body checks the session first and then
//! calls the server through [`crate::backend::Backend`].

pub mod auth;
pub mod dashboard;
pub mod error;

pub use error::AppError;
