//! A Cyrus instance's files: `imapd.conf`, `cyrus.conf`, its folders (owned by user `cyrus`) and
//! the SASL password database.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context;

use crate::system_accounts::account;

/// How to set up an instance.
#[derive(Debug, Clone, Copy, Default)]
pub struct CyrusOptions {
    /// `munge8bit`: Cyrus's default replaces raw 8-bit header bytes with `X` on APPEND (same
    /// size, other bytes); off, they are stored as sent.
    pub munge8bit: bool,
}

const FOLDERS: [&str; 12] = [
    "conf/socket",
    "conf/db",
    "conf/lock",
    "conf/proc",
    "conf/log",
    "conf/ptclient",
    "conf/quota",
    "conf/sieve",
    "conf/user",
    "spool",
    "run",
    "tls",
];

/// The instance's own server name, in its greeting: a port another test's server took between
/// choosing it and binding it answers with another name (seen with tests in parallel processes).
pub(super) fn server_name(root: &Path) -> String {
    let dir = root.file_name().map(|n| n.to_string_lossy().to_lowercase());
    let name: String = dir
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{name}.localhost")
}

/// Writes the configuration for `port` (Debian's namespace: personal folders under `INBOX.`
/// with `.` as separator; `user@domain` logins; the admin `admin`).
pub(super) fn write(
    root: &Path,
    port: u16,
    imapd: &str,
    options: &CyrusOptions,
) -> anyhow::Result<()> {
    for folder in FOLDERS {
        std::fs::create_dir_all(root.join(folder))?;
    }
    // The services run as `cyrus`, which must traverse the (root-owned) temp dir.
    std::fs::set_permissions(root, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let r = root.display();
    let conf = format!(
        "configdirectory: {r}/conf\npartition-default: {r}/spool\ndefaultpartition: default\n\
         proc_path: {r}/conf/proc\nmboxname_lockpath: {r}/conf/lock\n\
         idlesocket: {r}/conf/socket/idle\nnotifysocket: {r}/conf/socket/notify\n\
         lmtpsocket: {r}/conf/socket/lmtp\nservername: {name}\nsyslog_prefix: cyrus-testbed\n\
         altnamespace: no\nunixhierarchysep: no\nvirtdomains: userid\nadmins: {admin}\n\
         allowplaintext: yes\nsasl_pwcheck_method: auxprop\nsasl_auxprop_plugin: sasldb\n\
         sasl_sasldb_path: {r}/conf/sasldb2\nsasl_mech_list: PLAIN LOGIN\nfailedloginpause: 0\n\
         munge8bit: {munge}\nreject8bit: no\numask: 077\n\
         tls_server_cert: {r}/tls/cert.pem\ntls_server_key: {r}/tls/key.pem\n",
        admin = super::CYRUS_ADMIN,
        name = server_name(root),
        munge = if options.munge8bit { "yes" } else { "no" },
    );
    std::fs::write(root.join("imapd.conf"), conf)?;
    // The master does not pass -C on to its services: each command names the file itself.
    let services = format!(
        "START {{\n  recover cmd=\"/usr/lib/cyrus/bin/ctl_cyrusdb -C {r}/imapd.conf -r\"\n}}\n\
         SERVICES {{\n  imap cmd=\"{imapd} -C {r}/imapd.conf\" listen=\"127.0.0.1:{port}\" prefork=0\n}}\n\
         EVENTS {{\n}}\n"
    );
    std::fs::write(root.join("cyrus.conf"), services)?;
    set_password(root, super::CYRUS_ADMIN, super::CYRUS_ADMIN_PASSWORD)?;
    give_to_cyrus(root)
}

/// Sets a user's password in the SASL database (`name@domain` in realm `domain`).
pub(super) fn set_password(root: &Path, user: &str, password: &str) -> anyhow::Result<()> {
    // A name without a domain is in the server's own realm (its `servername`).
    let own = server_name(root);
    let (name, realm) = user.split_once('@').unwrap_or((user, own.as_str()));
    let mut child = Command::new("saslpasswd2")
        .args(["-p", "-c", "-f"])
        .arg(root.join("conf/sasldb2"))
        .args(["-u", realm, name])
        .stdin(Stdio::piped())
        .spawn()
        .context("running saslpasswd2 (Debian package sasl2-bin)")?;
    child
        .stdin
        .take()
        .context("saslpasswd2's stdin")?
        .write_all(password.as_bytes())?;
    let status = child.wait()?;
    anyhow::ensure!(status.success(), "saslpasswd2 {user}: {status}");
    give_to_cyrus(&root.join("conf/sasldb2"))
}

/// Everything under `path` to user `cyrus`, group `mail` (the services run as them).
fn give_to_cyrus(path: &Path) -> anyhow::Result<()> {
    let owner = account("cyrus", "mail")?;
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        std::os::unix::fs::chown(&p, Some(owner.uid.as_raw()), Some(owner.gid.as_raw()))?;
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p)?.flatten().map(|e| e.path()));
        }
    }
    Ok(())
}
