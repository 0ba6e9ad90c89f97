//! An endpoint's settings in memory, and what the engine makes of them.

use std::time::Duration;

use app::model::endpoint::{Impersonation, Security};

use crate::config::Secret;
use crate::imap::connect::{Credentials, ServerAddress};
use crate::imap::tls::TlsOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointRole {
    Source,
    Destination,
}

impl EndpointRole {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointRole::Source => "source",
            EndpointRole::Destination => "destination",
        }
    }
}

#[derive(Clone, Debug)]
pub struct EndpointSettings {
    pub name: String,
    pub role: EndpointRole,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub impersonation: Impersonation,
    /// The admin who signs in on the users' behalf (destination; optional on the source).
    pub admin_user: Option<String>,
    pub admin_password: Secret,
    pub tls_ca_pem: Option<String>,
    pub insecure_skip_verify: bool,
    /// Mailboxes migrated at once through this endpoint.
    pub max_concurrent: u32,
    /// Deadline of every network operation.
    pub timeout: Duration,
}

impl EndpointSettings {
    pub fn address(&self) -> ServerAddress {
        ServerAddress {
            host: self.host.clone(),
            port: self.port,
            security: self.security,
            tls: TlsOptions {
                ca_pem: self.tls_ca_pem.clone(),
                insecure_skip_verify: self.insecure_skip_verify,
            },
            timeout: self.timeout,
        }
    }

    /// How to open `user`'s mailbox here: with the row's own password when there is one, else
    /// as the endpoint's admin on the user's behalf.
    pub fn credentials_for(&self, user: &str, own_password: Option<&str>) -> Credentials {
        match (own_password, self.admin_user.as_deref()) {
            (Some(_), _) | (None, None) => Credentials::Login {
                user: user.into(),
                password: own_password.unwrap_or_default().into(),
            },
            (None, Some(admin)) => match self.impersonation {
                Impersonation::SaslPlain => Credentials::Plain {
                    authzid: Some(user.into()),
                    authcid: admin.into(),
                    password: self.admin_password.0.clone(),
                },
                Impersonation::MasterSeparator => Credentials::Login {
                    user: format!("{user}*{admin}"),
                    password: self.admin_password.0.clone(),
                },
            },
        }
    }
}
