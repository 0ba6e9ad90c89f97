//! SQLite on a full disk: a batch whose database can no longer grow (the process runs under a
//! file-size limit, which makes every write past it fail like a full disk) stops with an error
//! that names the full disk, and no panic; once there is room again, resume and run finish
//! the batch, the database passes SQLite's integrity check, and nothing was copied twice.

mod common;

use std::process::Command;

use mailferry::batches::actions;
use mailferry::endpoints::EndpointRole;
use mailferry::secrets::Cipher;
use mailferry_tests::DovecotOptions;
use mailferry_tests::mailferry_server::mailferry_binary;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};

const USERS: [&str; 3] = [
    "fill1@example.test",
    "fill2@example.test",
    "fill3@example.test",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_gives_a_clear_error_and_no_corruption() {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    let pairs: Vec<(&str, &str)> = USERS.iter().map(|u| (*u, "pw")).collect();
    source.add_users(&pairs).unwrap();
    destination.add_users(&pairs).unwrap();
    let folders = ["INBOX", "Archive", "Archive/Old", "Sent", "Lists"];
    for (i, user) in USERS.iter().enumerate() {
        let spec = MailboxSpec {
            folders: folders
                .iter()
                .enumerate()
                .map(|(f, name)| FolderSpec {
                    name: name.to_string(),
                    messages: (0..80)
                        .map(|m| MessageSpec {
                            bytes: message((i * 10 + f) as u64 * 1_000 + m, 1_500, None),
                            flags: vec![],
                            internaldate: None,
                        })
                        .collect(),
                })
                .collect(),
        };
        seed_mailbox(&source, user, &spec).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The database (schema, key) and the started batch exist before the limit applies.
    let init = Command::new(mailferry_binary().unwrap())
        .args(["batch", "list", "--data-dir", data.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", common::output_text(&init));
    let url = format!("sqlite://{}", data.join("mailferry.db").display());
    let key = std::fs::read_to_string(data.join("secret.key")).unwrap();
    let key: [u8; 32] = hex_key(key.trim());
    let id = {
        let db = common::database(url.clone()).await;
        let csv = USERS.iter().fold(
            String::from("EmailAddress,UserName,Password\n"),
            |csv, u| csv + &format!("{u},{u},pw\n"),
        );
        let id = common::stored_batch(
            &db,
            &Cipher::new(&key),
            &common::endpoint(EndpointRole::Source, source.imap_port()),
            &common::endpoint(EndpointRole::Destination, destination.imap_port()),
            &csv,
        )
        .await;
        actions::start(&db, id).await.unwrap();
        db.close().await.unwrap();
        id
    };
    let size = std::fs::metadata(data.join("mailferry.db")).unwrap().len();
    let run = || {
        let mut command = Command::new(mailferry_binary().unwrap());
        command
            .args([
                "batch",
                "run",
                &id.to_string(),
                "--data-dir",
                data.to_str().unwrap(),
            ])
            .env("MAILFERRY_MAILBOX_LEASE_SECS", "3");
        command
    };
    // `trap "" XFSZ`: a write past the limit then fails with EFBIG (SQLite: a disk I/O error)
    // instead of killing the process.
    let limited = {
        let probe = run();
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(r#"trap "" XFSZ; exec prlimit --fsize="$LIMIT" -- "$@""#)
            .arg("sh")
            .arg(probe.get_program())
            .args(probe.get_args())
            .env("MAILFERRY_MAILBOX_LEASE_SECS", "3")
            .env("LIMIT", (size + 48 * 1024).to_string());
        command.output().unwrap()
    };
    let text = common::output_text(&limited);
    assert!(!limited.status.success(), "the limit was reached:\n{text}");
    assert!(
        text.contains("the disk that holds it is full or failing"),
        "a clear error:\n{text}"
    );
    assert!(!text.contains("panicked"), "no panic:\n{text}");

    // Room again: once the dead run's claims have run out (3 s here), the admin resumes the
    // batch (mailboxes the full disk failed or interrupted are queued again) and runs it; it
    // finishes from where it stopped.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let resume = Command::new(mailferry_binary().unwrap())
        .args([
            "batch",
            "resume",
            &id.to_string(),
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(resume.status.success(), "{}", common::output_text(&resume));
    let again = run().output().unwrap();
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        common::output_text(&again)
    );
    let db = common::database(url).await;
    common::assert_sqlite_sound(&db).await;
    for user in USERS {
        common::assert_same_messages(&source, &destination, user, &folders).await;
    }
}

fn hex_key(text: &str) -> [u8; 32] {
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect();
    bytes.try_into().unwrap()
}
