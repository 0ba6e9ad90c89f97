//! The error counts kept by triggers (SQLite and PostgreSQL) equal the errors counted row by
//! row after every kind of write: many rows at once, one row, a resolve of mixed kinds, a
//! delete, a kind changed; and on PostgreSQL after writers that insert, resolve and delete the
//! same batch's errors at the same time (which must neither deadlock nor lose a count).

use std::collections::BTreeMap;

use app::ErrorKind;
use app::ids::BatchId;
use app::model::report::ErrorFilter;
use chrono::Utc;
use mailferry::db::entity::migration_error::{self, Column};
use mailferry::report::{error_counts, error_query};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

/// The errors per kind counted from the rows themselves.
async fn counted(
    db: &DatabaseConnection,
    batch: Option<i64>,
    resolved_too: bool,
) -> Vec<(ErrorKind, u64)> {
    let mut sums: BTreeMap<ErrorKind, u64> = BTreeMap::new();
    for row in migration_error::Entity::find().all(db).await.unwrap() {
        if batch.is_none_or(|b| b == row.batch_id) && (resolved_too || row.resolved_at.is_none()) {
            *sums.entry(row.kind).or_default() += 1;
        }
    }
    sums.into_iter().collect()
}

async fn assert_kept_counts_right(db: &DatabaseConnection, batches: &[i64], after: &str) {
    let mut scopes: Vec<Option<i64>> = batches.iter().copied().map(Some).collect();
    scopes.push(None);
    for batch in scopes {
        for resolved_too in [false, true] {
            let kept = error_counts::per_kind(db, batch.map(BatchId), resolved_too)
                .await
                .unwrap();
            let expected = counted(db, batch, resolved_too).await;
            assert_eq!(
                kept, expected,
                "after {after}: batch {batch:?}, resolved too {resolved_too}"
            );
            let filter = ErrorFilter {
                batch: batch.map(BatchId),
                resolved_too,
                kinds: vec![ErrorKind::MessageTooLarge],
                ..ErrorFilter::default()
            };
            let page = error_query::query(db, &filter).await.unwrap();
            let too_large = expected
                .iter()
                .find(|(k, _)| *k == ErrorKind::MessageTooLarge)
                .map_or(0, |(_, n)| *n);
            assert_eq!(page.total, too_large, "after {after}: the report's total");
            assert_eq!(page.counts, expected, "after {after}: the report's counts");
        }
    }
}

/// Resolves every third error of a batch (or of one mailbox) in one statement (kinds mixed).
async fn resolve_some(db: &DatabaseConnection, batch: i64, mailbox: Option<i64>) {
    let mut update = migration_error::Entity::update_many()
        .col_expr(Column::ResolvedAt, Expr::value(Utc::now()))
        .filter(Column::BatchId.eq(batch));
    if let Some(mailbox) = mailbox {
        update = update.filter(Column::MailboxId.eq(mailbox));
    }
    update
        .filter(Expr::cust("id % 3 = 0"))
        .exec(db)
        .await
        .unwrap();
}

async fn counts_follow_every_write(url: String) {
    let db = crate::common::database(url).await;
    let (batches, _) = crate::common::seeded_errors::seed_errors(&db, 3_000).await;
    assert_kept_counts_right(&db, &batches, "many rows at once").await;

    let one = migration_error::Entity::find_by_id(7)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let mut copy: migration_error::ActiveModel = one.clone().into();
    copy.id = sea_orm::ActiveValue::NotSet;
    copy.kind = Set(ErrorKind::DestinationMailboxNotFound);
    copy.insert(&db).await.unwrap();
    assert_kept_counts_right(&db, &batches, "one row").await;

    resolve_some(&db, batches[0], None).await;
    assert_kept_counts_right(&db, &batches, "a resolve of mixed kinds").await;

    migration_error::Entity::delete_many()
        .filter(Column::MailboxId.eq(one.mailbox_id))
        .exec(&db)
        .await
        .unwrap();
    assert_kept_counts_right(&db, &batches, "a delete of a mailbox's errors").await;

    migration_error::Entity::update_many()
        .col_expr(Column::Kind, Expr::value(ErrorKind::MessageTooLarge))
        .filter(Column::Kind.eq(ErrorKind::MessageRejected))
        .filter(Column::BatchId.eq(batches[1]))
        .exec(&db)
        .await
        .unwrap();
    assert_kept_counts_right(&db, &batches, "a kind changed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_counts_follow_every_write_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    counts_follow_every_write(format!("sqlite://{}/mf.db", dir.path().display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_counts_follow_every_write_postgres() {
    let pg = mailferry_tests::Postgres::start().unwrap();
    counts_follow_every_write(pg.url()).await;
}

/// Eight writers on one batch at once, each a mailbox as the engine writes its errors (several
/// kinds in its own order, resolving and deleting its own rows; the counter rows of the batch
/// are what they share): no deadlock, and the counts are exact at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_keep_counts_exact_postgres() {
    let pg = mailferry_tests::Postgres::start().unwrap();
    let db = crate::common::database(pg.url()).await;
    let (batches, _) = crate::common::seeded_errors::seed_errors(&db, 800).await;
    let template = migration_error::Entity::find_by_id(1)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let kinds = [
        ErrorKind::MessageRejected,
        ErrorKind::MessageTooLarge,
        ErrorKind::DestinationMailboxFull,
        ErrorKind::SourceSignInFailed,
    ];
    let mailboxes = mailferry::db::entity::mailbox::of_batch(&db, batches[0])
        .await
        .unwrap();
    let writers: Vec<_> = (0..8usize)
        .map(|w| {
            let (db, template) = (db.clone(), template.clone());
            let batch = batches[0];
            let mailbox = mailboxes[w].id;
            tokio::spawn(async move {
                for round in 0..20usize {
                    let rows = (0..kinds.len()).map(|i| {
                        let mut row: migration_error::ActiveModel = template.clone().into();
                        row.id = sea_orm::ActiveValue::NotSet;
                        row.batch_id = Set(batch);
                        row.mailbox_id = Set(mailbox);
                        row.kind = Set(kinds[(i + w + round) % kinds.len()]);
                        row
                    });
                    migration_error::Entity::insert_many(rows.collect::<Vec<_>>())
                        .exec(&db)
                        .await
                        .unwrap();
                    match round % 3 {
                        0 => resolve_some(&db, batch, Some(mailbox)).await,
                        1 => {
                            migration_error::Entity::delete_many()
                                .filter(Column::MailboxId.eq(mailbox))
                                .filter(Expr::cust(format!("id % 5 = {}", round % 5)))
                                .exec(&db)
                                .await
                                .unwrap();
                        }
                        _ => {}
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("a writer failed (a deadlock?)");
    }
    assert_kept_counts_right(&db, &batches, "eight writers at once").await;
}
