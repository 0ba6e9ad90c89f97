//! What the tests need of any test bed server, whichever it is: its port, a session as one of its
//! users, and how it spells a folder (Cyrus and Courier keep personal folders under `INBOX.`).

use std::future::Future;

use crate::imap::{CommandError, TestClient, TestSession};
use crate::{CYRUS_ADMIN, CYRUS_ADMIN_PASSWORD, Courier, Cyrus, Dovecot};

/// Which server software a test bed server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    Dovecot,
    Cyrus,
    Courier,
}

pub trait TestServer {
    fn kind(&self) -> ServerKind;
    fn imap_port(&self) -> u16;
    /// The server's name of a user's folder given as `A/B` (`INBOX` stays `INBOX`).
    fn folder_name(&self, name: &str) -> String;
    /// A session as `user` (an admin acting for it where the server has one).
    fn session_for(&self, user: &str) -> impl Future<Output = Result<TestSession, CommandError>>;
}

/// Cyrus's and Courier's spelling: personal folders under `INBOX.`, `.` between levels.
fn under_inbox(name: &str) -> String {
    if name.eq_ignore_ascii_case("INBOX") {
        "INBOX".into()
    } else {
        format!("INBOX.{}", name.replace('/', "."))
    }
}

impl TestServer for Dovecot {
    fn kind(&self) -> ServerKind {
        ServerKind::Dovecot
    }

    fn imap_port(&self) -> u16 {
        Dovecot::imap_port(self)
    }

    /// Names are taken as written (the tests of a `.`-separated Dovecot write `A.B`).
    fn folder_name(&self, name: &str) -> String {
        name.to_string()
    }

    async fn session_for(&self, user: &str) -> Result<TestSession, CommandError> {
        TestSession::master(Dovecot::imap_port(self), user).await
    }
}

impl TestServer for Cyrus {
    fn kind(&self) -> ServerKind {
        ServerKind::Cyrus
    }

    fn imap_port(&self) -> u16 {
        Cyrus::imap_port(self)
    }

    fn folder_name(&self, name: &str) -> String {
        under_inbox(name)
    }

    async fn session_for(&self, user: &str) -> Result<TestSession, CommandError> {
        TestClient::connect_plain(Cyrus::imap_port(self))
            .await?
            .authenticate_plain(user, CYRUS_ADMIN, CYRUS_ADMIN_PASSWORD)
            .await
    }
}

impl TestServer for Courier {
    fn kind(&self) -> ServerKind {
        ServerKind::Courier
    }

    fn imap_port(&self) -> u16 {
        Courier::imap_port(self)
    }

    fn folder_name(&self, name: &str) -> String {
        under_inbox(name)
    }

    /// Courier has no admin who can act for a user: the test signs in with the user's password.
    async fn session_for(&self, user: &str) -> Result<TestSession, CommandError> {
        let password = self
            .password_of(user)
            .ok_or_else(|| CommandError::Failed(anyhow::anyhow!("no such Courier user {user}")))?
            .to_string();
        TestClient::connect_plain(Courier::imap_port(self))
            .await?
            .login(user, &password)
            .await
    }
}

/// Any of the test bed's servers, for tests that run the same story on several.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // a handful per test; boxing would only add noise
pub enum AnyServer {
    Dovecot(Dovecot),
    Cyrus(Cyrus),
    Courier(Courier),
}

impl AnyServer {
    /// A fresh server of `kind`; `quota` readies it for per-user quotas (Dovecot needs it at
    /// start; the others always can).
    pub fn start(kind: ServerKind, name: &'static str, quota: bool) -> anyhow::Result<AnyServer> {
        Ok(match kind {
            ServerKind::Dovecot => AnyServer::Dovecot(Dovecot::start(crate::DovecotOptions {
                name,
                quota,
                ..Default::default()
            })?),
            ServerKind::Cyrus => AnyServer::Cyrus(Cyrus::start(crate::CyrusOptions::default())?),
            ServerKind::Courier => AnyServer::Courier(Courier::start()?),
        })
    }

    /// The CA that signed the server's certificate (Dovecot: also IMAPS; the others STARTTLS).
    pub fn ca_pem_path(&self) -> &std::path::Path {
        match self {
            AnyServer::Dovecot(s) => s.ca_pem_path(),
            AnyServer::Cyrus(s) => s.ca_pem_path(),
            AnyServer::Courier(s) => s.ca_pem_path(),
        }
    }

    pub fn add_user(&mut self, user: &str, password: &str) -> anyhow::Result<()> {
        match self {
            AnyServer::Dovecot(s) => s.add_user(user, password),
            AnyServer::Cyrus(s) => s.add_user(user, password),
            AnyServer::Courier(s) => s.add_user(user, password),
        }
    }

    pub fn set_quota_bytes(&mut self, user: &str, bytes: Option<u64>) -> anyhow::Result<()> {
        match self {
            AnyServer::Dovecot(s) => s.set_quota_bytes(user, bytes),
            AnyServer::Cyrus(s) => s.set_quota_bytes(user, bytes),
            AnyServer::Courier(s) => s.set_quota_bytes(user, bytes),
        }
    }

    /// The password of a Courier user (Courier has no admin who acts for a user).
    pub fn courier_password(&self, user: &str) -> Option<String> {
        match self {
            AnyServer::Courier(s) => s.password_of(user).map(String::from),
            _ => None,
        }
    }

    pub fn log_text(&self) -> String {
        match self {
            AnyServer::Dovecot(s) => s.log_text(),
            AnyServer::Cyrus(s) => s.log_text(),
            AnyServer::Courier(s) => s.log_text(),
        }
    }
}

impl TestServer for AnyServer {
    fn kind(&self) -> ServerKind {
        match self {
            AnyServer::Dovecot(s) => s.kind(),
            AnyServer::Cyrus(s) => s.kind(),
            AnyServer::Courier(s) => s.kind(),
        }
    }

    fn imap_port(&self) -> u16 {
        match self {
            AnyServer::Dovecot(s) => TestServer::imap_port(s),
            AnyServer::Cyrus(s) => TestServer::imap_port(s),
            AnyServer::Courier(s) => TestServer::imap_port(s),
        }
    }

    fn folder_name(&self, name: &str) -> String {
        match self {
            AnyServer::Dovecot(s) => s.folder_name(name),
            AnyServer::Cyrus(s) => s.folder_name(name),
            AnyServer::Courier(s) => s.folder_name(name),
        }
    }

    async fn session_for(&self, user: &str) -> Result<TestSession, CommandError> {
        match self {
            AnyServer::Dovecot(s) => s.session_for(user).await,
            AnyServer::Cyrus(s) => s.session_for(user).await,
            AnyServer::Courier(s) => s.session_for(user).await,
        }
    }
}
