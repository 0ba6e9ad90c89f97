//! Several administrators: the list, adding one with a password, removing one (never the
//! last), changing one's own password.

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::admins::valid_username;
use super::{password_hash, password_policy};
use crate::db::entity::{admin, admin_invite, session};

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("user name must be 1 to 64 letters, digits or . _ @ -")]
    BadUsername,
    #[error("{0} is an administrator already, or invited")]
    Taken(String),
    #[error("password {0}")]
    WeakPassword(String),
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("the last administrator cannot be removed")]
    LastAdmin,
    #[error("you cannot remove yourself; another administrator can")]
    Yourself,
    #[error("no such administrator")]
    NotFound,
    #[error(transparent)]
    Hash(#[from] password_hash::HashThreadGone),
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<admin::Model>, DbErr> {
    admin::Entity::find()
        .order_by_asc(admin::Column::Username)
        .all(db)
        .await
}

/// Refuses a name that is not valid, taken by an administrator or by a waiting invitation.
pub(crate) async fn check_new_name(
    db: &impl sea_orm::ConnectionTrait,
    username: &str,
) -> Result<(), TeamError> {
    if !valid_username(username) {
        return Err(TeamError::BadUsername);
    }
    let admin = admin::Entity::find()
        .filter(admin::Column::Username.eq(username))
        .one(db)
        .await?;
    let invited = super::invites::waiting_query()
        .filter(admin_invite::Column::Username.eq(username))
        .one(db)
        .await?;
    match admin.is_some() || invited.is_some() {
        true => Err(TeamError::Taken(username.to_string())),
        false => Ok(()),
    }
}

/// Adds an administrator who signs in with `password`.
pub async fn add(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
) -> Result<admin::Model, TeamError> {
    check_new_name(db, username).await?;
    password_policy::check(password).map_err(TeamError::WeakPassword)?;
    let hash = password_hash::hash_on_threads(password).await?;
    super::admins::insert(db, username, hash)
        .await
        .map_err(|e| taken_or(e, username))
}

/// A unique-name violation is a name taken (by an add at the same moment); anything else is
/// the database's error.
pub(crate) fn taken_or(error: DbErr, username: &str) -> TeamError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            TeamError::Taken(username.to_string())
        }
        _ => TeamError::Db(error),
    }
}

/// Removes administrator `id` and ends their sessions; never the last one, never `me`.
pub async fn remove(db: &DatabaseConnection, me: i64, id: i64) -> Result<String, TeamError> {
    if id == me {
        return Err(TeamError::Yourself);
    }
    let txn = db.begin().await?;
    // Every admin row locked (PostgreSQL): two admins removing each other at once leave one.
    let all: Vec<(i64, String)> = admin::Entity::find()
        .select_only()
        .column(admin::Column::Id)
        .column(admin::Column::Username)
        .lock_exclusive()
        .into_tuple()
        .all(&txn)
        .await?;
    let (_, removed) = all
        .iter()
        .find(|(found, _)| *found == id)
        .cloned()
        .ok_or(TeamError::NotFound)?;
    if all.len() <= 1 {
        return Err(TeamError::LastAdmin);
    }
    session::Entity::delete_many()
        .filter(session::Column::AdminId.eq(id))
        .exec(&txn)
        .await?;
    // Invitations they sent and nobody used yet end with them.
    admin_invite::Entity::delete_many()
        .filter(admin_invite::Column::InvitedBy.eq(removed.as_str()))
        .filter(admin_invite::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    admin::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(removed)
}

/// Changes `me`'s password after checking the current one; other sessions of `me` end.
pub async fn change_password(
    db: &DatabaseConnection,
    me: i64,
    current: &str,
    new: &str,
    keep_session: &str,
) -> Result<(), TeamError> {
    let admin = admin::Entity::find_by_id(me)
        .one(db)
        .await?
        .ok_or(TeamError::NotFound)?;
    let too_long = current.len() > super::admins::MAX_PASSWORD_BYTES;
    if too_long || !password_hash::verify_on_threads(current, &admin.password_hash).await? {
        return Err(TeamError::WrongPassword);
    }
    password_policy::check(new).map_err(TeamError::WeakPassword)?;
    let hash = password_hash::hash_on_threads(new).await?;
    let txn = db.begin().await?;
    admin::Entity::update_many()
        .col_expr(
            admin::Column::PasswordHash,
            sea_orm::sea_query::Expr::value(hash),
        )
        .filter(admin::Column::Id.eq(me))
        .exec(&txn)
        .await?;
    // A password changed because it leaked: the other browsers signed in with it are out.
    session::Entity::delete_many()
        .filter(session::Column::AdminId.eq(me))
        .filter(session::Column::TokenHash.ne(super::sessions::hash_token(keep_session)))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}
