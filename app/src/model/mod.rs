//! Plain data shared by the server and the browser.

pub mod admin;
pub mod batch;
pub mod dashboard;
pub mod endpoint;
pub mod report;
