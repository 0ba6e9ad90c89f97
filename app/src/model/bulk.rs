//! Bulk actions on a batch's rows: on a selection, or on every row a filter matches.

use serde::{Deserialize, Serialize};

use super::batch_rows::RowFilter;
use crate::ids::MailboxId;

/// What a bulk action acts on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowTarget {
    /// These rows (of the batch).
    Selected(Vec<MailboxId>),
    /// Every row of the batch the filter matches, on every page.
    Matching(RowFilter),
}

/// The bulk buttons of the batch page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BulkAction {
    /// Queued rows stop at once, running ones after their transaction in flight.
    Stop,
    /// Stopped rows are queued again.
    Resume,
    /// Failed rows are queued again.
    Retry,
    /// Synced rows get a delta pass now.
    SyncNow,
    /// The rows leave the batch (not running ones); the accounts' sync state stays.
    Remove,
    /// Compare the rows with their source (in the background).
    Verify,
    /// Copy what the rows' last verification found missing.
    CopyMissing,
}

impl BulkAction {
    pub const ALL: [BulkAction; 7] = [
        BulkAction::Stop,
        BulkAction::Resume,
        BulkAction::Retry,
        BulkAction::SyncNow,
        BulkAction::Verify,
        BulkAction::CopyMissing,
        BulkAction::Remove,
    ];

    pub fn code(self) -> &'static str {
        match self {
            BulkAction::Stop => "stop",
            BulkAction::Resume => "resume",
            BulkAction::Retry => "retry",
            BulkAction::SyncNow => "sync-now",
            BulkAction::Remove => "remove",
            BulkAction::Verify => "verify",
            BulkAction::CopyMissing => "copy-missing",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BulkAction::Stop => "Stop",
            BulkAction::Resume => "Resume",
            BulkAction::Retry => "Retry",
            BulkAction::SyncNow => "Sync now",
            BulkAction::Remove => "Remove from batch",
            BulkAction::Verify => "Verify",
            BulkAction::CopyMissing => "Copy missing",
        }
    }
}

/// What a bulk action did: rows it acted on, and rows it left (not in a state it applies to).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub affected: u64,
    pub left: u64,
}
