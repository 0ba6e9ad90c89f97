//! Stored source and destination servers, with their admin secret encrypted at rest.

pub mod settings;
pub mod store;

pub use settings::{EndpointRole, EndpointSettings};
