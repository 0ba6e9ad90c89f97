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

const FOLDERS: [&str; 5] = ["INBOX", "Archive", "Archive/Old", "Sent", "Lists"];

/// Every user with 80 messages of 1.5 KB in each of `folders`.
async fn seed(
    source: &mut mailferry_tests::Dovecot,
    destination: &mut mailferry_tests::Dovecot,
    folders: &[&str],
) {
    let pairs: Vec<(&str, &str)> = USERS.iter().map(|u| (*u, "pw")).collect();
    source.add_users(&pairs).unwrap();
    destination.add_users(&pairs).unwrap();
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
        seed_mailbox(source, user, &spec).await.unwrap();
    }
}

/// A started batch of every user, stored with the data folder's key.
async fn started_batch(
    url: &str,
    data: &std::path::Path,
    (source, destination): (u16, u16),
) -> i64 {
    let key = std::fs::read_to_string(data.join("secret.key")).unwrap();
    let key: [u8; 32] = hex_key(key.trim());
    let db = common::database(url.to_string()).await;
    let users: Vec<String> = USERS.iter().map(|u| u.to_string()).collect();
    let id = common::stored_batch(
        &db,
        &Cipher::new(&key),
        &common::endpoint(EndpointRole::Source, source),
        &common::endpoint(EndpointRole::Destination, destination),
        &common::csv_of(&users, "pw"),
    )
    .await;
    actions::start(&db, id).await.unwrap();
    db.close().await.unwrap();
    id
}

/// Runs `command` unable to write any file past `limit` bytes. `trap "" XFSZ`: a write past the
/// limit then fails with EFBIG (SQLite: a disk I/O error) instead of killing the process.
fn under_file_size_limit(command: Command, limit: u64) -> std::process::Output {
    let mut limited = Command::new("sh");
    limited
        .arg("-c")
        .arg(r#"trap "" XFSZ; exec prlimit --fsize="$LIMIT" -- "$@""#)
        .arg("sh")
        .arg(command.get_program())
        .args(command.get_args())
        .envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("LIMIT", limit.to_string());
    limited.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_gives_a_clear_error_and_no_corruption() {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    seed(&mut source, &mut destination, &FOLDERS).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The database (schema, key) and the started batch exist before the limit applies.
    let init = Command::new(mailferry_binary().unwrap())
        .args(["batch", "list", "--data-dir", data.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", common::output_text(&init));
    let url = format!("sqlite://{}", data.join("mailferry.db").display());
    let id = started_batch(&url, &data, (source.imap_port(), destination.imap_port())).await;
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
            .env("MAILFERRY_MAILBOX_LEASE_SECS", "600");
        command
    };
    let limited = under_file_size_limit(run(), size + 48 * 1024);
    let text = common::output_text(&limited);
    assert!(!limited.status.success(), "the limit was reached:\n{text}");
    assert!(
        text.contains("the disk that holds it is full or failing"),
        "a clear error:\n{text}"
    );
    assert!(!text.contains("panicked"), "no panic:\n{text}");

    // Room again: the admin resumes the batch at once (no process holds the SQLite lock, so
    // the dead run's claims are taken over without waiting out their lease) and runs it; it
    // finishes from where it stopped.
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
        common::assert_same_messages(&source, &destination, user, &FOLDERS).await;
    }
}

fn hex_key(text: &str) -> [u8; 32] {
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect();
    bytes.try_into().unwrap()
}
