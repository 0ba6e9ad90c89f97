//! A personal account's consent, asked through its row's link: the link sends the user to the
//! provider (authorization code with PKCE, the user's name as login hint); the provider's answer
//! is exchanged for a refresh token, which is kept sealed only once a sign-in with it opened
//! the row's own mailbox (a consent given with another account is refused).

use chrono::Utc;
use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use app::model::endpoint::OAuthKind;

use crate::db::entity::{batch, mailbox};
use crate::endpoints::EndpointSettings;
use crate::endpoints::store::{self, EndpointStoreError};
use crate::imap::connect::{Credentials, connect, sign_in};
use crate::oauth::{OAuthError, OAuthSettings, grant};
use crate::secrets::{Cipher, EncryptedSecret, Secret, Slot};

#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    #[error("this consent link is not (or no longer) valid")]
    UnknownLink,
    #[error("the source of this mailbox does not ask for consent")]
    NotPersonal,
    #[error("the provider refused: {0}")]
    Refused(String),
    #[error("the endpoint's OAuth 2 settings are not usable: {0}")]
    Settings(String),
    #[error(transparent)]
    Token(#[from] OAuthError),
    #[error("the provider gave no refresh token: allow offline access and try the link again")]
    NoRefreshToken,
    #[error("the consent was given for another account than {user}: {why}")]
    WrongAccount { user: String, why: String },
    #[error(transparent)]
    Store(#[from] EndpointStoreError),
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("a stored secret cannot be opened: {0}")]
    Sealed(String),
}

/// The row of a consent link, and its source endpoint (personal accounts only).
async fn row_and_source(
    db: &DatabaseConnection,
    cipher: &Cipher,
    column: mailbox::Column,
    value: &str,
) -> Result<(mailbox::Model, EndpointSettings, OAuthSettings), ConsentError> {
    let row = mailbox::Entity::find()
        .filter(column.eq(value))
        .one(db)
        .await?
        .ok_or(ConsentError::UnknownLink)?;
    let source_id = batch::find(db, row.batch_id)
        .await?
        .and_then(|b| b.source_endpoint_id)
        .ok_or(ConsentError::UnknownLink)?;
    let source = store::load(db, cipher, source_id).await?;
    let oauth = source
        .oauth
        .as_ref()
        .map(|tokens| tokens.settings().clone())
        .filter(|o| o.kind == OAuthKind::Personal)
        .ok_or(ConsentError::NotPersonal)?;
    Ok((row, source, oauth))
}

/// Where the link `code` sends its user: the provider's consent page, with a new state and
/// PKCE challenge kept on the row (a later link replaces an earlier one).
pub async fn begin(
    db: &DatabaseConnection,
    cipher: &Cipher,
    code: &str,
    redirect_uri: &str,
) -> Result<String, ConsentError> {
    let (row, _, oauth) = row_and_source(db, cipher, mailbox::Column::ConsentCode, code).await?;
    let bad = |e: oauth2::url::ParseError| ConsentError::Settings(format!("a URL: {e}"));
    let auth_url =
        AuthUrl::new(oauth.authorization_url.clone().unwrap_or_default()).map_err(bad)?;
    let client = BasicClient::new(ClientId::new(oauth.client_id.clone().unwrap_or_default()))
        .set_auth_uri(auth_url)
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(bad)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let scopes = oauth
        .scope
        .as_deref()
        .unwrap_or_default()
        .split_whitespace();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(scopes.map(|s| Scope::new(s.to_string())))
        .set_pkce_challenge(challenge)
        // Google gives a refresh token only for offline access asked with consent.
        .add_extra_param("access_type", "offline")
        .add_extra_param("prompt", "consent")
        .add_extra_param("login_hint", &row.source_username)
        .url();
    let slot = Slot::MailboxConsent {
        batch_id: row.batch_id,
        email: &row.email_address,
    };
    let sealed = cipher.encrypt(verifier.secret(), &slot).0;
    mailbox::Entity::update_many()
        .col_expr(
            mailbox::Column::ConsentState,
            Expr::value(state.secret().clone()),
        )
        .col_expr(mailbox::Column::ConsentVerifier, Expr::value(sealed))
        .filter(mailbox::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    Ok(url.to_string())
}

/// The provider's answer to the consent under way with `state`: its code exchanged, the token
/// proven on the row's own mailbox, the refresh token sealed on the row. Returns the user.
pub async fn finish(
    db: &DatabaseConnection,
    cipher: &Cipher,
    state: &str,
    answer: Result<&str, &str>,
    redirect_uri: &str,
) -> Result<String, ConsentError> {
    let (row, source, oauth) =
        row_and_source(db, cipher, mailbox::Column::ConsentState, state).await?;
    // One answer per request: whatever comes of it, the state is spent.
    if !forget_request(db, row.id, state).await? {
        return Err(ConsentError::UnknownLink);
    }
    let code = answer.map_err(|error| ConsentError::Refused(error.to_string()))?;
    let slot = Slot::MailboxConsent {
        batch_id: row.batch_id,
        email: &row.email_address,
    };
    let sealed = row.consent_verifier.clone().unwrap_or_default();
    let verifier = cipher
        .decrypt(&EncryptedSecret(sealed), &slot)
        .map_err(|e| ConsentError::Sealed(e.to_string()))?;
    let http = grant::http_client(crate::oauth::TOKEN_TIMEOUT);
    let client_id = oauth.client_id.clone().unwrap_or_default();
    let token_url = oauth.token_url(None);
    let issued = grant::exchange_code(
        &http,
        (&client_id, &oauth.secret, &token_url),
        code,
        &Secret(verifier),
        redirect_uri,
    )
    .await?;
    let refresh = issued.refresh_token.ok_or(ConsentError::NoRefreshToken)?;
    prove_own_mailbox(&source, &row.source_username, &issued.access_token).await?;
    store_refresh_token(db, cipher, &row, &refresh).await?;
    mailbox::Entity::update_many()
        .col_expr(mailbox::Column::ConsentedAt, Expr::value(Utc::now()))
        .filter(mailbox::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    tracing::info!(mailbox = row.id, batch = row.batch_id, "consent given");
    Ok(row.source_username)
}

/// Spends the request `state` of row `id`; false when another answer spent it first (or a
/// newer request replaced it).
async fn forget_request(db: &DatabaseConnection, id: i64, state: &str) -> Result<bool, DbErr> {
    let spent = mailbox::Entity::update_many()
        .col_expr(mailbox::Column::ConsentState, Expr::value(None::<String>))
        .col_expr(
            mailbox::Column::ConsentVerifier,
            Expr::value(None::<String>),
        )
        .filter(mailbox::Column::Id.eq(id))
        .filter(mailbox::Column::ConsentState.eq(state))
        .exec(db)
        .await?;
    Ok(spent.rows_affected == 1)
}

/// Forgets every consent given for the source `endpoint_id`'s rows (its provider or client
/// changed: their refresh tokens must not go to the new one).
pub(crate) async fn forget_consents_of_source(
    db: &DatabaseConnection,
    endpoint_id: i64,
) -> Result<(), DbErr> {
    use sea_orm::QuerySelect;
    let batches = batch::Entity::find()
        .filter(batch::Column::SourceEndpointId.eq(endpoint_id))
        .select_only()
        .column(batch::Column::Id)
        .into_tuple::<i64>()
        .all(db)
        .await?;
    mailbox::Entity::update_many()
        .col_expr(mailbox::Column::RefreshSecret, Expr::value(None::<String>))
        .col_expr(
            mailbox::Column::ConsentedAt,
            Expr::value(None::<chrono::DateTime<Utc>>),
        )
        .col_expr(mailbox::Column::ConsentState, Expr::value(None::<String>))
        .col_expr(
            mailbox::Column::ConsentVerifier,
            Expr::value(None::<String>),
        )
        .filter(mailbox::Column::BatchId.is_in(batches))
        .exec(db)
        .await?;
    tracing::info!(
        endpoint = endpoint_id,
        "its provider changed: consents forgotten"
    );
    Ok(())
}

/// Signs in as `user` with the new token: the server refuses a token of another account.
async fn prove_own_mailbox(
    source: &EndpointSettings,
    user: &str,
    token: &Secret,
) -> Result<(), ConsentError> {
    let wrong = |e: crate::imap::ImapError| ConsentError::WrongAccount {
        user: user.to_string(),
        why: e.to_string(),
    };
    let mut session = connect(&source.address(), "consent").await.map_err(wrong)?;
    let credentials = Credentials::XOAuth2 {
        user: user.to_string(),
        token: token.0.clone(),
    };
    sign_in(&mut session, &credentials).await.map_err(wrong)?;
    session.logout().await;
    Ok(())
}

/// Seals `refresh` for the row (a consent, or the provider's replacement of it).
pub async fn store_refresh_token(
    db: &DatabaseConnection,
    cipher: &Cipher,
    row: &mailbox::Model,
    refresh: &Secret,
) -> Result<(), DbErr> {
    let slot = Slot::MailboxRefresh {
        batch_id: row.batch_id,
        email: &row.email_address,
    };
    let sealed = cipher.encrypt(&refresh.0, &slot).0;
    mailbox::Entity::update_many()
        .col_expr(mailbox::Column::RefreshSecret, Expr::value(sealed))
        .filter(mailbox::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives the row's refresh token (if its user consented) to its endpoint's token source.
pub(crate) fn remember_consent(cipher: &Cipher, source: &EndpointSettings, row: &mailbox::Model) {
    let (Some(tokens), Some(sealed)) = (&source.oauth, &row.refresh_secret) else {
        return;
    };
    let slot = Slot::MailboxRefresh {
        batch_id: row.batch_id,
        email: &row.email_address,
    };
    match cipher.decrypt(&EncryptedSecret(sealed.clone()), &slot) {
        Ok(refresh) => tokens.remember_refresh_token(&row.source_username, Secret(refresh)),
        Err(e) => tracing::warn!(mailbox = row.id, error = %e, "a stored consent cannot be opened"),
    }
}

/// Stores the refresh token the provider gave the row's user in place of its own, if it did.
/// A failure is logged: the mailbox's outcome matters more, and the old token may still work.
pub(crate) async fn keep_replaced_token(
    db: &DatabaseConnection,
    cipher: &Cipher,
    source: &EndpointSettings,
    row: &mailbox::Model,
) {
    let replaced = source
        .oauth
        .as_ref()
        .and_then(|tokens| tokens.take_replaced_refresh_token(&row.source_username));
    if let Some(refresh) = replaced
        && let Err(e) = store_refresh_token(db, cipher, row, &refresh).await
    {
        tracing::warn!(mailbox = row.id, error = %e, "the provider's new refresh token was not stored");
    }
}
