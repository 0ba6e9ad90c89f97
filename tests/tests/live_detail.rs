//! The live detail of a running mailbox, from the row the batch page reads: from each folder's
//! metadata on, what the pass copies and has copied (the numbers move while it runs), the
//! folders being copied, the rate over the last minute and the time left; cleared when the pass
//! ends. After a stop and a resume the detail is of the resumed pass alone: what is left.

mod common;

use std::time::Duration;

use app::model::batch::{LiveDetail, MailboxState};
use mailferry::batches::actions;
use mailferry::batches::run_batch::{RunSettings, run_batch};
use mailferry::db::entity::mailbox;
use mailferry::endpoints::EndpointRole;
use mailferry::http::web_backend::batch_view::mailbox_row;
use mailferry::secrets::Cipher;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Fault, FaultProxy};

const USER: &str = "long@example.test";
const MESSAGES: u64 = 500;

async fn row(db: &sea_orm::DatabaseConnection, id: i64) -> mailbox::Model {
    mailbox::of_batch(db, id).await.unwrap().remove(0)
}

/// The live detail once it is `ready`.
async fn live_when(
    db: &sea_orm::DatabaseConnection,
    id: i64,
    what: &str,
    ready: impl Fn(&LiveDetail) -> bool,
) -> LiveDetail {
    let ready = &ready;
    common::wait_for(120, what, || async move {
        let r = row(db, id).await;
        mailbox_row(&r, None).live.filter(ready)
    })
    .await
}

/// One mailbox of MESSAGES behind a slow link to the source, in a stored batch.
async fn bed() -> (
    (mailferry_tests::Dovecot, mailferry_tests::Dovecot),
    tempfile::TempDir,
    sea_orm::DatabaseConnection,
    Cipher,
    i64,
    FaultProxy,
) {
    let (mut source, mut destination) = common::dovecots_offering(None);
    source.add_user(USER, "pw").unwrap();
    destination.add_user(USER, "pw").unwrap();
    let spec = MailboxSpec {
        folders: vec![FolderSpec {
            name: "INBOX".into(),
            messages: (0..MESSAGES)
                .map(|i| MessageSpec {
                    bytes: message(70_000 + i, 4_000, None),
                    flags: vec![],
                    internaldate: None,
                })
                .collect(),
        }],
    };
    seed_mailbox(&source, USER, &spec).await.unwrap();
    // A slow link, so the pass runs long enough to be watched.
    let proxy = FaultProxy::start(([127, 0, 0, 1], source.imap_port()).into())
        .await
        .unwrap();
    proxy.set_fault(Fault::Delay(Duration::from_millis(100)));
    let (dir, db) = common::sqlite().await;
    let cipher = Cipher::new(&[3u8; 32]);
    let id = common::stored_batch(
        &db,
        &cipher,
        &common::endpoint(EndpointRole::Source, proxy.port()),
        &common::endpoint(EndpointRole::Destination, destination.imap_port()),
        &common::csv_of(&[USER.to_string()], "pw"),
    )
    .await;
    ((source, destination), dir, db, cipher, id, proxy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_mailbox_shows_what_it_copies_how_fast_and_how_long() {
    let (_servers, _dir, db, cipher, id, proxy) = bed().await;
    let run = |db: sea_orm::DatabaseConnection, cipher: Cipher| {
        tokio::spawn(async move {
            run_batch(&db, &cipher, id, RunSettings::default(), |_| {})
                .await
                .unwrap()
        })
    };

    let runner = run(db.clone(), cipher.clone());
    let first = live_when(&db, id, "a first commit", |l| {
        l.messages_done > 0 && l.rate > 0
    })
    .await;
    assert_eq!(first.folders, "INBOX");
    assert_eq!(
        first.messages_total, MESSAGES,
        "known from the metadata pass on"
    );
    assert!(first.bytes_total >= MESSAGES * 4_000, "{first:?}");
    assert!(first.messages_done < MESSAGES, "{first:?}");
    assert!(first.eta_secs.is_some_and(|s| s > 0), "{first:?}");
    let done = first.messages_done;
    let later = live_when(&db, id, "another commit", |l| l.messages_done > done).await;
    assert!(
        later.bytes_done > first.bytes_done,
        "the numbers move: {later:?}"
    );

    // Stopped and resumed: the resumed pass plans only what is left.
    actions::stop(&db, id).await.unwrap();
    runner.await.unwrap();
    let stopped = row(&db, id).await;
    assert_eq!(stopped.state, MailboxState::Stopped);
    assert!(mailbox_row(&stopped, None).live.is_none());
    let copied = stopped.messages_copied as u64;
    assert!(
        copied > 0 && copied < MESSAGES,
        "stopped mid-mailbox: {copied}"
    );
    actions::resume(&db, id).await.unwrap();
    actions::start(&db, id).await.unwrap();
    let runner = run(db.clone(), cipher.clone());
    let resumed = live_when(&db, id, "the resumed pass's plan", |l| l.messages_total > 0).await;
    assert_eq!(resumed.messages_total, MESSAGES - copied, "{resumed:?}");
    proxy.set_fault(Fault::None);
    runner.await.unwrap();
    let done = row(&db, id).await;
    assert_eq!(done.state, MailboxState::Synced);
    assert_eq!(done.live_bytes_total, None, "cleared when the pass ended");
    assert_eq!(done.messages_copied as u64, MESSAGES);
}
