//! Several `mailferry serve` processes on one PostgreSQL share a batch through mailbox claims;
//! killing one mid-batch leaves nothing unfinished and nothing copied twice. SQLite refuses a
//! second process with a clear message.

mod common;

use common::endpoint;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

use app::model::batch::{BatchState, MailboxState};
use mailferry::batches::actions;
use mailferry::config::{Config, DatabaseUrl};
use mailferry::db::entity::{batch, mailbox};
use mailferry::endpoints::EndpointRole;
use mailferry::secrets::Cipher;
use mailferry_tests::mailferry_server::{MailferryServer, mailferry_binary};
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Dovecot, DovecotOptions, Fault, FaultProxy, Postgres, TestSession};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const MAILBOXES: usize = 60;
const MESSAGES: u64 = 3;

struct Fixture {
    source: Dovecot,
    destination: Dovecot,
    proxy: FaultProxy,
    _pg: Postgres,
    _shared: tempfile::TempDir,
    db: sea_orm::DatabaseConnection,
    id: i64,
    users: Vec<String>,
    env: Vec<(&'static str, String)>,
}

/// Source and destination with `mailboxes` users of MESSAGES messages each, a slowed link to the
/// source, a PostgreSQL with a batch of them (the endpoints limited to `(source_max,
/// destination_max)` mailboxes at once).
async fn fixture(mailboxes: usize, (source_max, destination_max): (u32, u32)) -> Fixture {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    let users: Vec<String> = (0..mailboxes)
        .map(|i| format!("u{i:02}@example.test"))
        .collect();
    source
        .add_users(
            &users
                .iter()
                .map(|u| (u.as_str(), "pw-u"))
                .collect::<Vec<_>>(),
        )
        .unwrap();
    destination
        .add_users(&users.iter().map(|u| (u.as_str(), "x")).collect::<Vec<_>>())
        .unwrap();
    let mut csv = String::from("EmailAddress,UserName,Password\n");
    for (i, user) in users.iter().enumerate() {
        let spec = MailboxSpec {
            folders: vec![FolderSpec {
                name: "INBOX".into(),
                messages: (0..MESSAGES)
                    .map(|m| MessageSpec {
                        bytes: message(i as u64 * 100 + m, 30_000, None),
                        flags: vec![],
                        internaldate: None,
                    })
                    .collect(),
            }],
        };
        seed_mailbox(&source, user, &spec).await.unwrap();
        csv.push_str(&format!("{user},{user},pw-u\n"));
    }
    let proxy = FaultProxy::start(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        source.imap_port(),
    )))
    .await
    .unwrap();
    proxy.set_fault(Fault::Delay(Duration::from_millis(15)));
    let pg = Postgres::start().unwrap();
    let shared = tempfile::tempdir().unwrap();
    let key_path = shared.path().join("secret.key");
    std::fs::write(&key_path, "42".repeat(32)).unwrap();
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = Config {
        database_url: DatabaseUrl(pg.url()),
        ..Config::default()
    };
    let db = mailferry::db::open(&config).await.unwrap();
    let cipher = Cipher::new(&[0x42; 32]);
    let mut source_endpoint = endpoint(EndpointRole::Source, proxy.port());
    source_endpoint.max_concurrent = source_max;
    let mut destination_endpoint = endpoint(EndpointRole::Destination, destination.imap_port());
    destination_endpoint.max_concurrent = destination_max;
    let id =
        common::stored_batch(&db, &cipher, &source_endpoint, &destination_endpoint, &csv).await;
    let env = vec![
        ("MAILFERRY_DATABASE_URL", pg.url()),
        ("MAILFERRY_SECRET_KEY_FILE", key_path.display().to_string()),
        ("MAILFERRY_MAILBOX_LEASE_SECS", "4".into()),
        ("MAILFERRY_MAX_CONCURRENT_MAILBOXES", "3".into()),
    ];
    Fixture {
        source,
        destination,
        proxy,
        _pg: pg,
        _shared: shared,
        db,
        id,
        users,
        env,
    }
}

impl Fixture {
    fn start_processes(&self, n: usize, extra_env: &[(&str, &str)]) -> Vec<MailferryServer> {
        let mut env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        env.extend_from_slice(extra_env);
        (0..n)
            .map(|_| MailferryServer::start(&env).expect("serve starts"))
            .collect()
    }

    async fn state(&self) -> BatchState {
        batch::Entity::find_by_id(self.id)
            .one(&self.db)
            .await
            .unwrap()
            .unwrap()
            .state
    }

    async fn synced(&self) -> Vec<mailbox::Model> {
        mailbox::Entity::find()
            .filter(mailbox::Column::BatchId.eq(self.id))
            .filter(mailbox::Column::State.eq(MailboxState::Synced))
            .all(&self.db)
            .await
            .unwrap()
    }

    async fn assert_each_copied_once(&self) {
        for user in &self.users {
            let mut dst = TestSession::master(self.destination.imap_port(), user)
                .await
                .unwrap();
            assert_eq!(
                dst.fetch_all("INBOX").await.unwrap().len() as u64,
                MESSAGES,
                "{user}: nothing lost, nothing twice"
            );
        }
        let mut src = TestSession::master(self.source.imap_port(), &self.users[0])
            .await
            .unwrap();
        assert_eq!(src.fetch_all("INBOX").await.unwrap().len() as u64, MESSAGES);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_share_a_batch_and_survive_a_killed_one() {
    let f = fixture(MAILBOXES, (100, 100)).await;
    let mut processes = f.start_processes(3, &[]);
    actions::start(&f.db, f.id).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while f.synced().await.len() < 10 {
        assert!(
            Instant::now() < deadline,
            "no progress:\n{}",
            processes[0].log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let victim = processes[0].pid().to_string();
    processes[0].kill_hard();
    f.proxy.set_fault(Fault::None);
    loop {
        let done = f.synced().await;
        if done.len() == MAILBOXES {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {MAILBOXES} synced after a process died:\n{}",
            done.len(),
            processes[1].log_text()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let all = f.synced().await;
    let workers: std::collections::HashSet<String> =
        all.iter().filter_map(|m| m.claimed_by.clone()).collect();
    assert!(workers.len() >= 2, "the work was shared: {workers:?}");
    assert!(
        workers.iter().any(|w| w.ends_with(&format!(":{victim}"))),
        "the killed process had done some: {workers:?}"
    );
    f.assert_each_copied_once().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let state = f.state().await;
        if state == BatchState::Synced {
            break;
        }
        assert!(Instant::now() < deadline, "batch state {state}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the batch is done; returns the most mailboxes that were live at once.
async fn most_at_once(f: &Fixture, processes: &[MailferryServer], total: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut most = 0;
    loop {
        let live = mailbox::Entity::find()
            .filter(mailbox::Column::BatchId.eq(f.id))
            .filter(mailbox::Column::State.eq(MailboxState::Syncing))
            .filter(mailbox::Column::LeaseUntil.gte(chrono::Utc::now()))
            .all(&f.db)
            .await
            .unwrap()
            .len();
        most = most.max(live);
        if f.synced().await.len() == total {
            return most;
        }
        assert!(
            Instant::now() < deadline,
            "not finished:\n{}",
            processes[0].log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Three processes with three slots each, a source endpoint allowing two: never more than two
/// at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_endpoint_limit_holds_across_processes() {
    let f = fixture(12, (2, 100)).await;
    let processes = f.start_processes(3, &[]);
    actions::start(&f.db, f.id).await.unwrap();
    let most = most_at_once(&f, &processes, 12).await;
    assert!(
        most <= 2,
        "at most 2 mailboxes at once on the endpoint, saw {most}"
    );
    assert!(most >= 1);
    f.assert_each_copied_once().await;
}

/// Three processes with three slots each, a roomy source and a destination endpoint allowing
/// two: never more than two at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_endpoint_limit_holds_across_processes() {
    let f = fixture(12, (100, 2)).await;
    let processes = f.start_processes(3, &[]);
    actions::start(&f.db, f.id).await.unwrap();
    let most = most_at_once(&f, &processes, 12).await;
    assert!(
        most <= 2,
        "at most 2 mailboxes at once into the destination, saw {most}"
    );
    assert!(most >= 1);
    f.assert_each_copied_once().await;
}

/// Three processes with three slots each and a roomy endpoint, the cluster-wide limit at two:
/// never more than two at once over all processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_wide_limit_holds_across_processes() {
    let f = fixture(12, (100, 100)).await;
    let processes = f.start_processes(3, &[("MAILFERRY_CLUSTER_MAX_CONCURRENT_MAILBOXES", "2")]);
    actions::start(&f.db, f.id).await.unwrap();
    let most = most_at_once(&f, &processes, 12).await;
    assert!(
        most <= 2,
        "at most 2 mailboxes at once in the cluster, saw {most}"
    );
    assert!(most >= 1);
    f.assert_each_copied_once().await;
}

#[test]
fn a_second_process_on_one_sqlite_file_is_refused() {
    let first = MailferryServer::start(&[]).expect("first process");
    let output = Command::new(mailferry_binary().unwrap())
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{}", mailferry_tests::free_port()),
        ])
        .env("MAILFERRY_DATA_DIR", first.data_dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("SQLite allows one process") && text.contains("PostgreSQL"),
        "{text}"
    );
}

/// A stop given anywhere reaches the workers of every process within seconds; resuming finishes
/// the batch with nothing copied twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_reaches_every_process() {
    let f = fixture(12, (100, 100)).await;
    // Slow enough that the stop lands while mailboxes are being copied.
    f.proxy.set_fault(Fault::Delay(Duration::from_millis(60)));
    let processes = f.start_processes(2, &[]);
    actions::start(&f.db, f.id).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    // Stop as soon as the first mailboxes are claimed: the queued ones must never start.
    loop {
        let claimed = mailbox::Entity::find()
            .filter(mailbox::Column::BatchId.eq(f.id))
            .filter(mailbox::Column::State.ne(MailboxState::Queued))
            .all(&f.db)
            .await
            .unwrap();
        if !claimed.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no progress:\n{}",
            processes[0].log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    actions::stop(&f.db, f.id).await.unwrap();
    let stopped_by = Instant::now() + Duration::from_secs(15);
    loop {
        let state = f.state().await;
        let busy = mailbox::Entity::find()
            .filter(mailbox::Column::BatchId.eq(f.id))
            .filter(mailbox::Column::State.is_in([MailboxState::Queued, MailboxState::Syncing]))
            .all(&f.db)
            .await
            .unwrap()
            .len();
        if state == BatchState::Stopped && busy == 0 {
            break;
        }
        assert!(
            Instant::now() < stopped_by,
            "still {state} with {busy} busy mailboxes 15 s after the stop"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(f.synced().await.len() < 12, "stopped before the end");
    f.proxy.set_fault(Fault::None);
    actions::resume(&f.db, f.id).await.unwrap();
    actions::start(&f.db, f.id).await.unwrap();
    while f.synced().await.len() < 12 {
        assert!(
            Instant::now() < deadline,
            "not finished after resume:\n{}",
            processes[1].log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    f.assert_each_copied_once().await;
}

/// `batch run` while another process holds a mailbox of the batch: it says who holds it until
/// when, copies the rest, waits (here until the holder's lease runs out and it takes the mailbox
/// over), and reports the batch complete only when every mailbox is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_run_waits_for_a_mailbox_another_process_holds() {
    let f = fixture(2, (100, 100)).await;
    f.proxy.set_fault(Fault::None);
    actions::start(&f.db, f.id).await.unwrap();
    let held = chrono::Utc::now() + chrono::Duration::seconds(4);
    mailbox::Entity::update_many()
        .col_expr(mailbox::Column::State, Expr::value(MailboxState::Syncing))
        .col_expr(mailbox::Column::ClaimedBy, Expr::value("elsewhere:1"))
        .col_expr(mailbox::Column::LeaseUntil, Expr::value(held))
        .filter(mailbox::Column::BatchId.eq(f.id))
        .filter(mailbox::Column::EmailAddress.eq(f.users[0].as_str()))
        .exec(&f.db)
        .await
        .unwrap();
    let output = Command::new(mailferry_binary().unwrap())
        .args(["batch", "run", &f.id.to_string()])
        .envs(f.env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let text = common::output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains(f.users[0].as_str()) && text.contains("held by elsewhere:1 until"),
        "names the holder:\n{text}"
    );
    assert!(text.contains("Synced — 2 synced, 0 failed"), "{text}");
    assert_eq!(f.synced().await.len(), 2);
    f.assert_each_copied_once().await;
}
