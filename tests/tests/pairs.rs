//! The engine between different real servers — Dovecot→Dovecot, Cyrus→Dovecot, Dovecot→Cyrus and
//! Courier→Dovecot: a mailbox with nested and non-ASCII folders, flags, keywords and odd
//! messages is copied whole (and a rerun copies nothing), the classic failures get their kinds
//! from each server's own answers, and a connection cut or a crash mid-folder costs nothing
//! twice.

mod common;
#[path = "pairs/delta.rs"]
mod delta;
#[path = "pairs/odd_servers.rs"]
mod odd_servers;

use common::NoProgress;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mailferry::engine::progress::ProgressSink;
use tokio::sync::Notify;

use app::ErrorKind;
use chrono::{FixedOffset, TimeZone};
use mailferry::engine::mailbox::MailboxSpec;
use mailferry::engine::mailbox_job::run_mailbox;
use mailferry::imap::connect::Credentials;
use mailferry_tests::seed::{
    FolderSpec, MailboxSpec as SeedSpec, MessageSpec, message, seed_mailbox,
};
use mailferry_tests::{
    AnyServer, CYRUS_ADMIN, CYRUS_ADMIN_PASSWORD, Fault, FaultProxy, MASTER_PASSWORD, MASTER_USER,
    ServerKind, TestServer,
};

const USER: &str = "pat@example.test";
const PASSWORD: &str = "pw-pat";
/// The folders of the corpus, as `A/B` (each server spells them its way).
const FOLDERS: [&str; 4] = ["INBOX", "Sent", "Archive/2001", "Caf&AOk-"];

fn msg(bytes: Vec<u8>, flags: &[&str], hour: u32) -> MessageSpec {
    MessageSpec {
        bytes,
        flags: flags.iter().map(|f| f.to_string()).collect(),
        internaldate: FixedOffset::east_opt(3600)
            .unwrap()
            .with_ymd_and_hms(2021, 3, 1, hour % 24, 0, 0)
            .single(),
    }
}

/// Messages every server stores as sent: 8-bit header bytes, a 1,000-octet line, no final CRLF.
fn odd_but_storable() -> Vec<MessageSpec> {
    let mut eight_bit = b"Subject: caf\xc3\xa9 \xff\r\nFrom: a@b\r\n\r\nbody\r\n".to_vec();
    eight_bit.extend_from_slice(&message(7, 500, None));
    let mut long_line = b"Subject: long\r\n\r\n".to_vec();
    long_line.extend(std::iter::repeat_n(b'x', 1_000));
    long_line.extend_from_slice(b"\r\n");
    let no_final_crlf = b"Subject: open end\r\n\r\nno line end".to_vec();
    vec![
        msg(eight_bit, &["\\Seen"], 1),
        msg(long_line, &[], 2),
        msg(no_final_crlf, &["$Label1"], 3),
    ]
}

fn corpus() -> SeedSpec {
    let inbox = (0..25u64)
        .map(|i| {
            let flags: &[&str] = match i % 4 {
                0 => &["\\Seen"],
                1 => &["\\Flagged", "$Label1"],
                2 => &["\\Answered", "custom"],
                _ => &[],
            };
            msg(
                message(i, 2_000 + (i as usize % 5) * 900, None),
                flags,
                i as u32,
            )
        })
        .chain(odd_but_storable())
        .collect();
    let folder = |name: &str, seed: u64, n: u64| FolderSpec {
        name: name.into(),
        messages: (0..n)
            .map(|i| msg(message(seed + i, 1_500, None), &["\\Seen"], i as u32))
            .collect(),
    };
    SeedSpec {
        folders: vec![
            FolderSpec {
                name: "INBOX".into(),
                messages: inbox,
            },
            folder("Sent", 100, 5),
            folder("Archive", 200, 2),
            folder("Archive/2001", 300, 8),
            folder("Caf&AOk-", 400, 3),
        ],
    }
}

/// An admin signing in on `user`'s behalf (Courier has none: the user's own password).
fn acting_for(server: &AnyServer, user: &str) -> Credentials {
    let admin = |authcid: &str, password: &str| Credentials::Plain {
        authzid: Some(user.into()),
        authcid: authcid.into(),
        password: password.into(),
    };
    match server.kind() {
        ServerKind::Dovecot => admin(MASTER_USER, MASTER_PASSWORD),
        ServerKind::Cyrus => admin(CYRUS_ADMIN, CYRUS_ADMIN_PASSWORD),
        ServerKind::Courier => Credentials::Login {
            user: user.into(),
            password: server.courier_password(user).unwrap_or_default(),
        },
    }
}

struct Pair {
    source: AnyServer,
    destination: AnyServer,
}

impl Pair {
    async fn start(source: ServerKind, destination: ServerKind) -> Pair {
        let source = AnyServer::start(source, "source", false).unwrap();
        let destination = AnyServer::start(destination, "destination", true).unwrap();
        Pair::of(source, destination).await
    }

    /// Two running servers with the user on both and the corpus on the source.
    async fn of(mut source: AnyServer, mut destination: AnyServer) -> Pair {
        source.add_user(USER, PASSWORD).unwrap();
        destination.add_user(USER, "dest-pw").unwrap();
        seed_mailbox(&source, USER, &corpus()).await.unwrap();
        Pair {
            source,
            destination,
        }
    }

    /// The job as a batch would run it: the user's password on the source, an admin on the
    /// destination.
    fn spec(&self) -> MailboxSpec {
        let mut spec = common::mailbox_spec(
            self.source.imap_port(),
            self.destination.imap_port(),
            USER,
            PASSWORD,
        );
        spec.email = USER.into();
        spec.destination_credentials = acting_for(&self.destination, USER).into();
        spec
    }

    /// Every folder holds on the destination what it holds on the source: bytes, flags,
    /// keywords, dates (as instants: servers answer in their own zone).
    async fn assert_same(&self) {
        let mut src = self.source.session_for(USER).await.unwrap();
        let mut dst = self.destination.session_for(USER).await.unwrap();
        for folder in FOLDERS {
            let a = src
                .fetch_all(&self.source.folder_name(folder))
                .await
                .unwrap();
            let b = dst
                .fetch_all(&self.destination.folder_name(folder))
                .await
                .unwrap();
            assert_eq!(a.len(), b.len(), "{folder}: message count");
            for (x, y) in a.iter().zip(&b) {
                assert!(x.body == y.body, "{folder}: UID {} differs", x.uid);
                let flags = |m: &mailferry_tests::FetchedMessage| {
                    let mut f: Vec<String> = m
                        .flags
                        .iter()
                        .filter(|f| *f != "\\Recent")
                        .cloned()
                        .collect();
                    f.sort();
                    f
                };
                assert_eq!(flags(x), flags(y), "{folder}: flags of UID {}", x.uid);
                assert_eq!(
                    x.internaldate, y.internaldate,
                    "{folder}: date of UID {}",
                    x.uid
                );
            }
        }
    }
}

async fn copies_everything_and_a_rerun_nothing(source: ServerKind, destination: ServerKind) {
    let pair = Pair::start(source, destination).await;
    let (_dir, db) = common::sqlite().await;
    let report = run_mailbox(&db, &pair.spec(), &NoProgress)
        .await
        .unwrap_or_else(|f| panic!("{f:?}\n{}", pair.source.log_text()));
    assert!(report.problems.is_empty(), "{report:?}");
    assert_eq!(report.folders_done, FOLDERS.len() as u32 + 1, "{report:?}");
    assert_eq!(report.copied, 28 + 5 + 2 + 8 + 3, "{report:?}");
    pair.assert_same().await;
    let rerun = run_mailbox(&db, &pair.spec(), &NoProgress).await.unwrap();
    assert_eq!(rerun.copied, 0, "{rerun:?}");
    assert_eq!(
        rerun.unchanged_folders,
        FOLDERS.len() as u32 + 1,
        "{rerun:?}"
    );
}

/// The classic failures from each server's own answers: a wrong source password, a destination
/// mailbox that does not exist, a full destination, a source that cannot be reached.
async fn the_classic_failures(source: ServerKind, destination: ServerKind) {
    let mut pair = Pair::start(source, destination).await;
    let (_dir, db) = common::sqlite().await;
    let failed = |spec: MailboxSpec| {
        let db = db.clone();
        async move { run_mailbox(&db, &spec, &NoProgress).await.unwrap_err().kind }
    };
    let mut wrong_password = pair.spec();
    wrong_password.source_credentials = Credentials::Login {
        user: USER.into(),
        password: "wrong".into(),
    }
    .into();
    assert_eq!(failed(wrong_password).await, ErrorKind::SourceSignInFailed);
    let mut nobody = pair.spec();
    nobody.destination_credentials = acting_for(&pair.destination, "nobody@example.test").into();
    nobody.email = "nobody@example.test".into();
    assert_eq!(failed(nobody).await, ErrorKind::DestinationMailboxNotFound);
    let mut unreachable = pair.spec();
    unreachable.source = common::plain(mailferry_tests::free_port());
    assert_eq!(failed(unreachable).await, ErrorKind::SourceConnectFailed);
    pair.destination
        .set_quota_bytes(USER, Some(20_000))
        .unwrap();
    assert_eq!(failed(pair.spec()).await, ErrorKind::DestinationMailboxFull);
}

/// A source connection cut mid-folder: the mailbox reconnects and finishes, nothing twice.
async fn a_cut_connection_costs_nothing_twice(source: ServerKind, destination: ServerKind) {
    let pair = Pair::start(source, destination).await;
    let proxy = FaultProxy::start(([127, 0, 0, 1], pair.source.imap_port()).into())
        .await
        .unwrap();
    proxy.set_fault(Fault::CutAfterBytes(30_000));
    let (_dir, db) = common::sqlite().await;
    let mut spec = pair.spec();
    spec.source = common::plain(proxy.port());
    spec.retry.base = Duration::from_millis(50);
    run_mailbox(&db, &spec, &NoProgress).await.unwrap();
    assert_eq!(proxy.fault(), Fault::None, "the cut happened");
    pair.assert_same().await;
}

/// Counts committed messages and calls the crash once `after` are in.
struct CrashAfter {
    after: u64,
    copied: AtomicU64,
    crash: Notify,
}

impl ProgressSink for CrashAfter {
    fn copied(&self, messages: u64, _: u64) {
        if self.copied.fetch_add(messages, Ordering::SeqCst) + messages >= self.after {
            self.crash.notify_one();
        }
    }
}

/// The mailbox's task is dropped mid-copy (its sessions cut, an APPEND maybe in flight, as when
/// the process is killed); the next run finishes it, every message once.
async fn a_crash_mid_copy_costs_nothing_twice(source: ServerKind, destination: ServerKind) {
    let pair = Pair::start(source, destination).await;
    let (_dir, db) = common::sqlite().await;
    let sink = CrashAfter {
        after: 12,
        copied: AtomicU64::new(0),
        crash: Notify::new(),
    };
    let spec = pair.spec();
    tokio::select! {
        biased;
        _ = sink.crash.notified() => {}
        done = run_mailbox(&db, &spec, &sink) => panic!("ended before the crash: {done:?}"),
    }
    let crashed_at = sink.copied.load(Ordering::SeqCst);
    let rest = run_mailbox(&db, &pair.spec(), &NoProgress).await.unwrap();
    assert!(rest.problems.is_empty(), "{rest:?}");
    assert!(
        rest.copied + rest.already_present >= 46 - crashed_at,
        "the rest was copied after {crashed_at}: {rest:?}"
    );
    pair.assert_same().await;
}

macro_rules! pair {
    ($name:ident, $source:ident, $destination:ident) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn copies_everything_and_a_rerun_nothing() {
                super::copies_everything_and_a_rerun_nothing(
                    ServerKind::$source,
                    ServerKind::$destination,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn the_classic_failures() {
                super::the_classic_failures(ServerKind::$source, ServerKind::$destination).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_crash_mid_copy_costs_nothing_twice() {
                super::a_crash_mid_copy_costs_nothing_twice(
                    ServerKind::$source,
                    ServerKind::$destination,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_rerun_carries_flag_changes_and_deletions() {
                super::delta::a_rerun_carries_flag_changes_and_deletions(
                    ServerKind::$source,
                    ServerKind::$destination,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_cut_connection_costs_nothing_twice() {
                super::a_cut_connection_costs_nothing_twice(
                    ServerKind::$source,
                    ServerKind::$destination,
                )
                .await;
            }
        }
    };
}

pair!(dovecot_to_dovecot, Dovecot, Dovecot);
pair!(cyrus_to_dovecot, Cyrus, Dovecot);
pair!(dovecot_to_cyrus, Dovecot, Cyrus);
pair!(courier_to_dovecot, Courier, Dovecot);
