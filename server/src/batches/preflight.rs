//! The pre-flight (dry run): for every row, sign in to the source and check the destination
//! mailbox exists, count folders, messages and bytes, estimate the duration. Copies nothing.

use std::time::Duration;

use futures::StreamExt as _;

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use app::ErrorKind;
use app::model::batch::MailboxState;

use crate::db::entity::{batch, mailbox};
use crate::endpoints::{EndpointSettings, store};
use crate::engine::classify::{Stage, classify, classify_sign_in};
use crate::engine::options::BatchOptions;
use crate::imap::append::AppendCapabilities;
use crate::imap::fetch::{MessageIds, fetch_meta, open_folder};
use crate::imap::folders::{self, SpecialUse, is_selectable, special_use};
use crate::imap::quota;
use crate::imap::{ImapError, ImapSession};
use crate::oauth::sign_in::open;
use crate::secrets::{Cipher, EncryptedSecret, Slot};

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
    /// The largest message's size.
    pub largest: u64,
    pub estimate: Duration,
}

/// What the destination mailbox can take.
#[derive(Clone, Copy, Debug, Default)]
struct Room {
    /// Bytes left under its storage quota (GETQUOTAROOT).
    free: Option<u64>,
    /// The largest message it accepts (APPENDLIMIT).
    max_message: Option<u64>,
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

/// Folders, messages, bytes and the largest message's size of what a batch would copy.
async fn count(
    src: &mut ImapSession,
    options: &BatchOptions,
) -> Result<(u32, u64, u64, u64), ImapError> {
    let list = folders::list(src).await?;
    let delimiter = list
        .iter()
        .find_map(|f| f.delimiter.as_deref().and_then(|d| d.chars().next()))
        .unwrap_or('/');
    let (mut folders_n, mut messages, mut bytes, mut largest) = (0u32, 0u64, 0u64, 0u64);
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
            let (metas, _) = fetch_meta(src, status.exists, 5000, MessageIds::Skip).await?;
            messages += metas.len() as u64;
            bytes += metas.iter().map(|m| u64::from(m.size)).sum::<u64>();
            let most = metas.iter().map(|m| u64::from(m.size)).max().unwrap_or(0);
            largest = largest.max(most);
        }
    }
    Ok((folders_n, messages, bytes, largest))
}

/// What every row's check needs.
struct Checks<'a> {
    db: &'a DatabaseConnection,
    cipher: &'a Cipher,
    source: EndpointSettings,
    destination: EndpointSettings,
    options: BatchOptions,
    /// Bytes per second, for the estimate.
    rate: f64,
}

impl Checks<'_> {
    /// The destination mailbox is reachable on the user's behalf, and how much it can take.
    async fn destination(&self, row: &mailbox::Model) -> Result<Room, (ErrorKind, String)> {
        let credentials = self.destination.sign_in_for(&row.email_address, None);
        match open(&self.destination.address(), &credentials, "destination").await {
            Ok(mut session) => {
                let max_message = AppendCapabilities::of(&session).max_message;
                // A quota the server will not tell is no reason to fail the row.
                let free = quota::storage_left(&mut session).await.ok().flatten();
                session.logout().await;
                Ok(Room { free, max_message })
            }
            Err(e) => Err((
                classify_sign_in(&e, Stage::DestinationConnect, Stage::DestinationSignIn),
                e.to_string(),
            )),
        }
    }

    /// Signs in to the source and counts what there is to copy into `result`.
    async fn source(&self, row: &mailbox::Model, password: &str, result: &mut PreflightRow) {
        super::consent::remember_consent(self.cipher, &self.source, row);
        let credentials = self
            .source
            .sign_in_for(&row.source_username, Some(password));
        let opened = open(&self.source.address(), &credentials, "source").await;
        super::consent::keep_replaced_token(self.db, self.cipher, &self.source, row).await;
        let mut session = match opened {
            Ok(session) => session,
            Err(e) => {
                // The source problem is the one the admin fixes first.
                let kind = classify_sign_in(&e, Stage::SourceConnect, Stage::SourceSignIn);
                result.problem = Some((kind, e.to_string()));
                return;
            }
        };
        match count(&mut session, &self.options).await {
            Ok((folders, messages, bytes, largest)) => {
                result.folders = folders;
                result.messages = messages;
                result.bytes = bytes;
                result.largest = largest;
                result.estimate = Duration::from_secs_f64(bytes as f64 / self.rate);
            }
            Err(e) => {
                result.problem = result
                    .problem
                    .take()
                    .or(Some((classify(Stage::SourceRead, &e), e.to_string())))
            }
        }
        session.logout().await;
    }

    async fn row(&self, row: &mailbox::Model) -> PreflightRow {
        let mut result = PreflightRow {
            row_index: row.row_index,
            email: row.email_address.clone(),
            problem: None,
            folders: 0,
            messages: 0,
            bytes: 0,
            largest: 0,
            estimate: Duration::ZERO,
        };
        let password = match self.cipher.decrypt(
            &EncryptedSecret(row.source_secret.clone()),
            &Slot::MailboxSource {
                batch_id: row.batch_id,
                email: &row.email_address,
            },
        ) {
            Ok(p) => p,
            Err(e) => {
                result.problem = Some((ErrorKind::Internal, e.to_string()));
                return result;
            }
        };
        let room = self.destination(row).await;
        result.problem = room.as_ref().err().cloned();
        self.source(row, &password, &mut result).await;
        if let (Ok(room), None) = (room, &result.problem) {
            result.problem = room.predicts(&result);
        }
        result
    }
}

impl Room {
    /// What copying `row` would run into: a mailbox too small for what the source holds, or a
    /// message over the destination's size limit.
    fn predicts(&self, row: &PreflightRow) -> Option<(ErrorKind, String)> {
        if let Some(free) = self.free.filter(|free| row.bytes > *free) {
            return Some((
                ErrorKind::DestinationMailboxFull,
                format!(
                    "the source holds {} bytes; the destination mailbox has {free} bytes left \
                     under its quota",
                    row.bytes
                ),
            ));
        }
        let max = self.max_message.filter(|max| row.largest > *max)?;
        Some((
            ErrorKind::MessageTooLarge,
            format!(
                "the largest message ({} bytes) is over the destination's limit of {max} bytes \
                 (APPENDLIMIT): it would be skipped",
                row.largest
            ),
        ))
    }
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
    let checks = Checks {
        db,
        cipher,
        source: store::load(db, cipher, source_id).await?,
        destination: store::load(db, cipher, destination_id).await?,
        options: batch.options,
        rate: measured_rate(db).await?,
    };
    // Rows in parallel, in their order, within the endpoints' limits: a row holds at most one
    // connection to each side at a time.
    let at_once = checks
        .source
        .max_concurrent
        .min(checks.destination.max_concurrent)
        .clamp(1, 16) as usize;
    let rows = mailbox::of_batch(db, batch_id).await?;
    // The checks made up front (each starts when polled): a closure in the stream would make
    // the future too general for `Send` across the server functions' `async_trait`.
    let checks: Vec<_> = rows.iter().map(|row| checks.row(row)).collect();
    Ok(futures::stream::iter(checks)
        .buffered(at_once)
        .collect()
        .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(bytes: u64, largest: u64) -> PreflightRow {
        PreflightRow {
            row_index: 2,
            email: "a@example.test".into(),
            problem: None,
            folders: 1,
            messages: 10,
            bytes,
            largest,
            estimate: Duration::ZERO,
        }
    }

    #[test]
    fn room_predicts_a_full_mailbox_then_a_message_too_large() {
        let room = Room {
            free: Some(1_000),
            max_message: Some(500),
        };
        let kind = |r: &PreflightRow| room.predicts(r).map(|(k, _)| k);
        assert_eq!(
            kind(&row(2_000, 100)),
            Some(ErrorKind::DestinationMailboxFull)
        );
        assert_eq!(kind(&row(900, 600)), Some(ErrorKind::MessageTooLarge));
        assert_eq!(kind(&row(900, 500)), None, "at the limit is allowed");
        assert_eq!(Room::default().predicts(&row(u64::MAX, u64::MAX)), None);
    }
}
