//! The error report's keyset paging (SQLite and PostgreSQL): walking every page forward by the
//! last row and back by the first gives every matching error exactly once, in the order of each
//! sort, also where errors share a time (the id breaks the tie) and with a filter.

use app::ErrorKind;
use app::model::report::{ErrorCursor, ErrorFilter, ErrorSort};
use mailferry::db::entity::migration_error;
use mailferry::report::error_query;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

const PER_PAGE: u32 = 47;

/// The ids of every matching error in order, read by OFFSET pages of 500 (the other path).
async fn by_offset(db: &sea_orm::DatabaseConnection, filter: &ErrorFilter) -> Vec<i64> {
    let mut ids = Vec::new();
    for page in 0.. {
        let rows = error_query::query(
            db,
            &ErrorFilter {
                page,
                per_page: 500,
                ..filter.clone()
            },
        )
        .await
        .unwrap()
        .rows;
        if rows.is_empty() {
            return ids;
        }
        ids.extend(rows.iter().map(|r| r.id));
    }
    ids
}

/// Every page forward by the cursor of the last row, then back from the last page by the first.
async fn walk(db: &sea_orm::DatabaseConnection, filter: &ErrorFilter) -> (Vec<i64>, Vec<i64>) {
    let page_of = |after: Option<ErrorCursor>, before: Option<ErrorCursor>| ErrorFilter {
        per_page: PER_PAGE,
        after,
        before,
        ..filter.clone()
    };
    let (mut forward, mut pages) = (Vec::new(), Vec::new());
    let mut after = None;
    loop {
        let page = error_query::query(db, &page_of(after.clone(), None))
            .await
            .unwrap();
        let Some(last) = page.rows.last() else { break };
        after = Some(ErrorCursor::of(last, filter.sort));
        forward.extend(page.rows.iter().map(|r| r.id));
        pages.push(page.rows);
    }
    let mut backward = pages.pop().unwrap_or_default();
    while let Some(first) = backward.first() {
        let before = Some(ErrorCursor::of(first, filter.sort));
        let page = error_query::query(db, &page_of(None, before))
            .await
            .unwrap();
        if page.rows.is_empty() {
            break;
        }
        assert!(page.rows.len() as u32 <= PER_PAGE);
        backward.splice(0..0, page.rows);
    }
    (forward, backward.iter().map(|r| r.id).collect())
}

async fn keyset_pages(url: String) {
    let db = crate::common::database(url).await;
    let (batches, _) = crate::common::seeded_errors::seed_errors(&db, 3_000).await;
    // Sixty errors (more than a page) at one moment, as a pass that fails many messages at once writes them.
    let twin = migration_error::Entity::find_by_id(1500)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    for _ in 0..60 {
        let mut copy: migration_error::ActiveModel = twin.clone().into();
        copy.id = sea_orm::ActiveValue::NotSet;
        copy.email_address = Set(twin.email_address.clone());
        copy.insert(&db).await.unwrap();
    }
    let filters = [
        ErrorFilter::default(),
        ErrorFilter {
            sort: ErrorSort::OldestFirst,
            ..ErrorFilter::default()
        },
        ErrorFilter {
            sort: ErrorSort::ByMailbox,
            ..ErrorFilter::default()
        },
        ErrorFilter {
            batch: Some(app::ids::BatchId(batches[1])),
            kinds: vec![ErrorKind::MessageTooLarge],
            mailbox: Some("USER".into()),
            ..ErrorFilter::default()
        },
    ];
    for filter in filters {
        let expected = by_offset(&db, &filter).await;
        assert!(expected.len() > 2 * PER_PAGE as usize, "{filter:?}");
        let (forward, backward) = walk(&db, &filter).await;
        assert_eq!(forward, expected, "forward, {filter:?}");
        assert_eq!(backward, expected, "backward, {filter:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyset_pages_give_every_error_once_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    keyset_pages(format!("sqlite://{}/mf.db", dir.path().display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyset_pages_give_every_error_once_postgres() {
    let pg = mailferry_tests::Postgres::start().unwrap();
    keyset_pages(pg.url()).await;
}
