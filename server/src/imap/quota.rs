//! How much a destination mailbox may still take (GETQUOTAROOT, RFC 2087 / 9208), for the
//! pre-flight to predict "destination mailbox full" before anything is copied.

use super::reply::Reply;
use super::{ImapError, ImapSession};

/// Bytes left under the INBOX's storage quota (the tightest of its roots); `None` without the
/// QUOTA extension or without a storage limit.
pub(crate) async fn storage_left(session: &mut ImapSession) -> Result<Option<u64>, ImapError> {
    if !session.has_capability("QUOTA") {
        return Ok(None);
    }
    let mut left: Option<u64> = None;
    session
        .run("GETQUOTAROOT INBOX", |reply| {
            if let Reply::Quota {
                storage_used_kib: Some(used),
                storage_limit_kib: Some(limit),
            } = reply
            {
                let free = limit.saturating_sub(used).saturating_mul(1024);
                left = Some(left.map_or(free, |l| l.min(free)));
            }
            Ok(())
        })
        .await?;
    Ok(left)
}
