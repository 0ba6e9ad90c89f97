//! How the engine reaches servers: implicit TLS and STARTTLS verified against a CA, refused
//! without it, the explicit opt-out; Dovecot's `user*admin` impersonation.

mod common;

use common::NoProgress;

use std::time::Duration;

use app::ErrorKind;
use app::model::endpoint::Security;
use mailferry::engine::mailbox::MailboxSpec;
use mailferry::engine::mailbox_job::run_mailbox;
use mailferry::engine::options::BatchOptions;
use mailferry::engine::retry::RetryPolicy;
use mailferry::imap::connect::{Credentials, ServerAddress};
use mailferry::imap::tls::TlsOptions;
use mailferry_tests::seed::{
    FolderSpec, MailboxSpec as SeedSpec, MessageSpec, message, seed_mailbox,
};
use mailferry_tests::{Dovecot, DovecotOptions, MASTER_PASSWORD, MASTER_USER, TestSession};

fn address(port: u16, security: Security, tls: TlsOptions) -> ServerAddress {
    ServerAddress {
        host: "127.0.0.1".into(),
        port,
        security,
        tls,
        timeout: Duration::from_secs(20),
    }
}

async fn setup(user: &str) -> (Dovecot, Dovecot, TlsOptions) {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    source.add_user(user, "pw-source").unwrap();
    destination.add_user(user, "x").unwrap();
    let spec = SeedSpec {
        folders: vec![FolderSpec {
            name: "INBOX".into(),
            messages: (0..3)
                .map(|i| MessageSpec {
                    bytes: message(i, 2_000, None),
                    flags: vec![],
                    internaldate: None,
                })
                .collect(),
        }],
    };
    seed_mailbox(&source, user, &spec).await.unwrap();
    let ca = std::fs::read_to_string(source.ca_pem_path()).unwrap();
    (
        source,
        destination,
        TlsOptions {
            ca_pem: Some(ca),
            insecure_skip_verify: false,
        },
    )
}

fn job(
    user: &str,
    source: ServerAddress,
    destination: ServerAddress,
    destination_credentials: Credentials,
) -> MailboxSpec {
    MailboxSpec {
        email: format!("{user}@example.test"),
        source,
        source_credentials: Credentials::Login {
            user: user.into(),
            password: "pw-source".into(),
        }
        .into(),
        destination,
        destination_credentials: destination_credentials.into(),
        user_root: None,
        options: BatchOptions::default(),
        retry: RetryPolicy {
            retries: 1,
            base: Duration::from_millis(50),
            cap: Duration::from_millis(100),
        },
    }
}

fn plain_admin(user: &str) -> Credentials {
    Credentials::Plain {
        authzid: Some(user.into()),
        authcid: MASTER_USER.into(),
        password: MASTER_PASSWORD.into(),
    }
}

#[tokio::test]
async fn tls_is_verified_against_the_configured_ca_only() {
    let (source, destination, with_ca) = setup("tls").await;
    let (_dir, db) = common::sqlite().await;
    let dst = address(
        destination.imap_port(),
        Security::None,
        TlsOptions::default(),
    );

    let untrusted = job(
        "tls",
        address(source.imaps_port(), Security::Tls, TlsOptions::default()),
        dst.clone(),
        plain_admin("tls"),
    );
    let refused = run_mailbox(&db, &untrusted, &NoProgress).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::SourceConnectFailed, "{refused:?}");
    assert!(refused.detail.contains("TLS"), "{}", refused.detail);

    let trusted = job(
        "tls",
        address(source.imaps_port(), Security::Tls, with_ca.clone()),
        dst.clone(),
        plain_admin("tls"),
    );
    assert_eq!(
        run_mailbox(&db, &trusted, &NoProgress)
            .await
            .unwrap()
            .copied,
        3
    );

    let skip = TlsOptions {
        ca_pem: None,
        insecure_skip_verify: true,
    };
    let skipping = job(
        "tls",
        address(source.imaps_port(), Security::Tls, skip),
        dst,
        plain_admin("tls"),
    );
    assert_eq!(
        run_mailbox(&db, &skipping, &NoProgress)
            .await
            .unwrap()
            .copied,
        0,
        "already copied; the opt-out connects"
    );
}

#[tokio::test]
async fn starttls_and_master_user_impersonation_work() {
    let (source, destination, with_ca) = setup("starttls").await;
    let (_dir, db) = common::sqlite().await;
    let spec = job(
        "starttls",
        address(source.imap_port(), Security::Starttls, with_ca),
        address(
            destination.imap_port(),
            Security::None,
            TlsOptions::default(),
        ),
        Credentials::Login {
            user: format!("starttls*{MASTER_USER}"),
            password: MASTER_PASSWORD.into(),
        },
    );
    assert_eq!(
        run_mailbox(&db, &spec, &NoProgress).await.unwrap().copied,
        3
    );
    let mut dst = TestSession::master(destination.imap_port(), "starttls")
        .await
        .unwrap();
    assert_eq!(dst.fetch_all("INBOX").await.unwrap().len(), 3);
}

/// Destinations without MULTIAPPEND: pipelined single APPENDs with LITERAL+, and one APPEND at a
/// time with synchronizing literals when not even LITERAL+ is offered.
#[tokio::test]
async fn destinations_without_multiappend_or_literal_plus_get_everything() {
    let base = "IMAP4rev1 SASL-IR ID ENABLE IDLE SPECIAL-USE LIST-EXTENDED UIDPLUS";
    for capability in [format!("{base} LITERAL+"), base.to_string()] {
        let mut source = Dovecot::start(DovecotOptions {
            name: "source",
            ..Default::default()
        })
        .unwrap();
        let mut destination = Dovecot::start(DovecotOptions {
            name: "destination",
            imap_capability: Some(&capability),
            ..Default::default()
        })
        .unwrap();
        source.add_user("single", "pw-source").unwrap();
        destination.add_user("single", "x").unwrap();
        let spec = SeedSpec {
            folders: vec![FolderSpec {
                name: "INBOX".into(),
                messages: (0..40)
                    .map(|i| MessageSpec {
                        bytes: message(i, 1_000 + i as usize * 300, None),
                        flags: vec!["\\Seen".into()],
                        internaldate: None,
                    })
                    .collect(),
            }],
        };
        seed_mailbox(&source, "single", &spec).await.unwrap();
        let (_dir, db) = common::sqlite().await;
        let none = TlsOptions::default();
        let spec = job(
            "single",
            address(source.imap_port(), Security::None, none.clone()),
            address(destination.imap_port(), Security::None, none),
            plain_admin("single"),
        );
        let probe = mailferry::oauth::sign_in::open(
            &spec.destination,
            &spec.destination_credentials,
            "probe",
        )
        .await
        .unwrap();
        assert!(
            !probe.has_capability("MULTIAPPEND"),
            "the override took effect"
        );
        assert_eq!(
            probe.has_capability("LITERAL+"),
            capability.contains("LITERAL+")
        );
        probe.logout().await;
        assert_eq!(
            run_mailbox(&db, &spec, &NoProgress).await.unwrap().copied,
            40,
            "{capability}"
        );
        let mut src = TestSession::master(source.imap_port(), "single")
            .await
            .unwrap();
        let mut dst = TestSession::master(destination.imap_port(), "single")
            .await
            .unwrap();
        let (a, b) = (
            src.fetch_all("INBOX").await.unwrap(),
            dst.fetch_all("INBOX").await.unwrap(),
        );
        assert_eq!(a.len(), b.len(), "{capability}");
        assert!(
            a.iter().zip(&b).all(|(x, y)| x.body == y.body),
            "{capability}"
        );
    }
}

/// Users sign in on the source with SASL PLAIN when the endpoint says so (XOAUTH2 is built the same
/// way; Dovecot here has no OAuth 2 passdb to test it against).
#[tokio::test]
async fn the_source_can_use_sasl_plain() {
    let (source, destination, _) = setup("plainuser").await;
    let (_dir, db) = common::sqlite().await;
    let none = TlsOptions::default();
    let mut spec = job(
        "plainuser",
        address(source.imap_port(), Security::None, none.clone()),
        address(destination.imap_port(), Security::None, none),
        plain_admin("plainuser"),
    );
    spec.source_credentials = Credentials::Plain {
        authzid: None,
        authcid: "plainuser".into(),
        password: "pw-source".into(),
    }
    .into();
    assert_eq!(
        run_mailbox(&db, &spec, &NoProgress).await.unwrap().copied,
        3
    );
    spec.source_credentials = Credentials::Plain {
        authzid: None,
        authcid: "plainuser".into(),
        password: "wrong".into(),
    }
    .into();
    assert_eq!(
        run_mailbox(&db, &spec, &NoProgress).await.unwrap_err().kind,
        app::ErrorKind::SourceSignInFailed
    );
}
