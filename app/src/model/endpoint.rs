//! Endpoint settings shared by the endpoint form, the CLI and the engine.

use serde::{Deserialize, Serialize};

use crate::error_kind::ErrorKind;
use crate::ids::EndpointId;

/// Which side of a migration an endpoint serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text"))]
#[serde(rename_all = "lowercase")]
pub enum EndpointRole {
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "source"))]
    Source,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "destination"))]
    Destination,
}

impl EndpointRole {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointRole::Source => "source",
            EndpointRole::Destination => "destination",
        }
    }
    pub fn parse(text: &str) -> Option<EndpointRole> {
        match text {
            "source" => Some(EndpointRole::Source),
            "destination" => Some(EndpointRole::Destination),
            _ => None,
        }
    }
}

/// A stored endpoint as the browser sees it: the admin password never leaves the server, only
/// whether there is one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointView {
    pub id: EndpointId,
    pub name: String,
    pub role: EndpointRole,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub auth_mechanism: AuthMechanism,
    pub impersonation: Impersonation,
    pub admin_user: Option<String>,
    pub has_admin_password: bool,
    pub has_tls_ca: bool,
    pub insecure_skip_verify: bool,
    pub max_concurrent: u32,
    pub oauth: OAuthView,
}

/// An endpoint's OAuth 2 provider as the browser sees it: no secret, only whether there is one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthView {
    pub kind: OAuthKind,
    pub client_id: Option<String>,
    pub tenant: Option<String>,
    pub token_url: Option<String>,
    pub authorization_url: Option<String>,
    pub scope: Option<String>,
    pub has_secret: bool,
}

/// Where an endpoint's users get OAuth 2 tokens that Mailferry requests itself, so that the
/// CSV needs no passwords.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text"))]
#[serde(rename_all = "lowercase")]
pub enum OAuthKind {
    /// Passwords from the CSV, or an admin on the users' behalf.
    #[default]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "none"))]
    None,
    /// Google Workspace: a service account with domain-wide delegation signs a JWT per user
    /// (RFC 7523 JWT bearer grant).
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "google"))]
    Google,
    /// Microsoft 365: an app's client credentials grant (IMAP.AccessAsApp), one token for every
    /// user.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "microsoft"))]
    Microsoft,
    /// Personal accounts (gmail.com, outlook.com, any provider by its URLs): each user consents
    /// through a link (authorization code with PKCE); Mailferry keeps the refresh token.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "personal"))]
    Personal,
}

impl OAuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthKind::None => "none",
            OAuthKind::Google => "google",
            OAuthKind::Microsoft => "microsoft",
            OAuthKind::Personal => "personal",
        }
    }
    pub fn parse(text: &str) -> Option<OAuthKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "none" => Some(OAuthKind::None),
            "google" => Some(OAuthKind::Google),
            "microsoft" => Some(OAuthKind::Microsoft),
            "personal" => Some(OAuthKind::Personal),
            _ => None,
        }
    }
}

/// What the "test" button found: the capabilities, or a typed error with its solution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndpointTestResult {
    Ok {
        note: String,
        capabilities: Vec<String>,
        /// The server as detected (greeting, capabilities, ID).
        profile: super::provider::ProviderProfile,
    },
    Failed {
        kind: ErrorKind,
        detail: String,
    },
}

/// How the connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text"))]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (IMAPS, usually port 993).
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "tls"))]
    Tls,
    /// Plain connection upgraded with STARTTLS (usually port 143).
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "starttls"))]
    Starttls,
    /// No encryption (only for loopback or trusted networks).
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "none"))]
    None,
}

impl Security {
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::Starttls => "starttls",
            Security::None => "none",
        }
    }
    pub fn parse(text: &str) -> Option<Security> {
        match text.to_ascii_lowercase().as_str() {
            "tls" | "ssl" | "imaps" => Some(Security::Tls),
            "starttls" => Some(Security::Starttls),
            "none" | "plain" => Some(Security::None),
            _ => None,
        }
    }
}

/// How a user (or an admin) proves who they are with their own secret.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text"))]
#[serde(rename_all = "lowercase")]
pub enum AuthMechanism {
    /// `LOGIN user password`.
    #[default]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "login"))]
    Login,
    /// `AUTHENTICATE PLAIN` (RFC 4616).
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "plain"))]
    Plain,
    /// `AUTHENTICATE XOAUTH2`: the CSV's Password column holds an OAuth 2 access token.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "xoauth2"))]
    Xoauth2,
}

impl AuthMechanism {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMechanism::Login => "login",
            AuthMechanism::Plain => "plain",
            AuthMechanism::Xoauth2 => "xoauth2",
        }
    }
    pub fn parse(text: &str) -> Option<AuthMechanism> {
        match text.to_ascii_lowercase().as_str() {
            "login" => Some(AuthMechanism::Login),
            "plain" => Some(AuthMechanism::Plain),
            "xoauth2" => Some(AuthMechanism::Xoauth2),
            _ => None,
        }
    }
}

/// How an admin signs in on a user's behalf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text"))]
#[serde(rename_all = "kebab-case")]
pub enum Impersonation {
    /// SASL PLAIN with the user as authorization identity (RFC 4616).
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "sasl-plain"))]
    SaslPlain,
    /// Dovecot master user: `LOGIN user*admin password`.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "master-separator"))]
    MasterSeparator,
}

impl Impersonation {
    pub fn as_str(self) -> &'static str {
        match self {
            Impersonation::SaslPlain => "sasl-plain",
            Impersonation::MasterSeparator => "master-separator",
        }
    }
    pub fn parse(text: &str) -> Option<Impersonation> {
        match text {
            "sasl-plain" => Some(Impersonation::SaslPlain),
            "master-separator" => Some(Impersonation::MasterSeparator),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_prints() {
        for s in [Security::Tls, Security::Starttls, Security::None] {
            assert_eq!(Security::parse(s.as_str()), Some(s));
        }
        for i in [Impersonation::SaslPlain, Impersonation::MasterSeparator] {
            assert_eq!(Impersonation::parse(i.as_str()), Some(i));
        }
        for k in [
            OAuthKind::None,
            OAuthKind::Google,
            OAuthKind::Microsoft,
            OAuthKind::Personal,
        ] {
            assert_eq!(OAuthKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Security::parse("SSL"), Some(Security::Tls));
        assert_eq!(Security::parse("bogus"), None);
    }
}
