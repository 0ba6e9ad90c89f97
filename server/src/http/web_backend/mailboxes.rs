//! The mailbox page's side of the backend: one row with its folders (the engine's state and
//! the last verification), the history of its passes, its errors; Verify and Copy missing on it.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use app::api::AppError;
use app::ids::{BatchId, MailboxId};
use app::model::mailbox_page::{FolderCheck, FolderView, MailboxAction, MailboxDetail, PassView};
use app::model::report::ErrorRow;

use super::batch_view::mailbox_row;
use super::{WebBackend, internal};
use crate::db::entity::{
    batch, folder_state, mailbox, mailbox_pass, migration_error, sync_account, verification_folder,
};
use crate::imap::uid_set::UidSet;
use crate::imap::utf7;
use crate::report::error_query::to_row;

/// The most errors of each kind (current, overcome) and passes the page lists.
const LISTED: u64 = 500;

fn decoded(wire: &str) -> String {
    utf7::decode(wire).unwrap_or_else(|_| wire.to_string())
}

fn check_of(v: &verification_folder::Model) -> FolderCheck {
    let n = |v: i64| v.max(0) as u64;
    FolderCheck {
        source_messages: n(v.source_messages),
        source_bytes: n(v.source_bytes),
        destination_messages: n(v.destination_messages),
        destination_bytes: n(v.destination_bytes),
        missing: n(v.missing),
        extra: n(v.extra),
        changed: n(v.changed),
    }
}

fn pass_of(p: mailbox_pass::Model) -> PassView {
    let n = |v: i64| v.max(0) as u64;
    PassView {
        started_at: p.started_at,
        ended_at: p.ended_at,
        state: p.state,
        copied: n(p.copied),
        bytes: n(p.bytes),
        flags_updated: n(p.flags_updated),
        deleted: n(p.deleted),
        problems: n(p.problems),
        error_kind: p.error_kind,
    }
}

impl WebBackend {
    async fn row_of(&self, id: MailboxId) -> Result<mailbox::Model, AppError> {
        mailbox::Entity::find_by_id(id.0)
            .one(&self.state.db)
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)
    }

    /// The account's folders as the engine knows them, with the last verification's counts.
    async fn folders_of(&self, row: &mailbox::Model) -> Result<Vec<FolderView>, AppError> {
        let db = &self.state.db;
        let checks: HashMap<String, FolderCheck> = verification_folder::Entity::find()
            .filter(verification_folder::Column::MailboxId.eq(row.id))
            .all(db)
            .await
            .map_err(internal)?
            .iter()
            .map(|v| (v.source_folder.clone(), check_of(v)))
            .collect();
        let account = sync_account::find_by_email(db, &row.email_address)
            .await
            .map_err(internal)?;
        let Some(account) = account else {
            return Ok(Vec::new());
        };
        let mut folders: Vec<FolderView> = folder_state::Entity::find()
            .filter(folder_state::Column::AccountId.eq(account.id))
            .all(db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|f| FolderView {
                folder: decoded(&f.source_folder),
                destination: decoded(&f.destination_folder),
                source_messages: f.exists_count.max(0) as u64,
                copied: UidSet::parse(&f.copied_uids).map_or(0, |s| s.len()),
                last_pass: Some(f.updated_at),
                verified: checks.get(&f.source_folder).cloned(),
            })
            .collect();
        folders.sort_by(|a, b| a.folder.cmp(&b.folder));
        Ok(folders)
    }

    async fn errors_of(&self, row: &mailbox::Model) -> Result<Vec<ErrorRow>, AppError> {
        let mut errors = Vec::new();
        for current in [true, false] {
            let resolved = migration_error::Column::ResolvedAt;
            let filter = if current {
                resolved.is_null()
            } else {
                resolved.is_not_null()
            };
            let found = migration_error::Entity::find()
                .filter(migration_error::Column::MailboxId.eq(row.id))
                .filter(filter)
                .order_by_desc(migration_error::Column::CreatedAt)
                .limit(LISTED)
                .all(&self.state.db)
                .await
                .map_err(internal)?;
            errors.extend(found.into_iter().map(to_row));
        }
        Ok(errors)
    }

    pub(super) async fn mailbox_detail(&self, id: MailboxId) -> Result<MailboxDetail, AppError> {
        let db = &self.state.db;
        let row = self.row_of(id).await?;
        let found = batch::find(db, row.batch_id)
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)?;
        let badge = crate::verify::store::badges(db, &[row.id])
            .await
            .map_err(internal)?
            .remove(&row.id);
        let passes = mailbox_pass::Entity::find()
            .filter(mailbox_pass::Column::MailboxId.eq(row.id))
            .order_by_desc(mailbox_pass::Column::EndedAt)
            .limit(LISTED)
            .all(db)
            .await
            .map_err(internal)?;
        let n = |v: i64| v.max(0) as u64;
        Ok(MailboxDetail {
            batch: BatchId(found.id),
            batch_name: found.name,
            batch_state: found.state,
            source_username: row.source_username.clone(),
            started_at: row.started_at,
            ended_at: row.ended_at,
            messages_skipped: n(row.messages_skipped),
            flags_updated: n(row.flags_updated),
            deletions_applied: n(row.deletions_applied),
            folders: self.folders_of(&row).await?,
            passes: passes.into_iter().map(pass_of).collect(),
            errors: self.errors_of(&row).await?,
            row: mailbox_row(&row, badge),
        })
    }

    pub(super) async fn act_on_mailbox(
        &self,
        id: MailboxId,
        action: MailboxAction,
    ) -> Result<BatchId, AppError> {
        let row = self.row_of(id).await?;
        let batch_id = row.batch_id;
        match action {
            MailboxAction::Verify => {
                if !row.state.is_final() {
                    return Err(AppError::Conflict(format!(
                        "{} is {}: it is verified once its pass has ended",
                        row.email_address, row.state
                    )));
                }
                self.verify_in_background(batch_id, vec![row]).await;
            }
            MailboxAction::CopyMissing => {
                crate::verify::copy_missing::copy_missing(&self.state.db, batch_id, Some(&[id.0]))
                    .await
                    .map_err(super::batches::action_error)?;
            }
        }
        tracing::info!(mailbox = id.0, ?action, "mailbox action");
        Ok(BatchId(batch_id))
    }
}
