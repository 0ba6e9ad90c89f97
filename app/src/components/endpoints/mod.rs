//! The endpoints page: the source and destination servers, added, edited and tested.

pub mod endpoint_card;
pub mod endpoint_form;
pub mod endpoints_page;
pub mod oauth_fields;
