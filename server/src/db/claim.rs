//! Who works on a mailbox: a conditional UPDATE claims it (Queued, or Syncing with an expired
//! lease after a crash), a heartbeat renews the lease. The same statement is safe on SQLite and
//! on PostgreSQL with several processes: only one UPDATE can match.

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use app::model::batch::MailboxState;

use super::entity::mailbox;

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

/// Claims the mailbox for `worker`; false when another worker holds a live claim or it is done.
pub async fn claim(
    db: &DatabaseConnection,
    mailbox_id: i32,
    worker: &str,
    lease: Duration,
) -> Result<bool, DbErr> {
    let now = Utc::now();
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
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
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
