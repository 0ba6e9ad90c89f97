//! The test bed's Cyrus and Courier: each starts on a free loopback port from Debian's packages,
//! takes users, lets the test act as one of them, enforces a quota with its own answer, and
//! stops by PID without leaving its processes behind.

use mailferry_tests::seed::message;
use mailferry_tests::{CommandError, Courier, Cyrus, CyrusOptions, TestServer};

const USER: &str = "ann@example.test";

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.split_whitespace().nth(2) != Some("Z"))
}

/// The user's session appends into a new folder, reads it back; then the quota refuses a
/// message with `refusal` in the answer.
async fn exercise(server: &impl TestServer, refusal: &str) {
    let mut session = server.session_for(USER).await.unwrap();
    let sent = server.folder_name("Sent");
    session.create_folder(&sent).await.unwrap();
    let body = message(1, 3_000, None);
    session
        .append(&sent, &body, &["\\Seen"], None)
        .await
        .unwrap();
    let got = session.fetch_all(&sent).await.unwrap();
    assert_eq!(got.len(), 1);
    assert!(got[0].body == body);
    assert!(session.list_folders().await.unwrap().contains(&sent));
    let big = message(2, 200_000, None);
    match session.append("INBOX", &big, &[], None).await {
        Err(CommandError::Refused(text)) => assert!(text.contains(refusal), "{text}"),
        other => panic!("the quota refuses: {other:?}"),
    }
}

#[tokio::test]
async fn cyrus_runs_takes_users_and_stops() {
    let mut cyrus = Cyrus::start(CyrusOptions::default()).unwrap();
    cyrus.add_user(USER, "pw-ann").unwrap();
    cyrus.set_quota_bytes(USER, Some(100_000)).unwrap();
    exercise(&cyrus, "Over quota").await;
    let pid = cyrus.pid().unwrap();
    cyrus.stop().unwrap();
    assert!(!alive(pid), "the master is gone");
}

#[tokio::test]
async fn courier_runs_takes_users_and_stops() {
    let mut courier = Courier::start().unwrap();
    courier.add_user(USER, "pw-ann").unwrap();
    courier.set_quota_bytes(USER, Some(100_000)).unwrap();
    exercise(&courier, "exceeded your mail quota").await;
    let pid = courier.pid().unwrap();
    courier.stop().unwrap();
    assert!(!alive(pid), "couriertcpd is gone");
}
