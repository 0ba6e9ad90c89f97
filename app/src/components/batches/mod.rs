//! Batches: the new-batch form and the batch page with its live table, chart and actions.

pub mod batch_actions;
pub mod batch_page;
pub mod batch_summary;
pub mod bulk_bar;
pub mod live_channel;
pub mod mailbox_table;
pub mod new_batch_page;
pub mod preflight_panel;
pub mod row_filters;
pub mod throughput_chart;
