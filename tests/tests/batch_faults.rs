//! Network faults and a full destination at batch level (the engine's own fault tests look at
//! one mailbox): the batch goes on through cut connections, a slow link and a destination
//! restart; the retry budget ends in the right error kind; a full destination stops one
//! mailbox while the others finish, and resume completes it without a duplicate (its error then
//! resolved, not deleted).

mod common;

use std::time::{Duration, Instant};

use app::ErrorKind;
use app::ids::BatchId;
use app::model::batch::MailboxState;
use app::model::report::ErrorFilter;
use mailferry::batches::actions;
use mailferry::batches::run_batch::{MailboxFinished, RunSettings, run_batch};
use mailferry::db::entity::mailbox;
use mailferry::endpoints::EndpointRole;
use mailferry::engine::retry::RetryPolicy;
use mailferry::report::error_query;
use mailferry::secrets::Cipher;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Dovecot, DovecotOptions, Fault, FaultProxy};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const USERS: [&str; 3] = ["ada@example.test", "bo@example.test", "cy@example.test"];
/// 150 messages of 8 KB: 1.2 MB per mailbox, two destination transactions (100 + 50).
const MESSAGES: u64 = 150;

struct Bed {
    source: Dovecot,
    destination: Dovecot,
    source_proxy: FaultProxy,
    destination_proxy: FaultProxy,
    db: sea_orm::DatabaseConnection,
    _dir: tempfile::TempDir,
    cipher: Cipher,
    id: i64,
}

async fn bed() -> Bed {
    let (mut source, mut destination) = common::dovecots(DovecotOptions {
        quota: true,
        ..DovecotOptions::default()
    });
    let pairs: Vec<(&str, &str)> = USERS.iter().map(|u| (*u, "pw")).collect();
    source.add_users(&pairs).unwrap();
    destination.add_users(&pairs).unwrap();
    for (i, user) in USERS.iter().enumerate() {
        let spec = MailboxSpec {
            folders: vec![FolderSpec {
                name: "INBOX".into(),
                messages: (0..MESSAGES)
                    .map(|m| MessageSpec {
                        bytes: message(i as u64 * 1_000 + m, 8_000, None),
                        flags: vec![],
                        internaldate: None,
                    })
                    .collect(),
            }],
        };
        seed_mailbox(&source, user, &spec).await.unwrap();
    }
    let source_proxy = FaultProxy::start(([127, 0, 0, 1], source.imap_port()).into())
        .await
        .unwrap();
    let destination_proxy = FaultProxy::start(([127, 0, 0, 1], destination.imap_port()).into())
        .await
        .unwrap();
    let (dir, db) = common::sqlite().await;
    let cipher = Cipher::new(&[5u8; 32]);
    let csv = USERS.iter().fold(
        String::from("EmailAddress,UserName,Password\n"),
        |csv, u| csv + &format!("{u},{u},pw\n"),
    );
    let id = common::stored_batch(
        &db,
        &cipher,
        &common::endpoint(EndpointRole::Source, source_proxy.port()),
        &common::endpoint(EndpointRole::Destination, destination_proxy.port()),
        &csv,
    )
    .await;
    Bed {
        source,
        destination,
        source_proxy,
        destination_proxy,
        db,
        _dir: dir,
        cipher,
        id,
    }
}

fn settings(retries: u32) -> RunSettings {
    RunSettings {
        concurrency: USERS.len(),
        retry: RetryPolicy {
            retries,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(400),
        },
        ..RunSettings::default()
    }
}

async fn run(bed: &Bed, retries: u32) -> Vec<MailboxFinished> {
    let finished = std::sync::Mutex::new(Vec::new());
    run_batch(&bed.db, &bed.cipher, bed.id, settings(retries), |event| {
        if let Some(done) = event.finished() {
            finished.lock().unwrap().push(done.clone())
        }
    })
    .await
    .unwrap();
    finished.into_inner().unwrap()
}

fn of<'a>(finished: &'a [MailboxFinished], user: &str) -> &'a MailboxFinished {
    finished.iter().find(|d| d.email == user).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_goes_through_cuts_a_slow_link_and_a_destination_restart() {
    let mut bed = bed().await;
    // Every source connection breaks after 1 MB (a mailbox is 1.2 MB, a transaction 0.8 MB);
    // the destination link is slow.
    bed.source_proxy.set_fault(Fault::CutEveryBytes(1_000_000));
    bed.destination_proxy
        .set_fault(Fault::Delay(Duration::from_millis(2)));
    let runner = {
        let (db, cipher, id) = (bed.db.clone(), bed.cipher.clone(), bed.id);
        tokio::spawn(async move {
            let finished = std::sync::Mutex::new(Vec::new());
            run_batch(&db, &cipher, id, settings(3), |event| {
                if let Some(done) = event.finished() {
                    finished.lock().unwrap().push(done.clone())
                }
            })
            .await
            .unwrap();
            finished.into_inner().unwrap()
        })
    };
    // Restart the destination once the copying is under way.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let copied: i64 = mailbox::Entity::find()
            .filter(mailbox::Column::BatchId.eq(bed.id))
            .all(&bed.db)
            .await
            .unwrap()
            .iter()
            .map(|m| m.messages_copied)
            .sum();
        if copied > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bed.destination.restart().unwrap();
    let finished = runner.await.unwrap();
    for user in USERS {
        let done = of(&finished, user);
        assert_eq!(done.state, MailboxState::Synced, "{user}: {done:?}");
        common::assert_same_messages(&bed.source, &bed.destination, user, &["INBOX"]).await;
    }
    assert!(
        bed.source_proxy.connections() >= 2 * USERS.len(),
        "the cuts forced reconnections: {}",
        bed.source_proxy.connections()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_retry_budget_ends_in_the_right_kind() {
    let bed = bed().await;
    // Every connection is cut after sign-in and LIST, before any message: the server is
    // reached each time, but no attempt gets anywhere.
    bed.source_proxy.set_fault(Fault::CutEveryBytes(1_500));
    let finished = run(&bed, 2).await;
    for user in USERS {
        let done = of(&finished, user);
        assert_eq!(done.state, MailboxState::Failed, "{user}: {done:?}");
        let (kind, detail) = done.error.clone().unwrap();
        assert_eq!(kind, ErrorKind::ConnectionLost, "{user}: {detail}");
    }
    // Three attempts (one and two retries) per mailbox, no more.
    assert_eq!(bed.source_proxy.connections(), USERS.len() * 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_destination_stops_one_mailbox_and_the_others_go_on() {
    let mut bed = bed().await;
    bed.destination
        .set_quota_bytes(USERS[1], Some(400_000))
        .unwrap();
    let finished = run(&bed, 2).await;
    let full = of(&finished, USERS[1]);
    assert_eq!(full.state, MailboxState::Failed);
    assert_eq!(
        full.error.as_ref().unwrap().0,
        ErrorKind::DestinationMailboxFull,
        "{full:?}"
    );
    for user in [USERS[0], USERS[2]] {
        assert_eq!(of(&finished, user).state, MailboxState::Synced);
        common::assert_same_messages(&bed.source, &bed.destination, user, &["INBOX"]).await;
    }
    // The admin raises the quota and resumes: the rest is copied, nothing twice.
    bed.destination.set_quota_bytes(USERS[1], None).unwrap();
    assert_eq!(actions::resume(&bed.db, bed.id).await.unwrap(), 1);
    let finished = run(&bed, 2).await;
    assert_eq!(of(&finished, USERS[1]).state, MailboxState::Synced);
    for user in USERS {
        common::assert_same_messages(&bed.source, &bed.destination, user, &["INBOX"]).await;
    }
    assert_overcome_error_is_resolved(&bed).await;
}

/// The full destination's error, overcome by the resumed pass: gone from the current report,
/// kept (with when it was resolved) behind the "resolved too" filter.
async fn assert_overcome_error_is_resolved(bed: &Bed) {
    let filter = |resolved_too| ErrorFilter {
        batch: Some(BatchId(bed.id)),
        resolved_too,
        per_page: 50,
        ..ErrorFilter::default()
    };
    let current = error_query::query(&bed.db, &filter(false)).await.unwrap();
    assert_eq!(current.total, 0, "{:?}", current.rows);
    let all = error_query::query(&bed.db, &filter(true)).await.unwrap();
    assert_eq!(all.total, 1, "{:?}", all.rows);
    let row = &all.rows[0];
    assert_eq!(
        (row.kind, row.email_address.as_str()),
        (ErrorKind::DestinationMailboxFull, USERS[1])
    );
    assert!(row.resolved_at.is_some_and(|at| at >= row.time), "{row:?}");
}
