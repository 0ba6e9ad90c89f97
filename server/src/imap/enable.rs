//! Extensions a session switches on after sign-in (RFC 5161 ENABLE).

use super::error::ImapError;
use super::reply::Reply;
use super::session::ImapSession;

impl ImapSession {
    /// Whether QRESYNC was enabled on this session.
    pub fn qresync(&self) -> bool {
        self.qresync
    }

    /// Enables QRESYNC where the server offers it (after sign-in, before any SELECT): a later
    /// pass then learns which messages were expunged without listing the folder.
    pub async fn enable_qresync(&mut self) -> Result<bool, ImapError> {
        if !self.has_capability("QRESYNC") {
            return Ok(false);
        }
        let mut enabled = false;
        self.run("ENABLE QRESYNC", |reply| {
            // `* ENABLED QRESYNC` reads as a capability list.
            if let Reply::Capabilities(list) = reply {
                enabled |= list.iter().any(|c| c.eq_ignore_ascii_case("QRESYNC"));
            }
            Ok(())
        })
        .await?;
        self.qresync = enabled;
        Ok(enabled)
    }
}
