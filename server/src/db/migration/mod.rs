//! Forward-only schema migrations, run at start-up, each in its own file.

use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_email_claim;
mod m0003_error_report_indexes;
mod m0004_typed_columns;
mod m0005_batch_origin;
mod m0006_source_namespace;
mod m0007_message_maps;
mod m0008_pass_statistics;
mod m0009_resolved_errors;
mod m0010_staged_batches;
mod m0011_sign_in_attempts;
mod m0012_session_activity;
mod m0013_admins_and_audit;
mod m0014_change_notifications;
mod m0015_verifications;
mod m0016_mailbox_passes;
mod m0017_live_progress;
mod m0018_error_counts;
mod m0019_errors_batch_time;
mod m0020_verification_changed;
mod m0021_endpoint_oauth;
mod m0022_mailbox_consent;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_email_claim::Migration),
            Box::new(m0003_error_report_indexes::Migration),
            Box::new(m0004_typed_columns::Migration),
            Box::new(m0005_batch_origin::Migration),
            Box::new(m0006_source_namespace::Migration),
            Box::new(m0007_message_maps::Migration),
            Box::new(m0008_pass_statistics::Migration),
            Box::new(m0009_resolved_errors::Migration),
            Box::new(m0010_staged_batches::Migration),
            Box::new(m0011_sign_in_attempts::Migration),
            Box::new(m0012_session_activity::Migration),
            Box::new(m0013_admins_and_audit::Migration),
            Box::new(m0014_change_notifications::Migration),
            Box::new(m0015_verifications::Migration),
            Box::new(m0016_mailbox_passes::Migration),
            Box::new(m0017_live_progress::Migration),
            Box::new(m0018_error_counts::Migration),
            Box::new(m0019_errors_batch_time::Migration),
            Box::new(m0020_verification_changed::Migration),
            Box::new(m0021_endpoint_oauth::Migration),
            Box::new(m0022_mailbox_consent::Migration),
        ]
    }
}
