//! The settings page.

pub mod settings_page;
