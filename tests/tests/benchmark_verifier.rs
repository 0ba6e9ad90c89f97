//! The benchmark's corpus and verifier (tests/benches/performance) checked against real servers:
//! a small corpus of the benchmark's shape migrated by Mailferry is found complete and identical,
//! and a destination changed in four known ways is found with exactly those four differences.

mod common;

#[path = "../benches/performance/corpus.rs"]
mod corpus;
// The benchmark's own modules; it uses parts this test does not.
#[allow(dead_code)]
#[path = "../benches/performance/verify.rs"]
mod verify;

use mailferry_tests::{DovecotOptions, TestSession};

const USER: &str = "v@corpus.test";

/// Appends `body` to INBOX with the flags and date of `like`.
async fn append_like(
    session: &mut TestSession,
    body: &[u8],
    like: &mailferry_tests::FetchedMessage,
) {
    let flags: Vec<&str> = like
        .flags
        .iter()
        .map(String::as_str)
        .filter(|f| *f != "\\Recent")
        .collect();
    session
        .append("INBOX", body, &flags, Some(like.internaldate))
        .await
        .unwrap();
}

/// Damages the INBOX copy: a keyword added (1), a duplicate (2), a message lost (3), a header
/// rewritten as mbsync does (4).
async fn damage_inbox(port: u16) {
    let mut session = TestSession::master(port, USER).await.unwrap();
    let inbox = session.fetch_all("INBOX").await.unwrap();
    assert!(inbox.len() >= 4, "INBOX holds {}", inbox.len());
    session
        .command("SELECT INBOX", |_, _| Ok(()))
        .await
        .unwrap();
    session
        .command("STORE 1 +FLAGS.SILENT (Tampered)", |_, _| Ok(()))
        .await
        .unwrap();
    session
        .command("STORE 3:4 +FLAGS.SILENT (\\Deleted)", |_, _| Ok(()))
        .await
        .unwrap();
    session.command("EXPUNGE", |_, _| Ok(())).await.unwrap();
    append_like(&mut session, &inbox[1].body, &inbox[1]).await;
    let mut rewritten = b"X-TUID: abcdefgh\r\n".to_vec();
    rewritten.extend_from_slice(&inbox[3].body);
    append_like(&mut session, &rewritten, &inbox[3]).await;
    session.logout().await.unwrap();
}

#[tokio::test]
async fn the_verifier_sees_a_faithful_copy_and_each_kind_of_damage() {
    let (mut source, mut destination) = common::dovecots(DovecotOptions {
        name: "destination",
        ..Default::default()
    });
    source.add_user(USER, "pw").unwrap();
    destination.add_user(USER, "x").unwrap();
    let shape = corpus::Shape {
        messages_per_user: 80,
        seed: 7,
        big_per_2500: 0,
        huge_every: None,
    };
    let planned = corpus::plan(shape, 0);
    let seeded = corpus::seed_user(&source, USER, &planned).await.unwrap();
    assert_eq!(seeded.messages, 80);

    let dir = tempfile::tempdir().unwrap();
    let output = common::migrate_command(
        dir.path(),
        &source,
        &destination,
        &format!("EmailAddress,UserName,Password\n{USER},{USER},pw\n"),
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{}", common::output_text(&output));

    let original = verify::read_mailbox(&source, USER).await.unwrap();
    assert_eq!(
        original.len(),
        corpus::FOLDERS.len(),
        "every folder listed: {:?}",
        original.keys()
    );
    assert!(
        original.contains_key(&corpus::wire_name("Reisen/東京")),
        "non-ASCII names as modified UTF-7: {:?}",
        original.keys()
    );
    assert_eq!(original.values().map(Vec::len).sum::<usize>(), 80);
    let copy = verify::read_mailbox(&destination, USER).await.unwrap();
    let verdict = verify::compare(&original, &copy);
    assert!(verdict.identical(), "{verdict:?}");
    assert_eq!(verdict.source_messages, 80);
    assert_eq!(verdict.destination_messages, 80);

    damage_inbox(destination.imap_port()).await;

    let damaged = verify::read_mailbox(&destination, USER).await.unwrap();
    let verdict = verify::compare(&original, &damaged);
    assert_eq!(
        verdict,
        verify::Verdict {
            source_messages: 80,
            destination_messages: 80,
            missing_folders: 0,
            missing: 1,
            extra: 1,
            bytes_differ: 1,
            flags_differ: 1,
            dates_differ: 0,
        }
    );
    assert!(!verdict.complete());
    assert_eq!(
        verdict.summary(),
        "INCOMPLETE: 1 messages missing, 1 extra (duplicates), 1 with changed bytes, 1 with other flags"
    );
}
