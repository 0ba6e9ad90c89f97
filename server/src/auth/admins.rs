//! Creating and checking administrators.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set, TransactionTrait,
};

use super::{password_hash, password_policy};
use crate::db::entity::{admin, setting};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("password {0}")]
    WeakPassword(String),
    #[error("user name must be 1 to 64 letters, digits or . _ @ -")]
    BadUsername,
    #[error("an administrator already exists")]
    AlreadySetUp,
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub async fn count(db: &DatabaseConnection) -> Result<u64, DbErr> {
    admin::Entity::find().count(db).await
}

pub(crate) fn valid_username(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "._@-".contains(c))
}

/// Creates the first administrator; refused when one exists already.
pub async fn create_first(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
) -> Result<admin::Model, AdminError> {
    if !valid_username(username) {
        return Err(AdminError::BadUsername);
    }
    password_policy::check(password).map_err(AdminError::WeakPassword)?;
    if count(db).await? > 0 {
        return Err(AdminError::AlreadySetUp);
    }
    let hash = password_hash::hash_on_threads(password)
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    // Two set-ups at once: the settings row "first_admin" can be inserted once, so the second
    // transaction fails and creates nobody.
    let txn = db.begin().await?;
    let claimed = setting::ActiveModel {
        key: Set(FIRST_ADMIN_KEY.into()),
        value: Set(serde_json::json!({ "username": username }).to_string()),
        secret: Set(None),
        updated_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await;
    if claimed.is_err() {
        return Err(AdminError::AlreadySetUp);
    }
    let model = insert(&txn, username, hash).await?;
    txn.commit().await.map_err(|_| AdminError::AlreadySetUp)?;
    Ok(model)
}

/// Stores a new administrator with a password hash.
pub(crate) async fn insert(
    db: &impl sea_orm::ConnectionTrait,
    username: &str,
    password_hash: String,
) -> Result<admin::Model, DbErr> {
    admin::ActiveModel {
        username: Set(username.to_string()),
        password_hash: Set(password_hash),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The settings row that marks the first-run set-up as done.
const FIRST_ADMIN_KEY: &str = "first_admin";

/// The longest user name and password a sign-in may bring.
pub const MAX_USERNAME_BYTES: usize = 128;
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// What a sign-in's credentials are.
#[derive(Debug)]
pub enum Checked {
    Admin(admin::Model),
    /// The name is an administrator's, the password is not theirs.
    WrongPassword,
    /// No administrator has the name (or it is longer than any may be).
    UnknownName,
}

/// Checks the credentials; takes the same time whatever the answer (but names and passwords
/// over the limits are refused at once).
pub async fn check(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
) -> Result<Checked, DbErr> {
    // Longer than any real one: refused before the database or a hash is asked.
    if username.len() > MAX_USERNAME_BYTES || password.len() > MAX_PASSWORD_BYTES {
        return Ok(Checked::UnknownName);
    }
    let found = admin::Entity::find()
        .filter(admin::Column::Username.eq(username))
        .one(db)
        .await?;
    let password = password.to_string();
    let priority = match found {
        Some(_) => password_hash::Priority::KnownName,
        None => password_hash::Priority::UnknownName,
    };
    let checked = password_hash::limited(priority, move || match found {
        Some(admin) if password_hash::verify(&password, &admin.password_hash) => {
            Checked::Admin(admin)
        }
        Some(_) => Checked::WrongPassword,
        None => {
            password_hash::verify_dummy(&password);
            Checked::UnknownName
        }
    })
    .await
    .map_err(|e| DbErr::Custom(format!("password check task failed: {e}")))?;
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Over-long credentials are refused before anything is asked: the disconnected database
    /// (which panics when asked) is never reached.
    #[tokio::test]
    async fn over_long_credentials_are_refused_at_once() {
        let nowhere = DatabaseConnection::default();
        let long_name = "a".repeat(MAX_USERNAME_BYTES + 1);
        let long_password = "p".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(matches!(
            check(&nowhere, &long_name, "pw").await,
            Ok(Checked::UnknownName)
        ));
        assert!(matches!(
            check(&nowhere, "admin", &long_password).await,
            Ok(Checked::UnknownName)
        ));
    }
}
