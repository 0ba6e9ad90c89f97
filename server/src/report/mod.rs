//! Reports for admins: the error report's queries, MigrationErrors.csv, MigrationStatistics.csv.

pub mod error_query;
pub mod errors_csv;
pub mod export;
pub mod statistics_csv;
