//! A Microsoft app's certificate in the test bed's provider: made by `openssl`, its public key
//! and SHA-1 thumbprint kept to check the app's client assertions (RFC 7523 section 2.2).

use std::process::Command;

use anyhow::{Context, ensure};
use axum::http::StatusCode;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::{Refusal, oauth_error};

/// What the provider knows of an app's certificate.
pub(super) struct RegisteredCertificate {
    public_pem: String,
    /// Base64url of the SHA-1 of the certificate's DER (the assertion's `x5t`).
    thumbprint: String,
}

/// Makes a certificate and its key; returns the PEM bundle (certificate and private key) the
/// app's admin enters, and what the provider registers.
pub(super) fn make(client_id: &str) -> anyhow::Result<(String, RegisteredCertificate)> {
    let dir = tempfile::tempdir()?;
    let (key, cert) = (dir.path().join("app.key"), dir.path().join("app.crt"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", &format!("/CN={client_id}"), "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .context("openssl (Debian package openssl) makes the test certificate")?;
    ensure!(made.status.success(), "openssl req: {made:?}");
    let run = |args: &[&str]| -> anyhow::Result<String> {
        let out = Command::new("openssl").args(args).arg(&cert).output()?;
        ensure!(out.status.success(), "openssl {args:?}: {out:?}");
        Ok(String::from_utf8(out.stdout)?)
    };
    let public_pem = run(&["x509", "-pubkey", "-noout", "-in"])?;
    let fingerprint = run(&["x509", "-noout", "-fingerprint", "-sha1", "-in"])?;
    let hex = fingerprint
        .rsplit('=')
        .next()
        .unwrap_or("")
        .trim()
        .replace(':', "");
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()?;
    let thumbprint = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let bundle = std::fs::read_to_string(&cert)? + &std::fs::read_to_string(&key)?;
    Ok((
        bundle,
        RegisteredCertificate {
            public_pem,
            thumbprint,
        },
    ))
}

/// Microsoft's checks of a client assertion: signed by the registered certificate (named by
/// its thumbprint), for this token URL, by the app itself.
pub(super) fn check(
    registered: &RegisteredCertificate,
    client_id: &str,
    token_url: &str,
    assertion: &str,
) -> Result<(), Refusal> {
    let invalid = |text: &str| oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", text);
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| invalid("AADSTS50027: JWT token is invalid or malformed."))?;
    if header.x5t.as_deref() != Some(registered.thumbprint.as_str()) {
        return Err(invalid(
            "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.",
        ));
    }
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[token_url]);
    validation.set_issuer(&[client_id]);
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    let key = DecodingKey::from_rsa_pem(registered.public_pem.as_bytes()).expect("own public key");
    let claims = jsonwebtoken::decode::<Value>(assertion, &key, &validation)
        .map_err(|_| invalid("AADSTS700027: Client assertion contains an invalid signature."))?;
    if claims.claims["sub"] != client_id {
        return Err(invalid(
            "AADSTS700027: the assertion's subject is not the app.",
        ));
    }
    Ok(())
}
