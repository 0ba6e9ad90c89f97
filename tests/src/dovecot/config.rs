//! Renders one instance's `dovecot.conf` (everything inside its temp dir, loopback only).

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::system_accounts::Account;

/// Special-use folders declared in the inbox namespace (created on demand, `auto = no`).
const SPECIAL_USE: [(&str, &str); 5] = [
    ("Drafts", "\\Drafts"),
    ("Sent", "\\Sent"),
    ("Trash", "\\Trash"),
    ("Junk", "\\Junk"),
    ("Archive", "\\Archive"),
];

/// What differs between instances.
#[derive(Debug, Clone)]
pub(crate) struct ConfigInputs {
    pub instance_name: String,
    pub root: PathBuf,
    pub imap_port: u16,
    pub imaps_port: u16,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    pub users_file: PathBuf,
    pub masters_file: PathBuf,
    pub mail_owner: Account,
    pub separator: char,
    pub quota: bool,
    pub fsync: bool,
    /// Replaces the capability list after sign-in (to test clients without MULTIAPPEND etc.).
    pub imap_capability: Option<String>,
    /// A Gmail-like `[Gmail]/All Mail` (`\All`): a virtual folder of every message.
    pub all_mail: bool,
    pub oauth2: Option<OAuth2Inputs>,
}

/// The `oauth2` passdb's settings.
#[derive(Debug, Clone)]
pub(crate) struct OAuth2Inputs {
    pub introspection_url: String,
    pub per_domain: bool,
    pub imap_disabled: Vec<String>,
}

/// Writes the `oauth2` passdbs' settings: one for every user, one for the users whose IMAP is
/// disabled (their good token still fails, with the reason the token server gives).
pub(crate) fn write_oauth2_files(inputs: &ConfigInputs) -> std::io::Result<()> {
    let Some(o) = &inputs.oauth2 else {
        return Ok(());
    };
    // With %d the login's domain is compared with the token user's: an app's token serves
    // every mailbox of its domain.
    let format = if o.per_domain { "%Ld" } else { "%Lu" };
    let settings = format!(
        "introspection_mode = post\nintrospection_url = {}\nusername_attribute = username\n\
         username_format = {format}\nactive_attribute = active\nactive_value = true\n",
        o.introspection_url
    );
    std::fs::write(inputs.root.join("oauth2.conf.ext"), &settings)?;
    // A template splits at spaces; an expanded field keeps them.
    std::fs::write(
        inputs.root.join("oauth2-imap-disabled.conf.ext"),
        settings + "pass_attrs = nologin=y reason=%{oauth2:reason}\n",
    )
}

impl ConfigInputs {
    pub fn base_dir(&self) -> PathBuf {
        self.root.join("run")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.join("state")
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.root.join("mail")
    }

    /// The definitions of the virtual folders (shared by every user).
    pub fn virtual_dir(&self) -> PathBuf {
        self.root.join("virtual")
    }

    /// Writes `All Mail`'s definition: every folder of the inbox namespace but Trash and Junk.
    pub fn write_all_mail(&self) -> std::io::Result<()> {
        let dir = self.virtual_dir().join("All Mail");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("dovecot-virtual"), "*\n-Trash\n-Junk\n  all\n")
    }

    pub fn log_path(&self) -> PathBuf {
        self.root.join("dovecot.log")
    }
}

/// The whole configuration text for `dovecot -c`.
pub(crate) fn render(inputs: &ConfigInputs) -> String {
    let uid = inputs.mail_owner.uid.as_raw();
    let gid = inputs.mail_owner.gid.as_raw();
    let mut conf = String::new();
    let mut line = |text: String| {
        conf.push_str(&text);
        conf.push('\n');
    };
    line(format!("instance_name = {}", inputs.instance_name));
    // The instance's name in its greeting: a port another test's server took between choosing
    // it and binding it answers with another (tests run in parallel processes).
    line(format!(
        "login_greeting = Dovecot ready ({}).",
        inputs.instance_name
    ));
    line(format!("base_dir = {}", inputs.base_dir().display()));
    line(format!("state_dir = {}", inputs.state_dir().display()));
    line(format!("log_path = {}", inputs.log_path().display()));
    line(format!("info_log_path = {}", inputs.log_path().display()));
    line("protocols = imap".into());
    line("listen = 127.0.0.1".into());
    line("ssl = yes".into());
    line(format!("ssl_cert = <{}", inputs.cert_path.display()));
    line(format!("ssl_key = <{}", inputs.key_path.display()));
    line("disable_plaintext_auth = no".into());
    line(if inputs.oauth2.is_some() {
        "auth_mechanisms = plain login xoauth2 oauthbearer".into()
    } else {
        "auth_mechanisms = plain login".into()
    });
    // Failed logins are answered at once instead of after the default 2 s.
    line("auth_failure_delay = 0".into());
    line("auth_master_user_separator = *".into());
    line(format!("mail_uid = {uid}"));
    line(format!("mail_gid = {gid}"));
    line(format!("first_valid_uid = {uid}"));
    line(format!("last_valid_uid = {uid}"));
    line(format!("first_valid_gid = {gid}"));
    line(format!("last_valid_gid = {gid}"));
    line(format!("mail_home = {}/%u", inputs.mail_dir().display()));
    line("mail_location = maildir:~/Maildir".into());
    line(format!(
        "mail_fsync = {}",
        if inputs.fsync { "optimized" } else { "never" }
    ));
    line("default_process_limit = 200".into());
    line("default_client_limit = 2000".into());
    let plugins: Vec<&str> = [(inputs.quota, "quota"), (inputs.all_mail, "virtual")]
        .into_iter()
        .filter_map(|(on, plugin)| on.then_some(plugin))
        .collect();
    if !plugins.is_empty() {
        line(format!(
            "mail_plugins = $mail_plugins {}",
            plugins.join(" ")
        ));
    }
    if let Some(capability) = &inputs.imap_capability {
        line(format!("imap_capability = {capability}"));
    }
    let mut text = conf;
    text.push_str(&protocol_imap(inputs.quota));
    text.push_str(&quota_plugin(inputs.quota));
    text.push_str(&namespace(inputs.separator));
    if inputs.all_mail {
        text.push_str(&all_mail_namespace(inputs));
    }
    text.push_str(&auth(inputs));
    text.push_str(&listeners(inputs));
    text
}

fn protocol_imap(quota: bool) -> String {
    let plugins = if quota {
        "  mail_plugins = $mail_plugins imap_quota\n"
    } else {
        ""
    };
    format!("protocol imap {{\n{plugins}  mail_max_userip_connections = 100\n}}\n")
}

fn quota_plugin(quota: bool) -> String {
    if !quota {
        return String::new();
    }
    // quota_grace = 0: with the default 10 % grace the first over-limit APPEND would succeed.
    "plugin {\n  quota = count:User quota\n  quota_vsizes = yes\n  \
     quota_rule = *:storage=10G\n  quota_grace = 0\n}\n"
        .to_string()
}

fn namespace(separator: char) -> String {
    let mut text =
        format!("namespace inbox {{\n  inbox = yes\n  separator = {separator}\n  prefix =\n");
    for (name, special_use) in SPECIAL_USE {
        let _ = write!(
            text,
            "  mailbox {name} {{\n    special_use = {special_use}\n    auto = no\n  }}\n"
        );
    }
    text.push_str("}\n");
    text
}

/// Gmail's folder model: `[Gmail]/All Mail` holds every message of the inbox namespace but the
/// Trash and Junk (see `write_all_mail`).
fn all_mail_namespace(inputs: &ConfigInputs) -> String {
    format!(
        "namespace gmail {{\n  prefix = [Gmail]/\n  separator = /\n  \
         location = virtual:{dir}:INDEX=~/virtual-index\n  list = yes\n  subscriptions = no\n  \
         mailbox \"All Mail\" {{\n    special_use = \\All\n  }}\n}}\n",
        dir = inputs.virtual_dir().display(),
    )
}

fn auth(inputs: &ConfigInputs) -> String {
    let oauth2 = match &inputs.oauth2 {
        Some(o) => {
            let disabled = if o.imap_disabled.is_empty() {
                String::new()
            } else {
                format!(
                    "passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  \
                     username_filter = {users}\n  args = {root}/oauth2-imap-disabled.conf.ext\n}}\n",
                    users = o.imap_disabled.join(" "),
                    root = inputs.root.display()
                )
            };
            disabled
                + &format!(
                    "passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  \
                     args = {root}/oauth2.conf.ext\n}}\n",
                    root = inputs.root.display()
                )
        }
        None => String::new(),
    };
    oauth2
        + &format!(
            "passdb {{\n  driver = passwd-file\n  master = yes\n  args = scheme=PLAIN {masters}\n  \
         pass = yes\n}}\n\
         passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {users}\n}}\n\
         userdb {{\n  driver = passwd-file\n  args = {users}\n}}\n",
            masters = inputs.masters_file.display(),
            users = inputs.users_file.display(),
        )
}

fn listeners(inputs: &ConfigInputs) -> String {
    // mode = 0 disables the per-IP auth penalty (2 s doubling to 15 s after failed logins from
    // 127.0.0.1, applied to every later login too), which `auth_failure_delay` does not cover.
    format!(
        "service anvil {{\n  unix_listener anvil-auth-penalty {{\n    mode = 0\n  }}\n}}\n\
         service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    \
         port = {imap}\n  }}\n  inet_listener imaps {{\n    address = 127.0.0.1\n    \
         port = {imaps}\n    ssl = yes\n  }}\n}}\n",
        imap = inputs.imap_port,
        imaps = inputs.imaps_port,
    )
}

#[cfg(test)]
mod tests {
    use nix::unistd::{Gid, Uid};

    use super::*;

    fn inputs(quota: bool, separator: char) -> ConfigInputs {
        ConfigInputs {
            instance_name: "t".into(),
            root: "/tmp/x".into(),
            imap_port: 1143,
            imaps_port: 1993,
            cert_path: "/tmp/x/cert.pem".into(),
            key_path: "/tmp/x/key.pem".into(),
            users_file: "/tmp/x/users".into(),
            masters_file: "/tmp/x/masters".into(),
            mail_owner: Account {
                uid: Uid::from_raw(65534),
                gid: Gid::from_raw(65534),
            },
            separator,
            quota,
            fsync: false,
            imap_capability: None,
            all_mail: false,
            oauth2: None,
        }
    }

    #[test]
    fn quota_settings_only_when_asked() {
        let with = render(&inputs(true, '/'));
        let without = render(&inputs(false, '/'));
        assert!(with.contains("quota = count:User quota"));
        assert!(with.contains("imap_quota"));
        assert!(!without.contains("quota"));
    }

    #[test]
    fn separator_ports_and_fsync_are_rendered() {
        let text = render(&inputs(false, '.'));
        assert!(text.contains("separator = .\n"));
        assert!(text.contains("port = 1143\n"));
        assert!(text.contains("port = 1993\n"));
        assert!(text.contains("mail_fsync = never\n"));
        assert!(text.contains("unix_listener anvil-auth-penalty {\n    mode = 0\n"));
        assert!(text.contains("mailbox Archive {\n    special_use = \\Archive\n    auto = no\n"));
    }
}
