//! Starting, restarting and stopping one Dovecot instance run as `dovecot -F -c CONF`.

use std::fs::File;
use std::io::{BufRead as _, BufReader};
use std::net::{Ipv4Addr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::Signal;
use tempfile::TempDir;

use super::config::{self, ConfigInputs};
use super::users::{self, UserFile};
use crate::binaries::require_binary;
use crate::child_process::stop_child;
use crate::ports::free_ports;
use crate::system_accounts::account;
use crate::tls::TestCa;

/// The master user: `LOGIN user*admin adminpw` or SASL PLAIN with authcid `admin`.
pub const MASTER_USER: &str = "admin";
/// The master user's password.
pub const MASTER_PASSWORD: &str = "adminpw";

const READY_TIMEOUT: Duration = Duration::from_secs(20);
const STOP_GRACE: Duration = Duration::from_secs(5);
const PORT_ATTEMPTS: usize = 3;

/// How to set up an instance.
#[derive(Debug, Clone, Copy)]
pub struct DovecotOptions<'a> {
    /// A label for the instance ("source", "destination"), used in paths and `instance_name`.
    pub name: &'a str,
    /// The hierarchy separator of the inbox namespace (`/` or `.`).
    pub separator: char,
    /// Enables the quota plugins (`count` backend, 10G default, no grace) and `GETQUOTAROOT`.
    pub quota: bool,
    /// `false` sets `mail_fsync = never` (fast, for throwaway servers).
    pub fsync: bool,
    /// `imap_capability` override: the capabilities announced after sign-in.
    pub imap_capability: Option<&'a str>,
    /// A Gmail-like `[Gmail]/All Mail` folder (`\All`, Dovecot's `virtual` plugin) that shows
    /// every message of the user's other folders but Trash and Junk.
    pub all_mail: bool,
    /// XOAUTH2 and OAUTHBEARER, with tokens checked by Dovecot's `oauth2` passdb.
    pub oauth2: Option<OAuth2Check<'a>>,
}

/// How the `oauth2` passdb checks tokens.
#[derive(Debug, Clone, Copy)]
pub struct OAuth2Check<'a> {
    /// RFC 7662 introspection endpoint (the test bed's token server).
    pub introspection_url: &'a str,
    /// A token serves any user of its user's domain (an app's token, as Microsoft 365's
    /// IMAP.AccessAsApp), not only its own user.
    pub per_domain: bool,
    /// Users refused although their token is good, with the reason the token server gives
    /// them (see `TokenServer::disable_imap`).
    pub imap_disabled: &'a [&'a str],
}

impl Default for DovecotOptions<'_> {
    fn default() -> Self {
        DovecotOptions {
            name: "source",
            separator: '/',
            quota: false,
            fsync: false,
            imap_capability: None,
            all_mail: false,
            oauth2: None,
        }
    }
}

/// A running Dovecot instance; stopped (SIGTERM, then SIGKILL) when dropped.
#[derive(Debug)]
pub struct Dovecot {
    inputs: ConfigInputs,
    conf_path: PathBuf,
    stderr_path: PathBuf,
    tls: TestCa,
    users: UserFile,
    child: Option<Child>,
    dovecot_bin: PathBuf,
    // Last, so the files outlive the process during drop.
    _dir: TempDir,
}

impl Dovecot {
    /// Creates the instance's files in a new temp dir and starts it on free loopback ports.
    ///
    /// Returns once the plain port greets with `* OK` and the TLS port accepts connections.
    pub fn start(options: DovecotOptions<'_>) -> anyhow::Result<Dovecot> {
        let dovecot_bin = require_binary(&["/usr/sbin/dovecot"], "dovecot-core")?;
        require_binary(&["/usr/lib/dovecot/imap"], "dovecot-imapd")?;
        anyhow::ensure!(
            matches!(options.separator, '/' | '.'),
            "separator must be '/' or '.'"
        );
        let dir = tempfile::Builder::new()
            .prefix(&format!("mailferry-dovecot-{}-", options.name))
            .tempdir()?;
        // Dovecot's unprivileged processes must traverse the directory.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        let root = dir.path().to_path_buf();
        let unique = root
            .file_name()
            .and_then(|name| name.to_str())
            .context("temp dir name is not UTF-8")?
            .to_string();

        let mail_owner = account("nobody", "nogroup")?;
        let tls = TestCa::generate(&root.join("tls"))?;
        let users = UserFile::create(root.join("users.passwd"))?;
        let masters_file = root.join("masters.passwd");
        users::write_master_file(&masters_file, MASTER_USER, MASTER_PASSWORD)?;

        let inputs = ConfigInputs {
            instance_name: unique,
            root: root.clone(),
            imap_port: 0,
            imaps_port: 0,
            cert_path: tls.cert_path.clone(),
            key_path: tls.key_path.clone(),
            users_file: users.path().to_path_buf(),
            masters_file,
            mail_owner,
            separator: options.separator,
            quota: options.quota,
            fsync: options.fsync,
            imap_capability: options.imap_capability.map(String::from),
            all_mail: options.all_mail,
            oauth2: options.oauth2.map(|o| config::OAuth2Inputs {
                introspection_url: o.introspection_url.to_string(),
                per_domain: o.per_domain,
                imap_disabled: o.imap_disabled.iter().map(|u| u.to_string()).collect(),
            }),
        };
        config::write_oauth2_files(&inputs)?;
        if inputs.all_mail {
            inputs.write_all_mail()?;
        }
        std::fs::create_dir_all(inputs.state_dir())?;
        let mail_dir = inputs.mail_dir();
        std::fs::create_dir_all(&mail_dir)?;
        std::os::unix::fs::chown(
            &mail_dir,
            Some(mail_owner.uid.as_raw()),
            Some(mail_owner.gid.as_raw()),
        )?;
        std::fs::set_permissions(&mail_dir, std::fs::Permissions::from_mode(0o700))?;

        let mut dovecot = Dovecot {
            conf_path: root.join("dovecot.conf"),
            stderr_path: root.join("dovecot.stderr"),
            inputs,
            tls,
            users,
            child: None,
            dovecot_bin,
            _dir: dir,
        };
        dovecot.start_on_free_ports()?;
        Ok(dovecot)
    }

    /// The plain IMAP port on 127.0.0.1.
    pub fn imap_port(&self) -> u16 {
        self.inputs.imap_port
    }

    /// The implicit-TLS IMAPS port on 127.0.0.1.
    pub fn imaps_port(&self) -> u16 {
        self.inputs.imaps_port
    }

    /// The PEM file of the CA that signed this instance's certificate.
    pub fn ca_pem_path(&self) -> &Path {
        &self.tls.ca_pem_path
    }

    /// The unique `instance_name` (also in the process titles of its workers).
    pub fn instance_name(&self) -> &str {
        &self.inputs.instance_name
    }

    /// The master process's PID while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The configuration file (for `doveadm -c`, which then acts on this instance's storage).
    pub fn config_path(&self) -> &Path {
        &self.conf_path
    }

    /// The hierarchy separator of the inbox namespace.
    pub fn separator(&self) -> char {
        self.inputs.separator
    }

    /// Adds (or replaces the password of) a user; takes effect for the next login.
    pub fn add_user(&mut self, user: &str, password: &str) -> anyhow::Result<()> {
        self.users.add(user, password)
    }

    /// Adds many users at once (one file rewrite instead of one per user).
    pub fn add_users(&mut self, users: &[(&str, &str)]) -> anyhow::Result<()> {
        self.users.add_many(users)
    }

    /// Sets a user's storage quota in bytes (`None` = back to the 10G default).
    ///
    /// Needs `quota: true`. Dovecot reads the limit at login: sessions opened before keep
    /// the old limit.
    pub fn set_quota_bytes(&mut self, user: &str, bytes: Option<u64>) -> anyhow::Result<()> {
        anyhow::ensure!(self.inputs.quota, "this Dovecot was started without quota");
        self.users.set_quota(user, bytes)
    }

    /// Removes a user (its mail stays on disk); logins fail from then on.
    pub fn remove_user(&mut self, user: &str) -> anyhow::Result<()> {
        self.users.remove(user)
    }

    /// The instance's log so far (handy in failure messages).
    pub fn log_text(&self) -> String {
        let log = std::fs::read_to_string(self.inputs.log_path()).unwrap_or_default();
        let stderr = std::fs::read_to_string(&self.stderr_path).unwrap_or_default();
        if stderr.trim().is_empty() {
            log
        } else {
            format!("{log}\n--- stderr ---\n{stderr}")
        }
    }

    /// Stops the server (SIGTERM to the master PID, SIGKILL after a few seconds).
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child, Signal::SIGTERM, STOP_GRACE)?;
        }
        Ok(())
    }

    /// Stops and starts the server again on the same ports with the same data and users.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop()?;
        self.spawn_and_wait()
    }

    fn start_on_free_ports(&mut self) -> anyhow::Result<()> {
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            [self.inputs.imap_port, self.inputs.imaps_port] = free_ports();
            match self.spawn_and_wait() {
                Ok(()) => return Ok(()),
                Err(error) if self.log_text().contains("Address already in use") => {
                    self.stop()?;
                    last_error = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("no free port pair found")))
    }

    fn spawn_and_wait(&mut self) -> anyhow::Result<()> {
        std::fs::write(&self.conf_path, config::render(&self.inputs))?;
        let stderr = File::create(&self.stderr_path)?;
        // -F: stay in the foreground, so the master is our child and is reaped by us.
        // TZ=UTC: maildir keeps INTERNALDATE as a file time, so Dovecot answers in its own
        // zone (the offset given at APPEND is not kept); UTC makes that answer deterministic.
        let child = Command::new(&self.dovecot_bin)
            .env("TZ", "UTC")
            .arg("-F")
            .arg("-c")
            .arg(&self.conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("running {}", self.dovecot_bin.display()))?;
        self.child = Some(child);
        self.wait_until_ready()
            .with_context(|| format!("Dovecot did not start; its log:\n{}", self.log_text()))
    }

    fn wait_until_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                bail!("dovecot exited with {status}");
            }
            if greets(self.imap_port(), &self.inputs.instance_name) && accepts(self.imaps_port()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.stop()?;
                bail!(
                    "no `* OK` greeting on 127.0.0.1:{} in time",
                    self.imap_port()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            eprintln!("stopping Dovecot failed: {error:#}");
        }
    }
}

fn accepts(port: u16) -> bool {
    TcpStream::connect_timeout(
        &(Ipv4Addr::LOCALHOST, port).into(),
        Duration::from_millis(500),
    )
    .is_ok()
}

/// Whether this instance (named `name`) greets on `port`, not another server.
fn greets(port: u16, name: &str) -> bool {
    let Ok(stream) = TcpStream::connect_timeout(
        &(Ipv4Addr::LOCALHOST, port).into(),
        Duration::from_millis(500),
    ) else {
        return false;
    };
    if stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .is_err()
    {
        return false;
    }
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok()
        && line.starts_with("* OK")
        && line.contains(&format!("({name})"))
}
