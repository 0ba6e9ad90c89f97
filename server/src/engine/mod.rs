//! The migration engine: one job per mailbox, folders copied with fetch and append pipelined,
//! state committed per transaction so a crash or rerun never loses or duplicates a message.

pub(crate) mod all_mail;
pub(crate) mod append_step;
pub(crate) mod classify;
pub(crate) mod copy_folder;
pub(crate) mod dedup;
pub(crate) mod delta;
pub(crate) mod folder_job;
pub(crate) mod folder_lanes;
pub(crate) mod folder_names;
pub(crate) mod folder_plan;
pub(crate) mod halt;
pub(crate) mod identity;
pub mod mailbox;
pub mod mailbox_job;
pub(crate) mod memory_budget;
pub mod message_map;
pub mod options;
pub mod progress;
pub(crate) mod repair;
pub mod retry;
pub mod state;
pub(crate) mod transactions;
