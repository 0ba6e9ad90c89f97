//! Gmail-style `\All` folders ("All Mail"): every message of the mailbox is there, most of them
//! also in another folder (label). Only what is in no other copied folder (archived mail) is
//! copied, into the destination's Archive; the rest arrives through its own folder, once.
//! Messages are matched by Message-ID + INTERNALDATE + size, counted, as in deduplication.

use super::classify::Stage;
use super::dedup::{DedupKey, present_in_destination};
use super::folder_job::FolderOutcome;
use super::halt::Halt;
use crate::imap::ImapSession;
use crate::imap::fetch::{META_WINDOW, MessageIds, MessageMeta, fetch_meta, open_folder};

/// The keys of every message in `folders` (the mailbox's other copied folders). A folder the
/// server will not open is left out: its messages then count as only in the `\All` folder.
pub(crate) async fn keys_elsewhere(
    src: &mut ImapSession,
    folders: &[String],
) -> Result<Vec<DedupKey>, Halt> {
    let mut keys = Vec::new();
    for folder in folders {
        let status = match open_folder(src, folder, true).await {
            Ok(status) => status,
            Err(e) if !e.is_fatal_to_session() => {
                tracing::info!(folder = %folder, error = %e, "not opened while matching All Mail");
                continue;
            }
            Err(e) => return Err(Halt::at(Stage::SourceRead)(e)),
        };
        let (metas, _) = fetch_meta(src, status.exists, META_WINDOW, MessageIds::Fetch)
            .await
            .map_err(Halt::at(Stage::SourceRead))?;
        keys.extend(metas.iter().map(DedupKey::of));
    }
    Ok(keys)
}

/// The UIDs of `metas` that are also in another copied folder (counted: a second copy of a
/// message held once elsewhere is archived mail of its own).
pub(crate) fn found_elsewhere<'m>(
    elsewhere: &[DedupKey],
    metas: impl IntoIterator<Item = &'m MessageMeta>,
) -> std::collections::HashSet<u32> {
    let keys: Vec<(u32, DedupKey)> = metas
        .into_iter()
        .map(|m| (m.uid, DedupKey::of(m)))
        .collect();
    present_in_destination(
        elsewhere.iter().cloned(),
        [],
        keys.iter().map(|(uid, k)| (*uid, k)),
    )
    .into_iter()
    .collect()
}

/// Leaves out of `todo` the messages that are also in another copied folder; counts them as
/// such (and not in the folder's total, which is what it has of its own).
pub(crate) fn leave_out_elsewhere<'m>(
    elsewhere: &[DedupKey],
    todo: Vec<&'m MessageMeta>,
    outcome: &mut FolderOutcome,
) -> Vec<&'m MessageMeta> {
    let found = found_elsewhere(elsewhere, todo.iter().copied());
    outcome.elsewhere += found.len() as u64;
    outcome.messages_total = outcome.messages_total.saturating_sub(found.len() as u64);
    todo.into_iter()
        .filter(|m| !found.contains(&m.uid))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(uid: u32, id: &str) -> MessageMeta {
        MessageMeta {
            uid,
            size: 100,
            flags: vec![],
            internal_date: "01-Jan-2020 00:00:00 +0000".into(),
            message_id: Some(id.into()),
        }
    }

    #[test]
    fn only_what_no_other_folder_holds_is_left() {
        let all = [
            meta(1, "<a>"),
            meta(2, "<b>"),
            meta(3, "<a>"),
            meta(4, "<c>"),
        ];
        let elsewhere = [DedupKey::of(&meta(9, "<a>")), DedupKey::of(&meta(8, "<c>"))];
        let mut outcome = FolderOutcome {
            messages_total: 4,
            ..FolderOutcome::default()
        };
        let left = leave_out_elsewhere(&elsewhere, all.iter().collect(), &mut outcome);
        let uids: Vec<u32> = left.iter().map(|m| m.uid).collect();
        // One "<a>" is in another folder, the second copy is archived mail of its own.
        assert_eq!(uids, vec![2, 3]);
        assert_eq!(outcome.elsewhere, 2);
        assert_eq!(outcome.messages_total, 2);
    }
}
