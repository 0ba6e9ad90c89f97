//! A throwaway Cyrus IMAP 3.6 on 127.0.0.1. Its `imapd` comes from Debian's `cyrus-imapd`
//! unpacked into the test bed's cache (the package conflicts with `dovecot-imapd`; see
//! `scripts/install-deps.sh`), the rest from `cyrus-common`. `master` runs in the foreground as
//! our child and is stopped by its PID; Cyrus logs only to syslog, so answers are read on the wire.

mod config;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::Signal;
use tempfile::TempDir;

use crate::binaries::require_binary;
use crate::child_process::stop_child;
use crate::line_client::LineClient;
use crate::ports::free_port;

pub use config::CyrusOptions;

/// The Cyrus admin (in `admins:`), who acts for a user with SASL PLAIN's authorization identity.
pub const CYRUS_ADMIN: &str = "admin";
/// The Cyrus admin's password.
pub const CYRUS_ADMIN_PASSWORD: &str = "adminpw";

const CACHE: &str = "/var/cache/mailferry-testbed/cyrus/root";
const READY_TIMEOUT: Duration = Duration::from_secs(20);
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A running Cyrus instance; stopped (SIGTERM to the master, then SIGKILL) when dropped.
#[derive(Debug)]
pub struct Cyrus {
    port: u16,
    options: CyrusOptions,
    child: Option<Child>,
    master: PathBuf,
    tls: crate::TestCa,
    _dir: TempDir,
    root: PathBuf,
}

/// `user.NAME` (or `user.NAME@domain`): the admin's name of a user's INBOX.
fn inbox_of(user: &str) -> String {
    format!("user.{user}")
}

/// What a port taken by another server (another test's) answers as.
const ANOTHER_SERVER: &str = "another server answers on";

impl Cyrus {
    /// Writes the instance's configuration into a new temp dir and starts it on a free port.
    pub fn start(options: CyrusOptions) -> anyhow::Result<Cyrus> {
        let master = require_binary(&["/usr/lib/cyrus/bin/master"], "cyrus-common")?;
        let imapd = format!("{CACHE}/usr/lib/cyrus/bin/imapd");
        require_binary(
            &[&imapd],
            "cyrus-imapd (unpacked by scripts/install-deps.sh test)",
        )?;
        let dir = tempfile::Builder::new()
            .prefix("mailferry-cyrus-")
            .tempdir()?;
        let root = dir.path().to_path_buf();
        // STARTTLS on the IMAP port (`tls_server_cert` in imapd.conf).
        let tls = crate::TestCa::generate(&root.join("tls"))?;
        let mut cyrus = Cyrus {
            tls,
            port: 0,
            options,
            child: None,
            master,
            _dir: dir,
            root,
        };
        for _ in 0..3 {
            cyrus.port = free_port();
            config::write(&cyrus.root, cyrus.port, &imapd, &cyrus.options)?;
            match cyrus.spawn_and_wait() {
                Ok(()) => return Ok(cyrus),
                Err(error)
                    if cyrus.log_text().contains("Address already in use")
                        || format!("{error:#}").contains(ANOTHER_SERVER) =>
                {
                    cyrus.stop()?;
                    let _ = error;
                }
                Err(error) => return Err(error),
            }
        }
        bail!("no free port for Cyrus")
    }

    /// The plain IMAP port on 127.0.0.1.
    pub fn imap_port(&self) -> u16 {
        self.port
    }

    /// The CA that signed the server's certificate (STARTTLS on the IMAP port).
    pub fn ca_pem_path(&self) -> &std::path::Path {
        &self.tls.ca_pem_path
    }

    /// The master process's PID while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Adds a user (`name` or `name@domain`) with a password and creates its mailbox.
    pub fn add_user(&mut self, user: &str, password: &str) -> anyhow::Result<()> {
        config::set_password(&self.root, user, password)?;
        let mut admin = self.admin()?;
        match admin.run(&format!("CREATE \"{}\"", inbox_of(user))) {
            Err(e) if e.to_string().contains("already exists") => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Adds many users.
    pub fn add_users(&mut self, users: &[(&str, &str)]) -> anyhow::Result<()> {
        users.iter().try_for_each(|(u, p)| self.add_user(u, p))
    }

    /// Sets a user's storage quota in bytes (`None`: no quota).
    pub fn set_quota_bytes(&mut self, user: &str, bytes: Option<u64>) -> anyhow::Result<()> {
        let limit = match bytes {
            Some(b) => format!("(STORAGE {})", b.div_ceil(1024)),
            None => "()".into(),
        };
        self.admin()?
            .run(&format!("SETQUOTA \"{}\" {limit}", inbox_of(user)))
            .map(|_| ())
    }

    /// Limits how many folders `user` may have, INBOX included (Cyrus's `X-NUM-FOLDERS`
    /// quota): further CREATEs are answered `NO Over quota`.
    pub fn set_folder_limit(&mut self, user: &str, folders: u32) -> anyhow::Result<()> {
        self.admin()?
            .run(&format!(
                "SETQUOTA \"{}\" (X-NUM-FOLDERS {folders})",
                inbox_of(user)
            ))
            .map(|_| ())
    }

    fn admin(&self) -> anyhow::Result<LineClient> {
        let mut client = LineClient::connect(self.port)?;
        client.run(&format!("LOGIN {CYRUS_ADMIN} {CYRUS_ADMIN_PASSWORD}"))?;
        Ok(client)
    }

    /// What the master wrote (Cyrus's own logging goes to syslog).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.root.join("master.log")).unwrap_or_default()
    }

    pub fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child, Signal::SIGTERM, STOP_GRACE)?;
        }
        Ok(())
    }

    /// Stops and starts again on the same port with the same mail and users.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop()?;
        self.spawn_and_wait()
    }

    fn spawn_and_wait(&mut self) -> anyhow::Result<()> {
        let log = std::fs::File::create(self.root.join("master.log"))?;
        let mut command = Command::new(&self.master);
        // Cyrus has no setting that turns off fsync; eatmydata makes its writes test-fast.
        let eatmydata = Path::new("/usr/lib/x86_64-linux-gnu/libeatmydata.so");
        if eatmydata.exists() {
            command.env("LD_PRELOAD", eatmydata);
        }
        // Without -d the master stays in the foreground: our child, reaped by us.
        let child = command
            .env("TZ", "UTC")
            .arg("-C")
            .arg(self.root.join("imapd.conf"))
            .arg("-M")
            .arg(self.root.join("cyrus.conf"))
            .arg("-p")
            .arg(self.root.join("run/master.pid"))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting Cyrus's master")?;
        self.child = Some(child);
        self.wait_until_ready()
            .with_context(|| format!("Cyrus did not start; its log:\n{}", self.log_text()))
    }

    fn wait_until_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                bail!("Cyrus's master exited with {status}");
            }
            if let Ok(client) = LineClient::connect(self.port) {
                if client.greeting.contains(&config::server_name(&self.root)) {
                    return Ok(());
                }
                self.stop()?;
                bail!(
                    "{ANOTHER_SERVER} 127.0.0.1:{}: {}",
                    self.port,
                    client.greeting
                );
            }
            if Instant::now() > deadline {
                self.stop()?;
                bail!("no greeting on 127.0.0.1:{} in time", self.port);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Cyrus {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            eprintln!("stopping Cyrus failed: {error:#}");
        }
    }
}
