//! An endpoint's settings in memory, and what the engine makes of them.

use std::sync::Arc;
use std::time::Duration;

pub use app::model::endpoint::EndpointRole;
use app::model::endpoint::{AuthMechanism, Impersonation, Security};

use crate::imap::connect::{Credentials, ServerAddress};
use crate::imap::tls::TlsOptions;
use crate::oauth::{SignIn, TokenSource};
use crate::secrets::Secret;

#[derive(Clone, Debug)]
pub struct EndpointSettings {
    pub name: String,
    pub role: EndpointRole,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub impersonation: Impersonation,
    /// How users sign in with their own secret (the CSV's Password).
    pub auth_mechanism: AuthMechanism,
    /// The admin who signs in on the users' behalf (destination; optional on the source).
    pub admin_user: Option<String>,
    pub admin_password: Secret,
    pub tls_ca_pem: Option<String>,
    pub insecure_skip_verify: bool,
    /// Mailboxes migrated at once through this endpoint.
    pub max_concurrent: u32,
    /// Deadline of every network operation.
    pub timeout: Duration,
    /// Users sign in with tokens from this provider (shared by the clones of one load).
    pub oauth: Option<Arc<TokenSource>>,
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

    /// How a mailbox of `user` signs in here: the row's own password when it has one, else a
    /// token from the endpoint's OAuth 2 provider, else the endpoint's admin on the user's behalf.
    pub fn sign_in_for(&self, user: &str, own_password: Option<&str>) -> SignIn {
        let own_password = own_password.filter(|p| !p.is_empty());
        match (own_password, &self.oauth) {
            (None, Some(tokens)) => SignIn::Token {
                user: user.into(),
                tokens: tokens.clone(),
            },
            _ => SignIn::Fixed(self.credentials_for(user, own_password)),
        }
    }

    /// How to open `user`'s mailbox here: with the row's own password when there is one, else
    /// as the endpoint's admin on the user's behalf.
    pub fn credentials_for(&self, user: &str, own_password: Option<&str>) -> Credentials {
        match (own_password, self.admin_user.as_deref()) {
            (Some(_), _) | (None, None) => {
                let secret = own_password.unwrap_or_default().to_string();
                match self.auth_mechanism {
                    AuthMechanism::Login => Credentials::Login {
                        user: user.into(),
                        password: secret,
                    },
                    AuthMechanism::Plain => Credentials::Plain {
                        authzid: None,
                        authcid: user.into(),
                        password: secret,
                    },
                    AuthMechanism::Xoauth2 => Credentials::XOAuth2 {
                        user: user.into(),
                        token: secret,
                    },
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(
        admin: Option<&str>,
        mechanism: AuthMechanism,
        impersonation: Impersonation,
    ) -> EndpointSettings {
        EndpointSettings {
            name: "e".into(),
            role: EndpointRole::Source,
            host: "h".into(),
            port: 1,
            security: Security::None,
            impersonation,
            auth_mechanism: mechanism,
            admin_user: admin.map(String::from),
            admin_password: Secret("adminpw".into()),
            tls_ca_pem: None,
            insecure_skip_verify: false,
            max_concurrent: 1,
            timeout: Duration::from_secs(1),
            oauth: None,
        }
    }

    #[test]
    fn credentials_follow_the_endpoint() {
        let own = |m| {
            format!(
                "{:?}",
                settings(None, m, Impersonation::SaslPlain).credentials_for("jane", Some("pw"))
            )
        };
        assert_eq!(own(AuthMechanism::Login), "Login(jane, ***)");
        assert_eq!(own(AuthMechanism::Plain), "Plain(None, jane, ***)");
        assert_eq!(own(AuthMechanism::Xoauth2), "XOAuth2(jane, ***)");
        let admin = |i| {
            format!(
                "{:?}",
                settings(Some("admin"), AuthMechanism::Login, i).credentials_for("jane", None)
            )
        };
        assert_eq!(
            admin(Impersonation::SaslPlain),
            "Plain(Some(\"jane\"), admin, ***)"
        );
        assert_eq!(
            admin(Impersonation::MasterSeparator),
            "Login(jane*admin, ***)"
        );
    }
}
