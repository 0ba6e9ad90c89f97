//! How many errors each batch has of each kind, current and resolved, kept by triggers on
//! `migration_errors`: the error report's counts, the status e-mail's and a batch's outcome are
//! read from a few dozen rows instead of counting up to millions. Triggers, not application
//! code, so that no writer (a delete of rows, a resolve, an older process during an upgrade)
//! can leave the counts wrong.
//!
//! SQLite has row triggers only (one writer at a time: no lock order to mind). PostgreSQL
//! counts per statement from its transition tables and applies the differences in one upsert
//! ordered by key, so that concurrent writers lock the counter rows in the same order (no
//! deadlock) and a statement of 500 rows is one write per kind, not 500.
//!
//! A later migration that rebuilds `migration_errors` on SQLite (as m0004 did) drops these
//! triggers and must create them again.

use sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "CREATE TABLE error_counts (
    batch_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    resolved BOOLEAN NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (batch_id, kind, resolved))";

const FILL: &str = "INSERT INTO error_counts (batch_id, kind, resolved, count)
    SELECT batch_id, kind, resolved_at IS NOT NULL, COUNT(*) FROM migration_errors
    GROUP BY batch_id, kind, resolved_at IS NOT NULL";

const SQLITE_TRIGGERS: [&str; 3] = [
    "CREATE TRIGGER migration_errors_count_insert AFTER INSERT ON migration_errors BEGIN
       INSERT INTO error_counts (batch_id, kind, resolved, count)
       VALUES (NEW.batch_id, NEW.kind, NEW.resolved_at IS NOT NULL, 1)
       ON CONFLICT (batch_id, kind, resolved) DO UPDATE SET count = count + 1;
     END",
    "CREATE TRIGGER migration_errors_count_delete AFTER DELETE ON migration_errors BEGIN
       UPDATE error_counts SET count = count - 1 WHERE batch_id = OLD.batch_id
       AND kind = OLD.kind AND resolved = (OLD.resolved_at IS NOT NULL);
     END",
    "CREATE TRIGGER migration_errors_count_update
     AFTER UPDATE OF batch_id, kind, resolved_at ON migration_errors BEGIN
       UPDATE error_counts SET count = count - 1 WHERE batch_id = OLD.batch_id
       AND kind = OLD.kind AND resolved = (OLD.resolved_at IS NOT NULL);
       INSERT INTO error_counts (batch_id, kind, resolved, count)
       VALUES (NEW.batch_id, NEW.kind, NEW.resolved_at IS NOT NULL, 1)
       ON CONFLICT (batch_id, kind, resolved) DO UPDATE SET count = count + 1;
     END",
];

/// The old rows count -1 and the new ones +1, summed per key; one upsert in key order.
const POSTGRES_FUNCTION: &str = "CREATE OR REPLACE FUNCTION mailferry_count_errors()
RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO error_counts (batch_id, kind, resolved, count)
      SELECT batch_id, kind, resolved_at IS NOT NULL, COUNT(*) FROM new_rows
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (batch_id, kind, resolved)
      DO UPDATE SET count = error_counts.count + EXCLUDED.count;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO error_counts (batch_id, kind, resolved, count)
      SELECT batch_id, kind, resolved_at IS NOT NULL, -COUNT(*) FROM old_rows
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (batch_id, kind, resolved)
      DO UPDATE SET count = error_counts.count + EXCLUDED.count;
  ELSE
    INSERT INTO error_counts (batch_id, kind, resolved, count)
      SELECT batch_id, kind, resolved, SUM(n)::BIGINT FROM (
        SELECT batch_id, kind, resolved_at IS NOT NULL AS resolved, -1 AS n FROM old_rows
        UNION ALL
        SELECT batch_id, kind, resolved_at IS NOT NULL, 1 FROM new_rows) AS changed
      GROUP BY 1, 2, 3 HAVING SUM(n) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (batch_id, kind, resolved)
      DO UPDATE SET count = error_counts.count + EXCLUDED.count;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql";

const POSTGRES_TRIGGERS: [&str; 3] = [
    "CREATE TRIGGER migration_errors_count_insert AFTER INSERT ON migration_errors
     REFERENCING NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION mailferry_count_errors()",
    "CREATE TRIGGER migration_errors_count_delete AFTER DELETE ON migration_errors
     REFERENCING OLD TABLE AS old_rows
     FOR EACH STATEMENT EXECUTE FUNCTION mailferry_count_errors()",
    "CREATE TRIGGER migration_errors_count_update AFTER UPDATE ON migration_errors
     REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION mailferry_count_errors()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too (sea-orm wraps only PostgreSQL's by default): a crash
    /// half-way would leave a table or column that the next start fails to create again.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(TABLE).await?;
        if m.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared(POSTGRES_FUNCTION).await?;
            for trigger in POSTGRES_TRIGGERS {
                db.execute_unprepared(trigger).await?;
            }
        } else {
            for trigger in SQLITE_TRIGGERS {
                db.execute_unprepared(trigger).await?;
            }
        }
        // Counted after the triggers exist and in the migration's transaction: creating them
        // locked out other writers until it commits (PostgreSQL: a table lock; SQLite: the
        // database's write lock), so no error is counted twice or missed.
        db.execute_unprepared(FILL).await?;
        Ok(())
    }
}
