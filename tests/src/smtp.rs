//! A tiny SMTP receiver (RFC 5321 subset, no auth, no TLS) that keeps every message it accepts.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// One message as received: envelope sender, recipients and the unstuffed DATA bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// `MAIL FROM` address, without angle brackets (empty for the null sender).
    pub from: String,
    /// `RCPT TO` addresses, without angle brackets.
    pub to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, without the final `.` line.
    pub data: Vec<u8>,
}

#[derive(Debug)]
struct Inbox {
    mails: Mutex<Vec<ReceivedMail>>,
    count: watch::Sender<usize>,
}

impl Inbox {
    fn push(&self, mail: ReceivedMail) {
        let mut mails = self.mails.lock().unwrap_or_else(PoisonError::into_inner);
        mails.push(mail);
        self.count.send_replace(mails.len());
    }

    fn all(&self) -> Vec<ReceivedMail> {
        self.mails
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// An SMTP server on 127.0.0.1 (free port); stops when dropped.
#[derive(Debug)]
pub struct SmtpReceiver {
    port: u16,
    inbox: Arc<Inbox>,
    task: JoinHandle<()>,
}

impl SmtpReceiver {
    /// Starts listening (needs a Tokio runtime).
    pub async fn start() -> anyhow::Result<SmtpReceiver> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let inbox = Arc::new(Inbox {
            mails: Mutex::new(Vec::new()),
            count: watch::channel(0).0,
        });
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&inbox)));
        Ok(SmtpReceiver { port, inbox, task })
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address to give to an SMTP client.
    pub fn addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.port).into()
    }

    /// Every message received so far, in arrival order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.inbox.all()
    }

    /// Waits until at least `count` messages have arrived, then returns all of them.
    pub async fn wait_for(
        &self,
        count: usize,
        timeout: Duration,
    ) -> anyhow::Result<Vec<ReceivedMail>> {
        let mut arrived = self.inbox.count.subscribe();
        tokio::time::timeout(timeout, arrived.wait_for(|n| *n >= count))
            .await
            .with_context(|| {
                format!(
                    "{} of {count} messages arrived in {timeout:?}",
                    self.inbox.all().len()
                )
            })?
            .context("receiver stopped")?;
        Ok(self.inbox.all())
    }
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every open session.
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, inbox: Arc<Inbox>) {
    let mut sessions = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        let inbox = Arc::clone(&inbox);
        sessions.spawn(async move {
            if let Err(error) = session(stream, &inbox).await {
                tracing::debug!(%error, "SMTP test session ended with an error");
            }
        });
        while sessions.try_join_next().is_some() {}
    }
}

#[derive(Default)]
struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

async fn session(stream: TcpStream, inbox: &Inbox) -> anyhow::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write
        .write_all(b"220 mailferry-test ESMTP ready\r\n")
        .await?;
    let mut envelope = Envelope::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-mailferry-test\r\n250 8BITMIME\r\n",
            "HELO" => b"250 mailferry-test\r\n",
            "MAIL" => {
                envelope = Envelope {
                    from: Some(address(command)),
                    to: Vec::new(),
                };
                b"250 OK\r\n"
            }
            "RCPT" if envelope.from.is_some() => {
                envelope.to.push(address(command));
                b"250 OK\r\n"
            }
            "RCPT" => b"503 MAIL first\r\n",
            "DATA" if !envelope.to.is_empty() => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let data = read_data(&mut read).await?;
                let from = envelope.from.take().unwrap_or_default();
                let to = std::mem::take(&mut envelope.to);
                inbox.push(ReceivedMail { from, to, data });
                b"250 OK queued\r\n"
            }
            "DATA" => b"503 RCPT first\r\n",
            "RSET" => {
                envelope = Envelope::default();
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 Command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// Reads DATA lines up to the lone `.` line, undoing dot-stuffing.
async fn read_data<R: AsyncBufReadExt + Unpin>(read: &mut R) -> anyhow::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        anyhow::ensure!(
            read.read_until(b'\n', &mut line).await? > 0,
            "connection closed during DATA"
        );
        if line == b".\r\n" || line == b".\n" {
            return Ok(data);
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
    }
}

/// The address in `MAIL FROM:<a@b> SIZE=1` or `RCPT TO:<a@b>`.
fn address(command: &str) -> String {
    let after_colon = command.split_once(':').map_or("", |(_, rest)| rest).trim();
    match (after_colon.find('<'), after_colon.find('>')) {
        (Some(start), Some(end)) if start < end => after_colon[start + 1..end].to_string(),
        _ => after_colon
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    async fn expect_reply(stream: &mut BufReader<TcpStream>, code: &str) {
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).await.expect("read reply");
            assert!(line.starts_with(code), "expected {code}, got {line:?}");
            if line.as_bytes().get(3) != Some(&b'-') {
                return;
            }
        }
    }

    #[test]
    fn parses_addresses() {
        assert_eq!(address("MAIL FROM:<a@b.test> SIZE=10"), "a@b.test");
        assert_eq!(address("RCPT TO: <c@d.test>"), "c@d.test");
        assert_eq!(address("MAIL FROM:<>"), "");
        assert_eq!(address("MAIL FROM:e@f.test"), "e@f.test");
    }

    #[tokio::test]
    async fn receives_a_message_over_raw_tcp() {
        let receiver = SmtpReceiver::start().await.expect("start");
        let tcp = TcpStream::connect(receiver.addr()).await.expect("connect");
        let mut stream = BufReader::new(tcp);
        expect_reply(&mut stream, "220").await;
        let exchange: [(&[u8], &str); 7] = [
            (b"EHLO client.test\r\n", "250"),
            (b"DATA\r\n", "503"),
            (b"MAIL FROM:<sender@source.test>\r\n", "250"),
            (b"RCPT TO:<one@destination.test>\r\n", "250"),
            (b"RCPT TO:<two@destination.test>\r\n", "250"),
            (b"NOOP\r\n", "250"),
            (b"DATA\r\n", "354"),
        ];
        for (command, code) in exchange {
            stream.get_mut().write_all(command).await.expect("write");
            expect_reply(&mut stream, code).await;
        }
        stream
            .get_mut()
            .write_all(b"Subject: hi\r\n\r\n..starts with a dot\r\nbody\r\n.\r\n")
            .await
            .expect("write data");
        expect_reply(&mut stream, "250").await;
        stream.get_mut().write_all(b"QUIT\r\n").await.expect("quit");
        expect_reply(&mut stream, "221").await;
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.expect("closed");

        let mails = receiver
            .wait_for(1, Duration::from_secs(5))
            .await
            .expect("one mail");
        assert_eq!(
            mails,
            vec![ReceivedMail {
                from: "sender@source.test".into(),
                to: vec!["one@destination.test".into(), "two@destination.test".into()],
                data: b"Subject: hi\r\n\r\n.starts with a dot\r\nbody\r\n".to_vec(),
            }]
        );
        assert_eq!(receiver.messages().len(), 1);
    }

    #[tokio::test]
    async fn wait_for_times_out_when_nothing_arrives() {
        let receiver = SmtpReceiver::start().await.expect("start");
        let error = receiver
            .wait_for(1, Duration::from_millis(100))
            .await
            .expect_err("nothing was sent");
        assert!(error.to_string().contains("0 of 1"), "{error}");
    }
}
