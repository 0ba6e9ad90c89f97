//! Batch and mailbox states, in the words of Exchange's migration pane.

use serde::{Deserialize, Serialize};

macro_rules! state_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal,)* }) => {
        $(#[$doc])*
        /// Stored as its code (a sea-orm active enum on the server).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
        #[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text"))]
        pub enum $name {
            $($(#[$vdoc])* #[cfg_attr(feature = "ssr", sea_orm(string_value = $code))] $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }
            pub fn parse(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use state_enum;

state_enum! {
    /// The state of a whole batch.
    BatchState {
        Created = "Created",
        /// The first pass or a delta sync runs.
        Syncing = "Syncing",
        /// Every mailbox was copied; delta syncs run on schedule until the batch is completed.
        Synced = "Synced",
        SyncedWithErrors = "SyncedWithErrors",
        /// The final delta sync runs (after Complete, or at the batch's CompleteAfter time).
        Completing = "Completing",
        Stopping = "Stopping",
        Stopped = "Stopped",
        Completed = "Completed",
        CompletedWithErrors = "CompletedWithErrors",
        Failed = "Failed",
    }
}

state_enum! {
    /// Where a batch's status e-mail is.
    EmailStatus {
        Sending = "sending",
        Sent = "sent",
        Failed = "failed",
    }
}

state_enum! {
    /// The state of one mailbox (one CSV row) within a batch.
    MailboxState {
        Queued = "Queued",
        Syncing = "Syncing",
        Synced = "Synced",
        Failed = "Failed",
        Stopped = "Stopped",
    }
}

impl MailboxState {
    /// A mailbox in one of these states will not change again without an admin action.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            MailboxState::Synced | MailboxState::Failed | MailboxState::Stopped
        )
    }
}

impl BatchState {
    /// A pass runs (or is being stopped): processes may be working on its mailboxes.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            BatchState::Syncing | BatchState::Completing | BatchState::Stopping
        )
    }

    /// The first pass is done and the batch waits for delta syncs and completion.
    pub fn is_synced(self) -> bool {
        matches!(self, BatchState::Synced | BatchState::SyncedWithErrors)
    }

    /// The batch has ended for good.
    pub fn is_completed(self) -> bool {
        matches!(
            self,
            BatchState::Completed | BatchState::CompletedWithErrors
        )
    }
}

/// One line of the dashboard's batch list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchSummary {
    pub id: crate::ids::BatchId,
    pub name: String,
    pub state: BatchState,
    pub mailboxes_total: u64,
    pub mailboxes_done: u64,
    pub mailboxes_failed: u64,
    pub messages_copied: u64,
    pub errors: u64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When the last pass (first or delta) ended with every mailbox done.
    pub last_synced_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the next scheduled delta sync runs (while Synced).
    pub next_sync_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The first pass starts by itself then (while Created).
    pub start_after: Option<chrono::DateTime<chrono::Utc>>,
    /// The batch completes by itself then (once Synced).
    pub complete_after: Option<chrono::DateTime<chrono::Utc>>,
}

/// One mailbox row of the batch page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MailboxRow {
    pub id: crate::ids::MailboxId,
    pub row_index: u32,
    pub email_address: String,
    pub state: MailboxState,
    pub folders_done: u32,
    pub folders_total: u32,
    pub messages_copied: u64,
    pub messages_total: u64,
    pub bytes_copied: u64,
    /// Bytes per second over the mailbox's own run time.
    pub bytes_per_sec: Option<f64>,
    pub error_kind: Option<crate::ErrorKind>,
    pub error_message: Option<String>,
    pub attempts: u32,
    /// When its last pass ended with every folder copied.
    pub last_synced_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The process working on it (scale-out), while it runs.
    pub claimed_by: Option<String>,
    /// Its last verification (none before the first).
    pub verification: Option<super::verification::VerificationBadge>,
    /// While its pass runs: what it copies now and how fast.
    pub live: Option<LiveDetail>,
    /// A personal account's consent: the link its user opens, and whether they did.
    pub consent: Option<ConsentView>,
}

/// The consent of a row whose source asks each user (personal accounts).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConsentView {
    /// The path of the row's consent link (unguessable; the admin sends it to the user).
    pub link: String,
    pub given: bool,
}

/// A running pass as it moves: from each folder's metadata on, what the pass copies and has
/// copied, the folders being copied, the rate over the last minute and the time left at it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LiveDetail {
    pub folders: String,
    pub messages_done: u64,
    pub messages_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Bytes per second over the last minute.
    pub rate: u64,
    /// At that rate; none while nothing moves.
    pub eta_secs: Option<u64>,
}

impl LiveDetail {
    /// The detail from its stored parts (the time left computed here).
    pub fn of(
        folders: String,
        (messages_done, messages_total): (u64, u64),
        (bytes_done, bytes_total): (u64, u64),
        rate: u64,
    ) -> LiveDetail {
        let left = bytes_total.saturating_sub(bytes_done);
        LiveDetail {
            folders,
            messages_done,
            messages_total,
            bytes_done,
            bytes_total,
            rate,
            eta_secs: (rate > 0).then(|| left.div_ceil(rate)),
        }
    }
}

/// Everything the batch page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchDetail {
    pub summary: BatchSummary,
    pub source: String,
    pub destination: String,
    pub options: super::batch_options::BatchOptions,
    pub notify_emails: Vec<String>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
    pub email_status: Option<EmailStatus>,
    pub bytes_copied: u64,
    pub messages_total: u64,
    /// The rows asked for, one page of them.
    pub filter: super::batch_rows::RowFilter,
    pub mailboxes: Vec<MailboxRow>,
    /// Rows matching the filter (all pages).
    pub rows_matching: u64,
    pub state_counts: super::batch_rows::StateCounts,
}

/// What a batch page watches: the batch, and the rows of its filter.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BatchWatch {
    pub id: crate::ids::BatchId,
    pub filter: super::batch_rows::RowFilter,
}

/// One message of the batch page's live channel: the batch's counts and the rows of the page
/// that changed since the previous message (the whole page in the first, and whenever the page
/// holds other rows or another order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchLive {
    pub summary: BatchSummary,
    pub bytes_copied: u64,
    pub messages_total: u64,
    pub email_status: Option<EmailStatus>,
    pub rows_matching: u64,
    pub state_counts: super::batch_rows::StateCounts,
    pub changed: Vec<MailboxRow>,
    /// The rows are the whole page: replace the table rather than merge.
    pub full: bool,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl BatchDetail {
    /// Applies a live message to the page's copy.
    pub fn apply(&mut self, live: BatchLive) {
        self.summary = live.summary;
        self.bytes_copied = live.bytes_copied;
        self.messages_total = live.messages_total;
        self.email_status = live.email_status;
        self.rows_matching = live.rows_matching;
        self.state_counts = live.state_counts;
        if live.full {
            self.mailboxes = live.changed;
            return;
        }
        // A row not on the page never comes without `full`.
        for row in live.changed {
            if let Some(existing) = self.mailboxes.iter_mut().find(|m| m.id == row.id) {
                *existing = row;
            }
        }
    }
}

/// The buttons of the batch page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BatchAction {
    Start,
    Stop,
    Resume,
    /// A delta sync of the synced mailboxes now, not at the scheduled time.
    SyncNow,
    /// The final delta sync, then the batch ends Completed.
    Complete,
    /// Queue the failed mailboxes of this batch again, in this batch.
    RetryFailed,
    /// A new batch of the failed rows, with their stored credentials.
    NewBatchFromFailed,
    /// Compare every mailbox a pass has ended for with its source (in the background).
    Verify,
    /// Copy what the last verification found missing.
    CopyMissing,
    Delete,
}

/// What an action left: the batch to show next (none after a delete).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionOutcome {
    pub show: Option<crate::ids::BatchId>,
}

/// One row of a pre-flight check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreflightRowView {
    pub row_index: u32,
    pub email_address: String,
    pub folders: u32,
    pub messages: u64,
    pub bytes: u64,
    pub estimate_secs: u64,
    pub problem: Option<(crate::ErrorKind, String)>,
}

/// A problem of an uploaded CSV file, at a spreadsheet row (header = 1) and column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvProblemView {
    pub row: u32,
    pub column: Option<String>,
    pub message: String,
}

/// The answer to an upload: the new batch, or every problem of the file (nothing stored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadOutcome {
    Created {
        batch: crate::ids::BatchId,
        rows: u32,
    },
    Rejected {
        problems: Vec<CsvProblemView>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        for s in BatchState::ALL {
            assert_eq!(BatchState::parse(s.as_str()), Some(*s));
        }
        for s in MailboxState::ALL {
            assert_eq!(MailboxState::parse(s.as_str()), Some(*s));
        }
        assert!(MailboxState::Failed.is_final());
        assert!(!MailboxState::Syncing.is_final());
    }
}
