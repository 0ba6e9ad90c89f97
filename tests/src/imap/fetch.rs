//! Reading a whole folder back for verification: `EXAMINE` + `UID FETCH 1:*`.

use std::collections::BTreeMap;

use anyhow::{Context, anyhow};
use async_imap::imap_proto::{AttributeValue, MailboxDatum, Response};
use chrono::{DateTime, FixedOffset};

use super::error::CommandError;
use super::session::{TestSession, quote};

/// One message as the server stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedMessage {
    /// The message's UID.
    pub uid: u32,
    /// Flags and keywords as sent by the server (`\Seen`, `$Label1`; `\Recent` included if set).
    pub flags: Vec<String>,
    /// INTERNALDATE as sent, e.g. `03-Feb-2001 04:05:06 +0100`.
    pub internaldate_raw: String,
    /// INTERNALDATE parsed, offset kept.
    pub internaldate: DateTime<FixedOffset>,
    /// RFC822.SIZE.
    pub size: u32,
    /// `BODY[]`, the whole message.
    pub body: Vec<u8>,
}

#[derive(Default)]
struct Partial {
    uid: Option<u32>,
    flags: Vec<String>,
    internaldate: Option<String>,
    size: Option<u32>,
    body: Option<Vec<u8>>,
}

impl TestSession {
    /// Every message of `folder` in UID order (read-only: `EXAMINE`, `BODY.PEEK[]`).
    ///
    /// Each tagged answer is checked: a NO or a closed connection is an error, never a short list.
    pub async fn fetch_all(&mut self, folder: &str) -> Result<Vec<FetchedMessage>, CommandError> {
        let mut exists = None;
        self.command(&format!("EXAMINE {}", quote(folder)), |parsed, _| {
            if let Response::MailboxData(MailboxDatum::Exists(count)) = parsed {
                exists = Some(*count);
            }
            Ok(())
        })
        .await?;
        let exists = exists.context("EXAMINE sent no EXISTS")?;
        if exists == 0 {
            return Ok(Vec::new());
        }

        let mut by_uid = BTreeMap::new();
        self.command(
            "UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])",
            |parsed, _| {
                if let Response::Fetch(_, attributes) = parsed {
                    let message = collect(attributes)?;
                    by_uid.insert(message.uid, message);
                }
                Ok(())
            },
        )
        .await?;
        if by_uid.len() != exists as usize {
            return Err(anyhow!("EXISTS was {exists} but {} messages came", by_uid.len()).into());
        }
        Ok(by_uid.into_values().collect())
    }
}

fn collect(attributes: &[AttributeValue<'_>]) -> anyhow::Result<FetchedMessage> {
    let mut partial = Partial::default();
    for attribute in attributes {
        match attribute {
            AttributeValue::Uid(uid) => partial.uid = Some(*uid),
            AttributeValue::Flags(flags) => {
                partial.flags = flags.iter().map(ToString::to_string).collect();
            }
            AttributeValue::InternalDate(date) => partial.internaldate = Some(date.to_string()),
            AttributeValue::Rfc822Size(size) => partial.size = Some(*size),
            AttributeValue::BodySection { data, .. } => {
                partial.body = Some(data.as_deref().unwrap_or_default().to_vec());
            }
            _ => {}
        }
    }
    let internaldate_raw = partial.internaldate.context("FETCH without INTERNALDATE")?;
    let internaldate =
        DateTime::parse_from_str(internaldate_raw.trim_start(), "%d-%b-%Y %H:%M:%S %z")
            .with_context(|| format!("INTERNALDATE {internaldate_raw:?}"))?;
    Ok(FetchedMessage {
        uid: partial.uid.context("FETCH without UID")?,
        flags: partial.flags,
        internaldate_raw,
        internaldate,
        size: partial.size.context("FETCH without RFC822.SIZE")?,
        body: partial.body.context("FETCH without BODY[]")?,
    })
}
