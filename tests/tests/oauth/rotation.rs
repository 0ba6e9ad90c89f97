//! `rotate-key` reseals the OAuth 2 secrets too: an endpoint's key or client secret and a
//! personal account's refresh token open with the new key, and no longer with the old.

use app::model::endpoint::OAuthKind;
use mailferry::batches::consent;
use mailferry::db::entity::mailbox;
use mailferry::endpoints::{EndpointRole, store};
use mailferry::oauth::OAuthSettings;
use mailferry::secrets::{Cipher, EncryptedSecret, Secret, Slot};
use sea_orm::EntityTrait;

use crate::{common, with_oauth};

#[tokio::test]
async fn key_rotation_reseals_oauth_secrets() {
    let (_dir, db) = common::sqlite().await;
    let (old, new) = (Cipher::new(&[21u8; 32]), Cipher::new(&[22u8; 32]));
    let settings = OAuthSettings {
        kind: OAuthKind::Microsoft,
        client_id: Some("app".into()),
        tenant: Some("example.test".into()),
        token_url: None,
        authorization_url: None,
        scope: None,
        secret: Secret("the-client-secret".into()),
    };
    let source = with_oauth(common::endpoint(EndpointRole::Source, 1), settings);
    let destination = common::endpoint(EndpointRole::Destination, 2);
    let csv = "EmailAddress,UserName\nwes@example.test,wes@example.test\n";
    common::stored_batch(&db, &old, &source, &destination, csv).await;
    let row = mailbox::Entity::find().one(&db).await.unwrap().unwrap();
    consent::store_refresh_token(&db, &old, &row, &Secret("1//refresh-wes".into()))
        .await
        .unwrap();

    let count = mailferry::secrets::rotate::rotate(&db, &old, &new)
        .await
        .unwrap();
    // Source password, destination admin password, client secret, refresh token.
    assert_eq!(count, 4);
    let id = mailferry::db::entity::endpoint::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.role == EndpointRole::Source)
        .unwrap()
        .id;
    let loaded = store::load(&db, &new, id).await.unwrap();
    let oauth = loaded.oauth.expect("the provider is kept");
    assert_eq!(oauth.settings().secret.0, "the-client-secret");
    assert!(
        store::load(&db, &old, id).await.is_err(),
        "the old key opens nothing"
    );
    let row = mailbox::Entity::find().one(&db).await.unwrap().unwrap();
    let slot = Slot::MailboxRefresh {
        batch_id: row.batch_id,
        email: &row.email_address,
    };
    let sealed = EncryptedSecret(row.refresh_secret.unwrap());
    assert_eq!(new.decrypt(&sealed, &slot).unwrap(), "1//refresh-wes");
    assert!(old.decrypt(&sealed, &slot).is_err());
}
