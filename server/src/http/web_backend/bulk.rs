//! Bulk actions of the batch page: the target's rows read once, then the action on those in a
//! state it applies to.

use app::api::AppError;
use app::ids::BatchId;
use app::model::batch::MailboxState;
use app::model::bulk::{BulkAction, BulkOutcome, RowTarget};

use super::batches::action_error;
use super::{WebBackend, internal};
use crate::batches::bulk;

impl WebBackend {
    pub(super) async fn act_on_rows(
        &self,
        batch: BatchId,
        target: RowTarget,
        action: BulkAction,
    ) -> Result<BulkOutcome, AppError> {
        let db = &self.state.db;
        crate::batches::actions::find(db, batch.0)
            .await
            .map_err(action_error)?;
        let rows = bulk::rows_of(db, batch.0, &target)
            .await
            .map_err(internal)?;
        let queue = |from: &'static [MailboxState]| bulk::queue(db, batch.0, &rows, from);
        let outcome = match action {
            BulkAction::Stop => bulk::stop(db, &rows).await.map_err(internal)?,
            BulkAction::Resume => queue(&[MailboxState::Stopped])
                .await
                .map_err(action_error)?,
            BulkAction::Retry => queue(&[MailboxState::Failed]).await.map_err(action_error)?,
            BulkAction::SyncNow => queue(&[MailboxState::Synced]).await.map_err(action_error)?,
            BulkAction::Remove => bulk::remove(db, &rows).await.map_err(internal)?,
            BulkAction::Verify => {
                let ended: Vec<_> = rows
                    .iter()
                    .filter(|r| r.state.is_final())
                    .cloned()
                    .collect();
                let affected = ended.len() as u64;
                if !ended.is_empty() {
                    self.verify_in_background(batch.0, ended).await;
                }
                bulk::outcome(&rows, affected)
            }
            BulkAction::CopyMissing => {
                let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                let copy = crate::verify::copy_missing::copy_missing(db, batch.0, Some(&ids));
                let affected = copy.await.map_err(action_error)?;
                bulk::outcome(&rows, affected)
            }
        };
        tracing::info!(batch = batch.0, ?action, ?outcome, "bulk action");
        Ok(outcome)
    }
}
