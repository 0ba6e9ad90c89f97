//! Verifies a batch's mailboxes (all that have had a pass, or a selection), several at once
//! within the endpoints' limits, each result stored as it comes.

use futures::StreamExt as _;
use sea_orm::{DatabaseConnection, DbErr};

use app::model::verification::VerifyOutcome;

use super::mailbox::verdict_of;
use super::store::{self, Verdict};
use crate::batches::mailbox_run::{RowSpec, source_password};
use crate::db::claim::{self, EndpointLimit, Side};
use crate::db::entity::{batch, mailbox};
use crate::endpoints::{EndpointSettings, store as endpoints};
use crate::engine::options::BatchOptions;
use crate::secrets::Cipher;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("batch {0} not found or without endpoints")]
    NotFound(i64),
    #[error(transparent)]
    Endpoint(#[from] endpoints::EndpointStoreError),
    #[error("batch {0} has no mailbox to verify (a mailbox is verified once it has had a pass)")]
    NothingToVerify(i64),
}

/// How many mailboxes ended how.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifyTally {
    pub whole: u64,
    pub missing: u64,
    pub failed: u64,
}

/// A batch's endpoints and options, loaded once for all its rows.
pub(crate) struct BatchSides {
    pub source: EndpointSettings,
    pub destination: EndpointSettings,
    pub options: BatchOptions,
    source_id: i64,
    destination_id: i64,
}

impl BatchSides {
    pub(crate) async fn load(
        db: &DatabaseConnection,
        cipher: &Cipher,
        batch_id: i64,
    ) -> Result<BatchSides, VerifyError> {
        let found = batch::find(db, batch_id)
            .await?
            .ok_or(VerifyError::NotFound(batch_id))?;
        let (Some(source), Some(destination)) =
            (found.source_endpoint_id, found.destination_endpoint_id)
        else {
            return Err(VerifyError::NotFound(batch_id));
        };
        Ok(BatchSides {
            source: endpoints::load(db, cipher, source).await?,
            destination: endpoints::load(db, cipher, destination).await?,
            options: found.options,
            source_id: source,
            destination_id: destination,
        })
    }

    /// How many rows to verify at once: what the mailboxes running now (in any batch and
    /// process) leave of each endpoint's "mailboxes at once", as a row holds one connection
    /// to each side; at least one.
    async fn room(&self, db: &DatabaseConnection) -> Result<usize, DbErr> {
        let mut room = 16;
        for (side, endpoint_id, max) in [
            (Side::Source, self.source_id, self.source.max_concurrent),
            (
                Side::Destination,
                self.destination_id,
                self.destination.max_concurrent,
            ),
        ] {
            let limit = EndpointLimit {
                side,
                endpoint_id,
                max,
            };
            let live = claim::live_on_endpoint(db, limit).await?;
            room = room.min(u64::from(max).saturating_sub(live));
        }
        Ok(room.max(1) as usize)
    }

    fn rows(&self) -> RowSpec<'_> {
        RowSpec {
            source: &self.source,
            destination: &self.destination,
            options: &self.options,
            retry: Default::default(),
        }
    }

    /// Verifies one row (its stored password opened here) and stores the result.
    pub(crate) async fn verify_row(
        &self,
        db: &DatabaseConnection,
        cipher: &Cipher,
        row: &mailbox::Model,
    ) -> Result<VerifyOutcome, DbErr> {
        let verdict: Verdict = match source_password(cipher, row) {
            Ok(password) => {
                crate::batches::consent::remember_consent(cipher, &self.source, row);
                let spec = self.rows().of(row, &password);
                drop(password);
                let verdict = verdict_of(db, &spec).await;
                crate::batches::consent::keep_replaced_token(db, cipher, &self.source, row).await;
                verdict
            }
            Err(e) => Err(format!("the stored source password cannot be read: {e}")),
        };
        store::save(db, row.id, &verdict).await
    }
}

/// The rows a verification takes: those a pass has ended for (synced, failed, stopped),
/// optionally only `only`.
pub async fn rows_to_verify(
    db: &DatabaseConnection,
    batch_id: i64,
    only: Option<&[i64]>,
) -> Result<Vec<mailbox::Model>, VerifyError> {
    let rows: Vec<mailbox::Model> = mailbox::of_batch(db, batch_id)
        .await?
        .into_iter()
        .filter(|r| r.state.is_final() && only.is_none_or(|ids| ids.contains(&r.id)))
        .collect();
    if rows.is_empty() {
        return Err(VerifyError::NothingToVerify(batch_id));
    }
    Ok(rows)
}

/// Verifies `rows` of the batch; they show "verifying" until each result is stored.
pub async fn verify_rows(
    db: &DatabaseConnection,
    cipher: &Cipher,
    batch_id: i64,
    rows: Vec<mailbox::Model>,
) -> Result<VerifyTally, VerifyError> {
    let sides = BatchSides::load(db, cipher, batch_id).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    store::mark_verifying(db, &ids).await?;
    let at_once = sides.room(db).await?;
    let checks: Vec<_> = rows
        .iter()
        .map(|row| sides.verify_row(db, cipher, row))
        .collect();
    let outcomes: Vec<Result<VerifyOutcome, DbErr>> = futures::stream::iter(checks)
        .buffer_unordered(at_once)
        .collect()
        .await;
    let mut tally = VerifyTally::default();
    for outcome in outcomes {
        match outcome? {
            VerifyOutcome::Whole => tally.whole += 1,
            VerifyOutcome::Missing => tally.missing += 1,
            VerifyOutcome::Failed | VerifyOutcome::Verifying => tally.failed += 1,
        }
    }
    Ok(tally)
}
