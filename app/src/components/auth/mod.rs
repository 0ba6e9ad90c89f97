//! Sign-in and first-run set-up pages.

pub mod credentials_form;
pub mod setup_page;
pub mod sign_in_page;
