//! Endpoints: stored with the admin password encrypted, and the "test" action against Dovecot.

use std::time::Duration;

use app::ErrorKind;
use app::model::endpoint::{AuthMechanism, Impersonation, Security};
use app::model::provider::ProviderProfile;
use mailferry::config::{Config, DatabaseUrl};
use mailferry::db::entity::endpoint;
use mailferry::endpoints::store;
use mailferry::endpoints::test_endpoint::{EndpointTest, test_endpoint};
use mailferry::endpoints::{EndpointRole, EndpointSettings};
use mailferry::secrets::Cipher;
use mailferry::secrets::Secret;
use mailferry_tests::{
    AnyServer, Dovecot, DovecotOptions, MASTER_PASSWORD, MASTER_USER, ServerKind, TestServer,
    free_port,
};
use sea_orm::EntityTrait;

fn settings(role: EndpointRole, port: u16, admin_password: &str) -> EndpointSettings {
    EndpointSettings {
        name: "dest".into(),
        role,
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        impersonation: Impersonation::SaslPlain,
        auth_mechanism: AuthMechanism::Login,
        admin_user: (role == EndpointRole::Destination).then(|| MASTER_USER.to_string()),
        admin_password: Secret(admin_password.into()),
        tls_ca_pem: None,
        insecure_skip_verify: false,
        max_concurrent: 2,
        timeout: Duration::from_secs(10),
        oauth: None,
    }
}

#[tokio::test]
async fn endpoints_are_stored_encrypted_and_tested_for_real() {
    let mut dovecot = Dovecot::start(DovecotOptions {
        name: "destination",
        ..Default::default()
    })
    .unwrap();
    dovecot.add_user("real@example.test", "x").unwrap();
    let port = dovecot.imap_port();

    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        database_url: DatabaseUrl(format!("sqlite://{}/mf.db", dir.path().display())),
        ..Config::default()
    };
    let db = mailferry::db::open(&config).await.unwrap();
    let cipher = Cipher::new(&[3u8; 32]);
    let id = store::save(
        &db,
        &cipher,
        &settings(EndpointRole::Destination, port, MASTER_PASSWORD),
    )
    .await
    .unwrap();
    let row = endpoint::Entity::find_by_id(id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !row.admin_secret
            .as_deref()
            .unwrap()
            .contains(MASTER_PASSWORD),
        "encrypted at rest"
    );
    let loaded = store::load(&db, &cipher, id).await.unwrap();
    assert_eq!(loaded.admin_password.0, MASTER_PASSWORD);

    match test_endpoint(&loaded, None).await {
        EndpointTest::Ok {
            capabilities,
            note,
            profile,
        } => {
            assert_eq!(profile, ProviderProfile::Dovecot);
            assert!(
                capabilities.iter().any(|c| c == "IMAP4REV1"),
                "{capabilities:?}"
            );
            assert!(note.contains("accepted"), "{note}");
        }
        other => panic!("{other:?}"),
    }
    match test_endpoint(&loaded, Some("real@example.test")).await {
        EndpointTest::Ok { note, .. } => assert!(note.contains("signed in"), "{note}"),
        other => panic!("{other:?}"),
    }
    let wrong = settings(EndpointRole::Destination, port, "not-the-password");
    assert!(matches!(
        test_endpoint(&wrong, None).await,
        EndpointTest::Failed {
            kind: ErrorKind::DestinationSignInFailed,
            ..
        }
    ));
    let closed = settings(EndpointRole::Destination, free_port(), MASTER_PASSWORD);
    assert!(matches!(
        test_endpoint(&closed, None).await,
        EndpointTest::Failed {
            kind: ErrorKind::DestinationConnectFailed,
            ..
        }
    ));
    let source = settings(EndpointRole::Source, port, "");
    assert!(matches!(
        test_endpoint(&source, None).await,
        EndpointTest::Ok { .. }
    ));
}

/// The endpoint's Test names the server it reached, from the greeting, capabilities and ID:
/// each of the test bed's three real servers, over plain IMAP and over STARTTLS with the test
/// bed's CA (a wrong CA is refused).
#[tokio::test]
async fn the_test_names_the_server() {
    let kinds = [
        (ServerKind::Dovecot, ProviderProfile::Dovecot),
        (ServerKind::Cyrus, ProviderProfile::Cyrus),
        (ServerKind::Courier, ProviderProfile::Courier),
    ];
    for (kind, expected) in kinds {
        let server = AnyServer::start(kind, "source", false).unwrap();
        let plain = settings(EndpointRole::Source, server.imap_port(), "");
        let ca = std::fs::read_to_string(server.ca_pem_path()).unwrap();
        let tls = EndpointSettings {
            security: Security::Starttls,
            tls_ca_pem: Some(ca),
            ..plain.clone()
        };
        for endpoint in [plain, tls] {
            match test_endpoint(&endpoint, None).await {
                EndpointTest::Ok { profile, .. } => assert_eq!(profile, expected, "{kind:?}"),
                other => panic!("{kind:?} {:?}: {other:?}", endpoint.security),
            }
        }
        let other_dir = tempfile::tempdir().unwrap();
        let other_ca = mailferry_tests::TestCa::generate(other_dir.path()).unwrap();
        let untrusted = EndpointSettings {
            security: Security::Starttls,
            tls_ca_pem: Some(std::fs::read_to_string(other_ca.ca_pem_path).unwrap()),
            ..settings(EndpointRole::Source, server.imap_port(), "")
        };
        assert!(
            matches!(
                test_endpoint(&untrusted, None).await,
                EndpointTest::Failed {
                    kind: ErrorKind::SourceConnectFailed,
                    ..
                }
            ),
            "{kind:?}: a certificate from another CA is refused"
        );
    }
}
