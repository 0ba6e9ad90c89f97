//! Mailferry against Dovecot's own migration (`doveadm backup` via imapc) and mbsync on one
//! seeded corpus, alternating, plus the web app's server-side figures. Prints every figure and
//! writes `docs/performance.md`; asserts nothing (the machines are shared and noisy), but every
//! destination is verified message by message and the verdict is printed beside the time.
//!
//! Run: `bash scripts/bench.sh` (release build first), or after any `cargo leptos build`:
//!   cargo bench -p mailferry-tests --bench performance
//! Environment (defaults in brackets): MF_BENCH_USERS [4], MF_BENCH_MESSAGES [2500] per user,
//! MF_BENCH_SEED [1], MF_BENCH_ROUNDS [3], MF_BENCH_BIG_USERS [8] (the run with 20 MB messages;
//! 0 skips it), MF_BENCH_FSYNC [never] (the destination's mail_fsync: never or optimized),
//! MF_BENCH_ERRORS [100000], MF_BENCH_TOOLS [mailferry,doveadm,mbsync],
//! MF_BENCH_OUT [docs/performance.md; "-" writes nothing], MF_BENCH_PERF [unset; a file name
//! profiles Mailferry's first copies with `perf record -a -g`], MF_BENCH_DELTA [1; 0 skips the
//! staged migration's delta, `only` runs it alone and prints its section without writing].

#[path = "../../tests/common/mod.rs"]
mod common;

mod corpus;
mod delta;
mod machine;
mod measure;
mod report;
mod server_side;
mod settings;
mod tools;
mod verify;

use std::time::Instant;

use mailferry_tests::{Dovecot, DovecotOptions};

use corpus::{Seeded, Shape};
use measure::Servers;
use report::{Results, ToolRun};
use settings::{DeltaMode, Settings};
use tools::{Migration, Tool};
use verify::{MailboxDigest, Verdict};

async fn seed(source: &Dovecot, users: &[String], shape: Shape, first_index: usize) -> Seeded {
    let seeded = futures::future::join_all(users.iter().enumerate().map(|(i, user)| {
        let planned = corpus::plan(shape, first_index + i);
        async move { corpus::seed_user(source, user, &planned).await }
    }))
    .await;
    seeded.into_iter().fold(Seeded::default(), |total, s| {
        let s = s.expect("seeding the source");
        Seeded {
            messages: total.messages + s.messages,
            bytes: total.bytes + s.bytes,
        }
    })
}

async fn read_all(dovecot: &Dovecot, users: &[String]) -> anyhow::Result<Vec<MailboxDigest>> {
    futures::future::join_all(users.iter().map(|u| verify::read_mailbox(dovecot, u)))
        .await
        .into_iter()
        .collect()
}

async fn verdict(
    destination: &Dovecot,
    users: &[String],
    source: &[MailboxDigest],
) -> Result<Verdict, String> {
    let copies = read_all(destination, users)
        .await
        .map_err(|e| format!("cannot read the destination: {e}"))?;
    let mut total = Verdict::default();
    for (s, d) in source.iter().zip(&copies) {
        total.add(&verify::compare(s, d));
    }
    Ok(total)
}

/// An empty destination Dovecot with the users, and a work folder for the tool's state and logs.
fn empty_destination(
    name: &str,
    settings: &Settings,
    users: &[String],
) -> (Dovecot, tempfile::TempDir) {
    let mut destination = Dovecot::start(DovecotOptions {
        name,
        fsync: settings.fsync,
        ..Default::default()
    })
    .expect("destination Dovecot starts");
    destination
        .add_users(&users.iter().map(|u| (u.as_str(), "x")).collect::<Vec<_>>())
        .expect("destination users");
    (destination, tempfile::tempdir().expect("work dir"))
}

/// The log folder `name` of one run, in `work`.
fn log_dir(work: &std::path::Path, name: &str) -> std::path::PathBuf {
    let dir = work.join(name);
    std::fs::create_dir_all(&dir).expect("log dir");
    dir
}

/// One tool: an empty destination, the first copy, its verdict, the no-op rerun, its verdict.
/// The destination is kept (in `kept`) until the benchmark ends: deleting 10,000 files just
/// before the next run made ext4 slow to create the next tool's files (its inode allocator
/// skips recently deleted inodes), which penalized whichever tool came next.
async fn run_tool(
    tool: Tool,
    source: &Dovecot,
    users: &[String],
    source_digests: &[MailboxDigest],
    settings: &Settings,
    kept: &mut Vec<(Dovecot, tempfile::TempDir)>,
) -> ToolRun {
    let (destination, work) = empty_destination("bench-destination", settings, users);
    let migration = Migration {
        tool,
        source,
        destination: &destination,
        users,
        work: work.path(),
    };
    let servers = Servers::of(source, &destination);
    let logs = |name: &str| log_dir(work.path(), name);
    println!(
        "  {} — first copy of {} mailboxes…",
        tool.name(),
        users.len()
    );
    let first = measure::run(migration.commands(false), &logs("first"), &servers);
    let first_verdict = verdict(&destination, users, source_digests).await;
    println!(
        "    {:.2} s, {}",
        first.wall.as_secs_f64(),
        report::verdict_text(&first_verdict)
    );
    if let Some(failure) = &first.failure {
        println!("    a process failed: {failure}");
    }
    let rerun = measure::run(migration.commands(true), &logs("rerun"), &servers);
    let rerun_verdict = verdict(&destination, users, source_digests).await;
    println!(
        "    no-op rerun {:.2} s, {}",
        rerun.wall.as_secs_f64(),
        report::verdict_text(&rerun_verdict)
    );
    kept.push((destination, work));
    ToolRun {
        tool,
        first,
        first_verdict,
        rerun,
        rerun_verdict,
    }
}

/// The tools that are installed (a missing one is skipped, with the reason).
fn available_tools(settings: &Settings) -> Vec<Tool> {
    settings
        .tools
        .iter()
        .copied()
        .filter(|tool| match tool.program() {
            Ok(_) => true,
            Err(why) => {
                println!("{} skipped: {why}", tool.name());
                false
            }
        })
        .collect()
}

/// The source Dovecot with the corpus users and the big-message users.
fn source_with_users(settings: &Settings) -> (Dovecot, Vec<String>, Vec<String>) {
    let mut source = Dovecot::start(DovecotOptions {
        name: "bench-source",
        ..Default::default()
    })
    .expect("source Dovecot starts");
    let users: Vec<String> = (0..settings.users)
        .map(|i| format!("user{i:02}@corpus.test"))
        .collect();
    let big_users: Vec<String> = (0..settings.big_users)
        .map(|i| format!("big{i:02}@corpus.test"))
        .collect();
    source
        .add_users(
            &users
                .iter()
                .chain(&big_users)
                .map(|u| (u.as_str(), "pw"))
                .collect::<Vec<_>>(),
        )
        .expect("source users");
    (source, users, big_users)
}

/// Many mailboxes at once with 20 MB messages: the corpus and each tool's run.
async fn big_message_runs(
    source: &Dovecot,
    big_users: &[String],
    tools: &[Tool],
    settings: &Settings,
    kept: &mut Vec<(Dovecot, tempfile::TempDir)>,
) -> (Seeded, Vec<ToolRun>) {
    let mut big_runs = Vec::new();
    if big_users.is_empty() {
        return (Seeded::default(), big_runs);
    }
    let shape = Shape {
        messages_per_user: 120,
        huge_every: Some((40, 20_000_000)),
        ..settings.shape()
    };
    let big_corpus = seed(source, big_users, shape, 100).await;
    println!(
        "Seeded {} users with 20 MB messages: {} messages, {:.2} GB",
        big_users.len(),
        big_corpus.messages,
        big_corpus.bytes as f64 / 1e9
    );
    let digests = read_all(source, big_users)
        .await
        .expect("reading the source");
    println!(
        "{} mailboxes at once, 20 MB messages included",
        big_users.len()
    );
    for &tool in tools {
        big_runs.push(run_tool(tool, source, big_users, &digests, settings, kept).await);
    }
    (big_corpus, big_runs)
}

/// The delta of every tool, then Mailferry's no-op delta from a source without CONDSTORE.
async fn delta_runs(
    tools: &[Tool],
    settings: &Settings,
    users: &[String],
    kept: &mut Vec<(Dovecot, tempfile::TempDir)>,
) -> Vec<delta::DeltaRun> {
    let mut runs = Vec::new();
    for &tool in tools {
        println!("Delta: {}", tool.name());
        runs.push(delta::delta_run(tool, settings, users, false, kept).await);
    }
    if tools.contains(&Tool::Mailferry) {
        println!("Delta: Mailferry, source without CONDSTORE/QRESYNC");
        runs.push(delta::delta_run(Tool::Mailferry, settings, users, true, kept).await);
    }
    runs
}

#[tokio::main]
async fn main() {
    let settings = Settings::from_env();
    let tools = available_tools(&settings);
    if settings.delta == DeltaMode::Only {
        let users: Vec<String> = (0..settings.users)
            .map(|i| format!("user{i:02}@corpus.test"))
            .collect();
        let runs = delta_runs(&tools, &settings, &users, &mut Vec::new()).await;
        println!("\n{}", delta::markdown(&settings, &runs));
        return;
    }
    let (source, users, big_users) = source_with_users(&settings);
    let started = Instant::now();
    let corpus = seed(&source, &users, settings.shape(), 0).await;
    println!(
        "Seeded {} users: {} messages, {:.2} GB in {:.1} s",
        users.len(),
        corpus.messages,
        corpus.bytes as f64 / 1e9,
        started.elapsed().as_secs_f64()
    );
    let source_digests = read_all(&source, &users).await.expect("reading the source");

    let mut runs = Vec::new();
    let mut kept = Vec::new();
    for round in 0..settings.rounds {
        println!("Round {} of {}", round + 1, settings.rounds);
        let mut order = tools.clone();
        order.rotate_left(round % tools.len().max(1));
        for tool in order {
            runs.push(run_tool(tool, &source, &users, &source_digests, &settings, &mut kept).await);
        }
    }
    let (big_corpus, big_runs) =
        big_message_runs(&source, &big_users, &tools, &settings, &mut kept).await;

    let deltas = match settings.delta {
        DeltaMode::Skip => Vec::new(),
        _ => delta_runs(&tools, &settings, &users, &mut kept).await,
    };
    drop(kept);
    println!("Server side: {} errors", settings.errors);
    let server = server_side::measure(settings.errors).await;
    let results = Results {
        settings,
        tools,
        corpus,
        big_corpus,
        runs,
        big_runs,
        server,
    };
    let mut text = results.markdown();
    if !deltas.is_empty() {
        text.push_str(&delta::markdown(&results.settings, &deltas));
    }
    println!("\n{text}");
    if let Some(path) = &results.settings.out {
        report::write_keeping_notes(path, &text).expect("writing the report");
        println!("Written to {}", path.display());
    }
}
