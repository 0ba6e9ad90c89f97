//! The web app's side: the error report's filtered queries on 100,000 errors (SQLite and
//! PostgreSQL), MigrationErrors.csv of 100,000 rows downloaded from a running server (time and
//! the server's memory), and the size of the WASM bundle.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use app::ErrorKind;
use app::ids::BatchId;
use app::model::report::{ErrorCursor, ErrorFilter, ErrorSort};
use mailferry::config::{Config, DatabaseUrl};
use mailferry::report::error_query;
use mailferry_tests::Postgres;
use mailferry_tests::mailferry_server::{MailferryServer, workspace_root};

use crate::common::seeded_errors::seed_errors;
use crate::measure::status_kib;

/// One query of the error report and its median time.
#[derive(Clone, Debug)]
pub struct QueryTime {
    pub store: &'static str,
    pub what: &'static str,
    pub median: Duration,
    pub rows_matching: u64,
}

/// The download of MigrationErrors.csv.
#[derive(Clone, Debug, Default)]
pub struct Download {
    pub rows: u64,
    pub bytes: u64,
    pub first_byte: Duration,
    pub total: Duration,
    /// The server's resident memory before the download and its peak after it.
    pub rss_before_kib: u64,
    pub peak_after_kib: u64,
}

#[derive(Clone, Debug, Default)]
pub struct ServerSide {
    pub queries: Vec<QueryTime>,
    pub downloads: Vec<Download>,
    pub wasm_bytes: Option<u64>,
    pub wasm_gzip_bytes: Option<u64>,
    pub notes: Vec<String>,
}

/// The page in the middle of `errors`, newest first, by its cursor: the seeded errors are one
/// second apart from 2026-01-01 with ids from 1, so the row before the page is known.
fn middle_page_cursor(errors: usize) -> (u32, ErrorCursor) {
    use chrono::TimeZone as _;
    let page = (errors / 100) as u32;
    let index = errors as i64 - 50 * i64::from(page);
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let at = start + chrono::Duration::seconds(index);
    let key = at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    (page, ErrorCursor { key, id: index + 1 })
}

fn filters(batch: i64, errors: usize) -> Vec<(&'static str, ErrorFilter)> {
    let (middle, cursor) = middle_page_cursor(errors);
    vec![
        (
            "the middle page, newest first, by OFFSET",
            ErrorFilter {
                per_page: 50,
                page: middle,
                ..ErrorFilter::default()
            },
        ),
        (
            "the middle page, newest first, by keyset (as the pager asks)",
            ErrorFilter {
                per_page: 50,
                page: middle,
                after: Some(cursor),
                ..ErrorFilter::default()
            },
        ),
        (
            "first page, newest first (no filter)",
            ErrorFilter {
                per_page: 50,
                ..ErrorFilter::default()
            },
        ),
        (
            "one kind, page 20",
            ErrorFilter {
                kinds: vec![ErrorKind::MessageTooLarge],
                per_page: 50,
                page: 20,
                ..ErrorFilter::default()
            },
        ),
        (
            "batch + two kinds + mailbox search, page 3",
            ErrorFilter {
                batch: Some(BatchId(batch)),
                kinds: vec![
                    ErrorKind::MessageTooLarge,
                    ErrorKind::DestinationMailboxFull,
                ],
                mailbox: Some("user0".into()),
                per_page: 50,
                page: 2,
                sort: ErrorSort::NewestFirst,
                ..ErrorFilter::default()
            },
        ),
        (
            "by mailbox, page 100",
            ErrorFilter {
                sort: ErrorSort::ByMailbox,
                per_page: 50,
                page: 100,
                ..ErrorFilter::default()
            },
        ),
    ]
}

async fn time_queries(
    store: &'static str,
    url: String,
    errors: usize,
) -> anyhow::Result<Vec<QueryTime>> {
    let db = mailferry::db::open(&Config {
        database_url: DatabaseUrl(url),
        ..Config::default()
    })
    .await?;
    let (batches, _) = seed_errors(&db, errors).await;
    let mut times = Vec::new();
    for (what, filter) in filters(batches[1], errors) {
        let mut samples = Vec::new();
        let mut rows_matching = 0;
        for _ in 0..9 {
            let start = Instant::now();
            let page = error_query::query(&db, &filter).await?;
            samples.push(start.elapsed());
            rows_matching = page.total;
        }
        times.push(QueryTime {
            store,
            what,
            median: crate::report::median(samples),
            rows_matching,
        });
    }
    Ok(times)
}

/// Downloads MigrationErrors.csv over plain HTTP/1.1 and counts its lines without keeping them.
fn download(server: &MailferryServer, token: &str) -> anyhow::Result<Download> {
    let mut result = Download {
        rss_before_kib: status_kib(server.pid(), "VmRSS:"),
        ..Download::default()
    };
    // "5" resets the peak (VmHWM) to the current RSS, so the peak read after is this download's.
    let _ = std::fs::write(format!("/proc/{}/clear_refs", server.pid()), "5");
    let start = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", server.port))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    write!(
        stream,
        "GET /downloads/MigrationErrors.csv HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
         Cookie: mf_session={token}\r\nConnection: close\r\n\r\n",
        server.port
    )?;
    let mut reader = BufReader::with_capacity(1 << 16, stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    result.first_byte = start.elapsed();
    anyhow::ensure!(line.contains(" 200 "), "download answered {line}");
    // The head, then the body: chunked when streamed, else Content-Length bytes.
    let mut length = None;
    let mut chunked = false;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        chunked |= lower.starts_with("transfer-encoding:") && lower.contains("chunked");
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let mut newlines = 0u64;
    let mut take = |reader: &mut BufReader<TcpStream>, size: usize, trailer: usize| {
        let mut chunk = vec![0; size + trailer];
        reader.read_exact(&mut chunk)?;
        result.bytes += size as u64;
        // (str's search runs the standard library's optimized code, also in a dev build.)
        newlines += String::from_utf8_lossy(&chunk[..size])
            .matches('\n')
            .count() as u64;
        anyhow::Ok(())
    };
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim(), 16)
                .map_err(|_| anyhow::anyhow!("bad chunk size line {line:?}"))?;
            if size == 0 {
                break;
            }
            take(&mut reader, size, 2)?;
        }
    } else {
        take(&mut reader, length.unwrap_or(0), 0)?;
    }
    result.total = start.elapsed();
    result.rows = newlines.saturating_sub(1);
    result.peak_after_kib = status_kib(server.pid(), "VmHWM:");
    Ok(result)
}

fn wasm_sizes() -> (Option<u64>, Option<u64>) {
    let pkg = workspace_root().join("target/site/pkg");
    let wasm = std::fs::read_dir(&pkg).ok().and_then(|dir| {
        dir.filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "wasm"))
    });
    let Some(wasm) = wasm else {
        return (None, None);
    };
    let raw = std::fs::metadata(&wasm).ok().map(|m| m.len());
    let gzip = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .arg(&wasm)
        .output()
        .ok()
        .map(|o| o.stdout.len() as u64);
    (raw, gzip)
}

pub async fn measure(errors: usize) -> ServerSide {
    let mut side = ServerSide::default();
    let sqlite_dir = tempfile::tempdir().expect("temp dir");
    match time_queries(
        "SQLite",
        format!("sqlite://{}/report.db", sqlite_dir.path().display()),
        errors,
    )
    .await
    {
        Ok(times) => side.queries.extend(times),
        Err(e) => side.notes.push(format!("SQLite queries failed: {e}")),
    }
    match Postgres::start() {
        Ok(pg) => match time_queries("PostgreSQL", pg.url(), errors).await {
            Ok(times) => side.queries.extend(times),
            Err(e) => side.notes.push(format!("PostgreSQL queries failed: {e}")),
        },
        Err(e) => side
            .notes
            .push(format!("PostgreSQL not measured (cannot start one: {e})")),
    }

    // The download from a real server on its own SQLite store, seeded while it runs.
    match MailferryServer::start(&[]) {
        Ok(server) => {
            let url = format!("sqlite://{}/mailferry.db", server.data_dir.path().display());
            let seeded = async {
                let db = mailferry::db::open(&Config {
                    database_url: DatabaseUrl(url),
                    ..Config::default()
                })
                .await?;
                seed_errors(&db, errors).await;
                anyhow::Ok(())
            }
            .await;
            let token = server.sign_in("");
            match (seeded, token) {
                (Ok(()), Ok(token)) => {
                    for _ in 0..2 {
                        match download(&server, &token) {
                            Ok(d) => side.downloads.push(d),
                            Err(e) => side.notes.push(format!("download failed: {e}")),
                        }
                    }
                }
                (Err(e), _) | (_, Err(e)) => {
                    side.notes.push(format!("download not measured: {e}"));
                }
            }
        }
        Err(e) => side
            .notes
            .push(format!("download not measured (server did not start: {e})")),
    }
    (side.wasm_bytes, side.wasm_gzip_bytes) = wasm_sizes();
    side
}
