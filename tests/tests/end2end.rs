//! Browser tests: the real server, driven by playwright-core in Debian's Chromium
//! (end2end/run.mjs), with JavaScript on and off, against the Dovecot test bed and a local SMTP
//! receiver. Screenshots land in end2end/artifacts/.
//!
//! A spec can ask the test for a change of the test bed mid-run: it prints `@@harness <request>`
//! and waits for a line on its stdin, which this side writes once the change is made.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use mailferry_tests::mailferry_server::{MailferryServer, workspace_root};
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{
    Dovecot, DovecotOptions, MASTER_PASSWORD, MASTER_USER, SmtpReceiver, TestSession,
};

fn run_specs(
    server: &MailferryServer,
    specs: &str,
    testbed: &serde_json::Value,
    mut on_request: impl FnMut(&str),
) {
    let root = workspace_root();
    let mut child = Command::new("node")
        .arg(root.join("end2end/run.mjs"))
        .env("MAILFERRY_URL", server.url())
        .env("MAILFERRY_ADMIN_USER", "admin")
        .env("MAILFERRY_ADMIN_PASSWORD", &server.admin_password)
        .env("MAILFERRY_ARTIFACTS", root.join("end2end/artifacts"))
        .env("MAILFERRY_SPECS", specs)
        .env("MAILFERRY_TESTBED", testbed.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs (scripts/install-deps.sh test installs it)");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    for line in stdout.lines() {
        let line = line.expect("node's output");
        println!("{line}");
        if let Some(request) = line.strip_prefix("@@harness ") {
            on_request(request.trim());
            writeln!(stdin, "done").expect("answering the spec");
        }
        lines.push(line);
    }
    let status = child.wait().expect("node ends");
    let last = lines.last().cloned().unwrap_or_default();
    assert!(
        status.success() && last.ends_with(" 0 failed") && !last.starts_with("0 passed"),
        "browser specs failed: {last}\n{}\nserver log:\n{}",
        lines.join("\n"),
        server.log_text()
    );
}

fn no_requests(request: &str) {
    panic!("unexpected harness request {request}");
}

#[test]
fn sign_in_and_dashboard() {
    let server = MailferryServer::start(&[]).expect("server starts");
    run_specs(
        &server,
        "01-sign-in,07-admins-audit",
        &serde_json::Value::Null,
        no_requests,
    );
}

#[test]
fn first_run_setup() {
    let server = MailferryServer::start_with(false, &[]).expect("server starts");
    let code = mailferry_tests::mailferry_server::setup_code(&server.log_text())
        .expect("the set-up code in the server's log");
    let bed = serde_json::json!({ "setupCode": code });
    run_specs(&server, "02-setup", &bed, no_requests);
}

/// A source (`/` separator) and a destination Dovecot (`separator`).
fn dovecots(separator: char) -> (Dovecot, Dovecot) {
    common::dovecots(DovecotOptions {
        separator,
        ..DovecotOptions::default()
    })
}

/// What every spec learns of the test bed: the servers, the admin on the destination and a CSV
/// of `users` (all with the source password `user-pw`); `extra` adds a spec's own fields.
fn testbed(
    source: &Dovecot,
    destination: &Dovecot,
    users: &[&str],
    extra: serde_json::Value,
) -> serde_json::Value {
    let mut bed = serde_json::json!({
        "sourcePort": source.imap_port(),
        "destinationPort": destination.imap_port(),
        "adminUser": MASTER_USER,
        "adminPassword": MASTER_PASSWORD,
        "csv": users.iter().fold(String::from("EmailAddress,UserName,Password\n"), |csv, u| {
            csv + &format!("{u},{u},user-pw\n")
        }),
    });
    if let (Some(bed), serde_json::Value::Object(extra)) = (bed.as_object_mut(), extra) {
        bed.extend(extra);
    }
    bed
}

const GOOD: [&str; 3] = [
    "alice@example.test",
    "bob@example.test",
    "carol@example.test",
];
/// On the source with another password than the CSV's.
const WRONG_PASSWORD: &str = "dave@example.test";
/// On the source, not on the destination.
const NOT_ON_DESTINATION: &str = "erin@example.test";
const MESSAGES: u64 = 40;
const XSS_FOLDER: &str = "<img src=x onerror=alert(1)>";

fn corpus(seed: u64) -> MailboxSpec {
    let messages = |offset: u64, n: u64| {
        (0..n)
            .map(|i| MessageSpec {
                bytes: message(seed * 1000 + offset + i, 6_000, None),
                flags: if i % 3 == 0 {
                    vec!["\\Seen".into()]
                } else {
                    vec![]
                },
                internaldate: None,
            })
            .collect()
    };
    MailboxSpec {
        folders: vec![
            FolderSpec {
                name: "INBOX".into(),
                messages: messages(0, MESSAGES / 2),
            },
            FolderSpec {
                // Mailbox text must stay text, never HTML (no `/`: the source's separator).
                name: XSS_FOLDER.into(),
                messages: messages(500, MESSAGES / 2),
            },
        ],
    }
}

/// The whole admin story in the browser: endpoints, a CSV of 3 good and 2 bad rows, live
/// progress, the error report and its download, a retry of the failed rows after the test bed
/// is fixed, the status e-mails; then the batch list and the report without JavaScript.
/// The story's servers: every user seeded on the source (one with a password changed since the
/// CSV), all but one on the destination.
async fn story_servers() -> (Dovecot, Dovecot, Vec<&'static str>) {
    let (mut source, mut destination) = dovecots('.');
    let all: Vec<&str> = GOOD
        .iter()
        .copied()
        .chain([WRONG_PASSWORD, NOT_ON_DESTINATION])
        .collect();
    let source_users: Vec<(&str, &str)> = all
        .iter()
        .map(|u| {
            (
                *u,
                if *u == WRONG_PASSWORD {
                    "changed-since"
                } else {
                    "user-pw"
                },
            )
        })
        .collect();
    source.add_users(&source_users).unwrap();
    let destination_users: Vec<(&str, &str)> = all
        .iter()
        .filter(|u| **u != NOT_ON_DESTINATION)
        .map(|u| (*u, "dest-pw"))
        .collect();
    destination.add_users(&destination_users).unwrap();
    for (i, user) in all.iter().enumerate() {
        seed_mailbox(&source, user, &corpus(i as u64 + 1))
            .await
            .unwrap();
    }
    (source, destination, all)
}

/// Deletes `uids` of `user`'s INBOX on `dovecot`.
fn expunge_on(dovecot: &Dovecot, user: &str, uids: &str) {
    let port = dovecot.imap_port();
    tokio::runtime::Handle::current().block_on(async {
        let mut session = TestSession::master(port, user).await.unwrap();
        let store = format!("UID STORE {uids} +FLAGS (\\Deleted)");
        for command in ["SELECT INBOX", store.as_str(), "EXPUNGE"] {
            session.command(command, |_, _| Ok(())).await.unwrap();
        }
    });
}

/// Every user's INBOX and hostile-named folder arrived whole: same bytes, same dates.
async fn assert_copied(source: &Dovecot, destination: &Dovecot, all: &[&str]) {
    for user in all {
        let mut dst = TestSession::master(destination.imap_port(), user)
            .await
            .unwrap();
        let mut src = TestSession::master(source.imap_port(), user).await.unwrap();
        for (from, to) in [("INBOX", "INBOX"), (XSS_FOLDER, XSS_FOLDER)] {
            // In any order: Copy missing (09-verify) puts messages back at the end.
            let mut a = src.fetch_all(from).await.unwrap();
            let mut b = dst.fetch_all(to).await.unwrap();
            a.sort_by(|x, y| x.body.cmp(&y.body));
            b.sort_by(|x, y| x.body.cmp(&y.body));
            assert_eq!(
                a.len(),
                b.len(),
                "{user} {from}: nothing lost, nothing twice"
            );
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.body, y.body, "{user} {from}: same bytes");
                assert_eq!(x.internaldate, y.internaldate);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_migrates_a_csv_in_the_browser() {
    let (mut source, mut destination, all) = story_servers().await;
    let smtp = SmtpReceiver::start().await.unwrap();
    let server = MailferryServer::start(&[]).expect("server starts");
    let testbed = testbed(
        &source,
        &destination,
        &all,
        serde_json::json!({
            "smtpPort": smtp.port(),
            "good": GOOD,
            "wrongPassword": WRONG_PASSWORD,
            "notOnDestination": NOT_ON_DESTINATION,
        }),
    );
    tokio::task::block_in_place(|| {
        run_specs(
            &server,
            "03-migration,04-no-javascript,08-batch-rows,09-verify",
            &testbed,
            |request| match request {
                "fix-testbed" => {
                    // The source password goes back to the CSV's, the missing mailbox is created.
                    source.add_user(WRONG_PASSWORD, "user-pw").unwrap();
                    destination.add_user(NOT_ON_DESTINATION, "dest-pw").unwrap();
                }
                // Behind Mailferry's back: messages of the first user deleted on the destination
                // (Verify finds them, Copy missing brings them back).
                "lose-messages" => expunge_on(&destination, GOOD[0], "2,5"),
                "lose-one" => expunge_on(&destination, GOOD[0], "1"),
                other => panic!("unknown harness request {other}"),
            },
        )
    });

    assert_copied(&source, &destination, &all).await;

    // The test e-mail, then one status e-mail per batch when it is Synced with the error report
    // attached, and the retry batch's second when it was completed.
    let mails = smtp.wait_for(4, Duration::from_secs(30)).await.unwrap();
    let texts: Vec<String> = mails
        .iter()
        .map(|m| String::from_utf8_lossy(&m.data).into_owned())
        .collect();
    assert!(texts[0].contains("Mailferry: test e-mail"), "{}", texts[0]);
    let first_status = texts
        .iter()
        .find(|t| t.contains("SyncedWithErrors"))
        .expect("the first batch's status e-mail");
    assert!(first_status.contains("MigrationErrors.csv"));
    assert!(
        texts.iter().any(|t| t.contains("is Completed.")),
        "the completion e-mail"
    );
    assert!(
        !texts
            .iter()
            .any(|t| t.contains("user-pw") || t.contains(MASTER_PASSWORD))
    );
    assert!(
        !server.log_text().contains("user-pw"),
        "no password in the server log"
    );
}

/// Scale-out in the browser: a web-only process shows the live progress that a worker in
/// another process makes (both on one PostgreSQL), in many tabs at once, and every tab
/// reconnects by itself when the web process is restarted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_progress_of_another_process_survives_a_web_restart() {
    let pg = mailferry_tests::Postgres::start().expect("PostgreSQL");
    let (mut source, mut destination) = dovecots('.');
    let users = [
        "ann@example.test",
        "ben@example.test",
        "cid@example.test",
        "dot@example.test",
    ];
    let pairs: Vec<(&str, &str)> = users.iter().map(|u| (*u, "user-pw")).collect();
    source.add_users(&pairs).unwrap();
    destination.add_users(&pairs).unwrap();
    for (i, user) in users.iter().enumerate() {
        seed_mailbox(&source, user, &corpus(20 + i as u64))
            .await
            .unwrap();
    }
    let url = pg.url();
    let web = MailferryServer::start_with_args(
        true,
        &["--no-worker"],
        &[("MAILFERRY_DATABASE_URL", url.as_str())],
    )
    .expect("web-only process");
    let key = web.data_dir.path().join("secret.key");
    let worker = MailferryServer::start(&[
        ("MAILFERRY_DATABASE_URL", url.as_str()),
        ("MAILFERRY_SECRET_KEY_FILE", key.to_str().unwrap()),
    ])
    .expect("worker process");
    let testbed = testbed(
        &source,
        &destination,
        &users,
        serde_json::json!({ "users": users }),
    );
    tokio::task::block_in_place(|| {
        run_specs(&web, "05-live-channel", &testbed, |request| {
            assert_eq!(request, "restart-web");
            web.restart().expect("the web process starts again");
        })
    });
    assert!(
        worker.log_text().contains("batch pass finished"),
        "the worker process did the copying"
    );
    assert!(
        !web.log_text().contains("mailbox finished"),
        "the web process copied nothing"
    );
    for user in &users {
        let mut dst = TestSession::master(destination.imap_port(), user)
            .await
            .unwrap();
        assert_eq!(
            dst.fetch_all("INBOX").await.unwrap().len() as u64,
            MESSAGES / 2
        );
    }
}

/// Dovecot refuses `/` inside a name (so no folder can be called `<script>…</script>`): an
/// element with an event handler is the hostile name here.
const SCRIPT_FOLDER: &str = "<img src=x onerror=alert(1)>";

/// Text that comes from mailboxes (a folder named like an HTML element, a subject with HTML)
/// shows as text in the error report, and never runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mailbox_text_shows_as_text() {
    let (mut source, mut destination) = dovecots('/');
    let user = "mallory@example.test";
    source.add_user(user, "user-pw").unwrap();
    destination.add_user(user, "dest-pw").unwrap();
    let big = String::from_utf8(message(9_001, 1_600_000, None))
        .unwrap()
        .replace(
            "Subject: Test message 9001",
            "Subject: <img src=x onerror=alert(2)>big",
        );
    let spec = MailboxSpec {
        folders: vec![
            FolderSpec {
                name: "INBOX".into(),
                messages: vec![],
            },
            FolderSpec {
                name: SCRIPT_FOLDER.into(),
                messages: vec![
                    MessageSpec {
                        bytes: message(9_002, 3_000, None),
                        flags: vec![],
                        internaldate: None,
                    },
                    MessageSpec {
                        bytes: big.into_bytes(),
                        flags: vec![],
                        internaldate: None,
                    },
                ],
            },
        ],
    };
    seed_mailbox(&source, user, &spec).await.unwrap();
    let server = MailferryServer::start(&[]).expect("server starts");
    let testbed = testbed(
        &source,
        &destination,
        &[user],
        serde_json::json!({ "folder": SCRIPT_FOLDER }),
    );
    tokio::task::block_in_place(|| run_specs(&server, "06-hostile-text", &testbed, no_requests));
    let mut dst = TestSession::master(destination.imap_port(), user)
        .await
        .unwrap();
    assert_eq!(
        dst.fetch_all(SCRIPT_FOLDER).await.unwrap().len(),
        1,
        "the small message only"
    );
}

/// A personal account's consent in the browser: the consent link, the provider's page (the test
/// bed's token server), the thank-you page, and the batch copying the mailbox without a password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_consents_through_the_link_in_the_browser() {
    use mailferry_tests::{OAuth2Check, TokenServer};
    let user = "sam@example.test";
    let tokens = TokenServer::start(&[user]).await.unwrap();
    tokens.add_personal_client("mailferry-personal");
    let introspection = tokens.introspection_url();
    let mut source = Dovecot::start(DovecotOptions {
        oauth2: Some(OAuth2Check {
            introspection_url: &introspection,
            per_domain: false,
            imap_disabled: &[],
        }),
        ..DovecotOptions::default()
    })
    .unwrap();
    let mut destination = Dovecot::start(DovecotOptions {
        name: "destination",
        ..DovecotOptions::default()
    })
    .unwrap();
    source.add_user(user, "unknown-to-mailferry").unwrap();
    destination.add_user(user, "dest-pw").unwrap();
    seed_mailbox(&source, user, &corpus(7)).await.unwrap();
    let server = MailferryServer::start(&[]).expect("server starts");
    let testbed = testbed(
        &source,
        &destination,
        &[user],
        serde_json::json!({
            "user": user,
            "clientId": "mailferry-personal",
            "authorizationUrl": tokens.authorization_url(),
            "tokenUrl": tokens.token_url(),
            "scope": mailferry_tests::token_server::GOOGLE_SCOPE,
        }),
    );
    tokio::task::block_in_place(|| run_specs(&server, "10-consent", &testbed, no_requests));
    assert_copied(&source, &destination, &[user]).await;
    assert!(
        tokens.issued_for(user) >= 2,
        "the consent's token, then the batch's"
    );
}
