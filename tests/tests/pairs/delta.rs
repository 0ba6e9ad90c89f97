//! A later pass carries what changed on the source since the first: flags and keywords set and
//! cleared, messages expunged (their destination copies deleted); a flag the user set on the
//! destination meanwhile stays.

use super::*;

/// Runs `commands` in `folder` (the server's spelling of `A/B`) as the user.
async fn on(server: &AnyServer, folder: &str, commands: &[&str]) {
    let mut session = server.session_for(USER).await.unwrap();
    let select = format!("SELECT \"{}\"", server.folder_name(folder));
    for command in std::iter::once(select.as_str()).chain(commands.iter().copied()) {
        session.command(command, |_, _| Ok(())).await.unwrap();
    }
}

/// INBOX 1–4 read and tagged; 2 (flagged, $Label1) loses both.
async fn read_and_tag(source: &AnyServer) {
    on(
        source,
        "INBOX",
        &[
            "UID STORE 1:4 +FLAGS (\\Seen $Work)",
            "UID STORE 2 -FLAGS (\\Flagged $Label1)",
        ],
    )
    .await;
}

/// The flags of the destination's INBOX message with `uid`.
async fn destination_flags(pair: &Pair, uid: u32) -> Vec<String> {
    let mut dst = pair.destination.session_for(USER).await.unwrap();
    let inbox = dst.fetch_all("INBOX").await.unwrap();
    inbox[uid as usize - 1].flags.clone()
}

pub(super) async fn a_rerun_carries_flag_changes_and_deletions(
    source: ServerKind,
    destination: ServerKind,
) {
    let pair = Pair::start(source, destination).await;
    let (_dir, db) = common::sqlite().await;
    run_mailbox(&db, &pair.spec(), &NoProgress).await.unwrap();
    // INBOX: 1–4 read and tagged, 2 (flagged, $Label1) loses both; Sent: two expunged.
    read_and_tag(&pair.source).await;
    on(
        &pair.source,
        "Sent",
        &["UID STORE 1,3 +FLAGS (\\Deleted)", "EXPUNGE"],
    )
    .await;
    let delta = run_mailbox(&db, &pair.spec(), &NoProgress).await.unwrap();
    assert_eq!(delta.copied, 0, "{delta:?}");
    assert_eq!((delta.flags_updated, delta.deleted), (4, 2), "{delta:?}");
    pair.assert_same().await;

    // The user answers message 6 on the destination; the source reads it later: both stay.
    on(
        &pair.destination,
        "INBOX",
        &["UID STORE 6 +FLAGS (\\Answered)"],
    )
    .await;
    on(&pair.source, "INBOX", &["UID STORE 6 +FLAGS (\\Seen)"]).await;
    let again = run_mailbox(&db, &pair.spec(), &NoProgress).await.unwrap();
    assert_eq!(again.flags_updated, 1, "{again:?}");
    let flags = destination_flags(&pair, 6).await;
    assert!(
        flags.contains(&"\\Answered".to_string()) && flags.contains(&"\\Seen".to_string()),
        "{flags:?}"
    );
    let quiet = run_mailbox(&db, &pair.spec(), &NoProgress).await.unwrap();
    assert_eq!((quiet.flags_updated, quiet.deleted), (0, 0), "{quiet:?}");
}

/// A folder renamed on the source after the first pass: copied again under its new name, the
/// old name reported, its destination copy left as it is; the mailbox still ends well.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cyrus_to_dovecot_a_folder_gone_from_the_source_is_reported() {
    let pair = Pair::start(ServerKind::Cyrus, ServerKind::Dovecot).await;
    let (_dir, db) = common::sqlite().await;
    run_mailbox(&db, &pair.spec(), &NoProgress).await.unwrap();
    let mut src = pair.source.session_for(USER).await.unwrap();
    src.command("RENAME \"INBOX.Caf&AOk-\" \"INBOX.Bistro\"", |_, _| Ok(()))
        .await
        .unwrap();
    let rerun = run_mailbox(&db, &pair.spec(), &NoProgress).await.unwrap();
    assert_eq!(
        rerun.copied, 3,
        "the renamed folder is copied anew: {rerun:?}"
    );
    let notes: Vec<(&str, ErrorKind)> = rerun
        .folder_problems
        .iter()
        .map(|n| (n.folder.as_str(), n.kind))
        .collect();
    assert_eq!(notes, vec![("INBOX.Café", ErrorKind::FolderGoneFromSource)]);
    let mut dst = pair.destination.session_for(USER).await.unwrap();
    assert_eq!(
        dst.fetch_all("Caf&AOk-").await.unwrap().len(),
        3,
        "left as it is"
    );
    assert_eq!(dst.fetch_all("Bistro").await.unwrap().len(), 3);
}

/// A destination without UIDPLUS numbers no APPEND: the copies whose source flags changed are
/// found by Message-ID, date and size, once, and get the changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_without_uidplus_gets_flag_changes_too() {
    let source = AnyServer::start(ServerKind::Dovecot, "source", false).unwrap();
    let capability =
        "IMAP4rev1 SASL-IR ID ENABLE IDLE SPECIAL-USE LIST-EXTENDED LITERAL+ NAMESPACE";
    let destination = AnyServer::Dovecot(
        mailferry_tests::Dovecot::start(mailferry_tests::DovecotOptions {
            name: "destination",
            imap_capability: Some(capability),
            ..Default::default()
        })
        .unwrap(),
    );
    let pair = Pair::of(source, destination).await;
    let (_dir, db) = common::sqlite().await;
    run_mailbox(&db, &pair.spec(), &NoProgress).await.unwrap();
    read_and_tag(&pair.source).await;
    let delta = run_mailbox(&db, &pair.spec(), &NoProgress).await.unwrap();
    assert_eq!(delta.flags_updated, 4, "{delta:?}");
    pair.assert_same().await;
    let quiet = run_mailbox(&db, &pair.spec(), &NoProgress).await.unwrap();
    assert_eq!(quiet.flags_updated, 0, "found once: {quiet:?}");
}
