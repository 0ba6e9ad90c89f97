//! Which keys the stored secrets were sealed with: a process refuses to start with a fresh or
//! another key while the database holds secrets of a key it does not have, and rotation learns
//! whether its transaction was committed.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use super::EncryptedSecret;
use crate::db::entity::{endpoint, mailbox, setting};

/// The key id of one stored secret (`"v1"` for one sealed before key ids), or `None` when the
/// database holds no secret at all.
pub async fn a_stored_key_id(db: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
    let mailbox: Option<String> = mailbox::Entity::find()
        .select_only()
        .column(mailbox::Column::SourceSecret)
        .into_tuple()
        .one(db)
        .await?;
    let endpoint: Option<Option<String>> = endpoint::Entity::find()
        .select_only()
        .column(endpoint::Column::AdminSecret)
        .filter(endpoint::Column::AdminSecret.is_not_null())
        .into_tuple()
        .one(db)
        .await?;
    let oauth: Option<Option<String>> = endpoint::Entity::find()
        .select_only()
        .column(endpoint::Column::OauthSecret)
        .filter(endpoint::Column::OauthSecret.is_not_null())
        .into_tuple()
        .one(db)
        .await?;
    let setting: Option<Option<String>> = setting::Entity::find()
        .select_only()
        .column(setting::Column::Secret)
        .filter(setting::Column::Secret.is_not_null())
        .into_tuple()
        .one(db)
        .await?;
    let stored = mailbox
        .or(endpoint.flatten())
        .or(oauth.flatten())
        .or(setting.flatten());
    Ok(stored.map(|text| {
        let text = EncryptedSecret(text);
        text.key_id().unwrap_or("v1").to_string()
    }))
}

/// Whether any stored secret was sealed with `key_id` (`"v1"`: without a key id).
pub async fn any_sealed_with(db: &impl ConnectionTrait, key_id: &str) -> Result<bool, DbErr> {
    let prefix = if key_id == "v1" {
        "v1:%".to_string()
    } else {
        format!("v2:{key_id}:%")
    };
    let mailboxes = mailbox::Entity::find()
        .filter(
            Condition::any()
                .add(mailbox::Column::SourceSecret.like(&prefix))
                .add(mailbox::Column::DestinationSecret.like(&prefix))
                .add(mailbox::Column::RefreshSecret.like(&prefix))
                .add(mailbox::Column::ConsentVerifier.like(&prefix)),
        )
        .select_only()
        .column(mailbox::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    let endpoints = endpoint::Entity::find()
        .filter(
            Condition::any()
                .add(endpoint::Column::AdminSecret.like(&prefix))
                .add(endpoint::Column::OauthSecret.like(&prefix)),
        )
        .select_only()
        .column(endpoint::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    let settings = setting::Entity::find()
        .filter(setting::Column::Secret.like(&prefix))
        .select_only()
        .column(setting::Column::Key)
        .into_tuple::<String>()
        .one(db)
        .await?;
    Ok(mailboxes.is_some() || endpoints.is_some() || settings.is_some())
}
