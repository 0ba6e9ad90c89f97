//! The staged migration end to end, with the worker of `mailferry serve` in this process against
//! real Dovecots (the source with and without CONDSTORE/QRESYNC): Syncing → Synced (first status
//! e-mail) → the users go on working on the source → Sync now makes the destination equal the
//! source → Complete runs the final delta → Completed (second status e-mail). And the same by the
//! batch's own schedule: StartAfter, the delta interval and CompleteAfter.

mod common;

use std::time::Duration;

use app::model::batch::BatchState;
use chrono::Utc;
use mailferry::batches::actions;
use mailferry::batches::create_batch::{NewBatch, Schedule, create_batch};
use mailferry::batches::lifecycle;
use mailferry::db::entity::{batch, mailbox};
use mailferry::endpoints::{EndpointRole, store};
use mailferry::engine::options::BatchOptions;
use mailferry::mail::smtp::{SmtpSecurity, SmtpSettings};
use mailferry::secrets::Cipher;
use mailferry::worker::WorkerSettings;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Dovecot, SmtpReceiver, TestSession};

const USERS: [&str; 2] = ["ann@example.test", "bob@example.test"];
const FOLDERS: [&str; 3] = ["INBOX", "Sent", "Archive/2024"];
/// What a source without CONDSTORE and QRESYNC announces.
const NO_CONDSTORE: &str =
    "IMAP4rev1 SASL-IR ID ENABLE IDLE SPECIAL-USE LIST-EXTENDED LITERAL+ NAMESPACE UIDPLUS MOVE";

struct Bed {
    source: Dovecot,
    destination: Dovecot,
    _dir: tempfile::TempDir,
    db: sea_orm::DatabaseConnection,
    cipher: Cipher,
    smtp: SmtpReceiver,
}

/// Two users with 100 messages each over three folders, some read or flagged.
async fn bed(source_capability: Option<&str>) -> Bed {
    let (mut source, mut destination) = common::dovecots_offering(source_capability);
    let users: Vec<(&str, &str)> = USERS.iter().map(|u| (*u, "pw")).collect();
    source.add_users(&users).unwrap();
    destination.add_users(&users).unwrap();
    for (u, user) in USERS.iter().enumerate() {
        let folders = FOLDERS
            .iter()
            .zip([60u64, 25, 15])
            .map(|(name, count)| FolderSpec {
                name: name.to_string(),
                messages: (0..count)
                    .map(|i| MessageSpec {
                        bytes: message(u as u64 * 1000 + count * 10 + i, 3_000, None),
                        flags: match i % 4 {
                            0 => vec!["\\Seen".into()],
                            1 => vec!["\\Flagged".into(), "$Label1".into()],
                            _ => vec![],
                        },
                        internaldate: None,
                    })
                    .collect(),
            })
            .collect();
        seed_mailbox(&source, user, &MailboxSpec { folders })
            .await
            .unwrap();
    }
    let (dir, db) = common::sqlite().await;
    Bed {
        source,
        destination,
        _dir: dir,
        db,
        cipher: Cipher::new(&[5u8; 32]),
        smtp: SmtpReceiver::start().await.unwrap(),
    }
}

impl Bed {
    async fn batch(&self, options: BatchOptions, schedule: Schedule) -> i64 {
        let source = common::endpoint(EndpointRole::Source, self.source.imap_port());
        let destination = common::endpoint(EndpointRole::Destination, self.destination.imap_port());
        let rows = mailferry::csv_import::parse_csv(
            common::csv_of(&USERS.map(String::from), "pw").as_bytes(),
        )
        .unwrap();
        let new = NewBatch {
            name: "staged".into(),
            source_endpoint_id: store::save(&self.db, &self.cipher, &source).await.unwrap(),
            destination_endpoint_id: store::save(&self.db, &self.cipher, &destination)
                .await
                .unwrap(),
            options: &options,
            notify_emails: vec!["admin@example.test".into()],
            rows: &rows,
            origin: None,
            schedule,
        };
        create_batch(&self.db, &self.cipher, new).await.unwrap()
    }

    fn worker(&self) -> tokio::task::JoinHandle<()> {
        let smtp = SmtpSettings {
            host: "127.0.0.1".into(),
            port: self.smtp.port(),
            security: SmtpSecurity::None,
            from: "Mailferry <mailferry@example.test>".into(),
            ..Default::default()
        };
        tokio::spawn(mailferry::worker::run(
            self.db.clone(),
            self.cipher.clone(),
            smtp,
            WorkerSettings {
                concurrency: 2,
                lease: Duration::from_secs(30),
                imap_timeout: Duration::from_secs(20),
                cluster_max: None,
                poll: Duration::from_millis(100),
            },
        ))
    }

    /// A batch with the default options, its first pass run by the worker: Synced.
    async fn synced(&self) -> (i64, tokio::task::JoinHandle<()>) {
        let id = self
            .batch(BatchOptions::default(), Schedule::default())
            .await;
        let worker = self.worker();
        let before = Utc::now();
        actions::start(&self.db, id).await.unwrap();
        self.wait_until(id, BatchState::Synced, before).await;
        (id, worker)
    }

    async fn batch_row(&self, id: i64) -> batch::Model {
        batch::find(&self.db, id).await.unwrap().unwrap()
    }

    /// Waits until the batch is in `state` with a pass ended after `after`.
    async fn wait_until(&self, id: i64, state: BatchState, after: chrono::DateTime<Utc>) {
        common::wait_for(120, &format!("batch {state}"), || async move {
            let b = self.batch_row(id).await;
            (b.state == state && b.last_synced_at.is_some_and(|t| t > after)).then_some(())
        })
        .await;
    }

    /// The users go on working: two new messages in each of the three folders, 10 of the 100
    /// messages with other flags or keywords, one expunged, a new folder with three messages.
    async fn users_keep_working(&self, round: u64) {
        for (u, user) in USERS.iter().enumerate() {
            let new_mail = |i: u64| MessageSpec {
                bytes: message(50_000 + round * 100 + u as u64 * 10 + i, 2_500, None),
                flags: vec![],
                internaldate: None,
            };
            let mut folders: Vec<FolderSpec> = FOLDERS
                .iter()
                .enumerate()
                .map(|(f, name)| FolderSpec {
                    name: name.to_string(),
                    messages: (0..2).map(|i| new_mail(f as u64 * 2 + i)).collect(),
                })
                .collect();
            folders.push(FolderSpec {
                name: format!("Projects{round}"),
                messages: (0..3).map(|i| new_mail(10 + i)).collect(),
            });
            seed_mailbox(&self.source, user, &MailboxSpec { folders })
                .await
                .unwrap();
            let mut session = TestSession::master(self.source.imap_port(), user)
                .await
                .unwrap();
            for command in [
                "SELECT INBOX",
                "UID STORE 1:6 +FLAGS (\\Answered $Work)",
                "UID STORE 2,6,10 -FLAGS (\\Flagged $Label1)",
                "UID STORE 3,7,11,15 +FLAGS (\\Seen)",
                "UID STORE 40 +FLAGS (\\Deleted)",
                "EXPUNGE",
            ] {
                session.command(command, |_, _| Ok(())).await.unwrap();
            }
        }
    }

    async fn assert_destination_equals_source(&self, rounds: u64) {
        let mut folders: Vec<String> = FOLDERS.iter().map(|f| f.to_string()).collect();
        folders.extend((1..=rounds).map(|r| format!("Projects{r}")));
        let names: Vec<&str> = folders.iter().map(String::as_str).collect();
        for user in USERS {
            common::assert_same_messages(&self.source, &self.destination, user, &names).await;
        }
    }

    async fn subjects(&self, count: usize) -> Vec<String> {
        let mails = self
            .smtp
            .wait_for(count, Duration::from_secs(30))
            .await
            .expect("the status e-mails arrive");
        mails
            .iter()
            .map(|m| {
                let parsed = mailparse::parse_mail(&m.data).unwrap();
                parsed
                    .headers
                    .iter()
                    .find(|h| h.get_key() == "Subject")
                    .map(|h| h.get_value())
                    .unwrap_or_default()
            })
            .collect()
    }
}

/// Synced → Sync now → Complete, by hand, as an admin does it.
async fn staged_by_hand(source_capability: Option<&str>) {
    let bed = bed(source_capability).await;
    let (id, worker) = bed.synced().await;
    let synced = bed.batch_row(id).await;
    let next = synced.next_sync_at.expect("a delta sync is scheduled");
    let in_a_day = (next - synced.last_synced_at.unwrap()).num_seconds();
    assert!(
        (86_390..=86_410).contains(&in_a_day),
        "next delta in {in_a_day} s"
    );
    for row in mailbox::of_batch(&bed.db, id).await.unwrap() {
        assert!(
            row.last_synced_at.is_some(),
            "{} last synced",
            row.email_address
        );
    }
    bed.assert_destination_equals_source(0).await;
    let first = bed.subjects(1).await;
    assert!(first[0].contains("Synced"), "{first:?}");

    bed.users_keep_working(1).await;
    let before_delta = Utc::now();
    assert_eq!(lifecycle::sync_now(&bed.db, id).await.unwrap(), 2);
    bed.wait_until(id, BatchState::Synced, before_delta).await;
    bed.assert_destination_equals_source(1).await;
    let rows = mailbox::of_batch(&bed.db, id).await.unwrap();
    for row in &rows {
        // Other flags on UIDs 1–6, 7, 10, 11 and 15.
        assert_eq!(row.flags_updated, 10, "{}", row.email_address);
        assert_eq!(row.deletions_applied, 1, "{}", row.email_address);
    }

    bed.users_keep_working(2).await;
    let before_final = Utc::now();
    assert_eq!(
        lifecycle::complete(&bed.db, id).await.unwrap(),
        BatchState::Completing
    );
    bed.wait_until(id, BatchState::Completed, before_final)
        .await;
    bed.assert_destination_equals_source(2).await;
    let ended = bed.batch_row(id).await;
    assert!(ended.ended_at.is_some() && ended.next_sync_at.is_none());
    let both = bed.subjects(2).await;
    assert!(both[1].contains("Completed"), "{both:?}");
    // A completed batch takes no more deltas.
    assert!(lifecycle::sync_now(&bed.db, id).await.is_err());
    worker.abort();
    assert_eq!(bed.smtp.messages().len(), 2, "one e-mail per stage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synced_then_sync_now_then_complete_with_condstore() {
    staged_by_hand(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synced_then_sync_now_then_complete_without_condstore() {
    staged_by_hand(Some(NO_CONDSTORE)).await;
}

/// StartAfter starts the first pass, the delta interval (2 s here) carries the users' changes,
/// CompleteAfter ends the batch: nobody presses anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_starts_syncs_and_completes_by_itself() {
    let bed = bed(None).await;
    let start_after = Utc::now() + chrono::Duration::seconds(2);
    let complete_after = Utc::now() + chrono::Duration::seconds(10);
    let options = BatchOptions {
        incremental_sync_secs: 2,
        ..Default::default()
    };
    let schedule = Schedule {
        start_after: Some(start_after),
        complete_after: Some(complete_after),
        complete_at_once: false,
    };
    let id = bed.batch(options, schedule).await;
    let worker = bed.worker();
    bed.wait_until(id, BatchState::Synced, start_after).await;
    let first = bed.batch_row(id).await;
    assert!(
        first.started_at.unwrap() >= start_after,
        "started before StartAfter"
    );
    bed.users_keep_working(1).await;
    let changed = Utc::now();
    // A scheduled delta (no Sync now) carries the changes.
    bed.wait_until(id, BatchState::Synced, changed).await;
    bed.assert_destination_equals_source(1).await;
    bed.wait_until(id, BatchState::Completed, changed).await;
    let ended = bed.batch_row(id).await;
    assert!(
        ended.ended_at.unwrap() >= complete_after,
        "completed before CompleteAfter"
    );
    bed.assert_destination_equals_source(1).await;
    worker.abort();
}

/// Complete while a pass runs: the final pass follows it (the pass may have read a mailbox
/// before the MX switch), then Completed, with both status e-mails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_during_a_pass_runs_the_final_pass_after_it() {
    let bed = bed(None).await;
    let id = bed
        .batch(BatchOptions::default(), Schedule::default())
        .await;
    let before = Utc::now();
    actions::start(&bed.db, id).await.unwrap();
    assert_eq!(
        lifecycle::complete(&bed.db, id).await.unwrap(),
        BatchState::Syncing
    );
    assert!(
        bed.batch_row(id)
            .await
            .complete_after
            .is_some_and(|t| t >= before)
    );
    let worker = bed.worker();
    bed.wait_until(id, BatchState::Completed, before).await;
    bed.assert_destination_equals_source(0).await;
    let subjects = bed.subjects(2).await;
    assert!(
        subjects[0].contains("Synced") && subjects[1].contains("Completed"),
        "{subjects:?}"
    );
    worker.abort();
}

/// Stop ends a Synced batch's scheduled deltas; Resume brings it back to Synced with a delta
/// scheduled; Complete still works from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_resume_a_synced_batch() {
    let bed = bed(None).await;
    let (id, worker) = bed.synced().await;
    assert_eq!(
        actions::stop(&bed.db, id).await.unwrap(),
        BatchState::Stopped
    );
    let stopped = bed.batch_row(id).await;
    assert_eq!(
        (stopped.state, stopped.next_sync_at),
        (BatchState::Stopped, None)
    );
    assert!(
        lifecycle::sync_now(&bed.db, id).await.is_err(),
        "no delta while stopped"
    );
    let resumed_at = Utc::now();
    actions::resume(&bed.db, id).await.unwrap();
    actions::start(&bed.db, id).await.unwrap();
    bed.wait_until(id, BatchState::Synced, resumed_at).await;
    assert!(bed.batch_row(id).await.next_sync_at.is_some());
    lifecycle::complete(&bed.db, id).await.unwrap();
    bed.wait_until(id, BatchState::Completed, resumed_at).await;
    bed.assert_destination_equals_source(0).await;
    worker.abort();
}
