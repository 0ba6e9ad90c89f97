//! Plain data shared by the server and the browser.

pub mod admin;
pub mod audit;
pub mod batch;
pub mod batch_options;
pub mod batch_rows;
pub mod batch_upload;
pub mod bulk;
pub mod dashboard;
pub mod endpoint;
pub mod endpoint_form;
pub mod mailbox_page;
pub mod provider;
pub mod query_string;
pub mod report;
pub mod settings;
pub mod verification;
