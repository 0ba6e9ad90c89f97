//! A small async-imap client for tests (not the product's engine): connect, sign in, seed, verify.

mod append;
mod connect;
mod error;
mod fetch;
mod session;
mod stream;

pub use append::Appended;
pub use connect::TestClient;
pub use error::CommandError;
pub use fetch::FetchedMessage;
pub use session::TestSession;
pub use stream::TestStream;
