//! One mailbox of a running batch: a process slot, the claim (within the endpoints' and the
//! cluster's limits), the engine, and its outcome written down — message problems once,
//! whatever the end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, DbErr};

use app::ErrorKind;
use app::model::batch::MailboxState;

use super::live_progress::{self, LiveProgress};
use super::record::{self, ErrorRecord, Totals};
use super::run_settings::{MailboxFinished, RunEvent, RunSettings};
use crate::db::claim;
use crate::db::entity::mailbox;
use crate::endpoints::EndpointSettings;
use crate::engine::mailbox::{MailboxFailure, MailboxReport, MailboxSpec};
use crate::engine::mailbox_job::run_mailbox;
use crate::engine::options::BatchOptions;
use crate::engine::progress::ProgressSink;
use crate::secrets::{Cipher, CipherError, EncryptedSecret, Slot};

/// What every mailbox of one run shares.
pub(super) struct Shared {
    pub db: DatabaseConnection,
    pub cipher: Cipher,
    pub batch_id: i64,
    pub source: EndpointSettings,
    pub destination: EndpointSettings,
    pub source_endpoint_id: i64,
    pub destination_endpoint_id: i64,
    pub options: BatchOptions,
    pub settings: RunSettings,
    pub stop: Arc<AtomicBool>,
    /// This process, as written into the mailboxes it claims.
    pub worker: String,
}

/// The engine's view of a batch mailbox: its counters move inside each commit, its live
/// detail in memory (written by [`live_writer`]).
struct MailboxProgress {
    row: i64,
    /// The batch was stopped.
    stop: Arc<AtomicBool>,
    /// This mailbox alone was asked to stop (seen by [`live_writer`]).
    stop_this: Arc<AtomicBool>,
    live: Arc<LiveProgress>,
}

impl ProgressSink for MailboxProgress {
    fn copied(&self, messages: u64, bytes: u64) {
        self.live.copied(messages, bytes, Instant::now());
    }

    fn folder_started(&self, shown: &str) {
        self.live.folder_started(shown);
    }

    fn folder_ended(&self, shown: &str) {
        self.live.folder_ended(shown);
    }

    fn to_copy(&self, shown: &str, messages: u64, bytes: u64) {
        self.live.to_copy(shown, messages, bytes);
    }

    fn mailbox_row(&self) -> Option<i64> {
        Some(self.row)
    }

    fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.stop_this.load(Ordering::Relaxed)
    }
}

impl Shared {
    fn limits(&self) -> claim::ClaimLimits {
        claim::ClaimLimits {
            endpoints: [
                claim::EndpointLimit {
                    side: claim::Side::Source,
                    endpoint_id: self.source_endpoint_id,
                    max: self.source.max_concurrent,
                },
                claim::EndpointLimit {
                    side: claim::Side::Destination,
                    endpoint_id: self.destination_endpoint_id,
                    max: self.destination.max_concurrent,
                },
            ],
            cluster_max: self.settings.cluster_max,
        }
    }
}

/// A batch row's source password, opened for its batch.
pub(crate) fn source_password(
    cipher: &Cipher,
    row: &mailbox::Model,
) -> Result<String, CipherError> {
    cipher.decrypt(
        &EncryptedSecret(row.source_secret.clone()),
        &Slot::MailboxSource {
            batch_id: row.batch_id,
            email: &row.email_address,
        },
    )
}

/// What makes a batch row's [`MailboxSpec`]: the batch's endpoints and options.
pub(crate) struct RowSpec<'a> {
    pub source: &'a EndpointSettings,
    pub destination: &'a EndpointSettings,
    pub options: &'a BatchOptions,
    pub retry: crate::engine::retry::RetryPolicy,
}

impl RowSpec<'_> {
    /// The row's mailbox: its source user with `password` (none: a token or the source's admin),
    /// the destination on its behalf.
    pub(crate) fn of(&self, row: &mailbox::Model, password: &str) -> MailboxSpec {
        MailboxSpec {
            email: row.email_address.clone(),
            source: self.source.address(),
            source_credentials: self
                .source
                .sign_in_for(&row.source_username, Some(password)),
            destination: self.destination.address(),
            destination_credentials: self.destination.sign_in_for(&row.email_address, None),
            user_root: row.user_root.clone(),
            options: self.options.clone(),
            retry: self.retry,
        }
    }
}

/// Runs one mailbox if this process can claim it (holding one of the process's slots while it
/// runs); `Ok(())` also when another process holds it.
pub(super) async fn run_one(
    shared: &Shared,
    row: mailbox::Model,
    on_event: &(impl Fn(&RunEvent) + Sync),
) -> Result<(), DbErr> {
    let _slot = loop {
        if shared.stop.load(Ordering::Relaxed) {
            record::set_state(&shared.db, row.id, MailboxState::Stopped).await?;
            return Ok(());
        }
        let slot = shared
            .settings
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| DbErr::Custom("the process is shutting down".into()))?;
        match claim::claim(
            &shared.db,
            &row,
            &shared.worker,
            shared.settings.lease,
            shared.limits(),
        )
        .await?
        {
            claim::Claim::Claimed => break slot,
            claim::Claim::Taken => return Ok(()),
            // Another process uses every slot of an endpoint or of the cluster, or runs this
            // address in another batch: give the slot back and wait.
            claim::Claim::LimitReached => {
                drop(slot);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    };
    let heartbeat = {
        let (db, worker, id, lease) = (
            shared.db.clone(),
            shared.worker.clone(),
            row.id,
            shared.settings.lease,
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                if !matches!(claim::renew(&db, id, &worker, lease).await, Ok(true)) {
                    tracing::warn!(mailbox = id, "lost the claim on a mailbox");
                    return;
                }
            }
        })
    };
    let result = run_claimed(shared, &row, on_event).await;
    heartbeat.abort();
    result
}

/// Why a claimed mailbox does not start: already migrated, or its password cannot be read.
async fn refusal(
    shared: &Shared,
    row: &mailbox::Model,
) -> Result<Option<(ErrorKind, String)>, DbErr> {
    // This batch's own delta passes go on: only another batch's completion refuses.
    if !shared.options.sync_again
        && record::completed_before(&shared.db, &row.email_address, shared.batch_id).await?
    {
        return Ok(Some((
            ErrorKind::MailboxAlreadyMigrated,
            "completed by an earlier batch".into(),
        )));
    }
    Ok(None)
}

async fn run_claimed(
    shared: &Shared,
    row: &mailbox::Model,
    on_event: &(impl Fn(&RunEvent) + Sync),
) -> Result<(), DbErr> {
    let started = Instant::now();
    let password = source_password(&shared.cipher, row).map_err(|e| {
        (
            ErrorKind::Internal,
            format!("the stored source password cannot be read: {e}"),
        )
    });
    let refused = match (refusal(shared, row).await?, &password) {
        (Some(refusal), _) => Some(refusal),
        (None, Err(unreadable)) => Some(unreadable.clone()),
        (None, Ok(_)) => None,
    };
    if let Some((kind, detail)) = refused {
        on_event(&RunEvent::Finished(finished(
            row,
            started,
            MailboxState::Failed,
            &MailboxReport::default(),
            0,
            Some((kind, detail.clone())),
        )));
        return record::fail_before_start(&shared.db, row, kind, detail).await;
    }
    let Ok(password) = password else {
        unreachable!("an unreadable password is refused above")
    };
    record::set_state(&shared.db, row.id, MailboxState::Syncing).await?;
    let spec = spec_of(shared, row, &password);
    drop(password);
    let live = Arc::new(LiveProgress::new(Instant::now()));
    let stop_this = Arc::new(AtomicBool::new(row.stop_requested_at.is_some()));
    let progress = MailboxProgress {
        row: row.id,
        stop: shared.stop.clone(),
        stop_this: stop_this.clone(),
        live: live.clone(),
    };
    let writer = live_writer(shared.db.clone(), row.id, live, stop_this);
    let result = run_mailbox(&shared.db, &spec, &progress).await;
    writer.abort();
    let _ = writer.await;
    super::consent::keep_replaced_token(&shared.db, &shared.cipher, &shared.source, row).await;
    // Told before it is written down: when the database itself failed, the admin still reads
    // which mailbox ended how.
    let (state, report, failure) = split(&result);
    let problems = report.problems.len() + report.folder_problems.len();
    let error = failure.map(|f| (f.kind, f.detail.clone()));
    on_event(&RunEvent::Finished(finished(
        row, started, state, report, problems, error,
    )));
    let pass = record::Pass {
        started_at: chrono::Utc::now()
            - chrono::Duration::from_std(started.elapsed()).unwrap_or_default(),
        state,
        problems: problems as i64,
        error_kind: failure.map(|f| f.kind),
    };
    // Shown as being verified before the row shows its end, so a page that follows it never
    // sees a finished mailbox with its old verdict.
    let verify = state == MailboxState::Synced && wants_verification(shared, row).await?;
    if verify {
        crate::verify::store::mark_verifying(&shared.db, &[row.id]).await?;
    }
    record_outcome(shared, row, state, report, failure).await?;
    record::pass(&shared.db, row.id, pass, report).await?;
    if verify {
        verify_after_pass(shared, row, &spec).await;
    }
    Ok(())
}

/// The row's mailbox; its user's consent (a personal account) goes to the source's tokens.
fn spec_of(shared: &Shared, row: &mailbox::Model, password: &str) -> MailboxSpec {
    super::consent::remember_consent(&shared.cipher, &shared.source, row);
    RowSpec {
        source: &shared.source,
        destination: &shared.destination,
        options: &shared.options,
        retry: shared.settings.retry,
    }
    .of(row, password)
}

/// Verifies a synced mailbox (when [`wants_verification`]); its outcome is written already, so
/// a failure here is logged and leaves the pass as it ended.
async fn verify_after_pass(shared: &Shared, row: &mailbox::Model, spec: &MailboxSpec) {
    let verdict = crate::verify::mailbox::verdict_of(&shared.db, spec).await;
    super::consent::keep_replaced_token(&shared.db, &shared.cipher, &shared.source, row).await;
    if let Err(e) = crate::verify::store::save(&shared.db, row.id, &verdict).await {
        tracing::error!(mailbox = row.id, error = %e, "storing the verification after the pass");
    }
}

/// Writes the mailbox's live detail each second it changed, and every 5 s regardless, while
/// its pass runs (aborted at its end); a row that refuses the write was asked to stop.
fn live_writer(
    db: DatabaseConnection,
    row: i64,
    live: Arc<LiveProgress>,
    stop_this: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for tick in 1u64.. {
            tokio::time::sleep(live_progress::WRITE_EVERY).await;
            // Now and then also when nothing changed: the rate moves with time, and the write
            // is how a stop asked of this mailbox is seen.
            if tick % 5 == 0 {
                live.touch();
            }
            let Some(columns) = live.take_changed(Instant::now()) else {
                continue;
            };
            match live_progress::write(&db, row, &columns).await {
                Ok(true) => {}
                Ok(false) => stop_this.store(true, Ordering::Relaxed),
                Err(e) => tracing::warn!(mailbox = row, error = %e, "writing live progress"),
            }
        }
    })
}

/// A synced mailbox is verified after its pass when the batch asks for it, or when its last
/// verification found messages missing (Copy missing, or a stale red badge otherwise).
async fn wants_verification(shared: &Shared, row: &mailbox::Model) -> Result<bool, DbErr> {
    if shared.options.verify_after_pass {
        return Ok(true);
    }
    let last = crate::verify::store::badges(&shared.db, &[row.id]).await?;
    Ok(last
        .get(&row.id)
        .is_some_and(|b| b.outcome == app::model::verification::VerifyOutcome::Missing))
}

/// The end state, the report and (for a failed mailbox) the failure of a mailbox run.
fn split(
    result: &Result<MailboxReport, MailboxFailure>,
) -> (MailboxState, &MailboxReport, Option<&MailboxFailure>) {
    match result {
        Ok(report) => (MailboxState::Synced, report, None),
        Err(f) if f.stopped => (MailboxState::Stopped, &f.report, None),
        Err(f) => (MailboxState::Failed, &f.report, Some(f)),
    }
}

fn finished(
    row: &mailbox::Model,
    started: Instant,
    state: MailboxState,
    report: &MailboxReport,
    problems: usize,
    error: Option<(ErrorKind, String)>,
) -> MailboxFinished {
    MailboxFinished {
        row_index: row.row_index,
        email: row.email_address.clone(),
        state,
        copied: report.copied,
        bytes: report.bytes,
        problems,
        error,
        elapsed: started.elapsed(),
    }
}

/// Writes the mailbox's problems (each once), its error and its end state.
async fn record_outcome(
    shared: &Shared,
    row: &mailbox::Model,
    state: MailboxState,
    report: &MailboxReport,
    failure: Option<&MailboxFailure>,
) -> Result<(), DbErr> {
    let db = &shared.db;
    record::problems(db, row, report).await?;
    // A failure of folders is in the report already, folder by folder.
    if let Some(failure) = failure.filter(|f| f.kind.scope() == app::ErrorScope::Mailbox) {
        let mut error = ErrorRecord::mailbox_level(row, failure.kind, failure.detail.clone());
        error.folder = failure.folder.clone();
        record::error(db, error).await?;
    }
    let problems = (report.problems.len() + report.folder_problems.len()) as u64;
    let error = failure.map(|f| (f.kind, f.detail.clone()));
    record::finish(db, row.id, state, Totals::of(report, problems), error).await?;
    if state == MailboxState::Synced {
        record::resolve_overcome(db, row, report).await?;
        record::mark_completed(db, &row.email_address, shared.batch_id).await?;
    }
    Ok(())
}
