//! A later pass over a folder copied before: the flag and keyword changes made on the source
//! since the last pass, and the messages expunged there, carried to the destination messages
//! Mailferry put there (found by the destination UID it stored). A flag the user changed on the
//! destination stays unless the source changed the same flag since: only differences of the
//! source are sent.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::classify::Stage;
use super::dedup::DedupKey;
use super::folder_job::{FolderJob, FolderOutcome};
use super::halt::Halt;
use super::message_map::{self, Copied, Mapped, flags_text};
use crate::imap::ImapSession;
use crate::imap::append::destination_flags;
use crate::imap::fetch::{
    FolderStatus, META_WINDOW, MessageIds, MessageMeta, fetch_meta, fetch_meta_of, open_folder,
};
use crate::imap::uid_set::UidSet;

/// The source's view of the folder now.
pub(crate) struct SourceNow<'m> {
    pub metas: &'m [MessageMeta],
    /// Every message of the folder was listed: a UID missing from `metas` was expunged.
    pub complete: bool,
    /// The server said which were expunged (QRESYNC's VANISHED): `metas` holds only changes.
    pub vanished: Option<&'m UidSet>,
}

/// Flags to add and to remove on a set of destination messages.
type Change = (Vec<String>, Vec<String>);

/// Carries the source's changes since the last pass. `dst_open`: the destination folder is
/// selected read-write already (its SELECT answer), else it is opened when there is work. The
/// source folder is the one selected on `src`.
pub(crate) async fn carry_changes(
    job: &FolderJob<'_>,
    folder_state_id: i64,
    (src, dst): (&mut ImapSession, &mut ImapSession),
    now: SourceNow<'_>,
    dst_open: Option<&FolderStatus>,
    outcome: &mut FolderOutcome,
) -> Result<(), Halt> {
    let mapped = message_map::load(job.db, folder_state_id).await?;
    if mapped.is_empty() {
        return Ok(());
    }
    let mut changed = changed_flags(now.metas, &mapped);
    let gone = match (now.vanished, now.complete) {
        _ if job.options.keep_deleted => Vec::new(),
        (Some(vanished), _) => vanished_copies(vanished, &mapped),
        (None, true) => expunged(now.metas, &mapped),
        (None, false) => Vec::new(),
    };
    if changed.is_empty() && gone.is_empty() {
        return Ok(());
    }
    let opened;
    let dst_status = match dst_open {
        Some(status) => status,
        None => {
            opened = open_folder(dst, job.destination_folder, false)
                .await
                .map_err(Halt::at(Stage::DestinationWrite))?;
            &opened
        }
    };
    find_destination_uids((src, dst), dst_status.exists, &mut changed, &mapped).await?;
    let stores = group_changes(&changed, &dst_status.permanent_flags);
    for ((add, remove), uids) in &stores {
        store(dst, uids, "+", add).await?;
        store(dst, uids, "-", remove).await?;
    }
    let updated: Vec<Copied> = changed.into_iter().map(|(c, _)| c).collect();
    message_map::record(job.db, folder_state_id, &updated).await?;
    outcome.flags_updated += updated.len() as u64;
    delete(dst, &gone).await?;
    let gone_uids: Vec<u32> = gone.iter().map(|(uid, _)| *uid).collect();
    message_map::forget(job.db, folder_state_id, Some(&gone_uids)).await?;
    outcome.deleted += gone.len() as u64;
    Ok(())
}

/// The destination copies of changed messages whose destination UID is not known (the
/// destination has no UIDPLUS, or the message was found there): found once by Message-ID +
/// INTERNALDATE + size among the destination messages no other mapping names. What is not found
/// is left for a later pass.
async fn find_destination_uids(
    (src, dst): (&mut ImapSession, &mut ImapSession),
    dst_exists: u32,
    changed: &mut Vec<(Copied, Option<String>)>,
    mapped: &HashMap<u32, Mapped>,
) -> Result<(), Halt> {
    let unknown: UidSet = changed
        .iter()
        .filter(|(c, _)| c.destination_uid.is_none())
        .map(|(c, _)| c.uid)
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let wanted = fetch_meta_of(src, &unknown)
        .await
        .map_err(Halt::at(Stage::SourceRead))?;
    let (present, _) = fetch_meta(dst, dst_exists, META_WINDOW, MessageIds::Fetch)
        .await
        .map_err(Halt::at(Stage::DestinationWrite))?;
    let taken: HashSet<u32> = mapped.values().filter_map(|m| m.destination_uid).collect();
    let mut free: HashMap<DedupKey, Vec<u32>> = HashMap::new();
    for meta in present.iter().filter(|m| !taken.contains(&m.uid)) {
        free.entry(DedupKey::of(meta)).or_default().push(meta.uid);
    }
    let found: HashMap<u32, u32> = wanted
        .iter()
        .filter_map(|m| Some((m.uid, free.get_mut(&DedupKey::of(m))?.pop()?)))
        .collect();
    for (copied, _) in changed.iter_mut() {
        copied.destination_uid = copied.destination_uid.or(found.get(&copied.uid).copied());
    }
    changed.retain(|(c, _)| c.destination_uid.is_some());
    Ok(())
}

/// Messages whose source flags differ from those last carried: the new mapping, and the flags
/// before (`None`: not known, set them all).
fn changed_flags(
    metas: &[MessageMeta],
    mapped: &HashMap<u32, Mapped>,
) -> Vec<(Copied, Option<String>)> {
    metas
        .iter()
        .filter_map(|m| {
            let known = mapped.get(&m.uid)?;
            let now = flags_text(&m.flags);
            (known.flags.as_deref() != Some(now.as_str())).then(|| {
                let copied = Copied {
                    uid: m.uid,
                    destination_uid: known.destination_uid,
                    flags: Some(now),
                };
                (copied, known.flags.clone())
            })
        })
        .collect()
}

/// Mapped messages the source no longer lists, with their destination UID (only the copies
/// Mailferry made are deleted).
fn expunged(metas: &[MessageMeta], mapped: &HashMap<u32, Mapped>) -> Vec<(u32, Option<u32>)> {
    let present: HashSet<u32> = metas.iter().map(|m| m.uid).collect();
    let mut gone: Vec<(u32, Option<u32>)> = mapped
        .iter()
        .filter(|(uid, _)| !present.contains(uid))
        .map(|(uid, m)| (*uid, m.destination_uid))
        .collect();
    gone.sort_unstable();
    gone
}

/// The copies of the messages the source said were expunged.
fn vanished_copies(vanished: &UidSet, mapped: &HashMap<u32, Mapped>) -> Vec<(u32, Option<u32>)> {
    let mut gone: Vec<(u32, Option<u32>)> = mapped
        .iter()
        .filter(|(uid, _)| vanished.contains(**uid))
        .map(|(uid, m)| (*uid, m.destination_uid))
        .collect();
    gone.sort_unstable();
    gone
}

fn split(flags: Option<&str>) -> Vec<String> {
    flags
        .unwrap_or("")
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// The changes grouped by what is added and removed, each with its destination UIDs: one STORE
/// per group. Flags the destination folder does not take are left out.
fn group_changes(
    changed: &[(Copied, Option<String>)],
    permanent: &[String],
) -> BTreeMap<Change, UidSet> {
    let mut groups: BTreeMap<Change, UidSet> = BTreeMap::new();
    for (copied, before) in changed {
        let now = split(copied.flags.as_deref());
        let (now, _) = destination_flags(&now, permanent);
        let (add, remove) = match before {
            // Not known what the destination holds: the source's flags, all of them.
            None => (now.clone(), Vec::new()),
            Some(before) => {
                let (before, _) = destination_flags(&split(Some(before)), permanent);
                let add = now
                    .iter()
                    .filter(|f| !before.contains(f))
                    .cloned()
                    .collect();
                let remove = before
                    .iter()
                    .filter(|f| !now.contains(f))
                    .cloned()
                    .collect();
                (add, remove)
            }
        };
        if let Some(uid) = copied.destination_uid {
            groups.entry((add, remove)).or_default().insert(uid);
        }
    }
    groups
}

async fn store(
    dst: &mut ImapSession,
    uids: &UidSet,
    sign: &str,
    flags: &[String],
) -> Result<(), Halt> {
    if flags.is_empty() || uids.is_empty() {
        return Ok(());
    }
    let command = format!("UID STORE {uids} {sign}FLAGS.SILENT ({})", flags.join(" "));
    dst.simple(&command)
        .await
        .map(|_| ())
        .map_err(Halt::at(Stage::DestinationWrite))
}

/// Deletes the destination copies of expunged source messages: `\Deleted`, then UID EXPUNGE of
/// exactly those (UIDPLUS); without UIDPLUS they stay marked, since a plain EXPUNGE would also
/// remove what the user marked.
async fn delete(dst: &mut ImapSession, gone: &[(u32, Option<u32>)]) -> Result<(), Halt> {
    let uids: UidSet = gone.iter().filter_map(|(_, d)| *d).collect();
    if uids.is_empty() {
        return Ok(());
    }
    store(dst, &uids, "+", &["\\Deleted".to_string()]).await?;
    if dst.has_capability("UIDPLUS") {
        dst.simple(&format!("UID EXPUNGE {uids}"))
            .await
            .map_err(Halt::at(Stage::DestinationWrite))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(uid: u32, flags: &[&str]) -> MessageMeta {
        MessageMeta {
            uid,
            size: 10,
            flags: flags.iter().map(|f| f.to_string()).collect(),
            internal_date: String::new(),
            message_id: None,
        }
    }

    fn mapped(destination: Option<u32>, flags: Option<&str>) -> Mapped {
        Mapped {
            destination_uid: destination,
            flags: flags.map(String::from),
        }
    }

    #[test]
    fn only_source_differences_are_sent_grouped() {
        let metas = [
            meta(1, &["\\Seen"]),
            meta(2, &["\\Seen", "$Work"]),
            meta(3, &["\\Seen"]),
            meta(4, &[]),
        ];
        let known = HashMap::from([
            (1, mapped(Some(11), Some(""))),
            (2, mapped(Some(12), Some("\\Flagged"))),
            (3, mapped(Some(13), Some(""))),
            (4, mapped(None, Some("\\Seen"))),
            (5, mapped(Some(15), Some(""))),
        ]);
        let changed = changed_flags(&metas, &known);
        assert_eq!(changed.len(), 4);
        assert_eq!(
            changed[3].0.destination_uid, None,
            "UID 4's copy is looked up"
        );
        let all = vec!["\\*".to_string()];
        let groups = group_changes(&changed, &all);
        let seen: Change = (vec!["\\Seen".into()], vec![]);
        assert_eq!(groups[&seen].to_string(), "11,13");
        let work: Change = (
            vec!["$Work".into(), "\\Seen".into()],
            vec!["\\Flagged".into()],
        );
        assert_eq!(groups[&work].to_string(), "12");
        assert_eq!(expunged(&metas, &known), vec![(5, Some(15))]);
    }
}
