//! Batch options and folder mapping for real: size limits, the batch's and the destination's
//! APPENDLIMIT (skipped messages listed as errors),
//! date range, folder exclusion, special-use folders landing in the destination's own.

mod common;

use common::NoProgress;

use app::ErrorKind;
use chrono::{FixedOffset, TimeZone};
use mailferry::engine::mailbox::MailboxSpec;
use mailferry::engine::mailbox_job::run_mailbox;
use mailferry::engine::options::BatchOptions;
use mailferry::engine::retry::RetryPolicy;
use mailferry_tests::seed::{
    FolderSpec, MailboxSpec as SeedSpec, MessageSpec, message, seed_mailbox,
};
use mailferry_tests::{DovecotOptions, TestSession};

fn day(y: i32, m: u32, d: u32) -> Option<chrono::DateTime<FixedOffset>> {
    FixedOffset::east_opt(0)
        .unwrap()
        .with_ymd_and_hms(y, m, d, 12, 0, 0)
        .single()
}

/// Messages in and out of the date range and the size limit, a `Sent Items` and an archive.
fn options_corpus() -> SeedSpec {
    let m = |seed, size, date| MessageSpec {
        bytes: message(seed, size, None),
        flags: vec![],
        internaldate: date,
    };
    SeedSpec {
        folders: vec![
            FolderSpec {
                name: "INBOX".into(),
                messages: vec![
                    m(1, 3_000, day(2022, 5, 1)),
                    m(2, 300_000, day(2022, 5, 2)),
                    m(3, 3_000, day(2015, 1, 1)),
                ],
            },
            FolderSpec {
                name: "Sent Items".into(),
                messages: vec![m(4, 2_000, day(2023, 1, 1)), m(5, 2_000, day(2023, 1, 2))],
            },
            FolderSpec {
                name: "Archive/Old".into(),
                messages: vec![m(6, 2_000, day(2023, 1, 1))],
            },
        ],
    }
}

#[tokio::test]
async fn options_and_special_use_mapping() {
    // The destination takes messages up to 100,000 bytes (APPENDLIMIT), fewer than the batch.
    let (mut source, mut destination) = common::dovecots(DovecotOptions {
        imap_capability: Some("+APPENDLIMIT=100000"),
        ..DovecotOptions::default()
    });
    source.add_user("opt", "pw-opt").unwrap();
    destination.add_user("opt", "x").unwrap();
    seed_mailbox(&source, "opt", &options_corpus())
        .await
        .unwrap();
    // The destination has its own Sent folder (special-use \Sent).
    let mut dst = TestSession::master(destination.imap_port(), "opt")
        .await
        .unwrap();
    dst.create_folder("Sent").await.unwrap();

    let (_dir, db) = common::sqlite().await;
    let spec = MailboxSpec {
        options: BatchOptions {
            exclude_folders: vec!["Archive*".into()],
            since: chrono::NaiveDate::from_ymd_opt(2020, 1, 1),
            max_message_bytes: Some(1_000_000),
            ..Default::default()
        },
        retry: RetryPolicy::default(),
        ..common::mailbox_spec(source.imap_port(), destination.imap_port(), "opt", "pw-opt")
    };
    let report = run_mailbox(&db, &spec, &NoProgress).await.unwrap();
    assert_eq!(report.copied, 3, "{report:?}");
    assert_eq!(report.problems.len(), 1, "{report:?}");
    let (folder, problem) = (&report.problems[0].folder, &report.problems[0].problem);
    assert_eq!(
        (folder.as_str(), problem.kind),
        ("INBOX", ErrorKind::MessageTooLarge)
    );
    assert_eq!(problem.uid, 2);
    assert!(
        problem
            .detail
            .contains("over the destination's limit of 100000 bytes"),
        "{}",
        problem.detail
    );

    let folders = dst.list_folders().await.unwrap();
    assert!(
        !folders.iter().any(|f| f.starts_with("Archive")),
        "excluded: {folders:?}"
    );
    assert!(
        !folders.iter().any(|f| f == "Sent Items"),
        "mapped onto Sent: {folders:?}"
    );
    assert_eq!(dst.fetch_all("Sent").await.unwrap().len(), 2);
    let inbox = dst.fetch_all("INBOX").await.unwrap();
    assert_eq!(
        inbox.len(),
        1,
        "the 2015 message is outside the date range, the big one too large"
    );
}

/// Gmail's folder model, on a Dovecot whose `[Gmail]/All Mail` (`\All`) shows every message:
/// a message in INBOX or a label is copied once, into its own folder; the mail of a folder the
/// batch leaves out is then only in All Mail (archived mail), and lands in the Archive. Starred
/// (`\Flagged`) is a view and is not copied.
#[tokio::test]
async fn all_mail_brings_only_archived_mail_into_the_archive() {
    let mut source = mailferry_tests::Dovecot::start(DovecotOptions {
        all_mail: true,
        ..DovecotOptions::default()
    })
    .unwrap();
    let mut destination = mailferry_tests::Dovecot::start(DovecotOptions {
        name: "destination",
        ..DovecotOptions::default()
    })
    .unwrap();
    source.add_user("gm", "pw-gm").unwrap();
    destination.add_user("gm", "x").unwrap();
    let folder = |name: &str, seed: u64, n: u64| FolderSpec {
        name: name.into(),
        messages: (0..n)
            .map(|i| MessageSpec {
                bytes: message(seed + i, 1_200, None),
                flags: vec!["\\Seen".into()],
                internaldate: day(2021, 1, 1 + i as u32),
            })
            .collect(),
    };
    let folders = vec![
        folder("INBOX", 10, 4),
        folder("Work", 20, 3),
        folder("Old", 30, 5),
    ];
    let seeded = SeedSpec { folders };
    seed_mailbox(&source, "gm", &seeded).await.unwrap();
    let mut src = TestSession::master(source.imap_port(), "gm").await.unwrap();
    assert_eq!(
        src.fetch_all("[Gmail]/All Mail").await.unwrap().len(),
        12,
        "the test bed's All Mail shows every message"
    );

    let (_dir, db) = common::sqlite().await;
    let spec = MailboxSpec {
        options: BatchOptions {
            exclude_folders: vec!["Old".into()],
            ..Default::default()
        },
        ..common::mailbox_spec(source.imap_port(), destination.imap_port(), "gm", "pw-gm")
    };
    let report = run_mailbox(&db, &spec, &NoProgress).await.unwrap();
    assert_eq!(report.copied, 4 + 3 + 5, "each message once: {report:?}");
    let mut dst = TestSession::master(destination.imap_port(), "gm")
        .await
        .unwrap();
    let listed = dst.list_folders().await.unwrap();
    assert!(
        !listed.iter().any(|f| f.contains("All Mail") || f == "Old"),
        "{listed:?}"
    );
    let archived = dst.fetch_all("Archive").await.unwrap();
    let old = src.fetch_all("Old").await.unwrap();
    let bodies = |m: &[mailferry_tests::FetchedMessage]| {
        let mut b: Vec<Vec<u8>> = m.iter().map(|m| m.body.clone()).collect();
        b.sort();
        b
    };
    assert_eq!(
        bodies(&archived),
        bodies(&old),
        "the Archive holds Old's mail, once"
    );
    assert_eq!(dst.fetch_all("INBOX").await.unwrap().len(), 4);
    assert_eq!(dst.fetch_all("Work").await.unwrap().len(), 3);

    let rerun = run_mailbox(&db, &spec, &NoProgress).await.unwrap();
    assert_eq!(rerun.copied, 0, "{rerun:?}");
    assert_eq!(dst.fetch_all("Archive").await.unwrap().len(), 5);
}
