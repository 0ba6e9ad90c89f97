//! A live IMAP connection with our own tags and a deadline on every read and write.
//! async-imap frames and parses responses; commands are written raw, because its high-level
//! calls end silently on a tagged NO and drop response codes (see imap/fetch.rs, imap/append.rs).

use std::collections::HashSet;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::error::ImapError;
use super::literal_guard::{LiteralGuard, LiteralLimit, too_large_in};
use super::reply::{Reply, TaggedStatus};
use super::response_code::ResponseCode;
use super::stream::{BufferedStream, ImapStream};

pub use super::quote::quote;

/// Message bodies from this size on are handed over in the buffer they were read into.
const SHARE_BODIES_FROM: usize = 64 * 1024;

pub struct ImapSession {
    conn: async_imap::Client<BufferedStream>,
    next_tag: u64,
    timeout: Duration,
    capabilities: HashSet<String>,
    /// The server's greeting (it names the software on most servers).
    greeting: String,
    /// Which server this is, for error texts ("source" / "destination" and address).
    pub label: String,
    /// QRESYNC is enabled (RFC 7162): FETCH may ask for VANISHED (see `enable.rs`).
    pub(super) qresync: bool,
    /// The largest literal the server may send now (raised while bodies are fetched).
    pub(super) literal_limit: LiteralLimit,
}

impl std::fmt::Debug for ImapSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSession")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// The tagged completion of a command.
#[derive(Debug)]
pub struct Completion {
    pub code: Option<ResponseCode>,
    pub text: String,
    /// The UIDs an APPEND's message(s) got (APPENDUID, RFC 4315), in order; empty without.
    pub append_uid: Vec<u32>,
}

/// The UIDs of an APPENDUID's set, at most as many as one command can have stored (a hostile
/// `1:4294967295` costs nothing).
pub fn expand_append_uid(append_uid: Option<(u32, Vec<(u32, u32)>)>) -> Vec<u32> {
    const MOST: usize = 10_000;
    let Some((_, ranges)) = append_uid else {
        return Vec::new();
    };
    ranges
        .into_iter()
        .flat_map(|(a, b)| a.min(b)..=a.max(b))
        .take(MOST)
        .collect()
}

impl ImapSession {
    /// A session on a connected stream (nothing read yet); writes are buffered in 64 KiB.
    pub fn new(stream: ImapStream, timeout: Duration, label: String) -> Self {
        let literal_limit = LiteralLimit::new();
        let guarded = LiteralGuard::new(stream, literal_limit.clone());
        ImapSession {
            conn: async_imap::Client::new(tokio::io::BufWriter::with_capacity(64 * 1024, guarded)),
            next_tag: 0,
            timeout,
            capabilities: HashSet::new(),
            greeting: String::new(),
            label,
            qresync: false,
            literal_limit,
        }
    }

    /// The connection underneath (for STARTTLS).
    pub fn into_stream(self) -> ImapStream {
        self.conn.into_inner().into_inner().into_inner()
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The greeting's text, as read at connect.
    pub fn greeting(&self) -> &str {
        &self.greeting
    }

    pub fn set_greeting(&mut self, text: String) {
        self.greeting = text;
    }

    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities.contains(&name.to_ascii_uppercase())
    }

    pub fn capabilities(&self) -> &HashSet<String> {
        &self.capabilities
    }

    pub fn next_tag(&mut self) -> String {
        self.next_tag += 1;
        format!("mf{}", self.next_tag)
    }

    /// Writes raw bytes (command lines, literals) and flushes them.
    pub async fn write(&mut self, bytes: &[u8], during: &str) -> Result<(), ImapError> {
        let timeout = self.timeout;
        let stream = self.conn.get_mut();
        let io = async {
            stream.write_all(bytes).await?;
            stream.flush().await
        };
        match tokio::time::timeout(timeout, io).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ImapError::ConnectionLost(format!("{during}: {e}"))),
            Err(_) => Err(ImapError::Timeout {
                during: during.to_string(),
                seconds: timeout.as_secs(),
            }),
        }
    }

    /// Writes without flushing (the next `write` flushes): used to batch MULTIAPPEND parts.
    pub async fn write_buffered(&mut self, bytes: &[u8], during: &str) -> Result<(), ImapError> {
        let timeout = self.timeout;
        let stream = self.conn.get_mut();
        match tokio::time::timeout(timeout, stream.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ImapError::ConnectionLost(format!("{during}: {e}"))),
            Err(_) => Err(ImapError::Timeout {
                during: during.to_string(),
                seconds: timeout.as_secs(),
            }),
        }
    }

    /// The next response; a closed connection, unparsable data, BYE or a deadline is an error.
    pub async fn read(&mut self, during: &str) -> Result<Reply, ImapError> {
        match tokio::time::timeout(self.timeout, self.conn.read_response()).await {
            Ok(Ok(Some(response))) => {
                // A big body keeps the parse buffer it was read into instead of being copied
                // out of it (async-imap's response type cannot be named, hence inline).
                let buffer = response.borrow_owner();
                let start = buffer.as_ptr() as usize;
                let end = start + buffer.len();
                let (mut reply, shared) = Reply::parse(response.parsed(), SHARE_BODIES_FROM);
                let shared = shared.map(|body| {
                    let at = body.as_ptr() as usize;
                    if at >= start && at + body.len() <= end {
                        Ok((at - start)..(at - start + body.len()))
                    } else {
                        // Not inside the buffer (a parser change): copy, as small bodies are.
                        Err(bytes::Bytes::copy_from_slice(body))
                    }
                });
                if let (Reply::Fetch(fetch), Some(shared)) = (&mut reply, shared) {
                    fetch.body = Some(match shared {
                        Ok(range) => response.into_owner().freeze().slice(range),
                        Err(copy) => copy,
                    });
                }
                match reply {
                    Reply::Bye { code, text } => Err(ImapError::Bye { code, text }),
                    reply => Ok(reply),
                }
            }
            Ok(Ok(None)) => Err(ImapError::ConnectionLost(format!(
                "{during}: the server closed the connection"
            ))),
            Ok(Err(e)) if too_large_in(&e).is_some() => Err(ImapError::LiteralTooLarge {
                during: during.to_string(),
                refused: too_large_in(&e).expect("matched"),
            }),
            Ok(Err(e)) => {
                // The parser's message quotes the whole input (megabytes from a hostile server).
                let detail = clip(&e.to_string());
                // async-imap reports a parse failure as an I/O error whose text quotes the
                // input after "during parsing of".
                let text = e.to_string();
                let not_imap = e.kind() == std::io::ErrorKind::InvalidData
                    || text.contains("during parsing of");
                let detail = match text.split_once("during parsing of ") {
                    Some((_, input)) => clip(input),
                    None => detail,
                };
                Err(if not_imap {
                    ImapError::Protocol(format!(
                        "{during}: the server sent data that is not IMAP: {detail}"
                    ))
                } else {
                    ImapError::ConnectionLost(format!("{during}: {detail}"))
                })
            }
            Err(_) => Err(ImapError::Timeout {
                during: during.to_string(),
                seconds: self.timeout.as_secs(),
            }),
        }
    }

    /// Turns a tagged reply into `Ok(Completion)` or a typed NO/BAD error.
    pub fn completion(
        command: &str,
        status: TaggedStatus,
        code: Option<ResponseCode>,
        text: String,
    ) -> Result<Completion, ImapError> {
        match status {
            TaggedStatus::Ok => Ok(Completion {
                code,
                text,
                append_uid: Vec::new(),
            }),
            TaggedStatus::No => Err(ImapError::No {
                command: command.to_string(),
                code,
                text,
            }),
            TaggedStatus::Bad => Err(ImapError::Bad {
                command: command.to_string(),
                code,
                text,
            }),
        }
    }

    /// Runs a command without literals; calls `on_untagged` for each untagged response.
    pub async fn run(
        &mut self,
        command: &str,
        mut on_untagged: impl FnMut(Reply) -> Result<(), ImapError>,
    ) -> Result<Completion, ImapError> {
        let tag = self.next_tag();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("command")
            .to_string();
        self.write(format!("{tag} {command}\r\n").as_bytes(), &verb)
            .await?;
        self.finish(&tag, &verb, &mut on_untagged).await
    }

    /// Reads until the tagged completion of `tag`.
    pub async fn finish(
        &mut self,
        tag: &str,
        verb: &str,
        on_untagged: &mut impl FnMut(Reply) -> Result<(), ImapError>,
    ) -> Result<Completion, ImapError> {
        // Far above any honest answer (a flag listing of a folder of millions of messages);
        // a server that never ends its answer is stopped here if not by the read deadline.
        const MOST_UNTAGGED: u64 = 5_000_000;
        let mut untagged = 0u64;
        loop {
            untagged += 1;
            if untagged > MOST_UNTAGGED {
                return Err(ImapError::Protocol(format!(
                    "{verb}: more than {MOST_UNTAGGED} responses to one command"
                )));
            }
            match self.read(verb).await? {
                Reply::Done {
                    tag: t,
                    status,
                    code,
                    text,
                    append_uid,
                } if t == tag => {
                    let mut done = Self::completion(verb, status, code, text)?;
                    done.append_uid = expand_append_uid(append_uid);
                    return Ok(done);
                }
                // Only APPEND waits for a `+`, and reads it itself: here it is a server gone
                // astray (an endless stream of them would keep every read within its deadline).
                Reply::Continue => {
                    return Err(ImapError::Protocol(format!(
                        "{verb}: the server asked for data nobody announced"
                    )));
                }
                other => on_untagged(other)?,
            }
        }
    }

    /// Runs `command` and reads its answer line by line itself, for the few answers async-imap
    /// cannot parse (NAMESPACE). Only right after a completed command: async-imap then holds no
    /// unread bytes. Literals are inlined as quoted strings; at most `max_bytes` are read.
    pub async fn run_raw(
        &mut self,
        command: &str,
        max_bytes: usize,
    ) -> Result<(Vec<String>, Completion), ImapError> {
        let tag = self.next_tag();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("command")
            .to_string();
        self.write(format!("{tag} {command}\r\n").as_bytes(), &verb)
            .await?;
        let timeout = self.timeout;
        let mut reader = RawLines {
            stream: self.conn.get_mut(),
            left: max_bytes,
        };
        let prefix = format!("{tag} ");
        let read = async {
            let mut lines = Vec::new();
            loop {
                let line = reader.line().await?;
                if let Some(done) = line.strip_prefix(&prefix) {
                    return Ok::<_, RawError>((lines, done.to_string()));
                }
                lines.push(line);
            }
        };
        let (lines, done) = match tokio::time::timeout(timeout, read).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(RawError::Lost(e))) => {
                return Err(ImapError::ConnectionLost(format!("{verb}: {e}")));
            }
            Ok(Err(RawError::TooLong)) => {
                return Err(ImapError::Protocol(format!(
                    "{verb}: the answer is longer than {max_bytes} bytes"
                )));
            }
            Err(_) => {
                return Err(ImapError::Timeout {
                    during: verb,
                    seconds: timeout.as_secs(),
                });
            }
        };
        let (status, text) = done.split_once(' ').unwrap_or((done.as_str(), ""));
        let status = match status.to_ascii_uppercase().as_str() {
            "OK" => TaggedStatus::Ok,
            "NO" => TaggedStatus::No,
            _ => TaggedStatus::Bad,
        };
        let completion =
            Self::completion(&verb, status, ResponseCode::of_text(text), text.to_string())?;
        Ok((lines, completion))
    }

    /// Runs a command and ignores its untagged data.
    pub async fn simple(&mut self, command: &str) -> Result<Completion, ImapError> {
        self.run(command, |_| Ok(())).await
    }

    /// Asks for CAPABILITY (after sign-in the list may change, and the OK [CAPABILITY] is dropped).
    pub async fn refresh_capabilities(&mut self) -> Result<(), ImapError> {
        let mut caps = HashSet::new();
        self.run("CAPABILITY", |reply| {
            if let Reply::Capabilities(list) = reply {
                caps.extend(list);
            }
            Ok(())
        })
        .await?;
        self.capabilities = caps;
        Ok(())
    }

    pub async fn logout(mut self) {
        let _ = self.simple("LOGOUT").await;
    }
}

/// Why a raw read stopped.
enum RawError {
    /// The connection broke or was closed.
    Lost(String),
    /// More than the budget.
    TooLong,
}

/// Reads CRLF lines straight from the stream, within a byte budget.
struct RawLines<'s, S> {
    stream: &'s mut S,
    left: usize,
}

impl<S: tokio::io::AsyncRead + Unpin> RawLines<'_, S> {
    async fn byte(&mut self) -> Result<u8, RawError> {
        use tokio::io::AsyncReadExt;
        if self.left == 0 {
            return Err(RawError::TooLong);
        }
        self.left -= 1;
        let mut one = [0u8; 1];
        match self.stream.read(&mut one).await {
            Ok(1) => Ok(one[0]),
            Ok(_) => Err(RawError::Lost("the server closed the connection".into())),
            Err(e) => Err(RawError::Lost(e.to_string())),
        }
    }

    /// One line without its CRLF; a literal (`{N}` at the end of a line) is read and inlined as
    /// a quoted string.
    async fn line(&mut self) -> Result<String, RawError> {
        let mut line = Vec::new();
        loop {
            let b = self.byte().await?;
            if b != b'\n' {
                line.push(b);
                continue;
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let Some(size) = literal_size(&line) else {
                return Ok(String::from_utf8_lossy(&line).into_owned());
            };
            let open = line.iter().rposition(|c| *c == b'{').unwrap_or(line.len());
            line.truncate(open);
            line.push(b'"');
            for _ in 0..size {
                match self.byte().await? {
                    c @ (b'"' | b'\\') => line.extend([b'\\', c]),
                    c => line.push(c),
                }
            }
            line.push(b'"');
        }
    }
}

/// The size of the literal a line announces at its end (`{12}` or `{12+}`).
fn literal_size(line: &[u8]) -> Option<usize> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|c| *c == b'{')?;
    let digits = std::str::from_utf8(&inner[open + 1..])
        .ok()?
        .trim_end_matches('+');
    digits.parse().ok()
}

/// At most 200 characters of a server-provided text, for error details and logs.
pub fn clip(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}… ({} more bytes)", &text[..at], text.len() - at),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn raw_lines_inline_literals_and_stop_where_told() {
        use super::{RawError, RawLines};
        let wire: &[u8] = b"* NAMESPACE (({5}\r\nINBOX \".\")) NIL NIL\r\nmf1 OK done\r\n";
        let mut stream = wire;
        let mut lines = RawLines {
            stream: &mut stream,
            left: 1024,
        };
        assert!(matches!(
            lines.line().await,
            Ok(l) if l == "* NAMESPACE ((\"INBOX\" \".\")) NIL NIL"
        ));
        assert!(matches!(lines.line().await, Ok(l) if l == "mf1 OK done"));
        assert!(
            matches!(lines.line().await, Err(RawError::Lost(_))),
            "closed"
        );
        let mut long: &[u8] = b"* NAMESPACE NIL NIL NIL\r\n";
        let mut short = RawLines {
            stream: &mut long,
            left: 5,
        };
        assert!(matches!(short.line().await, Err(RawError::TooLong)));
    }
}
