//! A throwaway Courier-IMAP 5 on 127.0.0.1. Its `imapd` and `imaplogin` come from Debian's
//! `courier-imap` unpacked into the test bed's cache (the package conflicts with
//! `dovecot-imapd`). Courier's programs have compiled-in paths (`/etc/courier`,
//! `/run/courier/authdaemon/socket`) that no setting changes, so `authdaemond` and `couriertcpd`
//! each run in a private mount namespace (`unshare -m`) where the instance's own folders are
//! bind-mounted over those paths. Both are our children, stopped by PID.

mod files;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::Signal;
use tempfile::TempDir;

use crate::binaries::require_binary;
use crate::child_process::stop_child;
use crate::line_client::LineClient;
use crate::ports::free_port;

const CACHE: &str = "/var/cache/mailferry-testbed/courier/root";
const READY_TIMEOUT: Duration = Duration::from_secs(20);
const STOP_GRACE: Duration = Duration::from_secs(5);

/// How to set up an instance.
#[derive(Debug, Clone, Copy)]
pub struct CourierOptions {
    /// `IMAP_KEYWORDS`: off, folders take no keywords (PERMANENTFLAGS without `\*`).
    pub keywords: bool,
}

impl Default for CourierOptions {
    fn default() -> Self {
        CourierOptions { keywords: true }
    }
}

/// A running Courier-IMAP instance; stopped when dropped.
#[derive(Debug)]
pub struct Courier {
    port: u16,
    authdaemond: Option<Child>,
    couriertcpd: Option<Child>,
    passwords: std::collections::HashMap<String, String>,
    options: CourierOptions,
    tls: crate::TestCa,
    root: PathBuf,
    _dir: TempDir,
}

impl Courier {
    pub fn start() -> anyhow::Result<Courier> {
        Courier::start_with(CourierOptions::default())
    }

    pub fn start_with(options: CourierOptions) -> anyhow::Result<Courier> {
        require_binary(
            &[&format!("{CACHE}/usr/bin/imapd")],
            "courier-imap (unpacked by scripts/install-deps.sh test)",
        )?;
        require_binary(&["/usr/sbin/couriertcpd"], "courier-base")?;
        require_binary(
            &["/usr/lib/courier/courier-authlib/authdaemond"],
            "courier-authdaemon",
        )?;
        let dir = tempfile::Builder::new()
            .prefix("mailferry-courier-")
            .tempdir()?;
        let root = dir.path().to_path_buf();
        files::write(&root)?;
        let tls = files::write_tls(&root)?;
        let mut courier = Courier {
            options,
            tls,
            port: 0,
            authdaemond: None,
            couriertcpd: None,
            passwords: Default::default(),
            root,
            _dir: dir,
        };
        courier.start_authdaemond()?;
        for _ in 0..3 {
            courier.port = free_port();
            match courier.start_couriertcpd() {
                Ok(()) => return Ok(courier),
                Err(_) if courier.log_text().contains("Address already in use") => {}
                Err(error) => return Err(error),
            }
        }
        bail!("no free port for Courier")
    }

    pub fn imap_port(&self) -> u16 {
        self.port
    }

    /// The CA that signed the server's certificate (STARTTLS on the IMAP port).
    pub fn ca_pem_path(&self) -> &std::path::Path {
        &self.tls.ca_pem_path
    }

    /// The PID of `couriertcpd` (the master of the IMAP sessions) while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.couriertcpd.as_ref().map(Child::id)
    }

    /// The password of a user added before (for the test's own sessions: Courier has no way for
    /// an admin to sign in as a user).
    pub fn password_of(&self, user: &str) -> Option<&str> {
        self.passwords.get(user).map(String::as_str)
    }

    /// Adds a user with its Maildir.
    pub fn add_user(&mut self, user: &str, password: &str) -> anyhow::Result<()> {
        files::add_user(&self.root, user, password)?;
        self.passwords
            .insert(user.to_string(), password.to_string());
        Ok(())
    }

    pub fn add_users(&mut self, users: &[(&str, &str)]) -> anyhow::Result<()> {
        users.iter().try_for_each(|(u, p)| self.add_user(u, p))
    }

    /// Sets a user's Maildir++ quota in bytes (`None`: no quota).
    pub fn set_quota_bytes(&mut self, user: &str, bytes: Option<u64>) -> anyhow::Result<()> {
        files::set_quota(&self.root, user, bytes)
    }

    /// The logs of `authdaemond` and of the IMAP sessions.
    pub fn log_text(&self) -> String {
        ["authdaemond.log", "imapd.log", "couriertcpd.log"]
            .iter()
            .map(|f| std::fs::read_to_string(self.root.join("log").join(f)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn stop(&mut self) -> anyhow::Result<()> {
        // couriertcpd passes SIGTERM on to its imapd children.
        for child in [self.couriertcpd.take(), self.authdaemond.take()]
            .into_iter()
            .flatten()
        {
            let mut child = child;
            stop_child(&mut child, Signal::SIGTERM, STOP_GRACE)?;
        }
        Ok(())
    }

    /// Stops and starts again on the same port with the same mail and users.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop()?;
        self.start_authdaemond()?;
        self.start_couriertcpd()
    }

    /// `PROGRAM ARGS…` inside a private mount namespace with the instance's Courier paths.
    fn in_namespace(&self, program: &str) -> Command {
        let mut command = Command::new("unshare");
        command
            .args(["-m", "--propagation", "private"])
            .arg(self.root.join("run/ns.sh"))
            .arg(&self.root)
            .arg(program);
        command
    }

    fn log_file(&self, name: &str) -> anyhow::Result<std::fs::File> {
        Ok(std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.root.join("log").join(name))?)
    }

    fn start_authdaemond(&mut self) -> anyhow::Result<()> {
        let socket = self.root.join("authdaemon/socket");
        let _ = std::fs::remove_file(&socket);
        let log = self.log_file("authdaemond.log")?;
        let child = self
            .in_namespace("/usr/lib/courier/courier-authlib/authdaemond")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting authdaemond")?;
        self.authdaemond = Some(child);
        let deadline = Instant::now() + READY_TIMEOUT;
        while !socket.exists() {
            if Instant::now() > deadline {
                bail!("authdaemond did not start:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn start_couriertcpd(&mut self) -> anyhow::Result<()> {
        let log = self.log_file("couriertcpd.log")?;
        let mut command = self.in_namespace("/usr/sbin/couriertcpd");
        command
            .envs(files::imapd_environment(&self.root, self.options.keywords))
            .args(["-address=127.0.0.1", "-maxprocs=200", "-maxperip=200"])
            .args(["-nodnslookup", "-noidentlookup"])
            .arg(format!(
                "-stderr={}",
                self.root.join("log/imapd.log").display()
            ))
            .arg(self.port.to_string())
            .arg(format!("{CACHE}/usr/lib/courier/courier/imaplogin"))
            .arg(format!("{CACHE}/usr/bin/imapd"))
            .arg("Maildir")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        self.couriertcpd = Some(command.spawn().context("starting couriertcpd")?);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.couriertcpd.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.couriertcpd = None;
                bail!("couriertcpd exited with {status}:\n{}", self.log_text());
            }
            if LineClient::connect(self.port).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("no greeting on 127.0.0.1:{} in time", self.port);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Courier {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            eprintln!("stopping Courier failed: {error:#}");
        }
    }
}
