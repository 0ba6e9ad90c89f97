//! OAuth 2 without per-user passwords (#18): Mailferry gets each user's token itself — a
//! Google service account's JWT bearer grant, a Microsoft 365 app's client credentials — and
//! signs in with XOAUTH2 on real Dovecot servers whose `oauth2` passdb asks the test bed's token
//! server about every token. Tokens really expire; the provider's refusals each fail their own
//! mailbox with their kind; a source admin moves mailboxes without passwords too.

mod apps;
mod cli;
#[path = "../common/mod.rs"]
mod common;
mod personal;
mod rotation;
mod service_accounts;

use std::sync::Arc;
use std::time::Duration;

use app::model::endpoint::OAuthKind;
use mailferry::batches::run_batch::{MailboxFinished, RunSettings, run_batch};
use mailferry::db::entity::migration_error;
use mailferry::endpoints::EndpointSettings;
use mailferry::engine::retry::RetryPolicy;
use mailferry::oauth::{OAuthSettings, TokenSource};
use mailferry::secrets::{Cipher, Secret};
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Dovecot, DovecotOptions, OAuth2Check, TokenServer};
use sea_orm::EntityTrait;

pub(crate) const APP: &str = "mailferry-app";
pub(crate) const APP_SECRET: &str = "app-secret-value";

/// `count` messages of 4 KB in INBOX and in Archive/2024 of `user` on `server`.
pub(crate) async fn seed(server: &Dovecot, user: &str, count: u64, salt: u64) {
    let folder = |name: &str, base: u64| FolderSpec {
        name: name.into(),
        messages: (0..count)
            .map(|m| MessageSpec {
                bytes: message(salt * 10_000 + base + m, 4_000, None),
                flags: if m % 3 == 0 {
                    vec!["\\Seen".into()]
                } else {
                    vec![]
                },
                internaldate: None,
            })
            .collect(),
    };
    let spec = MailboxSpec {
        folders: vec![
            folder("INBOX", 0),
            folder("Archive", 500),
            folder("Archive/2024", 1000),
        ],
    };
    seed_mailbox(server, user, &spec).await.unwrap();
}

/// The destination: the test bed's master user signs in on the users' behalf.
pub(crate) fn plain_destination() -> Dovecot {
    Dovecot::start(DovecotOptions {
        name: "destination",
        ..DovecotOptions::default()
    })
    .unwrap()
}

/// `users` on both servers, `count` messages per folder on the source (salted by `salt` and
/// the user's place). Their passwords exist for seeding; Mailferry never gets them.
pub(crate) async fn users_with_mail(
    (source, destination): (&mut Dovecot, &mut Dovecot),
    users: &[&str],
    count: u64,
    salt: u64,
) {
    for (i, user) in users.iter().enumerate() {
        source.add_user(user, "unknown-to-mailferry").unwrap();
        destination.add_user(user, "pw").unwrap();
        seed(source, user, count, salt + i as u64).await;
    }
}

/// A Dovecot that takes XOAUTH2 tokens checked by `tokens`.
pub(crate) fn oauth_dovecot(
    name: &str,
    tokens: &TokenServer,
    per_domain: bool,
    imap_disabled: &[&str],
) -> Dovecot {
    let url = tokens.introspection_url();
    Dovecot::start(DovecotOptions {
        name,
        oauth2: Some(OAuth2Check {
            introspection_url: &url,
            per_domain,
            imap_disabled,
        }),
        ..DovecotOptions::default()
    })
    .unwrap()
}

pub(crate) fn with_oauth(
    mut endpoint: EndpointSettings,
    settings: OAuthSettings,
) -> EndpointSettings {
    endpoint.admin_user = None;
    endpoint.admin_password = Secret::default();
    endpoint.oauth = Some(Arc::new(TokenSource::new(
        settings,
        Duration::from_secs(10),
    )));
    endpoint
}

/// A service account's key; the key names the token URL (the endpoint's own is left empty).
pub(crate) fn google(key_json: &str) -> OAuthSettings {
    OAuthSettings {
        kind: OAuthKind::Google,
        client_id: None,
        tenant: None,
        token_url: None,
        authorization_url: None,
        scope: None,
        secret: Secret(key_json.into()),
    }
}

/// The app's client credentials; the token URL set as for a sovereign cloud (the test bed's).
pub(crate) fn microsoft(tokens: &TokenServer, secret: &str) -> OAuthSettings {
    OAuthSettings {
        kind: OAuthKind::Microsoft,
        client_id: Some(APP.into()),
        tenant: Some("example.test".into()),
        token_url: Some(tokens.token_url()),
        authorization_url: None,
        scope: None,
        secret: Secret(secret.into()),
    }
}

pub(crate) fn settings() -> RunSettings {
    RunSettings {
        retry: RetryPolicy {
            retries: 30,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(300),
        },
        ..RunSettings::with_concurrency(4)
    }
}

pub(crate) async fn run(
    db: &sea_orm::DatabaseConnection,
    cipher: &Cipher,
    id: i64,
) -> Vec<MailboxFinished> {
    let finished = std::sync::Mutex::new(Vec::new());
    run_batch(db, cipher, id, settings(), |event| {
        if let Some(done) = event.finished() {
            finished.lock().unwrap().push(done.clone())
        }
    })
    .await
    .unwrap();
    finished.into_inner().unwrap()
}

pub(crate) fn of<'a>(finished: &'a [MailboxFinished], user: &str) -> &'a MailboxFinished {
    finished.iter().find(|d| d.email == user).unwrap()
}

/// No error the batch stored holds a key, a secret or a token.
pub(crate) async fn assert_no_secret_stored(db: &sea_orm::DatabaseConnection) {
    for e in migration_error::Entity::find().all(db).await.unwrap() {
        let text = format!("{e:?}");
        for secret in ["PRIVATE KEY", "ya29.test", "1//refresh-", APP_SECRET] {
            assert!(!text.contains(secret), "a secret in an error: {text}");
        }
    }
}

pub(crate) const FOLDERS: [&str; 3] = ["INBOX", "Archive", "Archive/2024"];
