//! One mailbox: sign in on both sides, map the folder tree, copy every folder, reconnecting
//! with back-off when a connection breaks and resuming from the committed state.

use sea_orm::DatabaseConnection;

use app::ErrorKind;

use super::classify::{Stage, classify};
use super::copy_folder::{MessageProblem, ProgressSink};
use super::folder_lanes::{FolderWork, copy_folders};
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
    /// True when an administrator stopped the batch (not an error of the mailbox).
    pub stopped: bool,
    pub kind: ErrorKind,
    pub detail: String,
    pub folder: Option<String>,
    pub report: MailboxReport,
}

pub(super) async fn open_pair(
    spec: &MailboxSpec,
) -> Result<(ImapSession, ImapSession), (Stage, ImapError)> {
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

fn suggested_backoff(error: &ImapError) -> Option<std::time::Duration> {
    match error {
        ImapError::No { text, .. } | ImapError::Bye { text, .. } => {
            response_code::suggested_backoff_ms(text).map(std::time::Duration::from_millis)
        }
        _ => None,
    }
}

/// Whether another attempt may succeed: the connection broke or timed out, or the server asked
/// to wait. A refused connection counts only once the servers were reached before (a restart);
/// refused credentials and protocol errors never heal by retrying.
fn retryable(kind: ErrorKind, error: &ImapError, reached_before: bool) -> bool {
    match error {
        ImapError::Connect { .. } => reached_before,
        ImapError::Protocol(_) | ImapError::TlsConfig(_) | ImapError::Stopped => false,
        ImapError::Timeout { .. } | ImapError::ConnectionLost(_) | ImapError::Bye { .. } => true,
        ImapError::No { .. } | ImapError::Bad { .. } => kind == ErrorKind::Throttled,
    }
}

/// An attempt that stopped: where, why, and what it had done by then.
pub(super) struct Stopped {
    pub stage: Stage,
    pub error: ImapError,
    pub folder: Option<String>,
    pub reached: bool,
}

impl Stopped {
    /// The batch was stopped (or a sibling lane failed): end between transactions.
    pub(super) fn requested() -> Stopped {
        Stopped {
            stage: Stage::DestinationWrite,
            error: ImapError::Stopped,
            folder: None,
            reached: true,
        }
    }
}

/// Runs the mailbox, reconnecting and starting over (from the committed state, so done folders
/// are skipped at once) while the failure is retryable and the retry budget lasts.
pub async fn run_mailbox(
    db: &DatabaseConnection,
    spec: &MailboxSpec,
    progress: &dyn ProgressSink,
) -> Result<MailboxReport, MailboxFailure> {
    let mut report = MailboxReport::default();
    let source_user = spec.source_credentials.mailbox_user().to_string();
    let account = match state::account(db, &spec.email, &source_user).await {
        Ok(account) => account,
        Err(e) => {
            return Err(MailboxFailure {
                stopped: false,
                kind: ErrorKind::Internal,
                detail: format!("state database: {e}"),
                folder: None,
                report,
            });
        }
    };
    let mut reached_before = false;
    // Attempts in a row that copied nothing: a link that breaks every few minutes but moves
    // the mailbox forward each time never spends the budget.
    let mut attempt = 0;
    loop {
        let copied_before = report.copied + report.already_present;
        match attempt_mailbox(db, spec, account.id, progress, &mut report).await {
            Ok(()) => return Ok(report),
            Err(stopped) => {
                reached_before |= stopped.reached;
                if report.copied + report.already_present > copied_before {
                    attempt = 0;
                }
                let kind = classify(stopped.stage, &stopped.error);
                if !retryable(kind, &stopped.error, reached_before) || attempt >= spec.retry.retries
                {
                    let kind = if retryable(kind, &stopped.error, reached_before)
                        && kind != ErrorKind::Throttled
                        && reached_before
                    {
                        ErrorKind::ConnectionLost
                    } else {
                        kind
                    };
                    return Err(MailboxFailure {
                        stopped: matches!(stopped.error, ImapError::Stopped),
                        kind,
                        detail: stopped.error.to_string(),
                        folder: stopped.folder,
                        report,
                    });
                }
                attempt += 1;
                let pause = spec.retry.delay(attempt, suggested_backoff(&stopped.error));
                tracing::warn!(mailbox = %spec.email, folder = ?stopped.folder, attempt, ?pause, error = %stopped.error, "interrupted; reconnecting");
                tokio::time::sleep(pause).await;
            }
        }
    }
}

/// One pass: sign in, map the folder tree, copy every folder. Counts add up in `report`.
async fn attempt_mailbox(
    db: &DatabaseConnection,
    spec: &MailboxSpec,
    account_id: i32,
    progress: &dyn ProgressSink,
    report: &mut MailboxReport,
) -> Result<(), Stopped> {
    fn stop(
        stage: Stage,
        folder: Option<&str>,
        reached: bool,
    ) -> impl FnOnce(ImapError) -> Stopped + use<> {
        let folder = folder.map(String::from);
        move |error| Stopped {
            stage,
            error,
            folder,
            reached,
        }
    }
    let (mut src, mut dst) = open_pair(spec).await.map_err(|(stage, error)| Stopped {
        stage,
        error,
        folder: None,
        reached: false,
    })?;
    let source_folders =
        folders::list(&mut src)
            .await
            .map_err(stop(Stage::SourceRead, None, true))?;
    let destination_folders =
        folders::list(&mut dst)
            .await
            .map_err(stop(Stage::DestinationWrite, None, true))?;
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
    // A new pass recounts folders; messages copied by an earlier pass stay counted.
    report.folders_done = 0;
    report.messages_total = 0;
    report.unchanged_folders = 0;
    report.folder_problems.clear();

    // Destination folders are created first, in tree order on one session, so that lanes
    // never race to create the same parent.
    let mut work = Vec::with_capacity(plan.len());
    for (entry, target) in plan {
        if progress.stop_requested() {
            return Err(Stopped::requested());
        }
        let shown = utf7::decode(&entry.name).unwrap_or_else(|_| entry.name.clone());
        if !existing.contains(&target)
            && let Err(e) = folders::create(&mut dst, &target).await
        {
            if e.is_fatal_to_session() {
                return Err(stop(Stage::DestinationWrite, Some(&shown), true)(e));
            }
            report.folder_problems.push((shown, e.to_string()));
            continue;
        }
        work.push(FolderWork {
            source: entry.name,
            target,
            shown,
        });
    }

    copy_folders(
        db,
        spec,
        account_id,
        progress,
        &work,
        (&mut src, &mut dst),
        report,
    )
    .await?;
    src.logout().await;
    dst.logout().await;
    Ok(())
}
