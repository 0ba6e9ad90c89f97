//! Storage against both backends: SQLite (the default) and a real PostgreSQL the harness starts.
//! Migrations apply from scratch and again as a no-op; the engine's state round-trips.

use mailferry::auth::{admins, sessions};
use mailferry::config::{Config, DatabaseUrl};
use mailferry::engine::message_map::{self, Copied};
use mailferry::engine::state;
use mailferry_tests::Postgres;

async fn exercise(url: String) {
    let config = Config {
        database_url: DatabaseUrl(url),
        ..Config::default()
    };
    let db = mailferry::db::open(&config)
        .await
        .expect("opens and migrates");
    // Opening again runs no migration twice.
    let db2 = mailferry::db::open(&config).await.expect("reopens");
    drop(db2);

    let admin = admins::create_first(&db, "admin", "a long enough password")
        .await
        .unwrap();
    assert!(matches!(
        admins::create_first(&db, "second", "another long password").await,
        Err(admins::AdminError::AlreadySetUp)
    ));
    assert!(matches!(
        admins::check(&db, "admin", "a long enough password").await,
        Ok(admins::Checked::Admin(_))
    ));
    assert!(matches!(
        admins::check(&db, "admin", "wrong password!!").await,
        Ok(admins::Checked::WrongPassword)
    ));
    let idle = std::time::Duration::from_secs(1800);
    let token = sessions::create(&db, admin.id, idle).await.unwrap();
    assert_eq!(
        sessions::admin_for(&db, &token, idle)
            .await
            .unwrap()
            .map(|a| a.id),
        Some(admin.id)
    );
    sessions::delete(&db, &token).await.unwrap();
    assert!(
        sessions::admin_for(&db, &token, idle)
            .await
            .unwrap()
            .is_none()
    );

    sync_state(db).await;
}

/// Accounts, folder states and where each copied message went.
async fn sync_state(db: sea_orm::DatabaseConnection) {
    let account = state::account(&db, "jane@example.com", "jane")
        .await
        .unwrap();
    assert_eq!(
        state::account(&db, "jane@example.com", "jane")
            .await
            .unwrap()
            .id,
        account.id
    );
    let mut folder = state::reset_folder(&db, account.id, "INBOX", "INBOX", 42)
        .await
        .unwrap();
    let copied: Vec<Copied> = [1, 2, 3, 7]
        .iter()
        .map(|&uid| Copied {
            uid,
            destination_uid: (uid != 7).then_some(uid + 100),
            flags: Some("\\Seen".into()),
        })
        .collect();
    state::commit_copied(&db, &mut folder, &copied, None)
        .await
        .unwrap();
    // Recorded again (a later pass with other flags): one row per message, updated.
    let again = [Copied {
        uid: 2,
        destination_uid: Some(102),
        flags: Some("$Work \\Seen".into()),
    }];
    message_map::record(&db, folder.id, &again).await.unwrap();
    let mapped = message_map::load(&db, folder.id).await.unwrap();
    assert_eq!(mapped.len(), 4);
    assert_eq!(mapped[&2].flags.as_deref(), Some("$Work \\Seen"));
    assert_eq!(mapped[&7].destination_uid, None);
    assert_eq!(mapped[&3].destination_uid, Some(103));
    state::finish_folder(&db, &mut folder, 8, 4).await.unwrap();
    let loaded = state::load_folder(&db, account.id, "INBOX")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded.copied.to_string(), "1:3,7");
    assert_eq!(
        (loaded.uidvalidity, loaded.uidnext, loaded.exists),
        (42, 8, 4)
    );
    let reset = state::reset_folder(&db, account.id, "INBOX", "INBOX", 43)
        .await
        .unwrap();
    assert!(
        reset.copied.is_empty(),
        "a new UIDVALIDITY starts the folder afresh"
    );
    assert!(
        message_map::load(&db, reset.id).await.unwrap().is_empty(),
        "and forgets where its old UIDs went"
    );
}

#[tokio::test]
async fn sqlite_storage_works() {
    let dir = tempfile::tempdir().unwrap();
    exercise(format!(
        "sqlite://{}/nested/mailferry.db",
        dir.path().display()
    ))
    .await;
    assert!(dir.path().join("nested/mailferry.db").exists());
}

#[tokio::test]
async fn postgres_storage_works() {
    let pg = Postgres::start().expect("the harness starts PostgreSQL (Debian package postgresql)");
    exercise(pg.url()).await;
}

/// Processes starting together on an empty PostgreSQL take turns migrating it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_start_ups_migrate_postgres_once() {
    let pg = Postgres::start().expect("the harness starts PostgreSQL");
    let config = Config {
        database_url: DatabaseUrl(pg.url()),
        ..Config::default()
    };
    let opens = (0..4).map(|_| {
        let config = config.clone();
        tokio::spawn(async move { mailferry::db::open(&config).await.map(|_| ()) })
    });
    for open in opens.collect::<Vec<_>>() {
        open.await
            .unwrap()
            .expect("every process opens the database");
    }
}
