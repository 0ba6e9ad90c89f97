//! Migration batches: created from CSV rows, run mailbox by mailbox with bounded concurrency,
//! every outcome and error recorded for the reports.

pub mod actions;
pub mod bulk;
pub mod consent;
pub mod counts;
pub mod create_batch;
pub mod lifecycle;
pub(crate) mod live_progress;
pub(crate) mod mailbox_run;
pub(crate) mod membership;
pub(crate) mod preflight;
pub(crate) mod record;
pub mod row_page;
pub mod run_batch;
pub mod run_settings;
