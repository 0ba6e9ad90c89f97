//! Raw `APPEND` with a synchronizing literal, keeping the server's tagged answer, and a fast
//! MULTIAPPEND for seeding big corpora.
//!
//! async-imap's own `append()` drops the NO text and its response code (`[OVERQUOTA]`), so the
//! command is written by hand. Dovecot may refuse before the `+` continuation when it already
//! knows the size is over quota: then the literal is not sent.

use anyhow::anyhow;
use async_imap::imap_proto::Response;
use chrono::{DateTime, FixedOffset};
use tokio::io::AsyncWriteExt;

use super::error::{CommandError, tagged_outcome, within};
use super::session::{TestSession, quote};

impl TestSession {
    /// Appends `message` to `folder` with `flags` (e.g. `\Seen`, `$Label1`) and an optional
    /// INTERNALDATE. Returns the tagged `OK …` text (with `[APPENDUID …]`), or
    /// [`CommandError::Refused`] with the tagged `NO …` text.
    pub async fn append(
        &mut self,
        folder: &str,
        message: &[u8],
        flags: &[&str],
        internaldate: Option<DateTime<FixedOffset>>,
    ) -> Result<String, CommandError> {
        let mut command = format!("APPEND {}", quote(folder));
        if !flags.is_empty() {
            command.push_str(&format!(" ({})", flags.join(" ")));
        }
        if let Some(date) = internaldate {
            command.push_str(&format!(" \"{}\"", date.format("%d-%b-%Y %H:%M:%S %z")));
        }
        command.push_str(&format!(" {{{}}}", message.len()));

        let session = self.inner();
        within("APPEND", async move {
            let tag = session.run_command(&command).await?;
            let mut sent = false;
            loop {
                let response = session
                    .read_response()
                    .await?
                    .ok_or_else(|| anyhow!("connection closed during APPEND"))?;
                match response.parsed() {
                    Response::Continue { .. } if !sent => {
                        let stream = session.get_mut();
                        stream.write_all(message).await?;
                        stream.write_all(b"\r\n").await?;
                        stream.flush().await?;
                        sent = true;
                    }
                    Response::Done { tag: done, .. } if *done == tag => {
                        return tagged_outcome(response.parsed(), response.borrow_owner());
                    }
                    _ => {}
                }
            }
        })
        .await
    }
}

/// One message for [`TestSession::append_many`].
#[derive(Debug, Clone, Copy)]
pub struct Appended<'a> {
    pub bytes: &'a [u8],
    pub flags: &'a [String],
    pub internaldate: DateTime<FixedOffset>,
}

impl TestSession {
    /// Appends `messages` to `folder` in one MULTIAPPEND (RFC 3502) with LITERAL+ literals (the
    /// server must offer both; Dovecot does): one transaction, so seeding a corpus of thousands
    /// of messages takes seconds. Returns the tagged `OK …` text.
    pub async fn append_many(
        &mut self,
        folder: &str,
        messages: &[Appended<'_>],
    ) -> Result<String, CommandError> {
        let Some((first, rest)) = messages.split_first() else {
            return Err(CommandError::Failed(anyhow!("nothing to append")));
        };
        let prefix = |m: &Appended<'_>| {
            format!(
                "({}) \"{}\" {{{}+}}",
                m.flags.join(" "),
                m.internaldate.format("%d-%b-%Y %H:%M:%S %z"),
                m.bytes.len()
            )
        };
        let command = format!("APPEND {} {}", quote(folder), prefix(first));
        let session = self.inner();
        within("APPEND (multi)", async move {
            let tag = session.run_command(&command).await?;
            let stream = session.get_mut();
            stream.write_all(first.bytes).await?;
            for message in rest {
                stream
                    .write_all(format!(" {}\r\n", prefix(message)).as_bytes())
                    .await?;
                stream.write_all(message.bytes).await?;
            }
            stream.write_all(b"\r\n").await?;
            stream.flush().await?;
            loop {
                let response = session
                    .read_response()
                    .await?
                    .ok_or_else(|| anyhow!("connection closed during APPEND"))?;
                if let Response::Done { tag: done, .. } = response.parsed()
                    && *done == tag
                {
                    return tagged_outcome(response.parsed(), response.borrow_owner());
                }
            }
        })
        .await
    }
}
