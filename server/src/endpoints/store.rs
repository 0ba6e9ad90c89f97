//! Saving and loading endpoints; the admin password goes through the cipher both ways.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

use app::model::endpoint::{AuthMechanism, Impersonation, Security};

use super::settings::{EndpointRole, EndpointSettings};
use crate::config::Secret;
use crate::db::entity::endpoint;
use crate::secrets::{Cipher, EncryptedSecret};

#[derive(Debug, thiserror::Error)]
pub enum EndpointStoreError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("endpoint {0} not found")]
    NotFound(i32),
    #[error("endpoint {id}: {what}")]
    Corrupt { id: i32, what: String },
}

/// Saves under `settings.name`, replacing an endpoint of that name. Returns its id.
pub async fn save(
    db: &DatabaseConnection,
    cipher: &Cipher,
    settings: &EndpointSettings,
) -> Result<i32, EndpointStoreError> {
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
    id: i32,
    settings: &EndpointSettings,
) -> Result<i32, EndpointStoreError> {
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
) -> Result<i32, EndpointStoreError> {
    let now = Utc::now();
    let secret = (!settings.admin_password.0.is_empty())
        .then(|| cipher.encrypt(&settings.admin_password.0).0);
    let mut model = match existing {
        Some(found) => found.into(),
        None => endpoint::ActiveModel {
            created_at: Set(now),
            ..Default::default()
        },
    };
    model.name = Set(settings.name.clone());
    model.role = Set(settings.role.as_str().into());
    model.host = Set(settings.host.clone());
    model.port = Set(settings.port.into());
    model.security = Set(settings.security.as_str().into());
    model.auth_mechanism = Set(settings.auth_mechanism.as_str().into());
    model.admin_user = Set(settings.admin_user.clone());
    model.admin_secret = Set(secret);
    model.impersonation = Set(settings.impersonation.as_str().into());
    model.tls_ca_pem = Set(settings.tls_ca_pem.clone());
    model.insecure_skip_verify = Set(settings.insecure_skip_verify);
    model.max_concurrent = Set(settings.max_concurrent as i32);
    model.updated_at = Set(now);
    let saved = model.save(db).await?;
    Ok(saved.id.unwrap())
}

pub async fn load(
    db: &DatabaseConnection,
    cipher: &Cipher,
    id: i32,
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
            .decrypt(&EncryptedSecret(stored.clone()))
            .map_err(|e| corrupt(&e.to_string()))?,
        None => String::new(),
    };
    Ok(EndpointSettings {
        name: model.name,
        role: if model.role == "source" {
            EndpointRole::Source
        } else {
            EndpointRole::Destination
        },
        host: model.host,
        port: u16::try_from(model.port).map_err(|_| corrupt("port out of range"))?,
        security: Security::parse(&model.security).ok_or_else(|| corrupt("unknown security"))?,
        auth_mechanism: AuthMechanism::parse(&model.auth_mechanism)
            .ok_or_else(|| corrupt("unknown sign-in mechanism"))?,
        impersonation: Impersonation::parse(&model.impersonation)
            .ok_or_else(|| corrupt("unknown impersonation"))?,
        admin_user: model.admin_user,
        admin_password: Secret(admin_password),
        tls_ca_pem: model.tls_ca_pem,
        insecure_skip_verify: model.insecure_skip_verify,
        max_concurrent: model.max_concurrent.max(1) as u32,
        timeout: Duration::from_secs(60),
    })
}
