//! Throwaway Dovecot IMAP servers (Debian 12, Dovecot 2.3.19) started on loopback for tests.

mod config;
mod instance;
mod users;

pub use instance::{Dovecot, DovecotOptions, MASTER_PASSWORD, MASTER_USER, OAuth2Check};
