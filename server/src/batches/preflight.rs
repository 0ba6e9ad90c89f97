//! The pre-flight (dry run): for every row, sign in to the source and check the destination
//! mailbox exists, count folders, messages and bytes, estimate the duration. Copies nothing.

use std::time::Duration;

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use app::ErrorKind;
use app::model::batch::MailboxState;

use crate::db::entity::{batch, mailbox};
use crate::endpoints::store;
use crate::engine::classify::{Stage, classify};
use crate::engine::options::BatchOptions;
use crate::imap::connect::open;
use crate::imap::fetch::{MessageIds, fetch_meta, open_folder};
use crate::imap::folders::{self, SpecialUse, is_selectable, special_use};
use crate::imap::{ImapError, ImapSession};
use crate::secrets::{Cipher, EncryptedSecret};

/// Assumed copy rate when no batch has finished yet (bytes per second).
const DEFAULT_RATE: f64 = 5.0 * 1024.0 * 1024.0;

#[derive(Clone, Debug)]
pub struct PreflightRow {
    pub row_index: i32,
    pub email: String,
    pub problem: Option<(ErrorKind, String)>,
    pub folders: u32,
    pub messages: u64,
    pub bytes: u64,
    pub estimate: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("batch {0} not found or without endpoints")]
    NotFound(i64),
    #[error(transparent)]
    Endpoint(#[from] store::EndpointStoreError),
}

/// Bytes per second measured over finished mailboxes, or the default.
pub async fn measured_rate(db: &DatabaseConnection) -> Result<f64, DbErr> {
    let done = mailbox::Entity::find()
        .filter(mailbox::Column::State.eq(MailboxState::Synced))
        .filter(mailbox::Column::BytesCopied.gt(0))
        .all(db)
        .await?;
    let (bytes, secs) =
        done.iter()
            .fold((0f64, 0f64), |(b, s), m| match (m.started_at, m.ended_at) {
                (Some(start), Some(end)) => (
                    b + m.bytes_copied as f64,
                    s + (end - start).num_milliseconds().max(1) as f64 / 1000.0,
                ),
                _ => (b, s),
            });
    Ok(if bytes > 0.0 && secs > 0.0 {
        bytes / secs
    } else {
        DEFAULT_RATE
    })
}

async fn count(
    src: &mut ImapSession,
    options: &BatchOptions,
) -> Result<(u32, u64, u64), ImapError> {
    let list = folders::list(src).await?;
    let delimiter = list
        .iter()
        .find_map(|f| f.delimiter.as_deref().and_then(|d| d.chars().next()))
        .unwrap_or('/');
    let (mut folders_n, mut messages, mut bytes) = (0u32, 0u64, 0u64);
    for entry in list.iter().filter(|f| is_selectable(f)) {
        if matches!(
            special_use(entry),
            Some(SpecialUse::All | SpecialUse::Flagged)
        ) {
            continue;
        }
        let decoded = crate::imap::utf7::decode(&entry.name).unwrap_or_else(|_| entry.name.clone());
        if !options.wants_folder(&decoded, delimiter) {
            continue;
        }
        folders_n += 1;
        let status = open_folder(src, &entry.name, true).await?;
        if status.exists > 0 {
            let metas = fetch_meta(
                src,
                1,
                status.uidnext.saturating_sub(1).max(1),
                5000,
                MessageIds::Skip,
            )
            .await?;
            messages += metas.len() as u64;
            bytes += metas.iter().map(|m| u64::from(m.size)).sum::<u64>();
        }
    }
    Ok((folders_n, messages, bytes))
}

pub async fn preflight(
    db: &DatabaseConnection,
    cipher: &Cipher,
    batch_id: i64,
) -> Result<Vec<PreflightRow>, PreflightError> {
    let batch = batch::find(db, batch_id)
        .await?
        .ok_or(PreflightError::NotFound(batch_id))?;
    let (Some(source_id), Some(destination_id)) =
        (batch.source_endpoint_id, batch.destination_endpoint_id)
    else {
        return Err(PreflightError::NotFound(batch_id));
    };
    let source = store::load(db, cipher, source_id).await?;
    let destination = store::load(db, cipher, destination_id).await?;
    let options: BatchOptions = batch.options;
    let rate = measured_rate(db).await?;
    let rows = mailbox::of_batch(db, batch_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut result = PreflightRow {
            row_index: row.row_index,
            email: row.email_address.clone(),
            problem: None,
            folders: 0,
            messages: 0,
            bytes: 0,
            estimate: Duration::ZERO,
        };
        let password = match cipher.decrypt(&EncryptedSecret(row.source_secret.clone())) {
            Ok(p) => p,
            Err(e) => {
                result.problem = Some((ErrorKind::Internal, e.to_string()));
                out.push(result);
                continue;
            }
        };
        let destination_check = open(
            &destination.address(),
            &destination.credentials_for(&row.email_address, None),
            "destination",
        )
        .await;
        match destination_check {
            Ok(session) => session.logout().await,
            Err(e) => {
                let stage = if matches!(e, ImapError::Connect { .. }) {
                    Stage::DestinationConnect
                } else {
                    Stage::DestinationSignIn
                };
                result.problem = Some((classify(stage, &e), e.to_string()));
            }
        }
        match open(
            &source.address(),
            &source.credentials_for(&row.source_username, Some(&password)),
            "source",
        )
        .await
        {
            Ok(mut session) => {
                match count(&mut session, &options).await {
                    Ok((f, m, b)) => {
                        result.folders = f;
                        result.messages = m;
                        result.bytes = b;
                        result.estimate = Duration::from_secs_f64(b as f64 / rate);
                    }
                    Err(e) => {
                        result.problem = result
                            .problem
                            .or(Some((classify(Stage::SourceRead, &e), e.to_string())))
                    }
                }
                session.logout().await;
            }
            Err(e) => {
                let stage = if matches!(e, ImapError::Connect { .. }) {
                    Stage::SourceConnect
                } else {
                    Stage::SourceSignIn
                };
                // The source problem is the one the admin fixes first.
                result.problem = Some((classify(stage, &e), e.to_string()));
            }
        }
        out.push(result);
    }
    Ok(out)
}
