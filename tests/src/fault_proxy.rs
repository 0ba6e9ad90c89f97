//! A TCP proxy on loopback that injects network faults between a client and a real server.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

const CHUNK: usize = 16 * 1024;
/// Client→server bytes kept for [`FaultProxy::sent`] (commands, not message bodies, in tests).
const SENT_KEPT: usize = 4 * 1024 * 1024;

/// What clients sent through the proxy, for tests that check which commands a pass used.
type Sent = Arc<Mutex<Vec<u8>>>;

/// The fault applied to traffic; can be changed at any time with [`FaultProxy::set_fault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    /// Forward everything.
    #[default]
    None,
    /// Once: the first connection that has received N server→client bytes is closed on both
    /// sides after exactly N bytes; the fault then resets to `None` (so a retry gets through).
    CutAfterBytes(u64),
    /// Every connection is closed on both sides after N server→client bytes, until changed.
    CutEveryBytes(u64),
    /// Each chunk (either direction) is held back this long before it is forwarded.
    Delay(Duration),
    /// Stop forwarding in both directions but keep the connections open (until changed).
    Stall,
    /// New connections are accepted and closed at once.
    Refuse,
}

/// A fault-injecting proxy to `target`; stops (with all its connections) when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    port: u16,
    fault: Arc<watch::Sender<Fault>>,
    connections: Arc<AtomicUsize>,
    /// Connections open now, and the most that were open at once.
    open: Arc<(AtomicUsize, AtomicUsize)>,
    sent: Sent,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on 127.0.0.1 (free port) and forwards to `target` (needs a Tokio runtime).
    pub async fn start(target: SocketAddr) -> anyhow::Result<FaultProxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let fault = Arc::new(watch::channel(Fault::None).0);
        let connections = Arc::new(AtomicUsize::new(0));
        let open = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        let sent = Sent::default();
        let task = tokio::spawn(accept_loop(
            listener,
            target,
            Arc::clone(&fault),
            (Arc::clone(&connections), Arc::clone(&open)),
            Arc::clone(&sent),
        ));
        Ok(FaultProxy {
            port,
            fault,
            connections,
            open,
            sent,
            task,
        })
    }

    /// The port on 127.0.0.1 to connect to instead of the target.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Changes the fault; open connections follow the new one from their next chunk on.
    pub fn set_fault(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }

    /// A handle that changes the fault from another task (e.g. to end a stall later).
    pub fn fault_handle(&self) -> Arc<watch::Sender<Fault>> {
        Arc::clone(&self.fault)
    }

    /// The fault now in force (a one-shot cut resets to `None` once it fired).
    pub fn fault(&self) -> Fault {
        *self.fault.borrow()
    }

    /// How many client connections were accepted so far (refused ones included).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The most client connections that were open at the same time.
    pub fn peak_open(&self) -> usize {
        self.open.1.load(Ordering::SeqCst)
    }

    /// What clients sent since the last call (the first 4 MiB), as text.
    pub fn take_sent(&self) -> String {
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&std::mem::take(&mut *sent)).into_owned()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every forwarding task.
        self.task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    target: SocketAddr,
    fault: Arc<watch::Sender<Fault>>,
    (connections, open): (Arc<AtomicUsize>, Arc<(AtomicUsize, AtomicUsize)>),
    sent: Sent,
) {
    let mut forwarders = JoinSet::new();
    while let Ok((client, _)) = listener.accept().await {
        connections.fetch_add(1, Ordering::SeqCst);
        if *fault.borrow() == Fault::Refuse {
            drop(client);
            continue;
        }
        let (fault, sent, open) = (Arc::clone(&fault), Arc::clone(&sent), Arc::clone(&open));
        forwarders.spawn(async move {
            let now = open.0.fetch_add(1, Ordering::SeqCst) + 1;
            open.1.fetch_max(now, Ordering::SeqCst);
            if let Ok(server) = TcpStream::connect(target).await {
                let _ = forward(client, server, &fault, &sent).await;
            }
            open.0.fetch_sub(1, Ordering::SeqCst);
        });
        while forwarders.try_join_next().is_some() {}
    }
}

/// Pumps both directions until one side closes or a cut fires; dropping the streams closes both.
async fn forward(
    client: TcpStream,
    server: TcpStream,
    fault: &watch::Sender<Fault>,
    sent: &Sent,
) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let mut changes = fault.subscribe();
    let mut to_client: u64 = 0;
    let mut up = vec![0u8; CHUNK];
    let mut down = vec![0u8; CHUNK];
    loop {
        while *changes.borrow_and_update() == Fault::Stall {
            if changes.changed().await.is_err() {
                return Ok(());
            }
        }
        tokio::select! {
            read = client_read.read(&mut up) => {
                let n = read?;
                if n == 0 {
                    return Ok(());
                }
                delay(fault).await;
                {
                    let mut kept = sent.lock().unwrap_or_else(|p| p.into_inner());
                    let room = SENT_KEPT.saturating_sub(kept.len()).min(n);
                    kept.extend_from_slice(&up[..room]);
                }
                server_write.write_all(&up[..n]).await?;
            }
            read = server_read.read(&mut down) => {
                let n = read?;
                if n == 0 {
                    return Ok(());
                }
                delay(fault).await;
                let (allowed, cut) = cut_point(fault, to_client, n as u64);
                let allowed = usize::try_from(allowed).unwrap_or(n).min(n);
                client_write.write_all(&down[..allowed]).await?;
                to_client += allowed as u64;
                if cut {
                    client_write.flush().await?;
                    return Ok(());
                }
            }
            _ = changes.changed() => {}
        }
    }
}

async fn delay(fault: &watch::Sender<Fault>) {
    let current = *fault.borrow();
    if let Fault::Delay(duration) = current {
        tokio::time::sleep(duration).await;
    }
}

/// How many of `n` new server→client bytes may pass, and whether to cut the connection after.
fn cut_point(fault: &watch::Sender<Fault>, so_far: u64, n: u64) -> (u64, bool) {
    let mut result = (n, false);
    fault.send_if_modified(|current| match *current {
        Fault::CutEveryBytes(limit) if so_far + n >= limit => {
            result = (limit.saturating_sub(so_far), true);
            false
        }
        Fault::CutAfterBytes(limit) if so_far + n >= limit => {
            result = (limit.saturating_sub(so_far), true);
            *current = Fault::None;
            true
        }
        _ => false,
    });
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server: writes back whatever it reads.
    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut read, mut write) = stream.split();
                    let _ = tokio::io::copy(&mut read, &mut write).await;
                });
            }
        });
        addr
    }

    async fn connect(proxy: &FaultProxy) -> TcpStream {
        TcpStream::connect((Ipv4Addr::LOCALHOST, proxy.port()))
            .await
            .expect("connect")
    }

    /// Sends `data`, then reads until EOF or `wait` passes; returns what came back.
    async fn round_trip(stream: &mut TcpStream, data: &[u8], wait: Duration) -> Vec<u8> {
        stream.write_all(data).await.expect("write");
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + wait;
        while got.len() < data.len() {
            match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
                Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            }
        }
        got
    }

    async fn is_closed(stream: &mut TcpStream) -> bool {
        let mut buf = [0u8; 16];
        matches!(
            tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }

    #[tokio::test]
    async fn forwards_without_a_fault() {
        let proxy = FaultProxy::start(echo_server().await).await.expect("start");
        let mut stream = connect(&proxy).await;
        let data = vec![7u8; 100_000];
        assert_eq!(
            round_trip(&mut stream, &data, Duration::from_secs(5)).await,
            data
        );
        assert_eq!(proxy.connections(), 1);
    }

    #[tokio::test]
    async fn cut_after_bytes_fires_once_at_the_exact_byte() {
        let proxy = FaultProxy::start(echo_server().await).await.expect("start");
        proxy.set_fault(Fault::CutAfterBytes(10));
        let mut first = connect(&proxy).await;
        let got = round_trip(&mut first, b"0123456789abcdef", Duration::from_secs(5)).await;
        assert_eq!(got, b"0123456789");
        assert!(is_closed(&mut first).await);
        assert_eq!(proxy.fault(), Fault::None);

        let mut second = connect(&proxy).await;
        let got = round_trip(&mut second, b"0123456789abcdef", Duration::from_secs(5)).await;
        assert_eq!(got, b"0123456789abcdef");
        assert_eq!(proxy.connections(), 2);
    }

    #[tokio::test]
    async fn cut_every_bytes_cuts_each_connection() {
        let proxy = FaultProxy::start(echo_server().await).await.expect("start");
        proxy.set_fault(Fault::CutEveryBytes(4));
        for _ in 0..3 {
            let mut stream = connect(&proxy).await;
            let got = round_trip(&mut stream, b"abcdefgh", Duration::from_secs(5)).await;
            assert_eq!(got, b"abcd");
            assert!(is_closed(&mut stream).await);
        }
        assert_eq!(proxy.fault(), Fault::CutEveryBytes(4));
    }

    #[tokio::test]
    async fn delay_holds_each_chunk_back() {
        let proxy = FaultProxy::start(echo_server().await).await.expect("start");
        proxy.set_fault(Fault::Delay(Duration::from_millis(150)));
        let mut stream = connect(&proxy).await;
        let started = std::time::Instant::now();
        let got = round_trip(&mut stream, b"ping", Duration::from_secs(5)).await;
        assert_eq!(got, b"ping");
        // Once on the way in, once on the way out.
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn stall_keeps_the_connection_open_but_silent_until_lifted() {
        let proxy = FaultProxy::start(echo_server().await).await.expect("start");
        let mut stream = connect(&proxy).await;
        assert_eq!(
            round_trip(&mut stream, b"one", Duration::from_secs(5)).await,
            b"one"
        );
        proxy.set_fault(Fault::Stall);
        let got = round_trip(&mut stream, b"two", Duration::from_millis(300)).await;
        assert!(got.is_empty(), "stalled proxy forwarded {got:?}");
        proxy.set_fault(Fault::None);
        let mut buf = [0u8; 3];
        tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut buf))
            .await
            .expect("resumes")
            .expect("read");
        assert_eq!(&buf, b"two");
    }

    #[tokio::test]
    async fn refuse_accepts_and_closes() {
        let proxy = FaultProxy::start(echo_server().await).await.expect("start");
        proxy.set_fault(Fault::Refuse);
        let mut stream = connect(&proxy).await;
        assert!(is_closed(&mut stream).await);
        assert_eq!(proxy.connections(), 1);
    }

    #[tokio::test]
    async fn dropping_the_proxy_closes_its_connections() {
        let proxy = FaultProxy::start(echo_server().await).await.expect("start");
        let mut stream = connect(&proxy).await;
        assert_eq!(
            round_trip(&mut stream, b"x", Duration::from_secs(5)).await,
            b"x"
        );
        drop(proxy);
        assert!(is_closed(&mut stream).await);
    }
}
