//! The batch page at size: one page of rows filtered, sorted and counted by the database, and
//! live reads driven by change events — SQLite's update hook in this process, PostgreSQL's
//! NOTIFY from another connection (as another process would write) — not by polling.

mod common;

use std::time::{Duration, Instant};

use app::ids::BatchId;
use app::model::batch::{BatchWatch, MailboxState};
use app::model::batch_rows::{ROWS_PER_PAGE, RowFilter, RowSort};
use mailferry::batches::counts;
use mailferry::batches::row_page::{self, RowPage};
use mailferry::endpoints::EndpointRole;
use mailferry::http::live_hub::{LiveHub, Polled};
use mailferry::secrets::Cipher;
use mailferry_tests::Postgres;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

const ROWS: usize = 250;

/// A batch of 250 rows (`user000@…` to `user249@…`, one named `50%_off@…`), some progress.
async fn batch(db: &DatabaseConnection) -> i64 {
    let cipher = Cipher::new(&[4u8; 32]);
    let source = common::endpoint(EndpointRole::Source, 1);
    let destination = common::endpoint(EndpointRole::Destination, 2);
    let csv: String = std::iter::once("EmailAddress,UserName,Password\n".to_string())
        .chain((0..ROWS).map(|r| match r {
            7 => "50%_off@Example.test,Promo,pw\n".to_string(),
            r => format!("user{r:03}@example.test,login{r:03},pw\n"),
        }))
        .collect();
    let id = common::stored_batch(db, &cipher, &source, &destination, &csv).await;
    db.execute_unprepared(
        "UPDATE mailboxes SET messages_total = 100, messages_copied = row_index % 100, \
         bytes_copied = row_index * 10",
    )
    .await
    .unwrap();
    id
}

/// A page as the batch page reads it: with the batch's counts.
async fn page(
    db: &DatabaseConnection,
    id: i64,
    filter: &RowFilter,
) -> Result<RowPage, sea_orm::DbErr> {
    let (_, states) = counts::of_batch(db, id).await?;
    row_page::page(db, id, filter, &states).await
}

fn filter(state: Option<MailboxState>, text: &str, sort: RowSort, page: u32) -> RowFilter {
    RowFilter {
        state,
        text: text.into(),
        sort,
        page,
    }
}

async fn pages_filter_and_sort(db: &DatabaseConnection, label: &str) {
    let id = batch(db).await;
    let first = page(db, id, &RowFilter::default()).await.unwrap();
    assert_eq!(first.matching, ROWS as u64, "{label}");
    assert_eq!(first.rows.len(), ROWS_PER_PAGE as usize);
    assert_eq!(first.rows[0].email_address, "user000@example.test");
    let third = page(db, id, &filter(None, "", RowSort::Row, 2))
        .await
        .unwrap();
    assert_eq!(
        third.rows.len(),
        ROWS - 2 * ROWS_PER_PAGE as usize,
        "{label}"
    );
    assert_eq!(third.rows[0].email_address, "user200@example.test");

    // Text: part of the address or the user name, any case; `%` and `_` are only themselves.
    let by_login = page(db, id, &filter(None, "LOGIN24", RowSort::Row, 0))
        .await
        .unwrap();
    assert_eq!(by_login.matching, 10, "{label}: login240..249");
    let promo = page(db, id, &filter(None, "50%_", RowSort::Row, 0))
        .await
        .unwrap();
    assert_eq!(promo.matching, 1, "{label}: a literal 50%_");
    assert_eq!(promo.rows[0].email_address, "50%_off@Example.test");
    let underscore = page(db, id, &filter(None, "_", RowSort::Row, 0))
        .await
        .unwrap();
    assert_eq!(underscore.matching, 1, "{label}: `_` is no wildcard");

    // Sorts: most data first; least progress first; state with the filter.
    let size = page(db, id, &filter(None, "", RowSort::Size, 0))
        .await
        .unwrap();
    let bytes: Vec<i64> = size.rows.iter().map(|m| m.bytes_copied).collect();
    assert!(bytes.windows(2).all(|w| w[0] >= w[1]), "{label}: {bytes:?}");
    assert_eq!(
        size.rows[0].row_index,
        first.rows[0].row_index + ROWS as i32 - 1,
        "{label}"
    );
    let progress = page(db, id, &filter(None, "", RowSort::Progress, 0))
        .await
        .unwrap();
    let shares: Vec<i64> = progress.rows.iter().map(|m| m.messages_copied).collect();
    assert!(
        shares.windows(2).all(|w| w[0] <= w[1]),
        "{label}: {shares:?}"
    );
    db.execute_unprepared("UPDATE mailboxes SET state = 'Failed' WHERE row_index IN (5, 120)")
        .await
        .unwrap();
    let failed = page(
        db,
        id,
        &filter(Some(MailboxState::Failed), "", RowSort::Row, 0),
    )
    .await
    .unwrap();
    let rows: Vec<i32> = failed.rows.iter().map(|m| m.row_index).collect();
    assert_eq!(rows, vec![5, 120], "{label}");
    let by_state = page(db, id, &filter(None, "", RowSort::State, 0))
        .await
        .unwrap();
    assert_eq!(by_state.rows[0].row_index, 5, "{label}: failed first");
    assert_eq!(by_state.rows[1].row_index, 120, "{label}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_rows_is_filtered_sorted_and_counted_sqlite() {
    let (_dir, db) = common::sqlite().await;
    pages_filter_and_sort(&db, "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_rows_is_filtered_sorted_and_counted_postgres() {
    let pg = Postgres::start().unwrap();
    let db = common::database(pg.url()).await;
    pages_filter_and_sort(&db, "PostgreSQL").await;
}

/// The next snapshot of `feed` that `accept` takes, within `deadline`.
async fn snapshot_where(
    feed: &mut tokio::sync::watch::Receiver<Option<Polled>>,
    deadline: Duration,
    accept: impl Fn(&mailferry::http::live_hub::BatchSnapshot) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        if let Some(Polled::Batch(s)) = &*feed.borrow_and_update()
            && accept(s)
        {
            return started.elapsed();
        }
        let left = deadline.saturating_sub(started.elapsed());
        tokio::time::timeout(left, feed.changed())
            .await
            .expect("the page saw the change before its deadline")
            .unwrap();
    }
}

/// A watched page of failed rows sees a row fail, written by `writer`, through a hub that
/// reads only on change events (no fallback read): only the event can bring it. The time is
/// printed (docs/performance.md), the deadline only bounds a failing run.
async fn live_page_follows_changes(
    reader: DatabaseConnection,
    writer: &DatabaseConnection,
    label: &str,
) {
    let id = batch(&reader).await;
    let hub = LiveHub::on_changes_only(reader.clone());
    let watch = BatchWatch {
        id: BatchId(id),
        filter: filter(Some(MailboxState::Failed), "", RowSort::Row, 0),
    };
    let mut feed = hub.subscribe(watch);
    snapshot_where(&mut feed, Duration::from_secs(60), |s| s.rows_matching == 0).await;
    // Let the reader settle into waiting for a change.
    tokio::task::yield_now().await;
    let written = Instant::now();
    writer
        .execute_unprepared("UPDATE mailboxes SET state = 'Failed' WHERE row_index IN (3, 4)")
        .await
        .unwrap();
    let seen = snapshot_where(&mut feed, Duration::from_secs(60), |s| {
        s.rows_matching == 2
            && s.rows.len() == 2
            && s.state_counts.0.contains(&(MailboxState::Failed, 2))
            && s.summary.mailboxes_failed == 2
    })
    .await;
    println!(
        "{label}: a change written to the screen's data in {:?} (write {:?})",
        seen,
        written.elapsed() - seen
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_page_follows_changes_sqlite() {
    let (_dir, db) = common::sqlite().await;
    live_page_follows_changes(db.clone(), &db, "SQLite (update hook)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_page_follows_changes_from_another_process_postgres() {
    let pg = Postgres::start().unwrap();
    let db = common::database(pg.url()).await;
    mailferry::db::changes::follow_postgres(pg.url());
    // Another connection pool, as another process sharing the database would write.
    let other = Database::connect(pg.url()).await.unwrap();
    live_page_follows_changes(db, &other, "PostgreSQL (NOTIFY)").await;
}

/// The batch page's data for 5,000 rows with 1,000 syncing: one page as it is read now against
/// every row as it was read before (time and JSON bytes printed, the figures in
/// docs/performance.md; asserted: the page holds one page of rows, counts all of them).
async fn page_of_5000(db: &DatabaseConnection, label: &str) {
    use mailferry::http::web_backend::batch_view::{load, mailbox_row};
    let cipher = Cipher::new(&[5u8; 32]);
    let source = common::endpoint(EndpointRole::Source, 1);
    let destination = common::endpoint(EndpointRole::Destination, 2);
    let csv: String = std::iter::once("EmailAddress,UserName,Password\n".to_string())
        .chain((0..5_000).map(|r| format!("mailbox{r:04}@example.test,mailbox{r:04},pw\n")))
        .collect();
    let id = common::stored_batch(db, &cipher, &source, &destination, &csv).await;
    db.execute_unprepared(
        "UPDATE mailboxes SET state = 'Syncing', messages_total = 5000, \
         messages_copied = row_index, bytes_copied = row_index * 4096 WHERE row_index % 5 = 0",
    )
    .await
    .unwrap();
    let filter = RowFilter {
        sort: RowSort::Progress,
        ..RowFilter::default()
    };
    let started = Instant::now();
    let (_, snapshot) = load(db, BatchId(id), &filter).await.unwrap().unwrap();
    let paged = started.elapsed();
    let page_json = serde_json::to_vec(&snapshot.rows).unwrap().len();
    assert_eq!(snapshot.rows.len(), ROWS_PER_PAGE as usize);
    assert_eq!(snapshot.summary.mailboxes_total, 5_000);
    assert!(
        snapshot
            .state_counts
            .0
            .contains(&(MailboxState::Syncing, 1_000))
    );

    let started = Instant::now();
    let all = mailferry::db::entity::mailbox::of_batch(db, id)
        .await
        .unwrap();
    let rows: Vec<_> = all.iter().map(|r| mailbox_row(r, None)).collect();
    let loading = started.elapsed();
    let all_json = serde_json::to_vec(&rows).unwrap().len();
    println!(
        "{label}, 5,000 rows (1,000 syncing), sorted by progress: one page {paged:?}, \
         {page_json} bytes of rows; every row {loading:?}, {all_json} bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_a_5000_row_batch_sqlite() {
    let (_dir, db) = common::sqlite().await;
    page_of_5000(&db, "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_a_5000_row_batch_postgres() {
    let pg = Postgres::start().unwrap();
    let db = common::database(pg.url()).await;
    page_of_5000(&db, "PostgreSQL").await;
}
