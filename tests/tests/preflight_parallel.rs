//! The pre-flight checks rows in parallel, within the endpoints' limits, and answers in the
//! rows' order: 8 rows behind a slow source (every chunk held back 100 ms) with 4 connections
//! allowed. The time is printed (8 rows took 12.5 s one by one on the test bed before).

mod common;

use std::time::Instant;

use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{DovecotOptions, Fault, FaultProxy};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_are_checked_in_parallel_within_the_limit_and_in_order() {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    let users: Vec<String> = (0..8).map(|i| format!("pf{i}@example.test")).collect();
    let pairs: Vec<(&str, &str)> = users.iter().map(|u| (u.as_str(), "pw")).collect();
    source.add_users(&pairs).unwrap();
    destination.add_users(&pairs).unwrap();
    for (i, user) in users.iter().enumerate() {
        let spec = MailboxSpec {
            folders: vec![FolderSpec {
                name: "INBOX".into(),
                messages: (0..=i as u64)
                    .map(|m| MessageSpec {
                        bytes: message(700 + m, 2_000, None),
                        flags: vec![],
                        internaldate: None,
                    })
                    .collect(),
            }],
        };
        seed_mailbox(&source, user, &spec).await.unwrap();
    }
    let proxy = FaultProxy::start(([127, 0, 0, 1], source.imap_port()).into())
        .await
        .unwrap();
    proxy.set_fault(Fault::Delay(std::time::Duration::from_millis(100)));
    let dir = tempfile::tempdir().unwrap();
    let mut command = common::migrate_command_via(
        dir.path(),
        (proxy.port(), destination.imap_port()),
        &common::csv_of(&users, "pw"),
    );
    command.args(["--dry-run", "--concurrency", "4"]);
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let text = common::output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    // In the rows' order, each with its own count (row i holds i + 1 messages).
    let mut at = 0;
    for (i, user) in users.iter().enumerate() {
        let line = text[at..]
            .lines()
            .find(|l| l.contains(user.as_str()))
            .unwrap_or_else(|| panic!("{user} after the previous row:\n{text}"));
        assert!(line.contains(&format!(" {} messages", i + 1)), "{line}");
        at += text[at..].find(line).unwrap() + line.len();
    }
    let peak = proxy.peak_open();
    assert!(
        (2..=4).contains(&peak),
        "source connections at once: {peak} (parallel, within the limit of 4)"
    );
    println!(
        "pre-flight of 8 rows behind a 100 ms source: {elapsed:?}, {peak} source connections at once"
    );
}
