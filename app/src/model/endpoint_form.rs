//! The endpoint form's fields, checked into an [`EndpointForm`]: every problem names its field.

use serde::{Deserialize, Serialize};

use super::endpoint::{AuthMechanism, EndpointRole, Impersonation, Security};
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
        if role == EndpointRole::Destination && admin_user.is_none() {
            return Err(AppError::invalid(
                "Admin user",
                "the destination needs an admin who signs in on the users' behalf",
            ));
        }
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
        })
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
        // Editing keeps the stored password when the field is left empty.
        let edit = EndpointFields {
            id: "7".into(),
            admin_password: "".into(),
            ..fields()
        };
        assert_eq!(edit.check().unwrap().id, Some(EndpointId(7)));
    }
}
