//! What a batch run is given (its settings) and what it tells while it goes (its events).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use app::ErrorKind;
use app::model::batch::MailboxState;

use crate::db::claim;
use crate::engine::retry::RetryPolicy;

/// What the runner reports as mailboxes finish (the CLI prints it, the web app pushes it).
#[derive(Clone, Debug)]
pub struct MailboxFinished {
    pub row_index: i32,
    pub email: String,
    pub state: MailboxState,
    pub copied: u64,
    pub bytes: u64,
    pub problems: usize,
    pub error: Option<(ErrorKind, String)>,
    pub elapsed: Duration,
}

/// A mailbox another live process works on.
#[derive(Clone, Debug)]
pub struct HeldMailbox {
    pub row_index: i32,
    pub email: String,
    pub worker: String,
    pub lease_until: DateTime<Utc>,
}

/// What a run reports while it goes.
#[derive(Clone, Debug)]
pub enum RunEvent {
    /// A mailbox this process ran has ended (the state is about to be stored).
    Finished(MailboxFinished),
    /// Everything this process could claim is done; these are held elsewhere and waited for.
    Waiting(Vec<HeldMailbox>),
}

impl RunEvent {
    /// The finished mailbox, if that is what this event tells.
    pub fn finished(&self) -> Option<&MailboxFinished> {
        match self {
            RunEvent::Finished(done) => Some(done),
            RunEvent::Waiting(_) => None,
        }
    }
}

#[derive(Clone)]
pub struct RunSettings {
    /// Mailboxes this run copies at once (the batch's own option and the endpoints' limits
    /// bound it further).
    pub concurrency: usize,
    /// The process's mailbox slots, shared by every batch it runs: one per running mailbox.
    pub slots: Arc<Semaphore>,
    pub retry: RetryPolicy,
    /// How long a claim on a mailbox holds without a heartbeat (a dead worker's mailboxes are
    /// taken over after it).
    pub lease: Duration,
    /// The deadline of every answer from either server.
    pub imap_timeout: Duration,
    /// Mailboxes all processes migrate at once (`None`: no such limit).
    pub cluster_max: Option<u32>,
    /// Wait for the mailboxes other processes hold (the CLI); a worker leaves them to the next
    /// look for work.
    pub wait_for_held: bool,
}

impl RunSettings {
    /// Settings for `concurrency` mailboxes at once in a process of its own.
    pub fn with_concurrency(concurrency: usize) -> RunSettings {
        RunSettings {
            concurrency,
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            retry: RetryPolicy::default(),
            lease: claim::LEASE,
            imap_timeout: Duration::from_secs(60),
            cluster_max: None,
            wait_for_held: false,
        }
    }
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings::with_concurrency(4)
    }
}
