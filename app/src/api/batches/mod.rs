//! Batches: upload a CSV, look at one, watch it live, act on it, check it before it starts.

mod act_on_batch;
mod act_on_rows;
mod get_batch;
mod run_preflight;
mod upload_batch;
mod watch_batch;

pub use act_on_batch::*;
pub use act_on_rows::*;
pub use get_batch::*;
pub use run_preflight::*;
pub use upload_batch::*;
pub use watch_batch::*;
