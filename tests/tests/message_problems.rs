//! A message problem is recorded once per mailbox, whatever happens around it: an attempt that
//! is retried after a cut connection meets the same problem again, a mailbox that then fails
//! (destination full) keeps the problems it found, and a later pass after resume adds none twice.

mod common;

use std::time::Duration;

use app::ErrorKind;
use app::model::batch::MailboxState;
use mailferry::batches::actions;
use mailferry::batches::run_batch::{RunSettings, run_batch};
use mailferry::db::entity::{mailbox, migration_error};
use mailferry::endpoints::EndpointRole;
use mailferry::engine::options::BatchOptions;
use mailferry::engine::retry::RetryPolicy;
use mailferry::secrets::Cipher;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Dovecot, DovecotOptions, Fault, FaultProxy};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const USER: &str = "prob@example.test";

fn folder(name: &str, sizes: &[usize], seed: u64) -> FolderSpec {
    FolderSpec {
        name: name.into(),
        messages: sizes
            .iter()
            .enumerate()
            .map(|(i, size)| MessageSpec {
                bytes: message(seed + i as u64, *size, None),
                flags: vec![],
                internaldate: None,
            })
            .collect(),
    }
}

fn settings() -> RunSettings {
    RunSettings {
        retry: RetryPolicy {
            retries: 3,
            base: Duration::from_millis(50),
            cap: Duration::from_millis(200),
        },
        ..RunSettings::with_concurrency(1)
    }
}

async fn errors_of(
    db: &sea_orm::DatabaseConnection,
    kind: ErrorKind,
) -> Vec<migration_error::Model> {
    migration_error::Entity::find()
        .filter(migration_error::Column::Kind.eq(kind))
        .all(db)
        .await
        .unwrap()
}

/// The user's mailbox on the source behind a proxy, a destination with a 150 KB quota for it,
/// and a SQLite store.
async fn bed() -> (
    Dovecot,
    Dovecot,
    FaultProxy,
    tempfile::TempDir,
    sea_orm::DatabaseConnection,
) {
    let (mut source, mut destination) = common::dovecots(DovecotOptions {
        quota: true,
        ..DovecotOptions::default()
    });
    source.add_user(USER, "pw").unwrap();
    destination.add_user(USER, "pw").unwrap();
    // A 60 KB message over the batch's 50 KB limit between two small ones, then ten of 40 KB
    // that fill the destination.
    let sizes: Vec<usize> = [2_000, 60_000, 2_000]
        .into_iter()
        .chain([40_000; 10])
        .collect();
    let spec = MailboxSpec {
        folders: vec![folder("INBOX", &sizes, 100)],
    };
    seed_mailbox(&source, USER, &spec).await.unwrap();
    destination.set_quota_bytes(USER, Some(150_000)).unwrap();
    let proxy = FaultProxy::start(([127, 0, 0, 1], source.imap_port()).into())
        .await
        .unwrap();
    let (dir, db) = common::sqlite().await;
    (source, destination, proxy, dir, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_problems_are_recorded_once_whatever_the_end() {
    let (_source, mut destination, proxy, _dir, db) = bed().await;
    let cipher = Cipher::new(&[8u8; 32]);
    let options = BatchOptions {
        max_message_bytes: Some(50_000),
        folders_at_once: 1,
        ..BatchOptions::default()
    };
    let id = common::stored_batch_with(
        &db,
        &cipher,
        (
            &common::endpoint(EndpointRole::Source, proxy.port()),
            &common::endpoint(EndpointRole::Destination, destination.imap_port()),
        ),
        &common::csv_of(&[USER.to_string()], "pw"),
        &options,
    )
    .await;

    // Pass 1: the destination fills up; the problem found before is kept with the failure.
    let outcome = run_batch(&db, &cipher, id, settings(), |_| {})
        .await
        .unwrap();
    assert_eq!(outcome.failed, 1, "{outcome:?}");
    assert_eq!(
        errors_of(&db, ErrorKind::DestinationMailboxFull)
            .await
            .len(),
        1
    );
    let too_large = errors_of(&db, ErrorKind::MessageTooLarge).await;
    assert_eq!(too_large.len(), 1, "kept although the mailbox failed");
    assert_eq!(
        (too_large[0].folder.as_deref(), too_large[0].uid),
        (Some("INBOX"), Some(2))
    );

    // Pass 2, after the admin made room: a cut while the bodies come makes the mailbox start
    // over (and meet the problem again), then it finishes. The problem is still there once.
    destination.set_quota_bytes(USER, None).unwrap();
    proxy.set_fault(Fault::CutAfterBytes(150_000));
    actions::resume(&db, id).await.unwrap();
    let outcome = run_batch(&db, &cipher, id, settings(), |_| {})
        .await
        .unwrap();
    assert_eq!(proxy.fault(), Fault::None, "the cut happened");
    assert_eq!((outcome.synced, outcome.failed), (1, 0), "{outcome:?}");
    let row = mailbox::Entity::find()
        .filter(mailbox::Column::BatchId.eq(id))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, MailboxState::Synced);
    assert_eq!(
        errors_of(&db, ErrorKind::MessageTooLarge).await.len(),
        1,
        "the same problem, met three times, is one row"
    );
    assert_eq!(row.messages_skipped, 1);
}
