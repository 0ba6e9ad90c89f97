//! Configuration, layered: defaults → `mailferry.toml` → `MAILFERRY_*` environment → CLI flags.
//! Validated once at start-up; secrets never appear in `Debug`.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::secrets::Secret;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("database_url: unsupported scheme in {0:?}; use sqlite://PATH or postgres://…")]
    DatabaseScheme(String),
    #[error("admin_password: {0}")]
    AdminPassword(String),
    #[error("{key}: could not read {path}: {source}")]
    SecretFile {
        key: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("listen: {0:?} is not an address like 127.0.0.1:3000")]
    Listen(String),
}

/// The database URL, with any password hidden in `Debug`.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", redact_url_password(&self.0))
    }
}

fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Where the web app listens.
    pub listen: String,
    /// Folder for the SQLite database and the secret key (created if missing).
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty = `sqlite://DATA_DIR/mailferry.db`.
    pub database_url: DatabaseUrl,
    /// The key that encrypts stored passwords; empty = `DATA_DIR/secret.key`.
    pub secret_key_file: PathBuf,
    /// Creates the first admin at start-up when no admin exists.
    pub admin_username: String,
    pub admin_password: Secret,
    pub admin_password_file: Option<PathBuf>,
    /// Mark the session cookie `Secure`; unset: yes, unless served over plain HTTP on a
    /// loopback address (see [`Config::cookies_secure`]).
    pub secure_cookies: Option<bool>,
    /// Sign-in attempts allowed per client address and user name per minute (five times as many
    /// per address, whatever the names).
    pub sign_in_attempts_per_minute: u32,
    /// Seconds a browser session may stay unused before it ends (it ends 12 hours after
    /// sign-in anyway).
    pub session_idle_secs: u64,
    /// Connections the web server holds at once; more wait until one closes.
    pub max_connections: u32,
    /// Seconds a client gets to send a request's head; a slower one is disconnected.
    pub header_read_timeout_secs: u64,
    /// The address admins open the web app at (e.g. `https://mail-migration.example.com`):
    /// browser requests must come from it (or from `allowed_hosts`, or the listen address).
    pub public_url: String,
    /// More `host[:port]` names the web app is reached by.
    pub allowed_hosts: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (e.g. `["127.0.0.1"]`); from any
    /// other peer the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How many mailboxes this process migrates at once.
    pub max_concurrent_mailboxes: u32,
    /// How many mailboxes all processes sharing the database migrate at once (0 = no limit
    /// beyond each process's own and each endpoint's).
    pub cluster_max_concurrent_mailboxes: u32,
    /// MiB for message bodies in flight, shared by every mailbox this process migrates: bounds
    /// the process's memory whatever the message sizes (a bigger message runs alone).
    pub message_memory_mib: u32,
    /// Seconds a mailbox claim holds without a heartbeat; a dead process's mailboxes are taken
    /// over after it.
    pub mailbox_lease_secs: u64,
    /// Seconds to wait for any answer of an IMAP server before the connection counts as lost.
    pub imap_timeout_secs: u64,
    /// The shortest interval between a batch's delta syncs an admin may choose on the command
    /// line (the web form keeps to 5 minutes).
    pub min_incremental_sync_secs: u64,
    /// Where status e-mails go out (`[smtp]` in the TOML file, `MAILFERRY_SMTP__HOST` etc.).
    pub smtp: crate::mail::smtp::SmtpSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:3000".into(),
            data_dir: PathBuf::from("data"),
            database_url: DatabaseUrl(String::new()),
            secret_key_file: PathBuf::new(),
            admin_username: "admin".into(),
            admin_password: Secret::default(),
            admin_password_file: None,
            secure_cookies: None,
            sign_in_attempts_per_minute: 10,
            trusted_proxies: Vec::new(),
            public_url: String::new(),
            allowed_hosts: Vec::new(),
            session_idle_secs: 30 * 60,
            max_connections: 1024,
            header_read_timeout_secs: 10,
            max_concurrent_mailboxes: 8,
            cluster_max_concurrent_mailboxes: 0,
            message_memory_mib: crate::engine::memory_budget::DEFAULT_MIB,
            mailbox_lease_secs: 60,
            imap_timeout_secs: 60,
            min_incremental_sync_secs: app::model::batch_options::MIN_INCREMENTAL_SYNC_SECS,
            smtp: crate::mail::smtp::SmtpSettings::default(),
        }
    }
}

impl Config {
    /// How long a browser session may stay unused.
    pub fn session_idle(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.session_idle_secs.max(1))
    }

    /// How long a mailbox claim holds without a heartbeat (at least 3 s).
    pub fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.mailbox_lease_secs.max(3))
    }

    /// The deadline of every IMAP answer (at least 1 s).
    pub fn imap_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.imap_timeout_secs.max(1))
    }

    /// The cluster-wide limit of mailboxes at once, if one is set.
    pub fn cluster_max(&self) -> Option<u32> {
        Some(self.cluster_max_concurrent_mailboxes).filter(|n| *n > 0)
    }

    /// Loads the layers; `overrides` are the CLI flags the admin gave (highest priority).
    pub fn load(
        toml_path: Option<&std::path::Path>,
        overrides: &[(&str, String)],
    ) -> Result<Config, ConfigError> {
        let toml_path = toml_path
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("mailferry.toml"));
        let mut figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(toml_path))
            .merge(Env::prefixed("MAILFERRY_").split("__"));
        for (key, value) in overrides {
            figment = figment.merge((*key, value.clone()));
        }
        let mut config: Config = figment.extract().map_err(Box::new)?;
        config.resolve()?;
        Ok(config)
    }

    /// Fills derived defaults and checks the values.
    pub fn resolve(&mut self) -> Result<(), ConfigError> {
        if self.database_url.0.is_empty() {
            self.database_url =
                DatabaseUrl(format!("sqlite://{}/mailferry.db", self.data_dir.display()));
        }
        self.database_kind()?;
        if self.secret_key_file.as_os_str().is_empty() {
            self.secret_key_file = self.data_dir.join("secret.key");
        }
        if let Some(path) = &self.admin_password_file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::SecretFile {
                key: "admin_password_file",
                path: path.clone(),
                source,
            })?;
            self.admin_password = Secret(text.trim_end_matches(['\n', '\r']).to_string());
        }
        if !self.admin_password.0.is_empty() {
            crate::auth::password_policy::check(&self.admin_password.0)
                .map_err(ConfigError::AdminPassword)?;
        }
        self.listen_addr()?;
        Ok(())
    }

    pub fn database_kind(&self) -> Result<DatabaseKind, ConfigError> {
        let url = &self.database_url.0;
        if url.starts_with("sqlite:") {
            Ok(DatabaseKind::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseKind::Postgres)
        } else {
            Err(ConfigError::DatabaseScheme(redact_url_password(url)))
        }
    }

    /// Whether the session cookie is `Secure`: as configured, else always but when the app is
    /// served over plain HTTP on loopback (its own machine), where a browser would not send it.
    pub fn cookies_secure(&self) -> bool {
        if let Some(configured) = self.secure_cookies {
            return configured;
        }
        let https = self.public_url.trim().starts_with("https://");
        let loopback = self.listen_addr().is_ok_and(|a| a.ip().is_loopback());
        https || !loopback
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen
            .parse()
            .map_err(|_| ConfigError::Listen(self.listen.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let config = Config {
            admin_password: Secret("hunter2-hunter2".into()),
            database_url: DatabaseUrl("postgres://mf:s3cret@db:5432/mailferry".into()),
            ..Config::default()
        };
        let text = format!("{config:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
        assert!(
            text.contains("postgres://mf:***@db:5432/mailferry"),
            "{text}"
        );
    }

    #[test]
    fn defaults_to_sqlite_in_the_data_dir() {
        let mut config = Config::default();
        config.resolve().unwrap();
        assert_eq!(config.database_url.0, "sqlite://data/mailferry.db");
        assert_eq!(config.database_kind().unwrap(), DatabaseKind::Sqlite);
        assert_eq!(config.secret_key_file, PathBuf::from("data/secret.key"));
    }

    #[test]
    fn rejects_unknown_database_schemes_and_bad_listen_addresses() {
        let mut config = Config {
            database_url: DatabaseUrl("mysql://x".into()),
            ..Config::default()
        };
        assert!(matches!(
            config.resolve(),
            Err(ConfigError::DatabaseScheme(_))
        ));
        let mut config = Config {
            listen: "localhost".into(),
            ..Config::default()
        };
        assert!(matches!(config.resolve(), Err(ConfigError::Listen(_))));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own closure signature
    fn layers_env_over_toml_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("mailferry.toml");
        std::fs::write(
            &toml,
            "listen = \"127.0.0.1:4000\"\nmax_concurrent_mailboxes = 3\n",
        )
        .unwrap();
        figment::Jail::expect_with(|jail| {
            jail.set_env("MAILFERRY_MAX_CONCURRENT_MAILBOXES", "5");
            jail.set_env("MAILFERRY_SMTP__HOST", "smtp.example.com");
            jail.set_env("MAILFERRY_SMTP__PASSWORD", "smtp-secret");
            let config = Config::load(Some(&toml), &[]).unwrap();
            assert_eq!(config.listen, "127.0.0.1:4000");
            assert_eq!(config.max_concurrent_mailboxes, 5);
            assert_eq!(config.smtp.host, "smtp.example.com");
            assert!(!format!("{config:?}").contains("smtp-secret"));
            let config = Config::load(Some(&toml), &[("listen", "127.0.0.1:5000".into())]).unwrap();
            assert_eq!(config.listen, "127.0.0.1:5000");
            Ok(())
        });
    }

    #[test]
    fn the_cookie_is_secure_but_on_plain_http_over_loopback() {
        let with = |listen: &str, public_url: &str, configured: Option<bool>| Config {
            listen: listen.into(),
            public_url: public_url.into(),
            secure_cookies: configured,
            ..Config::default()
        };
        assert!(!with("127.0.0.1:3000", "", None).cookies_secure());
        assert!(!with("[::1]:3000", "http://localhost:3000", None).cookies_secure());
        assert!(with("0.0.0.0:3000", "", None).cookies_secure());
        assert!(with("127.0.0.1:3000", "https://mail.example.org", None).cookies_secure());
        assert!(!with("0.0.0.0:3000", "", Some(false)).cookies_secure());
    }
}
