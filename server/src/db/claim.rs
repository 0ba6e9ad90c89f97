//! Who works on a mailbox: a claim (`SELECT … FOR UPDATE SKIP LOCKED`, then a conditional UPDATE)
//! takes it when Queued, or Syncing with an expired lease after a crash; a heartbeat renews the
//! lease. Safe on SQLite (one writer) and on PostgreSQL with several processes: only one claim
//! can match.

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, TransactionTrait,
};

use app::model::batch::MailboxState;

use super::entity::{batch, endpoint, mailbox};

/// How long a claim holds without a heartbeat.
pub const LEASE: Duration = Duration::from_secs(60);

/// This process's name in `claimed_by`: host and PID.
pub fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}", std::process::id())
}

fn lease_until(lease: Duration) -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60))
}

/// A per-endpoint limit that holds across every process: at most `max` live claims on
/// mailboxes whose batch reads from `source_endpoint_id`.
#[derive(Clone, Copy, Debug)]
pub struct EndpointLimit {
    pub source_endpoint_id: i32,
    pub max: u32,
}

/// The limits a claim must respect, counted over every process sharing the database.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClaimLimits {
    pub endpoint: Option<EndpointLimit>,
    /// Live claims allowed over all batches and processes.
    pub cluster_max: Option<u32>,
}

/// The advisory lock key that serializes claims under the cluster-wide limit ("mfclaim").
const CLUSTER_LOCK: i64 = 0x006d_6663_6c61_696d;

/// What a claim attempt found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    Claimed,
    /// Another worker holds it, or it is done.
    Taken,
    /// The endpoint's or the cluster's limit is reached for now: try again later.
    LimitReached,
}

/// Claims the mailbox for `worker`.
pub async fn claim(
    db: &DatabaseConnection,
    mailbox_id: i32,
    worker: &str,
    lease: Duration,
    limits: ClaimLimits,
) -> Result<Claim, DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        // One process, one writer: the conditional UPDATE alone is atomic. (A read-then-write
        // transaction would fail with SQLITE_BUSY when another connection wrote in between.)
        return claim_in(db, mailbox_id, worker, lease, limits).await;
    }
    let txn = db.begin().await?;
    let claimed = claim_in(&txn, mailbox_id, worker, lease, limits).await?;
    txn.commit().await?;
    Ok(claimed)
}

async fn claim_in<C: ConnectionTrait>(
    txn: &C,
    mailbox_id: i32,
    worker: &str,
    lease: Duration,
    limits: ClaimLimits,
) -> Result<Claim, DbErr> {
    let now = Utc::now();
    // Locks are always taken cluster first, endpoint second, so two claims never wait on
    // each other in opposite order.
    if let Some(max) = limits.cluster_max {
        if txn.get_database_backend() == DbBackend::Postgres {
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({CLUSTER_LOCK})"))
                .await?;
        }
        let live = mailbox::Entity::find()
            .filter(mailbox::Column::State.eq(MailboxState::Syncing.as_str()))
            .filter(mailbox::Column::LeaseUntil.gte(now))
            .count(txn)
            .await?;
        if live >= u64::from(max) {
            return Ok(Claim::LimitReached);
        }
    }
    if let Some(limit) = limits.endpoint {
        // Claims on one endpoint are serialized by a row lock on it (PostgreSQL; SQLite has a
        // single writer), so the count below cannot be overtaken by another process.
        endpoint::Entity::find_by_id(limit.source_endpoint_id)
            .lock_exclusive()
            .one(txn)
            .await?;
        let batches = Query::select()
            .column(batch::Column::Id)
            .from(batch::Entity)
            .and_where(Expr::col(batch::Column::SourceEndpointId).eq(limit.source_endpoint_id))
            .to_owned();
        let live = mailbox::Entity::find()
            .filter(mailbox::Column::BatchId.in_subquery(batches))
            .filter(mailbox::Column::State.eq(MailboxState::Syncing.as_str()))
            .filter(mailbox::Column::LeaseUntil.gte(now))
            .count(txn)
            .await?;
        if live >= u64::from(limit.max) {
            return Ok(Claim::LimitReached);
        }
    }
    let claimable = Condition::any()
        .add(mailbox::Column::State.eq(MailboxState::Queued.as_str()))
        .add(
            Condition::all()
                .add(mailbox::Column::State.eq(MailboxState::Syncing.as_str()))
                .add(
                    Condition::any()
                        .add(mailbox::Column::LeaseUntil.is_null())
                        .add(mailbox::Column::LeaseUntil.lt(now)),
                ),
        );
    // PostgreSQL: lock the row, skipping it when another process is claiming it right now
    // (SQLite ignores the clause; it has one writer).
    let candidate = mailbox::Entity::find_by_id(mailbox_id)
        .filter(claimable.clone())
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .one(txn)
        .await?;
    if candidate.is_none() {
        return Ok(Claim::Taken);
    }
    let result = mailbox::Entity::update_many()
        .col_expr(
            mailbox::Column::State,
            Expr::value(MailboxState::Syncing.as_str()),
        )
        .col_expr(mailbox::Column::ClaimedBy, Expr::value(worker))
        .col_expr(mailbox::Column::LeaseUntil, Expr::value(lease_until(lease)))
        .col_expr(mailbox::Column::UpdatedAt, Expr::value(now))
        .filter(mailbox::Column::Id.eq(mailbox_id))
        .filter(claimable)
        .exec(txn)
        .await?;
    Ok(if result.rows_affected == 1 {
        Claim::Claimed
    } else {
        Claim::Taken
    })
}

/// Renews the lease while the worker still holds the claim; false when it lost it.
pub async fn renew(
    db: &DatabaseConnection,
    mailbox_id: i32,
    worker: &str,
    lease: Duration,
) -> Result<bool, DbErr> {
    let result = mailbox::Entity::update_many()
        .col_expr(mailbox::Column::LeaseUntil, Expr::value(lease_until(lease)))
        .filter(mailbox::Column::Id.eq(mailbox_id))
        .filter(mailbox::Column::ClaimedBy.eq(worker))
        .filter(mailbox::Column::State.eq(MailboxState::Syncing.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
