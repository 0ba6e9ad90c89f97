//! The staged migration from the command line: `migrate --incremental-interval` keeps its batch
//! Synced and runs the deltas on schedule; `batch complete` from another shell runs the final
//! pass and the command ends; `batch sync-now` refuses a completed batch.

mod common;

use std::process::{Command, Stdio};

use mailferry_tests::mailferry_server::mailferry_binary;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{DovecotOptions, TestSession};

fn inbox(seeds: std::ops::Range<u64>) -> MailboxSpec {
    MailboxSpec {
        folders: vec![FolderSpec {
            name: "INBOX".into(),
            messages: seeds
                .map(|i| MessageSpec {
                    bytes: message(700 + i, 2_000, None),
                    flags: vec![],
                    internaldate: None,
                })
                .collect(),
        }],
    }
}

/// The command this test started, ended by its PID if the test fails first.
struct Started(std::process::Child);

impl Drop for Started {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_with_an_interval_syncs_until_the_batch_is_completed() {
    const USER: &str = "jane@example.test";
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    source.add_user(USER, "pw").unwrap();
    destination.add_user(USER, "x").unwrap();
    seed_mailbox(&source, USER, &inbox(0..5)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("migrate.out");
    let csv = format!("EmailAddress,UserName,Password\n{USER},{USER},pw\n");
    let mut child = Started(
        common::migrate_command(dir.path(), &source, &destination, &csv)
            .args(["--incremental-interval", "1s"])
            .env("MAILFERRY_MIN_INCREMENTAL_SYNC_SECS", "1")
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let output = || std::fs::read_to_string(&out_path).unwrap_or_default();
    common::wait_for(60, "the first pass, then the wait", || async {
        output().contains("next delta sync").then_some(())
    })
    .await;
    assert!(output().contains("Synced"), "{}", output());

    // New mail on the source reaches the destination by the schedule alone.
    seed_mailbox(&source, USER, &inbox(5..7)).await.unwrap();
    let destination_port = destination.imap_port();
    common::wait_for(60, "the delta sync", || async move {
        let mut session = TestSession::master(destination_port, USER).await.ok()?;
        (session.fetch_all("INBOX").await.ok()?.len() == 7).then_some(())
    })
    .await;

    let batch = |action: &str| {
        Command::new(mailferry_binary().unwrap())
            .args(["batch", action, "1"])
            .args(["--data-dir", dir.path().join("data").to_str().unwrap()])
            .output()
            .unwrap()
    };
    let completed = batch("complete");
    assert!(
        completed.status.success(),
        "{}",
        common::output_text(&completed)
    );
    let code = common::wait_for(60, "the command to end", || {
        let status = child.0.try_wait().unwrap();
        async move { status }
    })
    .await;
    assert_eq!(code.code(), Some(0), "{}", output());
    assert!(output().contains("batch 1: Completed"), "{}", output());
    common::assert_same_messages(&source, &destination, USER, &["INBOX"]).await;
    let refused = batch("sync-now");
    assert!(!refused.status.success());
    assert!(
        common::output_text(&refused).contains("is Completed"),
        "{}",
        common::output_text(&refused)
    );

    batch_create_keeps_its_schedule(dir.path()).await;
}

/// `batch create` for the workers of `serve` (endpoints 1 and 2 stored by the `migrate` before):
/// the schedule stored, a too short interval refused.
async fn batch_create_keeps_its_schedule(dir: &std::path::Path) {
    let create = |interval: &str| {
        Command::new(mailferry_binary().unwrap())
            .args(["batch", "create", "--source", "1", "--destination", "2"])
            .args(["--csv", dir.join("users.csv").to_str().unwrap()])
            .args([
                "--start-after",
                "2030-01-04T22:00",
                "--incremental-interval",
                interval,
            ])
            .args(["--data-dir", dir.join("data").to_str().unwrap()])
            .output()
            .unwrap()
    };
    let too_often = create("1m");
    assert!(!too_often.status.success());
    assert!(common::output_text(&too_often).contains("at least 300 s"));
    let created = create("30m");
    let text = common::output_text(&created);
    assert!(text.contains("batch 2 created with 1 mailboxes"), "{text}");
    let db = sea_orm::Database::connect(format!(
        "sqlite://{}?mode=ro",
        dir.join("data/mailferry.db").display()
    ))
    .await
    .unwrap();
    let stored = mailferry::db::entity::batch::find(&db, 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.state, app::model::batch::BatchState::Created);
    assert_eq!(
        stored.start_after.map(|t| t.to_rfc3339()),
        Some("2030-01-04T22:00:00+00:00".into())
    );
    assert_eq!(stored.options.incremental_sync_secs, 1800);
}
