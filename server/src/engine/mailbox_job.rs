//! One mailbox: sign in on both sides, map the folder tree, copy every folder, reconnecting
//! with back-off when a connection breaks and resuming from the committed state.

use sea_orm::DatabaseConnection;

use app::ErrorKind;

use super::classify::{Stage, classify};
use super::copy_folder::{FolderFailure, FolderJob, MessageProblem, ProgressSink, copy_folder};
use super::options::BatchOptions;
use super::retry::RetryPolicy;
use super::state;
use crate::imap::connect::{Credentials, ServerAddress, connect, sign_in};
use crate::imap::folders::{FolderMapper, is_selectable, special_use};
use crate::imap::reply::ListEntry;
use crate::imap::{ImapError, ImapSession, folders, response_code, utf7};

/// Everything needed to migrate one mailbox.
#[derive(Clone, Debug)]
pub struct MailboxSpec {
    /// The destination mailbox (Exchange's EmailAddress).
    pub email: String,
    pub source: ServerAddress,
    pub source_credentials: Credentials,
    pub destination: ServerAddress,
    pub destination_credentials: Credentials,
    pub user_root: Option<String>,
    pub options: BatchOptions,
    pub retry: RetryPolicy,
}

#[derive(Debug, Default)]
pub struct MailboxReport {
    pub folders_total: u32,
    pub folders_done: u32,
    pub messages_total: u64,
    pub copied: u64,
    pub bytes: u64,
    pub already_present: u64,
    pub unchanged_folders: u32,
    /// Message-level problems with the (decoded) folder they belong to.
    pub problems: Vec<(String, MessageProblem)>,
    pub folder_problems: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct MailboxFailure {
    pub kind: ErrorKind,
    pub detail: String,
    pub folder: Option<String>,
    pub report: MailboxReport,
}

fn fail(
    stage: Stage,
    error: ImapError,
    report: MailboxReport,
    folder: Option<String>,
) -> MailboxFailure {
    MailboxFailure {
        kind: classify(stage, &error),
        detail: error.to_string(),
        folder,
        report,
    }
}

async fn open_pair(spec: &MailboxSpec) -> Result<(ImapSession, ImapSession), (Stage, ImapError)> {
    let mut src = connect(&spec.source, "source")
        .await
        .map_err(|e| (Stage::SourceConnect, e))?;
    sign_in(&mut src, &spec.source_credentials)
        .await
        .map_err(|e| (Stage::SourceSignIn, e))?;
    let mut dst = connect(&spec.destination, "destination")
        .await
        .map_err(|e| (Stage::DestinationConnect, e))?;
    sign_in(&mut dst, &spec.destination_credentials)
        .await
        .map_err(|e| (Stage::DestinationSignIn, e))?;
    Ok((src, dst))
}

fn retryable(kind: ErrorKind, error: &ImapError) -> bool {
    error.is_fatal_to_session()
        && !matches!(error, ImapError::Connect { .. } | ImapError::Protocol(_))
        || kind == ErrorKind::Throttled
}

pub async fn run_mailbox(
    db: &DatabaseConnection,
    spec: &MailboxSpec,
    progress: &dyn ProgressSink,
) -> Result<MailboxReport, MailboxFailure> {
    let mut report = MailboxReport::default();
    let source_user = spec.source_credentials.mailbox_user().to_string();
    let account = state::account(db, &spec.email, &source_user)
        .await
        .map_err(|e| MailboxFailure {
            kind: ErrorKind::Internal,
            detail: format!("state database: {e}"),
            folder: None,
            report: MailboxReport::default(),
        })?;

    let (mut src, mut dst) = match open_pair(spec).await {
        Ok(pair) => pair,
        Err((stage, error)) => return Err(fail(stage, error, report, None)),
    };
    let source_folders = match folders::list(&mut src).await {
        Ok(list) => list,
        Err(e) => return Err(fail(Stage::SourceRead, e, report, None)),
    };
    let destination_folders = match folders::list(&mut dst).await {
        Ok(list) => list,
        Err(e) => return Err(fail(Stage::DestinationWrite, e, report, None)),
    };
    let mapper = FolderMapper {
        source_delimiter: source_folders.iter().find_map(|f| f.delimiter.clone()),
        destination_delimiter: destination_folders.iter().find_map(|f| f.delimiter.clone()),
        user_root: spec.user_root.clone(),
        destination_special: destination_folders
            .iter()
            .filter(|f| {
                f.attributes.iter().any(|a| {
                    a.starts_with('\\')
                        && !a.eq_ignore_ascii_case("\\HasChildren")
                        && !a.eq_ignore_ascii_case("\\HasNoChildren")
                })
            })
            .filter_map(|f| special_use(f).map(|u| (u, f.name.clone())))
            .collect(),
    };
    let existing: std::collections::HashSet<String> =
        destination_folders.iter().map(|f| f.name.clone()).collect();
    let delimiter = mapper
        .source_delimiter
        .as_deref()
        .and_then(|d| d.chars().next())
        .unwrap_or('/');

    let plan: Vec<(ListEntry, String)> = source_folders
        .into_iter()
        .filter(is_selectable)
        .filter(|f| {
            spec.options.wants_folder(
                &utf7::decode(&f.name).unwrap_or_else(|_| f.name.clone()),
                delimiter,
            )
        })
        .filter_map(|f| mapper.map(&f).map(|target| (f, target)))
        .collect();
    report.folders_total = plan.len() as u32;

    for (entry, target) in &plan {
        let shown = utf7::decode(&entry.name).unwrap_or_else(|_| entry.name.clone());
        if !existing.contains(target)
            && let Err(e) = folders::create(&mut dst, target).await
        {
            if e.is_fatal_to_session() {
                return Err(fail(Stage::DestinationWrite, e, report, Some(shown)));
            }
            report.folder_problems.push((shown, e.to_string()));
            continue;
        }
        let mut attempt = 0;
        loop {
            let job = FolderJob {
                db,
                account_id: account.id,
                source_folder: &entry.name,
                destination_folder: target,
                options: &spec.options,
                progress,
            };
            match copy_folder(job, &mut src, &mut dst).await {
                Ok(outcome) => {
                    report.folders_done += 1;
                    report.messages_total += outcome.messages_total;
                    report.copied += outcome.copied;
                    report.bytes += outcome.bytes;
                    report.already_present += outcome.already_present;
                    report.unchanged_folders += u32::from(outcome.unchanged);
                    report
                        .problems
                        .extend(outcome.problems.into_iter().map(|p| (shown.clone(), p)));
                    break;
                }
                Err(FolderFailure { stage, error }) => {
                    let kind = classify(stage, &error);
                    if !error.is_fatal_to_session()
                        && !matches!(
                            kind,
                            ErrorKind::DestinationMailboxFull | ErrorKind::Throttled
                        )
                    {
                        // The folder itself is refused (cannot be opened): report it, go on.
                        report
                            .folder_problems
                            .push((shown.clone(), error.to_string()));
                        break;
                    }
                    if !retryable(kind, &error) || attempt >= spec.retry.retries {
                        let kind = if retryable(kind, &error) && kind != ErrorKind::Throttled {
                            ErrorKind::ConnectionLost
                        } else {
                            kind
                        };
                        return Err(MailboxFailure {
                            kind,
                            detail: error.to_string(),
                            folder: Some(shown),
                            report,
                        });
                    }
                    attempt += 1;
                    let suggested = match &error {
                        ImapError::No { text, .. } | ImapError::Bye { text, .. } => {
                            response_code::suggested_backoff_ms(text)
                                .map(std::time::Duration::from_millis)
                        }
                        _ => None,
                    };
                    let pause = spec.retry.delay(attempt, suggested);
                    tracing::warn!(mailbox = %spec.email, folder = %shown, attempt, ?pause, %error, "connection problem; reconnecting");
                    tokio::time::sleep(pause).await;
                    match open_pair(spec).await {
                        Ok((s, d)) => {
                            src = s;
                            dst = d;
                        }
                        Err((stage, error)) if attempt >= spec.retry.retries => {
                            return Err(fail(stage, error, report, Some(shown)));
                        }
                        Err(_) => continue,
                    }
                }
            }
        }
    }
    src.logout().await;
    dst.logout().await;
    Ok(report)
}
