//! Personal accounts: each row's consent link, the provider's consent (authorization code with
//! PKCE), the refresh token kept sealed, and a consent given with another account refused.

use app::ErrorKind;
use app::model::batch::MailboxState;
use app::model::endpoint::OAuthKind;
use mailferry::batches::consent::{self, ConsentError};
use mailferry::db::entity::mailbox;
use mailferry::endpoints::EndpointRole;
use mailferry::oauth::OAuthSettings;
use mailferry::secrets::{Cipher, Secret};
use mailferry_tests::token_server::GOOGLE_SCOPE;
use mailferry_tests::{Dovecot, TokenServer};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::common;
use crate::{FOLDERS, oauth_dovecot, of, plain_destination, run, users_with_mail, with_oauth};

const CLIENT: &str = "mailferry-personal";
const REDIRECT: &str = "http://127.0.0.1:9/oauth/callback";

async fn row(db: &DatabaseConnection, email: &str) -> mailbox::Model {
    mailbox::Entity::find()
        .filter(mailbox::Column::EmailAddress.eq(email))
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

/// The row's link opened, the consent given on the provider's page as `who`, the provider's
/// answer taken back.
async fn consent_as(
    (db, cipher): (&DatabaseConnection, &Cipher),
    tokens: &TokenServer,
    email: &str,
    who: &str,
) -> Result<String, ConsentError> {
    let code = row(db, email).await.consent_code.expect("a consent link");
    let authorize = consent::begin(db, cipher, &code, REDIRECT).await.unwrap();
    assert!(
        authorize.starts_with(&tokens.authorization_url()),
        "{authorize}"
    );
    for part in [
        "code_challenge_method=S256",
        "login_hint=",
        "access_type=offline",
    ] {
        assert!(authorize.contains(part), "{part} in {authorize}");
    }
    let back = tokens.consent(&authorize, who, true);
    let query = back.split_once('?').map_or("", |(_, q)| q);
    let field = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .unwrap_or_default()
            .to_string()
    };
    let answer = field("code");
    consent::finish(db, cipher, &field("state"), Ok(&answer), REDIRECT).await
}

/// The servers, a batch of three personal accounts (none consented yet) and the token server.
struct Bed {
    tokens: TokenServer,
    source: Dovecot,
    destination: Dovecot,
    db: DatabaseConnection,
    _dir: tempfile::TempDir,
    cipher: Cipher,
    id: i64,
}

async fn bed(users: [&str; 3]) -> Bed {
    let tokens = TokenServer::start(&users).await.unwrap();
    tokens.add_personal_client(CLIENT);
    let mut source = oauth_dovecot("source", &tokens, false, &[]);
    let mut destination = plain_destination();
    users_with_mail((&mut source, &mut destination), &users, 6, 30).await;
    let (_dir, db) = common::sqlite().await;
    let cipher = Cipher::new(&[11u8; 32]);
    let personal = OAuthSettings {
        kind: OAuthKind::Personal,
        client_id: Some(CLIENT.into()),
        tenant: None,
        token_url: Some(tokens.token_url()),
        authorization_url: Some(tokens.authorization_url()),
        scope: Some(GOOGLE_SCOPE.into()),
        secret: Secret::default(),
    };
    let source_endpoint = with_oauth(
        common::endpoint(EndpointRole::Source, source.imap_port()),
        personal,
    );
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
    Bed {
        tokens,
        source,
        destination,
        db,
        _dir,
        cipher,
        id,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_account_consents_through_its_link() {
    let Bed {
        tokens,
        source,
        destination,
        db,
        _dir,
        cipher,
        id,
    } = bed(["pat@example.test", "quinn@example.test", "ray@example.test"]).await;
    // pat consents; quinn's link is opened by ray, whose consent is refused (ray's token does not
    // open quinn's mailbox) and leaves quinn without one; ray never answers.
    assert_eq!(
        consent_as(
            (&db, &cipher),
            &tokens,
            "pat@example.test",
            "pat@example.test"
        )
        .await
        .unwrap(),
        "pat@example.test"
    );
    let wrong = consent_as(
        (&db, &cipher),
        &tokens,
        "quinn@example.test",
        "ray@example.test",
    )
    .await;
    assert!(
        matches!(wrong, Err(ConsentError::WrongAccount { .. })),
        "{wrong:?}"
    );
    let pat = row(&db, "pat@example.test").await;
    let sealed = pat
        .refresh_secret
        .clone()
        .expect("the refresh token is kept");
    assert!(!sealed.contains("refresh-"), "sealed: {sealed}");
    assert!(pat.consented_at.is_some() && pat.consent_state.is_none());
    assert!(
        row(&db, "quinn@example.test")
            .await
            .refresh_secret
            .is_none()
    );
    // A link used up or made up leads nowhere.
    let stale = consent::finish(&db, &cipher, "made-up-state", Ok("code"), REDIRECT).await;
    assert!(matches!(stale, Err(ConsentError::UnknownLink)), "{stale:?}");

    let finished = run(&db, &cipher, id).await;
    let done = of(&finished, "pat@example.test");
    assert_eq!(done.state, MailboxState::Synced, "{done:?}");
    common::assert_same_messages(&source, &destination, "pat@example.test", &FOLDERS).await;
    for user in ["quinn@example.test", "ray@example.test"] {
        let done = of(&finished, user);
        assert_eq!(
            done.error.as_ref().map(|e| e.0),
            Some(ErrorKind::OAuthConsentMissing),
            "{done:?}"
        );
    }
    // The provider gave pat a new refresh token with the access token: it replaced the old one.
    let after = row(&db, "pat@example.test").await.refresh_secret.unwrap();
    assert_ne!(after, sealed, "the new refresh token is kept");
}
