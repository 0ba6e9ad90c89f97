//! Why no token came, kept precise enough to name what the admin must do in the provider's
//! console.

use app::ErrorKind;

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The token endpoint answered with an OAuth 2 error (RFC 6749 section 5.2).
    #[error("the provider refused a token: {code}{}", describe(.description))]
    Refused {
        code: String,
        description: Option<String>,
    },
    #[error("cannot reach the token endpoint {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// A server error or an answer that is not OAuth 2.
    #[error("the token endpoint {url} answered {detail}")]
    BadAnswer { url: String, detail: String },
    #[error("the service account key cannot be used: {0}")]
    BadKey(String),
}

fn describe(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default()
}

impl OAuthError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            OAuthError::Refused { code, description } => {
                refused_kind(code, description.as_deref().unwrap_or(""))
            }
            OAuthError::Unreachable { .. } | OAuthError::BadAnswer { .. } => {
                ErrorKind::TokenEndpointUnreachable
            }
            OAuthError::BadKey(_) => ErrorKind::OAuthInvalidClient,
        }
    }

    /// Whether asking again later may succeed (the provider was down or did not answer).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            OAuthError::Unreachable { .. } | OAuthError::BadAnswer { .. }
        )
    }
}

/// RFC 6749's error codes, and the texts that tell `invalid_grant` apart: Google answers a JWT
/// it cannot verify with "Invalid JWT Signature." and an unknown `sub` with "Invalid email or
/// User ID"; a revoked refresh token is "Token has been expired or revoked.".
fn refused_kind(code: &str, description: &str) -> ErrorKind {
    let description = description.to_ascii_lowercase();
    match code {
        // Microsoft's AADSTS700016: no such application in the directory.
        "unauthorized_client" if description.contains("aadsts700016") => {
            ErrorKind::OAuthInvalidClient
        }
        "unauthorized_client" | "access_denied" | "consent_required" | "interaction_required" => {
            ErrorKind::OAuthConsentMissing
        }
        "invalid_client" => ErrorKind::OAuthInvalidClient,
        "invalid_grant" if description.contains("signature") => ErrorKind::OAuthInvalidClient,
        // Google's "Invalid email or User ID"; Microsoft's AADSTS50034 (no such user account).
        "invalid_grant"
            if description.contains("invalid email or user id")
                || description.contains("aadsts50034") =>
        {
            ErrorKind::OAuthUserUnknown
        }

        "invalid_grant" => ErrorKind::OAuthConsentMissing,
        "temporarily_unavailable" | "server_error" => ErrorKind::TokenEndpointUnreachable,
        _ => ErrorKind::OAuthInvalidClient,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: &str, description: &str) -> ErrorKind {
        OAuthError::Refused {
            code: code.into(),
            description: Some(description.into()).filter(|d: &String| !d.is_empty()),
        }
        .kind()
    }

    #[test]
    fn provider_answers_name_the_admins_task() {
        // Google's answers to a service account.
        assert_eq!(
            refused(
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."
            ),
            ErrorKind::OAuthConsentMissing
        );
        assert_eq!(
            refused("invalid_grant", "Invalid JWT Signature."),
            ErrorKind::OAuthInvalidClient
        );
        assert_eq!(
            refused("invalid_grant", "Invalid email or User ID"),
            ErrorKind::OAuthUserUnknown
        );
        assert_eq!(
            refused("invalid_grant", "Token has been expired or revoked."),
            ErrorKind::OAuthConsentMissing
        );
        // Microsoft's: AADSTS7000215.
        assert_eq!(
            refused(
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided."
            ),
            ErrorKind::OAuthInvalidClient
        );
        assert_eq!(refused("access_denied", ""), ErrorKind::OAuthConsentMissing);
        assert_eq!(
            refused(
                "invalid_grant",
                "AADSTS65001: The user or administrator has not consented to use the application."
            ),
            ErrorKind::OAuthConsentMissing
        );
        assert_eq!(
            refused(
                "invalid_grant",
                "AADSTS50034: The user account does not exist in the directory."
            ),
            ErrorKind::OAuthUserUnknown
        );
        assert_eq!(
            refused(
                "unauthorized_client",
                "AADSTS700016: Application with identifier 'x' was not found in the directory 'y'."
            ),
            ErrorKind::OAuthInvalidClient
        );
        let down = OAuthError::Unreachable {
            url: "https://x/token".into(),
            detail: "connection refused".into(),
        };
        assert_eq!(down.kind(), ErrorKind::TokenEndpointUnreachable);
        assert!(down.is_transient());
    }
}
