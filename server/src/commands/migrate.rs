//! `mailferry migrate`: a batch from a CSV file, run in this process, reported on the terminal.
//! Exit codes: 0 every row succeeded, 2 some rows failed, 1 usage or configuration error.

use std::path::Path;
use std::time::Duration;

use app::model::endpoint::{AuthMechanism, Impersonation, Security};

use super::output;
use crate::batches::create_batch::{NewBatch, Schedule, create_batch, unfinished_of_origin};
use crate::batches::run_batch::{RunSettings, run_batch};
use crate::cli::MigrateArgs;
use crate::config::Config;
use crate::endpoints::{EndpointRole, EndpointSettings, store};
use crate::engine::options::BatchOptions;
use crate::engine::retry::RetryPolicy;
use crate::report::export;
use crate::secrets::Secret;
use app::ids::BatchId;
use app::model::report::ErrorFilter;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{0}")]
    Usage(String),
    #[error("the CSV file has problems:\n{0}")]
    Csv(String),
    #[error(transparent)]
    Runtime(#[from] crate::runtime::RuntimeError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Endpoint(#[from] crate::endpoints::store::EndpointStoreError),
    #[error(transparent)]
    CreateBatch(#[from] crate::batches::create_batch::CreateBatchError),
    #[error(transparent)]
    RunBatch(#[from] crate::batches::run_batch::RunBatchError),
    #[error(transparent)]
    Preflight(#[from] crate::batches::preflight::PreflightError),
    #[error(transparent)]
    Action(#[from] crate::batches::actions::ActionError),
    #[error("writing {path}: {detail}")]
    Write { path: String, detail: String },
}

/// `imap://host:port` (or `imaps://`, or plain `host:port`) into host and port.
pub fn parse_server(text: &str) -> Result<(String, u16), MigrateError> {
    let rest = text
        .strip_prefix("imap://")
        .or_else(|| text.strip_prefix("imaps://"))
        .unwrap_or(text);
    let rest = rest.trim_end_matches('/');
    let bad = || MigrateError::Usage(format!("{text:?} is not a server like imap://HOST:PORT"));
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_string(), port.parse().map_err(|_| bad())?))
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, MigrateError> {
    std::fs::read(path)
        .map_err(|e| MigrateError::Usage(format!("cannot read the {what} {}: {e}", path.display())))
}

fn endpoint(
    args: &MigrateArgs,
    role: EndpointRole,
    ca_pem: Option<String>,
) -> Result<EndpointSettings, MigrateError> {
    let (server, security) = match role {
        EndpointRole::Source => (&args.source, &args.source_security),
        EndpointRole::Destination => (&args.destination, &args.destination_security),
    };
    let (host, port) = parse_server(server)?;
    let security = Security::parse(security).ok_or_else(|| {
        MigrateError::Usage(format!("security {security:?}: use tls, starttls or none"))
    })?;
    let impersonation = Impersonation::parse(&args.impersonation).ok_or_else(|| {
        MigrateError::Usage("--impersonation: use sasl-plain or master-separator".into())
    })?;
    let signs_in = &args.source_sign_in;
    let (admin_user, admin_password) = match (role, &signs_in.source_admin_password_file) {
        (EndpointRole::Source, None) => (None, Secret::default()),
        (EndpointRole::Source, Some(file)) => (
            signs_in.source_admin.clone(),
            secret_file(file, "source admin password file")?,
        ),
        (EndpointRole::Destination, _) => (
            Some(args.destination_admin.clone()),
            secret_file(&args.destination_admin_password_file, "admin password file")?,
        ),
    };
    let oauth = match role {
        EndpointRole::Source => super::source_oauth::token_source(signs_in)?,
        EndpointRole::Destination => None,
    };
    let auth_mechanism = match role {
        EndpointRole::Source => AuthMechanism::parse(&args.source_auth).ok_or_else(|| {
            MigrateError::Usage("--source-auth: use login, plain or xoauth2".into())
        })?,
        EndpointRole::Destination => AuthMechanism::Login,
    };
    Ok(EndpointSettings {
        name: format!("cli-{}-{host}:{port}", role.as_str()),
        auth_mechanism,
        role,
        host,
        port,
        security,
        impersonation,
        admin_user,
        admin_password,
        tls_ca_pem: ca_pem,
        insecure_skip_verify: args.insecure_skip_tls_verify,
        max_concurrent: args.concurrency.max(1) as u32,
        timeout: Duration::from_secs(args.timeout_secs.max(1)),
        oauth,
    })
}

/// A secret kept in a file (a password, a key), without its final line break.
pub(super) fn secret_file(path: &Path, what: &str) -> Result<Secret, MigrateError> {
    let text = String::from_utf8(read(path, what)?)
        .map_err(|_| MigrateError::Usage(format!("the {what} is not UTF-8")))?;
    Ok(Secret(text.trim_end_matches(['\r', '\n']).to_string()))
}

/// The batch options the command's flags give.
fn options_of(args: &MigrateArgs) -> BatchOptions {
    BatchOptions {
        include_folders: args.include_folders.clone(),
        exclude_folders: args.exclude_folders.clone(),
        since: args.since,
        before: args.before,
        max_message_bytes: args.max_message_size,
        sync_again: args.sync_again,
        keep_deleted: args.keep_deleted,
        verify_after_pass: args.verify,
        concurrency: args.concurrency as u32,
        folders_at_once: args.folders_at_once.max(1),
        incremental_sync_secs: args.incremental_interval.map_or(0, |d| d.as_secs()),
    }
}

/// The delta interval, checked against the configured minimum.
fn check_interval(args: &MigrateArgs, config: &Config) -> Result<(), MigrateError> {
    match args.incremental_interval {
        Some(d) if d.as_secs() < config.min_incremental_sync_secs => {
            Err(MigrateError::Usage(format!(
                "--incremental-interval: at least {} s (min_incremental_sync_secs)",
                config.min_incremental_sync_secs
            )))
        }
        _ => Ok(()),
    }
}

/// Whether this command's first pass is also the final one.
fn one_shot(args: &MigrateArgs) -> bool {
    args.complete || args.incremental_interval.is_none()
}

/// Identifies the command: the CSV's bytes, both servers and the options. The same command run
/// again continues the batch it made if that batch was interrupted.
fn origin_of(
    csv: &[u8],
    source: &EndpointSettings,
    destination: &EndpointSettings,
    options: &BatchOptions,
) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(csv);
    for side in [source, destination] {
        hash.update(format!(
            "\0{}\0{}\0{}\0{}\0{:?}",
            side.host,
            side.port,
            side.security.as_str(),
            side.admin_user.as_deref().unwrap_or(""),
            side.impersonation
        ));
    }
    // The delta interval is not part of what is copied: a command with another interval (or with
    // --complete) goes on with the same batch.
    let copied = BatchOptions {
        incremental_sync_secs: 0,
        ..options.clone()
    };
    hash.update(serde_json::to_vec(&copied).unwrap_or_default());
    hex::encode(hash.finalize())
}

/// The batch this command runs: the one it made before and did not finish, or a new one.
async fn prepare_batch(
    runtime: &crate::runtime::Runtime,
    args: &MigrateArgs,
    csv: &[u8],
    rows: &[crate::csv_import::CsvRow],
    (source, destination): (&EndpointSettings, &EndpointSettings),
) -> Result<i64, MigrateError> {
    let (db, cipher) = (&runtime.db, &runtime.cipher);
    let options = options_of(args);
    let origin = origin_of(csv, source, destination, &options);
    if let Some(unfinished) = unfinished_of_origin(db, &origin).await? {
        let how = match unfinished.state.is_synced() {
            true => format!("{}, going on with its delta syncs", unfinished.state),
            false => "continuing where this command was interrupted".into(),
        };
        println!("batch {}: {how} ({} mailboxes)", unfinished.id, rows.len());
        if one_shot(args) && unfinished.state.is_synced() {
            println!("batch {}: its final pass (complete)", unfinished.id);
            crate::batches::lifecycle::complete(db, unfinished.id).await?;
        }
        return Ok(unfinished.id);
    }
    let source_id = store::save(db, cipher, source).await?;
    let destination_id = store::save(db, cipher, destination).await?;
    let name = format!(
        "{} ({})",
        args.csv
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M")
    );
    let batch_id = create_batch(
        db,
        cipher,
        NewBatch {
            name,
            source_endpoint_id: source_id,
            destination_endpoint_id: destination_id,
            options: &options,
            notify_emails: args.notify.clone(),
            rows,
            origin: Some(origin),
            schedule: Schedule {
                complete_at_once: one_shot(args),
                ..Schedule::default()
            },
        },
    )
    .await?;
    println!("batch {batch_id}: {} mailboxes", rows.len());
    Ok(batch_id)
}

fn read_csv(args: &MigrateArgs) -> Result<(Vec<u8>, Vec<crate::csv_import::CsvRow>), MigrateError> {
    let bytes = read(&args.csv, "CSV file")?;
    let signs_in = &args.source_sign_in;
    // A source that signs users in by itself needs no passwords.
    let passwords = if signs_in.source_oauth.is_some() || signs_in.source_admin.is_some() {
        crate::csv_import::Passwords::Optional
    } else {
        crate::csv_import::Passwords::Required
    };
    let rows = crate::csv_import::parse_csv_with(&bytes, passwords).map_err(|problems| {
        MigrateError::Csv(
            problems
                .iter()
                .map(|p| format!("  {p}"))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    Ok((bytes, rows))
}

fn read_ca(args: &MigrateArgs) -> Result<Option<String>, MigrateError> {
    let Some(path) = &args.tls_ca_file else {
        return Ok(None);
    };
    String::from_utf8(read(path, "CA file")?)
        .map(Some)
        .map_err(|_| MigrateError::Usage("the CA file is not PEM text".into()))
}

/// Runs the command; the `Ok` value is the process exit code.
pub async fn run(args: MigrateArgs, config: Config) -> Result<u8, MigrateError> {
    let (csv, rows) = read_csv(&args)?;
    let ca_pem = read_ca(&args)?;
    check_interval(&args, &config)?;
    let source = endpoint(&args, EndpointRole::Source, ca_pem.clone())?;
    let destination = endpoint(&args, EndpointRole::Destination, ca_pem)?;
    let runtime = crate::runtime::open_for_work(config).await?;
    let batch_id = prepare_batch(&runtime, &args, &csv, &rows, (&source, &destination)).await?;
    let (db, cipher) = (&runtime.db, &runtime.cipher);
    if args.dry_run {
        let report = crate::batches::preflight::preflight(db, cipher, batch_id).await?;
        output::print_preflight(&report);
        return Ok(if report.iter().any(|r| r.problem.is_some()) {
            2
        } else {
            0
        });
    }
    let settings = RunSettings {
        retry: RetryPolicy::default(),
        lease: runtime.config.lease(),
        imap_timeout: Duration::from_secs(args.timeout_secs.max(1)),
        cluster_max: runtime.config.cluster_max(),
        wait_for_held: true,
        ..RunSettings::with_concurrency(args.concurrency.max(1))
    };
    let mut outcome =
        run_batch(db, cipher, batch_id, settings.clone(), output::print_event).await?;
    output::print_outcome(batch_id, &outcome);
    if !one_shot(&args) {
        // The first pass's report (Synced), then the deltas; the completion report at the end.
        notify(&runtime, &args, batch_id).await;
        outcome = super::staged::keep_in_sync(db, cipher, batch_id, &settings, outcome).await?;
    }
    if let Some(path) = &args.errors_csv {
        write_errors_csv(db, batch_id, path).await?;
        println!("errors written to {}", path.display());
    }
    notify(&runtime, &args, batch_id).await;
    let mut code = output::exit_code(&outcome);
    if args.verify {
        let (whole, not_whole) = output::print_verifications(db, batch_id).await?;
        println!("verified: {whole} mailboxes whole, {not_whole} not");
        if not_whole > 0 {
            code = code.max(2);
        }
    }
    Ok(code)
}

/// Sends the status e-mail of the batch's stage, once (the first pass's when Synced, the
/// completion's when Completed), when the command was given recipients.
async fn notify(runtime: &crate::runtime::Runtime, args: &MigrateArgs, batch_id: i64) {
    if args.notify.is_empty() {
        return;
    }
    let (db, cipher, smtp) = (&runtime.db, &runtime.cipher, &runtime.config.smtp);
    let stale = crate::mail::status_email::stale_after(runtime.config.lease());
    let sent =
        crate::mail::status_email::send_once_with_settings(db, cipher, smtp, batch_id, stale);
    match sent.await {
        Ok(true) => println!("status e-mail sent to {}", args.notify.join(", ")),
        Ok(false) => {}
        Err(e) => println!("the status e-mail could not be sent: {e}"),
    }
}

async fn write_errors_csv(
    db: &sea_orm::DatabaseConnection,
    batch_id: i64,
    path: &Path,
) -> Result<(), MigrateError> {
    let write_err = |e: &dyn std::fmt::Display| MigrateError::Write {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    let file = std::fs::File::create(path).map_err(|e| write_err(&e))?;
    let filter = ErrorFilter {
        batch: Some(BatchId(batch_id)),
        ..ErrorFilter::default()
    };
    let out = export::write_errors_csv(db, &filter, std::io::BufWriter::new(file))
        .await
        .map_err(|e| write_err(&e))?;
    out.into_inner()
        .map_err(|e| write_err(&e.error().to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses() {
        assert_eq!(
            parse_server("imap://127.0.0.1:1143").unwrap(),
            ("127.0.0.1".into(), 1143)
        );
        assert_eq!(
            parse_server("imaps://mail.example.com:993/").unwrap(),
            ("mail.example.com".into(), 993)
        );
        assert_eq!(parse_server("[::1]:143").unwrap(), ("::1".into(), 143));
        assert!(parse_server("imap://host").is_err());
        assert!(parse_server("imap://:143").is_err());
    }
}
