//! `migrate --incremental-interval`: after the first pass the batch stays Synced and this process
//! runs its delta syncs when they are due, and the final pass once the batch is completed
//! (`mailferry batch complete ID`, the web app, or its CompleteAfter time). Ctrl-C leaves the
//! batch as it is: Synced, or its pass continued by the same command later.

use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;

use app::model::batch::BatchState;

use super::migrate::MigrateError;
use super::output;
use crate::batches::lifecycle;
use crate::batches::run_batch::{BatchOutcome, RunSettings, run_batch};
use crate::db::entity::batch;
use crate::secrets::Cipher;

/// What to do next with a batch between passes.
enum Next {
    Pass,
    Wait,
    Done,
}

async fn next_step(db: &DatabaseConnection, id: i64) -> Result<Next, MigrateError> {
    let Some(found) = batch::find(db, id).await? else {
        return Ok(Next::Done);
    };
    let now = Utc::now();
    Ok(match found.state {
        BatchState::Syncing | BatchState::Completing => Next::Pass,
        s if s.is_synced() && found.complete_after.is_some_and(|t| t <= now) => {
            lifecycle::complete(db, id).await?;
            Next::Pass
        }
        s if s.is_synced() && found.next_sync_at.is_some_and(|t| t <= now) => {
            lifecycle::sync_now(db, id).await?;
            Next::Pass
        }
        s if s.is_synced() => Next::Wait,
        _ => Next::Done,
    })
}

fn announce_wait(db_batch: &batch::Model) {
    let next = db_batch
        .next_sync_at
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "not scheduled".into());
    println!(
        "batch {}: {}; next delta sync {next}. `mailferry batch complete {}` (or Complete in the \
         web app) runs the final pass; Ctrl-C leaves the batch Synced.",
        db_batch.id, db_batch.state, db_batch.id
    );
}

/// Runs delta passes until the batch is completed (or stopped, or fails), or Ctrl-C.
pub(super) async fn keep_in_sync(
    db: &DatabaseConnection,
    cipher: &Cipher,
    id: i64,
    settings: &RunSettings,
    mut last: BatchOutcome,
) -> Result<BatchOutcome, MigrateError> {
    let mut interrupt = std::pin::pin!(tokio::signal::ctrl_c());
    let mut announced = false;
    loop {
        match next_step(db, id).await? {
            Next::Done => return Ok(last),
            Next::Wait => {
                if !announced && let Some(found) = batch::find(db, id).await? {
                    announce_wait(&found);
                    announced = true;
                }
                tokio::select! {
                    _ = &mut interrupt => {
                        println!("batch {id}: left as it is (run the same command to go on)");
                        return Ok(last);
                    }
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
            Next::Pass => {
                announced = false;
                let pass = run_batch(db, cipher, id, settings.clone(), output::print_event);
                tokio::select! {
                    _ = &mut interrupt => {
                        println!("batch {id}: interrupted; the same command continues it");
                        return Ok(last);
                    }
                    outcome = pass => {
                        last = outcome?;
                        output::print_outcome(id, &last);
                    }
                }
            }
        }
    }
}
