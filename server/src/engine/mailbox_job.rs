//! One mailbox: sign in on both sides, map the folder tree, copy every folder, reconnecting
//! with back-off when a connection breaks and resuming from the committed state.

use sea_orm::DatabaseConnection;

use super::classify::Stage;
use super::folder_lanes::copy_folders;
use super::folder_plan::{PlannedFolder, Sides, plan};
use super::halt::{Decision, Halt, decide};
use super::identity;
use app::ErrorKind;

use super::mailbox::{
    FolderNote, FolderWork, Interrupted, MailboxFailure, MailboxReport, MailboxSpec, open_pair,
};
use super::progress::ProgressSink;
use super::state;
use std::collections::HashSet;

use crate::imap::reply::ListEntry;
use crate::imap::{ImapError, ImapSession, folders, namespace, provider, utf7};

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
        Err(e) => return Err(failure(Halt::Storage(e), None, report)),
    };
    let mut reached_before = false;
    // Attempts in a row that copied nothing: a link that breaks every few minutes but moves
    // the mailbox forward each time never spends the budget.
    let mut attempt = 0;
    loop {
        let copied_before = report.copied + report.already_present;
        let Err(interrupted) = attempt_mailbox(db, spec, account.id, progress, &mut report).await
        else {
            return complete_or_failed(report);
        };
        reached_before |= interrupted.reached;
        if report.copied + report.already_present > copied_before {
            attempt = 0;
        }
        let budget_left = attempt < spec.retry.retries;
        match decide(&interrupted.halt, reached_before, budget_left) {
            Decision::Retry => {}
            Decision::Stop => {
                let mut stopped = failure(Halt::Requested, interrupted.folder, report);
                stopped.stopped = true;
                return Err(stopped);
            }
            Decision::GiveUp(kind) => {
                let mut failed = failure(interrupted.halt, interrupted.folder, report);
                failed.kind = kind;
                return Err(failed);
            }
        }
        attempt += 1;
        let pause = spec
            .retry
            .delay(attempt, interrupted.halt.suggested_backoff());
        tracing::warn!(mailbox = %spec.email, folder = ?interrupted.folder, attempt, ?pause, error = %interrupted.halt.detail(), "interrupted; reconnecting");
        tokio::time::sleep(pause).await;
    }
}

/// A pass that went through still fails the mailbox when folders are missing or incomplete on
/// the destination: it is never reported synced with mail left behind.
#[allow(clippy::result_large_err)] // once per mailbox: not worth a box
fn complete_or_failed(report: MailboxReport) -> Result<MailboxReport, MailboxFailure> {
    let missing: Vec<&FolderNote> = report.missing_folders().collect();
    let Some(first) = missing.first() else {
        return Ok(report);
    };
    let kind = if missing.iter().any(|n| n.kind == ErrorKind::FolderFailed) {
        ErrorKind::FolderFailed
    } else {
        ErrorKind::FolderIncomplete
    };
    let detail = format!(
        "{} of {} folders not copied completely; {}: {}",
        missing.len(),
        report.folders_total,
        first.folder,
        first.detail
    );
    let folder = Some(first.folder.clone());
    Err(MailboxFailure {
        stopped: false,
        kind,
        detail,
        folder,
        report,
    })
}

fn failure(halt: Halt, folder: Option<String>, report: MailboxReport) -> MailboxFailure {
    MailboxFailure {
        stopped: matches!(halt, Halt::Requested),
        kind: halt.kind(),
        detail: halt.detail(),
        folder,
        report,
    }
}

/// Wraps a halt of an attempt that had signed in.
fn signed_in(folder: Option<&str>) -> impl FnOnce(Halt) -> Interrupted + use<> {
    let folder = folder.map(String::from);
    move |halt| Interrupted {
        halt,
        folder,
        reached: true,
    }
}

/// One pass: sign in, map the folder tree, create what is missing, copy every folder. Counts
/// add up in `report`.
async fn attempt_mailbox(
    db: &DatabaseConnection,
    spec: &MailboxSpec,
    account_id: i64,
    progress: &dyn ProgressSink,
    report: &mut MailboxReport,
) -> Result<(), Interrupted> {
    let (mut src, mut dst) = open_pair(spec).await.map_err(|halt| Interrupted {
        halt,
        folder: None,
        reached: false,
    })?;
    let (planned, gone) = survey(db, spec, account_id, (&mut src, &mut dst))
        .await
        .map_err(signed_in(None))?;
    report.folders_total = planned.len() as u32;
    // A new pass recounts folders; messages copied by an earlier pass stay counted.
    report.folders_done = 0;
    report.messages_total = 0;
    report.unchanged_folders = 0;
    report.folder_problems = gone;
    for folder in planned.iter().filter(|f| f.renamed.is_some()) {
        report.folder_problems.push(FolderNote {
            folder: folder.shown.clone(),
            kind: ErrorKind::FolderRenamed,
            detail: folder.renamed.clone().unwrap_or_default(),
        });
    }
    let work = create_missing(&mut dst, planned, progress, report).await?;
    // `\All` folders last: they leave out what the others hold.
    let (all_mail, others): (Vec<FolderWork>, Vec<FolderWork>) =
        work.into_iter().partition(|w| !w.elsewhere.is_empty());
    for work in [others, all_mail] {
        if work.is_empty() {
            continue;
        }
        let sessions = (&mut src, &mut dst);
        copy_folders(db, spec, account_id, progress, &work, sessions, report).await?;
    }
    src.logout().await;
    dst.logout().await;
    Ok(())
}

/// Both folder trees and namespaces, the proof that admin sessions are the user's, the plan of
/// what goes where, and the folders an earlier pass copied that the source no longer has.
pub(crate) async fn survey(
    db: &DatabaseConnection,
    spec: &MailboxSpec,
    account_id: i64,
    (src, dst): (&mut ImapSession, &mut ImapSession),
) -> Result<(Vec<PlannedFolder>, Vec<FolderNote>), Halt> {
    let source_folders = folders::list(src)
        .await
        .map_err(Halt::at(Stage::SourceRead))?;
    let gone = gone_from_source(db, account_id, &source_folders).await?;
    let source_namespaces = namespace::namespaces(src, &source_folders)
        .await
        .map_err(Halt::at(Stage::SourceRead))?;
    let prefix = source_namespaces.personal_prefix();
    if let Some(recorded) = state::source_prefix_changed(db, account_id, prefix).await? {
        return Err(Halt::Refused {
            kind: ErrorKind::NamespaceChanged,
            error: ImapError::Protocol(format!(
                "NAMESPACE: the source's folders are now under {prefix:?}, at the first pass \
                 they were under {recorded:?}"
            )),
        });
    }
    if let Some(user) = spec.source_credentials.acts_for() {
        identity::prove(src, &source_namespaces, user, Stage::SourceSignIn).await?;
    }
    let destination_folders = folders::list(dst)
        .await
        .map_err(Halt::at(Stage::DestinationWrite))?;
    let destination_namespaces = namespace::namespaces(dst, &destination_folders)
        .await
        .map_err(Halt::at(Stage::DestinationWrite))?;
    if let Some(user) = spec.destination_credentials.acts_for() {
        identity::prove(dst, &destination_namespaces, user, Stage::DestinationSignIn).await?;
    }
    let sides = Sides {
        source_folders,
        source_namespaces: &source_namespaces,
        destination_folders: &destination_folders,
        destination_namespaces: &destination_namespaces,
        source_skipped: provider::of_session(src).skipped_folders(),
    };
    Ok((plan(sides, spec.user_root.clone(), &spec.options), gone))
}

/// Folders an earlier pass copied that the source no longer lists (deleted or renamed there):
/// reported, and their destination copies left as they are.
async fn gone_from_source(
    db: &DatabaseConnection,
    account_id: i64,
    listed: &[ListEntry],
) -> Result<Vec<FolderNote>, Halt> {
    let listed: HashSet<&str> = listed.iter().map(|f| f.name.as_str()).collect();
    let decoded = |name: &str| utf7::decode(name).unwrap_or_else(|_| name.to_string());
    Ok(state::folders_of(db, account_id)
        .await?
        .into_iter()
        .filter(|(source, _)| !listed.contains(source.as_str()))
        .map(|(source, target)| FolderNote {
            folder: decoded(&source),
            kind: ErrorKind::FolderGoneFromSource,
            detail: format!(
                "no longer on the source; its copy on the destination, {}, was left as it is",
                decoded(&target)
            ),
        })
        .collect())
}

/// Creates the destination folders that are missing, in tree order on one session, so that
/// lanes never race to create the same parent. A folder the server refuses is reported and
/// left out.
async fn create_missing(
    dst: &mut ImapSession,
    planned: Vec<PlannedFolder>,
    progress: &dyn ProgressSink,
    report: &mut MailboxReport,
) -> Result<Vec<FolderWork>, Interrupted> {
    // The folders an `\All` folder leaves out: every other one planned, created or not (a
    // folder refused now is copied by a later pass, so its mail is not archived meanwhile).
    let elsewhere: Vec<String> = planned
        .iter()
        .filter(|f| !f.all_mail)
        .map(|f| f.source.clone())
        .collect();
    let mut work = Vec::with_capacity(planned.len());
    for folder in planned {
        if progress.stop_requested() {
            return Err(Interrupted::requested());
        }
        if folder.create
            && let Err(e) = folders::create(dst, &folder.target).await
        {
            if e.is_fatal_to_session() {
                return Err(signed_in(Some(&folder.shown))(Halt::Imap {
                    stage: Stage::DestinationWrite,
                    error: e,
                }));
            }
            report.folder_problems.push(FolderNote {
                folder: folder.shown,
                kind: ErrorKind::FolderFailed,
                detail: e.to_string(),
            });
            continue;
        }
        work.push(FolderWork {
            elsewhere: if folder.all_mail {
                elsewhere.clone()
            } else {
                Vec::new()
            },
            source: folder.source,
            target: folder.target,
            shown: folder.shown,
        });
    }
    Ok(work)
}
