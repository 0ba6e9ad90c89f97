//! IMAP client side, on async-imap: connecting (TLS, STARTTLS), signing in (user, admin on
//! behalf of a user), and the raw FETCH/APPEND loops async-imap's high-level calls get wrong.

pub(crate) mod append;
#[cfg(test)]
mod bounds_tests;
pub mod connect;
mod enable;
pub(crate) mod error;
pub mod fetch;
pub(crate) mod folders;
pub(crate) mod literal_guard;
pub(crate) mod namespace;
pub(crate) mod provider;
pub(crate) mod quota;
pub(crate) mod quote;
pub(crate) mod reply;

pub(crate) mod response_code;
pub(crate) mod session;
pub(crate) mod stream;
pub mod tls;
pub mod uid_set;
pub mod utf7;

pub use error::ImapError;
pub use session::ImapSession;
