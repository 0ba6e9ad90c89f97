//! Verifications as stored: each mailbox's last one (a row, replaced by the next) and its
//! folders. Writing one touches the mailbox row, so the batch page's change events carry it.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};

use app::model::verification::{VerificationBadge, VerifyOutcome};

use super::compare::Gap;
use super::mailbox::FolderVerdict;
use crate::db::entity::{mailbox, verification, verification_folder};
use crate::imap::uid_set::UidSet;

/// The gaps of one folder as stored (JSON).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct StoredGaps {
    pub missing: Vec<Gap>,
    pub extra: Vec<Gap>,
    /// Absent from verifications stored before m0020.
    #[serde(default)]
    pub changed: Vec<Gap>,
}

/// How a verification ended: the folders compared, or why no comparison could be made.
pub type Verdict = Result<Vec<FolderVerdict>, String>;

fn summary_row(mailbox_id: i64, verdict: &Verdict) -> verification::ActiveModel {
    let (folders, source, destination, missing, extra, changed, detail) = match verdict {
        Ok(folders) => {
            let sum = |f: fn(&FolderVerdict) -> u64| folders.iter().map(f).sum::<u64>() as i64;
            (
                folders.len() as i32,
                sum(|f| f.compare.source_messages),
                sum(|f| f.compare.destination_messages),
                sum(|f| f.compare.missing_uids.len() as u64),
                sum(|f| f.compare.extra),
                sum(|f| f.compare.changed),
                None,
            )
        }
        Err(why) => (0, 0, 0, 0, 0, 0, Some(why.clone())),
    };
    let outcome = match (verdict, missing) {
        (Err(_), _) => VerifyOutcome::Failed,
        (Ok(_), 0) => VerifyOutcome::Whole,
        (Ok(_), _) => VerifyOutcome::Missing,
    };
    verification::ActiveModel {
        mailbox_id: Set(mailbox_id),
        outcome: Set(outcome),
        folders: Set(folders),
        source_messages: Set(source),
        destination_messages: Set(destination),
        missing: Set(missing),
        extra: Set(extra),
        changed: Set(changed),
        detail: Set(detail),
        verified_at: Set(Utc::now()),
        ..Default::default()
    }
}

fn folder_row(mailbox_id: i64, f: &FolderVerdict) -> verification_folder::ActiveModel {
    let c = &f.compare;
    let gaps = StoredGaps {
        missing: c.missing_gaps.clone(),
        extra: c.extra_gaps.clone(),
        changed: c.changed_gaps.clone(),
    };
    let missing: UidSet = c.missing_uids.iter().copied().collect();
    verification_folder::ActiveModel {
        mailbox_id: Set(mailbox_id),
        folder: Set(f.shown.clone()),
        source_folder: Set(f.source.clone()),
        destination_folder: Set(f.target.clone()),
        source_messages: Set(c.source_messages as i64),
        source_bytes: Set(c.source_bytes as i64),
        destination_messages: Set(c.destination_messages as i64),
        destination_bytes: Set(c.destination_bytes as i64),
        missing: Set(c.missing_uids.len() as i64),
        extra: Set(c.extra as i64),
        changed: Set(c.changed as i64),
        missing_uids: Set(missing.to_string()),
        gaps: Set(serde_json::to_string(&gaps).unwrap_or_default()),
        ..Default::default()
    }
}

async fn upsert(db: &impl ConnectionTrait, row: verification::ActiveModel) -> Result<(), DbErr> {
    verification::Entity::insert(row)
        .on_conflict(
            OnConflict::column(verification::Column::MailboxId)
                .update_columns([
                    verification::Column::Outcome,
                    verification::Column::Folders,
                    verification::Column::SourceMessages,
                    verification::Column::DestinationMessages,
                    verification::Column::Missing,
                    verification::Column::Extra,
                    verification::Column::Changed,
                    verification::Column::Detail,
                    verification::Column::VerifiedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

async fn touch(db: &impl ConnectionTrait, mailbox_ids: &[i64]) -> Result<(), DbErr> {
    mailbox::Entity::update_many()
        .col_expr(mailbox::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(mailbox::Column::Id.is_in(mailbox_ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces the mailbox's verification with `verdict` (nothing for a row removed meanwhile);
/// returns its outcome.
pub(crate) async fn save(
    db: &DatabaseConnection,
    mailbox_id: i64,
    verdict: &Verdict,
) -> Result<VerifyOutcome, DbErr> {
    let row = summary_row(mailbox_id, verdict);
    let outcome = row.outcome.clone().unwrap();
    let txn = db.begin().await?;
    // A write first: on SQLite a transaction that reads and then writes fails at once ("database
    // is locked") when another writer got in between; one that starts by writing waits its turn.
    verification_folder::Entity::delete_many()
        .filter(verification_folder::Column::MailboxId.eq(mailbox_id))
        .exec(&txn)
        .await?;
    if mailbox::Entity::find_by_id(mailbox_id)
        .one(&txn)
        .await?
        .is_none()
    {
        // Removed from its batch meanwhile: nothing to keep.
        return Ok(outcome);
    }
    if let Ok(folders) = verdict {
        let rows: Vec<_> = folders.iter().map(|f| folder_row(mailbox_id, f)).collect();
        for chunk in rows.chunks(200) {
            verification_folder::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
    }
    upsert(&txn, row).await?;
    touch(&txn, &[mailbox_id]).await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Shows the mailboxes as being verified (their last result stays until the new one).
pub(crate) async fn mark_verifying(
    db: &DatabaseConnection,
    mailbox_ids: &[i64],
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    for chunk in mailbox_ids.chunks(500) {
        verification::Entity::update_many()
            .col_expr(
                verification::Column::Outcome,
                Expr::value(VerifyOutcome::Verifying),
            )
            .col_expr(verification::Column::VerifiedAt, Expr::value(Utc::now()))
            .filter(verification::Column::MailboxId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
        let known: Vec<i64> = verification::Entity::find()
            .filter(verification::Column::MailboxId.is_in(chunk.iter().copied()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|v| v.mailbox_id)
            .collect();
        for &id in chunk.iter().filter(|id| !known.contains(id)) {
            let mut row = summary_row(id, &Ok(Vec::new()));
            row.outcome = Set(VerifyOutcome::Verifying);
            upsert(&txn, row).await?;
        }
        touch(&txn, chunk).await?;
    }
    txn.commit().await
}

/// The badges of these mailboxes (those verified at least once).
pub async fn badges(
    db: &impl ConnectionTrait,
    mailbox_ids: &[i64],
) -> Result<HashMap<i64, VerificationBadge>, DbErr> {
    let mut out = HashMap::new();
    for chunk in mailbox_ids.chunks(500) {
        for v in verification::Entity::find()
            .filter(verification::Column::MailboxId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            out.insert(v.mailbox_id, badge(&v));
        }
    }
    Ok(out)
}

/// A verification still "verifying" this long after it began was cut short (its process
/// stopped): shown as not verified, to be asked again.
const INTERRUPTED_AFTER: chrono::Duration = chrono::Duration::minutes(30);

pub(crate) fn badge(v: &verification::Model) -> VerificationBadge {
    let interrupted =
        v.outcome == VerifyOutcome::Verifying && Utc::now() - v.verified_at > INTERRUPTED_AFTER;
    VerificationBadge {
        outcome: if interrupted {
            VerifyOutcome::Failed
        } else {
            v.outcome
        },
        missing: v.missing.max(0) as u64,
        extra: v.extra.max(0) as u64,
        at: v.verified_at,
        detail: if interrupted {
            Some("interrupted: the process verifying it stopped; verify again".into())
        } else {
            v.detail.clone()
        },
    }
}

/// One mailbox's last verification and its folders, in name order.
pub(crate) async fn of_mailbox(
    db: &impl ConnectionTrait,
    mailbox_id: i64,
) -> Result<Option<(verification::Model, Vec<verification_folder::Model>)>, DbErr> {
    let Some(summary) = verification::Entity::find()
        .filter(verification::Column::MailboxId.eq(mailbox_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let folders = verification_folder::Entity::find()
        .filter(verification_folder::Column::MailboxId.eq(mailbox_id))
        .order_by_asc(verification_folder::Column::Folder)
        .all(db)
        .await?;
    Ok(Some((summary, folders)))
}

/// Forgets the verifications of these mailboxes (their batch is deleted).
pub(crate) async fn delete_for(
    db: &impl ConnectionTrait,
    mailbox_ids: &[i64],
) -> Result<(), DbErr> {
    for chunk in mailbox_ids.chunks(500) {
        verification_folder::Entity::delete_many()
            .filter(verification_folder::Column::MailboxId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
        verification::Entity::delete_many()
            .filter(verification::Column::MailboxId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}
