//! Migration batches: created from CSV rows, run mailbox by mailbox with bounded concurrency,
//! every outcome and error recorded for the reports.

pub mod actions;
pub mod create_batch;
pub mod mailbox_run;
pub mod membership;
pub mod preflight;
pub mod record;
pub mod run_batch;
