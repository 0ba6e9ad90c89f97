//! Reading a source folder: EXAMINE, message metadata in explicit UID windows, then bodies.
//! Every FETCH is read to its tagged answer, so a NO or a cut connection is an error, never a
//! silently short folder.

use super::error::ImapError;
use super::literal_guard::ResetOnDrop;
use super::reply::{FetchData, Reply, StatusData, UntaggedCode};
use super::session::{ImapSession, quote};
use super::uid_set::UidSet;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderStatus {
    pub uidvalidity: u32,
    pub uidnext: u32,
    pub exists: u32,
    pub permanent_flags: Vec<String>,
    /// HIGHESTMODSEQ where the server offers CONDSTORE (and the folder keeps mod-sequences).
    pub highest_modseq: Option<u64>,
}

/// What the engine knows of a message before copying it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageMeta {
    pub uid: u32,
    pub size: u32,
    pub flags: Vec<String>,
    /// INTERNALDATE exactly as the server sent it.
    pub internal_date: String,
    pub message_id: Option<String>,
}

#[derive(Debug)]
pub struct FetchedBody {
    pub uid: u32,
    pub body: bytes::Bytes,
}

/// `EXAMINE` (read-only: copying never changes `\Seen` on the source) or `SELECT`. A server
/// that leaves UIDVALIDITY or UIDNEXT out of its answer (Courier's SELECT has no UIDNEXT) is
/// asked with STATUS.
pub async fn open_folder(
    session: &mut ImapSession,
    wire_name: &str,
    read_only: bool,
) -> Result<FolderStatus, ImapError> {
    let name = quote(wire_name).ok_or_else(|| {
        ImapError::Protocol(format!("folder name {wire_name:?} holds a line break"))
    })?;
    let verb = if read_only { "EXAMINE" } else { "SELECT" };
    // CONDSTORE: the answer carries HIGHESTMODSEQ, which says whether any flag changed.
    let condstore = if session.has_capability("CONDSTORE") {
        " (CONDSTORE)"
    } else {
        ""
    };
    let (mut uidvalidity, mut uidnext) = (None, None);
    let mut status = FolderStatus::default();
    session
        .run(&format!("{verb} {name}{condstore}"), |reply| {
            match reply {
                Reply::Exists(n) => status.exists = n,
                Reply::Untagged {
                    code: Some(UntaggedCode::UidValidity(v)),
                    ..
                } => uidvalidity = Some(v),
                Reply::Untagged {
                    code: Some(UntaggedCode::UidNext(v)),
                    ..
                } => uidnext = Some(v),
                Reply::Untagged {
                    code: Some(UntaggedCode::PermanentFlags(f)),
                    ..
                } => status.permanent_flags = f,
                Reply::Untagged {
                    code: Some(UntaggedCode::HighestModSeq(m)),
                    ..
                } => status.highest_modseq = Some(m),
                _ => {}
            }
            Ok(())
        })
        .await?;
    if uidvalidity.is_none() || uidnext.is_none() {
        let asked = folder_status(session, &name).await?;
        uidvalidity = uidvalidity.or(asked.uidvalidity);
        uidnext = uidnext.or(asked.uidnext);
    }
    status.uidvalidity = uidvalidity.ok_or_else(|| {
        ImapError::Protocol(format!("{wire_name}: the server gives no UIDVALIDITY"))
    })?;
    // Without UIDNEXT anywhere the folder is never taken for unchanged (0 is no UIDNEXT).
    status.uidnext = uidnext.unwrap_or(0);
    Ok(status)
}

/// `STATUS name (UIDNEXT UIDVALIDITY MESSAGES)` of a quoted folder name.
async fn folder_status(session: &mut ImapSession, quoted: &str) -> Result<StatusData, ImapError> {
    let mut data = StatusData::default();
    session
        .run(
            &format!("STATUS {quoted} (UIDNEXT UIDVALIDITY MESSAGES)"),
            |reply| {
                if let Reply::Status(s) = reply {
                    data = s;
                }
                Ok(())
            },
        )
        .await?;
    Ok(data)
}

/// The Message-ID from a `BODY[HEADER.FIELDS (MESSAGE-ID)]` answer, unfolded and trimmed.
pub fn parse_message_id(header: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(header);
    let unfolded = text.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("message-id")
            .then(|| value.trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

/// UIDs per metadata FETCH: a window bounds each answer, whatever the folder's size.
pub const META_WINDOW: u32 = 5000;

/// A message's metadata from a FETCH answer that has its UID, size and date (else `None`).
fn meta_of(f: FetchData) -> Option<MessageMeta> {
    Some(MessageMeta {
        uid: f.uid?,
        size: f.size?,
        flags: f.flags.unwrap_or_default(),
        internal_date: f.internal_date?,
        message_id: f.header_fields.as_deref().and_then(parse_message_id),
    })
}

/// Whether a metadata pass also asks for each message's Message-ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageIds {
    /// Needed to recognise messages already in the destination (dedup).
    Fetch,
    /// Nothing to compare against: the server need not open every message for its header.
    Skip,
}

/// Metadata of every message of the selected folder, in windows of `window` sequence numbers
/// (a folder of N messages costs N / window round trips, whatever its UIDs). Returns the
/// messages in UID order and how many the folder holds at the end (EXISTS as the server last
/// said it, less the expunges it announced meanwhile).
pub async fn fetch_meta(
    session: &mut ImapSession,
    exists: u32,
    window: u32,
    ids: MessageIds,
) -> Result<(Vec<MessageMeta>, u32), ImapError> {
    // EXISTS is the server's word: room is made for what arrives, not for what it claims.
    let mut out = Vec::with_capacity(exists.min(window) as usize);
    let mut holds = exists;
    let items = match ids {
        MessageIds::Fetch => {
            "UID RFC822.SIZE FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"
        }
        MessageIds::Skip => "UID RFC822.SIZE FLAGS INTERNALDATE",
    };
    let mut start = 1u32;
    while start <= holds {
        let end = start.saturating_add(window - 1).min(holds);
        // More answers than asked for (beyond a few unsolicited flag updates) is a server
        // repeating itself; none at all, one claiming messages it does not have.
        let most = u64::from(end - start + 1) * 2 + 1000;
        let mut answers = 0u64;
        session
            .run(&format!("FETCH {start}:{end} ({items})"), |reply| {
                match reply {
                    Reply::Fetch(f) => {
                        answers += 1;
                        if answers > most {
                            return Err(ImapError::Protocol(format!(
                                "FETCH {start}:{end}: more than {most} answers"
                            )));
                        }
                        out.extend(meta_of(f));
                    }
                    Reply::Exists(n) => holds = n,
                    Reply::Expunge(_) => holds = holds.saturating_sub(1),
                    // With QRESYNC enabled, an expunge meanwhile is told as VANISHED.
                    Reply::Vanished {
                        earlier: false,
                        uids,
                    } => {
                        let gone: u64 = uids
                            .iter()
                            .map(|r| u64::from(r.end().abs_diff(*r.start())) + 1)
                            .sum();
                        holds = holds.saturating_sub(u32::try_from(gone).unwrap_or(u32::MAX));
                    }
                    _ => {}
                }
                Ok(())
            })
            .await?;
        start = end.saturating_add(1);
        if end == u32::MAX || (answers == 0 && start <= holds) {
            break;
        }
    }
    out.sort_by_key(|m| m.uid);
    out.dedup_by_key(|m| m.uid);
    Ok((out, holds))
}

/// Metadata of the messages of the selected folder whose flags changed after `modseq`
/// (CONDSTORE's CHANGEDSINCE): a pass over a big folder with a few changes reads those few.
pub async fn fetch_changed_since(
    session: &mut ImapSession,
    modseq: u64,
) -> Result<Vec<MessageMeta>, ImapError> {
    let mut out = Vec::new();
    let command =
        format!("UID FETCH 1:* (UID RFC822.SIZE FLAGS INTERNALDATE) (CHANGEDSINCE {modseq})");
    session
        .run(&command, |reply| {
            if let Reply::Fetch(f) = reply {
                out.extend(meta_of(f));
            }
            Ok(())
        })
        .await?;
    out.sort_by_key(|m| m.uid);
    out.dedup_by_key(|m| m.uid);
    Ok(out)
}

/// What changed in the selected folder since a pass that ended at `modseq` (QRESYNC).
#[derive(Debug, Default)]
pub struct ChangedSince {
    /// Messages the last pass saw whose flags changed since, without Message-IDs.
    pub changed: Vec<MessageMeta>,
    /// Messages the last pass saw that were expunged since.
    pub vanished: UidSet,
    /// Messages new since the last pass (UID `uidnext` and up), without Message-IDs.
    pub new: Vec<MessageMeta>,
}

/// The changes of the selected folder since `modseq` among the UIDs below `uidnext`, the
/// expunged ones (`VANISHED (EARLIER)`) and the messages from `uidnext` on: two commands whatever
/// the folder's size. The session must have QRESYNC enabled.
pub async fn fetch_changes_qresync(
    session: &mut ImapSession,
    modseq: u64,
    uidnext: u32,
) -> Result<ChangedSince, ImapError> {
    const ITEMS: &str = "UID RFC822.SIZE FLAGS INTERNALDATE";
    let mut out = ChangedSince::default();
    if uidnext > 1 {
        let (changed, vanished) = (&mut out.changed, &mut out.vanished);
        let command = format!(
            "UID FETCH 1:{} ({ITEMS}) (CHANGEDSINCE {modseq} VANISHED)",
            uidnext - 1
        );
        session
            .run(&command, |reply| {
                match reply {
                    Reply::Fetch(f) => changed.extend(meta_of(f).filter(|m| m.uid < uidnext)),
                    Reply::Vanished { uids, .. } => {
                        for range in uids {
                            vanished.insert_range(*range.start(), *range.end());
                        }
                    }
                    _ => {}
                }
                Ok(())
            })
            .await?;
    }
    let new = &mut out.new;
    // `N:*` names the last message even when its UID is below N: filtered.
    session
        .run(&format!("UID FETCH {uidnext}:* ({ITEMS})"), |reply| {
            if let Reply::Fetch(f) = reply {
                new.extend(meta_of(f).filter(|m| m.uid >= uidnext));
            }
            Ok(())
        })
        .await?;
    for list in [&mut out.changed, &mut out.new] {
        list.sort_by_key(|m| m.uid);
        list.dedup_by_key(|m| m.uid);
    }
    Ok(out)
}

/// Metadata with Message-IDs of the messages in `uids` of the selected folder.
pub async fn fetch_meta_of(
    session: &mut ImapSession,
    uids: &UidSet,
) -> Result<Vec<MessageMeta>, ImapError> {
    let mut out = Vec::new();
    for chunk in uids.to_command_chunks(900) {
        let items = "UID RFC822.SIZE FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]";
        session
            .run(&format!("UID FETCH {chunk} ({items})"), |reply| {
                if let Reply::Fetch(f) = reply {
                    out.extend(meta_of(f).filter(|m| uids.contains(m.uid)));
                }
                Ok(())
            })
            .await?;
    }
    out.sort_by_key(|m| m.uid);
    out.dedup_by_key(|m| m.uid);
    Ok(out)
}

/// The largest literal taken for a body whose RFC822.SIZE is `size`: twice that, or 1 MiB more
/// (some servers' sizes are estimates). A longer one is not what the server announced.
pub fn body_allowance(size: u32) -> u64 {
    (u64::from(size) * 2).max(u64::from(size) + (1 << 20))
}

/// The full bytes of `messages` (one command; keep sets small). Each literal may take its
/// message's allowance at most, and all of them together the sum of their allowances: a literal
/// over that fails the command before its memory is taken.
pub async fn fetch_bodies(
    session: &mut ImapSession,
    messages: &[&MessageMeta],
) -> Result<Vec<FetchedBody>, ImapError> {
    let uids: UidSet = messages.iter().map(|m| m.uid).collect();
    let largest = messages.iter().map(|m| m.size).max().unwrap_or(0);
    let total = messages.iter().map(|m| body_allowance(m.size)).sum();
    session.literal_limit.set(body_allowance(largest), total);
    let _reset = ResetOnDrop(session.literal_limit.clone());
    fetch_bodies_within_limit(session, &uids).await
}

async fn fetch_bodies_within_limit(
    session: &mut ImapSession,
    uids: &UidSet,
) -> Result<Vec<FetchedBody>, ImapError> {
    // A body sent again is dropped at once; a server that keeps doing it is failed.
    const MOST_REPEATS: u32 = 100;
    let mut out = Vec::with_capacity(uids.len().min(1024) as usize);
    let mut seen = std::collections::HashSet::new();
    let mut repeats = 0;
    for chunk in uids.to_command_chunks(900) {
        session
            .run(&format!("UID FETCH {chunk} (UID BODY.PEEK[])"), |reply| {
                if let Reply::Fetch(f) = reply
                    && let (Some(uid), Some(body)) = (f.uid, f.body)
                    && uids.contains(uid)
                {
                    if seen.insert(uid) {
                        out.push(FetchedBody { uid, body });
                    } else {
                        repeats += 1;
                        if repeats > MOST_REPEATS {
                            return Err(ImapError::Protocol(format!(
                                "UID FETCH: the server sent message {uid} again and again"
                            )));
                        }
                    }
                }
                Ok(())
            })
            .await?;
    }
    out.sort_by_key(|b| b.uid);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (b"Message-ID: <a@b>\r\n\r\n", Some("<a@b>")),
            (b"message-id:\r\n <folded@b>\r\n\r\n", Some("<folded@b>")),
            (b"\r\n", None),
            (b"Message-ID:   \r\n\r\n", None),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_message_id(raw).as_deref(), *want);
        }
    }
}
