//! Mail settings: the SMTP server of the status e-mails and who receives them.

mod get_mail_settings;
mod save_mail_settings;
mod send_test_email;

pub use get_mail_settings::*;
pub use save_mail_settings::*;
pub use send_test_email::*;
