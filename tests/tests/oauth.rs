//! OAuth 2 without per-user passwords (#18): Mailferry gets each user's token itself — a
//! Google service account's JWT bearer grant, a Microsoft 365 app's client credentials — and
//! signs in with XOAUTH2 on real Dovecot servers whose `oauth2` passdb asks the test bed's token
//! server about every token. Tokens really expire; the provider's refusals each fail their own
//! mailbox with their kind; a source admin moves mailboxes without passwords too.

mod common;

use std::sync::Arc;
use std::time::Duration;

use app::ErrorKind;
use app::model::batch::MailboxState;
use app::model::endpoint::OAuthKind;
use mailferry::batches::run_batch::{MailboxFinished, RunSettings, run_batch};
use mailferry::db::entity::migration_error;
use mailferry::endpoints::test_endpoint::{EndpointTest, test_endpoint};
use mailferry::endpoints::{EndpointRole, EndpointSettings};
use mailferry::engine::retry::RetryPolicy;
use mailferry::oauth::{OAuthSettings, TokenSource};
use mailferry::secrets::{Cipher, Secret};
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{
    Dovecot, DovecotOptions, Fault, FaultProxy, MASTER_PASSWORD, MASTER_USER, OAuth2Check,
    TokenServer,
};
use sea_orm::EntityTrait;

const APP: &str = "mailferry-app";
const APP_SECRET: &str = "app-secret-value";

/// `count` messages of 4 KB in INBOX and in Archive/2024 of `user` on `server`.
async fn seed(server: &Dovecot, user: &str, count: u64, salt: u64) {
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

/// A Dovecot that takes XOAUTH2 tokens checked by `tokens`.
fn oauth_dovecot(
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

fn with_oauth(mut endpoint: EndpointSettings, settings: OAuthSettings) -> EndpointSettings {
    endpoint.admin_user = None;
    endpoint.admin_password = Secret::default();
    endpoint.oauth = Some(Arc::new(TokenSource::new(
        settings,
        Duration::from_secs(10),
    )));
    endpoint
}

/// A service account's key; the key names the token URL (the endpoint's own is left empty).
fn google(key_json: &str) -> OAuthSettings {
    OAuthSettings {
        kind: OAuthKind::Google,
        client_id: None,
        tenant: None,
        token_url: None,
        secret: Secret(key_json.into()),
    }
}

/// The app's client credentials; the token URL set as for a sovereign cloud (the test bed's).
fn microsoft(tokens: &TokenServer, secret: &str) -> OAuthSettings {
    OAuthSettings {
        kind: OAuthKind::Microsoft,
        client_id: Some(APP.into()),
        tenant: Some("example.test".into()),
        token_url: Some(tokens.token_url()),
        secret: Secret(secret.into()),
    }
}

fn settings() -> RunSettings {
    RunSettings {
        retry: RetryPolicy {
            retries: 30,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(300),
        },
        ..RunSettings::with_concurrency(4)
    }
}

async fn run(db: &sea_orm::DatabaseConnection, cipher: &Cipher, id: i64) -> Vec<MailboxFinished> {
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

fn of<'a>(finished: &'a [MailboxFinished], user: &str) -> &'a MailboxFinished {
    finished.iter().find(|d| d.email == user).unwrap()
}

/// No error the batch stored holds a key, a secret or a token.
async fn assert_no_secret_stored(db: &sea_orm::DatabaseConnection) {
    for e in migration_error::Entity::find().all(db).await.unwrap() {
        let text = format!("{e:?}");
        for secret in ["PRIVATE KEY", "ya29.test", APP_SECRET] {
            assert!(!text.contains(secret), "a secret in an error: {text}");
        }
    }
}

const FOLDERS: [&str; 3] = ["INBOX", "Archive", "Archive/2024"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_rows_without_passwords_copy_completely_through_expiring_tokens() {
    let users = ["ann@example.test", "ben@example.test"];
    let tokens = TokenServer::start(&users).await.unwrap();
    // Tokens die after 0.2 s while claiming an hour: each reconnect presents a dead token that
    // the cache still holds, which the server refuses; the mailbox goes on with a new one.
    tokens.set_lifetime(Duration::from_millis(200), Duration::from_secs(3600));
    let mut source = oauth_dovecot("source", &tokens, false, &[]);
    let mut destination = Dovecot::start(DovecotOptions {
        name: "destination",
        ..DovecotOptions::default()
    })
    .unwrap();
    for (i, user) in users.iter().enumerate() {
        // The users' passwords exist (for seeding) but Mailferry never gets them.
        source.add_user(user, "unknown-to-mailferry").unwrap();
        destination.add_user(user, "pw").unwrap();
        seed(&source, user, 60, i as u64).await;
    }
    // Every source connection breaks after 300 KB (a mailbox is 720 KB, a folder 240 KB):
    // several reconnects, each with progress.
    let proxy = FaultProxy::start(([127, 0, 0, 1], source.imap_port()).into())
        .await
        .unwrap();
    proxy.set_fault(Fault::CutEveryBytes(300_000));
    let (_dir, db) = common::sqlite().await;
    let cipher = Cipher::new(&[7u8; 32]);
    let source_endpoint = with_oauth(
        common::endpoint(EndpointRole::Source, proxy.port()),
        google(tokens.service_account_json()),
    );
    let csv = "EmailAddress,UserName,Password\nann@example.test,ann@example.test,\nben@example.test,ben@example.test,\n";
    let id = common::stored_batch(
        &db,
        &cipher,
        &source_endpoint,
        &common::endpoint(EndpointRole::Destination, destination.imap_port()),
        csv,
    )
    .await;
    let finished = run(&db, &cipher, id).await;
    for user in users {
        let done = of(&finished, user);
        assert_eq!(done.state, MailboxState::Synced, "{user}: {done:?}");
        common::assert_same_messages(&source, &destination, user, &FOLDERS).await;
        assert!(tokens.issued_for(user) >= 2, "{user}: one token only");
    }
    assert!(
        tokens.expired_presented() >= 1,
        "no dead token was presented: the refusal path did not run"
    );
    assert!(proxy.connections() >= 4, "the cuts forced reconnections");
    assert_no_secret_stored(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_refusals_fail_their_own_mailbox_with_their_kind() {
    // cat's delegation is withdrawn, dan is unknown to the provider, eve has no IMAP access.
    let tokens = TokenServer::start(&["ann@example.test", "cat@example.test", "eve@example.test"])
        .await
        .unwrap();
    tokens.revoke_consent("cat@example.test");
    tokens.disable_imap("eve@example.test");
    let mut source = oauth_dovecot("source", &tokens, false, &["eve@example.test"]);
    let mut destination = Dovecot::start(DovecotOptions {
        name: "destination",
        ..DovecotOptions::default()
    })
    .unwrap();
    let users = [
        "ann@example.test",
        "cat@example.test",
        "dan@example.test",
        "eve@example.test",
    ];
    for user in users {
        source.add_user(user, "unknown-to-mailferry").unwrap();
        destination.add_user(user, "pw").unwrap();
    }
    seed(&source, "ann@example.test", 5, 1).await;
    let (_dir, db) = common::sqlite().await;
    let cipher = Cipher::new(&[8u8; 32]);
    let csv = users
        .iter()
        .fold(String::from("EmailAddress,UserName\n"), |csv, u| {
            csv + &format!("{u},{u}\n")
        });
    let source_endpoint = with_oauth(
        common::endpoint(EndpointRole::Source, source.imap_port()),
        google(tokens.service_account_json()),
    );
    let destination_endpoint = common::endpoint(EndpointRole::Destination, destination.imap_port());
    let id =
        common::stored_batch(&db, &cipher, &source_endpoint, &destination_endpoint, &csv).await;
    let finished = run(&db, &cipher, id).await;
    assert_eq!(
        of(&finished, "ann@example.test").state,
        MailboxState::Synced
    );
    for (user, kind) in [
        ("cat@example.test", ErrorKind::OAuthConsentMissing),
        ("dan@example.test", ErrorKind::OAuthUserUnknown),
        ("eve@example.test", ErrorKind::ImapDisabled),
    ] {
        let done = of(&finished, user);
        let log = source.log_text();
        assert_eq!(done.state, MailboxState::Failed, "{user}: {done:?}\n{log}");
        assert_eq!(
            done.error.as_ref().map(|e| e.0),
            Some(kind),
            "{user}: {done:?}"
        );
    }
    common::assert_same_messages(&source, &destination, "ann@example.test", &FOLDERS).await;
    let destination_endpoint = common::endpoint(EndpointRole::Destination, destination.imap_port());
    refused_endpoints(&tokens, &source, &destination_endpoint, (&db, &cipher)).await;
    assert_no_secret_stored(&db).await;
}

/// A key the provider does not know, and a token URL nobody answers: the batch (of cat, whose
/// row failed before) and the endpoint's Test name the cause.
async fn refused_endpoints(
    tokens: &TokenServer,
    source: &Dovecot,
    destination_endpoint: &EndpointSettings,
    (db, cipher): (&sea_orm::DatabaseConnection, &Cipher),
) {
    let mut wrong_key = with_oauth(
        common::endpoint(EndpointRole::Source, source.imap_port()),
        google(tokens.wrong_key_json()),
    );
    wrong_key.name = "wrong key".into();
    let unreachable = OAuthSettings {
        token_url: Some(format!(
            "http://127.0.0.1:{}/token",
            mailferry_tests::free_port()
        )),
        ..google(tokens.service_account_json())
    };
    let mut no_provider = with_oauth(
        common::endpoint(EndpointRole::Source, source.imap_port()),
        unreachable,
    );
    no_provider.name = "no provider".into();
    for (endpoint, kind) in [
        (&wrong_key, ErrorKind::OAuthInvalidClient),
        (&no_provider, ErrorKind::TokenEndpointUnreachable),
    ] {
        // A failed row of the first batch may go to a new one.
        let csv = "EmailAddress,UserName\ncat@example.test,cat@example.test\n";
        let id = common::stored_batch(db, cipher, endpoint, destination_endpoint, csv).await;
        let finished = run(db, cipher, id).await;
        let done = of(&finished, "cat@example.test");
        assert_eq!(
            done.error.as_ref().map(|e| e.0),
            Some(kind),
            "{}: {done:?}",
            endpoint.name
        );
        // The endpoint's Test names the same cause.
        match test_endpoint(endpoint, Some("ann@example.test")).await {
            EndpointTest::Failed { kind: tested, .. } => assert_eq!(tested, kind),
            other => panic!("{}: {other:?}", endpoint.name),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_microsoft_app_token_serves_every_mailbox_on_both_sides() {
    let users = ["fay@example.test", "gus@example.test", "hal@example.test"];
    let tokens = TokenServer::start(&[]).await.unwrap();
    tokens.add_app(APP, APP_SECRET, "example.test");
    // Both servers take the app's token for any mailbox of its domain.
    let mut source = oauth_dovecot("source", &tokens, true, &[]);
    let mut destination = oauth_dovecot("destination", &tokens, true, &[]);
    for (i, user) in users.iter().enumerate() {
        source.add_user(user, "unknown-to-mailferry").unwrap();
        destination.add_user(user, "unknown-too").unwrap();
        seed(&source, user, 10, 10 + i as u64).await;
    }
    let (_dir, db) = common::sqlite().await;
    let cipher = Cipher::new(&[9u8; 32]);
    let source_endpoint = with_oauth(
        common::endpoint(EndpointRole::Source, source.imap_port()),
        microsoft(&tokens, APP_SECRET),
    );
    let destination_endpoint = with_oauth(
        common::endpoint(EndpointRole::Destination, destination.imap_port()),
        microsoft(&tokens, APP_SECRET),
    );
    // The endpoints are stored (the secret sealed) and loaded again by the batch.
    let csv = users.iter().fold(
        String::from("EmailAddress,UserName,Password\n"),
        |csv, u| csv + &format!("{u},{u},\n"),
    );
    let id =
        common::stored_batch(&db, &cipher, &source_endpoint, &destination_endpoint, &csv).await;
    let finished = run(&db, &cipher, id).await;
    for user in users {
        let done = of(&finished, user);
        assert_eq!(done.state, MailboxState::Synced, "{user}: {done:?}");
        common::assert_same_messages(&source, &destination, user, &FOLDERS).await;
    }
    // One token per side for the whole batch: it serves every user.
    let issued = tokens.issued_for(&format!("{APP}@example.test"));
    assert_eq!(issued, 2, "one app token per endpoint, not per mailbox");
    let stored = mailferry::db::entity::endpoint::Entity::find()
        .all(&db)
        .await
        .unwrap();
    for e in &stored {
        assert_eq!(e.oauth_kind, OAuthKind::Microsoft);
        let sealed = e.oauth_secret.as_deref().unwrap_or_default();
        assert!(
            !sealed.is_empty() && !sealed.contains(APP_SECRET),
            "sealed: {sealed}"
        );
    }

    // A wrong client secret fails with its kind, in the batch and in the endpoint's Test.
    let mut wrong = with_oauth(
        common::endpoint(EndpointRole::Source, source.imap_port()),
        microsoft(&tokens, "not-the-secret"),
    );
    wrong.name = "wrong secret".into();
    match test_endpoint(&wrong, Some(users[0])).await {
        EndpointTest::Failed { kind, detail } => {
            assert_eq!(kind, ErrorKind::OAuthInvalidClient, "{detail}");
            assert!(!detail.contains("not-the-secret"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        test_endpoint(&source_endpoint, Some(users[0])).await,
        EndpointTest::Ok { .. }
    ));
    assert_no_secret_stored(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_admin_moves_mailboxes_without_passwords() {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    let users = ["ida@example.test", "jon@example.test"];
    for (i, user) in users.iter().enumerate() {
        source.add_user(user, "unknown-to-mailferry").unwrap();
        destination.add_user(user, "pw").unwrap();
        seed(&source, user, 8, 20 + i as u64).await;
    }
    let (_dir, db) = common::sqlite().await;
    let cipher = Cipher::new(&[10u8; 32]);
    let mut source_endpoint = common::endpoint(EndpointRole::Source, source.imap_port());
    source_endpoint.admin_user = Some(MASTER_USER.into());
    source_endpoint.admin_password = Secret(MASTER_PASSWORD.into());
    let csv = users
        .iter()
        .fold(String::from("EmailAddress,UserName\n"), |csv, u| {
            csv + &format!("{u},{u}\n")
        });
    let id = common::stored_batch(
        &db,
        &cipher,
        &source_endpoint,
        &common::endpoint(EndpointRole::Destination, destination.imap_port()),
        &csv,
    )
    .await;
    let finished = run(&db, &cipher, id).await;
    for user in users {
        let done = of(&finished, user);
        assert_eq!(done.state, MailboxState::Synced, "{user}: {done:?}");
        // Each user's own mailbox arrived in the user's own destination mailbox.
        common::assert_same_messages(&source, &destination, user, &FOLDERS).await;
    }
}
