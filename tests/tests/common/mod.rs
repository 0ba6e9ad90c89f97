//! Helpers the integration tests share (each test file uses a part of them).
#![allow(dead_code)]

pub mod seeded_errors;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use app::model::endpoint::{AuthMechanism, Impersonation, Security};
use mailferry::config::{Config, DatabaseUrl};
use mailferry::endpoints::{EndpointRole, EndpointSettings};
use mailferry::engine::progress::ProgressSink;
use mailferry::imap::connect::{Credentials, ServerAddress};
use mailferry::imap::tls::TlsOptions;
use mailferry::secrets::Secret;
use mailferry_tests::mailferry_server::mailferry_binary;
use mailferry_tests::{Dovecot, MASTER_PASSWORD, MASTER_USER};

/// Progress nobody watches.
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn copied(&self, _: u64, _: u64) {}
}

/// A fresh SQLite database in a temporary folder (keep the folder alive as long as the database).
pub async fn sqlite() -> (tempfile::TempDir, sea_orm::DatabaseConnection) {
    let dir = tempfile::tempdir().unwrap();
    let db = database(format!("sqlite://{}/mf.db", dir.path().display())).await;
    (dir, db)
}

pub async fn database(url: String) -> sea_orm::DatabaseConnection {
    let config = Config {
        database_url: DatabaseUrl(url),
        ..Config::default()
    };
    mailferry::db::open(&config).await.unwrap()
}

/// A plain-IMAP loopback address.
pub fn plain(port: u16) -> ServerAddress {
    ServerAddress {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        tls: TlsOptions::default(),
        timeout: Duration::from_secs(20),
    }
}

/// The test bed's master user acting for `user` (SASL PLAIN with authzid).
pub fn admin_for(user: &str) -> Credentials {
    Credentials::Plain {
        authzid: Some(user.into()),
        authcid: MASTER_USER.into(),
        password: MASTER_PASSWORD.into(),
    }
}

/// A mailbox job from `user` on the source (LOGIN with `password`) to the same user on the
/// destination (the test bed's master user acting for it), retrying quickly.
pub fn mailbox_spec(
    source_port: u16,
    destination_port: u16,
    user: &str,
    password: &str,
) -> mailferry::engine::mailbox::MailboxSpec {
    mailferry::engine::mailbox::MailboxSpec {
        email: format!("{user}@example.test"),
        source: plain(source_port),
        source_credentials: Credentials::Login {
            user: user.into(),
            password: password.into(),
        }
        .into(),
        destination: plain(destination_port),
        destination_credentials: admin_for(user).into(),
        user_root: None,
        options: mailferry::engine::options::BatchOptions::default(),
        retry: mailferry::engine::retry::RetryPolicy {
            retries: 6,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(800),
        },
    }
}

/// `mailferry migrate` from `csv` between two plain-IMAP test servers, data in `dir/data`.
pub fn migrate_command(dir: &Path, source: &Dovecot, destination: &Dovecot, csv: &str) -> Command {
    migrate_command_via(dir, (source.imap_port(), destination.imap_port()), csv)
}

/// `mailferry migrate` from `csv` between two loopback ports (a server or a proxy in front of
/// one), a 20 s timeout, data in `dir/data`.
pub fn migrate_command_via(dir: &Path, ports: (u16, u16), csv: &str) -> Command {
    let mut command = Command::new(mailferry_binary().unwrap());
    migrate_args(&mut command, dir, ports, csv).args(["--timeout-secs", "20"]);
    command
}

/// Adds `migrate` and its servers, CSV (written to `dir/users.csv`), admin password file and
/// data directory (`dir/data`) to `command` (the binary, or a profiler running it).
pub fn migrate_args<'c>(
    command: &'c mut Command,
    dir: &Path,
    (source_port, destination_port): (u16, u16),
    csv: &str,
) -> &'c mut Command {
    let csv_path = dir.join("users.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let password_file = dir.join("admin.pw");
    std::fs::write(&password_file, format!("{MASTER_PASSWORD}\n")).unwrap();
    command
        .arg("migrate")
        .args(["--csv", csv_path.to_str().unwrap()])
        .args([
            "--source",
            &format!("imap://127.0.0.1:{source_port}"),
            "--source-security",
            "none",
        ])
        .args([
            "--destination",
            &format!("imap://127.0.0.1:{destination_port}"),
            "--destination-security",
            "none",
        ])
        .args([
            "--destination-admin",
            MASTER_USER,
            "--destination-admin-password-file",
            password_file.to_str().unwrap(),
        ])
        .args(["--data-dir", dir.join("data").to_str().unwrap()])
}

/// A plain-IMAP test endpoint; the destination signs in as the test bed's master user.
pub fn endpoint(role: EndpointRole, port: u16) -> EndpointSettings {
    let destination = role == EndpointRole::Destination;
    EndpointSettings {
        name: format!("{}-{port}", role.as_str()),
        role,
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        impersonation: Impersonation::SaslPlain,
        auth_mechanism: AuthMechanism::Login,
        admin_user: destination.then(|| MASTER_USER.to_string()),
        admin_password: Secret(if destination {
            MASTER_PASSWORD.into()
        } else {
            String::new()
        }),
        tls_ca_pem: None,
        insecure_skip_verify: false,
        max_concurrent: 100,
        timeout: Duration::from_secs(30),
        oauth: None,
    }
}

/// Stores the two endpoints and a batch of `csv`'s rows (default options); returns the batch id.
pub async fn stored_batch(
    db: &sea_orm::DatabaseConnection,
    cipher: &mailferry::secrets::Cipher,
    source: &EndpointSettings,
    destination: &EndpointSettings,
    csv: &str,
) -> i64 {
    let options = mailferry::engine::options::BatchOptions::default();
    stored_batch_with(db, cipher, (source, destination), csv, &options).await
}

/// Stores the two endpoints and a batch of `csv`'s rows with `options`; returns the batch id.
pub async fn stored_batch_with(
    db: &sea_orm::DatabaseConnection,
    cipher: &mailferry::secrets::Cipher,
    (source, destination): (&EndpointSettings, &EndpointSettings),
    csv: &str,
    options: &mailferry::engine::options::BatchOptions,
) -> i64 {
    use mailferry::batches::create_batch::{NewBatch, create_batch};
    use mailferry::endpoints::store;
    let source_endpoint_id = store::save(db, cipher, source).await.unwrap();
    let destination_endpoint_id = store::save(db, cipher, destination).await.unwrap();
    // Lenient on passwords: a source signing users in by itself takes rows without them.
    let passwords = mailferry::csv_import::Passwords::Optional;
    let rows = mailferry::csv_import::parse_csv_with(csv.as_bytes(), passwords).unwrap();
    let batch = NewBatch {
        name: "test".into(),
        source_endpoint_id,
        destination_endpoint_id,
        options,
        notify_emails: vec![],
        rows: &rows,
        origin: None,
        schedule: Default::default(),
    };
    create_batch(db, cipher, batch).await.unwrap()
}

/// The destination's `folders` of `user` hold exactly the source's messages: count, bytes, flags
/// and internal dates, in order (nothing lost, nothing twice).
pub async fn assert_same_messages(
    source: &Dovecot,
    destination: &Dovecot,
    user: &str,
    folders: &[&str],
) {
    same_messages(source, destination, user, folders, false).await
}

/// As [`assert_same_messages`], in any order (messages copied back later stand at the end).
#[allow(dead_code)] // not every test binary uses it
pub async fn assert_same_messages_any_order(
    source: &Dovecot,
    destination: &Dovecot,
    user: &str,
    folders: &[&str],
) {
    same_messages(source, destination, user, folders, true).await
}

async fn same_messages(
    source: &Dovecot,
    destination: &Dovecot,
    user: &str,
    folders: &[&str],
    any_order: bool,
) {
    use mailferry_tests::TestSession;
    let flags = |m: &mailferry_tests::FetchedMessage| {
        let mut f: Vec<String> = m
            .flags
            .iter()
            .filter(|f| *f != "\\Recent")
            .cloned()
            .collect();
        f.sort();
        f
    };
    let mut src = TestSession::master(source.imap_port(), user).await.unwrap();
    let mut dst = TestSession::master(destination.imap_port(), user)
        .await
        .unwrap();
    for folder in folders {
        let mut a = src.fetch_all(folder).await.unwrap();
        let mut b = dst.fetch_all(folder).await.unwrap();
        if any_order {
            a.sort_by(|x, y| x.body.cmp(&y.body));
            b.sort_by(|x, y| x.body.cmp(&y.body));
        }
        assert_eq!(a.len(), b.len(), "{user} {folder}: message count");
        for (x, y) in a.iter().zip(&b) {
            assert!(x.body == y.body, "{user} {folder}: UID {} differs", x.uid);
            assert_eq!(
                flags(x),
                flags(y),
                "{user} {folder}: flags of UID {}",
                x.uid
            );
            assert_eq!(
                x.internaldate, y.internaldate,
                "{user} {folder}: date of UID {}",
                x.uid
            );
        }
    }
}

/// A finished command's stdout and stderr, for assertions and failure messages.
pub fn output_text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// SQLite's own integrity check passes on `db`.
pub async fn assert_sqlite_sound(db: &sea_orm::DatabaseConnection) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let check = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");
}

/// A source Dovecot (default options, named "source") and a destination Dovecot (`destination`,
/// named "destination").
pub fn dovecots(destination: mailferry_tests::DovecotOptions<'_>) -> (Dovecot, Dovecot) {
    let source =
        Dovecot::start(mailferry_tests::DovecotOptions::default()).expect("source Dovecot");
    let destination = Dovecot::start(mailferry_tests::DovecotOptions {
        name: "destination",
        ..destination
    })
    .expect("destination Dovecot");
    (source, destination)
}

/// A source Dovecot announcing `source_capability` (its own list when `None`) and a default
/// destination Dovecot.
pub fn dovecots_offering(source_capability: Option<&str>) -> (Dovecot, Dovecot) {
    let source = Dovecot::start(mailferry_tests::DovecotOptions {
        imap_capability: source_capability,
        ..Default::default()
    })
    .expect("source Dovecot");
    let destination = Dovecot::start(mailferry_tests::DovecotOptions {
        name: "destination",
        ..Default::default()
    })
    .expect("destination Dovecot");
    (source, destination)
}

/// A CSV of `users` whose source password is `password`.
pub fn csv_of(users: &[String], password: &str) -> String {
    users.iter().fold(
        String::from("EmailAddress,UserName,Password\n"),
        |csv, u| csv + &format!("{u},{u},{password}\n"),
    )
}

/// Polls `check` every 20 ms until it gives a value, failing with `what` after `seconds`.
pub async fn wait_for<T, F: std::future::Future<Output = Option<T>>>(
    seconds: u64,
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "waited {seconds} s for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
