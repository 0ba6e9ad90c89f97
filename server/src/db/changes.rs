//! Change events for the live pages: a generation number that moves whenever a mailbox or batch
//! row is written, by this process (SQLite's update hook on every pooled connection) or by any
//! process sharing PostgreSQL (a trigger's NOTIFY, followed by [`follow_postgres`]). Pages read
//! the database when it moves instead of polling every row each second.

use std::sync::OnceLock;
use std::time::Duration;

use sea_orm::sqlx;
use tokio::sync::watch;

/// The channel PostgreSQL's triggers notify (m0014).
pub(crate) const CHANNEL: &str = "mailferry_changes";

/// The tables whose writes the live pages show.
const WATCHED: [&str; 2] = ["mailboxes", "batches"];

fn bus() -> &'static watch::Sender<u64> {
    static BUS: OnceLock<watch::Sender<u64>> = OnceLock::new();
    BUS.get_or_init(|| watch::channel(0).0)
}

/// Something the live pages show was written.
pub fn touched() {
    bus().send_modify(|generation| *generation = generation.wrapping_add(1));
}

/// Wakes on every change from now on.
pub fn subscribe() -> watch::Receiver<u64> {
    bus().subscribe()
}

/// Registers the update hook on a new SQLite connection: called by SQLite inside each write, it
/// only moves the generation (no lock held, nothing awaited).
pub(crate) fn hook_sqlite<'c>(
    conn: &'c mut sqlx::SqliteConnection,
    _: sqlx::pool::PoolConnectionMetadata,
) -> futures::future::BoxFuture<'c, Result<(), sqlx::Error>> {
    Box::pin(async move {
        conn.lock_handle().await?.set_update_hook(|write| {
            if WATCHED.contains(&write.table) {
                touched();
            }
        });
        Ok(())
    })
}

/// Follows the triggers' notifications from every process sharing the PostgreSQL database, for
/// as long as this process runs; a lost connection is opened again (and counts as a change, as
/// notifications may have been missed meanwhile).
pub fn follow_postgres(url: String) {
    tokio::spawn(async move {
        loop {
            if let Err(error) = listen(&url).await {
                tracing::warn!(%error, "following database changes; trying again in 2 s");
            }
            touched();
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
}

async fn listen(url: &str) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    loop {
        // A notification, or `None` for a lost connection made again (notifications may have
        // been missed): both count as a change.
        listener.try_recv().await?;
        touched();
    }
}
