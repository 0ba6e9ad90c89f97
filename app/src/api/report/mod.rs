//! The error report.

mod get_errors;

pub use get_errors::*;
