//! The token requests: Google's JWT bearer grant (RFC 7523) and the client credentials grant
//! (RFC 6749 section 4.4) through the `oauth2` crate.

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, PkceCodeVerifier, RedirectUrl,
    RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;

use super::client_assertion::{ASSERTION_TYPE, ClientCertificate};
use super::error::OAuthError;
use super::service_account::ServiceAccountKey;
use crate::secrets::Secret;

/// A token as issued, with the lifetime the provider gave it.
pub(crate) struct IssuedToken {
    pub access_token: Secret,
    pub expires_in: Option<Duration>,
    /// A refresh token, when the grant gives one (a new one replaces the old).
    pub refresh_token: Option<Secret>,
}

/// The HTTP client of token requests: no redirects (a secret must not follow one elsewhere).
pub(crate) fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct Success {
    access_token: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct Failure {
    error: String,
    error_description: Option<String>,
}

/// Google's grant for `user`: a JWT signed with the service account's key.
pub(crate) async fn jwt_bearer(
    http: &reqwest::Client,
    key: &ServiceAccountKey,
    user: &str,
    scope: &str,
    token_url: &str,
) -> Result<IssuedToken, OAuthError> {
    let assertion = key.assertion(user, scope, token_url)?;
    let unreachable = |e: reqwest::Error| OAuthError::Unreachable {
        url: token_url.to_string(),
        detail: e.without_url().to_string(),
    };
    let response = http
        .post(token_url)
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion.as_str()),
        ])
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    let body = response.bytes().await.map_err(unreachable)?;
    if status.is_success()
        && let Ok(ok) = serde_json::from_slice::<Success>(&body)
    {
        return Ok(IssuedToken {
            access_token: Secret(ok.access_token),
            expires_in: ok.expires_in.map(Duration::from_secs),
            refresh_token: None,
        });
    }
    match serde_json::from_slice::<Failure>(&body) {
        Ok(failure) if !status.is_server_error() => Err(OAuthError::Refused {
            code: failure.error,
            description: failure.error_description,
        }),
        _ => Err(OAuthError::BadAnswer {
            url: token_url.to_string(),
            detail: format!("HTTP {status} without a token"),
        }),
    }
}

/// The client credentials grant: one token for the app, acting for every user it may; the app
/// proves itself with its client secret, or with its certificate (a PEM bundle in its place).
pub(crate) async fn client_credentials(
    http: &reqwest::Client,
    client_id: &str,
    secret: &Secret,
    scope: &str,
    token_url: &str,
) -> Result<IssuedToken, OAuthError> {
    let certificate = ClientCertificate::is_bundle(&secret.0)
        .then(|| ClientCertificate::parse(&secret.0))
        .transpose()?;
    // With a certificate the app proves itself by a signed assertion, not a secret.
    let client = match &certificate {
        Some(_) => client(client_id, &Secret::default(), token_url)?,
        None => client(client_id, secret, token_url)?,
    };
    let mut request = client
        .exchange_client_credentials()
        .add_scope(Scope::new(scope.to_string()));
    if let Some(certificate) = &certificate {
        request = request
            .add_extra_param("client_assertion_type", ASSERTION_TYPE)
            .add_extra_param(
                "client_assertion",
                certificate.assertion(client_id, token_url)?,
            );
    }
    issued(token_url, request.request_async(http).await)
}

/// A personal account's grant: a new access token for the refresh token the user's consent
/// gave.
pub(crate) async fn refresh(
    http: &reqwest::Client,
    client_id: &str,
    secret: &Secret,
    refresh_token: &Secret,
    token_url: &str,
) -> Result<IssuedToken, OAuthError> {
    let client = client(client_id, secret, token_url)?;
    let refresh = RefreshToken::new(refresh_token.0.clone());
    let answer = client
        .exchange_refresh_token(&refresh)
        .request_async(http)
        .await;
    issued(token_url, answer)
}

/// The code a user's consent sent back, exchanged with the PKCE verifier it was asked with.
pub(crate) async fn exchange_code(
    http: &reqwest::Client,
    (client_id, secret, token_url): (&str, &Secret, &str),
    code: &str,
    verifier: &Secret,
    redirect_uri: &str,
) -> Result<IssuedToken, OAuthError> {
    let bad_url = |e: oauth2::url::ParseError| OAuthError::BadAnswer {
        url: redirect_uri.to_string(),
        detail: format!("(not a URL: {e})"),
    };
    let client = client(client_id, secret, token_url)?
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(bad_url)?);
    let answer = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.0.clone()))
        .request_async(http)
        .await;
    issued(token_url, answer)
}

type TokenClient = BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

/// The client of `token_url`; an empty secret makes a public client (PKCE alone).
fn client(client_id: &str, secret: &Secret, token_url: &str) -> Result<TokenClient, OAuthError> {
    let url = TokenUrl::new(token_url.to_string()).map_err(|e| OAuthError::BadAnswer {
        url: token_url.to_string(),
        detail: format!("(not a URL: {e})"),
    })?;
    let mut client = BasicClient::new(ClientId::new(client_id.to_string()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(url);
    if !secret.0.is_empty() {
        client = client.set_client_secret(ClientSecret::new(secret.0.clone()));
    }
    Ok(client)
}

fn issued<E: std::error::Error + 'static>(
    token_url: &str,
    answer: Result<oauth2::basic::BasicTokenResponse, BasicRequestError<E>>,
) -> Result<IssuedToken, OAuthError> {
    match answer {
        Ok(token) => Ok(IssuedToken {
            access_token: Secret(token.access_token().secret().clone()),
            expires_in: token.expires_in(),
            refresh_token: token.refresh_token().map(|r| Secret(r.secret().clone())),
        }),
        Err(error) => Err(token_error(token_url, error)),
    }
}

type BasicRequestError<E> = RequestTokenError<
    oauth2::HttpClientError<E>,
    oauth2::StandardErrorResponse<oauth2::basic::BasicErrorResponseType>,
>;

/// The `oauth2` crate's failure as ours; its texts never hold the request's secrets.
pub(crate) fn token_error<E: std::error::Error + 'static>(
    token_url: &str,
    error: BasicRequestError<E>,
) -> OAuthError {
    match error {
        RequestTokenError::ServerResponse(answer) => OAuthError::Refused {
            code: answer.error().to_string(),
            description: answer.error_description().cloned(),
        },
        RequestTokenError::Request(e) => OAuthError::Unreachable {
            url: token_url.to_string(),
            detail: e.to_string(),
        },
        RequestTokenError::Parse(_, _) | RequestTokenError::Other(_) => OAuthError::BadAnswer {
            url: token_url.to_string(),
            detail: "something that is not an OAuth 2 token".into(),
        },
    }
}
