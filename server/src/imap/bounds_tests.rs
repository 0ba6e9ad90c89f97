//! A scripted server on loopback answers the fetches with what no honest server sends: the same
//! body again and again, more FETCH answers than asked for, a folder size it does not have.
//! Each answer costs a bounded amount of memory and round trips.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::ImapError;
use super::fetch::{MessageIds, MessageMeta, fetch_bodies, fetch_meta};
use super::session::ImapSession;
use super::stream::ImapStream;

/// A message as the metadata pass saw it.
fn meta(uid: u32, size: u32) -> MessageMeta {
    MessageMeta {
        uid,
        size,
        flags: Vec::new(),
        internal_date: String::new(),
        message_id: None,
    }
}

/// A session whose server answers each command line (tag, rest) with `answer`; the count of
/// command lines it was sent.
async fn scripted(
    answer: impl Fn(&str, &str) -> Vec<u8> + Send + 'static,
) -> (ImapSession, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let commands = Arc::new(AtomicUsize::new(0));
    let counted = commands.clone();
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let (tag, rest) = line.split_once(' ').unwrap_or((&line, ""));
            if write.write_all(&answer(tag, rest)).await.is_err() {
                break;
            }
        }
    });
    let tcp = TcpStream::connect(address).await.unwrap();
    let session = ImapSession::new(
        ImapStream::Plain(tcp),
        Duration::from_secs(10),
        "test".into(),
    );
    (session, commands)
}

#[tokio::test]
async fn a_body_sent_again_and_again_is_kept_once_then_refused() {
    let (mut session, _) = scripted(|tag, _| {
        let one = b"* 1 FETCH (UID 7 BODY[] {100}\r\n".iter().copied();
        let mut wire: Vec<u8> = Vec::new();
        for _ in 0..10_000 {
            wire.extend(one.clone());
            wire.extend([b'x'; 100]);
            wire.extend(b")\r\n");
        }
        wire.extend(format!("{tag} OK done\r\n").as_bytes());
        wire
    })
    .await;
    let error = fetch_bodies(&mut session, &[&meta(7, 100)])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ImapError::Protocol(text) if text.contains("again and again")),
        "{error}"
    );
    // A few repeats are dropped, the body kept once.
    let (mut session, _) = scripted(|tag, _| {
        let mut wire = Vec::new();
        for _ in 0..3 {
            wire.extend(b"* 1 FETCH (UID 7 BODY[] {5}\r\nhello)\r\n");
        }
        wire.extend(format!("{tag} OK done\r\n").as_bytes());
        wire
    })
    .await;
    let bodies = fetch_bodies(&mut session, &[&meta(7, 5)]).await.unwrap();
    assert_eq!(bodies.len(), 1);
}

#[tokio::test]
async fn more_fetch_answers_than_asked_for_fail_the_folder() {
    let (mut session, _) = scripted(|tag, _| {
        let mut wire = Vec::new();
        for _ in 0..20_000 {
            wire.extend(b"* 1 FETCH (UID 1 RFC822.SIZE 10 FLAGS () INTERNALDATE \"01-Jan-2020 00:00:00 +0000\")\r\n");
        }
        wire.extend(format!("{tag} OK done\r\n").as_bytes());
        wire
    })
    .await;
    let error = fetch_meta(&mut session, 10, 5000, MessageIds::Skip)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ImapError::Protocol(text) if text.contains("more than")),
        "{error}"
    );
}

#[tokio::test]
async fn a_folder_claiming_4_billion_messages_costs_one_round_trip() {
    // The server answers every FETCH with nothing: no message is there.
    let (mut session, commands) =
        scripted(|tag, _| format!("{tag} OK done\r\n").into_bytes()).await;
    let (metas, _) = fetch_meta(&mut session, u32::MAX - 1, 5000, MessageIds::Skip)
        .await
        .unwrap();
    assert!(metas.is_empty());
    assert_eq!(
        commands.load(Ordering::SeqCst),
        1,
        "one window, then stopped"
    );
}
