//! The error report ("Active mailbox migration errors"): filters, rows, counts.

use serde::{Deserialize, Serialize};

use crate::error_kind::ErrorKind;
use crate::ids::{BatchId, MailboxId};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorSort {
    #[default]
    NewestFirst,
    OldestFirst,
    ByMailbox,
}

// `default`: a form-encoded filter leaves out empty lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorFilter {
    pub batch: Option<BatchId>,
    /// Empty = every kind.
    pub kinds: Vec<ErrorKind>,
    /// Part of the EmailAddress (case-insensitive).
    pub mailbox: Option<String>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// Also the errors a later pass overcame (by default only current ones).
    pub resolved_too: bool,
    pub sort: ErrorSort,
    /// 0-based.
    pub page: u32,
    pub per_page: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRow {
    pub id: i64,
    pub batch: BatchId,
    pub mailbox: MailboxId,
    pub row_index: u32,
    pub email_address: String,
    pub kind: ErrorKind,
    pub detail: String,
    pub folder: Option<String>,
    pub uid: Option<u32>,
    pub subject: Option<String>,
    pub size: Option<u64>,
    pub time: chrono::DateTime<chrono::Utc>,
    /// When a later pass overcame it.
    pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorPage {
    pub rows: Vec<ErrorRow>,
    /// Rows matching the filter (all pages).
    pub total: u64,
    /// Matching rows per kind, ignoring the filter's own kind selection (for the filter chips).
    pub counts: Vec<(ErrorKind, u64)>,
}
