//! The dashboard's counts come from one grouped query, not from loading every mailbox: the same
//! numbers as counting the loaded rows, on SQLite and PostgreSQL, for 20 batches of 5,000 rows.
//! Both times are printed (the figure in docs/performance.md), not asserted.

mod common;

use std::time::Instant;

use app::model::batch::MailboxState;
use mailferry::batches::counts::{MailboxCounts, per_batch};
use mailferry::db::entity::mailbox;
use mailferry::endpoints::EndpointRole;
use mailferry::secrets::Cipher;
use mailferry_tests::Postgres;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};

const BATCHES: usize = 20;
const ROWS: usize = 5_000;

/// 20 batches of 5,000 rows, a third synced with messages, some failed with an error.
async fn fill(db: &DatabaseConnection) {
    let cipher = Cipher::new(&[3u8; 32]);
    let source = common::endpoint(EndpointRole::Source, 1);
    let destination = common::endpoint(EndpointRole::Destination, 2);
    for b in 0..BATCHES {
        let csv: String = std::iter::once("EmailAddress,UserName,Password\n".to_string())
            .chain((0..ROWS).map(|r| format!("u{b}x{r}@example.test,u{b}x{r},pw\n")))
            .collect();
        common::stored_batch(db, &cipher, &source, &destination, &csv).await;
    }
    for sql in [
        "UPDATE mailboxes SET state = 'Synced', messages_copied = row_index * 3 WHERE row_index % 3 = 0",
        "UPDATE mailboxes SET state = 'Failed', error_kind = 'protocol_error', error_message = 'x' \
         WHERE row_index % 7 = 1",
        "UPDATE mailboxes SET error_kind = 'message_too_large', error_message = 'y' WHERE row_index % 11 = 0",
    ] {
        db.execute_unprepared(sql).await.unwrap();
    }
}

/// The same counts over the loaded rows.
fn counts_of(rows: &[&mailbox::Model]) -> MailboxCounts {
    let count = |state: MailboxState| rows.iter().filter(|m| m.state == state).count() as i64;
    MailboxCounts {
        total: rows.len() as i64,
        synced: count(MailboxState::Synced),
        failed: count(MailboxState::Failed),
        messages_copied: rows.iter().map(|m| m.messages_copied.max(0)).sum(),
        messages_total: rows.iter().map(|m| m.messages_total.max(0)).sum(),
        bytes_copied: rows.iter().map(|m| m.bytes_copied.max(0)).sum(),
        errors: rows.iter().filter(|m| m.error_kind.is_some()).count() as i64,
    }
}

async fn compare(db: &DatabaseConnection, label: &str) {
    fill(db).await;
    let started = Instant::now();
    let counted = per_batch(db).await.unwrap();
    let grouped = started.elapsed();
    let started = Instant::now();
    let rows = mailbox::Entity::find().all(db).await.unwrap();
    let mut by_batch: std::collections::HashMap<i64, Vec<&mailbox::Model>> = Default::default();
    for row in &rows {
        by_batch.entry(row.batch_id).or_default().push(row);
    }
    let loaded: std::collections::HashMap<i64, MailboxCounts> = by_batch
        .iter()
        .map(|(id, rows)| (*id, counts_of(rows)))
        .collect();
    let loading = started.elapsed();
    assert_eq!(counted.len(), BATCHES);
    assert_eq!(
        counted, loaded,
        "{label}: the database counts as the rows do"
    );
    let some = counted.values().next().unwrap();
    assert!(
        some.synced > 0 && some.failed > 0 && some.errors > some.failed && some.messages_copied > 0,
        "{some:?}"
    );
    println!(
        "{label}, {BATCHES} x {ROWS} rows: grouped counts {grouped:?}, loading every row {loading:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_counts_agree_with_the_rows_sqlite() {
    let (_dir, db) = common::sqlite().await;
    compare(&db, "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_counts_agree_with_the_rows_postgres() {
    let pg = Postgres::start().unwrap();
    let db = common::database(pg.url()).await;
    compare(&db, "PostgreSQL").await;
}
