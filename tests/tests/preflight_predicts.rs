//! The pre-flight predicts a destination mailbox too small for what the source holds (the
//! destination's GETQUOTAROOT against the source's size), before anything is copied; a mailbox
//! with room, and one on a server without quotas, pass.

mod common;

use mailferry_tests::DovecotOptions;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};

const SMALL: &str = "small@example.test";
const ROOMY: &str = "roomy@example.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_quota_too_small_is_flagged_before_copying() {
    let (mut source, mut destination) = common::dovecots(DovecotOptions {
        quota: true,
        ..DovecotOptions::default()
    });
    let pairs = [(SMALL, "pw"), (ROOMY, "pw")];
    source.add_users(&pairs).unwrap();
    destination.add_users(&pairs).unwrap();
    // 20 messages of about 5 KB each: about 100 KB to copy per mailbox.
    let spec = MailboxSpec {
        folders: vec![FolderSpec {
            name: "INBOX".into(),
            messages: (0..20)
                .map(|m| MessageSpec {
                    bytes: message(900 + m, 5_000, None),
                    flags: vec![],
                    internaldate: None,
                })
                .collect(),
        }],
    };
    for user in [SMALL, ROOMY] {
        seed_mailbox(&source, user, &spec).await.unwrap();
    }
    destination.set_quota_bytes(SMALL, Some(40 * 1024)).unwrap();
    destination
        .set_quota_bytes(ROOMY, Some(10 * 1024 * 1024))
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let users = [SMALL.to_string(), ROOMY.to_string()];
    let mut command = common::migrate_command_via(
        dir.path(),
        (source.imap_port(), destination.imap_port()),
        &common::csv_of(&users, "pw"),
    );
    command.arg("--dry-run");
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let text = common::output_text(&output);
    let line = |user: &str| {
        text.lines()
            .find(|l| l.contains(user))
            .unwrap_or_else(|| panic!("{user}:\n{text}"))
            .to_string()
    };
    let small = line(SMALL);
    assert!(
        small.contains("destination_mailbox_full") || small.contains("Destination mailbox full"),
        "{small}\n{text}"
    );
    assert!(small.contains("left under its quota"), "{small}");
    let roomy = line(ROOMY);
    assert!(roomy.contains(" 20 messages"), "{roomy}");
    assert!(!roomy.to_lowercase().contains("full"), "{roomy}");
    // Nothing was copied.
    let mut dst = mailferry_tests::TestSession::master(destination.imap_port(), SMALL)
        .await
        .unwrap();
    assert!(dst.fetch_all("INBOX").await.unwrap().is_empty());
}
