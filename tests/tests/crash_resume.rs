//! Crash safety of a whole batch: the server is killed with SIGKILL 20 times while it copies a
//! multi-mailbox batch (in turn: right after a claim, during sign-in, LIST and SELECT; as soon
//! as messages are journaled for an APPEND; with APPEND literals in flight; right after a
//! commit), started again on the same SQLite database, and the batch resumes on its own. In the end every destination folder equals
//! its source: nothing lost, nothing twice, flags and dates intact.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use app::model::batch::{BatchState, EmailStatus};
use mailferry::batches::actions;
use mailferry::config::{Config, DatabaseUrl};
use mailferry::db::entity::{append_journal, batch, mailbox};
use mailferry::endpoints::EndpointRole;
use mailferry::secrets::Cipher;
use mailferry_tests::mailferry_server::MailferryServer;
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Dovecot, DovecotOptions, Fault, FaultProxy};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const USERS: usize = 4;
const FOLDERS: [&str; 3] = ["INBOX", "Archive", "Archive/2001"];
const PER_FOLDER: u64 = 120;
const KILLS: usize = 20;

fn corpus(user: usize) -> MailboxSpec {
    MailboxSpec {
        folders: FOLDERS
            .iter()
            .enumerate()
            .map(|(f, name)| FolderSpec {
                name: name.to_string(),
                messages: (0..PER_FOLDER)
                    .map(|i| MessageSpec {
                        bytes: message(
                            (user * 10 + f) as u64 * 1_000 + i,
                            8_000 + (i as usize % 7) * 3_000,
                            None,
                        ),
                        flags: match i % 4 {
                            0 => vec!["\\Seen".into()],
                            1 => vec!["\\Flagged".into(), "$Label1".into()],
                            _ => vec![],
                        },
                        internaldate: None,
                    })
                    .collect(),
            })
            .collect(),
    }
}

async fn copied(db: &sea_orm::DatabaseConnection, id: i64) -> i64 {
    mailbox::Entity::find()
        .filter(mailbox::Column::BatchId.eq(id))
        .all(db)
        .await
        .unwrap()
        .iter()
        .map(|m| m.messages_copied)
        .sum()
}

/// A SQLite database and a key file (the key 0x42…) that the test and the servers share.
struct Store {
    _dir: tempfile::TempDir,
    url: String,
    key_path: std::path::PathBuf,
    db: sea_orm::DatabaseConnection,
}

impl Store {
    async fn new() -> Store {
        let dir = tempfile::tempdir().unwrap();
        let key_path = dir.path().join("secret.key");
        std::fs::write(&key_path, "42".repeat(32)).unwrap();
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let url = format!("sqlite://{}/mailferry.db", dir.path().display());
        let db = mailferry::db::open(&Config {
            database_url: DatabaseUrl(url.clone()),
            ..Config::default()
        })
        .await
        .unwrap();
        Store {
            _dir: dir,
            url,
            key_path,
            db,
        }
    }
}

/// Where in the work a kill lands, judged from what the process has written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KillPoint {
    /// It claimed a mailbox: connecting, signing in, LIST, SELECT.
    Claimed,
    /// It journaled messages it is about to append (FETCH done, APPEND starting).
    Journaled,
    /// 30 ms after journaling: literals on the wire or the answer awaited.
    AppendInFlight,
    /// It committed a transaction: between a commit and the next one.
    Committed,
}

impl KillPoint {
    const ALL: [KillPoint; 4] = [
        KillPoint::Claimed,
        KillPoint::Journaled,
        KillPoint::AppendInFlight,
        KillPoint::Committed,
    ];

    async fn reached(
        self,
        db: &sea_orm::DatabaseConnection,
        id: i64,
        since: chrono::DateTime<chrono::Utc>,
        pid: u32,
        copied_before: i64,
    ) -> bool {
        match self {
            KillPoint::Claimed => mailbox::Entity::find()
                .filter(mailbox::Column::BatchId.eq(id))
                .filter(mailbox::Column::ClaimedBy.like(format!("%:{pid}")))
                .filter(mailbox::Column::State.eq(app::model::batch::MailboxState::Syncing))
                .one(db)
                .await
                .unwrap()
                .is_some(),
            KillPoint::Journaled | KillPoint::AppendInFlight => append_journal::Entity::find()
                .filter(append_journal::Column::CreatedAt.gt(since))
                .one(db)
                .await
                .unwrap()
                .is_some(),
            KillPoint::Committed => copied(db, id).await > copied_before,
        }
    }
}

async fn state(db: &sea_orm::DatabaseConnection, id: i64) -> BatchState {
    batch::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .state
}

/// Every user with its corpus on the source; the CSV of them.
async fn seed_users(source: &mut Dovecot, destination: &mut Dovecot) -> (Vec<String>, String) {
    let users: Vec<String> = (0..USERS)
        .map(|i| format!("crash{i}@example.test"))
        .collect();
    let pairs: Vec<(&str, &str)> = users.iter().map(|u| (u.as_str(), "pw")).collect();
    source.add_users(&pairs).unwrap();
    destination.add_users(&pairs).unwrap();
    let mut csv = String::from("EmailAddress,UserName,Password\n");
    for (i, user) in users.iter().enumerate() {
        seed_mailbox(source, user, &corpus(i)).await.unwrap();
        csv.push_str(&format!("{user},{user},pw\n"));
    }
    (users, csv)
}

/// Kills the server KILLS times, in turn at each kind of point, restarting it each time; where
/// each kill landed (the point and the messages counted then).
async fn kill_at_every_point(
    server: &MailferryServer,
    db: &sea_orm::DatabaseConnection,
    id: i64,
    deadline: Instant,
) -> Vec<(KillPoint, i64)> {
    let mut kills = Vec::new();
    while kills.len() < KILLS {
        let point = KillPoint::ALL[kills.len() % KillPoint::ALL.len()];
        let (since, pid, before) = (chrono::Utc::now(), server.pid(), copied(db, id).await);
        while !point.reached(db, id, since, pid, before).await {
            assert!(
                Instant::now() < deadline,
                "stuck before {point:?}:\n{}",
                server.log_text()
            );
            assert_ne!(
                state(db, id).await,
                BatchState::Synced,
                "the batch finished after only {} kills: make it bigger",
                kills.len()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if point == KillPoint::AppendInFlight {
            // Not a wait for an event: the kill lands a moment into the APPEND literals.
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        kills.push((point, copied(db, id).await));
        server.restart().expect("the server starts again");
    }
    kills
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_kills_mid_batch_lose_and_duplicate_nothing() {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    let (users, csv) = seed_users(&mut source, &mut destination).await;
    // A slow source link, so each kill lands inside the work rather than between mailboxes.
    let proxy = FaultProxy::start(([127, 0, 0, 1], source.imap_port()).into())
        .await
        .unwrap();
    proxy.set_fault(Fault::Delay(Duration::from_millis(12)));

    let store = Store::new().await;
    let (db, url, key_path) = (&store.db, store.url.as_str(), store.key_path.as_path());
    let id = common::stored_batch(
        db,
        &Cipher::new(&[0x42; 32]),
        &common::endpoint(EndpointRole::Source, proxy.port()),
        &common::endpoint(EndpointRole::Destination, destination.imap_port()),
        &csv,
    )
    .await;
    actions::start(db, id).await.unwrap();

    let server = MailferryServer::start(&[
        ("MAILFERRY_DATABASE_URL", url),
        ("MAILFERRY_SECRET_KEY_FILE", key_path.to_str().unwrap()),
        ("MAILFERRY_MAILBOX_LEASE_SECS", "3"),
        ("MAILFERRY_MAX_CONCURRENT_MAILBOXES", "2"),
    ])
    .expect("serve starts");
    let total = (USERS * FOLDERS.len()) as i64 * PER_FOLDER as i64;
    let deadline = Instant::now() + Duration::from_secs(600);
    let kills = kill_at_every_point(&server, db, id, deadline).await;
    while state(db, id).await != BatchState::Synced {
        assert!(
            Instant::now() < deadline,
            "not finished:\n{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("killed at {kills:?} of {total} messages");
    assert_eq!(copied(db, id).await, total, "every message counted once");
    for user in &users {
        common::assert_same_messages(&source, &destination, user, &FOLDERS).await;
    }
    // Twenty kills in the middle of SQLite writes left a sound database (WAL).
    common::assert_sqlite_sound(db).await;
}

/// A batch of `user` whose status e-mail goes to ops@example.test.
async fn batch_with_recipient(
    db: &sea_orm::DatabaseConnection,
    cipher: &Cipher,
    (source, destination): (u16, u16),
    user: &str,
) -> i64 {
    let id = common::stored_batch(
        db,
        cipher,
        &common::endpoint(EndpointRole::Source, source),
        &common::endpoint(EndpointRole::Destination, destination),
        &format!("EmailAddress,UserName,Password\n{user},{user},pw\n"),
    )
    .await;
    batch::Entity::update_many()
        .col_expr(
            batch::Column::NotifyEmails,
            sea_orm::sea_query::Expr::value(batch::Recipients(vec!["ops@example.test".into()])),
        )
        .filter(batch::Column::Id.eq(id))
        .exec(db)
        .await
        .unwrap();
    id
}

/// Mail settings that send through the SMTP server on `port`.
fn mail_to(port: u16) -> app::model::settings::MailSettingsView {
    app::model::settings::MailSettingsView {
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        smtp_security: app::model::settings::SmtpSecurity::None,
        from: "mailferry@example.test".into(),
        ..Default::default()
    }
}

/// The end of a batch ("the report"): the server is killed while it sends the status e-mail
/// (the SMTP server accepts and never answers); after the restart the stale claim is taken over
/// and exactly one e-mail, with MigrationErrors.csv attached, goes out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_while_the_status_email_goes_out_sends_it_once_after_restart() {
    use mailferry::mail::mail_settings;
    use mailferry::mail::smtp::SmtpSettings;
    use mailferry_tests::SmtpReceiver;

    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    let user = "report@example.test";
    source.add_user(user, "pw").unwrap();
    destination.add_user(user, "pw").unwrap();
    seed_mailbox(&source, user, &corpus(9)).await.unwrap();

    let store = Store::new().await;
    let (db, url, key_path) = (&store.db, store.url.as_str(), store.key_path.as_path());
    let cipher = Cipher::new(&[0x42; 32]);
    let id = batch_with_recipient(
        db,
        &cipher,
        (source.imap_port(), destination.imap_port()),
        user,
    )
    .await;
    // An SMTP server that accepts connections and never says a word.
    let black_hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut held = Vec::new();
    let configured = SmtpSettings::default();
    mail_settings::save(
        db,
        &cipher,
        &mail_to(black_hole.local_addr().unwrap().port()),
        None,
        &configured,
    )
    .await
    .unwrap();
    actions::start(db, id).await.unwrap();
    let server = MailferryServer::start(&[
        ("MAILFERRY_DATABASE_URL", url),
        ("MAILFERRY_SECRET_KEY_FILE", key_path.to_str().unwrap()),
        ("MAILFERRY_MAILBOX_LEASE_SECS", "3"),
    ])
    .expect("serve starts");
    // The batch ends and its e-mail is claimed; the SMTP conversation hangs.
    let (stream, _) = tokio::time::timeout(Duration::from_secs(120), black_hole.accept())
        .await
        .expect("the status e-mail is being sent")
        .unwrap();
    held.push(stream);
    let claimed = batch::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.state, BatchState::Synced);
    assert_eq!(claimed.email_status, Some(EmailStatus::Sending));

    // Killed mid-send; the admin points the mail settings at a working server; restart.
    let receiver = SmtpReceiver::start().await.unwrap();
    mail_settings::save(db, &cipher, &mail_to(receiver.port()), None, &configured)
        .await
        .unwrap();
    server.restart().expect("the server starts again");
    let mails = receiver.wait_for(1, Duration::from_secs(60)).await.unwrap();
    let text = String::from_utf8_lossy(&mails[0].data).into_owned();
    assert!(text.contains("MigrationErrors.csv"), "{text}");
    // Once the e-mail is recorded as sent nobody can claim it again: then count.
    common::wait_for(30, "the e-mail recorded as sent", || async {
        let found = batch::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        (found.email_status == Some(EmailStatus::Sent)).then_some(())
    })
    .await;
    assert_eq!(receiver.messages().len(), 1, "exactly one status e-mail");
}
