//! The engine's durable state: accounts, per-folder sync state (UIDVALIDITY, copied UIDs) and
//! the journal of messages being appended right now. A message counts as copied only once the
//! destination's tagged OK is committed here.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use super::message_map::{self, Copied};
use crate::db::entity::{append_journal, folder_state, mailbox, sync_account};
use crate::imap::fetch::MessageMeta;
use crate::imap::uid_set::UidSet;

/// One source folder's state in memory.
#[derive(Clone, Debug)]
pub struct FolderState {
    pub id: i64,
    pub uidvalidity: u32,
    pub copied: UidSet,
    pub uidnext: u32,
    pub exists: u32,
    /// HIGHESTMODSEQ at the last complete pass: equal now, no flag changed either.
    pub highest_modseq: Option<u64>,
}

/// The account row of a destination mailbox, created on first use.
pub async fn account(
    db: &DatabaseConnection,
    email: &str,
    source_user: &str,
) -> Result<sync_account::Model, DbErr> {
    if let Some(found) = sync_account::Entity::find()
        .filter(sync_account::Column::EmailAddress.eq(email))
        .one(db)
        .await?
    {
        return Ok(found);
    }
    let inserted = sync_account::ActiveModel {
        email_address: Set(email.to_string()),
        source_username: Set(source_user.to_string()),
        completed_at: Set(None),
        last_batch_id: Set(None),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(model) => Ok(model),
        // Another worker created it at the same moment.
        Err(_) => sync_account::Entity::find()
            .filter(sync_account::Column::EmailAddress.eq(email))
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("account {email}"))),
    }
}

/// Records the source's personal namespace prefix at a mailbox's first pass; afterwards, returns
/// the recorded one when `prefix` differs from it (folder states are keyed by source names).
pub async fn source_prefix_changed(
    db: &DatabaseConnection,
    account_id: i64,
    prefix: &str,
) -> Result<Option<String>, DbErr> {
    let account = sync_account::Entity::find_by_id(account_id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("account {account_id}")))?;
    match account.source_prefix {
        Some(recorded) if recorded == prefix => Ok(None),
        Some(recorded) => Ok(Some(recorded)),
        None => {
            sync_account::Entity::update_many()
                .col_expr(sync_account::Column::SourcePrefix, Expr::value(prefix))
                .filter(sync_account::Column::Id.eq(account_id))
                .exec(db)
                .await?;
            Ok(None)
        }
    }
}

/// The folders an earlier pass worked on: (source name, destination name), wire names.
pub async fn folders_of(
    db: &DatabaseConnection,
    account_id: i64,
) -> Result<Vec<(String, String)>, DbErr> {
    Ok(folder_state::Entity::find()
        .filter(folder_state::Column::AccountId.eq(account_id))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.source_folder, f.destination_folder))
        .collect())
}

pub async fn load_folder(
    db: &DatabaseConnection,
    account_id: i64,
    source_folder: &str,
) -> Result<Option<FolderState>, DbErr> {
    let Some(model) = folder_state::Entity::find()
        .filter(folder_state::Column::AccountId.eq(account_id))
        .filter(folder_state::Column::SourceFolder.eq(source_folder))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let copied = UidSet::parse(&model.copied_uids).map_err(|e| DbErr::Custom(e.to_string()))?;
    Ok(Some(FolderState {
        id: model.id,
        uidvalidity: model.uidvalidity as u32,
        copied,
        uidnext: model.uidnext as u32,
        exists: model.exists_count as u32,
        highest_modseq: model.highest_modseq.map(|m| m as u64),
    }))
}

/// Starts a folder afresh under a new UIDVALIDITY (or for the first time): nothing copied yet.
pub async fn reset_folder(
    db: &DatabaseConnection,
    account_id: i64,
    source_folder: &str,
    destination_folder: &str,
    uidvalidity: u32,
) -> Result<FolderState, DbErr> {
    let existing = folder_state::Entity::find()
        .filter(folder_state::Column::AccountId.eq(account_id))
        .filter(folder_state::Column::SourceFolder.eq(source_folder))
        .one(db)
        .await?;
    let model = match existing {
        Some(found) => {
            let found_id = found.id;
            let mut active: folder_state::ActiveModel = found.into();
            active.uidvalidity = Set(uidvalidity.into());
            active.copied_uids = Set(String::new());
            active.uidnext = Set(0);
            active.exists_count = Set(0);
            active.highest_modseq = Set(None);
            active.destination_folder = Set(destination_folder.to_string());
            active.updated_at = Set(Utc::now());
            // The old UIDs name nothing now.
            message_map::forget(db, found_id, None).await?;
            active.update(db).await?
        }
        None => {
            folder_state::ActiveModel {
                account_id: Set(account_id),
                source_folder: Set(source_folder.to_string()),
                destination_folder: Set(destination_folder.to_string()),
                uidvalidity: Set(uidvalidity.into()),
                copied_uids: Set(String::new()),
                uidnext: Set(0),
                exists_count: Set(0),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    Ok(FolderState {
        id: model.id,
        uidvalidity,
        copied: UidSet::new(),
        uidnext: 0,
        exists: 0,
        highest_modseq: None,
    })
}

/// Records messages about to be appended (committed before the APPEND is sent).
pub async fn journal_add(
    db: &DatabaseConnection,
    state: &FolderState,
    metas: &[&MessageMeta],
) -> Result<(), DbErr> {
    if metas.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = metas.iter().map(|m| append_journal::ActiveModel {
        folder_state_id: Set(state.id),
        uidvalidity: Set(state.uidvalidity.into()),
        uid: Set(m.uid.into()),
        message_id: Set(m.message_id.clone()),
        internal_date: Set(m.internal_date.clone()),
        size: Set(m.size.into()),
        created_at: Set(now),
        ..Default::default()
    });
    append_journal::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// UIDs whose APPEND may or may not have reached the destination (a crash cut the commit), and
/// when the newest of them was journaled.
pub async fn journal_uids(
    db: &DatabaseConnection,
    state: &FolderState,
) -> Result<(UidSet, Option<chrono::DateTime<Utc>>), DbErr> {
    let rows = append_journal::Entity::find()
        .filter(append_journal::Column::FolderStateId.eq(state.id))
        .filter(append_journal::Column::Uidvalidity.eq(i64::from(state.uidvalidity)))
        .all(db)
        .await?;
    let newest = rows.iter().map(|r| r.created_at).max();
    Ok((rows.iter().map(|r| r.uid as u32).collect(), newest))
}

pub async fn journal_clear(db: &DatabaseConnection, state: &FolderState) -> Result<(), DbErr> {
    append_journal::Entity::delete_many()
        .filter(append_journal::Column::FolderStateId.eq(state.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks `uids` copied and drops their journal entries, in one transaction.
/// A batch mailbox whose counters move with the commit: (mailbox row id, bytes committed).
pub type CountedIn = Option<(i64, u64)>;

/// Records `uids` as copied (and clears their journal) in one transaction; with `counted`, the
/// batch mailbox's counters move in the same transaction, so a crash never leaves them behind
/// the state.
pub async fn commit_copied(
    db: &DatabaseConnection,
    state: &mut FolderState,
    copied: &[Copied],
    counted: CountedIn,
) -> Result<(), DbErr> {
    for message in copied {
        state.copied.insert(message.uid);
    }
    let copied_text = state.copied.to_string();
    let id = state.id;
    let uid_values: Vec<i64> = copied.iter().map(|c| i64::from(c.uid)).collect();
    let copied = copied.to_vec();
    db.transaction::<_, (), DbErr>(|txn| {
        Box::pin(async move {
            message_map::record(txn, id, &copied).await?;
            folder_state::Entity::update_many()
                .col_expr(folder_state::Column::CopiedUids, Expr::value(copied_text))
                .col_expr(folder_state::Column::UpdatedAt, Expr::value(Utc::now()))
                .filter(folder_state::Column::Id.eq(id))
                .exec(txn)
                .await?;
            for chunk in uid_values.chunks(500) {
                append_journal::Entity::delete_many()
                    .filter(append_journal::Column::FolderStateId.eq(id))
                    .filter(append_journal::Column::Uid.is_in(chunk.to_vec()))
                    .exec(txn)
                    .await?;
            }
            if let Some((mailbox_id, bytes)) = counted {
                mailbox::Entity::update_many()
                    .col_expr(
                        mailbox::Column::MessagesCopied,
                        Expr::col(mailbox::Column::MessagesCopied).add(uid_values.len() as i64),
                    )
                    .col_expr(
                        mailbox::Column::BytesCopied,
                        Expr::col(mailbox::Column::BytesCopied).add(bytes as i64),
                    )
                    .col_expr(mailbox::Column::UpdatedAt, Expr::value(Utc::now()))
                    .filter(mailbox::Column::Id.eq(mailbox_id))
                    .exec(txn)
                    .await?;
            }
            Ok(())
        })
    })
    .await
    .map_err(|e| match e {
        sea_orm::TransactionError::Connection(e) | sea_orm::TransactionError::Transaction(e) => e,
    })
}

/// Remembers the folder's HIGHESTMODSEQ once every change up to it was carried.
pub async fn record_modseq(
    db: &DatabaseConnection,
    state: &mut FolderState,
    highest_modseq: Option<u64>,
) -> Result<(), DbErr> {
    if state.highest_modseq == highest_modseq {
        return Ok(());
    }
    state.highest_modseq = highest_modseq;
    folder_state::Entity::update_many()
        .col_expr(
            folder_state::Column::HighestModseq,
            Expr::value(highest_modseq.map(|m| m as i64)),
        )
        .filter(folder_state::Column::Id.eq(state.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Remembers the folder's UIDNEXT/EXISTS after a complete pass: unchanged next time = skipped.
pub async fn finish_folder(
    db: &DatabaseConnection,
    state: &mut FolderState,
    uidnext: u32,
    exists: u32,
) -> Result<(), DbErr> {
    state.uidnext = uidnext;
    state.exists = exists;
    folder_state::Entity::update_many()
        .col_expr(
            folder_state::Column::Uidnext,
            Expr::value(i64::from(uidnext)),
        )
        .col_expr(
            folder_state::Column::ExistsCount,
            Expr::value(i64::from(exists)),
        )
        .col_expr(folder_state::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(folder_state::Column::Id.eq(state.id))
        .exec(db)
        .await?;
    Ok(())
}
