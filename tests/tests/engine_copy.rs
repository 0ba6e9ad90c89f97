//! The engine against two real Dovecot servers: a seeded mailbox is copied completely (bodies,
//! flags, keywords, dates, nested and non-ASCII folders, delimiter translation), a rerun copies
//! nothing, the classic failures are classified for real, and the folders of one mailbox are
//! spread over several pairs of connections.

mod common;

use common::NoProgress;

use std::time::Duration;

use app::ErrorKind;
use chrono::{FixedOffset, TimeZone};
use mailferry::engine::mailbox::MailboxSpec;
use mailferry::engine::mailbox_job::run_mailbox;
use mailferry::engine::retry::RetryPolicy;
use mailferry_tests::seed::{
    FolderSpec, MailboxSpec as SeedSpec, MessageSpec, message, seed_mailbox,
};
use mailferry_tests::{Dovecot, DovecotOptions, FaultProxy, TestSession, free_port};

fn spec(source: &Dovecot, destination: &Dovecot, user: &str, password: &str) -> MailboxSpec {
    MailboxSpec {
        retry: RetryPolicy {
            retries: 2,
            base: Duration::from_millis(50),
            cap: Duration::from_millis(200),
        },
        ..common::mailbox_spec(source.imap_port(), destination.imap_port(), user, password)
    }
}

/// A source with `.` as separator, a destination with `/` and quota.
fn servers() -> (Dovecot, Dovecot) {
    let source = Dovecot::start(DovecotOptions {
        name: "source",
        separator: '.',
        ..Default::default()
    })
    .unwrap();
    let destination = Dovecot::start(DovecotOptions {
        name: "destination",
        separator: '/',
        quota: true,
        ..Default::default()
    })
    .unwrap();
    (source, destination)
}

fn msg(bytes: Vec<u8>, flags: &[&str], date: Option<(i32, u32, u32)>) -> MessageSpec {
    let zone = FixedOffset::east_opt(3600).unwrap();
    MessageSpec {
        bytes,
        flags: flags.iter().map(|f| f.to_string()).collect(),
        internaldate: date.map(|(y, m, d)| zone.with_ymd_and_hms(y, m, d, 4, 5, 6).unwrap()),
    }
}

fn seeded() -> SeedSpec {
    let twin = message(7, 3_000, Some("<twin@example.test>"));
    let mut no_id = message(8, 2_000, None);
    // Drop the Message-ID header line entirely.
    let text = String::from_utf8(no_id.clone()).unwrap();
    no_id = text
        .lines()
        .filter(|l| !l.starts_with("Message-ID"))
        .collect::<Vec<_>>()
        .join("\r\n")
        .into_bytes();
    SeedSpec {
        folders: vec![
            FolderSpec {
                name: "INBOX".into(),
                messages: vec![
                    msg(message(1, 5_000, None), &["\\Seen"], Some((2001, 2, 3))),
                    msg(twin.clone(), &["\\Flagged", "$Label1"], Some((2015, 6, 7))),
                    msg(twin, &["\\Flagged", "$Label1"], Some((2015, 6, 7))),
                    msg(no_id, &[], None),
                ],
            },
            FolderSpec {
                name: "Archive.2001".into(),
                messages: vec![msg(
                    message(2, 10 * 1024 * 1024, None),
                    &["\\Seen", "\\Answered"],
                    Some((2001, 12, 24)),
                )],
            },
            FolderSpec {
                name: "Caf&AOk-".into(),
                messages: vec![msg(message(3, 4_000, None), &["$Custom"], None)],
            },
            FolderSpec {
                name: "Empty".into(),
                messages: vec![],
            },
        ],
    }
}

/// Every source folder equals its destination folder: bodies, flags (without \Recent), dates.
async fn assert_same(source: &Dovecot, destination: &Dovecot, user: &str, pairs: &[(&str, &str)]) {
    let mut src = TestSession::master(source.imap_port(), user).await.unwrap();
    let mut dst = TestSession::master(destination.imap_port(), user)
        .await
        .unwrap();
    let folders = dst.list_folders().await.unwrap();
    for (from, to) in pairs {
        assert!(
            folders.iter().any(|f| f == to),
            "{to} missing on the destination: {folders:?}"
        );
        let a = src.fetch_all(from).await.unwrap();
        let b = dst.fetch_all(to).await.unwrap();
        assert_eq!(a.len(), b.len(), "message count of {from} → {to}");
        for (x, y) in a.iter().zip(&b) {
            assert!(x.body == y.body, "body of {from} UID {} differs", x.uid);
            let clean = |f: &Vec<String>| {
                let mut v: Vec<String> = f.iter().filter(|f| *f != "\\Recent").cloned().collect();
                v.sort();
                v
            };
            assert_eq!(
                clean(&x.flags),
                clean(&y.flags),
                "flags of {from} UID {}",
                x.uid
            );
            assert_eq!(
                x.internaldate, y.internaldate,
                "INTERNALDATE of {from} UID {}",
                x.uid
            );
        }
    }
}

#[tokio::test]
async fn copies_a_mailbox_completely_and_a_rerun_copies_nothing() {
    let (mut source, mut destination) = servers();
    source.add_user("jane", "pw-jane").unwrap();
    destination.add_user("jane", "unused").unwrap();
    seed_mailbox(&source, "jane", &seeded()).await.unwrap();
    let (_dir, db) = common::sqlite().await;
    let job = spec(&source, &destination, "jane", "pw-jane");

    let first = run_mailbox(&db, &job, &NoProgress)
        .await
        .expect("first run succeeds");
    assert_eq!(first.copied, 6, "{first:?}");
    assert!(
        first.problems.is_empty() && first.folder_problems.is_empty(),
        "{first:?}"
    );
    assert_same(
        &source,
        &destination,
        "jane",
        &[
            ("INBOX", "INBOX"),
            ("Archive.2001", "Archive/2001"),
            ("Caf&AOk-", "Caf&AOk-"),
            ("Empty", "Empty"),
        ],
    )
    .await;

    let second = run_mailbox(&db, &job, &NoProgress)
        .await
        .expect("rerun succeeds");
    assert_eq!(second.copied, 0, "{second:?}");
    assert_eq!(second.unchanged_folders, second.folders_total, "{second:?}");

    // A new message is copied alone on the next run.
    let mut extra = TestSession::master(source.imap_port(), "jane")
        .await
        .unwrap();
    extra
        .append("INBOX", &message(99, 1_000, None), &["\\Seen"], None)
        .await
        .unwrap();
    let third = run_mailbox(&db, &job, &NoProgress).await.unwrap();
    assert_eq!(third.copied, 1, "{third:?}");
    assert_same(&source, &destination, "jane", &[("INBOX", "INBOX")]).await;
}

#[tokio::test]
async fn a_first_run_into_a_non_empty_destination_copies_only_the_missing_copies() {
    let (mut source, mut destination) = servers();
    source.add_user("bob", "pw-bob").unwrap();
    destination.add_user("bob", "unused").unwrap();
    let twin = message(5, 2_000, Some("<same@example.test>"));
    let spec_twice = SeedSpec {
        folders: vec![FolderSpec {
            name: "INBOX".into(),
            messages: vec![
                msg(twin.clone(), &[], Some((2020, 1, 1))),
                msg(twin.clone(), &[], Some((2020, 1, 1))),
            ],
        }],
    };
    seed_mailbox(&source, "bob", &spec_twice).await.unwrap();
    let once = SeedSpec {
        folders: vec![FolderSpec {
            name: "INBOX".into(),
            messages: vec![msg(twin, &[], Some((2020, 1, 1)))],
        }],
    };
    seed_mailbox(&destination, "bob", &once).await.unwrap();
    let (_dir, db) = common::sqlite().await;
    let report = run_mailbox(
        &db,
        &spec(&source, &destination, "bob", "pw-bob"),
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(
        (report.already_present, report.copied),
        (1, 1),
        "{report:?}"
    );
    assert_same(&source, &destination, "bob", &[("INBOX", "INBOX")]).await;
}

#[tokio::test]
async fn classic_failures_are_classified() {
    let (mut source, mut destination) = servers();
    source.add_user("ann", "pw-ann").unwrap();
    source.add_user("ghost", "pw-ghost").unwrap();
    destination.add_user("ann", "unused").unwrap();
    seed_mailbox(&source, "ann", &seeded()).await.unwrap();
    let (_dir, db) = common::sqlite().await;

    let wrong_password = run_mailbox(
        &db,
        &spec(&source, &destination, "ann", "wrong"),
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert_eq!(
        wrong_password.kind,
        ErrorKind::SourceSignInFailed,
        "{wrong_password:?}"
    );

    let no_destination = run_mailbox(
        &db,
        &spec(&source, &destination, "ghost", "pw-ghost"),
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert_eq!(
        no_destination.kind,
        ErrorKind::DestinationMailboxNotFound,
        "{no_destination:?}"
    );

    let mut closed = spec(&source, &destination, "ann", "pw-ann");
    closed.source.port = free_port();
    let refused = run_mailbox(&db, &closed, &NoProgress).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::SourceConnectFailed, "{refused:?}");
    assert!(refused.detail.contains("refused"), "{}", refused.detail);

    destination.set_quota_bytes("ann", Some(200_000)).unwrap();
    let full = run_mailbox(
        &db,
        &spec(&source, &destination, "ann", "pw-ann"),
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert_eq!(full.kind, ErrorKind::DestinationMailboxFull, "{full:?}");

    destination.set_quota_bytes("ann", None).unwrap();
    let resumed = run_mailbox(
        &db,
        &spec(&source, &destination, "ann", "pw-ann"),
        &NoProgress,
    )
    .await
    .expect("finishes after the quota is raised");
    assert!(resumed.problems.is_empty(), "{resumed:?}");
    assert_same(
        &source,
        &destination,
        "ann",
        &[
            ("INBOX", "INBOX"),
            ("Archive.2001", "Archive/2001"),
            ("Caf&AOk-", "Caf&AOk-"),
        ],
    )
    .await;
}

/// Dovecot's logout lines of `user`'s IMAP sessions
/// (`imap(user)…: Disconnected: Logged out in=N out=… hdr_count=… body_count=…`).
fn logout_lines<'l>(log: &'l str, user: &str) -> Vec<&'l str> {
    let session = format!("imap({user})");
    log.lines()
        .filter(|l| l.contains(&session) && l.contains("Logged out"))
        .collect()
}

/// Bytes each finished IMAP session of `user` received.
fn session_bytes_in(dovecot: &Dovecot, user: &str) -> Vec<u64> {
    logout_lines(&dovecot.log_text(), user)
        .into_iter()
        .filter_map(|l| l.split(" in=").nth(1)?.split(' ').next()?.parse().ok())
        .collect()
}

#[tokio::test]
async fn folders_of_one_mailbox_are_copied_over_several_pairs_of_connections() {
    let (mut source, mut destination) = servers();
    source.add_user("lena", "pw-lena").unwrap();
    destination.add_user("lena", "unused").unwrap();
    let folders: Vec<FolderSpec> = (0..6u64)
        .map(|f| FolderSpec {
            name: if f == 0 {
                "INBOX".into()
            } else {
                format!("F{f}")
            },
            messages: (0..150u64)
                .map(|m| msg(message(f * 1000 + m, 10_000, None), &["\\Seen"], None))
                .collect(),
        })
        .collect();
    let pairs: Vec<(String, String)> = folders
        .iter()
        .map(|f| (f.name.clone(), f.name.clone()))
        .collect();
    seed_mailbox(&source, "lena", &SeedSpec { folders })
        .await
        .unwrap();
    let (_dir, db) = common::sqlite().await;
    // Every destination session goes through a proxy that counts them.
    let counter = FaultProxy::start(([127, 0, 0, 1], destination.imap_port()).into())
        .await
        .unwrap();
    let mut job = spec(&source, &destination, "lena", "pw-lena");
    job.destination = common::plain(counter.port());
    job.options.folders_at_once = 3;

    let report = run_mailbox(&db, &job, &NoProgress).await.unwrap();
    assert_eq!((report.copied, report.folders_done), (900, 6), "{report:?}");
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_same(&source, &destination, "lena", &pairs).await;

    // The extra lanes sign in once the first transaction is committed and then take folders
    // (1.5 MB each) while the first lane is still busy: at least two destination sessions
    // appended, none beyond the three lanes. (Dovecot's log process writes late: wait for
    // every session's logout line.)
    let opened = counter.connections();
    assert!((2..=3).contains(&opened), "{opened} destination sessions");
    let sessions = common::wait_for(10, "the sessions' logout lines", || {
        let sessions = session_bytes_in(&destination, "lena");
        std::future::ready((sessions.len() == opened).then_some(sessions))
    })
    .await;
    let appending = sessions.iter().filter(|n| **n > 1_000_000).count();
    assert!(appending >= 2, "sessions' bytes in: {sessions:?}");

    // A rerun finds every folder unchanged and signs in once, not once per lane.
    let rerun = run_mailbox(&db, &job, &NoProgress).await.unwrap();
    assert_eq!(rerun.unchanged_folders, 6, "{rerun:?}");
    assert_eq!(
        counter.connections(),
        opened + 1,
        "one more destination session"
    );

    // Into empty destination folders there is nothing to deduplicate against, so no source
    // session asked for headers (Message-IDs), only for whole messages.
    let source_log = source.log_text();
    // (The seeding session wrote and read nothing.)
    let readers: Vec<&str> = logout_lines(&source_log, "lena")
        .into_iter()
        .filter(|l| !(l.contains(" hdr_count=0 ") && l.contains(" body_count=0 ")))
        .collect();
    assert!(!readers.is_empty(), "{source_log}");
    assert!(
        readers.iter().all(|l| l.contains(" hdr_count=0 ")),
        "{readers:#?}"
    );
}
