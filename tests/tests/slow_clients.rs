//! A slow-loris client against the real server binary: 300 requests whose head never ends are
//! closed after the header-read timeout, and `/healthz` answers while they are held.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use mailferry_tests::mailferry_server::MailferryServer;

#[test]
fn half_sent_requests_are_closed_and_the_server_keeps_answering() {
    let server = MailferryServer::start(&[("MAILFERRY_HEADER_READ_TIMEOUT_SECS", "2")]).unwrap();
    let port: u16 = server
        .url()
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("a port in the URL");
    let started = Instant::now();
    let mut held: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Never-Ends: ")
                .unwrap();
            stream
        })
        .collect();
    let healthz = server.http("GET /healthz HTTP/1.1", b"").unwrap();
    assert!(
        healthz.starts_with("HTTP/1.1 200") && healthz.ends_with("ok"),
        "{healthz}"
    );

    let mut closed = 0;
    for stream in &mut held {
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut rest = Vec::new();
        // End of stream (after a 408, or none) or a reset: the server let go.
        match stream.read_to_end(&mut rest) {
            Ok(_) => closed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => closed += 1,
            Err(e) => panic!("still held after {:?}: {e}", started.elapsed()),
        }
    }
    assert_eq!(closed, 300);
    println!(
        "300 half-sent requests closed within {:?}",
        started.elapsed()
    );
    let again = server.http("GET /healthz HTTP/1.1", b"").unwrap();
    assert!(again.starts_with("HTTP/1.1 200"), "{again}");
}
