//! The engine on a bad day: connections cut mid-transfer on either side, a stalled source, and the
//! state it finds after a crash (APPEND done, commit lost; a UIDVALIDITY change). Every case ends
//! with the destination equal to the source: nothing lost, nothing twice.

mod common;

use common::NoProgress;

use std::net::SocketAddr;
use std::time::Duration;

use mailferry::db::entity::folder_state;
use mailferry::engine::mailbox::MailboxSpec;
use mailferry::engine::mailbox_job::run_mailbox;
use mailferry::engine::state;
use mailferry::imap::connect::Credentials;
use mailferry::imap::fetch::{MessageIds, fetch_meta, open_folder};
use mailferry::oauth::sign_in::open;
use mailferry_tests::seed::{
    FolderSpec, MailboxSpec as SeedSpec, MessageSpec, message, seed_mailbox,
};
use mailferry_tests::{
    Dovecot, DovecotOptions, Fault, FaultProxy, MASTER_PASSWORD, MASTER_USER, TestSession,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

fn spec(source_port: u16, destination_port: u16, user: &str) -> MailboxSpec {
    common::mailbox_spec(source_port, destination_port, user, &format!("pw-{user}"))
}

fn corpus(messages: u64) -> SeedSpec {
    let twin = message(4242, 4_000, Some("<twin@example.test>"));
    let mut inbox: Vec<MessageSpec> = (0..messages)
        .map(|i| MessageSpec {
            bytes: message(i, 3_000 + (i as usize % 7) * 700, None),
            flags: vec!["\\Seen".into()],
            internaldate: None,
        })
        .collect();
    inbox.push(MessageSpec {
        bytes: twin.clone(),
        flags: vec![],
        internaldate: None,
    });
    inbox.push(MessageSpec {
        bytes: twin,
        flags: vec![],
        internaldate: None,
    });
    SeedSpec {
        folders: vec![
            FolderSpec {
                name: "INBOX".into(),
                messages: inbox,
            },
            FolderSpec {
                name: "Work".into(),
                messages: (0..20)
                    .map(|i| MessageSpec {
                        bytes: message(1000 + i, 2_000, None),
                        flags: vec![],
                        internaldate: None,
                    })
                    .collect(),
            },
        ],
    }
}

async fn assert_identical(source: &Dovecot, destination: &Dovecot, user: &str) {
    let mut src = TestSession::master(source.imap_port(), user).await.unwrap();
    let mut dst = TestSession::master(destination.imap_port(), user)
        .await
        .unwrap();
    for folder in ["INBOX", "Work"] {
        let a = src.fetch_all(folder).await.unwrap();
        let b = dst.fetch_all(folder).await.unwrap();
        assert_eq!(a.len(), b.len(), "{user} {folder}: message count");
        for (x, y) in a.iter().zip(&b) {
            assert!(
                x.body == y.body,
                "{user} {folder}: UID {} differs (lost or duplicated)",
                x.uid
            );
            assert_eq!(x.internaldate, y.internaldate);
        }
    }
}

fn servers() -> (Dovecot, Dovecot) {
    common::dovecots(DovecotOptions::default())
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[tokio::test]
async fn a_source_connection_cut_mid_folder_is_survived() {
    let (mut source, mut destination) = servers();
    source.add_user("cut", "pw-cut").unwrap();
    destination.add_user("cut", "x").unwrap();
    seed_mailbox(&source, "cut", &corpus(250)).await.unwrap();
    let proxy = FaultProxy::start(local(source.imap_port())).await.unwrap();
    proxy.set_fault(Fault::CutAfterBytes(400_000));
    let (_dir, db) = common::sqlite().await;
    let report = run_mailbox(
        &db,
        &spec(proxy.port(), destination.imap_port(), "cut"),
        &NoProgress,
    )
    .await
    .expect("survives the cut");
    assert!(proxy.connections() >= 2, "the cut forced a reconnect");
    assert_eq!(report.copied, 272, "{report:?}");
    assert_identical(&source, &destination, "cut").await;
}

#[tokio::test]
async fn destination_connections_cut_at_many_points_never_duplicate() {
    let (mut source, mut destination) = servers();
    source.add_user("multi", "pw-multi").unwrap();
    seed_mailbox(&source, "multi", &corpus(120)).await.unwrap();
    // Server→client bytes on the destination: greeting, capabilities, LIST, SELECT, the APPEND
    // answers. Each cut lands somewhere else, several inside a MULTIAPPEND awaiting its answer.
    for (i, cut_at) in [700u64, 1_100, 1_500, 1_900, 2_300, 2_700]
        .into_iter()
        .enumerate()
    {
        let user = format!("multi{i}");
        destination.add_user(&user, "x").unwrap();
        let proxy = FaultProxy::start(local(destination.imap_port()))
            .await
            .unwrap();
        proxy.set_fault(Fault::CutAfterBytes(cut_at));
        let (_dir, db) = common::sqlite().await;
        let mut job = spec(source.imap_port(), proxy.port(), "multi");
        job.email = format!("{user}@example.test");
        job.destination_credentials = Credentials::Plain {
            authzid: Some(user.clone()),
            authcid: MASTER_USER.into(),
            password: MASTER_PASSWORD.into(),
        }
        .into();
        run_mailbox(&db, &job, &NoProgress)
            .await
            .unwrap_or_else(|e| panic!("cut at {cut_at}: {e:?}"));
        let mut src = TestSession::master(source.imap_port(), "multi")
            .await
            .unwrap();
        let mut dst = TestSession::master(destination.imap_port(), &user)
            .await
            .unwrap();
        for folder in ["INBOX", "Work"] {
            let a = src.fetch_all(folder).await.unwrap();
            let b = dst.fetch_all(folder).await.unwrap();
            assert_eq!(a.len(), b.len(), "cut at {cut_at}: {folder} count");
            assert!(
                a.iter().zip(&b).all(|(x, y)| x.body == y.body),
                "cut at {cut_at}: {folder} bodies"
            );
        }
    }
}

#[tokio::test]
async fn a_stalled_source_times_out_and_resumes() {
    let (mut source, mut destination) = servers();
    source.add_user("stall", "pw-stall").unwrap();
    destination.add_user("stall", "x").unwrap();
    seed_mailbox(&source, "stall", &corpus(60)).await.unwrap();
    let proxy = FaultProxy::start(local(source.imap_port())).await.unwrap();
    let mut job = spec(proxy.port(), destination.imap_port(), "stall");
    job.source.timeout = Duration::from_secs(1);
    proxy.set_fault(Fault::Stall);
    let (_dir, db) = common::sqlite().await;
    let run = {
        let (db, job) = (db.clone(), job.clone());
        tokio::spawn(async move { run_mailbox(&db, &job, &NoProgress).await })
    };
    // The stall ends once the engine gave up on the first connection: it opened another, or
    // the attempt ended.
    common::wait_for(30, "the first connection to time out", || {
        std::future::ready((proxy.connections() >= 2 || run.is_finished()).then_some(()))
    })
    .await;
    proxy.set_fault(Fault::None);
    let report = run.await.unwrap();
    // The first connection may fail outright while the stall lasts; a second run resumes.
    let report = match report {
        Ok(r) => r,
        Err(_) => run_mailbox(&db, &job, &NoProgress)
            .await
            .expect("resumes once the source answers"),
    };
    assert!(report.folders_done == 2, "{report:?}");
    assert_identical(&source, &destination, "stall").await;
}

#[tokio::test]
async fn a_crash_between_append_and_commit_and_a_uidvalidity_change_do_not_duplicate() {
    let (mut source, mut destination) = servers();
    source.add_user("crash", "pw-crash").unwrap();
    destination.add_user("crash", "x").unwrap();
    seed_mailbox(&source, "crash", &corpus(30)).await.unwrap();
    let (_dir, db) = common::sqlite().await;
    let job = spec(source.imap_port(), destination.imap_port(), "crash");
    run_mailbox(&db, &job, &NoProgress).await.unwrap();

    // As after a crash: UIDs 5..=12 and both twins were appended, their commit never happened,
    // only the journal says they were in flight.
    let account = state::account(&db, &job.email, "crash").await.unwrap();
    let mut session = open(&job.source, &job.source_credentials, "test")
        .await
        .unwrap();
    let status = open_folder(&mut session, "INBOX", true).await.unwrap();
    let (metas, _) = fetch_meta(&mut session, status.exists, 1000, MessageIds::Fetch)
        .await
        .unwrap();
    let mut folder = state::load_folder(&db, account.id, "INBOX")
        .await
        .unwrap()
        .unwrap();
    let lost: Vec<u32> = (5..=12).chain([31, 32]).collect();
    let kept: mailferry::imap::uid_set::UidSet =
        folder.copied.iter().filter(|u| !lost.contains(u)).collect();
    let model = folder_state::Entity::find()
        .filter(folder_state::Column::Id.eq(folder.id))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let mut active: folder_state::ActiveModel = model.into();
    active.copied_uids = Set(kept.to_string());
    active.update(&db).await.unwrap();
    folder.copied = kept;
    let in_flight: Vec<_> = metas.iter().filter(|m| lost.contains(&m.uid)).collect();
    state::journal_add(&db, &folder, &in_flight).await.unwrap();
    let healed = run_mailbox(&db, &job, &NoProgress).await.unwrap();
    assert_eq!(
        (healed.copied, healed.already_present),
        (0, 10),
        "{healed:?}"
    );
    assert_identical(&source, &destination, "crash").await;

    // As after a UIDVALIDITY change on the source: the state no longer vouches for anything.
    let model = folder_state::Entity::find()
        .filter(folder_state::Column::Id.eq(folder.id))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let mut active: folder_state::ActiveModel = model.into();
    active.uidvalidity = Set(1);
    active.update(&db).await.unwrap();
    let revalidated = run_mailbox(&db, &job, &NoProgress).await.unwrap();
    assert_eq!(
        (revalidated.copied, revalidated.already_present),
        (0, 32),
        "{revalidated:?}"
    );
    assert_identical(&source, &destination, "crash").await;
}

/// Mailferry's own database failing inside a folder copy (here a trigger refuses the journal of
/// the messages about to be appended, as a full disk or a lost PostgreSQL connection would) ends
/// the mailbox with a storage error, not a server's; nothing is appended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_failure_inside_a_folder_is_a_storage_error() {
    use app::ErrorKind;
    use sea_orm::ConnectionTrait;

    let (mut source, mut destination) = servers();
    source.add_user("store", "pw-store").unwrap();
    destination.add_user("store", "x").unwrap();
    seed_mailbox(&source, "store", &corpus(10)).await.unwrap();
    let (_dir, db) = common::sqlite().await;
    db.execute_unprepared(
        "CREATE TRIGGER no_room BEFORE INSERT ON append_journal \
         BEGIN SELECT RAISE(FAIL, 'no room for the journal'); END",
    )
    .await
    .unwrap();
    let job = spec(source.imap_port(), destination.imap_port(), "store");
    let failure = run_mailbox(&db, &job, &NoProgress).await.unwrap_err();
    assert_eq!(failure.kind, ErrorKind::StorageFailed, "{failure:?}");
    assert!(
        failure.detail.contains("no room for the journal"),
        "{}",
        failure.detail
    );
    let mut dst = TestSession::master(destination.imap_port(), "store")
        .await
        .unwrap();
    assert!(dst.fetch_all("INBOX").await.unwrap().is_empty());
}
