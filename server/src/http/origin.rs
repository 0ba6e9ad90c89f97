//! The CSRF and DNS-rebinding guard: a browser request must come from an origin this server is
//! known by — `public_url`, `allowed_hosts`, or the listen address (with `localhost` when it is
//! a loopback one). The request's own Host header is not trusted: a page of a rebinding attacker
//! names its own host there. A request without `Origin` is judged by `Sec-Fetch-Site`; one
//! without either is no browser's (no ambient credentials to abuse) and passes.

use std::net::SocketAddr;

use http::HeaderMap;

use crate::config::Config;

#[derive(Clone, Debug)]
pub struct AllowedOrigins {
    /// `host[:port]`, lower case, the port left out where it is the scheme's default.
    hosts: Vec<String>,
    /// Listening on every interface without `public_url`: the names are unknown, so the Host
    /// header is compared, as before.
    trust_host_header: bool,
}

/// `scheme://host[:port][/…]` → `host[:port]` without a default port, lower case.
fn host_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?.to_ascii_lowercase();
    let default = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => "",
    };
    let host = authority.strip_suffix(default).unwrap_or(&authority);
    (!host.is_empty()).then(|| host.to_string())
}

impl AllowedOrigins {
    pub fn of(config: &Config, listen: SocketAddr) -> AllowedOrigins {
        let mut hosts: Vec<String> = config
            .allowed_hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        hosts.extend(host_of(&config.public_url));
        let port = listen.port();
        let ip = listen.ip();
        if ip.is_loopback() {
            hosts.extend([
                format!("127.0.0.1:{port}"),
                format!("localhost:{port}"),
                format!("[::1]:{port}"),
            ]);
        } else if !ip.is_unspecified() {
            hosts.push(SocketAddr::new(ip, port).to_string());
        }
        let trust_host_header = ip.is_unspecified() && config.public_url.is_empty();
        if trust_host_header {
            tracing::warn!(
                "listening on every interface without public_url: set public_url (or \
                 allowed_hosts) so that requests are checked against your server's name"
            );
        }
        AllowedOrigins {
            hosts,
            trust_host_header,
        }
    }

    /// Whether a request with these headers may act with the admin's session.
    pub fn permits(&self, headers: &HeaderMap) -> bool {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &http::HeaderValue| v.to_str().ok())
        };
        let Some(origin) = text("origin") else {
            return text("sec-fetch-site")
                .is_none_or(|site| matches!(site, "same-origin" | "none"));
        };
        let Some(origin_host) = host_of(origin) else {
            return false;
        };
        self.hosts.contains(&origin_host)
            || (self.trust_host_header
                && text("host").is_some_and(|h| h.eq_ignore_ascii_case(&origin_host)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, value.parse().unwrap());
        }
        h
    }

    fn allowed(public_url: &str, listen: &str) -> AllowedOrigins {
        let config = Config {
            public_url: public_url.into(),
            ..Config::default()
        };
        AllowedOrigins::of(&config, listen.parse().unwrap())
    }

    #[test]
    fn only_known_origins_pass() {
        let local = allowed("", "127.0.0.1:3000");
        let own = [
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ];
        assert!(local.permits(&headers(&own)));
        assert!(local.permits(&headers(&[("origin", "http://localhost:3000")])));
        // A rebinding page: its host in Host and Origin alike.
        let rebound = [
            ("host", "evil.example:3000"),
            ("origin", "http://evil.example:3000"),
        ];
        assert!(!local.permits(&headers(&rebound)));
        assert!(!local.permits(&headers(&[("origin", "null")])));
        // No Origin: Sec-Fetch-Site decides; neither header: not a browser.
        assert!(local.permits(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!local.permits(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(local.permits(&headers(&[])));
        let public = allowed("https://mail.example.com/", "0.0.0.0:3000");
        assert!(public.permits(&headers(&[("origin", "https://mail.example.com")])));
        assert!(!public.permits(&headers(&[("origin", "https://mail.example.com.evil")])));
        let anywhere = allowed("", "0.0.0.0:3000");
        assert!(anywhere.permits(&headers(&[
            ("host", "mail.local:3000"),
            ("origin", "http://mail.local:3000")
        ])));
    }
}
