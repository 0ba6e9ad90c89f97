//! Typed columns: every id is 64-bit (PostgreSQL's `integer` columns become `bigint`; SQLite's
//! INTEGER already is), and a batch's options and recipients are JSON (the recipients were
//! comma-joined text; PostgreSQL stores both as `jsonb`).

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The id columns of each table (its own and the ones pointing elsewhere).
const ID_COLUMNS: &[(&str, &[&str])] = &[
    ("admins", &["id"]),
    ("sessions", &["id", "admin_id"]),
    ("endpoints", &["id"]),
    (
        "batches",
        &["id", "source_endpoint_id", "destination_endpoint_id"],
    ),
    ("mailboxes", &["id", "batch_id"]),
    ("migration_errors", &["id", "batch_id", "mailbox_id"]),
    ("sync_accounts", &["id", "last_batch_id"]),
    ("folder_states", &["id", "account_id"]),
    ("append_journal", &["id", "folder_state_id"]),
    ("audit_events", &["id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                for (table, columns) in ID_COLUMNS {
                    let alters: Vec<String> = columns
                        .iter()
                        .map(|c| format!("ALTER COLUMN {c} TYPE BIGINT"))
                        .collect();
                    db.execute_unprepared(&format!("ALTER TABLE {table} {}", alters.join(", ")))
                        .await?;
                    db.execute_unprepared(&format!(
                        "ALTER SEQUENCE IF EXISTS {table}_id_seq AS BIGINT"
                    ))
                    .await?;
                }
                db.execute_unprepared(
                    "ALTER TABLE batches \
                     ALTER COLUMN options TYPE JSONB USING options::jsonb, \
                     ALTER COLUMN notify_emails TYPE JSONB USING (CASE WHEN btrim(notify_emails) = '' \
                     THEN '[]'::jsonb ELSE to_jsonb(string_to_array(replace(notify_emails, ' ', ''), ',')) END)",
                )
                .await?;
            }
            _ => {
                // SQLite: rewrite each row's recipients as a JSON array.
                let rows = db
                    .query_all_raw(Statement::from_string(
                        DbBackend::Sqlite,
                        "SELECT id, notify_emails FROM batches",
                    ))
                    .await?;
                for row in rows {
                    let id: i64 = row.try_get_by_index(0)?;
                    let text: String = row.try_get_by_index(1)?;
                    let json = recipients_json(&text);
                    db.execute_raw(Statement::from_sql_and_values(
                        DbBackend::Sqlite,
                        "UPDATE batches SET notify_emails = ? WHERE id = ?",
                        [json.into(), id.into()],
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }
}

/// `a@x, b@y` as `["a@x","b@y"]`.
fn recipients_json(text: &str) -> String {
    let list: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn recipients_become_a_json_list() {
        assert_eq!(super::recipients_json(""), "[]");
        assert_eq!(
            super::recipients_json("a@x.org, b@y.org"),
            r#"["a@x.org","b@y.org"]"#
        );
    }
}
