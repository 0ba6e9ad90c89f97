//! The headless commands (`migrate`, `batch`, `report`, `endpoint`, `rotate-key`): the same engine and database as the web
//! app, driven from a shell.

pub mod audit;
pub mod batch;
pub mod endpoint;
pub mod migrate;
pub mod output;
pub mod report;
pub mod rotate_key;
mod source_oauth;
mod staged;
