//! Command-line interface: `mailferry serve` and the headless commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mailferry",
    version,
    about = "Move mailboxes from one IMAP server to another, in batches"
)]
pub struct Cli {
    /// Configuration file (default: ./mailferry.toml if present).
    #[arg(long, global = true, env = "MAILFERRY_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app (and the migration workers).
    Serve(ServeArgs),
    /// Migrate the mailboxes of a CSV file from the command line (same engine and database).
    Migrate(Box<MigrateArgs>),
    /// Look at and act on batches.
    Batch(BatchArgs),
    /// Export the reports.
    Report(ReportArgs),
    /// Look at and test the stored endpoints.
    Endpoint(EndpointArgs),
    /// Create a new secret key and re-encrypt every stored password with it (stop every
    /// Mailferry process first).
    RotateKey(RotateKeyArgs),
    /// The audit trail: who did what, when and from where (newest first).
    Audit(AuditArgs),
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Only this administrator's actions (`command line` for the CLI's).
    #[arg(long)]
    pub admin: Option<String>,
    /// Only this action, e.g. sign_in_failed, batch_started, admin_added.
    #[arg(long)]
    pub action: Option<String>,
    /// Only actions on this batch.
    #[arg(long)]
    pub batch: Option<i64>,
    /// From this time on (UTC, e.g. 2026-12-24T08:00).
    #[arg(long, value_parser = parse_time)]
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Before this time (UTC).
    #[arg(long, value_parser = parse_time)]
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// At most this many entries.
    #[arg(long, default_value_t = 50)]
    pub limit: u64,
}

#[derive(Debug, Args)]
pub struct RotateKeyArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Where to write the new key (must not exist yet).
    #[arg(long)]
    pub new_key_file: PathBuf,
}

#[derive(Debug, Args)]
pub struct EndpointArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub action: EndpointAction,
}

#[derive(Debug, Subcommand)]
pub enum EndpointAction {
    /// Every stored endpoint (never its password).
    List,
    /// Connect, read the capabilities and prove the admin credentials.
    Test {
        id: i64,
        /// Mailbox to open on the admin's behalf (default: the admin's own name).
        #[arg(long)]
        probe_user: Option<String>,
    },
}

/// Where the database is, for the commands that only read or act on it.
#[derive(Debug, Args, Default)]
pub struct StoreArgs {
    /// Database URL: sqlite://PATH or postgres://USER:PASS@HOST/DB (default: SQLite in the data
    /// folder).
    #[arg(long, global = true)]
    pub database: Option<String>,
    /// Folder for the SQLite database and the secret key.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
}

impl StoreArgs {
    pub fn overrides(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(v) = &self.database {
            out.push(("database_url", v.clone()));
        }
        if let Some(v) = &self.data_dir {
            out.push(("data_dir", v.display().to_string()));
        }
        out
    }
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub action: BatchAction,
}

#[derive(Debug, Subcommand)]
pub enum BatchAction {
    /// Every batch with its state and counts.
    List,
    /// Run (or continue) a batch in this process.
    Run {
        id: i64,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// A batch from a CSV file between two stored endpoints (`mailferry endpoint list`), for the
    /// workers of `mailferry serve`: started at once, at --start-after, or by `batch start`.
    Create(Box<CreateBatchArgs>),
    /// Start a batch: the workers of every `mailferry serve` process pick it up.
    Start { id: i64 },
    /// A delta sync of a Synced batch now, not at its scheduled time.
    SyncNow { id: i64 },
    /// Complete a Synced batch: a final delta sync, then Completed (after the MX switch).
    Complete { id: i64 },
    /// Stop a batch: queued mailboxes at once, running ones after their transaction in flight.
    Stop { id: i64 },
    /// Queue a batch's failed and stopped mailboxes again.
    Resume { id: i64 },
    /// Delete a batch with its mailboxes and errors.
    Delete { id: i64 },
    /// A new batch from the failed and stopped rows, with their stored credentials.
    Retry { id: i64 },
    /// The failed rows as CSV with an empty Password column, to fix and upload again.
    FailedRows {
        id: i64,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Sign in on both sides and count folders, messages and bytes for every row; copies nothing.
    Preflight { id: i64 },
    /// Compare every mailbox a pass has ended for with its source (per folder: count, size and
    /// Message-IDs, no bodies); prints what is missing, writes MigrationVerification.csv to --out.
    Verify {
        id: i64,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Copy what the last verification found missing (a pass that copies only that).
    CopyMissing { id: i64 },
}

#[derive(Debug, Args)]
pub struct CreateBatchArgs {
    /// Exchange's CSV: EmailAddress,UserName,Password[,UserRoot].
    #[arg(long)]
    pub csv: PathBuf,
    /// The source endpoint's id.
    #[arg(long)]
    pub source: i64,
    /// The destination endpoint's id.
    #[arg(long)]
    pub destination: i64,
    #[arg(long)]
    pub name: Option<String>,
    /// Start the first pass at this time (RFC 3339, or YYYY-MM-DDTHH:MM in UTC).
    #[arg(long, value_parser = parse_time)]
    pub start_after: Option<chrono::DateTime<chrono::Utc>>,
    /// Complete the batch at this time once it is Synced.
    #[arg(long, value_parser = parse_time)]
    pub complete_after: Option<chrono::DateTime<chrono::Utc>>,
    /// Time between delta syncs once Synced (e.g. 24h, 30m; default 24h, at least 5m).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub incremental_interval: Option<std::time::Duration>,
    /// Start the first pass now (otherwise at --start-after, or on `batch start`).
    #[arg(long, conflicts_with = "start_after")]
    pub start: bool,
    /// Send the status e-mails to this address; repeatable.
    #[arg(long = "notify")]
    pub notify: Vec<String>,
}

/// A time given on the command line: RFC 3339, or a UTC time without zone.
pub fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    app::model::batch_upload::parse_utc(text)
        .ok_or_else(|| format!("{text:?}: use 2027-01-04T22:00 (UTC) or RFC 3339"))
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub report: ReportKind,
}

#[derive(Debug, Subcommand)]
pub enum ReportKind {
    /// MigrationErrors.csv, whole or filtered.
    Errors {
        #[arg(long)]
        batch: Option<i64>,
        /// Error kind code (e.g. source_sign_in_failed); repeatable.
        #[arg(long = "kind")]
        kinds: Vec<String>,
        /// Part of the EmailAddress.
        #[arg(long)]
        mailbox: Option<String>,
        /// Also the errors a later pass overcame (by default only current ones).
        #[arg(long)]
        resolved_too: bool,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// MigrationStatistics.csv of a batch.
    Statistics {
        #[arg(long)]
        batch: i64,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// How the source signs users in without the CSV's passwords (the Password column may then be
/// empty or left out).
#[derive(Debug, Args, Default)]
pub struct SourceSignInArgs {
    /// Tokens Mailferry gets from an OAuth 2 provider: google (a service account with
    /// domain-wide delegation) or microsoft (an app with IMAP.AccessAsApp).
    #[arg(long, requires = "source_oauth_secret_file")]
    pub source_oauth: Option<String>,
    /// Google: the service account's JSON key file; Microsoft: a file holding the client secret,
    /// or the app's certificate and private key (PEM).
    #[arg(long, requires = "source_oauth")]
    pub source_oauth_secret_file: Option<PathBuf>,
    /// Microsoft: the app's application (client) id.
    #[arg(long, requires = "source_oauth")]
    pub source_oauth_client_id: Option<String>,
    /// Microsoft: the directory (tenant) id or domain.
    #[arg(long, requires = "source_oauth")]
    pub source_oauth_tenant: Option<String>,
    /// The provider's token URL, when not its public one (sovereign clouds).
    #[arg(long, requires = "source_oauth")]
    pub source_oauth_token_url: Option<String>,
    /// A source admin (or Dovecot master user) who signs in on each user's behalf.
    #[arg(
        long,
        requires = "source_admin_password_file",
        conflicts_with = "source_oauth"
    )]
    pub source_admin: Option<String>,
    /// File holding the source admin's password.
    #[arg(long, requires = "source_admin")]
    pub source_admin_password_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Exchange's CSV: EmailAddress,UserName,Password[,UserRoot] (EmailAddress = destination login).
    #[arg(long)]
    pub csv: PathBuf,
    /// Source server, imap://HOST:PORT.
    #[arg(long)]
    pub source: String,
    #[arg(long, default_value = "tls")]
    pub source_security: String,
    /// How users sign in on the source: login, plain, or xoauth2 (Password = access token).
    #[arg(long, default_value = "login")]
    pub source_auth: String,
    #[command(flatten)]
    pub source_sign_in: SourceSignInArgs,
    /// Destination server, imap://HOST:PORT.
    #[arg(long)]
    pub destination: String,
    #[arg(long, default_value = "tls")]
    pub destination_security: String,
    /// The destination admin who signs in on the users' behalf.
    #[arg(long)]
    pub destination_admin: String,
    /// File holding the destination admin's password.
    #[arg(long)]
    pub destination_admin_password_file: PathBuf,
    /// How the admin acts for a user: sasl-plain (authzid) or master-separator (user*admin).
    #[arg(long, default_value = "sasl-plain")]
    pub impersonation: String,
    /// Copy what is new in mailboxes completed by an earlier batch.
    #[arg(long)]
    pub sync_again: bool,
    /// Keep on the destination the messages users delete on the source meanwhile (a later pass
    /// deletes Mailferry's copies of them otherwise).
    #[arg(long)]
    pub keep_deleted: bool,
    /// Stage the migration: after the first pass the batch stays Synced and this command runs a
    /// delta sync every DURATION (e.g. 24h, 30m; at least 5m) until the batch is completed
    /// (`mailferry batch complete ID`) or Ctrl-C. Without it the first pass is also the final one.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub incremental_interval: Option<std::time::Duration>,
    /// Complete the batch this command made before (a final delta sync, then Completed).
    #[arg(long)]
    pub complete: bool,
    /// Only folders matching this pattern (`*` anything, `%` within one level); repeatable.
    #[arg(long = "include-folder")]
    pub include_folders: Vec<String>,
    /// Skip folders matching this pattern; repeatable.
    #[arg(long = "exclude-folder")]
    pub exclude_folders: Vec<String>,
    /// Only messages received on or after this day (YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<chrono::NaiveDate>,
    /// Only messages received before this day (YYYY-MM-DD).
    #[arg(long)]
    pub before: Option<chrono::NaiveDate>,
    /// Skip (and report) messages larger than this many bytes.
    #[arg(long)]
    pub max_message_size: Option<u64>,
    /// Send the status e-mail to this address when the batch ends (SMTP from the configuration).
    #[arg(long = "notify")]
    pub notify: Vec<String>,
    /// Write MigrationErrors.csv here.
    #[arg(long)]
    pub errors_csv: Option<PathBuf>,
    /// Extra CA certificate(s), PEM, trusted for both servers.
    #[arg(long, conflicts_with = "insecure_skip_tls_verify")]
    pub tls_ca_file: Option<PathBuf>,
    /// Do not verify TLS certificates (logs a warning; test servers only).
    #[arg(long)]
    pub insecure_skip_tls_verify: bool,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Mailboxes migrated at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Folders of one mailbox copied at once, each over its own pair of connections.
    #[arg(long, default_value_t = app::model::batch_options::DEFAULT_FOLDERS_AT_ONCE)]
    pub folders_at_once: u32,
    /// Pre-flight only: sign in on both sides and count, copy nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// After each mailbox's pass, compare it with its source (per folder: count, size and
    /// Message-IDs, no bodies) and report what is missing.
    #[arg(long, conflicts_with = "dry_run")]
    pub verify: bool,
    /// Seconds before a network operation counts as timed out.
    #[arg(long, default_value_t = 60)]
    pub timeout_secs: u64,
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:3000.
    #[arg(long)]
    pub listen: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Serve the web app only; migrations run in other processes.
    #[arg(long, conflicts_with = "worker_only")]
    pub no_worker: bool,
    /// Run migrations only, without the web app (several processes share one PostgreSQL).
    #[arg(long)]
    pub worker_only: bool,
}

impl ServeArgs {
    /// The flags the admin gave, as configuration overrides.
    pub fn overrides(&self) -> Vec<(&'static str, String)> {
        let mut out = self.store.overrides();
        if let Some(v) = &self.listen {
            out.push(("listen", v.clone()));
        }
        out
    }
}
