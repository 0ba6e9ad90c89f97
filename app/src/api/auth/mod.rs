//! Signing in and out, and the one-time first-admin set-up.

mod create_first_admin;
mod current_admin;
mod setup_state;
mod sign_in;
mod sign_out;
mod sign_out_everywhere;

pub use create_first_admin::*;
pub use current_admin::*;
pub use setup_state::*;
pub use sign_in::*;
pub use sign_out::*;
pub use sign_out_everywhere::*;
