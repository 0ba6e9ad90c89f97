//! One-time invitations: an administrator names a new one and gets a link to pass on; whoever
//! opens it within two days sets a password and is signed in. Only a hash of the link's token
//! is stored, and a link works once.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use super::team::{TeamError, check_new_name, taken_or};
use super::{password_policy, sessions};
use crate::db::entity::{admin, admin_invite};

const VALID_HOURS: i64 = 48;

/// Invites `username`; the path of the link (`/invite/<token>`), shown once.
pub async fn invite(
    db: &DatabaseConnection,
    username: &str,
    invited_by: &str,
) -> Result<String, TeamError> {
    check_new_name(db, username).await?;
    let token = sessions::new_token();
    let now = Utc::now();
    admin_invite::ActiveModel {
        username: Set(username.to_string()),
        token_hash: Set(sessions::hash_token(&token)),
        invited_by: Set(invited_by.to_string()),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(VALID_HOURS)),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(format!("/invite/{token}"))
}

/// The invitations not yet used nor expired.
pub(crate) fn waiting_query() -> sea_orm::Select<admin_invite::Entity> {
    admin_invite::Entity::find()
        .filter(admin_invite::Column::UsedAt.is_null())
        .filter(admin_invite::Column::ExpiresAt.gt(Utc::now()))
}

/// The waiting invitation of `token`, if it is still good.
pub async fn find(
    db: &impl sea_orm::ConnectionTrait,
    token: &str,
) -> Result<Option<admin_invite::Model>, sea_orm::DbErr> {
    if token.len() != 64 {
        return Ok(None);
    }
    waiting_query()
        .filter(admin_invite::Column::TokenHash.eq(sessions::hash_token(token)))
        .one(db)
        .await
}

/// The invitations not yet used nor expired.
pub async fn waiting(db: &DatabaseConnection) -> Result<Vec<admin_invite::Model>, sea_orm::DbErr> {
    waiting_query()
        .order_by_asc(admin_invite::Column::Username)
        .all(db)
        .await
}

/// Accepts the invitation of `token` with `password`: the new administrator, or `NotFound`
/// when the link is unknown, used or expired. Used once, even by two at the same moment.
pub async fn accept(
    db: &DatabaseConnection,
    token: &str,
    password: &str,
) -> Result<admin::Model, TeamError> {
    password_policy::check(password).map_err(TeamError::WeakPassword)?;
    let invite = find(db, token).await?.ok_or(TeamError::NotFound)?;
    let hash = super::password_hash::hash_on_threads(password).await?;
    let txn = db.begin().await?;
    let taken = admin_invite::Entity::update_many()
        .col_expr(admin_invite::Column::UsedAt, Expr::value(Utc::now()))
        .filter(admin_invite::Column::Id.eq(invite.id))
        .filter(admin_invite::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if taken != 1 {
        return Err(TeamError::NotFound);
    }
    let created = super::admins::insert(&txn, &invite.username, hash)
        .await
        .map_err(|e| taken_or(e, &invite.username))?;
    txn.commit().await?;
    Ok(created)
}
