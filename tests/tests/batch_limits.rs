//! Mailboxes at once: a process's `max_concurrent_mailboxes` holds over every batch it runs (not
//! per batch), and a batch's own "mailboxes at once" holds within it. The worker runs in this
//! process against real Dovecots, the source behind a slow link so that mailboxes overlap.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use app::model::batch::MailboxState;
use mailferry::batches::actions;
use mailferry::db::entity::mailbox;
use mailferry::endpoints::EndpointRole;
use mailferry::engine::options::BatchOptions;
use mailferry::secrets::Cipher;
use mailferry::worker::WorkerSettings;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Dovecot, DovecotOptions, Fault, FaultProxy};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

struct Bed {
    _servers: (Dovecot, Dovecot),
    proxy: FaultProxy,
    destination_port: u16,
    _dir: tempfile::TempDir,
    db: sea_orm::DatabaseConnection,
    cipher: Cipher,
}

/// `users` with three 30 KB messages each on the source, behind a 15 ms-per-chunk link.
async fn bed(users: &[String]) -> Bed {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    let pairs: Vec<(&str, &str)> = users.iter().map(|u| (u.as_str(), "pw")).collect();
    source.add_users(&pairs).unwrap();
    destination.add_users(&pairs).unwrap();
    for (i, user) in users.iter().enumerate() {
        let messages = (0..3)
            .map(|m| MessageSpec {
                bytes: message(i as u64 * 10 + m, 30_000, None),
                flags: vec![],
                internaldate: None,
            })
            .collect();
        let spec = MailboxSpec {
            folders: vec![FolderSpec {
                name: "INBOX".into(),
                messages,
            }],
        };
        seed_mailbox(&source, user, &spec).await.unwrap();
    }
    let proxy = FaultProxy::start(([127, 0, 0, 1], source.imap_port()).into())
        .await
        .unwrap();
    proxy.set_fault(Fault::Delay(Duration::from_millis(15)));
    let (dir, db) = common::sqlite().await;
    Bed {
        destination_port: destination.imap_port(),
        _servers: (source, destination),
        proxy,
        _dir: dir,
        db,
        cipher: Cipher::new(&[3u8; 32]),
    }
}

impl Bed {
    /// A started batch of `users` with `options`.
    async fn batch(&self, users: &[String], options: &BatchOptions) -> i64 {
        let id = common::stored_batch_with(
            &self.db,
            &self.cipher,
            (
                &common::endpoint(EndpointRole::Source, self.proxy.port()),
                &common::endpoint(EndpointRole::Destination, self.destination_port),
            ),
            &common::csv_of(users, "pw"),
            options,
        )
        .await;
        actions::start(&self.db, id).await.unwrap();
        id
    }

    /// The worker of `mailferry serve` with `concurrency` mailbox slots, in this process.
    fn worker(&self, concurrency: usize) -> tokio::task::JoinHandle<()> {
        tokio::spawn(mailferry::worker::run(
            self.db.clone(),
            self.cipher.clone(),
            Default::default(),
            WorkerSettings {
                concurrency,
                lease: Duration::from_secs(30),
                imap_timeout: Duration::from_secs(20),
                cluster_max: None,
                poll: Duration::from_millis(100),
            },
        ))
    }

    /// Watches until `total` mailboxes are synced; the most that ran at once.
    async fn most_at_once(&self, total: u64) -> u64 {
        let most = AtomicU64::new(0);
        let (db, seen) = (&self.db, &most);
        common::wait_for(120, "every mailbox synced", move || async move {
            let count = |state| {
                mailbox::Entity::find()
                    .filter(mailbox::Column::State.eq(state))
                    .count(db)
            };
            seen.fetch_max(
                count(MailboxState::Syncing).await.unwrap(),
                Ordering::Relaxed,
            );
            (count(MailboxState::Synced).await.unwrap() == total).then_some(())
        })
        .await;
        most.into_inner()
    }
}

fn users(prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{prefix}{i}@example.test"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_limit_holds_over_every_batch_it_runs() {
    let (first, second) = (users("a", 4), users("b", 4));
    let bed = bed(&[first.clone(), second.clone()].concat()).await;
    bed.batch(&first, &BatchOptions::default()).await;
    bed.batch(&second, &BatchOptions::default()).await;
    let worker = bed.worker(2);
    let most = bed.most_at_once(8).await;
    worker.abort();
    assert!(
        (1..=2).contains(&most),
        "two slots for the process, over both batches: {most} at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_runs_no_more_mailboxes_at_once_than_it_asks() {
    let all = users("c", 4);
    let bed = bed(&all).await;
    let one_at_a_time = BatchOptions {
        concurrency: 1,
        ..BatchOptions::default()
    };
    bed.batch(&all, &one_at_a_time).await;
    let worker = bed.worker(4);
    let most = bed.most_at_once(4).await;
    worker.abort();
    assert_eq!(most, 1, "the batch asked for one mailbox at a time");
}
