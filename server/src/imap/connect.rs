//! Opening a session: TCP, TLS or STARTTLS, the greeting, then signing in as the user, or as an
//! admin on the user's behalf (SASL PLAIN authzid, or Dovecot's `user*admin`).

use std::time::Duration;

use base64::Engine;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use app::model::endpoint::Security;

use super::error::{ConnectFailure, ImapError};
use super::reply::Reply;
use super::response_code::ResponseCode;
use super::session::{ImapSession, quote};
use super::stream::ImapStream;
use super::tls::{TlsOptions, client_config};

/// Where a server is and how to reach it.
#[derive(Clone, Debug)]
pub struct ServerAddress {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub tls: TlsOptions,
    /// Deadline for connecting and for every single read or write afterwards.
    pub timeout: Duration,
}

impl ServerAddress {
    pub fn display(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// How to sign in.
#[derive(Clone)]
pub enum Credentials {
    /// `LOGIN user password`.
    Login { user: String, password: String },
    /// `AUTHENTICATE PLAIN`; with `authzid` an admin (`authcid`) acts for that user.
    Plain {
        authzid: Option<String>,
        authcid: String,
        password: String,
    },
    /// `AUTHENTICATE XOAUTH2` with a bearer token.
    XOAuth2 { user: String, token: String },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Login { user, .. } => write!(f, "Login({user}, ***)"),
            Credentials::Plain {
                authzid, authcid, ..
            } => write!(f, "Plain({authzid:?}, {authcid}, ***)"),
            Credentials::XOAuth2 { user, .. } => write!(f, "XOAuth2({user}, ***)"),
        }
    }
}

impl Credentials {
    /// The user an admin signs in for (SASL PLAIN's authorization identity, or Dovecot's
    /// `user*admin`): the session must then be proven to be that user's.
    pub fn acts_for(&self) -> Option<&str> {
        match self {
            Credentials::Plain {
                authzid: Some(user),
                authcid,
                ..
            } if user != authcid => Some(user),
            Credentials::Login { user, .. } => user.split_once('*').map(|(u, _)| u),
            _ => None,
        }
    }

    /// The user whose mailbox this session opens.
    pub fn mailbox_user(&self) -> &str {
        match self {
            Credentials::Login { user, .. } => user.split('*').next().unwrap_or(user),
            Credentials::Plain {
                authzid: Some(user),
                ..
            } => user,
            Credentials::Plain { authcid, .. } => authcid,
            Credentials::XOAuth2 { user, .. } => user,
        }
    }
}

fn connect_error(
    address: &ServerAddress,
    failure: ConnectFailure,
    detail: impl ToString,
) -> ImapError {
    ImapError::Connect {
        server: address.display(),
        failure,
        detail: detail.to_string(),
    }
}

async fn tcp(address: &ServerAddress) -> Result<TcpStream, ImapError> {
    let target = format!("{}:{}", address.host, address.port);
    let addrs: Vec<_> =
        match tokio::time::timeout(address.timeout, tokio::net::lookup_host(&target)).await {
            Ok(Ok(addrs)) => addrs.collect(),
            Ok(Err(e)) => return Err(connect_error(address, ConnectFailure::Dns, e)),
            Err(_) => {
                return Err(connect_error(
                    address,
                    ConnectFailure::Dns,
                    "name lookup timed out",
                ));
            }
        };
    let mut last = connect_error(address, ConnectFailure::Dns, "no address found");
    for addr in addrs {
        match tokio::time::timeout(address.timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                last = connect_error(address, ConnectFailure::Refused, format!("{addr}: {e}"))
            }
            Ok(Err(e)) => {
                last = connect_error(address, ConnectFailure::Refused, format!("{addr}: {e}"))
            }
            Err(_) => {
                last = connect_error(
                    address,
                    ConnectFailure::Timeout,
                    format!("{addr}: no answer"),
                )
            }
        }
    }
    Err(last)
}

async fn tls_wrap(address: &ServerAddress, tcp: TcpStream) -> Result<ImapStream, ImapError> {
    let config = client_config(&address.tls)?;
    let name = ServerName::try_from(address.host.clone()).map_err(|e| {
        connect_error(
            address,
            ConnectFailure::Tls,
            format!("invalid server name: {e}"),
        )
    })?;
    match tokio::time::timeout(
        address.timeout,
        TlsConnector::from(config).connect(name, tcp),
    )
    .await
    {
        Ok(Ok(stream)) => Ok(ImapStream::Tls(Box::new(stream))),
        Ok(Err(e)) => Err(connect_error(address, ConnectFailure::Tls, e)),
        Err(_) => Err(connect_error(
            address,
            ConnectFailure::Timeout,
            "TLS handshake timed out",
        )),
    }
}

/// Connects and reads the greeting; STARTTLS when asked. Not signed in yet.
pub async fn connect(address: &ServerAddress, label: &str) -> Result<ImapSession, ImapError> {
    let tcp = tcp(address).await?;
    let stream = match address.security {
        Security::Tls => tls_wrap(address, tcp).await?,
        Security::Starttls | Security::None => ImapStream::Plain(tcp),
    };
    let label = format!("{label} {}", address.display());
    let mut session = ImapSession::new(stream, address.timeout, label.clone());
    // The greeting must be read before anything else is sent.
    match session.read("greeting").await {
        Ok(Reply::Untagged { text, .. }) => session.set_greeting(text),
        Ok(other) => {
            return Err(connect_error(
                address,
                ConnectFailure::Greeting,
                format!("{other:?}"),
            ));
        }
        Err(ImapError::Bye { text, .. }) => {
            return Err(connect_error(address, ConnectFailure::Greeting, text));
        }
        Err(e) => return Err(connect_error(address, ConnectFailure::Greeting, e)),
    }
    if address.security == Security::Starttls {
        session
            .simple("STARTTLS")
            .await
            .map_err(|e| connect_error(address, ConnectFailure::Tls, e))?;
        let greeting = session.greeting().to_string();
        let plain = match session.into_stream() {
            ImapStream::Plain(tcp) => tcp,
            ImapStream::Tls(_) => unreachable!("STARTTLS is only sent on a plain stream"),
        };
        let stream = tls_wrap(address, plain).await?;
        session = ImapSession::new(stream, address.timeout, label);
        session.set_greeting(greeting);
    }
    Ok(session)
}

/// Signs in; afterwards the capabilities are fresh.
pub async fn sign_in(
    session: &mut ImapSession,
    credentials: &Credentials,
) -> Result<(), ImapError> {
    match credentials {
        Credentials::Login { user, password } => {
            let (Some(u), Some(p)) = (quote(user), quote(password)) else {
                return Err(ImapError::No {
                    command: "LOGIN".into(),
                    code: Some(ResponseCode::AuthenticationFailed),
                    text: "user name or password holds a line break".into(),
                });
            };
            session.simple(&format!("LOGIN {u} {p}")).await?;
        }
        Credentials::Plain {
            authzid,
            authcid,
            password,
        } => {
            let raw = format!(
                "{}\0{authcid}\0{password}",
                authzid.as_deref().unwrap_or("")
            );
            sasl(session, "PLAIN", raw.as_bytes()).await?;
        }
        Credentials::XOAuth2 { user, token } => {
            let raw = format!("user={user}\x01auth=Bearer {token}\x01\x01");
            sasl(session, "XOAUTH2", raw.as_bytes()).await?;
        }
    }
    session.refresh_capabilities().await
}

/// `AUTHENTICATE` with the initial response sent after the server's `+` (works without SASL-IR);
/// a server error challenge (XOAUTH2) is answered with an empty line.
async fn sasl(session: &mut ImapSession, mechanism: &str, initial: &[u8]) -> Result<(), ImapError> {
    let tag = session.next_tag();
    session
        .write(
            format!("{tag} AUTHENTICATE {mechanism}\r\n").as_bytes(),
            "AUTHENTICATE",
        )
        .await?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(initial);
    let mut sent_initial = false;
    loop {
        match session.read("AUTHENTICATE").await? {
            Reply::Continue if !sent_initial => {
                sent_initial = true;
                session
                    .write(format!("{encoded}\r\n").as_bytes(), "AUTHENTICATE")
                    .await?;
            }
            Reply::Continue => session.write(b"\r\n", "AUTHENTICATE").await?,
            Reply::Done {
                tag: t,
                status,
                code,
                text,
                ..
            } if t == tag => {
                ImapSession::completion("AUTHENTICATE", status, code, text)?;
                return Ok(());
            }
            _ => {}
        }
    }
}
