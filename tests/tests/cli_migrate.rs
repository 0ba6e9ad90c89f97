//! `mailferry migrate` end to end: the real binary, a CSV with good and failing rows, two real
//! Dovecot servers, MigrationErrors.csv, exit codes, "already migrated" and "sync again" (which
//! carries what changed on the source: flags and deletions).

mod common;

use std::path::Path;

use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Dovecot, DovecotOptions, MASTER_PASSWORD, TestSession};
use sea_orm::EntityTrait;

fn migrate(
    dir: &Path,
    source: &Dovecot,
    destination: &Dovecot,
    csv: &str,
    extra: &[&str],
) -> (i32, String) {
    let output = common::migrate_command(dir, source, destination, csv)
        .args(extra)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        common::output_text(&output),
    )
}

fn mailbox(seed: u64, count: u64) -> MailboxSpec {
    MailboxSpec {
        folders: vec![
            FolderSpec {
                name: "INBOX".into(),
                messages: (0..count)
                    .map(|i| MessageSpec {
                        bytes: message(seed * 100 + i, 3_000, None),
                        flags: vec!["\\Seen".into()],
                        internaldate: None,
                    })
                    .collect(),
            },
            FolderSpec {
                name: "Sent".into(),
                messages: vec![MessageSpec {
                    bytes: message(seed * 100 + 99, 2_000, None),
                    flags: vec![],
                    internaldate: None,
                }],
            },
        ],
    }
}

/// The first run's exit code and terminal output: jane synced, the batch with errors, no
/// password anywhere.
fn assert_first_run(code: i32, out: &str) {
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("jane@example.test") && out.contains("Synced"),
        "{out}"
    );
    assert!(out.contains("CompletedWithErrors"), "{out}");
    for secret in [
        "pw-jane-1",
        "Wrong-Secret-77",
        "pw-carol-1",
        MASTER_PASSWORD,
    ] {
        assert!(
            !out.contains(secret),
            "a password reached the terminal: {out}"
        );
    }
}

/// MigrationErrors.csv of the first run: Exchange's columns and Mailferry's, a row per failed
/// mailbox with its kind and solution, no password.
fn assert_errors_csv(path: &Path) {
    let report = std::fs::read_to_string(path).unwrap();
    let mut reader = csv::Reader::from_reader(report.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "RowIndex",
            "EmailAddress",
            "ErrorMessage",
            "ErrorKind",
            "SuggestedSolution",
            "Folder",
            "Time"
        ]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let kinds: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[3].as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("2", "bob@example.test", "source_sign_in_failed"),
            ("3", "carol@example.test", "destination_mailbox_not_found")
        ],
        "{report}"
    );
    assert!(rows[0][4].contains("UserName and Password"), "{report}");
    assert!(!report.contains("Wrong-Secret-77") && !report.contains("pw-carol-1"));
}

/// A source (`.` as separator) with jane, bob and carol; a destination (with quota) with jane
/// and bob only.
async fn servers() -> (Dovecot, Dovecot) {
    let mut source = Dovecot::start(DovecotOptions {
        name: "source",
        separator: '.',
        ..Default::default()
    })
    .unwrap();
    let mut destination = Dovecot::start(DovecotOptions {
        name: "destination",
        quota: true,
        ..Default::default()
    })
    .unwrap();
    for (user, pw) in [
        ("jane@example.test", "pw-jane-1"),
        ("bob@example.test", "pw-bob-1"),
        ("carol@example.test", "pw-carol-1"),
    ] {
        source.add_user(user, pw).unwrap();
    }
    destination.add_user("jane@example.test", "x").unwrap();
    destination.add_user("bob@example.test", "x").unwrap();
    seed_mailbox(&source, "jane@example.test", &mailbox(1, 5))
        .await
        .unwrap();
    seed_mailbox(&source, "carol@example.test", &mailbox(2, 2))
        .await
        .unwrap();
    (source, destination)
}

/// Jane reads on the source after the first pass: two messages back to unread, one flagged,
/// the last one deleted.
async fn change_janes_inbox(source: &Dovecot) {
    let mut src = TestSession::master(source.imap_port(), "jane@example.test")
        .await
        .unwrap();
    for command in [
        "SELECT INBOX",
        "UID STORE 1:2 -FLAGS (\\Seen)",
        "UID STORE 3 +FLAGS (\\Flagged)",
        "UID STORE 5 +FLAGS (\\Deleted)",
        "EXPUNGE",
    ] {
        src.command(command, |_, _| Ok(())).await.unwrap();
    }
}

/// The destination's INBOX holds what the source's does, with the same flags, once.
async fn assert_same_inbox(source: &Dovecot, dst: &mut TestSession) {
    let mut src = TestSession::master(source.imap_port(), "jane@example.test")
        .await
        .unwrap();
    let flags = |messages: Vec<mailferry_tests::FetchedMessage>| -> Vec<Vec<String>> {
        messages
            .into_iter()
            .map(|m| {
                let mut f: Vec<String> = m.flags.into_iter().filter(|f| f != "\\Recent").collect();
                f.sort();
                f
            })
            .collect()
    };
    let expected = flags(src.fetch_all("INBOX").await.unwrap());
    assert_eq!(expected.len(), 4);
    assert_eq!(flags(dst.fetch_all("INBOX").await.unwrap()), expected);
}

/// The sync-again batch's MigrationStatistics.csv says what the pass carried for jane: three
/// messages' flags, one deletion, and when it last ended well.
async fn assert_pass_statistics(dir: &Path) {
    let db = common::database(format!("sqlite://{}/data/mailferry.db", dir.display())).await;
    let jane = mailferry::db::entity::mailbox::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.email_address == "jane@example.test")
        .max_by_key(|m| m.id)
        .unwrap();
    let csv = mailferry::report::export::write_statistics_csv(&db, jane.batch_id, Vec::new())
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let row: Vec<String> = reader
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    let column = |name: &str| row[header.iter().position(|h| h == name).unwrap()].clone();
    assert_eq!(column("EmailAddress"), "jane@example.test");
    assert_eq!(
        (column("FlagsUpdated"), column("DeletionsApplied")),
        ("3".into(), "1".into())
    );
    assert!(!column("LastSuccessfulSync").is_empty(), "{row:?}");
}

#[tokio::test]
async fn a_csv_batch_reports_failures_by_row_and_exits_2() {
    let (source, mut destination) = servers().await;
    let dir = tempfile::tempdir().unwrap();
    let errors = dir.path().join("MigrationErrors.csv");
    let csv = "EmailAddress,UserName,Password\r\n\
               jane@example.test,jane@example.test,pw-jane-1\r\n\
               bob@example.test,bob@example.test,Wrong-Secret-77\r\n\
               carol@example.test,carol@example.test,pw-carol-1\r\n";

    let (code, out) = migrate(
        dir.path(),
        &source,
        &destination,
        csv,
        &["--errors-csv", errors.to_str().unwrap()],
    );
    assert_first_run(code, &out);
    assert_errors_csv(&errors);

    let mut dst = TestSession::master(destination.imap_port(), "jane@example.test")
        .await
        .unwrap();
    assert_eq!(dst.fetch_all("INBOX").await.unwrap().len(), 5);
    assert_eq!(dst.fetch_all("Sent").await.unwrap().len(), 1);

    // The completed mailbox is refused in a later batch unless it is synced again.
    let jane_only =
        "EmailAddress,UserName,Password\njane@example.test,jane@example.test,pw-jane-1\n";
    let (code, out) = migrate(dir.path(), &source, &destination, jane_only, &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("Mailbox already migrated"), "{out}");
    change_janes_inbox(&source).await;
    let (code, out) = migrate(
        dir.path(),
        &source,
        &destination,
        jane_only,
        &["--sync-again"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" 0 messages"), "nothing new to copy: {out}");
    assert_same_inbox(&source, &mut dst).await;
    assert_pass_statistics(dir.path()).await;

    // Fixed rows in a new batch: bob's password corrected, carol's mailbox created.
    destination.add_user("carol@example.test", "x").unwrap();
    let fixed = "EmailAddress,UserName,Password\nbob@example.test,bob@example.test,pw-bob-1\ncarol@example.test,carol@example.test,pw-carol-1\n";
    let (code, out) = migrate(dir.path(), &source, &destination, fixed, &[]);
    assert_eq!(code, 0, "{out}");
    let mut carol = TestSession::master(destination.imap_port(), "carol@example.test")
        .await
        .unwrap();
    assert_eq!(carol.fetch_all("INBOX").await.unwrap().len(), 2);
}

#[test]
fn a_broken_csv_is_refused_with_row_and_column_and_exit_1() {
    let source = Dovecot::start(DovecotOptions::default()).unwrap();
    let destination = Dovecot::start(DovecotOptions {
        name: "destination",
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = migrate(
        dir.path(),
        &source,
        &destination,
        "EmailAddress,UserName,Password\nnot-an-address,u,p\n",
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("row 2, column EmailAddress"), "{out}");
}

/// `kill -9` of `mailferry migrate` mid-batch, then the same command again: it continues the
/// interrupted batch at once (the SQLite lock proves the first process gone, so its claims are
/// taken over without waiting out their lease, here ten minutes) and the destination ends equal
/// to the source, nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_migrate_continues_when_run_again() {
    use mailferry_tests::{Fault, FaultProxy};
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    let users: Vec<String> = (1..=2).map(|i| format!("k{i}@example.test")).collect();
    for (i, user) in users.iter().enumerate() {
        source.add_user(user, "pw-k").unwrap();
        destination.add_user(user, "x").unwrap();
        seed_mailbox(&source, user, &mailbox(10 + i as u64, 150))
            .await
            .unwrap();
    }
    let proxy = FaultProxy::start(([127, 0, 0, 1], source.imap_port()).into())
        .await
        .unwrap();
    proxy.set_fault(Fault::Delay(std::time::Duration::from_millis(20)));
    let dir = tempfile::tempdir().unwrap();
    let csv = common::csv_of(&users, "pw-k");
    let command = || {
        let ports = (proxy.port(), destination.imap_port());
        let mut command = common::migrate_command_via(dir.path(), ports, &csv);
        command
            .args(["--concurrency", "2"])
            .env("MAILFERRY_MAILBOX_LEASE_SECS", "600");
        command
    };
    let mut first = command()
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let db_path = dir.path().join("data/mailferry.db");
    common::wait_for(60, "the first run copying", || {
        let db_path = db_path.clone();
        async move {
            if !db_path.exists() {
                return None;
            }
            // Read only, without the schema step: the first run may still be creating it.
            let url = format!("sqlite://{}?mode=ro", db_path.display());
            let db = sea_orm::Database::connect(url).await.ok()?;
            let rows = mailferry::db::entity::mailbox::Entity::find()
                .all(&db)
                .await
                .unwrap_or_default();
            db.close().await.unwrap();
            rows.iter().any(|m| m.messages_copied > 0).then_some(())
        }
    })
    .await;
    first.kill().unwrap();
    first.wait().unwrap();
    proxy.set_fault(Fault::None);

    let again = command().output().unwrap();
    let text = common::output_text(&again);
    assert_eq!(again.status.code(), Some(0), "{text}");
    assert!(
        text.contains("continuing where this command was interrupted"),
        "{text}"
    );
    assert!(text.contains("2 synced, 0 failed"), "{text}");
    for user in &users {
        common::assert_same_messages(&source, &destination, user, &["INBOX", "Sent"]).await;
    }
}
