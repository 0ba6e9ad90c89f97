//! IMAP client side, on async-imap: connecting (TLS, STARTTLS), signing in (user, admin on
//! behalf of a user), and the raw FETCH/APPEND loops async-imap's high-level calls get wrong.

pub mod append;
pub mod connect;
pub mod error;
pub mod fetch;
pub mod folders;
pub mod reply;

pub mod response_code;
pub mod session;
pub mod stream;
pub mod tls;
pub mod uid_set;
pub mod utf7;

pub use error::ImapError;
pub use session::ImapSession;
