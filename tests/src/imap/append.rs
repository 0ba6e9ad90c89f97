//! Raw `APPEND` with a synchronizing literal, keeping the server's tagged answer.
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
