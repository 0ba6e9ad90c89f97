//! The migration engine: one job per mailbox, folders copied with fetch and append pipelined,
//! state committed per transaction so a crash or rerun never loses or duplicates a message.

pub(crate) mod append_step;
pub mod classify;
pub mod copy_folder;
pub mod dedup;
pub mod folder_lanes;
pub(crate) mod folder_plan;
pub mod halt;
pub mod mailbox;
pub mod mailbox_job;
pub mod memory_budget;
pub mod options;
pub mod progress;
pub mod retry;
pub mod state;
pub mod transactions;
