//! One mailbox: its page with folders, passes, errors, verification and actions.

pub mod mailbox_page;
pub mod mailbox_sections;
