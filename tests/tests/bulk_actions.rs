//! Bulk actions on a batch's rows against real Dovecots: one running mailbox stopped alone while
//! the others go on, then resumed without a duplicate; the failed rows of a filter retried; a
//! delta pass for a selection only; rows removed.

mod common;

use std::time::Duration;

use app::ids::MailboxId;
use app::model::batch::MailboxState;
use app::model::batch_rows::RowFilter;
use app::model::bulk::RowTarget;
use mailferry::batches::bulk;
use mailferry::batches::run_batch::{RunSettings, run_batch};
use mailferry::db::entity::mailbox;
use mailferry::endpoints::EndpointRole;
use mailferry::secrets::Cipher;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Dovecot, Fault, FaultProxy};

const BIG: &str = "big@example.test";
const SMALL: &str = "small@example.test";
const WRONG: &str = "wrong@example.test";

fn inbox(seed: u64, n: u64) -> MailboxSpec {
    MailboxSpec {
        folders: vec![FolderSpec {
            name: "INBOX".into(),
            messages: (0..n)
                .map(|i| MessageSpec {
                    bytes: message(seed * 10_000 + i, 4_000, None),
                    flags: vec![],
                    internaldate: None,
                })
                .collect(),
        }],
    }
}

struct Bed {
    source: Dovecot,
    destination: Dovecot,
    proxy: FaultProxy,
    _dir: tempfile::TempDir,
    db: sea_orm::DatabaseConnection,
    cipher: Cipher,
    id: i64,
}

async fn bed() -> Bed {
    let (mut source, mut destination) = common::dovecots_offering(None);
    for user in [BIG, SMALL, WRONG] {
        source.add_user(user, "pw").unwrap();
        destination.add_user(user, "pw").unwrap();
    }
    seed_mailbox(&source, BIG, &inbox(1, 400)).await.unwrap();
    seed_mailbox(&source, SMALL, &inbox(2, 5)).await.unwrap();
    seed_mailbox(&source, WRONG, &inbox(3, 5)).await.unwrap();
    source.add_user(WRONG, "changed").unwrap();
    let proxy = FaultProxy::start(([127, 0, 0, 1], source.imap_port()).into())
        .await
        .unwrap();
    proxy.set_fault(Fault::Delay(Duration::from_millis(50)));
    let (dir, db) = common::sqlite().await;
    let cipher = Cipher::new(&[4u8; 32]);
    let users = [BIG, SMALL, WRONG].map(String::from);
    let id = common::stored_batch(
        &db,
        &cipher,
        &common::endpoint(EndpointRole::Source, proxy.port()),
        &common::endpoint(EndpointRole::Destination, destination.imap_port()),
        &common::csv_of(&users, "pw"),
    )
    .await;
    Bed {
        source,
        destination,
        proxy,
        _dir: dir,
        db,
        cipher,
        id,
    }
}

impl Bed {
    async fn row(&self, email: &str) -> mailbox::Model {
        mailbox::of_batch(&self.db, self.id)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.email_address == email)
            .unwrap()
    }

    async fn selected(&self, emails: &[&str]) -> Vec<mailbox::Model> {
        let mut ids = Vec::new();
        for email in emails {
            ids.push(MailboxId(self.row(email).await.id));
        }
        bulk::rows_of(&self.db, self.id, &RowTarget::Selected(ids))
            .await
            .unwrap()
    }

    async fn run(&self) {
        run_batch(
            &self.db,
            &self.cipher,
            self.id,
            RunSettings::default(),
            |_| {},
        )
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_running_mailbox_stops_alone_and_resumes_without_a_duplicate() {
    let mut bed = bed().await;
    let runner = {
        let (db, cipher, id) = (bed.db.clone(), bed.cipher.clone(), bed.id);
        tokio::spawn(
            async move { run_batch(&db, &cipher, id, RunSettings::default(), |_| {}).await },
        )
    };
    let (db, id) = (bed.db.clone(), bed.id);
    let db = &db;
    let big = common::wait_for(60, "the big mailbox copying", || async move {
        let rows = mailbox::of_batch(db, id).await.unwrap();
        rows.into_iter()
            .find(|r| r.email_address == BIG && r.messages_copied > 0)
    })
    .await;
    let outcome = bulk::stop(db, &[big]).await.unwrap();
    assert_eq!((outcome.affected, outcome.left), (1, 0));
    runner.await.unwrap().unwrap();
    let big = bed.row(BIG).await;
    assert_eq!(big.state, MailboxState::Stopped);
    assert!(big.messages_copied < 400, "stopped mid-mailbox");
    assert!(big.stop_requested_at.is_none(), "the request is spent");
    assert_eq!(
        bed.row(SMALL).await.state,
        MailboxState::Synced,
        "the others went on"
    );
    assert_eq!(bed.row(WRONG).await.state, MailboxState::Failed);

    // Resume the stopped one and retry the failed ones of a filter (the password fixed).
    bed.proxy.set_fault(Fault::None);
    bed.source.add_user(WRONG, "pw").unwrap();
    let all = bed.selected(&[BIG, SMALL, WRONG]).await;
    let resumed = bulk::queue(db, bed.id, &all, &[MailboxState::Stopped])
        .await
        .unwrap();
    assert_eq!((resumed.affected, resumed.left), (1, 2));
    let failed = RowFilter {
        state: Some(MailboxState::Failed),
        ..RowFilter::default()
    };
    let rows = bulk::rows_of(db, bed.id, &RowTarget::Matching(failed))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    bulk::queue(db, bed.id, &rows, &[MailboxState::Failed])
        .await
        .unwrap();
    bed.run().await;
    for user in [BIG, WRONG] {
        assert_eq!(bed.row(user).await.state, MailboxState::Synced, "{user}");
    }
    common::assert_same_messages(&bed.source, &bed.destination, BIG, &["INBOX"]).await;
    common::assert_same_messages(&bed.source, &bed.destination, WRONG, &["INBOX"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delta_for_a_selection_only_and_rows_removed() {
    let bed = bed().await;
    bed.proxy.set_fault(Fault::None);
    bed.run().await;
    seed_mailbox(&bed.source, SMALL, &inbox(9, 2))
        .await
        .unwrap();
    seed_mailbox(&bed.source, BIG, &inbox(8, 2)).await.unwrap();
    let small = bed.selected(&[SMALL]).await;
    let delta = bulk::queue(&bed.db, bed.id, &small, &[MailboxState::Synced])
        .await
        .unwrap();
    assert_eq!(delta.affected, 1);
    bed.run().await;
    common::assert_same_messages(&bed.source, &bed.destination, SMALL, &["INBOX"]).await;
    assert_eq!(
        bed.row(BIG).await.messages_copied,
        400,
        "not in the selection"
    );

    let gone = bulk::remove(&bed.db, &bed.selected(&[WRONG, SMALL]).await)
        .await
        .unwrap();
    assert_eq!(gone.affected, 2);
    let left: Vec<String> = mailbox::of_batch(&bed.db, bed.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.email_address)
        .collect();
    assert_eq!(left, vec![BIG.to_string()]);
}
