//! What only some servers do: Cyrus refusing NUL bytes and folders over its folder quota,
//! Courier taking no keywords.

use super::*;
use mailferry_tests::{Courier, CourierOptions};

/// Courier stores a NUL byte that Cyrus refuses: that message is repaired and copied with a
/// notice of what changed; everything else arrives byte for byte. (Dovecot and Courier serve a
/// bare line feed as CRLF, so no test bed source can send one; the repair has a unit test.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn courier_to_cyrus_repairs_only_what_cyrus_refuses() {
    let pair = Pair::start(ServerKind::Courier, ServerKind::Cyrus).await;
    let nul = b"Subject: nul\r\nFrom: a@b\r\n\r\na\0b\r\n".to_vec();
    let odd = SeedSpec {
        folders: vec![FolderSpec {
            name: "Odd".into(),
            messages: vec![msg(message(9, 900, None), &["\\Seen"], 1), msg(nul, &[], 2)],
        }],
    };
    seed_mailbox(&pair.source, USER, &odd).await.unwrap();
    let (_dir, db) = common::sqlite().await;
    let report = run_mailbox(&db, &pair.spec(), &NoProgress).await.unwrap();
    assert!(report.problems.is_empty(), "{report:?}");
    let repaired: Vec<(&str, u32, &str)> = report
        .notices
        .iter()
        .map(|n| (n.folder.as_str(), n.problem.uid, n.problem.detail.as_str()))
        .collect();
    assert_eq!(repaired.len(), 1, "{report:?}");
    assert_eq!(repaired[0].0, "INBOX.Odd");
    assert_eq!(repaired[0].1, 2);
    assert!(
        repaired[0].2.starts_with("1 NUL byte(s) removed"),
        "{}",
        repaired[0].2
    );
    pair.assert_same().await;
    let mut dst = pair.destination.session_for(USER).await.unwrap();
    let copies = dst.fetch_all("INBOX.Odd").await.unwrap();
    assert_eq!(copies.len(), 2);
    assert_eq!(copies[1].body, b"Subject: nul\r\nFrom: a@b\r\n\r\nab\r\n");
}

/// Cyrus refuses folders beyond the user's folder quota (`NO Over quota` to CREATE): INBOX and
/// one folder are copied, the other three are not, and the mailbox ends Failed naming the
/// cause, never Synced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_to_cyrus_folders_refused_fail_the_mailbox() {
    let mut pair = Pair::start(ServerKind::Dovecot, ServerKind::Cyrus).await;
    let AnyServer::Cyrus(cyrus) = &mut pair.destination else {
        unreachable!()
    };
    cyrus.set_folder_limit(USER, 2).unwrap();
    let (_dir, db) = common::sqlite().await;
    let failed = run_mailbox(&db, &pair.spec(), &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(failed.kind, ErrorKind::FolderFailed, "{failed:?}");
    assert!(
        failed
            .detail
            .starts_with("3 of 5 folders not copied completely")
            && failed.detail.contains("Over quota"),
        "{}",
        failed.detail
    );
    let copied = failed.report.copied;
    assert!(
        (28 + 2..46).contains(&copied),
        "INBOX and one folder: {failed:?}"
    );
}

/// A Courier whose folders take no keywords (`IMAP_KEYWORDS=0`): every message arrives with its
/// system flags, and each one that carried keywords is listed with what was not kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_to_courier_lists_the_keywords_it_does_not_take() {
    let source = AnyServer::start(ServerKind::Dovecot, "source", false).unwrap();
    let options = CourierOptions { keywords: false };
    let destination = AnyServer::Courier(Courier::start_with(options).unwrap());
    let pair = Pair::of(source, destination).await;
    let (_dir, db) = common::sqlite().await;
    let report = run_mailbox(&db, &pair.spec(), &NoProgress).await.unwrap();
    assert_eq!(report.copied, 46, "{report:?}");
    // INBOX: six messages with $Label1, six with "custom", one odd one with $Label1.
    assert_eq!(report.notices.len(), 13, "{:?}", report.notices);
    for notice in &report.notices {
        assert_eq!(notice.problem.kind, ErrorKind::KeywordsDropped);
        assert!(
            ["not kept: $Label1", "not kept: custom"].contains(&notice.problem.detail.as_str()),
            "{notice:?}"
        );
    }
    let mut dst = pair.destination.session_for(USER).await.unwrap();
    let inbox = dst.fetch_all("INBOX").await.unwrap();
    let flagged = inbox
        .iter()
        .filter(|m| m.flags.iter().any(|f| f == "\\Flagged"));
    assert_eq!(flagged.count(), 6, "system flags kept");
}
