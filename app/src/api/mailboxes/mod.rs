//! One mailbox of a batch: its page, and what an admin does to it alone.

mod act_on_mailbox;
mod get_mailbox;

pub use act_on_mailbox::*;
pub use get_mailbox::*;
