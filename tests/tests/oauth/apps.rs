//! Microsoft 365: one app token for every mailbox; and a source admin without passwords.

use std::time::Duration;

use app::ErrorKind;
use app::model::batch::MailboxState;
use app::model::endpoint::OAuthKind;
use mailferry::endpoints::EndpointRole;
use mailferry::endpoints::test_endpoint::{EndpointTest, test_endpoint};
use mailferry::secrets::{Cipher, Secret};
use mailferry_tests::{DovecotOptions, MASTER_PASSWORD, MASTER_USER, TokenServer};
use sea_orm::EntityTrait;

use crate::common;
use crate::{
    APP, APP_SECRET, FOLDERS, assert_no_secret_stored, microsoft, oauth_dovecot, of, run,
    users_with_mail, with_oauth,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_microsoft_app_token_serves_every_mailbox_on_both_sides() {
    let users = ["fay@example.test", "gus@example.test", "hal@example.test"];
    let tokens = TokenServer::start(&[]).await.unwrap();
    tokens.add_app(APP, APP_SECRET, "example.test");
    // Both servers take the app's token for any mailbox of its domain.
    let mut source = oauth_dovecot("source", &tokens, true, &[]);
    let mut destination = oauth_dovecot("destination", &tokens, true, &[]);
    users_with_mail((&mut source, &mut destination), &users, 10, 10).await;
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
    // The web's Test names no user: the app's token is asked for, and nothing else.
    match test_endpoint(&source_endpoint, None).await {
        EndpointTest::Ok { note, .. } => assert!(note.contains("issued a token"), "{note}"),
        other => panic!("{other:?}"),
    }
    assert_no_secret_stored(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_admin_moves_mailboxes_without_passwords() {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    let users = ["ida@example.test", "jon@example.test"];
    users_with_mail((&mut source, &mut destination), &users, 8, 20).await;
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

/// A token is renewed before it runs out: asked again while it is fresh, the cache answers;
/// near its end (a quarter of its life left), a new one is requested while the old still lives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_renewed_before_they_run_out() {
    let tokens = TokenServer::start(&[]).await.unwrap();
    tokens.add_app(APP, APP_SECRET, "example.test");
    tokens.set_lifetime(Duration::from_secs(4), Duration::from_secs(4));
    let source =
        mailferry::oauth::TokenSource::new(microsoft(&tokens, APP_SECRET), Duration::from_secs(10));
    let first = source.token_for("fay@example.test").await.unwrap();
    // Another user of the same app, at once: the same token, no request.
    let again = source.token_for("gus@example.test").await.unwrap();
    assert_eq!(first, again);
    assert_eq!(source.requests(), 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let renewed = loop {
        let now = source.token_for("fay@example.test").await.unwrap();
        if now != first {
            break now;
        }
        assert!(std::time::Instant::now() < deadline, "never renewed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_ne!(renewed, first);
    assert_eq!(source.requests(), 2);
    assert_eq!(
        tokens.renewed_early(),
        1,
        "renewed while the old token still lived"
    );
}

/// An app that proves itself with a certificate (a signed client assertion) instead of a
/// secret; another certificate is refused as an invalid client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_microsoft_app_signs_in_with_its_certificate() {
    let tokens = TokenServer::start(&[]).await.unwrap();
    let bundle = tokens
        .add_app_with_certificate(APP, "example.test")
        .unwrap();
    let source =
        mailferry::oauth::TokenSource::new(microsoft(&tokens, &bundle), Duration::from_secs(10));
    source.token_for("fay@example.test").await.unwrap();
    assert_eq!(tokens.issued_for(&format!("{APP}@example.test")), 1);

    let other = TokenServer::start(&[]).await.unwrap();
    let stranger = other.add_app_with_certificate(APP, "example.test").unwrap();
    let refused =
        mailferry::oauth::TokenSource::new(microsoft(&tokens, &stranger), Duration::from_secs(10));
    let error = refused.token_for("fay@example.test").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OAuthInvalidClient, "{error}");
    assert!(!error.to_string().contains("PRIVATE KEY"));
}
