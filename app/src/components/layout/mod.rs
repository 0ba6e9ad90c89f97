//! The page frame: HTML shell, router, header.

pub mod app;
pub mod header;
pub mod require_admin;
