//! The page frame: HTML shell, router, header, the signed-in page frame.

pub mod app;
pub mod content_policy;
pub mod header;
pub mod page;
pub mod require_admin;
