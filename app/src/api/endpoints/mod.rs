//! Source and destination IMAP servers: list, save, test.

mod list_endpoints;
mod save_endpoint;
mod test_endpoint;

pub use list_endpoints::*;
pub use save_endpoint::*;
pub use test_endpoint::*;
