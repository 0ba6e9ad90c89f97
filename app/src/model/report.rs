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
    /// 0-based: the page number shown (and the offset when no cursor is given).
    pub page: u32,
    pub per_page: u32,
    /// Keyset paging: the page after (or before) this row, in the filter's order. A page deep
    /// in a million errors costs what the first one does.
    pub after: Option<ErrorCursor>,
    pub before: Option<ErrorCursor>,
}

/// A row's place in the report's order: its sort key (time, or address) and id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCursor {
    /// RFC 3339 with nanoseconds for the time sorts, the address for "by mailbox".
    pub key: String,
    pub id: i64,
}

impl ErrorCursor {
    /// The cursor of `row` in `sort`'s order.
    pub fn of(row: &ErrorRow, sort: ErrorSort) -> ErrorCursor {
        let key = match sort {
            ErrorSort::ByMailbox => row.email_address.clone(),
            _ => row.time.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        };
        ErrorCursor { key, id: row.id }
    }

    /// As a URL parameter: `id` then the key (ids hold no `.`).
    pub fn to_param(&self) -> String {
        format!("{}.{}", self.id, self.key)
    }

    pub fn from_param(text: &str) -> Option<ErrorCursor> {
        let (id, key) = text.split_once('.')?;
        Some(ErrorCursor {
            key: key.to_string(),
            id: id.parse().ok()?,
        })
    }
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
