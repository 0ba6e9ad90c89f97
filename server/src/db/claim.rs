//! Who works on a mailbox: a claim (`SELECT … FOR UPDATE SKIP LOCKED`, then a conditional UPDATE)
//! takes it when Queued, or Syncing with an expired lease after a crash; a heartbeat renews the
//! lease. Safe on SQLite (one writer) and on PostgreSQL with several processes: only one claim
//! can match, and the limits below are counted over every process sharing the database.

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, LockBehavior, LockType, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
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

/// Which side of its batches an endpoint serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Source,
    Destination,
}

/// An endpoint's "mailboxes at once": at most `max` live claims on mailboxes whose batch reads
/// from (or writes to) the endpoint, over every process.
#[derive(Clone, Copy, Debug)]
pub struct EndpointLimit {
    pub side: Side,
    pub endpoint_id: i64,
    pub max: u32,
}

/// The limits a claim must respect, counted over every process sharing the database.
#[derive(Clone, Copy, Debug)]
pub struct ClaimLimits {
    pub endpoints: [EndpointLimit; 2],
    /// Live claims allowed over all batches and processes.
    pub cluster_max: Option<u32>,
}

/// The advisory lock key that serializes claims under the cluster-wide limit ("mfclaim").
const CLUSTER_LOCK: i64 = 0x006d_6663_6c61_696d;
/// The first key of the advisory lock per destination address ("mfad"); the second is a hash.
const ADDRESS_LOCK: i32 = 0x6d66_6164;

/// What a claim attempt found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    Claimed,
    /// Another worker holds it, or it is done.
    Taken,
    /// An endpoint's or the cluster's limit is reached for now, or another batch runs the same
    /// address: try again later.
    LimitReached,
}

/// Claims the mailbox for `worker`.
pub async fn claim(
    db: &DatabaseConnection,
    row: &mailbox::Model,
    worker: &str,
    lease: Duration,
    limits: ClaimLimits,
) -> Result<Claim, DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        // One process, one writer: the conditional UPDATE alone is atomic. (A read-then-write
        // transaction would fail with SQLITE_BUSY when another connection wrote in between.)
        return claim_in(db, row, worker, lease, limits).await;
    }
    let txn = db.begin().await?;
    let claimed = claim_in(&txn, row, worker, lease, limits).await?;
    txn.commit().await?;
    Ok(claimed)
}

/// Live claims on mailboxes whose batch uses the endpoint on `side`.
pub(crate) async fn live_on_endpoint<C: ConnectionTrait>(
    txn: &C,
    limit: EndpointLimit,
) -> Result<u64, DbErr> {
    let column = match limit.side {
        Side::Source => batch::Column::SourceEndpointId,
        Side::Destination => batch::Column::DestinationEndpointId,
    };
    let batches = Query::select()
        .column(batch::Column::Id)
        .from(batch::Entity)
        .and_where(column.eq(limit.endpoint_id))
        .to_owned();
    mailbox::Entity::find()
        .filter(mailbox::Column::BatchId.in_subquery(batches))
        .filter(mailbox::held(Utc::now()))
        .count(txn)
        .await
}

/// Whether every limit leaves room for one more claim. Locks are always taken cluster first,
/// then the endpoints in id order, then the address, so two claims never wait on each other in
/// opposite order.
async fn room<C: ConnectionTrait>(
    txn: &C,
    row: &mailbox::Model,
    limits: ClaimLimits,
) -> Result<bool, DbErr> {
    let postgres = txn.get_database_backend() == DbBackend::Postgres;
    if let Some(max) = limits.cluster_max {
        if postgres {
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({CLUSTER_LOCK})"))
                .await?;
        }
        let live = mailbox::Entity::find()
            .filter(mailbox::held(Utc::now()))
            .count(txn)
            .await?;
        if live >= u64::from(max) {
            return Ok(false);
        }
    }
    let mut endpoints = limits.endpoints;
    endpoints.sort_by_key(|l| l.endpoint_id);
    for limit in endpoints {
        // Claims on one endpoint are serialized by a row lock on it (PostgreSQL; SQLite has a
        // single writer), so the count cannot be overtaken by another process.
        endpoint::Entity::find_by_id(limit.endpoint_id)
            .lock_exclusive()
            .one(txn)
            .await?;
        if live_on_endpoint(txn, limit).await? >= u64::from(limit.max) {
            return Ok(false);
        }
    }
    if postgres {
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            [ADDRESS_LOCK.into(), row.email_address.clone().into()],
        ))
        .await?;
    }
    // One destination mailbox is copied by one batch at a time.
    let same_address = mailbox::Entity::find()
        .filter(mailbox::Column::EmailAddress.eq(row.email_address.as_str()))
        .filter(mailbox::Column::Id.ne(row.id))
        .filter(mailbox::held(Utc::now()))
        .count(txn)
        .await?;
    Ok(same_address == 0)
}

async fn claim_in<C: ConnectionTrait>(
    txn: &C,
    row: &mailbox::Model,
    worker: &str,
    lease: Duration,
    limits: ClaimLimits,
) -> Result<Claim, DbErr> {
    if !room(txn, row, limits).await? {
        return Ok(Claim::LimitReached);
    }
    let now = Utc::now();
    // PostgreSQL: lock the row, skipping it when another process is claiming it right now
    // (SQLite ignores the clause; it has one writer).
    let candidate = mailbox::Entity::find_by_id(row.id)
        .filter(mailbox::claimable(now))
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .one(txn)
        .await?;
    if candidate.is_none() {
        return Ok(Claim::Taken);
    }
    let result = mailbox::Entity::update_many()
        .col_expr(mailbox::Column::State, Expr::value(MailboxState::Syncing))
        .col_expr(mailbox::Column::ClaimedBy, Expr::value(worker))
        .col_expr(mailbox::Column::LeaseUntil, Expr::value(lease_until(lease)))
        .col_expr(mailbox::Column::UpdatedAt, Expr::value(now))
        .filter(mailbox::Column::Id.eq(row.id))
        .filter(mailbox::claimable(now))
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
    mailbox_id: i64,
    worker: &str,
    lease: Duration,
) -> Result<bool, DbErr> {
    let result = mailbox::Entity::update_many()
        .col_expr(mailbox::Column::LeaseUntil, Expr::value(lease_until(lease)))
        .filter(mailbox::Column::Id.eq(mailbox_id))
        .filter(mailbox::Column::ClaimedBy.eq(worker))
        .filter(mailbox::Column::State.eq(MailboxState::Syncing))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ends the claims of processes that are gone. Only for a process that holds the SQLite
/// database's lock: then no other process can be working, and every claim left is a dead one's
/// (taken over at once instead of after its lease).
pub async fn release_orphans(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let released = mailbox::Entity::update_many()
        .col_expr(
            mailbox::Column::LeaseUntil,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(mailbox::Column::State.eq(MailboxState::Syncing))
        .filter(mailbox::Column::LeaseUntil.is_not_null())
        .exec(db)
        .await?;
    Ok(released.rows_affected)
}
