//! A later pass over a source with QRESYNC learns what changed from two commands (CHANGEDSINCE
//! with VANISHED, and the new UIDs) instead of listing the folder; without QRESYNC (CONDSTORE
//! only) it lists the folder. Either way the destination equals the source afterwards.

mod common;

use common::NoProgress;
use mailferry::engine::mailbox_job::run_mailbox;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{FaultProxy, TestSession};

const USER: &str = "quinn";
/// Dovecot's own list without QRESYNC (CONDSTORE stays).
const CONDSTORE_ONLY: &str = "IMAP4rev1 SASL-IR ID ENABLE IDLE SPECIAL-USE LIST-EXTENDED \
     LITERAL+ NAMESPACE UIDPLUS MOVE CONDSTORE";

fn inbox(seeds: std::ops::Range<u64>) -> MailboxSpec {
    MailboxSpec {
        folders: vec![FolderSpec {
            name: "INBOX".into(),
            messages: seeds
                .map(|i| MessageSpec {
                    bytes: message(9_000 + i, 2_000, None),
                    flags: if i % 3 == 0 {
                        vec!["\\Seen".into()]
                    } else {
                        vec![]
                    },
                    internaldate: None,
                })
                .collect(),
        }],
    }
}

/// First pass, then 3 expunged, 5 re-flagged, 2 new on the source; the second pass's report
/// and what it sent to the source.
async fn second_pass(capability: Option<&str>) -> (String, u64, u64, u64) {
    let (mut source, mut destination) = common::dovecots_offering(capability);
    source.add_user(USER, "pw").unwrap();
    destination.add_user(USER, "x").unwrap();
    seed_mailbox(&source, USER, &inbox(0..200)).await.unwrap();
    let proxy = FaultProxy::start(([127, 0, 0, 1], source.imap_port()).into())
        .await
        .unwrap();
    let (_dir, db) = common::sqlite().await;
    let spec = common::mailbox_spec(proxy.port(), destination.imap_port(), USER, "pw");
    run_mailbox(&db, &spec, &NoProgress).await.unwrap();
    let mut session = TestSession::master(source.imap_port(), USER).await.unwrap();
    for command in [
        "SELECT INBOX",
        "UID STORE 10,20,30 +FLAGS (\\Deleted)",
        "EXPUNGE",
        "UID STORE 40:44 +FLAGS (\\Flagged $Later)",
    ] {
        session.command(command, |_, _| Ok(())).await.unwrap();
    }
    seed_mailbox(&source, USER, &inbox(200..202)).await.unwrap();
    proxy.take_sent();
    let report = run_mailbox(&db, &spec, &NoProgress).await.unwrap();
    common::assert_same_messages(&source, &destination, USER, &["INBOX"]).await;
    (
        proxy.take_sent(),
        report.copied,
        report.flags_updated,
        report.deleted,
    )
}

/// A sequence-number FETCH (`tag FETCH 1:n …`) reads every message of the folder.
fn lists_the_folder(sent: &str) -> bool {
    sent.lines()
        .any(|line| line.split_whitespace().nth(1) == Some("FETCH"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_qresync_a_later_pass_reads_only_what_changed() {
    let (sent, copied, flags, deleted) = second_pass(None).await;
    assert_eq!((copied, flags, deleted), (2, 5, 3));
    assert!(sent.contains("ENABLE QRESYNC"), "{sent}");
    assert!(
        sent.contains("(CHANGEDSINCE") && sent.contains(" VANISHED)"),
        "{sent}"
    );
    assert!(
        !lists_the_folder(&sent),
        "no listing of the folder:\n{sent}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_condstore_only_a_later_pass_lists_the_folder_and_gets_the_same() {
    let (sent, copied, flags, deleted) = second_pass(Some(CONDSTORE_ONLY)).await;
    assert_eq!((copied, flags, deleted), (2, 5, 3));
    assert!(
        !sent.contains("QRESYNC") && !sent.contains("VANISHED"),
        "{sent}"
    );
    assert!(lists_the_folder(&sent), "the folder listed:\n{sent}");
}
