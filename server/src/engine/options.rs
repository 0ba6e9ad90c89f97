//! Options a batch runs with; the type is shared with the web app's new-batch form.

pub use app::model::batch_options::{BatchOptions, folder_matches};

/// Whether a message's INTERNALDATE is within the batch's date range (a date the server wrote
/// in another form is taken as within).
pub(crate) fn in_date_range(options: &BatchOptions, internal_date: &str) -> bool {
    let Ok(date) = chrono::DateTime::parse_from_str(internal_date.trim(), "%d-%b-%Y %H:%M:%S %z")
    else {
        return true;
    };
    let day = date.date_naive();
    options.since.is_none_or(|since| day >= since)
        && options.before.is_none_or(|before| day < before)
}
