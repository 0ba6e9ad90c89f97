//! The endpoints pages' side of the backend: list, save, test.

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use app::api::AppError;
use app::ids::EndpointId;
use app::model::endpoint::{EndpointRole, EndpointTestResult, EndpointView, OAuthKind, OAuthView};
use app::model::endpoint_form::{EndpointForm, OAuthForm};

use super::{WebBackend, internal};
use crate::db::entity::endpoint;
use crate::endpoints::EndpointSettings;
use crate::endpoints::store::{self, EndpointStoreError};
use crate::endpoints::test_endpoint::{EndpointTest, test_endpoint};
use crate::oauth::client_assertion::ClientCertificate;
use crate::oauth::service_account::ServiceAccountKey;
use crate::oauth::{OAuthSettings, TOKEN_TIMEOUT, TokenSource};
use crate::secrets::Secret;

pub(super) fn store_error(error: EndpointStoreError) -> AppError {
    match error {
        EndpointStoreError::NotFound(_) => AppError::NotFound,
        EndpointStoreError::Db(DbErr::Exec(e)) | EndpointStoreError::Db(DbErr::Query(e))
            if e.to_string().to_lowercase().contains("unique") =>
        {
            AppError::invalid("Name", "another endpoint has this name")
        }
        EndpointStoreError::Db(e) => internal(e),
        EndpointStoreError::Corrupt { id, what } => {
            tracing::error!(endpoint = id, what, "a stored endpoint cannot be read");
            AppError::Internal
        }
    }
}

fn view(model: endpoint::Model) -> EndpointView {
    EndpointView {
        id: EndpointId(model.id),
        role: model.role,
        host: model.host,
        port: u16::try_from(model.port).unwrap_or_default(),
        security: model.security,
        auth_mechanism: model.auth_mechanism,
        impersonation: model.impersonation,
        admin_user: model.admin_user,
        has_admin_password: model.admin_secret.is_some(),
        has_tls_ca: model.tls_ca_pem.is_some(),
        insecure_skip_verify: model.insecure_skip_verify,
        max_concurrent: u32::try_from(model.max_concurrent.max(1)).unwrap_or(1),
        oauth: OAuthView {
            kind: model.oauth_kind,
            client_id: model.oauth_client_id,
            tenant: model.oauth_tenant,
            token_url: model.oauth_token_url,
            authorization_url: model.oauth_authorization_url,
            scope: model.oauth_scope,
            has_secret: model.oauth_secret.is_some(),
        },
        name: model.name,
    }
}

/// The form's provider with its secret: the typed one, or on an edit that left it empty the
/// stored one of `kept` (the stored endpoint, when it is the same server), if the provider, its
/// client and token URL are the same (a stolen session must not send a stored secret, or the
/// tokens it gets, elsewhere).
fn oauth_settings(
    form: &OAuthForm,
    kept: Option<&EndpointSettings>,
    stored_secret: bool,
) -> Result<Option<OAuthSettings>, AppError> {
    if form.kind == OAuthKind::None {
        return Ok(None);
    }
    let mut secret = form.secret.clone();
    if secret.is_empty() {
        let same = kept
            .and_then(|s| s.oauth.as_ref())
            .map(|tokens| tokens.settings())
            .filter(|o| {
                (o.kind, &o.token_url, &o.client_id, &o.tenant)
                    == (form.kind, &form.token_url, &form.client_id, &form.tenant)
            });
        secret = match same {
            Some(o) => o.secret.0.clone(),
            // A personal accounts' app may be a public client, without a secret (unless it had
            // one, which is then asked for again).
            None if form.kind == OAuthKind::Personal && !stored_secret => String::new(),
            None => {
                return Err(AppError::invalid(
                    "Service account key or client secret",
                    "the server, the provider, its client or token URL changed: enter the key or secret again",
                ));
            }
        };
    }
    if form.kind == OAuthKind::Google
        && let Err(e) = ServiceAccountKey::parse(&secret)
    {
        return Err(AppError::invalid("Service account key", e.to_string()));
    }
    if ClientCertificate::is_bundle(&secret) {
        // Only the client credentials grant signs with it; elsewhere the PEM would be sent.
        if form.kind != OAuthKind::Microsoft {
            return Err(AppError::invalid(
                "Certificate",
                "a certificate serves Microsoft 365 apps only",
            ));
        }
        if let Err(e) = ClientCertificate::parse(&secret) {
            return Err(AppError::invalid("Certificate", e.to_string()));
        }
    }
    Ok(Some(OAuthSettings {
        kind: form.kind,
        client_id: form.client_id.clone(),
        tenant: form.tenant.clone(),
        token_url: form.token_url.clone(),
        authorization_url: form.authorization_url.clone(),
        scope: form.scope.clone(),
        secret: Secret(secret),
    }))
}

impl WebBackend {
    pub(super) async fn list_endpoints(&self) -> Result<Vec<EndpointView>, AppError> {
        let mut views: Vec<EndpointView> = endpoint::Entity::find()
            .order_by_asc(endpoint::Column::Name)
            .all(&self.state.db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(view)
            .collect();
        views.sort_by_key(|v| v.role != EndpointRole::Source);
        Ok(views)
    }

    pub(super) async fn store_endpoint(&self, form: EndpointForm) -> Result<EndpointId, AppError> {
        let (db, cipher) = (&self.state.db, &self.state.cipher);
        // Secrets never go to the browser, so an edit that leaves them empty keeps them — but
        // only for the same server: a stolen session must not send the stored password elsewhere.
        let mut admin_password = form.admin_password.clone();
        let mut tls_ca_pem = form.tls_ca_pem.clone();
        let stored = match form.id {
            Some(id) => Some(store::load(db, cipher, id.0).await.map_err(store_error)?),
            None => None,
        };
        if let Some(stored) = &stored {
            tls_ca_pem = tls_ca_pem.or(stored.tls_ca_pem.clone());
        }
        // Tokens go to the IMAP server too: a kept secret needs the same server as well.
        let kept = stored
            .as_ref()
            .filter(|s| same_server(s, &form, tls_ca_pem.as_deref()));
        let stored_secret = stored
            .as_ref()
            .and_then(|s| s.oauth.as_ref())
            .is_some_and(|t| !t.settings().secret.0.is_empty());
        let oauth = oauth_settings(&form.oauth, kept, stored_secret)?;
        let consents_stay = consents_stay(stored.as_ref(), kept, oauth.as_ref());
        if stored.is_some() && admin_password.is_empty() && form.admin_user.is_some() {
            let Some(same) = kept else {
                return Err(AppError::invalid(
                    "Admin password",
                    "the server's address, port or security settings changed: type the admin password again",
                ));
            };
            admin_password = same.admin_password.0.clone();
        }
        let settings = EndpointSettings {
            name: form.name,
            role: form.role,
            host: form.host,
            port: form.port,
            security: form.security,
            impersonation: form.impersonation,
            auth_mechanism: form.auth_mechanism,
            admin_user: form.admin_user,
            admin_password: Secret(admin_password),
            tls_ca_pem,
            insecure_skip_verify: form.insecure_skip_verify,
            max_concurrent: form.max_concurrent,
            timeout: std::time::Duration::from_secs(60),
            oauth: oauth.map(|o| std::sync::Arc::new(TokenSource::new(o, TOKEN_TIMEOUT))),
        };
        let id = match form.id {
            Some(id) => store::save_by_id(db, cipher, id.0, &settings).await,
            None => {
                let taken = endpoint::Entity::find()
                    .filter(endpoint::Column::Name.eq(&settings.name))
                    .one(db)
                    .await
                    .map_err(internal)?;
                if taken.is_some() {
                    return Err(AppError::invalid("Name", "another endpoint has this name"));
                }
                store::save(db, cipher, &settings).await
            }
        }
        .map_err(store_error)?;
        if !consents_stay {
            crate::batches::consent::forget_consents_of_source(db, id)
                .await
                .map_err(internal)?;
        }
        tracing::info!(endpoint = id, name = %settings.name, "endpoint saved");
        Ok(EndpointId(id))
    }

    pub(super) async fn run_endpoint_test(
        &self,
        id: EndpointId,
    ) -> Result<EndpointTestResult, AppError> {
        let mut settings = store::load(&self.state.db, &self.state.cipher, id.0)
            .await
            .map_err(store_error)?;
        // An admin waits for the button's answer: do not wait a minute on a dead server.
        settings.timeout = std::time::Duration::from_secs(15);
        Ok(match test_endpoint(&settings, None).await {
            EndpointTest::Ok {
                capabilities,
                note,
                profile,
            } => EndpointTestResult::Ok {
                note,
                capabilities,
                profile,
            },
            EndpointTest::Failed { kind, detail } => EndpointTestResult::Failed { kind, detail },
        })
    }
}

/// Whether the users' consents (refresh tokens) of a personal accounts' source may stay: the
/// same server, provider and client. Otherwise they would be sent elsewhere.
fn consents_stay(
    stored: Option<&EndpointSettings>,
    kept: Option<&EndpointSettings>,
    new: Option<&OAuthSettings>,
) -> bool {
    let Some(old) = stored.and_then(|s| s.oauth.as_ref()).map(|t| t.settings()) else {
        return true;
    };
    if old.kind != OAuthKind::Personal {
        return true;
    }
    let same = |n: &&OAuthSettings| {
        (n.kind, &n.token_url, &n.client_id) == (old.kind, &old.token_url, &old.client_id)
    };
    kept.is_some() && new.filter(same).is_some()
}

/// Whether an edit still talks to the server the stored password was given for.
fn same_server(stored: &EndpointSettings, form: &EndpointForm, tls_ca_pem: Option<&str>) -> bool {
    stored.host.eq_ignore_ascii_case(form.host.trim())
        && stored.port == form.port
        && stored.security == form.security
        && stored.insecure_skip_verify == form.insecure_skip_verify
        && stored.tls_ca_pem.as_deref() == tls_ca_pem
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn stored() -> EndpointSettings {
        stored_as(OAuthKind::Microsoft)
    }

    fn stored_as(kind: OAuthKind) -> EndpointSettings {
        let settings = OAuthSettings {
            kind,
            client_id: Some("app".into()),
            tenant: Some("contoso".into()),
            token_url: None,
            authorization_url: None,
            scope: None,
            secret: Secret("stored-secret".into()),
        };
        EndpointSettings {
            name: "m365".into(),
            role: EndpointRole::Source,
            host: "outlook.office365.com".into(),
            port: 993,
            security: app::model::endpoint::Security::Tls,
            impersonation: app::model::endpoint::Impersonation::SaslPlain,
            auth_mechanism: app::model::endpoint::AuthMechanism::Login,
            admin_user: None,
            admin_password: Secret::default(),
            tls_ca_pem: None,
            insecure_skip_verify: false,
            max_concurrent: 4,
            timeout: TOKEN_TIMEOUT,
            oauth: Some(Arc::new(TokenSource::new(settings, TOKEN_TIMEOUT))),
        }
    }

    fn edit(tenant: &str) -> OAuthForm {
        OAuthForm {
            kind: OAuthKind::Microsoft,
            client_id: Some("app".into()),
            tenant: Some(tenant.into()),
            ..OAuthForm::default()
        }
    }

    #[test]
    fn a_stored_secret_stays_only_with_its_server_and_provider() {
        let stored = stored();
        let kept = oauth_settings(&edit("contoso"), Some(&stored), true)
            .unwrap()
            .unwrap();
        assert_eq!(kept.secret.0, "stored-secret");
        // Another tenant, or another server (`None`: same_server refused it): typed again.
        assert!(oauth_settings(&edit("fabrikam"), Some(&stored), true).is_err());
        assert!(oauth_settings(&edit("contoso"), None, true).is_err());
        let typed = OAuthForm {
            secret: "new".into(),
            ..edit("fabrikam")
        };
        assert_eq!(
            oauth_settings(&typed, None, true)
                .unwrap()
                .unwrap()
                .secret
                .0,
            "new"
        );
        // A certificate is for Microsoft only (elsewhere it would be sent as a secret).
        let bundle = OAuthForm {
            kind: OAuthKind::Personal,
            secret: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----".into(),
            ..edit("contoso")
        };
        assert!(oauth_settings(&bundle, None, false).is_err());
    }

    #[test]
    fn consents_go_only_to_their_provider_and_client() {
        let personal = stored_as(OAuthKind::Personal);
        let same = personal.oauth.as_ref().unwrap().settings().clone();
        let moved = OAuthSettings {
            token_url: Some("https://elsewhere.example/token".into()),
            ..same.clone()
        };
        assert!(consents_stay(Some(&personal), Some(&personal), Some(&same)));
        assert!(!consents_stay(
            Some(&personal),
            Some(&personal),
            Some(&moved)
        ));
        // Another server (`kept` refused), or no OAuth 2 any more.
        assert!(!consents_stay(Some(&personal), None, Some(&same)));
        assert!(!consents_stay(Some(&personal), Some(&personal), None));
        // Other kinds keep no consents; a new endpoint has none.
        assert!(consents_stay(Some(&stored()), None, None));
        assert!(consents_stay(None, None, Some(&same)));
    }
}
