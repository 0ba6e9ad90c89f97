//! Mailferry's shared crate: what the browser (WASM) and the server both compile.
//! Server-only parts sit behind the `ssr` feature.
// Leptos view types nest deeply; the batch page needs more than the default 128.
#![recursion_limit = "256"]

pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod components;
pub mod error_kind;
pub mod ids;
pub mod model;

pub use components::layout::app::{App, shell};
pub use error_kind::{ErrorKind, ErrorScope};
