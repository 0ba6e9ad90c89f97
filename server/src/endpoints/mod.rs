//! Stored source and destination servers, with their admin secret encrypted at rest.

pub mod settings;
pub mod store;
pub mod test_endpoint;

pub use settings::{EndpointRole, EndpointSettings};
