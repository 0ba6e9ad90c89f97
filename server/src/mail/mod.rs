//! Outgoing e-mail: the status e-mail sent when a batch ends, and where it goes out.

pub mod mail_settings;
pub mod smtp;
pub mod status_email;
pub(crate) mod test_email;
