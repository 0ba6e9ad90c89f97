//! A hostile IMAP server of the tests' own: a proxy in front of a real Dovecot that, for the
//! sessions of chosen users, takes over the connection when the client asks for message bodies
//! and answers with something no honest server sends (garbage, a literal longer than announced,
//! a huge literal, BYE inside a literal, a flood of unexpected untagged responses, endless
//! continuation requests), or at LIST (a loop of folders without end), or answers NAMESPACE
//! differently from the second session on. Other sessions pass through untouched.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::{JoinHandle, JoinSet};

/// What the server sends instead of the message bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostility {
    /// Lines that are not IMAP at all, then a tagged OK.
    Garbage,
    /// A literal announced as 10 bytes followed by 40, then a tagged OK.
    LongerLiteral,
    /// A literal announced as 100 GB; 4 MB of it, then silence.
    HugeLiteral,
    /// A literal announced as 500 MB (under async-imap's own 512 MiB cap) and sent in full, for
    /// messages whose RFC822.SIZE was a few kilobytes.
    BigLiteral,
    /// `* BYE` inside a literal, then the connection closes.
    ByeMidLiteral,
    /// Thousands of untagged responses nobody asked for, then a tagged OK without any body, then
    /// the connection closes.
    UntaggedFlood,
    /// `+` continuation requests, one every millisecond, forever.
    EndlessContinuation,
    /// LIST answers the same `\HasChildren` folders (`loop`, `loop/loop`, ...) over and over,
    /// without end.
    ListLoop,
    /// From the user's second session on, NAMESPACE answers another personal prefix
    /// (`INBOX.`) than the real server's (`""`).
    PrefixChange,
}

impl Hostility {
    /// Whether the proxy takes the session over at this command line.
    fn takes_over_at(self, line: &str) -> bool {
        let command = line.split_whitespace().nth(1).unwrap_or("");
        match self {
            Hostility::ListLoop => command.eq_ignore_ascii_case("LIST"),
            Hostility::PrefixChange => false,
            _ => line.contains("BODY.PEEK[]") || line.contains("BODY[]"),
        }
    }
}

pub struct HostileProxy {
    port: u16,
    task: JoinHandle<()>,
}

impl Drop for HostileProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HostileProxy {
    /// Proxies to `target`; the sessions of the users in `rules` get their hostility.
    pub async fn start(
        target: SocketAddr,
        rules: HashMap<String, Hostility>,
    ) -> anyhow::Result<HostileProxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let rules = Arc::new(rules);
        let task = tokio::spawn(async move {
            let mut sessions = JoinSet::new();
            let seen = Arc::new(Mutex::new(HashMap::new()));
            while let Ok((client, _)) = listener.accept().await {
                let rules = rules.clone();
                let seen = seen.clone();
                sessions.spawn(async move {
                    let _ = session(client, target, &rules, &seen).await;
                });
            }
        });
        Ok(HostileProxy { port, task })
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

/// The user name of a `tag LOGIN user password` line (quoted or atom).
fn login_user(line: &str) -> Option<String> {
    let mut parts = line.split_whitespace();
    let _tag = parts.next()?;
    if !parts.next()?.eq_ignore_ascii_case("LOGIN") {
        return None;
    }
    Some(parts.next()?.trim_matches('"').to_string())
}

/// Sessions signed in so far, per user.
type Seen = Mutex<HashMap<String, usize>>;

async fn session(
    client: TcpStream,
    target: SocketAddr,
    rules: &HashMap<String, Hostility>,
    seen: &Seen,
) -> std::io::Result<()> {
    let upstream = TcpStream::connect(target).await?;
    let (client_read, client_write) = client.into_split();
    let (mut up_read, mut up_write) = upstream.into_split();
    let client_write = Arc::new(Mutex::new(client_write));
    let forward = {
        let client_write = client_write.clone();
        tokio::spawn(async move {
            let mut buffer = vec![0u8; 16 * 1024];
            loop {
                let n = match up_read.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if client_write
                    .lock()
                    .await
                    .write_all(&buffer[..n])
                    .await
                    .is_err()
                {
                    break;
                }
            }
        })
    };
    let mut lines = BufReader::new(client_read);
    let mut hostility = None;
    let mut sessions_before = 0;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            break;
        }
        if let Some(user) = login_user(&line) {
            hostility = rules.get(&user).copied();
            let mut seen = seen.lock().await;
            let count = seen.entry(user).or_default();
            *count += 1;
            sessions_before = *count - 1;
        }
        let tag = line.split_whitespace().next().unwrap_or("*").to_string();
        let namespace = line.split_whitespace().nth(1) == Some("NAMESPACE");
        if hostility == Some(Hostility::PrefixChange) && namespace && sessions_before > 0 {
            let answer = format!("* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL\r\n{tag} OK done\r\n");
            client_write
                .lock()
                .await
                .write_all(answer.as_bytes())
                .await?;
            continue;
        }
        if let Some(hostility) = hostility.filter(|h| h.takes_over_at(&line)) {
            // Take the connection over: the real server is not heard again.
            forward.abort();
            let mut out = client_write.lock().await;
            let _ = attack(&mut out, hostility, &tag).await;
            // Hold the connection until the client gives up on it.
            let mut sink = [0u8; 1024];
            while let Ok(n) = lines.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
            return Ok(());
        }
        up_write.write_all(line.as_bytes()).await?;
    }
    forward.abort();
    Ok(())
}

async fn attack(out: &mut OwnedWriteHalf, hostility: Hostility, tag: &str) -> std::io::Result<()> {
    match hostility {
        Hostility::Garbage => {
            out.write_all(b"*** \x00\x01\x02 !!garbage{{{ ]]\r\n")
                .await?;
            out.write_all(b"* 1 FETCH ((((((UID\r\n\xff\xfe\r\n")
                .await?;
            out.write_all(format!("{tag} OK done\r\n").as_bytes())
                .await?;
        }
        Hostility::LongerLiteral => {
            out.write_all(b"* 1 FETCH (UID 1 BODY[] {10}\r\n").await?;
            out.write_all(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$")
                .await?;
            out.write_all(format!(")\r\n{tag} OK done\r\n").as_bytes())
                .await?;
        }
        Hostility::HugeLiteral => {
            out.write_all(b"* 1 FETCH (UID 1 BODY[] {107374182400}\r\n")
                .await?;
            let chunk = vec![b'x'; 64 * 1024];
            for _ in 0..64 {
                out.write_all(&chunk).await?;
            }
        }
        Hostility::BigLiteral => {
            out.write_all(b"* 1 FETCH (UID 1 BODY[] {500000000}\r\n")
                .await?;
            let chunk = vec![b'x'; 1 << 20];
            for _ in 0..500_000_000 / chunk.len() {
                out.write_all(&chunk).await?;
            }
            out.write_all(&chunk[..500_000_000 % chunk.len()]).await?;
            out.write_all(format!(")\r\n{tag} OK done\r\n").as_bytes())
                .await?;
        }
        Hostility::ByeMidLiteral => {
            out.write_all(b"* 1 FETCH (UID 1 BODY[] {5000}\r\nFrom: a@b.c\r\n")
                .await?;
            out.write_all(b"\r\n* BYE shutting down\r\n").await?;
            out.shutdown().await?;
        }
        Hostility::UntaggedFlood => {
            for i in 0..2_000 {
                let line = match i % 5 {
                    0 => "* 5 EXPUNGE\r\n".to_string(),
                    1 => "* OK [ALERT] look over there\r\n".to_string(),
                    2 => format!("* {} EXISTS\r\n", 100_000 + i),
                    3 => "* NO something odd\r\n".to_string(),
                    _ => "* FLAGS (\\Weird $Strange)\r\n".to_string(),
                };
                out.write_all(line.as_bytes()).await?;
            }
            out.write_all(format!("{tag} OK done\r\n").as_bytes())
                .await?;
        }
        Hostility::ListLoop => loop {
            for depth in 1..=50 {
                let name = vec!["loop"; depth].join("/");
                let entry = format!("* LIST (\\HasChildren) \"/\" \"{name}\"\r\n");
                out.write_all(entry.as_bytes()).await?;
            }
            tokio::task::yield_now().await;
        },
        Hostility::PrefixChange => {}
        Hostility::EndlessContinuation => loop {
            out.write_all(b"+ more please\r\n").await?;
            tokio::time::sleep(Duration::from_millis(1)).await;
        },
    }
    out.flush().await
}
