//! The console at size, in headless Chromium (end2end/bench/console.mjs): a PostgreSQL store of
//! 20 batches
//! × 5,000 mailboxes (one batch running, 1,000 rows syncing) and MF_CONSOLE_ERRORS errors
//! [1,000,000]; prints the error report's query times (report_queries.rs), time to interactive
//! and bytes of the batch page, the dashboard and the error report, the delay from a database change to the screen, and the server's CPU with 10
//! batch pages open for MF_CONSOLE_CPU_SECS [60] while the 1,000 rows move every second. Asserts
//! nothing (the machines are shared); the figures go to docs/performance.md by hand.
//!
//! Run after `cargo leptos build` (or `--release` with MAILFERRY_BIN=target/release/mailferry):
//!   cargo bench -p mailferry-tests --bench console

#[path = "../../tests/common/mod.rs"]
mod common;
mod report_queries;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mailferry::config::{Config, DatabaseUrl};
use mailferry::endpoints::EndpointRole;
use mailferry::secrets::Cipher;
use mailferry_tests::mailferry_server::{MailferryServer, workspace_root};
use sea_orm::{ConnectionTrait, DatabaseConnection};

const BATCHES: usize = 20;
const ROWS: usize = 5_000;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// 20 batches of 5,000 rows, all synced but the first: running, 1,000 rows syncing.
async fn seed(db: &DatabaseConnection) -> i64 {
    let cipher = Cipher::new(&[6u8; 32]);
    let source = common::endpoint(EndpointRole::Source, 1);
    let destination = common::endpoint(EndpointRole::Destination, 2);
    let mut first = 0;
    for b in 0..BATCHES {
        let csv: String = std::iter::once("EmailAddress,UserName,Password\n".to_string())
            .chain((0..ROWS).map(|r| format!("m{r:04}.b{b:02}@example.test,m{r:04},pw\n")))
            .collect();
        let id = common::stored_batch(db, &cipher, &source, &destination, &csv).await;
        if b == 0 {
            first = id;
        }
    }
    let lease = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    for sql in [
        "UPDATE batches SET state = 'Synced'".to_string(),
        "UPDATE mailboxes SET state = 'Synced', messages_total = 4000, messages_copied = 4000, \
         bytes_copied = 200000000, folders_total = 12, folders_done = 12"
            .to_string(),
        format!("UPDATE batches SET state = 'Syncing' WHERE id = {first}"),
        format!(
            "UPDATE mailboxes SET state = 'Syncing', claimed_by = 'bench', lease_until = '{lease}', \
             messages_copied = row_index, bytes_copied = row_index * 4096 \
             WHERE batch_id = {first} AND row_index % 5 = 0"
        ),
    ] {
        db.execute_unprepared(&sql).await.expect("seeding");
    }
    first
}

/// The server's CPU time so far (user + system), from /proc.
fn cpu_of(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i)?.parse::<u64>().ok())
        .sum();
    // SAFETY: sysconf only reads a configuration value.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_millis(ticks * 1000 / per_sec)
}

/// Every second, 1,000 syncing rows move (as a running batch writes them), until stopped.
fn churn(db: DatabaseConnection, batch: i64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let sql = format!(
                "UPDATE mailboxes SET messages_copied = messages_copied + 1, \
                 bytes_copied = bytes_copied + 4096 WHERE batch_id = {batch} AND state = 'Syncing'"
            );
            let _ = db.execute_unprepared(&sql).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

#[tokio::main]
async fn main() {
    // PostgreSQL: the bench writes from its own process, as another Mailferry process would,
    // and NOTIFY tells the web process (SQLite's hook sees only its own process's writes).
    let pg = mailferry_tests::Postgres::start().expect("a throwaway PostgreSQL");
    let url = pg.url();
    let server = MailferryServer::start(&[("MAILFERRY_DATABASE_URL", url.as_str())])
        .expect("the server starts (cargo leptos build)");
    let db = mailferry::db::open(&Config {
        database_url: DatabaseUrl(url),
        ..Config::default()
    })
    .await
    .expect("the server's store");
    let started = Instant::now();
    let batch = seed(&db).await;
    let errors = env_or("MF_CONSOLE_ERRORS", 1_000_000) as usize;
    let (error_batches, _) = common::seeded_errors::seed_errors(&db, errors).await;
    println!(
        "seeded {BATCHES} × {ROWS} rows and {errors} errors in {:.0?}",
        started.elapsed()
    );
    report_queries::figures(&db, &error_batches).await;
    let handle = tokio::runtime::Handle::current();
    let mut child = Command::new("node")
        .arg(workspace_root().join("end2end/bench/console.mjs"))
        .env("MAILFERRY_URL", server.url())
        .env("MAILFERRY_ADMIN_PASSWORD", &server.admin_password)
        .env("MAILFERRY_BATCH", batch.to_string())
        .env("MAILFERRY_ERROR_BATCH", error_batches[0].to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs (scripts/install-deps.sh test installs it)");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let (mut churning, mut cpu_from) = (None, (Instant::now(), Duration::ZERO));
    for line in stdout.lines() {
        let line = line.expect("node's output");
        println!("{line}");
        let Some(request) = line.strip_prefix("@@harness ") else {
            continue;
        };
        match request.split_once(' ').unwrap_or((request, "")) {
            ("fail", email) => {
                let sql = format!(
                    "UPDATE mailboxes SET state = 'Failed', error_kind = 'source_sign_in_failed' \
                     WHERE email_address = '{}'",
                    email.replace('\'', "")
                );
                tokio::task::block_in_place(|| handle.block_on(db.execute_unprepared(&sql)))
                    .expect("a change");
            }
            ("churn-start", _) => {
                churning = Some(churn(db.clone(), batch));
                cpu_from = (Instant::now(), cpu_of(server.pid()));
            }
            ("churn-stop", _) => {
                let cpu = cpu_of(server.pid()) - cpu_from.1;
                let wall = cpu_from.0.elapsed();
                if let Some(task) = churning.take() {
                    task.abort();
                }
                println!(
                    "figure: server CPU with 10 batch pages open for {:.0?} while 1,000 rows move \
                     every second: {:.1} % of a core ({:.2?} CPU)",
                    wall,
                    cpu.as_secs_f64() / wall.as_secs_f64() * 100.0,
                    cpu
                );
            }
            (other, _) => panic!("unknown request {other}"),
        }
        writeln!(stdin, "done").expect("answering node");
    }
    let status = child.wait().expect("node ends");
    assert!(status.success(), "the console bench failed");
}
