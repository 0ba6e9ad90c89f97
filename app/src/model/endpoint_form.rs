//! The endpoint form's fields, checked into an [`EndpointForm`]: every problem names its field.

use serde::{Deserialize, Serialize};

use super::endpoint::{AuthMechanism, EndpointRole, Impersonation, OAuthKind, Security};
use crate::api::AppError;
use crate::ids::EndpointId;

/// A checked endpoint form. An empty `admin_password` on an existing endpoint keeps the stored one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointForm {
    pub id: Option<EndpointId>,
    pub name: String,
    pub role: EndpointRole,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub auth_mechanism: AuthMechanism,
    pub impersonation: Impersonation,
    pub admin_user: Option<String>,
    pub admin_password: String,
    pub tls_ca_pem: Option<String>,
    pub insecure_skip_verify: bool,
    pub max_concurrent: u32,
    pub oauth: OAuthForm,
}

/// The OAuth 2 part of the form. An empty `secret` on an existing endpoint keeps the stored one.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthForm {
    pub kind: OAuthKind,
    pub client_id: Option<String>,
    pub tenant: Option<String>,
    pub token_url: Option<String>,
    /// Personal accounts: where users give their consent, and what they consent to.
    pub authorization_url: Option<String>,
    pub scope: Option<String>,
    /// Google: the service account's JSON key; Microsoft and personal accounts: the client
    /// secret (none for a public client).
    pub secret: String,
}

impl std::fmt::Debug for OAuthForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthForm")
            .field("kind", &self.kind)
            .field("client_id", &self.client_id)
            .field("tenant", &self.tenant)
            .field("token_url", &self.token_url)
            .field("authorization_url", &self.authorization_url)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for EndpointForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointForm")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("admin_user", &self.admin_user)
            .field("admin_password", &"***")
            .field("oauth", &self.oauth)
            .finish_non_exhaustive()
    }
}

/// The form's fields as the browser sends them (all text, as a plain HTML form would).
#[derive(Clone, Default)]
pub struct EndpointFields {
    pub id: String,
    pub name: String,
    pub role: String,
    pub host: String,
    pub port: String,
    pub security: String,
    pub auth_mechanism: String,
    pub impersonation: String,
    pub admin_user: String,
    pub admin_password: String,
    pub tls_ca_pem: String,
    pub insecure_skip_verify: Option<String>,
    pub max_concurrent: String,
    pub oauth_kind: Option<String>,
    pub oauth_client_id: Option<String>,
    pub oauth_tenant: Option<String>,
    pub oauth_token_url: Option<String>,
    pub oauth_authorization_url: Option<String>,
    pub oauth_scope: Option<String>,
    pub oauth_secret: Option<String>,
}

/// Personal accounts name their provider by its URLs, the app by its client id, and the access
/// asked for.
fn check_personal(form: &OAuthForm) -> Result<(), AppError> {
    if form.kind != OAuthKind::Personal {
        return Ok(());
    }
    let missing = [
        (
            "Client id",
            form.client_id.is_none(),
            "enter the app's client id",
        ),
        (
            "Authorization URL",
            form.authorization_url.is_none(),
            "enter the provider's authorization URL",
        ),
        (
            "Token URL",
            form.token_url.is_none(),
            "enter the provider's token URL",
        ),
        (
            "Scope",
            form.scope.is_none(),
            "enter the scope of IMAP access (Gmail: https://mail.google.com/)",
        ),
    ];
    match missing.into_iter().find(|(_, absent, _)| *absent) {
        Some((field, _, message)) => Err(AppError::invalid(field, message)),
        None => Ok(()),
    }
}

/// A destination signs in on the users' behalf: as an admin, or with its provider's tokens.
fn check_destination_sign_in(
    role: EndpointRole,
    admin_user: Option<&str>,
    oauth: &OAuthForm,
) -> Result<(), AppError> {
    if role == EndpointRole::Destination && oauth.kind == OAuthKind::Personal {
        return Err(AppError::invalid(
            "OAuth 2",
            "personal accounts consent on the source; choose Google or Microsoft for a destination",
        ));
    }
    if role == EndpointRole::Destination && admin_user.is_none() && oauth.kind == OAuthKind::None {
        return Err(AppError::invalid(
            "Admin user",
            "the destination needs an admin who signs in on the users' behalf, or OAuth 2",
        ));
    }
    Ok(())
}

/// Whether `url` may receive client secrets: HTTPS, or plain HTTP to this machine only; never
/// with a user part (`http://localhost:1@elsewhere/` goes elsewhere).
pub fn acceptable_token_url(url: &str) -> bool {
    let (rest, plain) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => (rest, false),
        (None, Some(rest)) => (rest, true),
        (None, None) => return false,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // An IPv6 host is bracketed; a port follows the last ':' otherwise.
    let host = match authority.find(']') {
        Some(end) => &authority[..=end],
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    !authority.is_empty()
        && !authority.contains('@')
        && !url.contains(char::is_whitespace)
        && (!plain || matches!(host, "127.0.0.1" | "localhost" | "[::1]"))
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

impl EndpointFields {
    pub fn check(self) -> Result<EndpointForm, AppError> {
        let id = match non_empty(&self.id) {
            None => None,
            Some(text) => {
                Some(EndpointId(text.parse().map_err(|_| {
                    AppError::invalid("id", "not an endpoint id")
                })?))
            }
        };
        let name = non_empty(&self.name)
            .ok_or_else(|| AppError::invalid("Name", "give the endpoint a name"))?;
        let role = EndpointRole::parse(self.role.trim())
            .ok_or_else(|| AppError::invalid("Role", "choose source or destination"))?;
        let host = non_empty(&self.host)
            .filter(|h| !h.contains(char::is_whitespace))
            .ok_or_else(|| AppError::invalid("Host", "enter the server's host name or address"))?;
        let port = self
            .port
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| AppError::invalid("Port", "enter a port between 1 and 65535"))?;
        let security = Security::parse(self.security.trim())
            .ok_or_else(|| AppError::invalid("Security", "choose TLS, STARTTLS or none"))?;
        let auth_mechanism = if self.auth_mechanism.trim().is_empty() {
            AuthMechanism::Login
        } else {
            AuthMechanism::parse(self.auth_mechanism.trim())
                .ok_or_else(|| AppError::invalid("Sign-in", "unknown sign-in mechanism"))?
        };
        let impersonation = if self.impersonation.trim().is_empty() {
            Impersonation::SaslPlain
        } else {
            Impersonation::parse(self.impersonation.trim())
                .ok_or_else(|| AppError::invalid("Impersonation", "unknown impersonation"))?
        };
        let admin_user = non_empty(&self.admin_user);
        let oauth = self.check_oauth(id.is_some())?;
        check_destination_sign_in(role, admin_user.as_deref(), &oauth)?;
        if admin_user.is_some() && id.is_none() && self.admin_password.is_empty() {
            return Err(AppError::invalid(
                "Admin password",
                "enter the admin user's password",
            ));
        }
        let max_concurrent = match non_empty(&self.max_concurrent) {
            None => 4,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=256).contains(n))
                .ok_or_else(|| {
                    AppError::invalid("Mailboxes at once", "enter a number from 1 to 256")
                })?,
        };
        Ok(EndpointForm {
            id,
            name,
            role,
            host,
            port,
            security,
            auth_mechanism,
            impersonation,
            admin_user,
            admin_password: self.admin_password,
            tls_ca_pem: non_empty(&self.tls_ca_pem),
            insecure_skip_verify: self.insecure_skip_verify.is_some(),
            max_concurrent,
            oauth,
        })
    }

    fn check_oauth(&self, editing: bool) -> Result<OAuthForm, AppError> {
        let text = |field: &Option<String>| field.as_deref().and_then(non_empty);
        let kind = OAuthKind::parse(self.oauth_kind.as_deref().unwrap_or("")).ok_or_else(|| {
            AppError::invalid(
                "OAuth 2",
                "choose none, Google, Microsoft or personal accounts",
            )
        })?;
        let secret = self.oauth_secret.clone().unwrap_or_default();
        let form = OAuthForm {
            kind,
            client_id: text(&self.oauth_client_id),
            tenant: text(&self.oauth_tenant),
            token_url: text(&self.oauth_token_url),
            authorization_url: text(&self.oauth_authorization_url),
            scope: text(&self.oauth_scope),
            secret: secret.trim().to_string(),
        };
        match kind {
            OAuthKind::None => return Ok(OAuthForm::default()),
            OAuthKind::Google if form.secret.is_empty() && !editing => {
                return Err(AppError::invalid(
                    "Service account key",
                    "paste the service account's JSON key",
                ));
            }
            OAuthKind::Microsoft if form.tenant.is_none() => {
                return Err(AppError::invalid(
                    "Tenant",
                    "enter the directory (tenant) id",
                ));
            }
            OAuthKind::Microsoft if form.client_id.is_none() => {
                return Err(AppError::invalid(
                    "Client id",
                    "enter the app's application (client) id",
                ));
            }
            OAuthKind::Microsoft if form.secret.is_empty() && !editing => {
                return Err(AppError::invalid(
                    "Client secret",
                    "enter the app's client secret",
                ));
            }
            _ => {}
        }
        check_personal(&form)?;
        for (field, url) in [
            ("Token URL", &form.token_url),
            ("Authorization URL", &form.authorization_url),
        ] {
            if let Some(url) = url
                && !acceptable_token_url(url)
            {
                return Err(AppError::invalid(
                    field,
                    "enter an https:// address (http:// only to this machine)",
                ));
            }
        }
        Ok(form)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> EndpointFields {
        EndpointFields {
            name: "new server".into(),
            role: "destination".into(),
            host: "imap.example.org".into(),
            port: "993".into(),
            security: "tls".into(),
            admin_user: "admin".into(),
            admin_password: "secret".into(),
            ..Default::default()
        }
    }

    #[test]
    fn checks_every_field() {
        let form = fields().check().unwrap();
        assert_eq!(form.port, 993);
        assert_eq!(form.max_concurrent, 4);
        assert!(!format!("{form:?}").contains("secret"));
        let field_of = |f: EndpointFields| match f.check() {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        };
        assert_eq!(
            field_of(EndpointFields {
                port: "99999".into(),
                ..fields()
            }),
            "Port"
        );
        assert_eq!(
            field_of(EndpointFields {
                host: "a b".into(),
                ..fields()
            }),
            "Host"
        );
        assert_eq!(
            field_of(EndpointFields {
                admin_user: "".into(),
                ..fields()
            }),
            "Admin user"
        );
        assert_eq!(
            field_of(EndpointFields {
                admin_password: "".into(),
                ..fields()
            }),
            "Admin password"
        );
        let microsoft = |tenant: &str| EndpointFields {
            admin_user: "".into(),
            oauth_kind: Some("microsoft".into()),
            oauth_tenant: Some(tenant.into()),
            oauth_client_id: Some("app".into()),
            oauth_secret: Some("s3cret".into()),
            ..fields()
        };
        // An OAuth 2 destination needs no admin; its secret never shows in Debug.
        let form = microsoft("contoso").check().unwrap();
        assert_eq!(form.oauth.kind, OAuthKind::Microsoft);
        assert!(!format!("{form:?}").contains("s3cret"));
        assert_eq!(field_of(microsoft("")), "Tenant");
        for (url, ok) in [
            ("https://login.example/token", true),
            ("http://127.0.0.1:8080/token", true),
            ("http://login.example/token", false),
            ("ftp://x/y", false),
            ("https://", false),
            ("http://localhost:1@evil.example/token", false),
            ("https://user@login.example/token", false),
            ("http://[::1]:8080/token", true),
            ("http://[::1]/token", true),
        ] {
            let f = EndpointFields {
                oauth_token_url: Some(url.into()),
                ..microsoft("contoso")
            };
            assert_eq!(f.check().is_ok(), ok, "{url}");
        }
        // Editing keeps the stored password when the field is left empty.
        let edit = EndpointFields {
            id: "7".into(),
            admin_password: "".into(),
            ..fields()
        };
        assert_eq!(edit.check().unwrap().id, Some(EndpointId(7)));
    }
}
