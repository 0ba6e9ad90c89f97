//! A Google service account's JSON key, and the signed JWT that asks for one user's token
//! (RFC 7523 section 2.1: `iss` the service account, `sub` the user it acts for).

use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use super::error::OAuthError;

/// Lifetime of an assertion: Google accepts at most one hour.
const ASSERTION_SECONDS: i64 = 3600;

/// The fields of a key file that signing needs (the rest is ignored).
#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: String,
    private_key: String,
    private_key_id: Option<String>,
    token_uri: Option<String>,
}

/// A parsed key: who signs, with what, and the token URL it names.
pub struct ServiceAccountKey {
    pub client_email: String,
    pub token_uri: Option<String>,
    key_id: Option<String>,
    key: EncodingKey,
}

impl std::fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

impl ServiceAccountKey {
    /// Reads a key file as the Google Cloud console downloads it.
    pub fn parse(json: &str) -> Result<ServiceAccountKey, OAuthError> {
        let file: KeyFile = serde_json::from_str(json).map_err(|e| {
            // serde_json's message names the field, never the key's text.
            OAuthError::BadKey(format!("not a service account JSON key: {e}"))
        })?;
        if let Some(kind) = &file.kind
            && kind != "service_account"
        {
            return Err(OAuthError::BadKey(format!(
                "a key of type {kind:?}, not \"service_account\""
            )));
        }
        // The assertion goes where the key says, unless the endpoint names a URL.
        if let Some(uri) = &file.token_uri
            && !app::model::endpoint_form::acceptable_token_url(uri)
        {
            return Err(OAuthError::BadKey(format!(
                "its token_uri {uri:?} is not https://"
            )));
        }
        let key = EncodingKey::from_rsa_pem(file.private_key.as_bytes())
            .map_err(|e| OAuthError::BadKey(format!("its private_key is not an RSA key: {e}")))?;
        Ok(ServiceAccountKey {
            client_email: file.client_email,
            token_uri: file.token_uri,
            key_id: file.private_key_id,
            key,
        })
    }

    /// The signed assertion for `user`'s token with `scope`, for the token URL `audience`.
    pub fn assertion(&self, user: &str, scope: &str, audience: &str) -> Result<String, OAuthError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: &self.client_email,
            sub: user,
            scope,
            aud: audience,
            iat: now,
            exp: now + ASSERTION_SECONDS,
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.key_id.clone();
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| OAuthError::BadKey(format!("cannot sign with it: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_usable_key_without_echoing_it() {
        let not_json = ServiceAccountKey::parse("-----BEGIN PRIVATE KEY----- secret").unwrap_err();
        assert!(!not_json.to_string().contains("secret"), "{not_json}");
        let other_type = ServiceAccountKey::parse(
            r#"{"type":"authorized_user","client_email":"a@b","private_key":"x"}"#,
        )
        .unwrap_err();
        assert!(other_type.to_string().contains("authorized_user"));
        let bad_pem = ServiceAccountKey::parse(
            r#"{"type":"service_account","client_email":"a@b","private_key":"not a pem"}"#,
        )
        .unwrap_err();
        assert!(matches!(bad_pem, OAuthError::BadKey(_)));
        assert!(!bad_pem.to_string().contains("not a pem"));
    }
}
