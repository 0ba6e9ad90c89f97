//! SQLite on a full disk: a batch whose database can no longer grow (the process runs under a
//! file-size limit, which makes every write past it fail like a full disk) stops with a clear
//! error that names the full disk, and no panic; once there is room again, the same command finishes the
//! batch, the database passes SQLite's integrity check, and nothing was copied twice.

mod common;

use std::process::Command;

use mailferry_tests::mailferry_server::mailferry_binary;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Dovecot, DovecotOptions};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

const USERS: [&str; 3] = [
    "fill1@example.test",
    "fill2@example.test",
    "fill3@example.test",
];

fn output_text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_gives_a_clear_error_and_no_corruption() {
    let mut source = Dovecot::start(DovecotOptions::default()).unwrap();
    let mut destination = Dovecot::start(DovecotOptions {
        name: "destination",
        ..DovecotOptions::default()
    })
    .unwrap();
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
    // The database exists (schema, key) before the limit applies.
    let init = Command::new(mailferry_binary().unwrap())
        .args(["batch", "list", "--data-dir", data.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", output_text(&init));
    let size = std::fs::metadata(data.join("mailferry.db")).unwrap().len();

    let csv = USERS.iter().fold(
        String::from("EmailAddress,UserName,Password\n"),
        |csv, u| csv + &format!("{u},{u},pw\n"),
    );
    let migrate = || common::migrate_command(dir.path(), &source, &destination, &csv);
    // `trap "" XFSZ`: a write past the limit then fails with EFBIG (SQLite: "disk is full")
    // instead of killing the process.
    let limited = {
        let probe = migrate();
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(r#"trap "" XFSZ; exec prlimit --fsize="$LIMIT" -- "$@""#)
            .arg("sh")
            .arg(probe.get_program())
            .args(probe.get_args())
            .env("LIMIT", (size + 48 * 1024).to_string());
        command.output().unwrap()
    };
    let text = output_text(&limited);
    assert!(!limited.status.success(), "the limit was reached:\n{text}");
    assert!(
        text.contains("the disk that holds it is full or failing"),
        "a clear error:\n{text}"
    );
    assert!(!text.contains("panicked"), "no panic:\n{text}");

    // Room again: the same command finishes, from where it stopped.
    let again = migrate().output().unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", output_text(&again));
    let db = common::database(format!("sqlite://{}", data.join("mailferry.db").display())).await;
    let check = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");
    for user in USERS {
        common::assert_same_messages(&source, &destination, user, &folders).await;
    }
}
