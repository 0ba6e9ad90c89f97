//! Bounds the literals a server may announce before async-imap makes room for them: its parser
//! reserves and zero-fills the whole announced size as soon as it reads `{N}`, so a hostile
//! server announcing 500 MB took 500 MB. The guard reads the byte stream on its way in, follows
//! literals, and fails the read when one is announced above the session's current limit.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The largest literal a session takes now: [`LiteralLimit::DEFAULT`] except while a command
/// that fetches message bodies runs (see `fetch::fetch_bodies`).
#[derive(Clone, Debug)]
pub struct LiteralLimit(Arc<AtomicU64>);

impl LiteralLimit {
    /// Enough for any header field, folder name or answer other than a message body.
    pub const DEFAULT: u64 = 1 << 20;

    pub fn new() -> Self {
        LiteralLimit(Arc::new(AtomicU64::new(Self::DEFAULT)))
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    pub fn set(&self, bytes: u64) {
        self.0.store(bytes.max(Self::DEFAULT), Ordering::Relaxed);
    }

    pub fn reset(&self) {
        self.0.store(Self::DEFAULT, Ordering::Relaxed);
    }
}

impl Default for LiteralLimit {
    fn default() -> Self {
        Self::new()
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
enum Scan {
    Text,
    Open(u64),
    Closed(u64),
    ClosedCr(u64),
    Literal(u64),
}

impl Scan {
    fn feed(&mut self, mut bytes: &[u8], limit: u64) -> Result<(), LiteralTooLarge> {
        while let Some((&byte, rest)) = bytes.split_first() {
            if let Scan::Literal(left) = *self {
                // A literal's content is data, whatever it looks like.
                let skip = left.min(bytes.len() as u64);
                bytes = &bytes[skip as usize..];
                *self = if skip == left {
                    Scan::Text
                } else {
                    Scan::Literal(left - skip)
                };
                continue;
            }
            bytes = rest;
            *self = match (*self, byte) {
                (_, b'{') => Scan::Open(0),
                (Scan::Open(n), b'0'..=b'9') => {
                    Scan::Open(n.saturating_mul(10).saturating_add(u64::from(byte - b'0')))
                }
                (Scan::Open(n), b'}') => Scan::Closed(n),
                (Scan::Closed(n), b'\r') => Scan::ClosedCr(n),
                (Scan::ClosedCr(n), b'\n') if n > limit => {
                    return Err(LiteralTooLarge {
                        announced: n,
                        limit,
                    });
                }
                (Scan::ClosedCr(0), b'\n') => Scan::Text,
                (Scan::ClosedCr(n), b'\n') => Scan::Literal(n),
                _ => Scan::Text,
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
            scan: Scan::Text,
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
        if let Err(too_large) = this.scan.feed(&buf.filled()[before..], this.limit.get()) {
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

    fn scan(chunks: &[&[u8]], limit: u64) -> Result<Scan, LiteralTooLarge> {
        let mut scan = Scan::Text;
        for chunk in chunks {
            scan.feed(chunk, limit)?;
        }
        Ok(scan)
    }

    #[test]
    fn literals_under_the_limit_pass_and_their_content_is_not_read_as_text() {
        // The body holds "{999}\r\n", which is data, not an announcement.
        let wire: &[u8] = b"* 1 FETCH (UID 5 BODY[] {9}\r\n{999}\r\nab)\r\nmf1 OK done\r\n";
        assert_eq!(scan(&[wire], 10), Ok(Scan::Text));
        // The same, cut anywhere.
        for at in 0..wire.len() {
            assert_eq!(
                scan(&[&wire[..at], &wire[at..]], 10),
                Ok(Scan::Text),
                "cut at {at}"
            );
        }
    }

    #[test]
    fn an_announcement_over_the_limit_is_refused_before_its_content() {
        let wire: &[u8] = b"* 1 FETCH (UID 5 BODY[] {500000000}\r\n";
        for at in 0..wire.len() {
            assert_eq!(
                scan(&[&wire[..at], &wire[at..]], 1 << 20),
                Err(LiteralTooLarge {
                    announced: 500_000_000,
                    limit: 1 << 20
                }),
                "cut at {at}"
            );
        }
        // Digits beyond u64 saturate: refused, not wrapped to something small.
        let endless = b"* 1 FETCH (BODY[] {99999999999999999999999999}\r\n";
        assert!(scan(&[endless], u64::MAX - 1).is_err());
        // Literal8 (`~{N}`) is a literal too.
        assert!(scan(&[b"* 1 FETCH (BINARY[] ~{2000000}\r\n"], 1 << 20).is_err());
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
        // A limit raised for a body fetch lets the same answer through; never below the default.
        limit.set(4 << 20);
        let mut guard = LiteralGuard::new(wire, limit.clone());
        assert!(guard.read_to_end(&mut Vec::new()).await.is_ok());
        limit.set(0);
        assert_eq!(limit.get(), LiteralLimit::DEFAULT);
    }
}
