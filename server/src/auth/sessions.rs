//! Browser sessions: a random token in an HttpOnly cookie, its SHA-256 in the database.

use chrono::{Duration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};
use sha2::{Digest, Sha256};

use crate::db::entity::{admin, session};

pub const COOKIE_NAME: &str = "mf_session";
const LIFETIME_HOURS: i64 = 12;

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a new session (a fresh token every sign-in: no session fixation) and returns the token.
pub async fn create(db: &DatabaseConnection, admin_id: i64) -> Result<String, DbErr> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = Utc::now();
    session::ActiveModel {
        token_hash: Set(token_hash(&token)),
        admin_id: Set(admin_id),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(LIFETIME_HOURS)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The admin of a live session.
pub async fn admin_for(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<admin::Model>, DbErr> {
    let Some(found) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if found.expires_at < Utc::now() {
        session::Entity::delete_by_id(found.id).exec(db).await?;
        return Ok(None);
    }
    admin::Entity::find_by_id(found.admin_id).one(db).await
}

pub async fn delete(db: &DatabaseConnection, token: &str) -> Result<(), DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(token_hash(token)))
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
