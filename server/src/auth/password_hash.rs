//! Argon2id password hashes (PHC strings) for admin passwords.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Argon2 takes 19 MiB and tens of milliseconds per hash: no more run at once than there are
/// cores, so a crowd of sign-in attempts waits in line instead of taking the memory and starving
/// the rest of the process.
pub(crate) async fn limited<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    static SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores)
    });
    let _slot = SLOTS
        .acquire()
        .await
        .expect("the semaphore is never closed");
    tokio::task::spawn_blocking(work).await
}

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the time of one verification, so unknown user names answer as slowly as wrong passwords.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("dummy password for timing"));
    let _ = verify(password, phc);
}

#[cfg(test)]
mod tests {
    #[test]
    fn verifies_only_the_right_password() {
        let phc = super::hash("correct horse battery");
        assert!(phc.starts_with("$argon2id$"));
        assert!(super::verify("correct horse battery", &phc));
        assert!(!super::verify("wrong horse battery", &phc));
        assert!(!super::verify("anything", "not a phc string"));
    }
}
