//! The audit trail: every action of an administrator (or of the command line) with who, when,
//! from where and on what. Written next to the action; a failure to write is logged, never
//! shown to the admin as the action's failure. No detail ever holds a secret.

pub mod query;
pub mod record;

pub use record::{Actor, record};
