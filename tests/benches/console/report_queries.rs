//! The error report's server-side time at size: the query a page of the report runs (rows,
//! total and counts per kind), for the filters an admin uses, timed in this process against
//! the same store the server reads. Median of several runs after one to warm the cache.

use std::time::{Duration, Instant};

use app::ErrorKind;
use app::ids::BatchId;
use app::model::report::{ErrorCursor, ErrorFilter, ErrorSort};
use mailferry::report::error_query;
use sea_orm::{ConnectionTrait, DatabaseConnection};

const RUNS: usize = 7;

async fn timed(db: &DatabaseConnection, filter: &ErrorFilter) -> (Duration, u64) {
    let mut times = Vec::with_capacity(RUNS);
    let mut total = 0;
    for run in 0..=RUNS {
        let started = Instant::now();
        let page = error_query::query(db, filter)
            .await
            .expect("the report's query");
        if run > 0 {
            times.push(started.elapsed());
        }
        total = page.total;
    }
    times.sort();
    (times[times.len() / 2], total)
}

/// A cursor about `depth` rows into `filter`'s order (found by walking pages of 500).
async fn cursor_at(db: &DatabaseConnection, filter: &ErrorFilter, depth: usize) -> ErrorCursor {
    let mut after = None;
    for _ in 0..depth / 500 {
        let page = error_query::query(
            db,
            &ErrorFilter {
                per_page: 500,
                after: after.clone(),
                ..filter.clone()
            },
        )
        .await
        .expect("a page");
        after = page.rows.last().map(|r| ErrorCursor::of(r, filter.sort));
    }
    after.expect("the report is that deep")
}

pub async fn figures(db: &DatabaseConnection, error_batches: &[i64]) {
    // As autovacuum would have done by the time an admin reads the report.
    db.execute_unprepared("ANALYZE").await.expect("ANALYZE");
    let batch = Some(BatchId(error_batches[0]));
    let base = ErrorFilter {
        per_page: 50,
        ..ErrorFilter::default()
    };
    let cases = vec![
        ("every error, newest first", base.clone()),
        (
            "one batch",
            ErrorFilter {
                batch,
                ..base.clone()
            },
        ),
        (
            "one batch, one kind",
            ErrorFilter {
                batch,
                kinds: vec![ErrorKind::MessageTooLarge],
                ..base.clone()
            },
        ),
        (
            "one batch, by mailbox",
            ErrorFilter {
                batch,
                sort: ErrorSort::ByMailbox,
                ..base.clone()
            },
        ),
        (
            "one batch, a mailbox searched",
            ErrorFilter {
                batch,
                mailbox: Some("user07".into()),
                ..base.clone()
            },
        ),
    ];
    let deep = ErrorFilter {
        batch,
        ..base.clone()
    };
    let (_, in_batch) = timed(db, &deep).await;
    let depth = (in_batch as usize / 2).min(100_000);
    let mut named: Vec<(String, ErrorFilter)> = cases
        .into_iter()
        .map(|(name, filter)| (name.to_string(), filter))
        .collect();
    if depth >= 500 {
        let after = cursor_at(db, &deep, depth).await;
        named.push((
            format!("one batch, the page {depth} rows deep (cursor)"),
            ErrorFilter {
                after: Some(after),
                ..deep
            },
        ));
    }
    for (name, filter) in named {
        let (time, total) = timed(db, &filter).await;
        println!(
            "figure: error report query, {name}: {:.1} ms ({total} matching)",
            time.as_secs_f64() * 1000.0
        );
    }
}
