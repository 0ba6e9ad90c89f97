//! What the dashboard shows.

use serde::{Deserialize, Serialize};

use super::batch::BatchSummary;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub batches: Vec<BatchSummary>,
    pub mailboxes_total: u64,
    pub mailboxes_synced: u64,
    pub mailboxes_failed: u64,
    pub errors_total: u64,
}
