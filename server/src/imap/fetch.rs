//! Reading a source folder: EXAMINE, message metadata in explicit UID windows, then bodies.
//! Every FETCH is read to its tagged answer, so a NO or a cut connection is an error, never a
//! silently short folder.

use super::error::ImapError;
use super::reply::{Reply, UntaggedCode};
use super::session::{ImapSession, quote};
use super::uid_set::UidSet;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderStatus {
    pub uidvalidity: u32,
    pub uidnext: u32,
    pub exists: u32,
    pub permanent_flags: Vec<String>,
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

/// `EXAMINE` (read-only: copying never changes `\Seen` on the source) or `SELECT`.
pub async fn open_folder(
    session: &mut ImapSession,
    wire_name: &str,
    read_only: bool,
) -> Result<FolderStatus, ImapError> {
    let name = quote(wire_name).ok_or_else(|| {
        ImapError::Protocol(format!("folder name {wire_name:?} holds a line break"))
    })?;
    let verb = if read_only { "EXAMINE" } else { "SELECT" };
    let mut status = FolderStatus::default();
    session
        .run(&format!("{verb} {name}"), |reply| {
            match reply {
                Reply::Exists(n) => status.exists = n,
                Reply::Untagged {
                    code: Some(UntaggedCode::UidValidity(v)),
                    ..
                } => status.uidvalidity = v,
                Reply::Untagged {
                    code: Some(UntaggedCode::UidNext(v)),
                    ..
                } => status.uidnext = v,
                Reply::Untagged {
                    code: Some(UntaggedCode::PermanentFlags(f)),
                    ..
                } => status.permanent_flags = f,
                _ => {}
            }
            Ok(())
        })
        .await?;
    Ok(status)
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

/// Whether a metadata pass also asks for each message's Message-ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageIds {
    /// Needed to recognise messages already in the destination (dedup).
    Fetch,
    /// Nothing to compare against: the server need not open every message for its header.
    Skip,
}

/// Metadata of every message with a UID in `first..=last`, in windows of `window` UIDs.
pub async fn fetch_meta(
    session: &mut ImapSession,
    first: u32,
    last: u32,
    window: u32,
    ids: MessageIds,
) -> Result<Vec<MessageMeta>, ImapError> {
    let mut out = Vec::new();
    if first == 0 || last < first {
        return Ok(out);
    }
    let mut start = first;
    loop {
        let end = start.saturating_add(window - 1).min(last);
        let items = match ids {
            MessageIds::Fetch => {
                "UID RFC822.SIZE FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"
            }
            MessageIds::Skip => "UID RFC822.SIZE FLAGS INTERNALDATE",
        };
        let command = format!("UID FETCH {start}:{end} ({items})");
        session
            .run(&command, |reply| {
                if let Reply::Fetch(f) = reply {
                    // `UID FETCH n:m` may answer a message outside the range (RFC 3501 `*` rule).
                    if let (Some(uid), Some(size), Some(date)) = (f.uid, f.size, f.internal_date)
                        && (start..=end).contains(&uid)
                    {
                        out.push(MessageMeta {
                            uid,
                            size,
                            flags: f.flags.unwrap_or_default(),
                            internal_date: date,
                            message_id: f.header_fields.as_deref().and_then(parse_message_id),
                        });
                    }
                }
                Ok(())
            })
            .await?;
        if end == last {
            break;
        }
        start = end + 1;
    }
    out.sort_by_key(|m| m.uid);
    out.dedup_by_key(|m| m.uid);
    Ok(out)
}

/// The full bytes of the messages in `uids` (one command; keep sets small).
pub async fn fetch_bodies(
    session: &mut ImapSession,
    uids: &UidSet,
) -> Result<Vec<FetchedBody>, ImapError> {
    let mut out = Vec::with_capacity(uids.len() as usize);
    for chunk in uids.to_command_chunks(900) {
        session
            .run(&format!("UID FETCH {chunk} (UID BODY.PEEK[])"), |reply| {
                if let Reply::Fetch(f) = reply
                    && let (Some(uid), Some(body)) = (f.uid, f.body)
                    && uids.contains(uid)
                {
                    out.push(FetchedBody { uid, body });
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
