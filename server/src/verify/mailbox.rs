//! Verifies one mailbox: both sides signed in as a pass would, the folder plan a pass would
//! follow, and each planned folder's metadata read on both sides at once and compared.

use sea_orm::DatabaseConnection;

use super::compare::{FolderCompare, compare};
use crate::engine::all_mail::found_elsewhere;
use crate::engine::classify::Stage;
use crate::engine::dedup::DedupKey;
use crate::engine::folder_plan::PlannedFolder;
use crate::engine::halt::Halt;
use crate::engine::mailbox::{MailboxSpec, open_pair};
use crate::engine::mailbox_job::survey;
use crate::engine::options::{BatchOptions, in_date_range};
use crate::engine::state;
use crate::imap::ImapSession;
use crate::imap::fetch::{META_WINDOW, MessageIds, MessageMeta, fetch_meta, open_folder};

/// One folder's verdict.
#[derive(Clone, Debug)]
pub struct FolderVerdict {
    /// The decoded source name.
    pub shown: String,
    /// Wire names on the source and the destination.
    pub source: String,
    pub target: String,
    pub compare: FolderCompare,
}

/// What the batch copies of a source folder: within its date range and under its size limit
/// (a message over the batch's own limit is left out by choice; one over the destination's
/// limit is missing).
fn copied_by_batch(options: &BatchOptions, metas: Vec<MessageMeta>) -> Vec<MessageMeta> {
    metas
        .into_iter()
        .filter(|m| in_date_range(options, &m.internal_date))
        .filter(|m| {
            options
                .max_message_bytes
                .is_none_or(|max| u64::from(m.size) <= max)
        })
        .collect()
}

/// Every message's metadata with its Message-ID; a folder the server will not open has none
/// (a destination folder not created yet).
async fn metas_of(
    session: &mut ImapSession,
    folder: &str,
    stage: Stage,
) -> Result<Vec<MessageMeta>, Halt> {
    let status = match open_folder(session, folder, true).await {
        Ok(status) => status,
        Err(e) if !e.is_fatal_to_session() && stage == Stage::DestinationWrite => {
            return Ok(Vec::new());
        }
        Err(e) => return Err(Halt::at(stage)(e)),
    };
    if status.exists == 0 {
        return Ok(Vec::new());
    }
    let (metas, _) = fetch_meta(session, status.exists, META_WINDOW, MessageIds::Fetch)
        .await
        .map_err(Halt::at(stage))?;
    Ok(metas)
}

/// Compares every folder a pass would copy; `\All` folders last, without what the other
/// folders hold (a pass copies only that).
pub async fn verify_mailbox(
    db: &DatabaseConnection,
    spec: &MailboxSpec,
) -> Result<Vec<FolderVerdict>, Halt> {
    let source_user = spec.source_credentials.mailbox_user().to_string();
    let account = state::account(db, &spec.email, &source_user)
        .await
        .map_err(Halt::Storage)?;
    let (mut src, mut dst) = open_pair(spec).await?;
    let (planned, _gone) = survey(db, spec, account.id, (&mut src, &mut dst)).await?;
    let (all_mail, others): (Vec<PlannedFolder>, Vec<PlannedFolder>) =
        planned.into_iter().partition(|f| f.all_mail);
    let mut elsewhere: Vec<DedupKey> = Vec::new();
    let mut verdicts = Vec::new();
    for folder in others.into_iter().chain(all_mail) {
        let (source, destination) = if folder.create {
            (
                metas_of(&mut src, &folder.source, Stage::SourceRead).await?,
                Vec::new(),
            )
        } else {
            let (source, destination) = tokio::join!(
                metas_of(&mut src, &folder.source, Stage::SourceRead),
                metas_of(&mut dst, &folder.target, Stage::DestinationWrite),
            );
            (source?, destination?)
        };
        let mut source = copied_by_batch(&spec.options, source);
        if folder.all_mail {
            source = own_messages(&elsewhere, source);
        } else {
            elsewhere.extend(source.iter().map(DedupKey::of));
        }
        verdicts.push(FolderVerdict {
            compare: compare(&source, &destination),
            shown: folder.shown,
            source: folder.source,
            target: folder.target,
        });
    }
    src.logout().await;
    dst.logout().await;
    Ok(verdicts)
}

/// A verification's verdict: the folders compared, or why no comparison could be made.
pub(crate) async fn verdict_of(
    db: &DatabaseConnection,
    spec: &MailboxSpec,
) -> super::store::Verdict {
    verify_mailbox(db, spec)
        .await
        .map_err(|halt| format!("{}: {}", halt.kind().title(), halt.detail()))
}

/// The messages of an `\All` folder that no other folder holds.
fn own_messages(elsewhere: &[DedupKey], metas: Vec<MessageMeta>) -> Vec<MessageMeta> {
    let found = found_elsewhere(elsewhere, &metas);
    metas
        .into_iter()
        .filter(|m| !found.contains(&m.uid))
        .collect()
}
