//! One destination transaction: journal the messages, append them (MULTIAPPEND, or one at a
//! time to find the message a server refuses), commit what the destination took.

use app::ErrorKind;

use super::folder_job::{FolderJob, FolderOutcome};
use super::halt::Halt;
use super::mailbox::MessageProblem;
use super::message_map::{Copied, flags_text};
use super::repair::repair;
use super::state::{self, FolderState};
use crate::engine::classify::{Stage, classify};
use crate::imap::ImapSession;
use crate::imap::append::{
    AppendCapabilities, OutgoingMessage, append_each, destination_flags, multiappend,
};
use crate::imap::fetch::{FetchedBody, MessageMeta};

/// Appends transactions of one folder.
pub(crate) struct Appender<'j, 'a> {
    pub job: &'j FolderJob<'a>,
    pub caps: AppendCapabilities,
    /// The destination folder's PERMANENTFLAGS (which keywords it keeps).
    pub permanent_flags: Vec<String>,
}

/// A message ready to go: its metadata, its bytes and the flags the destination will keep.
struct Ready<'m> {
    meta: &'m MessageMeta,
    body: bytes::Bytes,
    flags: Vec<String>,
}

impl Ready<'_> {
    /// What the state records once the destination stored it.
    fn copied(&self, destination_uid: Option<u32>) -> Copied {
        Copied {
            uid: self.meta.uid,
            destination_uid,
            flags: Some(flags_text(&self.meta.flags)),
        }
    }
}

/// A refusal that stops the folder (the next messages would be refused too).
fn stops_folder(kind: ErrorKind) -> bool {
    kind == ErrorKind::DestinationMailboxFull || kind == ErrorKind::Throttled
}

fn subject_of(body: &[u8]) -> Option<String> {
    let head_end = body
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(body.len().min(16 * 1024));
    let head = String::from_utf8_lossy(&body[..head_end])
        .replace("\r\n ", " ")
        .replace("\r\n\t", " ");
    head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("subject").then(|| {
            let value = value.trim();
            // Encoded words (=?UTF-8?B?…?=) as the admin reads them; a broken one stays as sent.
            let decoded = rfc2047_decoder::decode(value.as_bytes());
            let text = decoded.as_deref().unwrap_or(value);
            text.chars().filter(|c| !c.is_control()).take(200).collect()
        })
    })
}

impl Appender<'_, '_> {
    /// Pairs metadata with bodies; a message whose body never came is a problem (expunged since
    /// the metadata pass, or a server that answers OK without it), so the folder is not
    /// recorded as complete and the next run asks again.
    fn pair<'m>(
        &self,
        batch: Vec<&'m MessageMeta>,
        bodies: Vec<FetchedBody>,
        outcome: &mut FolderOutcome,
    ) -> Vec<Ready<'m>> {
        let mut ready = Vec::with_capacity(bodies.len());
        let mut bodies = bodies.into_iter().peekable();
        for meta in batch {
            while bodies.peek().is_some_and(|b| b.uid < meta.uid) {
                bodies.next();
            }
            match bodies.next_if(|b| b.uid == meta.uid) {
                Some(body) => {
                    let (flags, dropped) = destination_flags(&meta.flags, &self.permanent_flags);
                    if !dropped.is_empty() {
                        outcome.notices.push(MessageProblem {
                            kind: ErrorKind::KeywordsDropped,
                            uid: meta.uid,
                            size: meta.size,
                            subject: subject_of(&body.body),
                            detail: format!("not kept: {}", dropped.join(" ")),
                        });
                    }
                    ready.push(Ready {
                        meta,
                        body: body.body,
                        flags,
                    })
                }
                None => outcome.problems.push(MessageProblem {
                    kind: ErrorKind::MessageNotReturned,
                    uid: meta.uid,
                    size: meta.size,
                    subject: None,
                    detail: format!("UID {} was listed but its body never came", meta.uid),
                }),
            }
        }
        ready
    }

    /// A destination UID from APPENDUID, only where the server offers UIDPLUS (else it is found
    /// by Message-ID, date and size when a later pass needs it).
    fn uid(&self, appended: Option<u32>) -> Option<u32> {
        appended.filter(|_| self.caps.uidplus)
    }

    /// Appends one transaction and commits what the destination stored.
    pub(crate) async fn append(
        &self,
        dst: &mut ImapSession,
        folder: &mut FolderState,
        outcome: &mut FolderOutcome,
        batch: Vec<&MessageMeta>,
        bodies: Vec<FetchedBody>,
    ) -> Result<(), Halt> {
        let ready = self.pair(batch, bodies, outcome);
        if ready.is_empty() {
            return Ok(());
        }
        let metas: Vec<&MessageMeta> = ready.iter().map(|r| r.meta).collect();
        state::journal_add(self.job.db, folder, &metas).await?;
        let messages: Vec<OutgoingMessage<'_>> = ready
            .iter()
            .map(|r| OutgoingMessage {
                flags: &r.flags,
                internal_date: &r.meta.internal_date,
                body: &r.body,
            })
            .collect();
        let halt = Halt::at(Stage::DestinationWrite);
        if self.caps.multiappend
            && self
                .all_at_once(dst, folder, outcome, &ready, &messages)
                .await?
        {
            return Ok(());
        }
        let results = append_each(dst, self.caps, self.job.destination_folder, &messages)
            .await
            .map_err(&halt)?;
        let mut stored = Vec::with_capacity(ready.len());
        let mut stop = None;
        for (message, result) in ready.iter().zip(results) {
            let error = match result {
                Ok(uid) => {
                    stored.push((message.copied(self.uid(uid)), message.body.len() as u64));
                    continue;
                }
                Err(error) => error,
            };
            let kind = classify(Stage::DestinationWrite, &error);
            if stops_folder(kind) {
                stop.get_or_insert(error);
            } else if let Some((size, uid)) = self.repaired(dst, message, &error, outcome).await? {
                stored.push((message.copied(self.uid(uid)), size));
            } else {
                outcome.problems.push(MessageProblem {
                    kind,
                    uid: message.meta.uid,
                    size: message.meta.size,
                    subject: subject_of(&message.body),
                    detail: error.to_string(),
                });
            }
        }
        self.commit(folder, outcome, &stored).await?;
        state::journal_clear(self.job.db, folder).await?;
        match stop {
            Some(error) => Err(halt(error)),
            None => Ok(()),
        }
    }

    /// One MULTIAPPEND of the whole transaction; `false` when one message failed it (then each is
    /// appended on its own to find which).
    async fn all_at_once(
        &self,
        dst: &mut ImapSession,
        folder: &mut FolderState,
        outcome: &mut FolderOutcome,
        ready: &[Ready<'_>],
        messages: &[OutgoingMessage<'_>],
    ) -> Result<bool, Halt> {
        let halt = Halt::at(Stage::DestinationWrite);
        match multiappend(dst, self.caps, self.job.destination_folder, messages).await {
            Ok(uids) => {
                let all: Vec<(Copied, u64)> = ready
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        (
                            r.copied(self.uid(uids.get(i).copied())),
                            r.body.len() as u64,
                        )
                    })
                    .collect();
                self.commit(folder, outcome, &all).await?;
                Ok(true)
            }
            Err(error) if error.is_fatal_to_session() => Err(halt(error)),
            Err(error) if stops_folder(classify(Stage::DestinationWrite, &error)) => {
                // A refused MULTIAPPEND stored nothing.
                state::journal_clear(self.job.db, folder).await?;
                Err(halt(error))
            }
            // One bad message fails the whole MULTIAPPEND: find it by appending one at a time.
            Err(_) => Ok(false),
        }
    }

    /// A message the destination refused as sent, repaired and appended once more; its size
    /// and destination UID when the destination took it (with a notice of what was changed).
    async fn repaired(
        &self,
        dst: &mut ImapSession,
        message: &Ready<'_>,
        refusal: &crate::imap::ImapError,
        outcome: &mut FolderOutcome,
    ) -> Result<Option<(u64, Option<u32>)>, Halt> {
        let Some((body, changes)) = repair(&message.body) else {
            return Ok(None);
        };
        let again = [OutgoingMessage {
            flags: &message.flags,
            internal_date: &message.meta.internal_date,
            body: &body,
        }];
        let mut results = append_each(dst, self.caps, self.job.destination_folder, &again)
            .await
            .map_err(Halt::at(Stage::DestinationWrite))?;
        let uid = match results.pop() {
            Some(Ok(uid)) => uid,
            _ => return Ok(None),
        };
        outcome.notices.push(MessageProblem {
            kind: ErrorKind::MessageRepaired,
            uid: message.meta.uid,
            size: message.meta.size,
            subject: subject_of(&body),
            detail: format!(
                "{}; the destination had said: {refusal}",
                changes.join(", ")
            ),
        });
        Ok(Some((body.len() as u64, uid)))
    }

    async fn commit(
        &self,
        folder: &mut FolderState,
        outcome: &mut FolderOutcome,
        stored: &[(Copied, u64)],
    ) -> Result<(), Halt> {
        let copied: Vec<Copied> = stored.iter().map(|s| s.0.clone()).collect();
        let bytes: u64 = stored.iter().map(|s| s.1).sum();
        let counted = self.job.progress.mailbox_row().map(|row| (row, bytes));
        state::commit_copied(self.job.db, folder, &copied, counted).await?;
        outcome.copied += copied.len() as u64;
        outcome.bytes += bytes;
        self.job.progress.copied(copied.len() as u64, bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_unfolded() {
        assert_eq!(
            subject_of(b"From: a\r\nSubject: Hello\r\n world\r\n\r\nbody").as_deref(),
            Some("Hello world")
        );
        assert_eq!(subject_of(b"From: a\r\n\r\nSubject: in the body"), None);
    }

    #[test]
    fn encoded_subjects_are_decoded() {
        let folded = b"Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n =?ISO-8859-1?Q?_aus_K=F6ln?=\r\n\r\nx";
        assert_eq!(subject_of(folded).as_deref(), Some("Grüße aus Köln"));
        let broken = b"Subject: =?UTF-8?B?not base64!?=\r\n\r\nx";
        assert_eq!(
            subject_of(broken).as_deref(),
            Some("=?UTF-8?B?not base64!?=")
        );
    }
}
