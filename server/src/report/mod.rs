//! Reports for admins: the error report's queries and counts, MigrationErrors.csv, MigrationStatistics.csv.

pub mod error_counts;
pub mod error_query;
pub(crate) mod errors_csv;
pub mod export;
pub(crate) mod statistics_csv;
