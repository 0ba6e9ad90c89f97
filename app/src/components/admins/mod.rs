//! Several administrators: the page that lists, adds and removes them, and the invitation page.

pub mod admins_page;
pub mod invite_page;
