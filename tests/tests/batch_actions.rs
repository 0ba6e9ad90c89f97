//! Batch actions for real: stop mid-run and resume without duplicates, a new batch from the failed
//! rows with the stored credentials, the failed rows as CSV without passwords, the pre-flight.

mod common;

use common::endpoint;

use std::time::Duration;

use app::model::batch::{BatchState, MailboxState};
use mailferry::batches::actions;
use mailferry::batches::run_batch::{RunSettings, run_batch};
use mailferry::config::{Config, DatabaseUrl};
use mailferry::db::entity::{batch, mailbox};
use mailferry::endpoints::EndpointRole;
use mailferry::engine::retry::RetryPolicy;
use mailferry::secrets::Cipher;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{DovecotOptions, Fault, FaultProxy, TestSession};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

fn corpus(seed: u64, n: u64) -> MailboxSpec {
    MailboxSpec {
        folders: vec![FolderSpec {
            name: "INBOX".into(),
            messages: (0..n)
                .map(|i| MessageSpec {
                    bytes: message(seed * 1000 + i, 4_000, None),
                    flags: vec![],
                    internaldate: None,
                })
                .collect(),
        }],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_resume_and_retry_failed_rows_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    stop_resume_and_retry_failed_rows(format!("sqlite://{}/mf.db", dir.path().display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_resume_and_retry_failed_rows_postgres() {
    let pg = mailferry_tests::Postgres::start().unwrap();
    stop_resume_and_retry_failed_rows(pg.url()).await;
}

/// Three mailboxes behind a slow source link (one of 400 messages, one whose CSV password is
/// wrong) in a stored batch.
struct Bed {
    source: mailferry_tests::Dovecot,
    destination: mailferry_tests::Dovecot,
    proxy: FaultProxy,
    db: sea_orm::DatabaseConnection,
    cipher: Cipher,
    id: i64,
}

async fn bed(url: String) -> Bed {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    for user in ["slow@example.test", "late@example.test"] {
        source.add_user(user, "pw-1").unwrap();
        destination.add_user(user, "x").unwrap();
    }
    source.add_user("fixme@example.test", "right-pw").unwrap();
    destination.add_user("fixme@example.test", "x").unwrap();
    for (user, seed, n) in [
        ("slow@example.test", 1, 400),
        ("late@example.test", 2, 5),
        ("fixme@example.test", 3, 5),
    ] {
        seed_mailbox(&source, user, &corpus(seed, n)).await.unwrap();
    }
    // A slow link to the source, so the stop lands mid-mailbox.
    let proxy = FaultProxy::start(([127, 0, 0, 1], source.imap_port()).into())
        .await
        .unwrap();
    proxy.set_fault(Fault::Delay(Duration::from_millis(20)));
    let db = common::database(url).await;
    let cipher = Cipher::new(&[9u8; 32]);
    let id = common::stored_batch(&db, &cipher, &endpoint(EndpointRole::Source, proxy.port()), &endpoint(EndpointRole::Destination, destination.imap_port()), "EmailAddress,UserName,Password\nslow@example.test,slow@example.test,pw-1\nfixme@example.test,fixme@example.test,wrong-pw\nlate@example.test,late@example.test,pw-1\n").await;
    Bed {
        source,
        destination,
        proxy,
        db,
        cipher,
        id,
    }
}

fn settings() -> RunSettings {
    RunSettings {
        concurrency: 1,
        retry: RetryPolicy {
            retries: 2,
            base: Duration::from_millis(50),
            cap: Duration::from_millis(100),
        },
        ..RunSettings::default()
    }
}

impl Bed {
    async fn run(&self, id: i64) -> mailferry::batches::run_batch::BatchOutcome {
        run_batch(&self.db, &self.cipher, id, settings(), |_| {})
            .await
            .unwrap()
    }

    async fn inbox_of(&self, user: &str) -> usize {
        let mut dst = TestSession::master(self.destination.imap_port(), user)
            .await
            .unwrap();
        dst.fetch_all("INBOX").await.unwrap().len()
    }

    /// Starts the batch, stops it once the big mailbox has copied something: every mailbox
    /// ends Stopped, the big one part-way.
    async fn stop_mid_batch(&self) {
        let runner = {
            let (db, cipher, id) = (self.db.clone(), self.cipher.clone(), self.id);
            tokio::spawn(async move { run_batch(&db, &cipher, id, settings(), |_| {}).await })
        };
        let db = &self.db;
        common::wait_for(60, "progress in the big mailbox", || async move {
            let slow = mailbox::Entity::find()
                .filter(mailbox::Column::EmailAddress.eq("slow@example.test"))
                .one(db)
                .await
                .unwrap()
                .unwrap();
            (slow.messages_copied > 0).then_some(())
        })
        .await;
        assert_eq!(
            actions::stop(db, self.id).await.unwrap(),
            BatchState::Stopping
        );
        runner.await.unwrap().unwrap();
        let found = batch::Entity::find_by_id(self.id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.state, BatchState::Stopped);
        let rows_now = mailbox::of_batch(db, self.id).await.unwrap();
        assert!(
            rows_now.iter().all(|m| m.state == MailboxState::Stopped),
            "{:?}",
            rows_now.iter().map(|m| &m.state).collect::<Vec<_>>()
        );
        let partial = rows_now
            .iter()
            .find(|m| m.email_address == "slow@example.test")
            .unwrap()
            .messages_copied;
        assert!(
            partial > 0 && partial < 400,
            "stopped mid-mailbox: {partial}"
        );
    }
}

async fn stop_resume_and_retry_failed_rows(url: String) {
    let mut bed = bed(url).await;
    bed.stop_mid_batch().await;

    // Resume: everything finishes, nothing twice.
    bed.proxy.set_fault(Fault::None);
    assert_eq!(actions::resume(&bed.db, bed.id).await.unwrap(), 3);
    let outcome = bed.run(bed.id).await;
    assert_eq!(
        (outcome.synced, outcome.failed),
        (2, 1),
        "fixme's password is wrong"
    );
    assert_eq!(
        bed.inbox_of("slow@example.test").await,
        400,
        "no loss, no duplicate after stop and resume"
    );

    // The failed rows as CSV: no password.
    let csv = actions::write_failed_rows_csv(&bed.db, bed.id, Vec::new())
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "EmailAddress,UserName,Password,UserRoot\nfixme@example.test,fixme@example.test,,\n"
    );

    // The admin fixes the source password; a new batch from the failed rows reuses the stored
    // (encrypted) credentials, so here the source changes to accept them.
    bed.source
        .add_user("fixme@example.test", "wrong-pw")
        .unwrap();
    let retry = actions::new_batch_from_failed(&bed.db, &bed.cipher, bed.id)
        .await
        .unwrap();
    let outcome = bed.run(retry).await;
    assert_eq!((outcome.synced, outcome.failed), (1, 0));
    assert_eq!(bed.inbox_of("fixme@example.test").await, 5);

    assert!(matches!(actions::delete(&bed.db, bed.id).await, Ok(())));
    let gone = batch::Entity::find_by_id(bed.id)
        .one(&bed.db)
        .await
        .unwrap();
    assert!(gone.is_none());
}

#[test]
fn the_dry_run_counts_and_copies_nothing() {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    source.add_user("dry@example.test", "pw-dry").unwrap();
    destination.add_user("dry@example.test", "x").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(seed_mailbox(&source, "dry@example.test", &corpus(4, 12)))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let output = common::migrate_command(dir.path(), &source, &destination, "EmailAddress,UserName,Password\ndry@example.test,dry@example.test,pw-dry\nnobody@example.test,dry@example.test,pw-dry\n")
        .arg("--dry-run")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(
        out.contains("dry@example.test") && out.contains("12 messages"),
        "{out}"
    );
    assert!(out.contains("Destination mailbox not found"), "{out}");
    let mut dst = runtime
        .block_on(TestSession::master(
            destination.imap_port(),
            "dry@example.test",
        ))
        .unwrap();
    assert_eq!(
        runtime.block_on(dst.fetch_all("INBOX")).unwrap().len(),
        0,
        "a dry run copies nothing"
    );
}

/// Two workers run the same batch at once (as two processes would on PostgreSQL): every mailbox is
/// claimed by exactly one of them and copied exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_batch_copy_every_mailbox_once() {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    let users: Vec<String> = (0..6).map(|i| format!("w{i}@example.test")).collect();
    let mut csv = String::from("EmailAddress,UserName,Password\n");
    for (i, user) in users.iter().enumerate() {
        source.add_user(user, "pw-w").unwrap();
        destination.add_user(user, "x").unwrap();
        seed_mailbox(&source, user, &corpus(10 + i as u64, 20))
            .await
            .unwrap();
        csv.push_str(&format!("{user},{user},pw-w\n"));
    }
    let pg = mailferry_tests::Postgres::start().unwrap();
    let config = Config {
        database_url: DatabaseUrl(pg.url()),
        ..Config::default()
    };
    let db = mailferry::db::open(&config).await.unwrap();
    let cipher = Cipher::new(&[5u8; 32]);
    let id = common::stored_batch(
        &db,
        &cipher,
        &endpoint(EndpointRole::Source, source.imap_port()),
        &endpoint(EndpointRole::Destination, destination.imap_port()),
        &csv,
    )
    .await;
    let worker = |db: sea_orm::DatabaseConnection, cipher: Cipher| {
        tokio::spawn(async move {
            let done = std::sync::Mutex::new(Vec::new());
            let settings = RunSettings {
                concurrency: 2,
                retry: RetryPolicy::default(),
                ..RunSettings::default()
            };
            run_batch(&db, &cipher, id, settings, |event| {
                if let Some(event) = event.finished() {
                    done.lock().unwrap().push(event.email.clone())
                }
            })
            .await
            .unwrap();
            done.into_inner().unwrap()
        })
    };
    let (a, b) = (
        worker(db.clone(), cipher.clone()),
        worker(db.clone(), cipher.clone()),
    );
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let mut all: Vec<String> = a.iter().chain(&b).cloned().collect();
    all.sort();
    assert_eq!(
        all, users,
        "each mailbox finished by exactly one worker (a: {a:?}, b: {b:?})"
    );
    for user in &users {
        let mut dst = TestSession::master(destination.imap_port(), user)
            .await
            .unwrap();
        assert_eq!(dst.fetch_all("INBOX").await.unwrap().len(), 20, "{user}");
    }
}

async fn one_address_in_two_batches(url: String) {
    use mailferry::batches::actions::ActionError;
    let db = mailferry::db::open(&Config {
        database_url: DatabaseUrl(url),
        ..Config::default()
    })
    .await
    .unwrap();
    let cipher = Cipher::new(&[6u8; 32]);
    // Nothing runs yet, so both batches may be created with the same address.
    let csv = "EmailAddress,UserName,Password\nsame@example.test,same,pw\n";
    let (source, destination) = (
        endpoint(EndpointRole::Source, 1),
        endpoint(EndpointRole::Destination, 2),
    );
    let first = common::stored_batch(&db, &cipher, &source, &destination, csv).await;
    let second = common::stored_batch(&db, &cipher, &source, &destination, csv).await;
    actions::start(&db, first).await.unwrap();
    let refused = |result: Result<(), ActionError>| match result {
        Err(ActionError::AlreadyRunning(conflict)) => {
            assert_eq!(
                (conflict.email.as_str(), conflict.batch),
                ("same@example.test", first)
            );
        }
        other => panic!("expected a refusal naming batch {first}, got {other:?}"),
    };
    refused(actions::start(&db, second).await);
    // Resuming and then starting the second batch is refused the same way.
    actions::stop(&db, second).await.unwrap();
    actions::resume(&db, second).await.unwrap();
    refused(actions::start(&db, second).await);
    // So is a new batch from its rows while the first still runs.
    mailbox::Entity::update_many()
        .col_expr(
            mailbox::Column::State,
            sea_orm::sea_query::Expr::value(MailboxState::Failed),
        )
        .filter(mailbox::Column::BatchId.eq(second))
        .exec(&db)
        .await
        .unwrap();
    assert!(matches!(
        actions::new_batch_from_failed(&db, &cipher, second).await,
        Err(ActionError::AlreadyRunning(_))
    ));
    // Once the first is stopped, the second may run.
    actions::stop(&db, first).await.unwrap();
    batch::set_state(&db, first, BatchState::Stopped)
        .await
        .unwrap();
    actions::start(&db, second).await.unwrap();
}

#[tokio::test]
async fn one_address_never_runs_in_two_batches_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    one_address_in_two_batches(format!("sqlite://{}/mf.db", dir.path().display())).await;
}

#[tokio::test]
async fn one_address_never_runs_in_two_batches_postgres() {
    let pg = mailferry_tests::Postgres::start().unwrap();
    one_address_in_two_batches(pg.url()).await;
}
