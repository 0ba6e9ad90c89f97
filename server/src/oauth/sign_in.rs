//! How one side of a mailbox signs in: the same credentials every time, or a bearer token
//! (XOAUTH2) that the endpoint's provider issues, renewed and tried once more when the server
//! refuses it (a mailbox that outlives its token reconnects with a new one).

use std::sync::Arc;

use super::error::OAuthError;
use super::token_cache::TokenSource;
use crate::imap::connect::{Credentials, ServerAddress, connect, sign_in};
use crate::imap::{ImapError, ImapSession};

#[derive(Clone)]
pub enum SignIn {
    /// A password, or an admin acting for the user.
    Fixed(Credentials),
    /// A token for `user` from the endpoint's provider.
    Token {
        user: String,
        tokens: Arc<TokenSource>,
    },
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignIn::Fixed(credentials) => credentials.fmt(f),
            SignIn::Token { user, .. } => write!(f, "OAuth2({user})"),
        }
    }
}

impl From<Credentials> for SignIn {
    fn from(credentials: Credentials) -> Self {
        SignIn::Fixed(credentials)
    }
}

/// A sign-in that failed: the server refused, or no token came.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error(transparent)]
    Token(#[from] OAuthError),
}

impl SignIn {
    /// The user an admin signs in for (then proven to be the session's user).
    pub fn acts_for(&self) -> Option<&str> {
        match self {
            SignIn::Fixed(credentials) => credentials.acts_for(),
            SignIn::Token { .. } => None,
        }
    }

    /// The user whose mailbox the session opens.
    pub fn mailbox_user(&self) -> &str {
        match self {
            SignIn::Fixed(credentials) => credentials.mailbox_user(),
            SignIn::Token { user, .. } => user,
        }
    }

    /// Signs `session` in; a refused token is renewed and tried once more on the same session.
    pub async fn sign_in(&self, session: &mut ImapSession) -> Result<(), SignInError> {
        let (user, tokens) = match self {
            SignIn::Fixed(credentials) => return Ok(sign_in(session, credentials).await?),
            SignIn::Token { user, tokens } => (user, tokens),
        };
        let token = tokens.token_for(user).await?;
        let with = |token: &crate::secrets::Secret| Credentials::XOAuth2 {
            user: user.clone(),
            token: token.0.clone(),
        };
        match sign_in(session, &with(&token)).await {
            Err(ImapError::No { .. }) => {
                tracing::info!(user, "token refused; asking the provider for a new one");
                let renewed = tokens.renewed_token_for(user, &token).await?;
                Ok(sign_in(session, &with(&renewed)).await?)
            }
            other => Ok(other?),
        }
    }
}

/// Connects and signs in, in one step.
pub async fn open(
    address: &ServerAddress,
    how: &SignIn,
    label: &str,
) -> Result<ImapSession, SignInError> {
    let mut session = connect(address, label).await?;
    how.sign_in(&mut session).await?;
    Ok(session)
}
