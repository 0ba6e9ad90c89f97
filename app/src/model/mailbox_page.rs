//! The mailbox page: one batch row with its folders, the history of its passes, its errors
//! (current and overcome) and its last verification.

use serde::{Deserialize, Serialize};

use super::batch::{BatchState, MailboxRow, MailboxState};
use super::report::ErrorRow;
use crate::error_kind::ErrorKind;
use crate::ids::BatchId;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MailboxDetail {
    pub batch: BatchId,
    pub batch_name: String,
    pub batch_state: BatchState,
    pub row: MailboxRow,
    pub source_username: String,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
    pub messages_skipped: u64,
    pub flags_updated: u64,
    pub deletions_applied: u64,
    pub folders: Vec<FolderView>,
    /// Newest first.
    pub passes: Vec<PassView>,
    /// Current ones first, then those a later pass overcame; newest first within each.
    pub errors: Vec<ErrorRow>,
}

/// One source folder as the engine's state and the last verification know it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FolderView {
    /// The decoded source name.
    pub folder: String,
    /// The decoded destination name.
    pub destination: String,
    /// Messages in the source folder at the last pass.
    pub source_messages: u64,
    /// Source messages copied (or found on the destination) so far.
    pub copied: u64,
    pub last_pass: Option<chrono::DateTime<chrono::Utc>>,
    pub verified: Option<FolderCheck>,
}

/// A folder's side of the last verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderCheck {
    pub source_messages: u64,
    pub source_bytes: u64,
    pub destination_messages: u64,
    pub destination_bytes: u64,
    pub missing: u64,
    pub extra: u64,
    /// Arrived with the same Message-ID but another size or date (not missing).
    pub changed: u64,
}

/// One ended pass.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassView {
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub ended_at: chrono::DateTime<chrono::Utc>,
    pub state: MailboxState,
    pub copied: u64,
    pub bytes: u64,
    pub flags_updated: u64,
    pub deleted: u64,
    pub problems: u64,
    pub error_kind: Option<ErrorKind>,
}

/// The buttons of the mailbox page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MailboxAction {
    /// Compare this mailbox with its source (in the background).
    Verify,
    /// Copy what its last verification found missing.
    CopyMissing,
}
