//! The audit trail, filtered.

mod get_audit;

pub use get_audit::*;
