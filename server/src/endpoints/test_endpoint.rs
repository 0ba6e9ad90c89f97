//! The "test" action of an endpoint: connect, read the capabilities, name the server (its
//! provider profile), and prove the admin credentials, reporting all that or a typed error.

use app::ErrorKind;
use app::model::provider::ProviderProfile;

use super::settings::{EndpointRole, EndpointSettings};
use crate::engine::classify::{Stage, classify};
use crate::imap::ImapError;
use crate::imap::connect::{connect, sign_in};
use crate::imap::provider;
use crate::imap::response_code::ResponseCode;
use crate::oauth::sign_in::SignInError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndpointTest {
    /// Reached; `capabilities` as announced after sign-in where the admin signed in, else before.
    Ok {
        capabilities: Vec<String>,
        note: String,
        /// The server as detected from its greeting, capabilities and ID.
        profile: ProviderProfile,
    },
    Failed {
        kind: ErrorKind,
        detail: String,
    },
}

/// A mailbox name no one has: impersonating it proves the admin's password without opening a
/// real mailbox (Dovecot treats authzid = authcid as a plain login, so the admin's own name
/// would not do).
pub const PROBE_USER: &str = "mailferry-endpoint-test";

/// Tests the endpoint. With an admin, signs in on behalf of `probe_user` (default
/// [`PROBE_USER`]): a server that accepts the admin's password but has no such mailbox answers
/// `[AUTHORIZATIONFAILED]`, which proves the credentials all the same.
pub async fn test_endpoint(settings: &EndpointSettings, probe_user: Option<&str>) -> EndpointTest {
    let (connect_stage, sign_in_stage) = match settings.role {
        EndpointRole::Source => (Stage::SourceConnect, Stage::SourceSignIn),
        EndpointRole::Destination => (Stage::DestinationConnect, Stage::DestinationSignIn),
    };
    let mut session = match connect(&settings.address(), settings.role.as_str()).await {
        Ok(session) => session,
        Err(e) => {
            return EndpointTest::Failed {
                kind: classify(connect_stage, &e),
                detail: e.to_string(),
            };
        }
    };
    if let Err(e) = session.refresh_capabilities().await {
        return EndpointTest::Failed {
            kind: classify(connect_stage, &e),
            detail: e.to_string(),
        };
    }
    // ID names the software where the greeting does not; a server that refuses it is still
    // known by its greeting.
    let profile = match provider::identify(&mut session).await {
        Ok(profile) => profile,
        Err(_) => provider::of_session(&session),
    };
    let before: Vec<String> = sorted(session.capabilities().iter().cloned().collect());
    if let Some(tokens) = &settings.oauth {
        return match probe_user {
            Some(probe) => {
                with_token(session, tokens, probe, (before, profile), sign_in_stage).await
            }
            None => {
                session.logout().await;
                token_only(tokens, before, profile).await
            }
        };
    }
    let Some(admin) = settings.admin_user.as_deref() else {
        session.logout().await;
        return EndpointTest::Ok {
            capabilities: before,
            note: "connected; users sign in with their own passwords".into(),
            profile,
        };
    };
    let probe = probe_user.unwrap_or(PROBE_USER);
    match sign_in(&mut session, &settings.credentials_for(probe, None)).await {
        Ok(()) => {
            let after = sorted(session.capabilities().iter().cloned().collect());
            session.logout().await;
            EndpointTest::Ok {
                capabilities: after,
                note: format!("signed in as {admin} for {probe}"),
                profile,
            }
        }
        Err(ImapError::No {
            code: Some(ResponseCode::AuthorizationFailed),
            ..
        }) => {
            session.logout().await;
            EndpointTest::Ok {
                capabilities: before,
                note: format!(
                    "the admin credentials were accepted; there is no mailbox {probe} to open"
                ),
                profile,
            }
        }
        Err(e) => EndpointTest::Failed {
            kind: classify(sign_in_stage, &e),
            detail: e.to_string(),
        },
    }
}

/// Without a user to sign in for: whether the provider issues a token (Google: for a made-up
/// user, which proves the key when it answers "no such user"); personal accounts have none
/// before a user's consent, so only the server's XOAUTH2 is looked at.
async fn token_only(
    tokens: &crate::oauth::TokenSource,
    capabilities: Vec<String>,
    profile: ProviderProfile,
) -> EndpointTest {
    let kind = tokens.settings().kind;
    let offers = capabilities
        .iter()
        .any(|c| c.eq_ignore_ascii_case("AUTH=XOAUTH2"));
    let note = match kind {
        app::model::endpoint::OAuthKind::Personal => format!(
            "connected; users consent through their rows' links (the server {} XOAUTH2)",
            if offers {
                "offers"
            } else {
                "does not announce"
            }
        ),
        _ => match tokens.token_for(PROBE_USER).await {
            Ok(_) => "the provider issued a token: its key or secret works".to_string(),
            Err(e) if e.kind() == ErrorKind::OAuthUserUnknown => {
                "the provider accepted the key (the sign-in is tried per mailbox)".to_string()
            }
            Err(e) => {
                return EndpointTest::Failed {
                    kind: e.kind(),
                    detail: e.to_string(),
                };
            }
        },
    };
    EndpointTest::Ok {
        capabilities,
        note,
        profile,
    }
}

/// Asks the endpoint's provider for `probe`'s token and signs in with it. A provider that
/// accepted the key or secret but knows no such user has proven the key all the same.
async fn with_token(
    mut session: crate::imap::ImapSession,
    tokens: &std::sync::Arc<crate::oauth::TokenSource>,
    probe: &str,
    (before, profile): (Vec<String>, ProviderProfile),
    sign_in_stage: Stage,
) -> EndpointTest {
    let how = crate::oauth::SignIn::Token {
        user: probe.into(),
        tokens: tokens.clone(),
    };
    match how.sign_in(&mut session).await {
        Ok(()) => {
            let after = sorted(session.capabilities().iter().cloned().collect());
            session.logout().await;
            EndpointTest::Ok {
                capabilities: after,
                note: format!("signed in for {probe} with a token from the OAuth 2 provider"),
                profile,
            }
        }
        Err(SignInError::Token(e)) if e.kind() == ErrorKind::OAuthUserUnknown => {
            session.logout().await;
            EndpointTest::Ok {
                capabilities: before,
                note: format!("the provider accepted the key; it knows no user {probe}"),
                profile,
            }
        }
        Err(e) => EndpointTest::Failed {
            kind: crate::engine::classify::classify_sign_in(&e, sign_in_stage, sign_in_stage),
            detail: e.to_string(),
        },
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}
