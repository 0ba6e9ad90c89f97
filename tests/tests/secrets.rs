//! Secrets at rest and in motion: after a whole batch (one row failing on its password), no
//! password is in the terminal output (every log level on), the errors CSV, or anywhere in the
//! database files; the key file is private; `rotate-key` moves every stored secret to a new key
//! that then works while the old one opens nothing.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use mailferry_tests::mailferry_server::mailferry_binary;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{DovecotOptions, MASTER_PASSWORD};

const GOOD_PASSWORD: &str = "Src-Secret-One-7f3a";
const REAL_PASSWORD: &str = "Src-Secret-Two-9b1c";
const WRONG_PASSWORD: &str = "Src-Wrong-Guess-4d2e";
const PASSWORDS: [&str; 4] = [
    GOOD_PASSWORD,
    REAL_PASSWORD,
    WRONG_PASSWORD,
    MASTER_PASSWORD,
];

fn assert_no_password(what: &str, bytes: &[u8]) {
    for password in PASSWORDS {
        assert!(
            !bytes
                .windows(password.len())
                .any(|w| w == password.as_bytes()),
            "{what} holds the password {password:?}"
        );
    }
}

/// Every file of the data folder but the key: the database, its WAL and anything else.
fn assert_no_password_in_files(data: &Path) {
    for entry in std::fs::read_dir(data).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() && !path.ends_with("secret.key") {
            assert_no_password(&path.display().to_string(), &std::fs::read(&path).unwrap());
        }
    }
}

fn mailferry(args: &[&str], key: Option<&Path>) -> (i32, String) {
    let mut command = Command::new(mailferry_binary().unwrap());
    command.args(args).env("RUST_LOG", "trace");
    if let Some(key) = key {
        command.env("MAILFERRY_SECRET_KEY_FILE", key);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        common::output_text(&output),
    )
}

fn five_messages() -> MailboxSpec {
    MailboxSpec {
        folders: vec![FolderSpec {
            name: "INBOX".into(),
            messages: (0..5)
                .map(|i| MessageSpec {
                    bytes: message(700 + i, 2_000, None),
                    flags: vec![],
                    internaldate: None,
                })
                .collect(),
        }],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_is_stored_logged_or_reported_and_the_key_rotates() {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    source
        .add_users(&[
            ("keep@example.test", GOOD_PASSWORD),
            ("wrong@example.test", REAL_PASSWORD),
        ])
        .unwrap();
    destination
        .add_users(&[("keep@example.test", "x"), ("wrong@example.test", "y")])
        .unwrap();
    seed_mailbox(&source, "keep@example.test", &five_messages())
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let errors_csv = dir.path().join("errors.csv");
    let csv = format!(
        "EmailAddress,UserName,Password\nkeep@example.test,keep@example.test,{GOOD_PASSWORD}\n\
         wrong@example.test,wrong@example.test,{WRONG_PASSWORD}\n"
    );
    let output = common::migrate_command(dir.path(), &source, &destination, &csv)
        .args(["--errors-csv", errors_csv.to_str().unwrap()])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let text = common::output_text(&output);
    assert_eq!(output.status.code(), Some(2), "one row fails:\n{text}");
    assert!(text.contains("INFO"), "logging was on:\n{text}");
    assert_no_password("the terminal output", text.as_bytes());
    let report = std::fs::read(&errors_csv).unwrap();
    assert!(String::from_utf8_lossy(&report).contains("wrong@example.test"));
    assert_no_password("MigrationErrors.csv", &report);

    let data = dir.path().join("data");
    assert_no_password_in_files(&data);
    let old_key = data.join("secret.key");
    assert_eq!(
        std::fs::metadata(&old_key).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let new_key = dir.path().join("new.key");
    rotate_and_check(&data, &new_key, &old_key);
    sealed_for_its_row_and_key(&data, &new_key).await;
}

/// Rotation: a new private key; every secret re-encrypted with it. With the new key the stored
/// passwords work (the good row signs in, the wrong one is still refused by the source); the
/// old key opens nothing.
fn rotate_and_check(data: &Path, new_key: &Path, old_key: &Path) {
    let data_arg = data.to_str().unwrap();
    let (code, text) = mailferry(
        &[
            "rotate-key",
            "--data-dir",
            data_arg,
            "--new-key-file",
            new_key.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("re-encrypted 3 stored secrets"), "{text}");
    assert_eq!(
        std::fs::metadata(new_key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_no_password_in_files(data);

    let (code, text) = mailferry(
        &["batch", "preflight", "1", "--data-dir", data_arg],
        Some(new_key),
    );
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("keep@example.test") && text.contains(" ok "),
        "{text}"
    );
    assert!(text.contains("Cannot sign in to the source"), "{text}");
    assert_no_password("the pre-flight output", text.as_bytes());
    let (code, text) = mailferry(
        &["batch", "preflight", "1", "--data-dir", data_arg],
        Some(old_key),
    );
    assert_ne!(code, 0);
    assert!(
        text.contains("holds passwords sealed with key") && text.contains("holds key"),
        "the old key is refused at the start, naming both keys: {text}"
    );
}

/// Each stored secret names its key and is sealed for its row: one copied into another row does
/// not open there (that row alone fails, with a clear reason), and without its key file
/// Mailferry refuses to start instead of making a fresh key.
async fn sealed_for_its_row_and_key(data: &Path, key: &Path) {
    use sea_orm::{ConnectionTrait, Statement};
    let data_arg = data.to_str().unwrap();
    let db = common::database(format!("sqlite://{}", data.join("mailferry.db").display())).await;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, source_secret FROM mailboxes ORDER BY id",
        ))
        .await
        .unwrap();
    let secrets: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index(1).unwrap())
        .collect();
    assert!(secrets.iter().all(|s| s.starts_with("v2:")), "{secrets:?}");
    db.execute_unprepared(&format!(
        "UPDATE mailboxes SET source_secret = '{}' WHERE id = (SELECT MAX(id) FROM mailboxes)",
        secrets[0]
    ))
    .await
    .unwrap();
    drop(db);
    let (code, text) = mailferry(
        &["batch", "preflight", "1", "--data-dir", data_arg],
        Some(key),
    );
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains(" ok "),
        "the row whose secret it is still works: {text}"
    );
    assert!(
        text.contains("does not belong here"),
        "the other row is refused: {text}"
    );

    let moved = data.join("moved.key");
    std::fs::rename(key, &moved).unwrap();
    let (code, text) = mailferry(&["batch", "list", "--data-dir", data_arg], Some(key));
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains("is missing") && text.contains("restore the key file"),
        "{text}"
    );
    assert!(!key.exists(), "no fresh key was made");
    std::fs::rename(&moved, key).unwrap();
    let (code, text) = mailferry(&["batch", "list", "--data-dir", data_arg], Some(key));
    assert_eq!(code, 0, "{text}");
}
