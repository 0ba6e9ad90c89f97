//! Reports for admins: MigrationErrors.csv.

pub mod errors_csv;
