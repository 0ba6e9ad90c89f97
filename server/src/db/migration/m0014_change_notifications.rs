//! PostgreSQL tells every process when mailboxes or batches change (NOTIFY from a statement
//! trigger, once per transaction), so live pages read on change instead of polling. SQLite needs
//! nothing here: its writers are in-process and seen by an update hook (`db::changes`).

use sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        // An empty payload: identical notifications of one transaction are delivered once.
        db.execute_unprepared(&format!(
            "CREATE OR REPLACE FUNCTION mailferry_notify_change() RETURNS trigger AS $$
             BEGIN PERFORM pg_notify('{}', ''); RETURN NULL; END $$ LANGUAGE plpgsql",
            crate::db::changes::CHANNEL
        ))
        .await?;
        for table in ["mailboxes", "batches"] {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {table}_notify_change AFTER INSERT OR UPDATE OR DELETE ON {table}
                 FOR EACH STATEMENT EXECUTE FUNCTION mailferry_notify_change()"
            ))
            .await?;
        }
        Ok(())
    }
}
