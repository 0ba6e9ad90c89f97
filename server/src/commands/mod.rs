//! The headless commands (`migrate`, `batch`, `report`): the same engine and database as the web
//! app, driven from a shell.

pub mod batch;
pub mod endpoint;
pub mod migrate;
pub mod report;
