//! Proves the test bed against the real servers: Dovecot sign-in variants over plain IMAP and
//! implicit TLS, two instances at once, quota refusals, a seeding round trip, restart and stop,
//! and PostgreSQL. Every test starts its own servers on free ports and runs in parallel.

use std::net::{Ipv4Addr, TcpStream};
use std::time::{Duration, Instant};

use chrono::DateTime;
use mailferry_tests::imap::CommandError;
use mailferry_tests::seed::{self, FolderSpec, MailboxSpec, MessageSpec};
use mailferry_tests::tls::{client_config_trusting, client_config_trusting_nothing};
use mailferry_tests::{Dovecot, DovecotOptions, Postgres, TestClient, TestSession};

const PASSWORD: &str = "pw-user1";

fn dovecot(options: DovecotOptions<'_>) -> Dovecot {
    let mut dovecot = Dovecot::start(options).expect("start Dovecot");
    dovecot.add_user("user1", PASSWORD).expect("add user1");
    dovecot
}

fn source() -> Dovecot {
    dovecot(DovecotOptions::default())
}

fn destination() -> Dovecot {
    dovecot(DovecotOptions {
        name: "destination",
        separator: '.',
        quota: true,
        ..DovecotOptions::default()
    })
}

fn refusal(result: Result<TestSession, CommandError>) -> String {
    match result {
        Ok(_) => panic!("the server accepted the sign-in"),
        Err(CommandError::Refused(text)) => text,
        Err(other) => panic!("expected a tagged NO, got {other:#}"),
    }
}

async fn plain(dovecot: &Dovecot) -> TestClient {
    TestClient::connect_plain(dovecot.imap_port())
        .await
        .expect("connect")
}

async fn tls(dovecot: &Dovecot) -> TestClient {
    TestClient::connect_tls(dovecot.imaps_port(), dovecot.ca_pem_path())
        .await
        .expect("TLS connect with the test CA")
}

/// True while `pid` exists and is not a zombie.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(") ")
                .map(|(_, rest)| !rest.starts_with('Z'))
        })
        .unwrap_or(false)
}

/// PIDs of live processes whose command line contains `needle`.
fn processes_mentioning(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|cmdline| String::from_utf8_lossy(&cmdline).contains(needle))
                .unwrap_or(false)
        })
        .filter(|pid| alive(*pid))
        .collect()
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn password_login_over_plain_imap() {
    let dovecot = source();

    let client = plain(&dovecot).await;
    assert!(
        client.greeting().starts_with("* OK"),
        "{}",
        client.greeting()
    );
    let mut session = client
        .login("user1", PASSWORD)
        .await
        .expect("right password");
    assert_eq!(session.list_folders().await.expect("LIST"), ["INBOX"]);
    session.logout().await.expect("LOGOUT");

    let wrong = refusal(plain(&dovecot).await.login("user1", "wrong").await);
    assert!(wrong.starts_with("NO [AUTHENTICATIONFAILED]"), "{wrong}");
    let unknown = refusal(plain(&dovecot).await.login("nobody-here", PASSWORD).await);
    assert!(
        unknown.starts_with("NO [AUTHENTICATIONFAILED]"),
        "{unknown}"
    );
}

#[tokio::test]
async fn master_user_login_and_sasl_plain_impersonation() {
    let dovecot = source();

    let mut session = plain(&dovecot)
        .await
        .login_master("user1")
        .await
        .expect("user1*admin");
    session
        .create_folder("Proof")
        .await
        .expect("CREATE as user1");
    session.logout().await.expect("LOGOUT");

    // SASL PLAIN as admin acting for user1 sees user1's folder.
    let mut session = plain(&dovecot)
        .await
        .authenticate_plain("user1", "admin", "adminpw")
        .await
        .expect("PLAIN authzid=user1 authcid=admin");
    let folders = session.list_folders().await.expect("LIST");
    assert!(folders.contains(&"Proof".to_string()), "{folders:?}");
    session.logout().await.expect("LOGOUT");

    let wrong_master = refusal(plain(&dovecot).await.login("user1*admin", "wrong").await);
    assert!(
        wrong_master.starts_with("NO [AUTHENTICATIONFAILED]"),
        "{wrong_master}"
    );
    let wrong_plain = refusal(
        plain(&dovecot)
            .await
            .authenticate_plain("user1", "admin", "wrong")
            .await,
    );
    assert!(
        wrong_plain.starts_with("NO [AUTHENTICATIONFAILED]"),
        "{wrong_plain}"
    );
}

#[tokio::test]
async fn impersonating_an_unknown_user_is_authorization_failed() {
    let dovecot = source();

    let master = refusal(plain(&dovecot).await.login_master("ghost").await);
    assert!(master.starts_with("NO [AUTHORIZATIONFAILED]"), "{master}");
    let sasl = refusal(
        plain(&dovecot)
            .await
            .authenticate_plain("ghost", "admin", "adminpw")
            .await,
    );
    assert!(sasl.starts_with("NO [AUTHORIZATIONFAILED]"), "{sasl}");
}

#[tokio::test]
async fn implicit_tls_is_verified_with_the_test_ca() {
    let dovecot = source();

    let mut session = tls(&dovecot)
        .await
        .login("user1", PASSWORD)
        .await
        .expect("TLS login");
    assert_eq!(session.list_folders().await.expect("LIST"), ["INBOX"]);
    session.logout().await.expect("LOGOUT");
    let session = tls(&dovecot)
        .await
        .authenticate_plain("user1", "admin", "adminpw")
        .await
        .expect("TLS PLAIN impersonation");
    session.logout().await.expect("LOGOUT");
    let wrong = refusal(tls(&dovecot).await.login("user1", "wrong").await);
    assert!(wrong.starts_with("NO [AUTHENTICATIONFAILED]"), "{wrong}");
    let ghost = refusal(tls(&dovecot).await.login_master("ghost").await);
    assert!(ghost.starts_with("NO [AUTHORIZATIONFAILED]"), "{ghost}");

    let untrusted = TestClient::connect_tls_with(
        dovecot.imaps_port(),
        client_config_trusting_nothing().expect("config"),
    )
    .await
    .expect_err("a client without the CA must refuse the certificate");
    let text = format!("{untrusted:#}");
    assert!(
        text.contains("invalid peer certificate: UnknownIssuer"),
        "{text}"
    );
}

#[tokio::test]
async fn source_and_destination_run_side_by_side() {
    let source = source();
    let destination = destination();
    let ports = [
        source.imap_port(),
        source.imaps_port(),
        destination.imap_port(),
        destination.imaps_port(),
    ];
    let mut distinct = ports.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "{ports:?}");

    let mut on_source = TestSession::master(source.imap_port(), "user1")
        .await
        .expect("source");
    let mut on_destination = TestSession::master(destination.imap_port(), "user1")
        .await
        .expect("destination");
    on_source
        .create_folder("Projects/2024")
        .await
        .expect("CREATE on source");
    on_destination
        .create_folder("Projects.2024")
        .await
        .expect("CREATE on destination");
    let source_folders = on_source.list_folders().await.expect("LIST");
    let destination_folders = on_destination.list_folders().await.expect("LIST");
    assert!(
        source_folders.contains(&"Projects/2024".to_string()),
        "{source_folders:?}"
    );
    assert!(
        destination_folders.contains(&"Projects.2024".to_string()),
        "{destination_folders:?}"
    );
    // Separate servers: nothing created on one shows up on the other.
    assert!(
        !source_folders.iter().any(|f| f.contains('.')),
        "{source_folders:?}"
    );

    // Each instance has its own CA: the source's CA does not vouch for the destination.
    let cross = TestClient::connect_tls_with(
        destination.imaps_port(),
        client_config_trusting(source.ca_pem_path()).expect("config"),
    )
    .await;
    assert!(
        cross.is_err(),
        "destination certificate accepted with the source's CA"
    );
}

#[tokio::test]
async fn over_quota_append_is_refused_until_the_quota_is_raised() {
    let mut destination = destination();
    destination
        .set_quota_bytes("user1", Some(20_000))
        .expect("set quota");

    let mut session = TestSession::master(destination.imap_port(), "user1")
        .await
        .expect("sign in");
    let mut quota_lines = Vec::new();
    session
        .command("GETQUOTAROOT INBOX", |_, raw| {
            quota_lines.push(
                String::from_utf8_lossy(raw)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string(),
            );
            Ok(())
        })
        .await
        .expect("GETQUOTAROOT");
    assert!(
        quota_lines
            .iter()
            .any(|l| l.starts_with("* QUOTA \"User quota\" (STORAGE 0 20)")),
        "{quota_lines:?}"
    );

    let mut seed_number = 0;
    let mut append = async |size: usize| {
        seed_number += 1;
        let message = seed::message(seed_number, size, None);
        assert_eq!(message.len(), size);
        session.append("INBOX", &message, &[], None).await
    };
    for _ in 0..4 {
        let ok = append(4_000).await.expect("within quota");
        assert!(ok.starts_with("OK [APPENDUID "), "{ok}");
    }
    // 16,000 + 5,000 > 20,000: refused before the literal is sent.
    let refused = append(5_000).await.expect_err("over quota");
    assert!(
        refused
            .refusal()
            .is_some_and(|text| text.starts_with("NO [OVERQUOTA]")),
        "{refused:#}"
    );
    // The connection stays in sync after a NO sent before the literal; the limit is inclusive.
    append(4_000).await.expect("exactly at the limit");
    let refused = append(1_000).await.expect_err("full");
    assert!(
        refused
            .refusal()
            .is_some_and(|text| text.starts_with("NO [OVERQUOTA]")),
        "{refused:#}"
    );
    session.logout().await.expect("LOGOUT");

    destination
        .set_quota_bytes("user1", None)
        .expect("reset quota");
    let mut session = TestSession::master(destination.imap_port(), "user1")
        .await
        .expect("sign in again");
    session
        .append("INBOX", &seed::message(99, 4_000, None), &[], None)
        .await
        .expect("APPEND after raising the quota");
    assert_eq!(session.fetch_all("INBOX").await.expect("fetch").len(), 6);
}

#[tokio::test]
async fn seeded_message_reads_back_identically() {
    let dovecot = source();
    let old = DateTime::parse_from_rfc3339("2001-02-03T04:05:06+01:00").expect("date");
    let flagged = seed::message(1, 3_000, Some("<flagged@mailferry.test>"));
    let plain_message = seed::message(2, 500, None);
    let spec = MailboxSpec {
        folders: vec![
            FolderSpec {
                name: "Archive/2001".into(),
                messages: vec![MessageSpec {
                    bytes: flagged.clone(),
                    flags: vec!["\\Seen".into(), "$Label1".into()],
                    internaldate: Some(old),
                }],
            },
            FolderSpec {
                name: "INBOX".into(),
                messages: vec![MessageSpec {
                    bytes: plain_message.clone(),
                    flags: Vec::new(),
                    internaldate: None,
                }],
            },
        ],
    };
    seed::seed_mailbox(&dovecot, "user1", &spec)
        .await
        .expect("seed");

    let mut session = TestSession::master(dovecot.imap_port(), "user1")
        .await
        .expect("sign in");
    let archived = session.fetch_all("Archive/2001").await.expect("fetch");
    assert_eq!(archived.len(), 1);
    let message = &archived[0];
    assert!(message.body == flagged, "body differs after the round trip");
    assert_eq!(message.size as usize, flagged.len());
    let mut flags: Vec<&str> = message
        .flags
        .iter()
        .map(String::as_str)
        .filter(|flag| *flag != "\\Recent")
        .collect();
    flags.sort_unstable();
    assert_eq!(flags, ["$Label1", "\\Seen"]);
    // The same instant; maildir keeps no zone, so Dovecot answers in its own (UTC here).
    assert_eq!(message.internaldate, old);
    assert_eq!(message.internaldate_raw, "03-Feb-2001 03:05:06 +0000");

    let inbox = session.fetch_all("INBOX").await.expect("fetch INBOX");
    assert_eq!(inbox.len(), 1);
    assert!(inbox[0].body == plain_message);
    assert!(
        !inbox[0].flags.iter().any(|f| f == "\\Seen"),
        "{:?}",
        inbox[0].flags
    );
    let folders = session.list_folders().await.expect("LIST");
    assert!(folders.contains(&"Archive/2001".to_string()), "{folders:?}");
}

#[tokio::test]
async fn users_can_be_added_and_removed_while_running() {
    let mut dovecot = source();
    dovecot.add_user("user2", "pw-user2").expect("add user2");
    plain(&dovecot)
        .await
        .login("user2", "pw-user2")
        .await
        .expect("new user signs in")
        .logout()
        .await
        .expect("LOGOUT");
    dovecot.remove_user("user2").expect("remove user2");
    let gone = refusal(plain(&dovecot).await.login("user2", "pw-user2").await);
    assert!(gone.starts_with("NO [AUTHENTICATIONFAILED]"), "{gone}");
}

#[tokio::test]
async fn restart_keeps_ports_users_and_mail() {
    let mut dovecot = source();
    let message = seed::message(5, 1_000, None);
    let mut session = TestSession::master(dovecot.imap_port(), "user1")
        .await
        .expect("sign in");
    session
        .append("INBOX", &message, &["\\Flagged"], None)
        .await
        .expect("APPEND");
    session.logout().await.expect("LOGOUT");
    let (imap, imaps, old_pid) = (dovecot.imap_port(), dovecot.imaps_port(), dovecot.pid());

    dovecot.restart().expect("restart");
    assert_eq!((dovecot.imap_port(), dovecot.imaps_port()), (imap, imaps));
    assert_ne!(dovecot.pid(), old_pid);
    let mut session = plain(&dovecot)
        .await
        .login("user1", PASSWORD)
        .await
        .expect("sign in");
    let messages = session.fetch_all("INBOX").await.expect("fetch");
    assert_eq!(messages.len(), 1);
    assert!(messages[0].body == message);
    assert!(messages[0].flags.iter().any(|f| f == "\\Flagged"));
}

#[tokio::test]
async fn stop_ends_every_dovecot_process() {
    let mut dovecot = source();
    let pid = dovecot.pid().expect("running");
    let name = dovecot.instance_name().to_string();
    // Workers carry the instance name in their titles (e.g. `dovecot-NAME/log`).
    assert!(
        processes_mentioning(&name).len() > 1,
        "no workers titled with {name}"
    );

    dovecot.stop().expect("stop");
    assert!(!alive(pid), "master {pid} still runs");
    wait_until("the workers are gone", || {
        processes_mentioning(&name).is_empty()
    });
    assert!(
        TcpStream::connect((Ipv4Addr::LOCALHOST, dovecot.imap_port())).is_err(),
        "port still open"
    );
    assert!(
        dovecot.log_text().contains("starting up"),
        "{}",
        dovecot.log_text()
    );
}

#[tokio::test]
async fn postgres_accepts_password_logins_over_tcp() {
    let mut postgres = Postgres::start().expect("start PostgreSQL");
    let url = postgres.url();
    assert!(
        url.starts_with("postgres://mailferry:")
            && url.ends_with(&format!("@127.0.0.1:{}/mailferry", postgres.port())),
        "{url}"
    );
    TcpStream::connect((Ipv4Addr::LOCALHOST, postgres.port())).expect("TCP connect");
    assert_eq!(postgres.psql("select 1").expect("psql"), "1");
    assert_eq!(
        postgres
            .psql("select current_user || '@' || current_database()")
            .expect("psql"),
        "mailferry@mailferry"
    );

    let pid = postgres.pid().expect("running");
    postgres.stop().expect("stop");
    assert!(!alive(pid), "postmaster {pid} still runs");
    assert!(
        postgres.psql("select 1").is_err(),
        "still answering after stop"
    );
}
