//! Recognizes a database that cannot be written any more (a full or failing disk) by the
//! database's own error code, so the admin reads what to do instead of an SQL error.

use std::ops::Deref;

use sea_orm::{DbErr, RuntimeErr};

pub const HINT: &str = "the database could not be written: the disk that holds it is full or \
failing. Free space (or fix the disk) and run the same command again: everything committed \
before is kept and nothing is copied twice.";

/// Which database answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Whether an error code means "full or failing disk": SQLite's SQLITE_FULL (13) and
/// SQLITE_IOERR (10) with their extended codes (the low byte is the primary code);
/// PostgreSQL's class 53 "insufficient resources" (53100 disk_full…) and 58030 io_error.
fn is_write_failure_code(backend: Backend, code: &str) -> bool {
    match backend {
        Backend::Sqlite => code
            .parse::<i64>()
            .is_ok_and(|c| matches!(c & 0xff, 10 | 13)),
        Backend::Postgres => code.starts_with("53") || code == "58030",
    }
}

fn runtime_is_write_failure(e: &RuntimeErr) -> bool {
    let RuntimeErr::SqlxError(e) = e else {
        return false;
    };
    let sea_orm::sqlx::Error::Database(db) = e.deref() else {
        return false;
    };
    let backend = if db
        .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
        .is_some()
    {
        Backend::Sqlite
    } else if db
        .try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        Backend::Postgres
    } else {
        return false;
    };
    db.code()
        .is_some_and(|code| is_write_failure_code(backend, &code))
}

/// Whether a database error is a failed write of a full or failing disk.
pub fn is_write_failure(e: &DbErr) -> bool {
    match e {
        DbErr::Exec(r) | DbErr::Query(r) | DbErr::Conn(r) => runtime_is_write_failure(r),
        _ => false,
    }
}

/// The hint when `error` or any of its causes is a failed write of a full or failing disk.
/// (Wrappers that are `transparent` show the database error's own cause, hence both types.)
pub fn hint(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    std::iter::successors(Some(error), |e| e.source())
        .any(|e| {
            e.downcast_ref::<DbErr>().is_some_and(is_write_failure)
                || e.downcast_ref::<RuntimeErr>()
                    .is_some_and(runtime_is_write_failure)
        })
        .then_some(HINT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_and_failing_disks_by_code() {
        // SQLITE_FULL, SQLITE_IOERR_WRITE (778), SQLITE_IOERR_FSYNC (1034).
        for code in ["13", "778", "1034", "10"] {
            assert!(is_write_failure_code(Backend::Sqlite, code), "{code}");
        }
        // SQLITE_CONSTRAINT_UNIQUE (2067), SQLITE_BUSY (5).
        for code in ["2067", "5", "x"] {
            assert!(!is_write_failure_code(Backend::Sqlite, code), "{code}");
        }
        for code in ["53100", "53200", "58030"] {
            assert!(is_write_failure_code(Backend::Postgres, code), "{code}");
        }
        for code in ["23505", "40001"] {
            assert!(!is_write_failure_code(Backend::Postgres, code), "{code}");
        }
        let other = DbErr::Custom("(code: 13) database or disk is full".into());
        assert!(!is_write_failure(&other), "never by text");
        assert_eq!(hint(&other), None);
    }
}
