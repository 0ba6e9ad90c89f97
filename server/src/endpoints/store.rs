//! Saving and loading endpoints; the admin password goes through the cipher both ways.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

use super::settings::EndpointSettings;
use crate::db::entity::endpoint;
use crate::oauth::{OAuthSettings, TOKEN_TIMEOUT, TokenSource};
use crate::secrets::Secret;
use crate::secrets::{Cipher, EncryptedSecret, Slot};

#[derive(Debug, thiserror::Error)]
pub enum EndpointStoreError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("endpoint {0} not found")]
    NotFound(i64),
    #[error("endpoint {id}: {what}")]
    Corrupt { id: i64, what: String },
}

/// Saves under `settings.name`, replacing an endpoint of that name. Returns its id.
pub async fn save(
    db: &DatabaseConnection,
    cipher: &Cipher,
    settings: &EndpointSettings,
) -> Result<i64, EndpointStoreError> {
    let existing = endpoint::Entity::find()
        .filter(endpoint::Column::Name.eq(&settings.name))
        .one(db)
        .await?;
    write(db, cipher, existing, settings).await
}

/// Saves over the endpoint `id` (an edit, which may rename it).
pub async fn save_by_id(
    db: &DatabaseConnection,
    cipher: &Cipher,
    id: i64,
    settings: &EndpointSettings,
) -> Result<i64, EndpointStoreError> {
    let existing = endpoint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(EndpointStoreError::NotFound(id))?;
    write(db, cipher, Some(existing), settings).await
}

async fn write(
    db: &DatabaseConnection,
    cipher: &Cipher,
    existing: Option<endpoint::Model>,
    settings: &EndpointSettings,
) -> Result<i64, EndpointStoreError> {
    let now = Utc::now();
    // Sealed for the endpoint's row: a new endpoint gets its id first, then its secret.
    let id = existing.as_ref().map(|e| e.id);
    let seal = |endpoint_id| {
        (!settings.admin_password.0.is_empty()).then(|| {
            cipher
                .encrypt(
                    &settings.admin_password.0,
                    &Slot::EndpointAdmin { endpoint_id },
                )
                .0
        })
    };
    let mut model = match existing {
        Some(found) => found.into(),
        None => endpoint::ActiveModel {
            created_at: Set(now),
            ..Default::default()
        },
    };
    model.name = Set(settings.name.clone());
    model.role = Set(settings.role);
    model.host = Set(settings.host.clone());
    model.port = Set(settings.port.into());
    model.security = Set(settings.security);
    model.auth_mechanism = Set(settings.auth_mechanism);
    model.admin_user = Set(settings.admin_user.clone());
    model.admin_secret = Set(id.and_then(seal));
    model.impersonation = Set(settings.impersonation);
    model.tls_ca_pem = Set(settings.tls_ca_pem.clone());
    model.insecure_skip_verify = Set(settings.insecure_skip_verify);
    model.max_concurrent = Set(i32::try_from(settings.max_concurrent).unwrap_or(i32::MAX));
    model.updated_at = Set(now);
    let oauth = settings.oauth.as_ref().map(|tokens| tokens.settings());
    let seal_oauth = |endpoint_id| {
        oauth.filter(|o| !o.secret.0.is_empty()).map(|o| {
            cipher
                .encrypt(&o.secret.0, &Slot::EndpointOAuth { endpoint_id })
                .0
        })
    };
    model.oauth_kind = Set(oauth.map(|o| o.kind).unwrap_or_default());
    model.oauth_client_id = Set(oauth.and_then(|o| o.client_id.clone()));
    model.oauth_tenant = Set(oauth.and_then(|o| o.tenant.clone()));
    model.oauth_token_url = Set(oauth.and_then(|o| o.token_url.clone()));
    model.oauth_authorization_url = Set(oauth.and_then(|o| o.authorization_url.clone()));
    model.oauth_scope = Set(oauth.and_then(|o| o.scope.clone()));
    model.oauth_secret = Set(id.and_then(seal_oauth));
    let saved = model.save(db).await?;
    let saved_id = saved.id.unwrap();
    if id.is_none() {
        endpoint::Entity::update_many()
            .col_expr(endpoint::Column::AdminSecret, Expr::value(seal(saved_id)))
            .col_expr(
                endpoint::Column::OauthSecret,
                Expr::value(seal_oauth(saved_id)),
            )
            .filter(endpoint::Column::Id.eq(saved_id))
            .exec(db)
            .await?;
    }
    Ok(saved_id)
}

/// The stored provider, its secret opened; `None` for an endpoint without OAuth 2.
fn oauth_of(
    cipher: &Cipher,
    model: &endpoint::Model,
) -> Result<Option<OAuthSettings>, EndpointStoreError> {
    if model.oauth_kind == app::model::endpoint::OAuthKind::None {
        return Ok(None);
    }
    let secret = match &model.oauth_secret {
        Some(stored) => cipher
            .decrypt(
                &EncryptedSecret(stored.clone()),
                &Slot::EndpointOAuth {
                    endpoint_id: model.id,
                },
            )
            .map_err(|e| EndpointStoreError::Corrupt {
                id: model.id,
                what: e.to_string(),
            })?,
        None => String::new(),
    };
    Ok(Some(OAuthSettings {
        kind: model.oauth_kind,
        client_id: model.oauth_client_id.clone(),
        tenant: model.oauth_tenant.clone(),
        token_url: model.oauth_token_url.clone(),
        authorization_url: model.oauth_authorization_url.clone(),
        scope: model.oauth_scope.clone(),
        secret: Secret(secret),
    }))
}

pub async fn load(
    db: &DatabaseConnection,
    cipher: &Cipher,
    id: i64,
) -> Result<EndpointSettings, EndpointStoreError> {
    let model = endpoint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(EndpointStoreError::NotFound(id))?;
    let corrupt = |what: &str| EndpointStoreError::Corrupt {
        id,
        what: what.into(),
    };
    let admin_password = match &model.admin_secret {
        Some(stored) => cipher
            .decrypt(
                &EncryptedSecret(stored.clone()),
                &Slot::EndpointAdmin { endpoint_id: id },
            )
            .map_err(|e| corrupt(&e.to_string()))?,
        None => String::new(),
    };
    let oauth = oauth_of(cipher, &model)?;
    Ok(EndpointSettings {
        name: model.name,
        role: model.role,
        host: model.host,
        port: u16::try_from(model.port).map_err(|_| corrupt("port out of range"))?,
        security: model.security,
        auth_mechanism: model.auth_mechanism,
        impersonation: model.impersonation,
        admin_user: model.admin_user,
        admin_password: Secret(admin_password),
        tls_ca_pem: model.tls_ca_pem,
        insecure_skip_verify: model.insecure_skip_verify,
        max_concurrent: u32::try_from(model.max_concurrent.max(1)).unwrap_or(1),
        timeout: Duration::from_secs(60),
        oauth: oauth.map(|o| Arc::new(TokenSource::new(o, TOKEN_TIMEOUT))),
    })
}
