//! An authenticated test session: raw commands with checked tagged results, folders, logout.

use anyhow::anyhow;
use async_imap::imap_proto::{MailboxDatum, Response};

use super::error::{CommandError, tagged_outcome, within};
use super::stream::TestStream;

/// An authenticated IMAP session for tests.
#[derive(Debug)]
pub struct TestSession {
    session: async_imap::Session<TestStream>,
}

impl TestSession {
    pub(crate) fn new(session: async_imap::Session<TestStream>) -> TestSession {
        TestSession { session }
    }

    /// The async-imap session, for anything the helpers do not cover.
    pub fn inner(&mut self) -> &mut async_imap::Session<TestStream> {
        &mut self.session
    }

    /// Runs `command` (without tag), hands each untagged response to `on_untagged` and returns
    /// the tagged `OK …` text, or [`CommandError::Refused`] with the tagged `NO …`/`BAD …`.
    pub async fn command(
        &mut self,
        command: &str,
        mut on_untagged: impl FnMut(&Response<'_>, &[u8]) -> anyhow::Result<()>,
    ) -> Result<String, CommandError> {
        let session = &mut self.session;
        within(command, async move {
            let tag = session.run_command(command).await?;
            loop {
                let response = session
                    .read_response()
                    .await?
                    .ok_or_else(|| anyhow!("connection closed during {command}"))?;
                match response.parsed() {
                    Response::Done { tag: done, .. } if *done == tag => {
                        return tagged_outcome(response.parsed(), response.borrow_owner());
                    }
                    parsed => on_untagged(parsed, response.borrow_owner())?,
                }
            }
        })
        .await
    }

    /// `CREATE name` (`name` is the wire name, with the server's separator).
    pub async fn create_folder(&mut self, name: &str) -> Result<(), CommandError> {
        self.command(&format!("CREATE {}", quote(name)), |_, _| Ok(()))
            .await
            .map(drop)
    }

    /// `LIST "" "*"`: every folder's wire name, as the server sent it.
    pub async fn list_folders(&mut self) -> Result<Vec<String>, CommandError> {
        let mut names = Vec::new();
        self.command("LIST \"\" \"*\"", |parsed, _| {
            if let Response::MailboxData(MailboxDatum::List(list)) = parsed {
                names.push(list.name.to_string());
            }
            Ok(())
        })
        .await?;
        Ok(names)
    }

    /// `LOGOUT`.
    pub async fn logout(mut self) -> Result<(), CommandError> {
        within("LOGOUT", async { Ok(self.session.logout().await?) }).await
    }
}

/// An IMAP quoted string.
pub(crate) fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
