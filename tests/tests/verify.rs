//! Verify and Copy missing against real Dovecots: a migrated batch verifies whole; messages
//! deleted on the destination behind Mailferry's back are found (per folder, by Message-ID),
//! reported in MigrationVerification.csv, and Copy missing brings back exactly those (a plain
//! rerun does not: the state says they were copied); the pass verifies the mailbox again by
//! itself. The CLI's `migrate --verify` and `batch verify`. And the figure: verifying a
//! mailbox of 10,000 messages.

mod common;

use std::time::Instant;

use app::model::verification::VerifyOutcome;
use chrono::TimeZone as _;
use mailferry::batches::actions;
use mailferry::batches::run_batch::{RunSettings, run_batch};
use mailferry::endpoints::EndpointRole;
use mailferry::secrets::Cipher;
use mailferry::verify::{copy_missing, export, run, store};
use mailferry_tests::imap::Appended;
use mailferry_tests::mailferry_server::mailferry_binary;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Dovecot, TestSession};

const ANN: &str = "ann@example.test";
const BOB: &str = "bob@example.test";

fn mailbox(seed: u64) -> MailboxSpec {
    let folder = |name: &str, first: u64, n: u64| FolderSpec {
        name: name.into(),
        messages: (first..first + n)
            .map(|i| MessageSpec {
                bytes: message(seed * 1000 + i, 1_500 + (i as usize % 7) * 100, None),
                flags: vec![],
                internaldate: None,
            })
            .collect(),
    };
    MailboxSpec {
        folders: vec![
            folder("INBOX", 0, 30),
            folder("Sent", 100, 8),
            folder("Archive/2024", 200, 5),
        ],
    }
}

struct Bed {
    source: Dovecot,
    destination: Dovecot,
    _dir: tempfile::TempDir,
    db: sea_orm::DatabaseConnection,
    cipher: Cipher,
    id: i64,
}

async fn bed() -> Bed {
    let (mut source, mut destination) = common::dovecots_offering(None);
    for dovecot in [&mut source, &mut destination] {
        dovecot.add_users(&[(ANN, "pw"), (BOB, "pw")]).unwrap();
    }
    seed_mailbox(&source, ANN, &mailbox(1)).await.unwrap();
    seed_mailbox(&source, BOB, &mailbox(2)).await.unwrap();
    let (dir, db) = common::sqlite().await;
    let cipher = Cipher::new(&[9u8; 32]);
    let id = common::stored_batch(
        &db,
        &cipher,
        &common::endpoint(EndpointRole::Source, source.imap_port()),
        &common::endpoint(EndpointRole::Destination, destination.imap_port()),
        &common::csv_of(&[ANN.to_string(), BOB.to_string()], "pw"),
    )
    .await;
    Bed {
        source,
        destination,
        _dir: dir,
        db,
        cipher,
        id,
    }
}

impl Bed {
    async fn run(&self) {
        let outcome = run_batch(
            &self.db,
            &self.cipher,
            self.id,
            RunSettings::default(),
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(outcome.failed, 0, "{outcome:?}");
    }

    async fn verify(&self) -> run::VerifyTally {
        let rows = run::rows_to_verify(&self.db, self.id, None).await.unwrap();
        run::verify_rows(&self.db, &self.cipher, self.id, rows)
            .await
            .unwrap()
    }

    async fn badge(&self, email: &str) -> app::model::verification::VerificationBadge {
        let rows = mailferry::db::entity::mailbox::of_batch(&self.db, self.id)
            .await
            .unwrap();
        let row = rows.iter().find(|r| r.email_address == email).unwrap();
        store::badges(&self.db, &[row.id]).await.unwrap()[&row.id].clone()
    }

    /// Runs IMAP commands on the destination as `user`.
    async fn on_destination(&self, user: &str, commands: &[&str]) {
        let mut session = TestSession::master(self.destination.imap_port(), user)
            .await
            .unwrap();
        for command in commands {
            session.command(command, |_, _| Ok(())).await.unwrap();
        }
    }

    async fn count(&self, dovecot: &Dovecot, user: &str, folder: &str) -> usize {
        let mut session = TestSession::master(dovecot.imap_port(), user)
            .await
            .unwrap();
        session.fetch_all(folder).await.unwrap().len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_finds_what_the_destination_lost_and_copy_missing_brings_back_only_that() {
    let bed = bed().await;
    bed.run().await;
    let tally = bed.verify().await;
    assert_eq!((tally.whole, tally.missing, tally.failed), (2, 0, 0));
    assert_eq!(bed.badge(ANN).await.outcome, VerifyOutcome::Whole);

    lose_on_destination(&bed).await;
    let tally = bed.verify().await;
    assert_eq!((tally.whole, tally.missing, tally.failed), (1, 1, 0));
    let badge = bed.badge(ANN).await;
    assert_eq!(
        (badge.outcome, badge.missing, badge.extra),
        (VerifyOutcome::Missing, 3, 1)
    );
    assert_eq!(bed.badge(BOB).await.outcome, VerifyOutcome::Whole);

    assert_reported(&bed).await;

    // A plain rerun trusts its state: the lost messages stay lost.
    let queued = mailferry::batches::lifecycle::sync_now(&bed.db, bed.id)
        .await
        .unwrap();
    assert_eq!(queued, 2);
    bed.run().await;
    assert_eq!(bed.count(&bed.destination, ANN, "INBOX").await, 28);

    copy_back(&bed).await;
}

/// The report names each missing message by folder, UID and Message-ID.
async fn assert_reported(bed: &Bed) {
    let csv = String::from_utf8(
        export::write_verification_csv(&bed.db, bed.id, Vec::new())
            .await
            .unwrap(),
    )
    .unwrap();
    let missing: Vec<&str> = csv.lines().filter(|l| l.contains(",missing,")).collect();
    assert_eq!(missing.len(), 3, "{csv}");
    for (folder, uid, id) in [
        ("INBOX", 3, "<seed-1002@mailferry.test>"),
        ("INBOX", 17, "<seed-1016@mailferry.test>"),
        ("Sent", 1, "<seed-1100@mailferry.test>"),
    ] {
        assert!(
            missing
                .iter()
                .any(|l| l.contains(&format!("{folder},missing,"))
                    && l.contains(&format!(",{uid},{id},"))),
            "{folder} UID {uid} {id} not reported missing:\n{csv}"
        );
    }
    assert!(csv.contains("<only-here@destination.test>"), "{csv}");
    let changed: Vec<&str> = csv.lines().filter(|l| l.contains(",changed,")).collect();
    assert_eq!(changed.len(), 1, "{csv}");
    assert!(
        changed[0].contains("Archive/2024,changed,") && changed[0].contains(",1,<seed-1200@"),
        "{csv}"
    );
}

/// Behind Mailferry's back: 2 messages of Ann's INBOX and 1 of her Sent deleted on the
/// destination, a message of the destination's own put into her Archive, and her Archive's
/// first message replaced by a copy of another size (arrived changed: neither missing nor
/// extra, and Copy missing leaves it).
async fn lose_on_destination(bed: &Bed) {
    bed.on_destination(
        ANN,
        &[
            "SELECT INBOX",
            "UID STORE 3,17 +FLAGS (\\Deleted)",
            "EXPUNGE",
            "SELECT Sent",
            "UID STORE 1 +FLAGS (\\Deleted)",
            "EXPUNGE",
            "SELECT Archive/2024",
            "UID STORE 1 +FLAGS (\\Deleted)",
            "EXPUNGE",
        ],
    )
    .await;
    let mut own = TestSession::master(bed.destination.imap_port(), ANN)
        .await
        .unwrap();
    let bytes = message(777_777, 900, Some("<only-here@destination.test>"));
    let date = chrono::FixedOffset::east_opt(0)
        .unwrap()
        .with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
        .unwrap();
    let changed = message(1_200_001, 2_345, Some("<seed-1200@mailferry.test>"));
    own.append_many(
        "Archive/2024",
        &[
            Appended {
                bytes: &bytes,
                flags: &[],
                internaldate: date,
            },
            Appended {
                bytes: &changed,
                flags: &[],
                internaldate: date,
            },
        ],
    )
    .await
    .unwrap();
}

/// Copy missing: Ann's mailbox only, exactly the three, then verified again by the pass.
async fn copy_back(bed: &Bed) {
    let queued = copy_missing::copy_missing(&bed.db, bed.id, None)
        .await
        .unwrap();
    assert_eq!(queued, 1);
    bed.run().await;
    let badge = bed.badge(ANN).await;
    assert_eq!(
        (badge.outcome, badge.missing, badge.extra),
        (VerifyOutcome::Whole, 0, 1),
        "{badge:?}"
    );
    common::assert_same_messages_any_order(&bed.source, &bed.destination, ANN, &["INBOX", "Sent"])
        .await;
    assert_eq!(bed.count(&bed.destination, ANN, "Archive/2024").await, 6);
    // "Copied" is what the destination holds of the source, not what went over the wire; the
    // history shows each pass, the last one carried the three.
    let rows = mailferry::db::entity::mailbox::of_batch(&bed.db, bed.id)
        .await
        .unwrap();
    let ann = rows.iter().find(|r| r.email_address == ANN).unwrap();
    assert_eq!(ann.messages_copied, 30 + 8 + 5);
    use mailferry::db::entity::mailbox_pass;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let passes = mailbox_pass::Entity::find()
        .filter(mailbox_pass::Column::MailboxId.eq(ann.id))
        .order_by_desc(mailbox_pass::Column::Id)
        .all(&bed.db)
        .await
        .unwrap();
    let copied: Vec<i64> = passes.iter().map(|p| p.copied).collect();
    assert_eq!(
        copied,
        vec![3, 0, 43],
        "newest first: copy missing, the rerun, the first"
    );
    // Nothing missing any more: nothing to copy.
    assert!(matches!(
        copy_missing::copy_missing(&bed.db, bed.id, None).await,
        Err(actions::ActionError::NothingMissing(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_verifies_after_the_pass_and_on_demand() {
    let (mut source, mut destination) = common::dovecots_offering(None);
    source.add_user(ANN, "pw").unwrap();
    destination.add_user(ANN, "pw").unwrap();
    seed_mailbox(&source, ANN, &mailbox(3)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = common::csv_of(&[ANN.to_string()], "pw");
    let out = common::migrate_command(dir.path(), &source, &destination, &csv)
        .arg("--verify")
        .output()
        .unwrap();
    let text = common::output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("verified: 1 mailboxes whole, 0 not"),
        "{text}"
    );

    let mut session = TestSession::master(destination.imap_port(), ANN)
        .await
        .unwrap();
    for command in ["SELECT INBOX", "UID STORE 5 +FLAGS (\\Deleted)", "EXPUNGE"] {
        session.command(command, |_, _| Ok(())).await.unwrap();
    }
    let report = dir.path().join("MigrationVerification.csv");
    let out = std::process::Command::new(mailferry_binary().unwrap())
        .args(["batch", "verify", "1", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--out")
        .arg(&report)
        .output()
        .unwrap();
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("1 missing"), "{text}");
    let csv = std::fs::read_to_string(&report).unwrap();
    assert!(
        csv.contains("INBOX,missing,,,,,,,,,5,<seed-3004@mailferry.test>"),
        "{csv}"
    );
}

/// The figure of the issue: a folder of 10,000 messages on both sides, verified (every
/// Message-ID read on both servers, compared).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figure_verifying_a_mailbox_of_10000_messages() {
    const N: u64 = 10_000;
    let (mut source, mut destination) = common::dovecots_offering(None);
    let date = chrono::FixedOffset::east_opt(3600)
        .unwrap()
        .with_ymd_and_hms(2023, 3, 4, 5, 6, 7)
        .unwrap();
    let bodies: Vec<Vec<u8>> = (0..N).map(|i| message(50_000 + i, 1_200, None)).collect();
    let messages: Vec<Appended<'_>> = bodies
        .iter()
        .map(|bytes| Appended {
            bytes,
            flags: &[],
            internaldate: date,
        })
        .collect();
    for dovecot in [&mut source, &mut destination] {
        dovecot.add_user(ANN, "pw").unwrap();
        let mut session = TestSession::master(dovecot.imap_port(), ANN).await.unwrap();
        for chunk in messages.chunks(2_000) {
            session.append_many("INBOX", chunk).await.unwrap();
        }
    }
    let (_dir, db) = common::sqlite().await;
    let spec = common::mailbox_spec(source.imap_port(), destination.imap_port(), ANN, "pw");
    let started = Instant::now();
    let verdict = mailferry::verify::mailbox::verify_mailbox(&db, &spec)
        .await
        .unwrap();
    let took = started.elapsed();
    let inbox = &verdict[0].compare;
    assert_eq!(inbox.source_messages, N);
    assert_eq!(inbox.destination_messages, N);
    assert!(inbox.missing_uids.is_empty() && inbox.extra == 0);
    println!(
        "figure: verify of a mailbox of {N} messages (Dovecot to Dovecot, debug build): {:.2} s",
        took.as_secs_f64()
    );
}
