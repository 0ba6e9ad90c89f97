//! Bounds the literals a server may announce before async-imap makes room for them: its parser
//! reserves and zero-fills the whole announced size as soon as it reads `{N}`, so a hostile
//! server announcing 500 MB took 500 MB. The guard reads the byte stream on its way in, follows
//! literals, and fails the read when one is announced above the session's current limit.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What a session takes now: the largest literal, and how many literal bytes in all for the
/// command that runs ([`LiteralLimit::DEFAULT`] each, and no total, except while a command that
/// fetches message bodies runs: see `fetch::fetch_bodies`).
#[derive(Clone, Debug)]
pub struct LiteralLimit(Arc<(AtomicU64, AtomicU64)>);

impl LiteralLimit {
    /// Enough for any header field, folder name or answer other than a message body.
    pub const DEFAULT: u64 = 1 << 20;

    pub fn new() -> Self {
        LiteralLimit(Arc::new((
            AtomicU64::new(Self::DEFAULT),
            AtomicU64::new(u64::MAX),
        )))
    }

    /// The largest literal taken now.
    pub fn get(&self) -> u64 {
        self.0.0.load(Ordering::Relaxed)
    }

    /// Literals up to `largest` bytes each and `total` bytes in all (never below the default).
    pub fn set(&self, largest: u64, total: u64) {
        self.0
            .0
            .store(largest.max(Self::DEFAULT), Ordering::Relaxed);
        self.0.1.store(total.max(Self::DEFAULT), Ordering::Relaxed);
    }

    pub fn reset(&self) {
        self.0.0.store(Self::DEFAULT, Ordering::Relaxed);
        self.0.1.store(u64::MAX, Ordering::Relaxed);
    }

    /// Takes an announced literal of `bytes`, or refuses it.
    fn take(&self, bytes: u64) -> Result<(), LiteralTooLarge> {
        let largest = self.get();
        let left = self.0.1.load(Ordering::Relaxed);
        let limit = largest.min(left);
        if bytes > limit {
            return Err(LiteralTooLarge {
                announced: bytes,
                limit,
            });
        }
        if left != u64::MAX {
            self.0.1.store(left - bytes, Ordering::Relaxed);
        }
        Ok(())
    }
}

impl Default for LiteralLimit {
    fn default() -> Self {
        Self::new()
    }
}

/// Puts the limit back to the default when dropped (a cancelled fetch included).
pub struct ResetOnDrop(pub LiteralLimit);

impl Drop for ResetOnDrop {
    fn drop(&mut self) {
        self.0.reset();
    }
}

/// What the guard fails a read with (inside an `io::Error` of kind `InvalidData`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the server announced a literal of {announced} bytes, over the {limit} bytes this answer may take"
)]
pub struct LiteralTooLarge {
    pub announced: u64,
    pub limit: u64,
}

/// Where the scan is in the server's bytes: in text, inside `{digits`, after `}` or `}\r`, or
/// inside a literal with so many bytes left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Text,
    Open(u64),
    Closed(u64),
    ClosedCr(u64),
    Literal(u64),
}

/// The scan of the server's bytes, with what it knows of the line it is in: a status line
/// (`* OK …`, `tag NO …`, `+ …`) holds text only, so a `{N}` at its end is no literal (as
/// the parser sees it); a hostile server must not make the guard skip bytes the parser reads.
#[derive(Debug)]
struct Scan {
    state: State,
    /// The line's first bytes, until its kind is known.
    head: Vec<u8>,
    status_line: Option<bool>,
}

/// The second token of a status line.
const STATUS: [&[u8]; 5] = [b"OK", b"NO", b"BAD", b"BYE", b"PREAUTH"];

impl Scan {
    fn new() -> Self {
        Scan {
            state: State::Text,
            head: Vec::with_capacity(24),
            status_line: None,
        }
    }

    fn new_line(&mut self) {
        self.head.clear();
        self.status_line = None;
    }

    /// Learns the line's kind from its first bytes (decided at the second space, a CR, or 24
    /// bytes).
    fn classify(&mut self, byte: u8) {
        if self.status_line.is_some() {
            return;
        }
        if byte != b'\r' {
            self.head.push(byte);
        }
        let spaces = self.head.iter().filter(|b| **b == b' ').count();
        if byte == b'\r' || spaces >= 2 || self.head.len() >= 24 {
            let mut tokens = self.head.split(|b| *b == b' ');
            let first = tokens.next().unwrap_or_default();
            let second = tokens.next().unwrap_or_default();
            let status = first == b"+" || STATUS.iter().any(|s| second.eq_ignore_ascii_case(s));
            self.status_line = Some(status);
        }
    }

    fn feed(&mut self, mut bytes: &[u8], limit: &LiteralLimit) -> Result<(), LiteralTooLarge> {
        while let Some((&byte, rest)) = bytes.split_first() {
            if let State::Literal(left) = self.state {
                // A literal's content is data, whatever it looks like.
                let skip = left.min(bytes.len() as u64);
                bytes = &bytes[skip as usize..];
                self.state = if skip == left {
                    State::Text
                } else {
                    State::Literal(left - skip)
                };
                continue;
            }
            bytes = rest;
            self.classify(byte);
            self.state = match (self.state, byte) {
                (_, b'{') => State::Open(0),
                (State::Open(n), b'0'..=b'9') => {
                    State::Open(n.saturating_mul(10).saturating_add(u64::from(byte - b'0')))
                }
                (State::Open(n), b'}') => State::Closed(n),
                (State::Closed(n), b'\r') => State::ClosedCr(n),
                (State::ClosedCr(n), b'\n') if self.status_line != Some(true) => {
                    limit.take(n)?;
                    if n == 0 {
                        State::Text
                    } else {
                        State::Literal(n)
                    }
                }
                (_, b'\n') => {
                    self.new_line();
                    State::Text
                }
                _ => State::Text,
            };
        }
        Ok(())
    }
}

/// A stream whose incoming literals are bounded by a [`LiteralLimit`].
#[derive(Debug)]
pub struct LiteralGuard<S> {
    inner: S,
    limit: LiteralLimit,
    scan: Scan,
    /// Once tripped, the stream is mid-literal: every later read fails too.
    tripped: Option<LiteralTooLarge>,
}

impl<S> LiteralGuard<S> {
    pub fn new(inner: S, limit: LiteralLimit) -> Self {
        LiteralGuard {
            inner,
            limit,
            scan: Scan::new(),
            tripped: None,
        }
    }

    pub fn into_inner(self) -> S {
        self.inner
    }
}

fn refused(too_large: LiteralTooLarge) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, too_large)
}

impl<S: AsyncRead + Unpin> AsyncRead for LiteralGuard<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if let Some(too_large) = this.tripped {
            return Poll::Ready(Err(refused(too_large)));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if let Err(too_large) = this.scan.feed(&buf.filled()[before..], &this.limit) {
            this.tripped = Some(too_large);
            buf.set_filled(before);
            return Poll::Ready(Err(refused(too_large)));
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for LiteralGuard<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The guard's refusal inside an error async-imap passed on, if it is one.
pub fn too_large_in(error: &std::io::Error) -> Option<LiteralTooLarge> {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<LiteralTooLarge>())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit_of(largest: u64, total: u64) -> LiteralLimit {
        let limit = LiteralLimit::new();
        limit.0.0.store(largest, Ordering::Relaxed);
        limit.0.1.store(total, Ordering::Relaxed);
        limit
    }

    /// Feeds `chunks` to a new scan; whether it ends in text (not in a literal).
    fn scan(chunks: &[&[u8]], limit: &LiteralLimit) -> Result<bool, LiteralTooLarge> {
        let mut scan = Scan::new();
        for chunk in chunks {
            scan.feed(chunk, limit)?;
        }
        Ok(scan.state == State::Text)
    }

    #[test]
    fn literals_under_the_limit_pass_and_their_content_is_not_read_as_text() {
        // The body holds "{999}\r\n", which is data, not an announcement.
        let wire: &[u8] = b"* 1 FETCH (UID 5 BODY[] {9}\r\n{999}\r\nab)\r\nmf1 OK done\r\n";
        assert_eq!(scan(&[wire], &limit_of(10, u64::MAX)), Ok(true));
        for at in 0..wire.len() {
            let limit = limit_of(10, u64::MAX);
            assert_eq!(
                scan(&[&wire[..at], &wire[at..]], &limit),
                Ok(true),
                "cut at {at}"
            );
        }
    }

    #[test]
    fn an_announcement_over_the_limit_is_refused_before_its_content() {
        let wire: &[u8] = b"* 1 FETCH (UID 5 BODY[] {500000000}\r\n";
        for at in 0..wire.len() {
            assert_eq!(
                scan(&[&wire[..at], &wire[at..]], &LiteralLimit::new()),
                Err(LiteralTooLarge {
                    announced: 500_000_000,
                    limit: 1 << 20
                }),
                "cut at {at}"
            );
        }
        // Digits beyond u64 saturate: refused, not wrapped to something small.
        let endless = b"* 1 FETCH (BODY[] {99999999999999999999999999}\r\n";
        assert!(scan(&[endless], &limit_of(u64::MAX - 1, u64::MAX)).is_err());
        // Literal8 (`~{N}`) is a literal too.
        assert!(
            scan(
                &[b"* 1 FETCH (BINARY[] ~{2000000}\r\n"],
                &LiteralLimit::new()
            )
            .is_err()
        );
    }

    /// A status line ends in text: a `{N}` there is no literal, so the guard does not skip the
    /// next line (which the parser reads), and its oversized announcement is caught.
    #[test]
    fn a_status_line_cannot_blind_the_guard() {
        for line in [
            &b"* OK {64}\r\n"[..],
            b"+ {64}\r\n",
            b"mf3 NO {64}\r\n",
            b"* BYE {64}\r\n",
        ] {
            let mut wire = line.to_vec();
            wire.extend(b"* 1 FETCH (BODY[] {2000000}\r\n");
            for at in 0..wire.len() {
                let got = scan(&[&wire[..at], &wire[at..]], &LiteralLimit::new());
                assert_eq!(
                    got.map_err(|e| e.announced),
                    Err(2_000_000),
                    "{line:?} cut at {at}"
                );
            }
        }
        // A data line's literal still counts as one.
        let list: &[u8] = b"* LIST () \"/\" {4}\r\nabcd\r\n";
        assert_eq!(scan(&[list], &LiteralLimit::new()), Ok(true));
    }

    /// The bodies of one command share a total: each may be up to the largest, not all of them.
    #[test]
    fn the_bodies_of_a_command_share_a_total() {
        let limit = limit_of(10, 15);
        let wire: &[u8] = b"* 1 FETCH (BODY[] {10}\r\n0123456789)\r\n* 2 FETCH (BODY[] {10}\r\n";
        assert_eq!(
            scan(&[wire], &limit),
            Err(LiteralTooLarge {
                announced: 10,
                limit: 5
            })
        );
    }

    #[tokio::test]
    async fn the_guard_fails_the_read_and_stays_failed() {
        use tokio::io::AsyncReadExt;
        let wire: &[u8] = b"* OK hi\r\n* 1 FETCH (BODY[] {2000000}\r\nxyz";
        let limit = LiteralLimit::new();
        let mut guard = LiteralGuard::new(wire, limit.clone());
        let mut got = Vec::new();
        let error = guard.read_to_end(&mut got).await.unwrap_err();
        let too_large = too_large_in(&error).expect("the guard's refusal");
        assert_eq!(too_large.announced, 2_000_000);
        assert!(
            !got.ends_with(b"xyz"),
            "no byte of the literal is passed on"
        );
        assert!(
            guard.read(&mut [0u8; 16]).await.is_err(),
            "and it stays refused"
        );
        // A limit raised for a body fetch lets the same answer through, until reset.
        limit.set(4 << 20, 4 << 20);
        let reset = ResetOnDrop(limit.clone());
        let mut guard = LiteralGuard::new(wire, limit.clone());
        assert!(guard.read_to_end(&mut Vec::new()).await.is_ok());
        drop(reset);
        assert_eq!(limit.get(), LiteralLimit::DEFAULT);
    }
}
