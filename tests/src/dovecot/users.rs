//! The instance's passwd-file users (with optional per-user quota) and its master-user file.
//!
//! Dovecot's passwd-file driver re-reads the file when its mtime or size changes, checked at
//! most about once a second; so every rewrite moves the mtime forward by at least a second and
//! waits for the next wall-clock second before returning.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, ensure};

#[derive(Debug, Clone)]
struct User {
    password: String,
    quota_bytes: Option<u64>,
}

/// The users passwd file, kept in memory and rewritten on each change.
#[derive(Debug)]
pub(crate) struct UserFile {
    path: PathBuf,
    users: BTreeMap<String, User>,
    last_mtime: SystemTime,
}

impl UserFile {
    /// Creates an empty users file at `path`.
    pub fn create(path: PathBuf) -> anyhow::Result<UserFile> {
        let mut file = UserFile {
            path,
            users: BTreeMap::new(),
            last_mtime: UNIX_EPOCH,
        };
        // Nothing has read the new file yet: no need to wait for the next second.
        file.write_file()?;
        Ok(file)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn add(&mut self, user: &str, password: &str) -> anyhow::Result<()> {
        self.add_many(&[(user, password)])
    }

    /// Adds several users with one rewrite of the file (one wait for Dovecot to notice).
    pub fn add_many(&mut self, users: &[(&str, &str)]) -> anyhow::Result<()> {
        for (user, password) in users {
            check_field(user)?;
            check_field(password)?;
            let quota_bytes = self.users.get(*user).and_then(|u| u.quota_bytes);
            self.users.insert(
                user.to_string(),
                User {
                    password: password.to_string(),
                    quota_bytes,
                },
            );
        }
        self.write()
    }

    pub fn set_quota(&mut self, user: &str, quota_bytes: Option<u64>) -> anyhow::Result<()> {
        let entry = self
            .users
            .get_mut(user)
            .with_context(|| format!("no user {user} in this Dovecot"))?;
        entry.quota_bytes = quota_bytes;
        self.write()
    }

    pub fn remove(&mut self, user: &str) -> anyhow::Result<()> {
        self.users
            .remove(user)
            .with_context(|| format!("no user {user} in this Dovecot"))?;
        self.write()
    }

    /// Rewrites the file, then waits so Dovecot's next lookup re-reads it.
    fn write(&mut self) -> anyhow::Result<()> {
        let written_at = self.write_file()?;
        wait_for_next_second(written_at);
        Ok(())
    }

    /// Rewrites the file with an mtime at least a second past the previous one.
    fn write_file(&mut self) -> anyhow::Result<SystemTime> {
        let text: String = self
            .users
            .iter()
            .map(|(name, user)| line(name, &user.password, user.quota_bytes))
            .collect();
        write_readable(&self.path, &text)?;
        let now = SystemTime::now();
        let mtime = (self.last_mtime + Duration::from_secs(1)).max(now);
        File::options()
            .write(true)
            .open(&self.path)?
            .set_modified(mtime)?;
        self.last_mtime = mtime;
        Ok(now)
    }
}

/// Writes the master-user file with one line for `user`.
pub(crate) fn write_master_file(path: &Path, user: &str, password: &str) -> anyhow::Result<()> {
    write_readable(path, &line(user, password, None))
}

/// `user:{PLAIN}password:uid:gid:gecos:home:shell:extra fields`.
fn line(user: &str, password: &str, quota_bytes: Option<u64>) -> String {
    let extra = quota_bytes
        .map(|bytes| format!("userdb_quota_rule=*:storage={bytes}B"))
        .unwrap_or_default();
    format!("{user}:{{PLAIN}}{password}::::::{extra}\n")
}

fn check_field(value: &str) -> anyhow::Result<()> {
    ensure!(
        !value.is_empty() && !value.contains([':', '\n', '\r', ' ', '*']),
        "{value:?} cannot be used in a passwd-file (no ':', '*', spaces or newlines)"
    );
    Ok(())
}

/// Writes `text` readable by Dovecot's unprivileged auth process (a throwaway test file).
fn write_readable(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    Ok(())
}

fn wait_for_next_second(since: SystemTime) {
    let Ok(elapsed) = since.duration_since(UNIX_EPOCH) else {
        return;
    };
    let into_second = Duration::from_nanos(u64::from(elapsed.subsec_nanos()));
    std::thread::sleep(Duration::from_secs(1) - into_second + Duration::from_millis(10));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_follow_the_passwd_file_format() {
        assert_eq!(line("user1", "pw", None), "user1:{PLAIN}pw::::::\n");
        assert_eq!(
            line("user1", "pw", Some(20_480)),
            "user1:{PLAIN}pw::::::userdb_quota_rule=*:storage=20480B\n"
        );
    }

    #[test]
    fn rejects_names_that_break_the_file() {
        assert!(check_field("a:b").is_err());
        assert!(check_field("a*b").is_err());
        assert!(check_field("").is_err());
        assert!(check_field("user-1@example.com").is_ok());
    }
}
