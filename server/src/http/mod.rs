//! The web server: axum routes, Leptos SSR, server functions, health check.

pub(crate) mod body_limit;
pub(crate) mod client_addr;
pub(crate) mod connections;
pub(crate) mod consent_pages;
pub mod downloads;
pub mod live_hub;
pub mod origin;
pub mod router;
pub(crate) mod security_headers;
pub mod state;
pub mod web_backend;
