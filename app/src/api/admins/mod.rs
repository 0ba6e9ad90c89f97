//! Several administrators: the list, adding (a password or an invitation link), removing,
//! one's own password, and accepting an invitation.

mod accept_invite;
mod add_admin;
mod change_password;
mod invite_info;
mod list_admins;
mod remove_admin;

pub use accept_invite::*;
pub use add_admin::*;
pub use change_password::*;
pub use invite_info::*;
pub use list_admins::*;
pub use remove_admin::*;
