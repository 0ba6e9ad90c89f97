//! A Microsoft app that proves itself with a certificate instead of a client secret: a JWT
//! signed with the certificate's private key, naming the certificate by its SHA-1 thumbprint
//! (`x5t`), sent as the client assertion (RFC 7523 section 2.2).

use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha1::Digest;

use super::error::OAuthError;

/// The client assertion's type (RFC 7523 section 2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// How long an assertion is good for: Microsoft takes up to ten minutes.
const ASSERTION_SECONDS: i64 = 600;

/// A certificate and its private key, PEM, as one text (what `openssl pkcs12 -nodes` gives).
pub struct ClientCertificate {
    thumbprint: String,
    key: EncodingKey,
}

impl ClientCertificate {
    /// Whether `secret` is a certificate bundle rather than a client secret.
    pub fn is_bundle(secret: &str) -> bool {
        secret.contains("-----BEGIN CERTIFICATE-----")
    }

    pub fn parse(bundle: &str) -> Result<ClientCertificate, OAuthError> {
        let blocks = pem::parse_many(bundle)
            .map_err(|e| OAuthError::BadKey(format!("the certificate bundle is not PEM: {e}")))?;
        let certificate = blocks
            .iter()
            .find(|b| b.tag() == "CERTIFICATE")
            .ok_or_else(|| OAuthError::BadKey("no CERTIFICATE in the bundle".into()))?;
        let private = blocks
            .iter()
            .find(|b| b.tag().ends_with("PRIVATE KEY"))
            .ok_or_else(|| OAuthError::BadKey("no PRIVATE KEY in the bundle".into()))?;
        let key = EncodingKey::from_rsa_pem(pem::encode(private).as_bytes())
            .map_err(|e| OAuthError::BadKey(format!("its private key is not RSA: {e}")))?;
        let thumbprint = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha1::Sha1::digest(certificate.contents()));
        Ok(ClientCertificate { thumbprint, key })
    }

    /// The assertion of `client_id` for the token URL `audience`.
    pub fn assertion(&self, client_id: &str, audience: &str) -> Result<String, OAuthError> {
        #[derive(Serialize)]
        struct Claims<'a> {
            iss: &'a str,
            sub: &'a str,
            aud: &'a str,
            jti: String,
            iat: i64,
            nbf: i64,
            exp: i64,
        }
        let now = Utc::now();
        let claims = Claims {
            iss: client_id,
            sub: client_id,
            aud: audience,
            // Unique per assertion: a provider may refuse one it saw before.
            jti: format!(
                "{}-{}",
                now.timestamp_nanos_opt().unwrap_or_default(),
                rand_hex()
            ),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: now.timestamp() + ASSERTION_SECONDS,
        };
        let mut header = Header::new(Algorithm::RS256);
        header.x5t = Some(self.thumbprint.clone());
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| OAuthError::BadKey(format!("cannot sign with the certificate's key: {e}")))
    }
}

fn rand_hex() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_needs_a_certificate_and_an_rsa_key() {
        assert!(ClientCertificate::is_bundle(
            "-----BEGIN CERTIFICATE-----\nx"
        ));
        assert!(!ClientCertificate::is_bundle("a-client-secret"));
        let no_key = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let error = ClientCertificate::parse(no_key).err().unwrap();
        assert!(error.to_string().contains("PRIVATE KEY"), "{error}");
    }
}
