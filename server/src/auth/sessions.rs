//! Browser sessions: a random token in an HttpOnly cookie, its SHA-256 in the database. A
//! session ends 12 hours after sign-in, or earlier when idle longer than the configured idle
//! time; ended sessions are removed at each sign-in.

use chrono::{Duration, Utc};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    Set,
};
use sha2::{Digest, Sha256};

use crate::db::entity::{admin, session};

pub const COOKIE_NAME: &str = "mf_session";
const LIFETIME_HOURS: i64 = 12;

pub(crate) fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a new session (a fresh token every sign-in: no session fixation) and returns the token;
/// sessions that have ended meanwhile (anyone's) are removed.
/// A new secret token: 256 random bits as hex (only its hash is stored).
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub async fn create(
    db: &DatabaseConnection,
    admin_id: i64,
    idle: std::time::Duration,
) -> Result<String, DbErr> {
    remove_ended(db, idle).await?;
    let token = new_token();
    let now = Utc::now();
    session::ActiveModel {
        token_hash: Set(hash_token(&token)),
        admin_id: Set(admin_id),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(LIFETIME_HOURS)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The last moment a session idle for `idle` may have been used.
fn idle_since(idle: std::time::Duration) -> chrono::DateTime<Utc> {
    Utc::now() - Duration::from_std(idle).unwrap_or(Duration::MAX)
}

/// Whether a session is within its lifetime and has been used within `idle` (the rule
/// `remove_ended` applies in SQL).
fn lasts(s: &session::Model, idle: std::time::Duration) -> bool {
    s.expires_at >= Utc::now() && s.last_seen_at.unwrap_or(s.created_at) >= idle_since(idle)
}

/// Removes the sessions past their lifetime or idle longer than `idle`.
async fn remove_ended(db: &DatabaseConnection, idle: std::time::Duration) -> Result<(), DbErr> {
    let since = idle_since(idle);
    let idle_too_long = Condition::any()
        .add(session::Column::LastSeenAt.lt(since))
        .add(
            Condition::all()
                .add(session::Column::LastSeenAt.is_null())
                .add(session::Column::CreatedAt.lt(since)),
        );
    session::Entity::delete_many()
        .filter(
            Condition::any()
                .add(session::Column::ExpiresAt.lt(Utc::now()))
                .add(idle_too_long),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The admin of a live session (not expired, not idle longer than `idle`); using it counts as
/// activity (written at most every few seconds, not on every request).
pub async fn admin_for(
    db: &DatabaseConnection,
    token: &str,
    idle: std::time::Duration,
) -> Result<Option<admin::Model>, DbErr> {
    let Some(found) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(hash_token(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    let last_seen = found.last_seen_at.unwrap_or(found.created_at);
    if !lasts(&found, idle) {
        session::Entity::delete_by_id(found.id).exec(db).await?;
        return Ok(None);
    }
    let refresh = Duration::from_std(idle / 8)
        .unwrap_or(Duration::MAX)
        .min(Duration::seconds(60));
    if now - last_seen > refresh {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.eq(found.id))
            .exec(db)
            .await?;
    }
    admin::Entity::find_by_id(found.admin_id).one(db).await
}

/// Whether a session lasts, without counting this as its use (an open page does not keep a
/// session alive).
pub async fn is_live(
    db: &DatabaseConnection,
    token: &str,
    idle: std::time::Duration,
) -> Result<bool, DbErr> {
    let found = session::Entity::find()
        .filter(session::Column::TokenHash.eq(hash_token(token)))
        .one(db)
        .await?;
    Ok(found.is_some_and(|s| lasts(&s, idle)))
}

/// Ends every session of an admin ("sign out everywhere").
pub async fn delete_all_of(db: &DatabaseConnection, admin_id: i64) -> Result<u64, DbErr> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::AdminId.eq(admin_id))
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn delete(db: &DatabaseConnection, token: &str) -> Result<(), DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(hash_token(token)))
        .exec(db)
        .await?;
    Ok(())
}

/// The `Set-Cookie` value for a token (`None` clears the cookie).
pub fn cookie(token: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(token) => format!(
            "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            LIFETIME_HOURS * 3600
        ),
        None => format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}

/// The session token from a `Cookie` header.
pub fn token_from_headers(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_string())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_flags_and_parsing() {
        let set = cookie(Some("abc"), true);
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Secure")
        );
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            "theme=dark; mf_session=abc; x=y".parse().unwrap(),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some("abc"));
        headers.insert(http::header::COOKIE, "mf_session=".parse().unwrap());
        assert_eq!(token_from_headers(&headers), None);
    }
}
