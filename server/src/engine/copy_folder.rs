//! Copies one folder: what the state says is new, fetched and appended in a pipeline (a bounded
//! channel between the source and the destination session), committed per MULTIAPPEND.

use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;

use app::ErrorKind;

use super::classify::{Stage, classify};
use super::dedup::{DedupKey, present_in_destination};
use super::memory_budget::{MemoryBudget, Reservation};
use super::options::BatchOptions;
use super::state::{self, FolderState};
use super::transactions::plan_transactions;
use crate::imap::append::{
    AppendCapabilities, OutgoingMessage, append_each, destination_flags, multiappend,
};
use crate::imap::fetch::{
    FetchedBody, MessageIds, MessageMeta, fetch_bodies, fetch_meta, open_folder,
};
use crate::imap::uid_set::UidSet;
use crate::imap::{ImapError, ImapSession};

/// Fetched transactions waiting for the destination. Memory is bounded by the process's
/// [`MemoryBudget`], which every fetched transaction holds until it is appended.
const PIPELINE_DEPTH: usize = 2;

/// A message that was not copied, for the error report.
#[derive(Clone, Debug)]
pub struct MessageProblem {
    pub kind: ErrorKind,
    pub uid: u32,
    pub size: u32,
    pub subject: Option<String>,
    pub detail: String,
}

/// A failure that stops the folder (and the caller decides about the mailbox).
#[derive(Debug)]
pub struct FolderFailure {
    pub stage: Stage,
    pub error: ImapError,
    /// What was committed before the failure (it stays copied).
    pub progress: FolderOutcome,
}

impl FolderFailure {
    pub fn kind(&self) -> ErrorKind {
        classify(self.stage, &self.error)
    }
}

impl From<sea_orm::DbErr> for FolderFailure {
    fn from(e: sea_orm::DbErr) -> Self {
        FolderFailure {
            stage: Stage::DestinationWrite,
            error: ImapError::Protocol(format!("state database: {e}")),
            progress: FolderOutcome::default(),
        }
    }
}

fn at(stage: Stage) -> impl Fn(ImapError) -> FolderFailure {
    move |error| FolderFailure {
        stage,
        error,
        progress: FolderOutcome::default(),
    }
}

#[derive(Debug, Default)]
pub struct FolderOutcome {
    pub unchanged: bool,
    pub messages_total: u64,
    pub copied: u64,
    pub bytes: u64,
    /// Found in the destination already (dedup), counted as done.
    pub already_present: u64,
    /// Left out by the batch's date range.
    pub filtered: u64,
    pub problems: Vec<MessageProblem>,
}

/// Receives progress as it is committed (the mailbox job writes it to the database).
pub trait ProgressSink: Send + Sync {
    /// Messages committed (after their state is stored).
    fn copied(&self, messages: u64, bytes: u64);
    /// The batch mailbox whose counters are updated with each commit, in its transaction.
    fn mailbox_row(&self) -> Option<i32> {
        None
    }
    /// An admin stopped the batch: finish the transaction in flight, then stop.
    fn stop_requested(&self) -> bool {
        false
    }
}

pub struct FolderJob<'a> {
    pub db: &'a DatabaseConnection,
    pub account_id: i32,
    pub source_folder: &'a str,
    pub destination_folder: &'a str,
    pub options: &'a BatchOptions,
    pub progress: &'a dyn ProgressSink,
}

fn key(meta: &MessageMeta) -> DedupKey {
    DedupKey {
        message_id: meta.message_id.clone(),
        internal_date: meta.internal_date.clone(),
        size: meta.size,
    }
}

fn in_date_range(options: &BatchOptions, internal_date: &str) -> bool {
    let Ok(date) = chrono::DateTime::parse_from_str(internal_date.trim(), "%d-%b-%Y %H:%M:%S %z")
    else {
        return true;
    };
    let day = date.date_naive();
    options.since.is_none_or(|since| day >= since)
        && options.before.is_none_or(|before| day < before)
}

fn subject_of(body: &[u8]) -> Option<String> {
    let head_end = body
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(body.len().min(16 * 1024));
    let head = String::from_utf8_lossy(&body[..head_end])
        .replace("\r\n ", " ")
        .replace("\r\n\t", " ");
    head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("subject")
            .then(|| value.trim().chars().take(200).collect())
    })
}

pub async fn copy_folder(
    job: FolderJob<'_>,
    src: &mut ImapSession,
    dst: &mut ImapSession,
) -> Result<FolderOutcome, FolderFailure> {
    let mut outcome = FolderOutcome::default();
    match copy_into(job, src, dst, &mut outcome).await {
        Ok(()) => Ok(outcome),
        Err(mut failure) => {
            failure.progress = outcome;
            Err(failure)
        }
    }
}

async fn copy_into(
    job: FolderJob<'_>,
    src: &mut ImapSession,
    dst: &mut ImapSession,
    outcome: &mut FolderOutcome,
) -> Result<(), FolderFailure> {
    let status = open_folder(src, job.source_folder, true)
        .await
        .map_err(at(Stage::SourceRead))?;
    outcome.messages_total = status.exists.into();
    let loaded = state::load_folder(job.db, job.account_id, job.source_folder).await?;
    let (mut folder, fresh) = match loaded {
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
    let journal = state::journal_uids(job.db, &folder).await?;
    if !fresh
        && journal.is_empty()
        && folder.uidnext == status.uidnext
        && folder.exists == status.exists
    {
        outcome.unchanged = true;
        return Ok(());
    }

    // SELECT, not EXAMINE: a read-only open answers an empty PERMANENTFLAGS (Dovecot), which
    // would drop every keyword.
    let dst_status = open_folder(dst, job.destination_folder, false)
        .await
        .map_err(at(Stage::DestinationWrite))?;
    // Message-IDs only serve to recognise messages the destination has already; an empty
    // destination folder spares the source opening every message for its header.
    let ids = if dst_status.exists > 0 {
        MessageIds::Fetch
    } else {
        MessageIds::Skip
    };
    let metas = if status.exists == 0 {
        Vec::new()
    } else {
        fetch_meta(src, 1, status.uidnext.saturating_sub(1).max(1), 5000, ids)
            .await
            .map_err(at(Stage::SourceRead))?
    };

    // Messages the state cannot vouch for: everything on a fresh start, else the journal.
    let candidates: Vec<&MessageMeta> = metas
        .iter()
        .filter(|m| !folder.copied.contains(m.uid) && (fresh || journal.contains(m.uid)))
        .collect();
    if !candidates.is_empty() && dst_status.exists > 0 {
        let dst_metas = fetch_meta(
            dst,
            1,
            dst_status.uidnext.saturating_sub(1).max(1),
            5000,
            MessageIds::Fetch,
        )
        .await
        .map_err(at(Stage::DestinationWrite))?;
        let copied_keys: Vec<DedupKey> = metas
            .iter()
            .filter(|m| folder.copied.contains(m.uid))
            .map(key)
            .collect();
        let candidate_keys: Vec<(u32, DedupKey)> =
            candidates.iter().map(|m| (m.uid, key(m))).collect();
        let present = present_in_destination(
            dst_metas.iter().map(key),
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
        let counted = job.progress.mailbox_row().filter(|_| !fresh);
        state::commit_copied(
            job.db,
            &mut folder,
            &present,
            counted.map(|row| (row, bytes)),
        )
        .await?;
        if !fresh {
            job.progress.copied(present.len() as u64, bytes);
        }
    }
    if !journal.is_empty() {
        state::journal_clear(job.db, &folder).await?;
    }

    let mut todo: Vec<&MessageMeta> = Vec::new();
    for meta in metas.iter().filter(|m| !folder.copied.contains(m.uid)) {
        if !in_date_range(job.options, &meta.internal_date) {
            outcome.filtered += 1;
        } else if job
            .options
            .max_message_bytes
            .is_some_and(|max| u64::from(meta.size) > max)
        {
            outcome.problems.push(MessageProblem {
                kind: ErrorKind::MessageTooLarge,
                uid: meta.uid,
                size: meta.size,
                subject: None,
                detail: format!(
                    "{} bytes is over the batch's limit of {} bytes",
                    meta.size,
                    job.options.max_message_bytes.unwrap_or(0)
                ),
            });
        } else {
            todo.push(meta);
        }
    }

    let caps = AppendCapabilities::of(dst);
    let batches = plan_transactions(&todo, caps.multiappend);
    let (tx, mut rx) =
        mpsc::channel::<(Vec<&MessageMeta>, Vec<FetchedBody>, Reservation)>(PIPELINE_DEPTH);
    let producer = async {
        for batch in batches {
            let bytes = batch.iter().map(|m| u64::from(m.size)).sum();
            let reservation = MemoryBudget::process().reserve(bytes).await;
            let uids: UidSet = batch.iter().map(|m| m.uid).collect();
            let bodies = fetch_bodies(src, &uids)
                .await
                .map_err(at(Stage::SourceRead))?;
            if tx.send((batch, bodies, reservation)).await.is_err() {
                break;
            }
        }
        drop(tx);
        Ok::<(), FolderFailure>(())
    };
    let permanent_flags = dst_status.permanent_flags.clone();
    let consumer = async {
        let mut result = Ok(());
        // The reservation is given back when the transaction has been appended.
        while let Some((batch, bodies, _reservation)) = rx.recv().await {
            if job.progress.stop_requested() {
                result = Err(FolderFailure {
                    stage: Stage::DestinationWrite,
                    error: ImapError::Stopped,
                    progress: FolderOutcome::default(),
                });
                break;
            }
            if let Err(e) = append_batch(
                &job,
                dst,
                caps,
                &permanent_flags,
                &mut folder,
                &mut *outcome,
                batch,
                bodies,
            )
            .await
            {
                result = Err(e);
                break;
            }
        }
        result
    };
    let (produced, consumed) = tokio::join!(producer, consumer);
    consumed?;
    produced?;
    // A folder with problems is passed again next time (they may be fixed), so its UIDNEXT is
    // not recorded as complete.
    if outcome.problems.is_empty() {
        state::finish_folder(job.db, &mut folder, status.uidnext, status.exists).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn append_batch(
    job: &FolderJob<'_>,
    dst: &mut ImapSession,
    caps: AppendCapabilities,
    permanent_flags: &[String],
    folder: &mut FolderState,
    outcome: &mut FolderOutcome,
    batch: Vec<&MessageMeta>,
    bodies: Vec<FetchedBody>,
) -> Result<(), FolderFailure> {
    let mut pairs: Vec<(&MessageMeta, bytes::Bytes, Vec<String>)> =
        Vec::with_capacity(bodies.len());
    let mut bodies = bodies.into_iter().peekable();
    for meta in batch {
        while bodies.peek().is_some_and(|b| b.uid < meta.uid) {
            bodies.next();
        }
        if let Some(body) = bodies.next_if(|b| b.uid == meta.uid) {
            pairs.push((
                meta,
                body.body,
                destination_flags(&meta.flags, permanent_flags),
            ));
        } else {
            // Expunged since the metadata pass, or a server that answers OK without the body:
            // a problem, so the folder is not recorded as complete and the next run asks again
            // (a message really gone is then no longer listed).
            outcome.problems.push(MessageProblem {
                kind: ErrorKind::MessageNotReturned,
                uid: meta.uid,
                size: meta.size,
                subject: None,
                detail: format!("UID {} was listed but its body never came", meta.uid),
            });
        }
    }
    if pairs.is_empty() {
        return Ok(());
    }
    let metas: Vec<&MessageMeta> = pairs.iter().map(|p| p.0).collect();
    state::journal_add(job.db, folder, &metas).await?;
    let messages: Vec<OutgoingMessage<'_>> = pairs
        .iter()
        .map(|(meta, body, flags)| OutgoingMessage {
            flags,
            internal_date: &meta.internal_date,
            body,
        })
        .collect();
    let fatal = |error| FolderFailure {
        stage: Stage::DestinationWrite,
        error,
        progress: FolderOutcome::default(),
    };
    let stops_folder =
        |kind| kind == ErrorKind::DestinationMailboxFull || kind == ErrorKind::Throttled;
    if caps.multiappend {
        match multiappend(dst, caps, job.destination_folder, &messages).await {
            Ok(()) => {
                let all: Vec<(u32, u64)> = pairs
                    .iter()
                    .map(|(m, b, _)| (m.uid, b.len() as u64))
                    .collect();
                return commit(job, folder, outcome, &all).await;
            }
            Err(error) if error.is_fatal_to_session() => return Err(fatal(error)),
            Err(error) if stops_folder(classify(Stage::DestinationWrite, &error)) => {
                // A refused MULTIAPPEND stored nothing.
                state::journal_clear(job.db, folder).await?;
                return Err(fatal(error));
            }
            // One bad message fails the whole MULTIAPPEND: find it by appending one at a time.
            Err(_) => {}
        }
    }
    let results = append_each(dst, caps, job.destination_folder, &messages)
        .await
        .map_err(fatal)?;
    let mut stored = Vec::with_capacity(pairs.len());
    let mut stop = None;
    for (pair, result) in pairs.iter().zip(results) {
        match result {
            Ok(()) => stored.push((pair.0.uid, pair.1.len() as u64)),
            Err(error) => {
                let kind = classify(Stage::DestinationWrite, &error);
                if stops_folder(kind) {
                    stop.get_or_insert(error);
                } else {
                    let (meta, body, _) = pair;
                    outcome.problems.push(MessageProblem {
                        kind,
                        uid: meta.uid,
                        size: meta.size,
                        subject: subject_of(body),
                        detail: error.to_string(),
                    });
                }
            }
        }
    }
    commit(job, folder, outcome, &stored).await?;
    state::journal_clear(job.db, folder).await?;
    match stop {
        Some(error) => Err(fatal(error)),
        None => Ok(()),
    }
}

async fn commit(
    job: &FolderJob<'_>,
    folder: &mut FolderState,
    outcome: &mut FolderOutcome,
    stored: &[(u32, u64)],
) -> Result<(), FolderFailure> {
    let uids: Vec<u32> = stored.iter().map(|s| s.0).collect();
    let bytes: u64 = stored.iter().map(|s| s.1).sum();
    let counted = job.progress.mailbox_row().map(|row| (row, bytes));
    state::commit_copied(job.db, folder, &uids, counted).await?;
    outcome.copied += uids.len() as u64;
    outcome.bytes += bytes;
    job.progress.copied(uids.len() as u64, bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_range_and_subject() {
        let options = BatchOptions {
            since: chrono::NaiveDate::from_ymd_opt(2020, 1, 1),
            ..Default::default()
        };
        assert!(in_date_range(&options, "01-Jan-2020 00:00:00 +0000"));
        assert!(!in_date_range(&options, "31-Dec-2019 23:59:59 +0000"));
        assert_eq!(
            subject_of(b"From: a\r\nSubject: Hello\r\n world\r\n\r\nbody").as_deref(),
            Some("Hello world")
        );
    }
}
