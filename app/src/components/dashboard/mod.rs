//! The dashboard: batches and their progress.

pub mod batch_table;
pub mod dashboard_page;
