//! Mailferry between different real servers (Dovecot→Dovecot, Cyrus→Dovecot, Dovecot→Cyrus,
//! Courier→Dovecot): `mailferry migrate` first copy and no-op rerun of the same corpus per pair,
//! each destination counted folder by folder. Prints the figures and writes them into
//! docs/performance.md between the `pairs` markers; asserts nothing (shared, noisy machines).
//!
//! Run: `bash scripts/bench.sh` (release binary), or after `cargo leptos build`:
//!   cargo bench -p mailferry-tests --bench pairs
//! Environment: MAILFERRY_BIN [target/debug/mailferry], MF_BENCH_USERS [2],
//! MF_BENCH_MESSAGES [1000] per user, MF_BENCH_OUT [docs/performance.md; "-" writes nothing].

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use mailferry_tests::mailferry_server::mailferry_binary;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{
    AnyServer, CYRUS_ADMIN, CYRUS_ADMIN_PASSWORD, MASTER_PASSWORD, MASTER_USER, ServerKind,
    TestServer,
};

const PAIRS: [(ServerKind, ServerKind); 4] = [
    (ServerKind::Dovecot, ServerKind::Dovecot),
    (ServerKind::Cyrus, ServerKind::Dovecot),
    (ServerKind::Dovecot, ServerKind::Cyrus),
    (ServerKind::Courier, ServerKind::Dovecot),
];
const FOLDERS: [&str; 3] = ["INBOX", "Sent", "Archive/2020"];
const START: &str = "<!-- pairs:start -->";
const END: &str = "<!-- pairs:end -->";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One user's corpus: `n` messages of 2–20 KB over three folders.
fn corpus(n: usize, user_index: usize) -> MailboxSpec {
    let folders = FOLDERS
        .iter()
        .enumerate()
        .map(|(f, name)| FolderSpec {
            name: (*name).into(),
            messages: (0..n / FOLDERS.len())
                .map(|i| {
                    let seed = (user_index * 1_000_000 + f * 100_000 + i) as u64;
                    MessageSpec {
                        bytes: message(seed, 2_000 + (i * 7_919) % 18_000, None),
                        flags: if i % 3 == 0 {
                            vec!["\\Seen".into()]
                        } else {
                            vec![]
                        },
                        internaldate: None,
                    }
                })
                .collect(),
        })
        .collect();
    MailboxSpec { folders }
}

/// `mailferry migrate` of `users` from `source` to `destination`; its wall time in seconds.
fn migrate(dir: &Path, source: &AnyServer, destination: &AnyServer, users: &[String]) -> f64 {
    let csv = dir.join("users.csv");
    let rows: String = users.iter().map(|u| format!("{u},{u},pw\n")).collect();
    std::fs::write(&csv, format!("EmailAddress,UserName,Password\n{rows}")).unwrap();
    let (admin, password) = match destination.kind() {
        ServerKind::Cyrus => (CYRUS_ADMIN, CYRUS_ADMIN_PASSWORD),
        _ => (MASTER_USER, MASTER_PASSWORD),
    };
    let password_file = dir.join("admin.pw");
    std::fs::write(&password_file, format!("{password}\n")).unwrap();
    let started = Instant::now();
    let status = Command::new(mailferry_binary().unwrap())
        .arg("migrate")
        .arg("--csv")
        .arg(&csv)
        .args([
            "--source",
            &format!("imap://127.0.0.1:{}", source.imap_port()),
        ])
        .args([
            "--source-security",
            "none",
            "--destination-security",
            "none",
        ])
        .args([
            "--destination",
            &format!("imap://127.0.0.1:{}", destination.imap_port()),
        ])
        .args([
            "--destination-admin",
            admin,
            "--destination-admin-password-file",
        ])
        .arg(&password_file)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["--concurrency", &users.len().to_string(), "--sync-again"])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(status.success(), "mailferry migrate failed: {status}");
    seconds
}

/// Whether every folder of every user holds as many messages on both sides.
async fn counted(source: &AnyServer, destination: &AnyServer, users: &[String]) -> String {
    let mut missing = 0i64;
    for user in users {
        let mut src = source.session_for(user).await.unwrap();
        let mut dst = destination.session_for(user).await.unwrap();
        for folder in FOLDERS {
            let a = src
                .fetch_all(&source.folder_name(folder))
                .await
                .unwrap()
                .len();
            let b = dst
                .fetch_all(&destination.folder_name(folder))
                .await
                .unwrap()
                .len();
            missing += a as i64 - b as i64;
        }
    }
    if missing == 0 {
        "complete".into()
    } else {
        format!("{missing} messages differ")
    }
}

async fn run_pair(source_kind: ServerKind, destination_kind: ServerKind, n: usize) -> String {
    let users: Vec<String> = (0..env_number("MF_BENCH_USERS", 2))
        .map(|i| format!("u{i}@example.test"))
        .collect();
    let mut source = AnyServer::start(source_kind, "source", false).unwrap();
    let mut destination = AnyServer::start(destination_kind, "destination", false).unwrap();
    for (i, user) in users.iter().enumerate() {
        source.add_user(user, "pw").unwrap();
        destination.add_user(user, "pw").unwrap();
        seed_mailbox(&source, user, &corpus(n, i)).await.unwrap();
    }
    let messages = users.len() * (n / FOLDERS.len()) * FOLDERS.len();
    let dir = tempfile::tempdir().unwrap();
    let first = migrate(dir.path(), &source, &destination, &users);
    let rerun = migrate(dir.path(), &source, &destination, &users);
    let verdict = counted(&source, &destination, &users).await;
    let line = format!(
        "| {source_kind:?} → {destination_kind:?} | {messages} | {first:.2} s | {:.0} | {rerun:.2} s | {verdict} |",
        messages as f64 / first
    );
    println!("{line}");
    line
}

fn write_section(path: &Path, section: &str) -> std::io::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{START}\n{}\n{END}", section.trim_end());
    let text = match (old.find(START), old.find(END)) {
        (Some(a), Some(b)) if a < b => format!("{}{block}{}", &old[..a], &old[b + END.len()..]),
        _ => format!("{}\n\n### Between servers\n\n{block}\n", old.trim_end()),
    };
    std::fs::write(path, text)
}

#[tokio::main]
async fn main() {
    let n = env_number("MF_BENCH_MESSAGES", 1000);
    let binary = mailferry_binary().unwrap();
    let mut lines = vec![
        format!(
            "Generated by the `pairs` bench on {} with `{}`: {} users × {n} messages (2–20 KB, \
             three folders) per pair, `migrate --concurrency` = users, then the same command \
             again (no-op rerun); every folder counted on both sides. The servers run with the \
             test bed's settings (loopback, plain IMAP; Dovecot without fsync, \
             Cyrus under eatmydata, Courier as packaged).\n",
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
            binary
                .strip_prefix(mailferry_tests::mailferry_server::workspace_root())
                .unwrap_or(&binary)
                .display(),
            env_number("MF_BENCH_USERS", 2),
        ),
        "| pair | messages | first copy | messages/s | no-op rerun | destination |".into(),
        "|---|---|---|---|---|---|".into(),
    ];
    for (source, destination) in PAIRS {
        lines.push(run_pair(source, destination, n).await);
    }
    let section = lines.join("\n");
    let out = std::env::var("MF_BENCH_OUT").unwrap_or_else(|_| "docs/performance.md".into());
    if out != "-" {
        let path = mailferry_tests::mailferry_server::workspace_root().join(out);
        write_section(&path, &section).expect("writing the report");
        println!("Written to {}", path.display());
    }
}
