//! Throughput with 1 and with 3 `mailferry serve` processes on one PostgreSQL, same corpus.
//! Prints figures; asserts nothing but completeness. Run (after `cargo leptos build`):
//!   cargo bench -p mailferry-tests --bench scale_out --profile dev
//! Environment: MF_BENCH_MAILBOXES (24), MF_BENCH_MESSAGES (100), MF_BENCH_SIZE (10000 bytes).

#[path = "../tests/common/mod.rs"]
mod common;

use common::endpoint;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use app::model::batch::MailboxState;
use mailferry::batches::actions;
use mailferry::config::{Config, DatabaseUrl};
use mailferry::db::entity::mailbox;
use mailferry::endpoints::EndpointRole;
use mailferry::secrets::Cipher;
use mailferry_tests::mailferry_server::MailferryServer;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Dovecot, DovecotOptions, Postgres};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run(source: &Dovecot, users: &[String], processes: usize) -> (Duration, u64, u64) {
    let mut destination = Dovecot::start(DovecotOptions {
        name: "destination",
        ..Default::default()
    })
    .unwrap();
    destination
        .add_users(&users.iter().map(|u| (u.as_str(), "x")).collect::<Vec<_>>())
        .unwrap();
    let pg = Postgres::start().unwrap();
    let shared = tempfile::tempdir().unwrap();
    let key_path = shared.path().join("secret.key");
    std::fs::write(&key_path, "42".repeat(32)).unwrap();
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let db = mailferry::db::open(&Config {
        database_url: DatabaseUrl(pg.url()),
        ..Config::default()
    })
    .await
    .unwrap();
    let cipher = Cipher::new(&[0x42; 32]);
    let csv: String = std::iter::once("EmailAddress,UserName,Password\n".to_string())
        .chain(users.iter().map(|u| format!("{u},{u},pw\n")))
        .collect();
    let id = common::stored_batch(
        &db,
        &cipher,
        &endpoint(EndpointRole::Source, source.imap_port()),
        &endpoint(EndpointRole::Destination, destination.imap_port()),
        &csv,
    )
    .await;
    let env = [
        ("MAILFERRY_DATABASE_URL", pg.url()),
        ("MAILFERRY_SECRET_KEY_FILE", key_path.display().to_string()),
        ("MAILFERRY_MAX_CONCURRENT_MAILBOXES", "4".into()),
        ("RUST_LOG", "warn".into()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let servers: Vec<MailferryServer> = (0..processes)
        .map(|_| MailferryServer::start(&env).unwrap())
        .collect();
    let start = Instant::now();
    actions::start(&db, id).await.unwrap();
    loop {
        let rows = mailbox::Entity::find()
            .filter(mailbox::Column::BatchId.eq(id))
            .all(&db)
            .await
            .unwrap();
        if rows
            .iter()
            .all(|m| matches!(m.state, MailboxState::Synced | MailboxState::Failed))
        {
            let elapsed = start.elapsed();
            assert!(
                rows.iter().all(|m| m.state == MailboxState::Synced),
                "every mailbox synced"
            );
            let messages = rows.iter().map(|m| m.messages_copied as u64).sum();
            let bytes = rows.iter().map(|m| m.bytes_copied as u64).sum();
            drop(servers);
            return (elapsed, messages, bytes);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::main]
async fn main() {
    let (mailboxes, messages, size) = (
        env_or("MF_BENCH_MAILBOXES", 24),
        env_or("MF_BENCH_MESSAGES", 100),
        env_or("MF_BENCH_SIZE", 10_000),
    );
    let mut source = Dovecot::start(DovecotOptions {
        name: "source",
        ..Default::default()
    })
    .unwrap();
    let users: Vec<String> = (0..mailboxes)
        .map(|i| format!("b{i:03}@example.test"))
        .collect();
    source
        .add_users(&users.iter().map(|u| (u.as_str(), "pw")).collect::<Vec<_>>())
        .unwrap();
    for (i, user) in users.iter().enumerate() {
        let spec = MailboxSpec {
            folders: vec![FolderSpec {
                name: "INBOX".into(),
                messages: (0..messages)
                    .map(|m| MessageSpec {
                        bytes: message(i as u64 * 100_000 + m, size as usize, None),
                        flags: vec!["\\Seen".into()],
                        internaldate: None,
                    })
                    .collect(),
            }],
        };
        seed_mailbox(&source, user, &spec).await.unwrap();
    }
    println!(
        "corpus: {mailboxes} mailboxes × {messages} messages × {size} bytes; {} cores; destination mail_fsync=never",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    for processes in [1, 3] {
        let (elapsed, copied, bytes) = run(&source, &users, processes).await;
        println!(
            "{processes} process(es): {:.2} s, {copied} messages, {:.0} messages/s, {:.1} MB/s",
            elapsed.as_secs_f64(),
            copied as f64 / elapsed.as_secs_f64(),
            bytes as f64 / 1_048_576.0 / elapsed.as_secs_f64()
        );
    }
}
