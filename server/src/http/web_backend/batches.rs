//! The batch pages' side of the backend: create from an upload, show, act, pre-flight.

use sea_orm::EntityTrait;

use app::api::AppError;
use app::ids::{BatchId, EndpointId};
use app::model::batch::{
    ActionOutcome, BatchAction, BatchDetail, CsvProblemView, PreflightRowView, UploadOutcome,
};
use app::model::batch_rows::RowFilter;
use app::model::batch_upload::BatchUpload;
use app::model::endpoint::EndpointRole;

use super::batch_view::load;
use super::{WebBackend, internal};
use crate::batches::actions::{self, ActionError};
use crate::batches::create_batch::{CreateBatchError, NewBatch, Schedule, create_batch};
use crate::batches::lifecycle;
use crate::batches::preflight::{PreflightError, preflight};
use crate::csv_import::{Passwords, parse_csv_with};
use crate::db::entity::{endpoint, mailbox};

pub(super) fn action_error(error: ActionError) -> AppError {
    match error {
        ActionError::NotFound(_) => AppError::NotFound,
        ActionError::Db(e) => internal(e),
        ActionError::Csv(e) => {
            tracing::error!(error = %e, "writing a CSV");
            AppError::Internal
        }
        other @ (ActionError::Running(_)
        | ActionError::NothingToRetry(_)
        | ActionError::NothingMissing(_)
        | ActionError::NotSynced(..)
        | ActionError::AlreadyRunning(_)
        | ActionError::Secret { .. }) => AppError::Conflict(other.to_string()),
    }
}

fn verify_error(error: crate::verify::run::VerifyError) -> AppError {
    use crate::verify::run::VerifyError;
    match error {
        VerifyError::Db(e) => internal(e),
        VerifyError::NotFound(_) => AppError::NotFound,
        other => AppError::Conflict(other.to_string()),
    }
}

impl WebBackend {
    /// Checks the endpoint exists with `role`; returns it.
    async fn endpoint_of_role(
        &self,
        id: EndpointId,
        role: EndpointRole,
    ) -> Result<endpoint::Model, AppError> {
        let found = endpoint::Entity::find_by_id(id.0)
            .one(&self.state.db)
            .await
            .map_err(internal)?;
        let label = match role {
            EndpointRole::Source => "Source",
            EndpointRole::Destination => "Destination",
        };
        match found {
            Some(e) if e.role == role => Ok(e),
            Some(_) => Err(AppError::invalid(
                label,
                format!("choose a {} endpoint", role.as_str()),
            )),
            None => Err(AppError::invalid(
                label,
                "that endpoint does not exist (any more)",
            )),
        }
    }

    pub(super) async fn create_from_upload(
        &self,
        upload: BatchUpload,
    ) -> Result<UploadOutcome, AppError> {
        let source = self
            .endpoint_of_role(upload.source, EndpointRole::Source)
            .await?;
        self.endpoint_of_role(upload.destination, EndpointRole::Destination)
            .await?;
        let passwords = if source.signs_users_in() {
            Passwords::Optional
        } else {
            Passwords::Required
        };
        let rows = match parse_csv_with(&upload.csv, passwords) {
            Ok(rows) => rows,
            Err(problems) => {
                return Ok(UploadOutcome::Rejected {
                    problems: problems
                        .into_iter()
                        .map(|p| CsvProblemView {
                            row: p.row,
                            column: p.column,
                            message: p.message,
                        })
                        .collect(),
                });
            }
        };
        let id = create_batch(
            &self.state.db,
            &self.state.cipher,
            NewBatch {
                name: upload.name,
                source_endpoint_id: upload.source.0,
                destination_endpoint_id: upload.destination.0,
                options: &upload.options,
                notify_emails: upload.notify_emails,
                rows: &rows,
                origin: None,
                schedule: Schedule {
                    start_after: upload.start_after,
                    complete_after: upload.complete_after,
                    complete_at_once: false,
                },
            },
        )
        .await
        .map_err(|e| match e {
            CreateBatchError::Db(e) => internal(e),
            running @ CreateBatchError::AlreadyRunning(_) => {
                AppError::Conflict(running.to_string())
            }
        })?;
        tracing::info!(
            batch = id,
            rows = rows.len(),
            "batch created from an upload"
        );
        Ok(UploadOutcome::Created {
            batch: BatchId(id),
            rows: rows.len() as u32,
        })
    }

    pub(super) async fn batch_detail(
        &self,
        id: BatchId,
        filter: RowFilter,
    ) -> Result<BatchDetail, AppError> {
        let db = &self.state.db;
        let filter = filter.bounded();
        let (found, snapshot) = load(db, id, &filter)
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)?;
        let endpoint_name = |endpoint_id: Option<i64>| async move {
            match endpoint_id {
                Some(eid) => endpoint::Entity::find_by_id(eid)
                    .one(db)
                    .await
                    .map_err(internal)
                    .map(|e| e.map(|e| e.name).unwrap_or_else(|| "(deleted)".into())),
                None => Ok("(none)".into()),
            }
        };
        Ok(BatchDetail {
            summary: snapshot.summary,
            source: endpoint_name(found.source_endpoint_id).await?,
            destination: endpoint_name(found.destination_endpoint_id).await?,
            options: found.options.clone(),
            notify_emails: found.notify_emails.0.clone(),
            started_at: found.started_at,
            ended_at: found.ended_at,
            email_status: found.email_status,
            bytes_copied: snapshot.bytes_copied,
            messages_total: snapshot.messages_total,
            filter,
            mailboxes: snapshot.rows,
            rows_matching: snapshot.rows_matching,
            state_counts: snapshot.state_counts,
        })
    }

    pub(super) async fn act(
        &self,
        id: BatchId,
        action: BatchAction,
    ) -> Result<ActionOutcome, AppError> {
        let db = &self.state.db;
        let raw = id.0;
        let show = match action {
            BatchAction::Start => {
                actions::start(db, raw).await.map_err(action_error)?;
                Some(id)
            }
            BatchAction::Stop => {
                actions::stop(db, raw).await.map_err(action_error)?;
                Some(id)
            }
            BatchAction::Resume | BatchAction::RetryFailed => {
                actions::resume(db, raw).await.map_err(action_error)?;
                actions::start(db, raw).await.map_err(action_error)?;
                Some(id)
            }
            BatchAction::SyncNow => {
                lifecycle::sync_now(db, raw).await.map_err(action_error)?;
                Some(id)
            }
            BatchAction::Complete => {
                lifecycle::complete(db, raw).await.map_err(action_error)?;
                Some(id)
            }
            BatchAction::NewBatchFromFailed => {
                let new = actions::new_batch_from_failed(db, &self.state.cipher, raw)
                    .await
                    .map_err(action_error)?;
                Some(BatchId(new))
            }
            BatchAction::Verify => {
                let rows = crate::verify::run::rows_to_verify(db, raw, None)
                    .await
                    .map_err(verify_error)?;
                self.verify_in_background(raw, rows).await;
                Some(id)
            }
            BatchAction::CopyMissing => {
                crate::verify::copy_missing::copy_missing(db, raw, None)
                    .await
                    .map_err(action_error)?;
                Some(id)
            }
            BatchAction::Delete => {
                actions::delete(db, raw).await.map_err(action_error)?;
                None
            }
        };
        tracing::info!(batch = raw, ?action, "batch action");
        Ok(ActionOutcome { show })
    }

    /// Starts verifying `rows` of the batch; the pages follow their badges live.
    pub(super) async fn verify_in_background(&self, batch_id: i64, rows: Vec<mailbox::Model>) {
        let (db, cipher) = (self.state.db.clone(), self.state.cipher.clone());
        // Marked before the answer: a page that reads the rows right after it sees them being
        // verified (and keeps following them), never the old verdict as if it were the new.
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        if let Err(e) = crate::verify::store::mark_verifying(&db, &ids).await {
            tracing::error!(batch = batch_id, error = %e, "marking rows as being verified");
        }
        tokio::spawn(async move {
            match crate::verify::run::verify_rows(&db, &cipher, batch_id, rows).await {
                Ok(tally) => tracing::info!(batch = batch_id, ?tally, "verified"),
                Err(e) => tracing::error!(batch = batch_id, error = %e, "verifying"),
            }
        });
    }

    pub(super) async fn run_preflight(
        &self,
        id: BatchId,
    ) -> Result<Vec<PreflightRowView>, AppError> {
        let rows = preflight(&self.state.db, &self.state.cipher, id.0)
            .await
            .map_err(|e| match e {
                PreflightError::NotFound(_) => AppError::NotFound,
                PreflightError::Db(e) => internal(e),
                PreflightError::Endpoint(e) => super::endpoints::store_error(e),
            })?;
        Ok(rows
            .into_iter()
            .map(|r| PreflightRowView {
                row_index: r.row_index.max(0) as u32,
                email_address: r.email,
                folders: r.folders,
                messages: r.messages,
                bytes: r.bytes,
                estimate_secs: r.estimate.as_secs(),
                problem: r.problem,
            })
            .collect())
    }
}
