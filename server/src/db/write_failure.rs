//! Recognizes a database that cannot be written any more (a full or failing disk), so the admin
//! reads what to do instead of an SQL error code.

/// Texts SQLite and PostgreSQL use for a disk that is full or refuses writes.
const SIGNS: [&str; 7] = [
    "database or disk is full",
    "(code: 13)",
    "disk I/O error",
    "(code: 778)",
    "No space left on device",
    "could not extend file",
    "could not write",
];

pub const HINT: &str = "the database could not be written: the disk that holds it is full or \
failing. Free space (or fix the disk) and run the same command again: everything committed \
before is kept and nothing is copied twice.";

/// The hint when `error` (or any cause in its text) is a failed database write.
pub fn hint(error: &dyn std::fmt::Display) -> Option<&'static str> {
    let text = error.to_string();
    SIGNS.iter().any(|sign| text.contains(sign)).then_some(HINT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_full_and_failing_disks_only() {
        let full = "Query Error: error returned from database: (code: 13) database or disk is full";
        assert_eq!(hint(&full), Some(HINT));
        assert!(hint(&"(code: 778) disk I/O error").is_some());
        assert!(hint(&"could not extend file \"base/1/2\": No space left on device").is_some());
        assert_eq!(hint(&"UNIQUE constraint failed: endpoints.name"), None);
    }
}
