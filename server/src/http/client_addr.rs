//! Who is asking: the peer's address, or behind a trusted proxy the address it forwarded
//! (`X-Forwarded-For`, read from the right past the trusted proxies). A client that is not a
//! trusted proxy cannot choose its address by sending the header.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use app::backend::ClientAddr;

use super::state::AppState;

/// Puts the request's [`ClientAddr`] into its extensions.
pub(crate) async fn tag(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let client = resolve(peer, request.headers(), &state.config.trusted_proxies);
    request.extensions_mut().insert(ClientAddr(client));
    next.run(request).await
}

/// The client behind `peer`: the peer itself unless it is a trusted proxy; then the rightmost
/// forwarded address that is not one (an unreadable entry ends the walk at the last good one).
fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => client = ip,
            Ok(ip) => return Some(ip),
            Err(_) => break,
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        let sent = forwarded("198.51.100.9, 203.0.113.5, 10.0.0.2");
        // A stranger's header is ignored.
        assert_eq!(
            resolve(Some(ip("192.0.2.7")), &sent, &trusted),
            Some(ip("192.0.2.7"))
        );
        // Through two proxies: the rightmost address they did not add.
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &sent, &trusted),
            Some(ip("203.0.113.5"))
        );
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &forwarded("junk"), &trusted),
            Some(ip("10.0.0.1"))
        );
        assert_eq!(resolve(None, &sent, &trusted), None);
    }
}
