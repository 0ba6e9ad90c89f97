//! `mailferry migrate` with a Google service account and with a source admin: no password in
//! the CSV, the key kept sealed in the command's database.

use mailferry_tests::{Dovecot, MASTER_PASSWORD, MASTER_USER, TokenServer};

use crate::common;
use crate::{FOLDERS, oauth_dovecot, plain_destination, users_with_mail};

/// Runs `migrate` from `source` with `extra` flags (data in `dir/data`); it must succeed.
fn migrate(
    dir: &std::path::Path,
    source: &Dovecot,
    destination: &Dovecot,
    csv: &str,
    extra: &[&str],
) {
    let output = common::migrate_command(dir, source, destination, csv)
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", common::output_text(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_takes_a_service_account_or_a_source_admin() {
    let users = ["uma@example.test", "vic@example.test"];
    let tokens = TokenServer::start(&users).await.unwrap();
    let mut source = oauth_dovecot("source", &tokens, false, &[]);
    let mut destination = plain_destination();
    users_with_mail((&mut source, &mut destination), &users, 4, 40).await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("service-account.json");
    std::fs::write(&key_file, tokens.service_account_json()).unwrap();
    // No Password column: the service account gets uma's token.
    let csv = format!("EmailAddress,UserName\n{0},{0}\n", users[0]);
    let key = key_file.to_str().unwrap();
    migrate(
        dir.path(),
        &source,
        &destination,
        &csv,
        &[
            "--source-oauth",
            "google",
            "--source-oauth-secret-file",
            key,
        ],
    );
    common::assert_same_messages(&source, &destination, users[0], &FOLDERS).await;
    assert_eq!(tokens.issued_for(users[0]), 1);
    let database = std::fs::read(dir.path().join("data/mailferry.db")).unwrap();
    let journal = std::fs::read(dir.path().join("data/mailferry.db-wal")).unwrap_or_default();
    for bytes in [database, journal] {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("PRIVATE KEY"), "the key is stored sealed");
    }

    // The source's master user acts for vic; the CSV has an empty Password.
    let admin_dir = tempfile::tempdir().unwrap();
    let admin_file = admin_dir.path().join("source-admin.pw");
    std::fs::write(&admin_file, format!("{MASTER_PASSWORD}\n")).unwrap();
    let csv = format!("EmailAddress,UserName,Password\n{0},{0},\n", users[1]);
    migrate(
        admin_dir.path(),
        &source,
        &destination,
        &csv,
        &[
            "--source-admin",
            MASTER_USER,
            "--source-admin-password-file",
            admin_file.to_str().unwrap(),
        ],
    );
    common::assert_same_messages(&source, &destination, users[1], &FOLDERS).await;
}
