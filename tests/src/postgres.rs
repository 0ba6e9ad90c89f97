//! A throwaway PostgreSQL server: `initdb` + `postgres` as the `postgres` system user, on loopback.
//!
//! PostgreSQL refuses to run as root, so both run with the `postgres` account's uid/gid. The
//! postmaster runs in the foreground as our child (not daemonized by `pg_ctl`), so it is stopped
//! by its PID and reaped: SIGQUIT (immediate shutdown), SIGKILL if it lingers.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use nix::sys::signal::Signal;
use tempfile::TempDir;

use crate::binaries::postgres_bin_dir;
use crate::child_process::stop_child;
use crate::ports::free_port;
use crate::system_accounts::{Account, account};

const USER: &str = "mailferry";
const PASSWORD: &str = "mailferry-test-password";
const DATABASE: &str = "mailferry";
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_GRACE: Duration = Duration::from_secs(5);
const PORT_ATTEMPTS: usize = 3;

/// A running PostgreSQL server with one database and a password user; stopped when dropped.
#[derive(Debug)]
pub struct Postgres {
    port: u16,
    bin_dir: PathBuf,
    log_path: PathBuf,
    child: Option<Child>,
    // Last, so the files outlive the process during drop.
    _dir: TempDir,
}

impl Postgres {
    /// Runs `initdb` in a new temp dir, starts the server on a free loopback port, and creates
    /// the database and its owner. Returns once it accepts connections.
    pub fn start() -> anyhow::Result<Postgres> {
        let bin_dir = postgres_bin_dir()?;
        let owner = account("postgres", "postgres").context(
            "PostgreSQL needs the `postgres` system account: install the Debian package `postgresql`",
        )?;
        // Under /tmp, traversable by the `postgres` user.
        let dir = tempfile::Builder::new()
            .prefix("mailferry-postgres-")
            .tempdir_in("/tmp")?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        let data_dir = owned_dir(&dir.path().join("data"), owner, 0o700)?;
        let socket_dir = owned_dir(&dir.path().join("socket"), owner, 0o755)?;
        let log_path = dir.path().join("postgres.log");
        File::create(&log_path)?;
        std::os::unix::fs::chown(
            &log_path,
            Some(owner.uid.as_raw()),
            Some(owner.gid.as_raw()),
        )?;

        let initdb = as_account(Command::new(bin_dir.join("initdb")), owner, dir.path())
            .arg("-D")
            .arg(&data_dir)
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .args(["-E", "UTF8", "--locale=C", "--no-sync"])
            .output()
            .context("running initdb")?;
        check(&initdb, "initdb")?;

        let mut postgres = Postgres {
            port: 0,
            bin_dir,
            log_path,
            child: None,
            _dir: dir,
        };
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            postgres.port = free_port();
            match postgres.spawn_and_wait(owner, &data_dir, &socket_dir) {
                Ok(()) => {
                    postgres.create_database(&socket_dir)?;
                    return Ok(postgres);
                }
                Err(error) => {
                    postgres.stop()?;
                    if !postgres.log_text().contains("already in use") {
                        return Err(error);
                    }
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("no free port found")))
    }

    /// `postgres://mailferry:PASSWORD@127.0.0.1:PORT/mailferry` (password authentication over TCP).
    pub fn url(&self) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{DATABASE}",
            self.port
        )
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs `sql` with `psql` over TCP as the database's owner and returns its unaligned output.
    pub fn psql(&self, sql: &str) -> anyhow::Result<String> {
        let output = Command::new(self.bin_dir.join("psql"))
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .arg(self.url())
            .stdin(Stdio::null())
            .output()
            .context("running psql (Debian package postgresql-client)")?;
        check(&output, "psql")?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// The postmaster's PID while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Stops the server (immediate shutdown, SIGKILL after a few seconds).
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child, Signal::SIGQUIT, STOP_GRACE)?;
        }
        Ok(())
    }

    fn spawn_and_wait(
        &mut self,
        owner: Account,
        data_dir: &Path,
        socket_dir: &Path,
    ) -> anyhow::Result<()> {
        let log = File::options().append(true).open(&self.log_path)?;
        let child = as_account(Command::new(self.bin_dir.join("postgres")), owner, data_dir)
            .arg("-D")
            .arg(data_dir)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", socket_dir.display()))
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("running postgres")?;
        self.child = Some(child);

        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                bail!("postgres exited with {status}; log:\n{}", self.log_text());
            }
            let ready = Command::new(self.bin_dir.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()
                .context("running pg_isready")?;
            if ready.success() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("PostgreSQL not ready in time; log:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// As the superuser over the Unix socket (trust): the password user and its database.
    fn create_database(&self, socket_dir: &Path) -> anyhow::Result<()> {
        let output = Command::new(self.bin_dir.join("psql"))
            .args([
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .arg("-h")
            .arg(socket_dir)
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-c")
            .arg(format!("CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'"))
            .arg("-c")
            .arg(format!("CREATE DATABASE {DATABASE} OWNER {USER}"))
            .stdin(Stdio::null())
            .output()
            .context("running psql")?;
        check(&output, "creating the database")
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            eprintln!("stopping PostgreSQL failed: {error:#}");
        }
    }
}

fn as_account(mut command: Command, owner: Account, cwd: &Path) -> Command {
    command
        .uid(owner.uid.as_raw())
        .gid(owner.gid.as_raw())
        .current_dir(cwd)
        .env("HOME", cwd)
        .env("LC_ALL", "C");
    command
}

fn owned_dir(path: &Path, owner: Account, mode: u32) -> anyhow::Result<PathBuf> {
    std::fs::create_dir(path)?;
    std::os::unix::fs::chown(path, Some(owner.uid.as_raw()), Some(owner.gid.as_raw()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(path.to_path_buf())
}

fn check(output: &Output, what: &str) -> anyhow::Result<()> {
    ensure!(
        output.status.success(),
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}
