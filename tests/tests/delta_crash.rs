//! Crash safety of a delta pass: `migrate --sync-again` killed (SIGKILL) just after it sent the
//! destination its first flag change, its first expunge, or its first new message, then run
//! again: the destination equals the source — messages, flags, deletions — with nothing twice.

mod common;

use std::process::Stdio;
use std::time::Duration;

use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{DovecotOptions, Fault, FaultProxy, TestSession};

const USER: &str = "dora@example.test";
const FOLDERS: [&str; 2] = ["INBOX", "Archive"];

fn mail(seeds: std::ops::Range<u64>, folders: &[&str]) -> MailboxSpec {
    MailboxSpec {
        folders: folders
            .iter()
            .enumerate()
            .map(|(f, name)| FolderSpec {
                name: name.to_string(),
                messages: seeds
                    .clone()
                    .map(|i| MessageSpec {
                        bytes: message(f as u64 * 100_000 + i, 4_000, None),
                        flags: vec![],
                        internaldate: None,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Round `round` of the users' work: 40 messages re-flagged and 8 expunged per folder, 30 new.
async fn users_work(source: &mailferry_tests::Dovecot, round: u64) {
    let mut session = TestSession::master(source.imap_port(), USER).await.unwrap();
    for folder in FOLDERS {
        let first = 1 + round * 50;
        for command in [
            format!("SELECT {folder}"),
            format!(
                "UID STORE {first}:{} +FLAGS ($Round{round} \\Seen)",
                first + 39
            ),
            format!("UID STORE {}:{} +FLAGS (\\Deleted)", first + 40, first + 47),
            "EXPUNGE".to_string(),
        ] {
            session.command(&command, |_, _| Ok(())).await.unwrap();
        }
    }
    let seeds = 1_000 + round * 100..1_030 + round * 100;
    seed_mailbox(source, USER, &mail(seeds, &FOLDERS))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delta_killed_anywhere_and_run_again_leaves_the_destination_equal() {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    source.add_user(USER, "pw").unwrap();
    destination.add_user(USER, "x").unwrap();
    seed_mailbox(&source, USER, &mail(0..300, &FOLDERS))
        .await
        .unwrap();
    let proxy = FaultProxy::start(([127, 0, 0, 1], destination.imap_port()).into())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = format!("EmailAddress,UserName,Password\n{USER},{USER},pw\n");
    let command = || {
        let ports = (source.imap_port(), proxy.port());
        let mut command = common::migrate_command_via(dir.path(), ports, &csv);
        command
            .arg("--sync-again")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };
    assert!(command().status().unwrap().success(), "the first pass");
    for (round, trigger) in ["UID STORE", "UID EXPUNGE", "APPEND"]
        .into_iter()
        .enumerate()
    {
        users_work(&source, round as u64).await;
        proxy.take_sent();
        proxy.set_fault(Fault::Delay(Duration::from_millis(30)));
        let mut delta = command().spawn().unwrap();
        let mut sent = String::new();
        common::wait_for(60, trigger, || {
            sent.push_str(&proxy.take_sent());
            let seen = sent.contains(trigger);
            async move { seen.then_some(()) }
        })
        .await;
        delta.kill().unwrap();
        delta.wait().unwrap();
        proxy.set_fault(Fault::None);
        assert!(
            command().status().unwrap().success(),
            "the rerun after {trigger}"
        );
        common::assert_same_messages(&source, &destination, USER, &FOLDERS).await;
    }
}
