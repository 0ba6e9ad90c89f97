//! Google Workspace: a service account's token per user, and the provider's refusals.

use std::time::Duration;

use app::ErrorKind;
use app::model::batch::MailboxState;
use mailferry::endpoints::test_endpoint::{EndpointTest, test_endpoint};
use mailferry::endpoints::{EndpointRole, EndpointSettings};
use mailferry::oauth::OAuthSettings;
use mailferry::secrets::Cipher;
use mailferry_tests::{Dovecot, Fault, FaultProxy, TokenServer};

use crate::common;
use crate::{
    FOLDERS, assert_no_secret_stored, google, oauth_dovecot, of, plain_destination, run, seed,
    users_with_mail, with_oauth,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_rows_without_passwords_copy_completely_through_expiring_tokens() {
    let users = ["ann@example.test", "ben@example.test"];
    let tokens = TokenServer::start(&users).await.unwrap();
    // Tokens die after 0.2 s while claiming an hour: each reconnect presents a dead token that
    // the cache still holds, which the server refuses; the mailbox goes on with a new one.
    tokens.set_lifetime(Duration::from_millis(200), Duration::from_secs(3600));
    let mut source = oauth_dovecot("source", &tokens, false, &[]);
    let mut destination = plain_destination();
    users_with_mail((&mut source, &mut destination), &users, 60, 0).await;
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
    println!(
        "figures: {} source connections, tokens issued {:?}, dead tokens presented {}",
        proxy.connections(),
        users.map(|u| tokens.issued_for(u)),
        tokens.expired_presented()
    );
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
    let mut destination = plain_destination();
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
