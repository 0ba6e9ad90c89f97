//! Options a batch runs with; the type is shared with the web app's new-batch form.

pub use app::model::batch_options::{BatchOptions, folder_matches};
