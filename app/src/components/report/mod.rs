//! The error report: filters in the address (so they work without JavaScript and can be
//! bookmarked), chips with counts, the table, paging and the downloads.

pub mod error_filters;
pub mod error_table;
pub mod errors_page;
pub mod report_query;
