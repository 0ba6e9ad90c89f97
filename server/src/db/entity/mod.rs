//! sea-orm entities, one table per file.

pub mod admin;
pub mod admin_invite;
pub mod append_journal;
pub mod audit_event;
pub mod batch;
pub mod endpoint;
pub mod error_count;
pub mod folder_state;
pub mod mailbox;
pub mod mailbox_pass;
pub mod message_map;
pub mod migration_error;
pub mod session;
pub mod setting;
pub mod sync_account;
pub mod verification;
pub mod verification_folder;
