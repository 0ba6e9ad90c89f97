//! Outgoing e-mail: the status e-mail sent when a batch ends.

pub mod smtp;
pub mod status_email;
