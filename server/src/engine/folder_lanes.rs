//! Copies the folders of one mailbox in lanes: each lane is a pair of connections that takes
//! the next folder from a shared list, so a big mailbox keeps both servers busy. When one lane
//! fails in a way that ends the attempt, the others stop after their transaction in flight
//! (committed state makes the retry resume exactly there).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use futures::future::join_all;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use app::ErrorKind;

use super::copy_folder::{FolderFailure, FolderJob, copy_folder};
use super::halt::Halt;
use super::mailbox::{FolderNote, FolderWork, Interrupted, MailboxReport, MailboxSpec, open_pair};
use super::progress::ProgressSink;
use crate::imap::{ImapSession, provider};

/// The mailbox's progress sink, plus: stop when a sibling lane failed, and tell the lanes that
/// wait for a sign of work that a message was copied.
struct LaneSink<'a> {
    inner: &'a dyn ProgressSink,
    sibling_failed: AtomicBool,
    copying: watch::Sender<bool>,
}

impl ProgressSink for LaneSink<'_> {
    fn copied(&self, messages: u64, bytes: u64) {
        self.copying.send_replace(true);
        self.inner.copied(messages, bytes);
    }

    fn mailbox_row(&self) -> Option<i64> {
        self.inner.mailbox_row()
    }

    fn stop_requested(&self) -> bool {
        self.inner.stop_requested() || self.sibling_failed.load(Ordering::Relaxed)
    }

    fn folder_started(&self, shown: &str) {
        self.inner.folder_started(shown);
    }

    fn folder_ended(&self, shown: &str) {
        self.inner.folder_ended(shown);
    }

    fn to_copy(&self, shown: &str, messages: u64, bytes: u64) {
        self.inner.to_copy(shown, messages, bytes);
    }
}

/// What every lane of one mailbox shares: the folders, the next one to take, the sink.
struct Lanes<'a> {
    db: &'a DatabaseConnection,
    spec: &'a MailboxSpec,
    account_id: i64,
    work: &'a [FolderWork],
    next: AtomicUsize,
    sink: LaneSink<'a>,
}

/// Copies `work` in up to `spec.options.folder_lanes()` lanes; counts add up in `report`. The
/// first lane uses `src`/`dst`. The others sign in only once a message has been copied, so a
/// rerun that finds every folder unchanged costs no further sessions. The error returned is the
/// one that ended the attempt, not a sibling's stop caused by it.
pub(super) async fn copy_folders(
    db: &DatabaseConnection,
    spec: &MailboxSpec,
    account_id: i64,
    progress: &dyn ProgressSink,
    work: &[FolderWork],
    (src, dst): (&mut ImapSession, &mut ImapSession),
    report: &mut MailboxReport,
) -> Result<(), Interrupted> {
    let lanes = Lanes {
        db,
        spec,
        account_id,
        work,
        next: AtomicUsize::new(0),
        sink: LaneSink {
            inner: progress,
            sibling_failed: AtomicBool::new(false),
            copying: watch::channel(false).0,
        },
    };
    let extra = spec
        .options
        .folder_lanes()
        .min(work.len())
        .min(lanes_allowed(src, dst))
        .saturating_sub(1);
    let (first, others) = futures::join!(
        lanes.run(src, dst),
        join_all((0..extra).map(|_| lanes.run_extra()))
    );
    let mut first_error: Option<Interrupted> = None;
    for (part, result) in std::iter::once(first).chain(others) {
        report.absorb(part);
        if let Err(interrupted) = result {
            // A lane stopped by its sibling's failure reports a requested stop; the cause wins.
            let cause_known = first_error
                .as_ref()
                .is_some_and(|e| !matches!(e.halt, Halt::Requested));
            if !cause_known {
                first_error = Some(interrupted);
            }
        }
    }
    match first_error {
        Some(interrupted) => Err(interrupted),
        None => Ok(()),
    }
}

/// Lanes the providers allow: one session per lane on each side, and one session of the user's
/// limit left for their own mail client.
fn lanes_allowed(src: &ImapSession, dst: &ImapSession) -> usize {
    [src, dst]
        .into_iter()
        .filter_map(|s| provider::of_session(s).connections_per_user())
        .map(|n| n.saturating_sub(1).max(1) as usize)
        .min()
        .unwrap_or(usize::MAX)
}

impl Lanes<'_> {
    /// One lane to its end. A failure stops the siblings; either way, lanes still waiting for a
    /// sign of work are woken (none is left, or they must stop).
    async fn run(
        &self,
        src: &mut ImapSession,
        dst: &mut ImapSession,
    ) -> (MailboxReport, Result<(), Interrupted>) {
        let mut part = MailboxReport::default();
        let result = self.copy_until_done(src, dst, &mut part).await;
        if result.is_err() {
            self.sink.sibling_failed.store(true, Ordering::Relaxed);
        }
        self.sink.copying.send_replace(true);
        (part, result)
    }

    /// A further lane: waits for the first copied message, then signs in and runs, unless the
    /// work is done or stopped by then.
    async fn run_extra(&self) -> (MailboxReport, Result<(), Interrupted>) {
        let _ = self
            .sink
            .copying
            .subscribe()
            .wait_for(|started| *started)
            .await;
        if self.next.load(Ordering::Relaxed) >= self.work.len() || self.sink.stop_requested() {
            return (MailboxReport::default(), Ok(()));
        }
        // A server that refuses more sessions per user leaves the mailbox with fewer lanes.
        let (mut src, mut dst) = match open_pair(self.spec).await {
            Ok(pair) => pair,
            Err(halt) => {
                tracing::info!(mailbox = %self.spec.email, error = %halt.detail(), "no further pair of connections; copying with fewer lanes");
                return (MailboxReport::default(), Ok(()));
            }
        };
        let (part, result) = self.run(&mut src, &mut dst).await;
        if result.is_ok() {
            src.logout().await;
            dst.logout().await;
        }
        (part, result)
    }

    /// Takes folders until none is left; counts add up in `report`.
    async fn copy_until_done(
        &self,
        src: &mut ImapSession,
        dst: &mut ImapSession,
        report: &mut MailboxReport,
    ) -> Result<(), Interrupted> {
        loop {
            if self.sink.stop_requested() {
                return Err(Interrupted::requested());
            }
            let Some(folder) = self.work.get(self.next.fetch_add(1, Ordering::Relaxed)) else {
                return Ok(());
            };
            let job = FolderJob {
                db: self.db,
                account_id: self.account_id,
                source_folder: &folder.source,
                destination_folder: &folder.target,
                shown: &folder.shown,
                elsewhere: &folder.elsewhere,
                options: &self.spec.options,
                progress: &self.sink,
            };
            let shown = &folder.shown;
            self.sink.folder_started(shown);
            let (outcome, halt) = match copy_folder(job, src, dst).await {
                Ok(outcome) => (outcome, None),
                Err(FolderFailure { halt, progress }) => (progress, Some(halt)),
            };
            self.sink.folder_ended(shown);
            // What was committed counts, whether or not the folder finished.
            report.copied += outcome.copied;
            report.bytes += outcome.bytes;
            report.already_present += outcome.already_present;
            report.flags_updated += outcome.flags_updated;
            report.deleted += outcome.deleted;
            for problem in outcome.problems {
                report.add_problem(shown, problem);
            }
            for notice in outcome.notices {
                report.add_notice(shown, notice);
            }
            if let Some(detail) = &outcome.incomplete {
                report.folder_problems.push(FolderNote {
                    folder: shown.clone(),
                    kind: ErrorKind::FolderIncomplete,
                    detail: detail.clone(),
                });
            }
            let Some(halt) = halt else {
                report.folders_done += 1;
                report.messages_total += outcome.messages_total;
                report.unchanged_folders += u32::from(outcome.unchanged);
                continue;
            };
            if !halt.ends_sessions()
                && !matches!(
                    halt.kind(),
                    ErrorKind::DestinationMailboxFull | ErrorKind::Throttled
                )
            {
                // The folder itself is refused (cannot be opened): report it, go on.
                report.folder_problems.push(FolderNote {
                    folder: shown.clone(),
                    kind: ErrorKind::FolderFailed,
                    detail: halt.detail(),
                });
                continue;
            }
            return Err(Interrupted {
                halt,
                folder: Some(shown.clone()),
                reached: true,
            });
        }
    }
}
