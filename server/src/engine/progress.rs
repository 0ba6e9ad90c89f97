//! How the engine reports progress while it copies: the batch runner's sink writes counters in
//! the same transaction as each commit and tells the engine when an admin stopped the batch.

/// Receives progress as it is committed.
pub trait ProgressSink: Send + Sync {
    /// Messages committed (after their state is stored).
    fn copied(&self, messages: u64, bytes: u64);
    /// The batch mailbox whose counters are updated with each commit, in its transaction.
    fn mailbox_row(&self) -> Option<i64> {
        None
    }
    /// An admin stopped the batch: finish the transaction in flight, then stop.
    fn stop_requested(&self) -> bool {
        false
    }
    /// A folder's copy begins (`shown`: its decoded name) or ends.
    fn folder_started(&self, _shown: &str) {}
    fn folder_ended(&self, _shown: &str) {}
    /// What this pass will copy of a folder, known once its metadata is read (replaces what an
    /// earlier attempt of the pass said of it).
    fn to_copy(&self, _shown: &str, _messages: u64, _bytes: u64) {}
}

/// Progress nobody watches (tests, pre-flight).
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn copied(&self, _: u64, _: u64) {}
}
