//! Writing to a destination folder: MULTIAPPEND (RFC 3502) — many messages, one transaction —
//! with LITERAL+ (RFC 7888) where offered; otherwise single APPENDs. Every answer is checked.

use super::error::ImapError;
use super::reply::Reply;
use super::session::{ImapSession, expand_append_uid, quote};

/// One message to append.
#[derive(Debug)]
pub struct OutgoingMessage<'a> {
    pub flags: &'a [String],
    pub internal_date: &'a str,
    pub body: &'a [u8],
}

/// What the destination offers for appending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppendCapabilities {
    pub multiappend: bool,
    /// `{N+}` literals of any size (LITERAL+), or only up to 4096 bytes (LITERAL-).
    pub literal_plus: bool,
    pub literal_minus: bool,
    /// The largest message the destination takes (APPENDLIMIT, or its provider's known limit).
    pub max_message: Option<u64>,
    /// UIDPLUS: the APPENDUID of an answer can be relied on.
    pub uidplus: bool,
}

impl AppendCapabilities {
    pub fn of(session: &ImapSession) -> Self {
        AppendCapabilities {
            multiappend: session.has_capability("MULTIAPPEND"),
            literal_plus: session.has_capability("LITERAL+"),
            literal_minus: session.has_capability("LITERAL-"),
            max_message: super::provider::append_limit(session),
            uidplus: session.has_capability("UIDPLUS"),
        }
    }

    fn non_sync(&self, len: usize) -> bool {
        self.literal_plus || (self.literal_minus && len <= 4096)
    }
}

/// The system flags a message may carry into APPEND (`\Recent` is the server's own; other
/// backslash names are refused by some servers, Cyrus among them).
const SYSTEM_FLAGS: [&str; 5] = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"];

/// Flags as the destination will take them, and those it will not: `\Recent` is left out
/// silently (servers set it themselves); keywords only where PERMANENTFLAGS allows them, no
/// unknown system flag, nothing that is not a valid atom.
pub fn destination_flags(
    source: &[String],
    permanent_flags: &[String],
) -> (Vec<String>, Vec<String>) {
    let any_keyword = permanent_flags.iter().any(|f| f == "\\*");
    let valid = |f: &str| {
        let body = f.strip_prefix('\\').unwrap_or(f);
        !body.is_empty()
            && body
                .bytes()
                .all(|b| b > b' ' && b < 0x7f && !b"(){%*\"\\]".contains(&b))
    };
    let kept = |f: &str| {
        if f.starts_with('\\') {
            SYSTEM_FLAGS.iter().any(|s| s.eq_ignore_ascii_case(f))
        } else {
            valid(f) && (any_keyword || permanent_flags.iter().any(|p| p.eq_ignore_ascii_case(f)))
        }
    };
    source
        .iter()
        .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
        .cloned()
        .partition(|f| kept(f))
}

fn message_prefix(message: &OutgoingMessage<'_>, non_sync: bool) -> Result<String, ImapError> {
    let date = quote(message.internal_date).ok_or_else(|| {
        ImapError::Protocol(format!("bad INTERNALDATE {:?}", message.internal_date))
    })?;
    let plus = if non_sync { "+" } else { "" };
    Ok(format!(
        "({}) {date} {{{}{plus}}}\r\n",
        message.flags.join(" "),
        message.body.len()
    ))
}

/// Waits for the `+` that invites a synchronizing literal; a tagged answer first is the result.
async fn await_continuation(session: &mut ImapSession, tag: &str) -> Result<(), ImapError> {
    loop {
        match session.read("APPEND").await? {
            Reply::Continue => return Ok(()),
            Reply::Done {
                tag: t,
                status,
                code,
                text,
                ..
            } if t == tag => {
                ImapSession::completion("APPEND", status, code, text)?;
                return Err(ImapError::Protocol(
                    "APPEND completed before its literal was sent".into(),
                ));
            }
            _ => {}
        }
    }
}

/// Appends `messages` to `folder` in one MULTIAPPEND command: all stored or none. The
/// destination UIDs in order, where the server says (UIDPLUS), else none.
pub async fn multiappend(
    session: &mut ImapSession,
    caps: AppendCapabilities,
    folder: &str,
    messages: &[OutgoingMessage<'_>],
) -> Result<Vec<u32>, ImapError> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let mailbox = quote(folder)
        .ok_or_else(|| ImapError::Protocol(format!("folder name {folder:?} holds a line break")))?;
    let tag = session.next_tag();
    for (i, message) in messages.iter().enumerate() {
        let non_sync = caps.non_sync(message.body.len());
        let prefix = message_prefix(message, non_sync)?;
        let line = if i == 0 {
            format!("{tag} APPEND {mailbox} {prefix}")
        } else {
            format!(" {prefix}")
        };
        if non_sync {
            session.write_buffered(line.as_bytes(), "APPEND").await?;
        } else {
            session.write(line.as_bytes(), "APPEND").await?;
            await_continuation(session, &tag).await?;
        }
        session.write_buffered(message.body, "APPEND").await?;
    }
    session.write(b"\r\n", "APPEND").await?;
    let mut ignore = |_| Ok(());
    let done = session.finish(&tag, "APPEND", &mut ignore).await?;
    // A count that does not match is no answer (a server that numbers oddly).
    Ok(if done.append_uid.len() == messages.len() {
        done.append_uid
    } else {
        Vec::new()
    })
}

/// One APPEND's answer: the message's destination UID where the server says.
pub type Appended = Result<Option<u32>, ImapError>;

/// Appends each message with its own APPEND command, pipelined when literals need no
/// continuation (LITERAL+, or LITERAL- for small ones), else one after the other. The outer error
/// is a broken session; the inner results are the server's answer per message.
pub async fn append_each(
    session: &mut ImapSession,
    caps: AppendCapabilities,
    folder: &str,
    messages: &[OutgoingMessage<'_>],
) -> Result<Vec<Appended>, ImapError> {
    let single = AppendCapabilities {
        multiappend: false,
        ..caps
    };
    if !messages.iter().all(|m| caps.non_sync(m.body.len())) {
        let mut results = Vec::with_capacity(messages.len());
        for message in messages {
            match multiappend(session, single, folder, std::slice::from_ref(message)).await {
                Err(e) if e.is_fatal_to_session() => return Err(e),
                other => results.push(other.map(|uids| uids.first().copied())),
            }
        }
        return Ok(results);
    }
    let mailbox = quote(folder)
        .ok_or_else(|| ImapError::Protocol(format!("folder name {folder:?} holds a line break")))?;
    let mut tags = Vec::with_capacity(messages.len());
    for message in messages {
        let tag = session.next_tag();
        let line = format!("{tag} APPEND {mailbox} {}", message_prefix(message, true)?);
        session.write_buffered(line.as_bytes(), "APPEND").await?;
        session.write_buffered(message.body, "APPEND").await?;
        session.write_buffered(b"\r\n", "APPEND").await?;
        tags.push(tag);
    }
    session.write(b"", "APPEND").await?;
    let mut results: Vec<Option<Appended>> = (0..messages.len()).map(|_| None).collect();
    let mut pending = messages.len();
    while pending > 0 {
        if let Reply::Done {
            tag,
            status,
            code,
            text,
            append_uid,
        } = session.read("APPEND").await?
            && let Some(i) = tags.iter().position(|t| *t == tag)
            && results[i].is_none()
        {
            let uid = expand_append_uid(append_uid).first().copied();
            results[i] = Some(ImapSession::completion("APPEND", status, code, text).map(|_| uid));
            pending -= 1;
        }
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every tag answered"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn flags_the_destination_accepts() {
        let source = s(&[
            "\\Seen",
            "\\Recent",
            "$Label1",
            "Junk)",
            "\\Flagged",
            "\\Weird",
        ]);
        assert_eq!(
            destination_flags(&source, &s(&["\\Seen", "\\Flagged", "\\*"])),
            (
                s(&["\\Seen", "$Label1", "\\Flagged"]),
                s(&["Junk)", "\\Weird"])
            )
        );
        assert_eq!(
            destination_flags(&source, &s(&["\\Seen"])),
            (
                s(&["\\Seen", "\\Flagged"]),
                s(&["$Label1", "Junk)", "\\Weird"])
            )
        );
        assert_eq!(
            destination_flags(&source, &s(&["$label1"])).0,
            s(&["\\Seen", "$Label1", "\\Flagged"])
        );
    }
}
