//! Connecting (plain or implicit TLS), reading the greeting, and signing in.

use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use async_imap::imap_proto::{Response, Status};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::error::{CommandError, raw_text, within};
use super::session::TestSession;
use super::stream::TestStream;
use crate::dovecot::{MASTER_PASSWORD, MASTER_USER};
use crate::tls::client_config_trusting;

/// A connected, greeted, not yet authenticated IMAP client.
#[derive(Debug)]
pub struct TestClient {
    client: async_imap::Client<TestStream>,
    greeting: String,
}

impl TestClient {
    /// Connects to 127.0.0.1:`port` without TLS and reads the greeting.
    pub async fn connect_plain(port: u16) -> Result<TestClient, CommandError> {
        within("connect", async {
            let tcp = tcp(port).await?;
            greet(TestStream::Plain(tcp)).await
        })
        .await
    }

    /// Connects with implicit TLS to 127.0.0.1:`port`, trusting only the CA in `ca_pem_path`.
    pub async fn connect_tls(port: u16, ca_pem_path: &Path) -> Result<TestClient, CommandError> {
        let config = client_config_trusting(ca_pem_path)?;
        TestClient::connect_tls_with(port, config).await
    }

    /// Connects with implicit TLS using `config` (e.g. one that trusts nothing).
    pub async fn connect_tls_with(
        port: u16,
        config: Arc<ClientConfig>,
    ) -> Result<TestClient, CommandError> {
        within("connect", async {
            let tcp = tcp(port).await?;
            let tls = TlsConnector::from(config)
                .connect(
                    ServerName::try_from("localhost").context("server name")?,
                    tcp,
                )
                .await
                .context("TLS handshake")?;
            greet(TestStream::Tls(Box::new(tls))).await
        })
        .await
    }

    /// The server's greeting line, e.g. `* OK [CAPABILITY …] Dovecot (Debian) ready.`.
    pub fn greeting(&self) -> &str {
        &self.greeting
    }

    /// `LOGIN user password`.
    pub async fn login(self, user: &str, password: &str) -> Result<TestSession, CommandError> {
        within("LOGIN", async {
            self.client
                .login(user, password)
                .await
                .map(TestSession::new)
                .map_err(|(error, _client)| error.into())
        })
        .await
    }

    /// `LOGIN user*admin adminpw`: Dovecot's master-user login as `user`.
    pub async fn login_master(self, user: &str) -> Result<TestSession, CommandError> {
        self.login(&format!("{user}*{MASTER_USER}"), MASTER_PASSWORD)
            .await
    }

    /// `AUTHENTICATE PLAIN` with `authzid` (who to act as), `authcid` and its password.
    pub async fn authenticate_plain(
        self,
        authzid: &str,
        authcid: &str,
        password: &str,
    ) -> Result<TestSession, CommandError> {
        let plain = Plain(format!("{authzid}\0{authcid}\0{password}"));
        within("AUTHENTICATE PLAIN", async {
            self.client
                .authenticate("PLAIN", plain)
                .await
                .map(TestSession::new)
                .map_err(|(error, _client)| error.into())
        })
        .await
    }
}

impl TestSession {
    /// Connects without TLS to 127.0.0.1:`port` and signs in as `user` through the master user.
    pub async fn master(port: u16, user: &str) -> Result<TestSession, CommandError> {
        TestClient::connect_plain(port)
            .await?
            .login_master(user)
            .await
    }
}

/// SASL PLAIN's single answer (async-imap base64-encodes it).
struct Plain(String);

impl async_imap::Authenticator for Plain {
    type Response = String;

    fn process(&mut self, _challenge: &[u8]) -> String {
        self.0.clone()
    }
}

async fn tcp(port: u16) -> Result<TcpStream, CommandError> {
    let tcp = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .await
        .with_context(|| format!("connecting to 127.0.0.1:{port}"))?;
    tcp.set_nodelay(true)?;
    Ok(tcp)
}

/// Reads the greeting first: without it `authenticate()` hangs.
async fn greet(stream: TestStream) -> Result<TestClient, CommandError> {
    let mut client = async_imap::Client::new(stream);
    let response = client
        .read_response()
        .await?
        .ok_or_else(|| anyhow!("connection closed before the greeting"))?;
    let greeting = raw_text(response.borrow_owner());
    match response.parsed() {
        Response::Data {
            status: Status::Ok, ..
        } => Ok(TestClient { client, greeting }),
        _ => Err(CommandError::Failed(anyhow!(
            "unexpected greeting: {greeting}"
        ))),
    }
}
