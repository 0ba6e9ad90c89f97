//! `migrate --source-oauth …`: the source's OAuth 2 provider from the command's flags.

use std::sync::Arc;

use app::model::endpoint::OAuthKind;

use super::migrate::{MigrateError, secret_file};
use crate::cli::SourceSignInArgs;
use crate::oauth::service_account::ServiceAccountKey;
use crate::oauth::{OAuthSettings, TokenSource};

/// The token source the flags name, if any; a key that cannot sign is refused before anything
/// runs.
pub(super) fn token_source(
    args: &SourceSignInArgs,
) -> Result<Option<Arc<TokenSource>>, MigrateError> {
    let Some(kind) = args.source_oauth.as_deref() else {
        return Ok(None);
    };
    let kind = match OAuthKind::parse(kind) {
        Some(kind @ (OAuthKind::Google | OAuthKind::Microsoft)) => kind,
        _ => {
            return Err(MigrateError::Usage(
                "--source-oauth: use google or microsoft (personal accounts consent in the web app)"
                    .into(),
            ));
        }
    };
    if let Some(url) = &args.source_oauth_token_url
        && !app::model::endpoint_form::acceptable_token_url(url)
    {
        return Err(MigrateError::Usage(
            "--source-oauth-token-url: an https:// address (http:// only to this machine)".into(),
        ));
    }
    let file = args
        .source_oauth_secret_file
        .as_deref()
        .ok_or_else(|| MigrateError::Usage("--source-oauth-secret-file is needed".into()))?;
    let secret = secret_file(file, "OAuth 2 key or secret file")?;
    if kind == OAuthKind::Google {
        ServiceAccountKey::parse(&secret.0)
            .map_err(|e| MigrateError::Usage(format!("--source-oauth-secret-file: {e}")))?;
    }
    if crate::oauth::client_assertion::ClientCertificate::is_bundle(&secret.0) {
        crate::oauth::client_assertion::ClientCertificate::parse(&secret.0)
            .map_err(|e| MigrateError::Usage(format!("--source-oauth-secret-file: {e}")))?;
    }
    if kind == OAuthKind::Microsoft
        && (args.source_oauth_client_id.is_none() || args.source_oauth_tenant.is_none())
    {
        return Err(MigrateError::Usage(
            "--source-oauth microsoft needs --source-oauth-client-id and --source-oauth-tenant"
                .into(),
        ));
    }
    let settings = OAuthSettings {
        kind,
        client_id: args.source_oauth_client_id.clone(),
        tenant: args.source_oauth_tenant.clone(),
        token_url: args.source_oauth_token_url.clone(),
        authorization_url: None,
        scope: None,
        secret,
    };
    Ok(Some(Arc::new(TokenSource::new(
        settings,
        crate::oauth::TOKEN_TIMEOUT,
    ))))
}
