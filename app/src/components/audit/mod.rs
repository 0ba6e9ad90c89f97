//! The audit page: who did what, when and from where, filtered.

pub mod audit_page;
pub mod audit_query;
