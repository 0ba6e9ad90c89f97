//! Copies one folder: what the state says is new, fetched and appended in a pipeline (a bounded
//! channel between the source and the destination session), committed per transaction.

use tokio::sync::mpsc;

use app::ErrorKind;

use super::all_mail::{keys_elsewhere, leave_out_elsewhere};
use super::append_step::Appender;
use super::classify::Stage;
use super::dedup::{DedupKey, present_in_destination};
use super::delta::{SourceNow, carry_changes};
pub(crate) use super::folder_job::{FolderFailure, FolderJob, FolderOutcome};
use super::halt::Halt;
use super::mailbox::MessageProblem;
use super::memory_budget::{MemoryBudget, Reservation};
use super::message_map::Copied;
use super::options::{BatchOptions, in_date_range};
use super::state::{self, FolderState};
use super::transactions::plan_transactions;
use crate::imap::ImapSession;
use crate::imap::append::AppendCapabilities;
use crate::imap::fetch::{
    FetchedBody, FolderStatus, META_WINDOW, MessageIds, MessageMeta, fetch_bodies,
    fetch_changed_since, fetch_changes_qresync, fetch_meta, open_folder,
};
use crate::imap::uid_set::UidSet;

/// Fetched transactions waiting for the destination. Memory is bounded by the process's
/// [`MemoryBudget`], which every fetched transaction holds until it is appended.
const PIPELINE_DEPTH: usize = 2;

pub async fn copy_folder(
    job: FolderJob<'_>,
    src: &mut ImapSession,
    dst: &mut ImapSession,
) -> Result<FolderOutcome, FolderFailure> {
    let mut outcome = FolderOutcome::default();
    match copy_into(&job, src, dst, &mut outcome).await {
        Ok(()) => Ok(outcome),
        Err(halt) => Err(FolderFailure {
            halt,
            progress: outcome,
        }),
    }
}

/// The folder's state against the source's: where to go on from, and what may be unsure.
struct Resumed {
    folder: FolderState,
    /// A new UIDVALIDITY (or the first pass): the destination may hold copies we cannot vouch for.
    fresh: bool,
    /// UIDs whose APPEND a crash may have cut before its commit.
    journal: UidSet,
    /// When the newest of them was journaled.
    journaled_at: Option<chrono::DateTime<chrono::Utc>>,
}

async fn copy_into(
    job: &FolderJob<'_>,
    src: &mut ImapSession,
    dst: &mut ImapSession,
    outcome: &mut FolderOutcome,
) -> Result<(), Halt> {
    let mut status = open_folder(src, job.source_folder, true)
        .await
        .map_err(Halt::at(Stage::SourceRead))?;
    outcome.messages_total = status.exists.into();
    let mut resumed = resume(job, &status).await?;
    if !resumed.fresh
        && resumed.journal.is_empty()
        && resumed.folder.uidnext == status.uidnext
        && resumed.folder.exists == status.exists
    {
        return flags_only(job, (src, dst), &status, &mut resumed.folder, outcome).await;
    }
    if let Some(since) = quick_resync_from(job, src, &status, &resumed) {
        return quick_resync(job, (src, dst), &status, &mut resumed, since, outcome).await;
    }
    // An `\All` folder: what the other folders hold, then this folder again.
    let elsewhere = if job.elsewhere.is_empty() {
        None
    } else {
        let keys = keys_elsewhere(src, job.elsewhere).await?;
        status = open_folder(src, job.source_folder, true)
            .await
            .map_err(Halt::at(Stage::SourceRead))?;
        Some(keys)
    };

    if !resumed.journal.is_empty() {
        settle(resumed.journaled_at).await;
    }
    // SELECT, not EXAMINE: a read-only open answers an empty PERMANENTFLAGS (Dovecot), which
    // would drop every keyword.
    let dst_status = open_folder(dst, job.destination_folder, false)
        .await
        .map_err(Halt::at(Stage::DestinationWrite))?;
    // Message-IDs only serve to recognise messages the destination has already; an empty
    // destination folder spares the source opening every message for its header.
    let ids = if dst_status.exists > 0 || elsewhere.is_some() {
        MessageIds::Fetch
    } else {
        MessageIds::Skip
    };
    let metas = source_metas(src, &status, ids, outcome).await?;
    heal(job, dst, &dst_status, &metas, &mut resumed, outcome).await?;
    if !resumed.fresh {
        let now = SourceNow {
            metas: &metas,
            complete: outcome.incomplete.is_none(),
            vanished: None,
        };
        let open = Some(&dst_status);
        carry_changes(job, resumed.folder.id, (src, dst), now, open, outcome).await?;
    }
    let new = NewMessages {
        metas: &metas,
        elsewhere: elsewhere.as_deref(),
    };
    copy_new(
        job,
        (src, dst),
        (&status, &dst_status),
        &mut resumed.folder,
        new,
        outcome,
    )
    .await
}

/// The source's messages a pass may copy, and (for an `\All` folder) what other folders hold.
struct NewMessages<'m> {
    metas: &'m [MessageMeta],
    elsewhere: Option<&'m [DedupKey]>,
}

/// Copies what the state has not copied yet of `new`, then records the folder as done (its
/// UIDNEXT, EXISTS and HIGHESTMODSEQ) unless something was left.
async fn copy_new(
    job: &FolderJob<'_>,
    (src, dst): (&mut ImapSession, &mut ImapSession),
    (status, dst_status): (&FolderStatus, &FolderStatus),
    folder: &mut FolderState,
    new: NewMessages<'_>,
    outcome: &mut FolderOutcome,
) -> Result<(), Halt> {
    let appender = Appender {
        job,
        caps: AppendCapabilities::of(dst),
        permanent_flags: dst_status.permanent_flags.clone(),
    };
    let limits = Limits::of(job.options, appender.caps.max_message);
    let mut todo = select(&limits, new.metas, folder, outcome);
    if let Some(keys) = new.elsewhere {
        todo = leave_out_elsewhere(keys, todo, outcome);
    }
    let bytes: u64 = todo.iter().map(|m| u64::from(m.size)).sum();
    job.progress.to_copy(job.shown, todo.len() as u64, bytes);
    pipeline(&appender, src, dst, folder, outcome, &todo).await?;
    // A folder with problems is passed again next time (they may be fixed), so its UIDNEXT is
    // not recorded as complete.
    if outcome.problems.is_empty() && outcome.incomplete.is_none() {
        state::finish_folder(job.db, folder, status.uidnext, status.exists).await?;
        state::record_modseq(job.db, folder, status.highest_modseq).await?;
    }
    Ok(())
}

/// The HIGHESTMODSEQ to resync from, when a later pass can learn everything that changed from
/// the source's QRESYNC answers instead of listing the folder: nothing left unsure by a crash,
/// no `\All` folder (it needs every Message-ID), both passes with a HIGHESTMODSEQ.
fn quick_resync_from(
    job: &FolderJob<'_>,
    src: &ImapSession,
    status: &FolderStatus,
    resumed: &Resumed,
) -> Option<u64> {
    let usable = src.qresync()
        && !resumed.fresh
        && resumed.journal.is_empty()
        && job.elsewhere.is_empty()
        && status.highest_modseq.is_some();
    resumed.folder.highest_modseq.filter(|_| usable)
}

/// A later pass with QRESYNC: the flag changes and expunges since `since` (VANISHED) and the
/// new messages, in two commands, whatever the folder's size.
async fn quick_resync(
    job: &FolderJob<'_>,
    (src, dst): (&mut ImapSession, &mut ImapSession),
    status: &FolderStatus,
    resumed: &mut Resumed,
    since: u64,
    outcome: &mut FolderOutcome,
) -> Result<(), Halt> {
    let changes = fetch_changes_qresync(src, since, resumed.folder.uidnext)
        .await
        .map_err(Halt::at(Stage::SourceRead))?;
    let dst_status = open_folder(dst, job.destination_folder, false)
        .await
        .map_err(Halt::at(Stage::DestinationWrite))?;
    let now = SourceNow {
        metas: &changes.changed,
        complete: false,
        vanished: Some(&changes.vanished),
    };
    let folder_id = resumed.folder.id;
    carry_changes(job, folder_id, (src, dst), now, Some(&dst_status), outcome).await?;
    let new = NewMessages {
        metas: &changes.new,
        elsewhere: None,
    };
    let pair = (status, &dst_status);
    copy_new(job, (src, dst), pair, &mut resumed.folder, new, outcome).await
}

/// A folder with nothing new and nothing gone: only flags may have changed. An unchanged
/// HIGHESTMODSEQ (CONDSTORE) says none did; a moved one, which messages to read (CHANGEDSINCE).
async fn flags_only(
    job: &FolderJob<'_>,
    (src, dst): (&mut ImapSession, &mut ImapSession),
    status: &FolderStatus,
    folder: &mut FolderState,
    outcome: &mut FolderOutcome,
) -> Result<(), Halt> {
    if status.highest_modseq.is_some() && status.highest_modseq == folder.highest_modseq {
        outcome.unchanged = true;
        return Ok(());
    }
    let since = folder
        .highest_modseq
        .filter(|_| status.highest_modseq.is_some());
    let metas = match since.filter(|_| status.exists > 0) {
        Some(modseq) => fetch_changed_since(src, modseq).await,
        None => fetch_meta(src, status.exists, META_WINDOW, MessageIds::Skip)
            .await
            .map(|(metas, _)| metas),
    }
    .map_err(Halt::at(Stage::SourceRead))?;
    let now = SourceNow {
        metas: &metas,
        complete: false,
        vanished: None,
    };
    carry_changes(job, folder.id, (src, dst), now, None, outcome).await?;
    outcome.unchanged = outcome.flags_updated == 0;
    state::record_modseq(job.db, folder, status.highest_modseq).await?;
    Ok(())
}

/// Every message's metadata; a source that lists fewer than it holds leaves the folder
/// incomplete (never recorded as done, and nothing taken for expunged).
async fn source_metas(
    src: &mut ImapSession,
    status: &FolderStatus,
    ids: MessageIds,
    outcome: &mut FolderOutcome,
) -> Result<Vec<MessageMeta>, Halt> {
    let (metas, holds) = fetch_meta(src, status.exists, META_WINDOW, ids)
        .await
        .map_err(Halt::at(Stage::SourceRead))?;
    if (metas.len() as u64) < u64::from(holds) {
        outcome.incomplete = Some(format!(
            "the source listed {} of the {holds} messages the folder holds",
            metas.len()
        ));
    }
    Ok(metas)
}

/// The stored state of the folder, started afresh when the source's UIDVALIDITY changed.
async fn resume(job: &FolderJob<'_>, status: &FolderStatus) -> Result<Resumed, Halt> {
    let loaded = state::load_folder(job.db, job.account_id, job.source_folder).await?;
    let (folder, fresh) = match loaded {
        Some(s) if s.uidvalidity == status.uidvalidity => (s, false),
        _ => (
            state::reset_folder(
                job.db,
                job.account_id,
                job.source_folder,
                job.destination_folder,
                status.uidvalidity,
            )
            .await?,
            true,
        ),
    };
    let (journal, journaled_at) = state::journal_uids(job.db, &folder).await?;
    Ok(Resumed {
        folder,
        fresh,
        journal,
        journaled_at,
    })
}

/// Messages the state cannot vouch for (everything on a fresh start, else the journal) that
/// the destination already holds are recorded as copied instead of being copied again.
async fn heal(
    job: &FolderJob<'_>,
    dst: &mut ImapSession,
    dst_status: &FolderStatus,
    metas: &[MessageMeta],
    resumed: &mut Resumed,
    outcome: &mut FolderOutcome,
) -> Result<(), Halt> {
    let Resumed {
        folder,
        fresh,
        journal,
        ..
    } = resumed;
    let candidates: Vec<&MessageMeta> = metas
        .iter()
        .filter(|m| !folder.copied.contains(m.uid) && (*fresh || journal.contains(m.uid)))
        .collect();
    if !candidates.is_empty() && dst_status.exists > 0 {
        let (dst_metas, _) = fetch_meta(dst, dst_status.exists, META_WINDOW, MessageIds::Fetch)
            .await
            .map_err(Halt::at(Stage::DestinationWrite))?;
        let copied_keys: Vec<DedupKey> = metas
            .iter()
            .filter(|m| folder.copied.contains(m.uid))
            .map(DedupKey::of)
            .collect();
        let candidate_keys: Vec<(u32, DedupKey)> = candidates
            .iter()
            .map(|m| (m.uid, DedupKey::of(m)))
            .collect();
        let present = present_in_destination(
            dst_metas.iter().map(DedupKey::of),
            copied_keys.iter(),
            candidate_keys.iter().map(|(uid, k)| (*uid, k)),
        );
        outcome.already_present = present.len() as u64;
        // Journaled messages found in the destination were appended by an earlier run that
        // ended before its commit: they count as copied, once, now (not so what a fresh start
        // finds, which was there before).
        let bytes: u64 = metas
            .iter()
            .filter(|m| present.contains(&m.uid))
            .map(|m| u64::from(m.size))
            .sum();
        let counted = job.progress.mailbox_row().filter(|_| !*fresh);
        let found: Vec<Copied> = present
            .iter()
            .map(|&uid| Copied {
                uid,
                destination_uid: None,
                flags: None,
            })
            .collect();
        state::commit_copied(job.db, folder, &found, counted.map(|row| (row, bytes))).await?;
        if !*fresh {
            job.progress.copied(present.len() as u64, bytes);
        }
    }
    if !journal.is_empty() {
        state::journal_clear(job.db, folder).await?;
    }
    Ok(())
}

/// How long a server may still be storing an APPEND whose client went away after sending all
/// of it: it completes the command, answering no one.
const ORPHAN_APPEND_SETTLES: std::time::Duration = std::time::Duration::from_secs(3);
/// A journal older than this was left by a crash long ago: nothing can be in flight any more.
const RECENT_JOURNAL: chrono::TimeDelta = chrono::TimeDelta::seconds(120);

/// After a recent crash, waits for an APPEND the crash left in flight to land before the
/// destination is read for it: read too soon, the message looks missing, is appended again, and
/// the orphan lands beside it (seen: a whole folder twice on Dovecot, when a process that hit a
/// full disk exited mid-MULTIAPPEND and the rerun followed at once under load).
async fn settle(journaled_at: Option<chrono::DateTime<chrono::Utc>>) {
    let recent = journaled_at.is_some_and(|at| chrono::Utc::now() - at < RECENT_JOURNAL);
    if recent {
        tokio::time::sleep(ORPHAN_APPEND_SETTLES).await;
    }
}

/// The batch's date range and the size limits that apply to one folder.
struct Limits<'a> {
    options: &'a BatchOptions,
    /// The smaller of the batch's limit and the destination's, and whose it is.
    max_message: Option<(u64, &'static str)>,
}

impl<'a> Limits<'a> {
    fn of(options: &'a BatchOptions, destination: Option<u64>) -> Limits<'a> {
        let batch = options.max_message_bytes.map(|m| (m, "the batch's"));
        let destination = destination.map(|m| (m, "the destination's"));
        let max_message = match (batch, destination) {
            (Some(b), Some(d)) => Some(if d.0 < b.0 { d } else { b }),
            (b, d) => b.or(d),
        };
        Limits {
            options,
            max_message,
        }
    }
}

/// What is left to copy, within the batch's date range and the size limits; a message over a
/// limit is a problem of its own (never sent to be refused).
fn select<'m>(
    limits: &Limits<'_>,
    metas: &'m [MessageMeta],
    folder: &FolderState,
    outcome: &mut FolderOutcome,
) -> Vec<&'m MessageMeta> {
    let mut todo = Vec::new();
    for meta in metas.iter().filter(|m| !folder.copied.contains(m.uid)) {
        if !in_date_range(limits.options, &meta.internal_date) {
            outcome.filtered += 1;
        } else if let Some((max, whose)) = limits
            .max_message
            .filter(|(max, _)| u64::from(meta.size) > *max)
        {
            outcome.problems.push(MessageProblem {
                kind: ErrorKind::MessageTooLarge,
                uid: meta.uid,
                size: meta.size,
                subject: None,
                detail: format!("{} bytes is over {whose} limit of {max} bytes", meta.size),
            });
        } else {
            todo.push(meta);
        }
    }
    todo
}

/// Fetches transactions from the source while the destination appends the one before.
async fn pipeline(
    appender: &Appender<'_, '_>,
    src: &mut ImapSession,
    dst: &mut ImapSession,
    folder: &mut FolderState,
    outcome: &mut FolderOutcome,
    todo: &[&MessageMeta],
) -> Result<(), Halt> {
    let batches = plan_transactions(todo, appender.caps.multiappend);
    let (tx, mut rx) =
        mpsc::channel::<(Vec<&MessageMeta>, Vec<FetchedBody>, Reservation)>(PIPELINE_DEPTH);
    let producer = async {
        for batch in batches {
            let bytes = batch.iter().map(|m| u64::from(m.size)).sum();
            let reservation = MemoryBudget::process().reserve(bytes).await;
            let bodies = fetch_bodies(src, &batch)
                .await
                .map_err(Halt::at(Stage::SourceRead))?;
            if tx.send((batch, bodies, reservation)).await.is_err() {
                break;
            }
        }
        drop(tx);
        Ok::<(), Halt>(())
    };
    let consumer = async {
        // The reservation is given back when the transaction has been appended.
        while let Some((batch, bodies, _reservation)) = rx.recv().await {
            if appender.job.progress.stop_requested() {
                return Err(Halt::Requested);
            }
            appender.append(dst, folder, outcome, batch, bodies).await?;
        }
        Ok(())
    };
    let (produced, consumed) = tokio::join!(producer, consumer);
    consumed?;
    produced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_range() {
        let options = BatchOptions {
            since: chrono::NaiveDate::from_ymd_opt(2020, 1, 1),
            ..Default::default()
        };
        assert!(in_date_range(&options, "01-Jan-2020 00:00:00 +0000"));
        assert!(!in_date_range(&options, "31-Dec-2019 23:59:59 +0000"));
        assert!(
            in_date_range(&options, "not a date"),
            "unknown dates are kept"
        );
    }
}
