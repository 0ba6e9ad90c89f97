//! Free loopback ports chosen at run time, so tests can run in parallel.

use std::net::{Ipv4Addr, TcpListener};

/// Returns a TCP port on 127.0.0.1 that was free a moment ago.
///
/// The port is found by binding port 0 and releasing it again; another process may take it
/// before the caller binds it, so servers started on it should retry on "address in use".
///
/// # Panics
/// Panics when the loopback interface cannot bind at all (the test bed cannot work then).
pub fn free_port() -> u16 {
    let [port] = free_ports::<1>();
    port
}

/// `N` distinct ports on 127.0.0.1 that were free a moment ago: all are held while they are
/// chosen (two `free_port` calls in a row may return the same port, and a server told to listen
/// twice on it refuses to start).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<TcpListener> = (0..N)
        .map(|_| {
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .expect("binding 127.0.0.1:0 must work for the test bed")
        })
        .collect();
    std::array::from_fn(|i| {
        held[i]
            .local_addr()
            .expect("a bound listener has a local address")
            .port()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_distinct() {
        for _ in 0..50 {
            let [a, b, c] = free_ports::<3>();
            assert!(a != b && b != c && a != c, "{a} {b} {c}");
        }
    }

    #[test]
    fn free_port_can_be_bound() {
        let port = free_port();
        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).expect("port is free");
    }
}
