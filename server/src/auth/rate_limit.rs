//! Sign-in throttling, counted in the database so that every process on one PostgreSQL counts
//! the same attempts: a fixed window per client address (whatever the names tried) and per
//! address and user name. Nothing is counted per name alone, so guessing at `admin` from one
//! address never locks the real admin out from another.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

/// Old windows are swept every this many checks.
const SWEEP_EVERY: u64 = 256;

pub struct SignInLimits {
    per_name: u32,
    per_address: u32,
    window: Duration,
    checks: AtomicU64,
}

impl SignInLimits {
    /// `per_name` attempts per address and name per window; five times that per address.
    pub fn new(per_name: u32, window: Duration) -> Self {
        SignInLimits {
            per_name: per_name.max(1),
            per_address: per_name.max(1).saturating_mul(5),
            window: window.max(Duration::from_secs(1)),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts an attempt; `Ok(Err(seconds to wait))` when the address, or the address with this
    /// name, is over its budget.
    pub async fn check(
        &self,
        db: &DatabaseConnection,
        client: Option<IpAddr>,
        username: &str,
    ) -> Result<Result<(), u64>, DbErr> {
        let address = client.map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
        if let Err(wait) = self
            .count(db, &format!("a|{address}"), self.per_address)
            .await?
        {
            return Ok(Err(wait));
        }
        // Cut to the longest name a sign-in may bring (longer ones are refused anyway).
        let name: String = username
            .to_lowercase()
            .chars()
            .take(super::admins::MAX_USERNAME_BYTES)
            .collect();
        let pair = self
            .count(db, &format!("n|{address}|{name}"), self.per_name)
            .await?;
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            self.sweep(db).await?;
        }
        Ok(pair)
    }

    /// One more attempt under `key`: a new window when the old one has passed.
    async fn count(
        &self,
        db: &DatabaseConnection,
        key: &str,
        budget: u32,
    ) -> Result<Result<(), u64>, DbErr> {
        let now = chrono::Utc::now().timestamp();
        let window = self.window.as_secs() as i64;
        let expired = now - window;
        let sql = "INSERT INTO sign_in_attempts (key, window_start, attempts) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             attempts = CASE WHEN sign_in_attempts.window_start <= $3 THEN 1 \
                 ELSE sign_in_attempts.attempts + 1 END, \
             window_start = CASE WHEN sign_in_attempts.window_start <= $3 \
                 THEN excluded.window_start ELSE sign_in_attempts.window_start END \
             RETURNING attempts, window_start";
        let statement = statement(db, sql, vec![key.into(), now.into(), expired.into()]);
        let row = db
            .query_one_raw(statement)
            .await?
            .ok_or_else(|| DbErr::Custom("the attempt was not counted".into()))?;
        let attempts: i64 = row.try_get_by_index(0)?;
        let started: i64 = row.try_get_by_index(1)?;
        if attempts > i64::from(budget) {
            return Ok(Err((started + window - now).max(1) as u64));
        }
        Ok(Ok(()))
    }

    async fn sweep(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let expired = chrono::Utc::now().timestamp() - self.window.as_secs() as i64;
        let sql = "DELETE FROM sign_in_attempts WHERE window_start <= $1";
        db.execute_raw(statement(db, sql, vec![expired.into()]))
            .await?;
        Ok(())
    }
}

/// `sql` with `$n` placeholders, in the database's own spelling (`?n` on SQLite).
fn statement(db: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_string(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}
