//! The verifier: every folder of the source compared with the destination's folder of the same
//! name — count, bytes, flags, internal dates and a hash of every message. It never panics: what
//! differs is counted, so a tool that loses or changes mail gets a verdict, not a crash.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hasher};

use async_imap::imap_proto::{AttributeValue, MailboxDatum, NameAttribute, Response};

use mailferry_tests::{Dovecot, TestSession};

/// One message as the verifier sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    /// Hash of the text after the header block: finds the same message even when a tool
    /// rewrote its header.
    pub identity: u64,
    /// Hash of every byte.
    pub whole: u64,
    /// Flags without `\Recent`, sorted.
    pub flags: Vec<String>,
    pub internaldate: String,
}

/// Every folder (wire name) of one mailbox with its messages.
pub type MailboxDigest = BTreeMap<String, Vec<Digest>>;

fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

fn digest(attributes: &[AttributeValue<'_>]) -> Option<Digest> {
    let mut flags = Vec::new();
    let mut internaldate = None;
    let mut body = None;
    for attribute in attributes {
        match attribute {
            AttributeValue::Flags(f) => {
                flags = f
                    .iter()
                    .map(ToString::to_string)
                    .filter(|f| f != "\\Recent")
                    .collect();
            }
            AttributeValue::InternalDate(d) => internaldate = Some(d.to_string()),
            AttributeValue::BodySection { data, .. } => body = data.as_deref(),
            _ => {}
        }
    }
    let body = body?;
    flags.sort();
    let text_start = body
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |p| p + 4);
    Some(Digest {
        identity: hash(&body[text_start..]),
        whole: hash(body),
        flags,
        internaldate: internaldate?,
    })
}

/// Reads every folder of `user` (as the master user), 100 messages per FETCH so memory stays
/// small with 20 MB messages.
pub async fn read_mailbox(dovecot: &Dovecot, user: &str) -> anyhow::Result<MailboxDigest> {
    let mut session = TestSession::master(dovecot.imap_port(), user).await?;
    let mut names = Vec::new();
    session
        .command("LIST \"\" \"*\"", |parsed, _| {
            if let Response::MailboxData(MailboxDatum::List(list)) = parsed
                && !list
                    .name_attributes
                    .iter()
                    .any(|f| matches!(f, NameAttribute::NoSelect))
            {
                names.push(list.name.to_string());
            }
            Ok(())
        })
        .await?;
    let mut mailbox = MailboxDigest::new();
    for name in names {
        let mut exists = 0u32;
        session
            .command(&format!("EXAMINE \"{name}\""), |parsed, _| {
                if let Response::MailboxData(MailboxDatum::Exists(n)) = parsed {
                    exists = *n;
                }
                Ok(())
            })
            .await?;
        let mut messages = Vec::with_capacity(exists as usize);
        let mut first = 1;
        while first <= exists {
            let last = (first + 99).min(exists);
            session
                .command(
                    &format!("FETCH {first}:{last} (FLAGS INTERNALDATE BODY.PEEK[])"),
                    |parsed, _| {
                        if let Response::Fetch(_, attributes) = parsed {
                            messages.push(
                                digest(attributes)
                                    .ok_or_else(|| anyhow::anyhow!("FETCH without a body"))?,
                            );
                        }
                        Ok(())
                    },
                )
                .await?;
            first = last + 1;
        }
        mailbox.insert(name, messages);
    }
    session.logout().await?;
    Ok(mailbox)
}

/// How a destination compares with its source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub source_messages: u64,
    pub destination_messages: u64,
    pub missing_folders: u64,
    /// Source messages with no counterpart (by text hash) in the destination folder.
    pub missing: u64,
    /// Destination messages with no source counterpart: duplicates or strays.
    pub extra: u64,
    pub bytes_differ: u64,
    pub flags_differ: u64,
    pub dates_differ: u64,
}

impl Verdict {
    pub fn complete(&self) -> bool {
        self.missing == 0 && self.missing_folders == 0
    }

    pub fn identical(&self) -> bool {
        self.complete()
            && self.extra == 0
            && self.bytes_differ == 0
            && self.flags_differ == 0
            && self.dates_differ == 0
    }

    pub fn add(&mut self, other: &Verdict) {
        self.source_messages += other.source_messages;
        self.destination_messages += other.destination_messages;
        self.missing_folders += other.missing_folders;
        self.missing += other.missing;
        self.extra += other.extra;
        self.bytes_differ += other.bytes_differ;
        self.flags_differ += other.flags_differ;
        self.dates_differ += other.dates_differ;
    }

    /// "complete, identical", or what is wrong.
    pub fn summary(&self) -> String {
        if self.identical() {
            return "complete, identical".into();
        }
        let mut parts = Vec::new();
        let mut say = |n: u64, what: &str| {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        };
        say(self.missing_folders, "folders missing");
        say(self.missing, "messages missing");
        say(self.extra, "extra (duplicates)");
        say(self.bytes_differ, "with changed bytes");
        say(self.flags_differ, "with other flags");
        say(self.dates_differ, "with other dates");
        let head = if self.complete() {
            "complete, NOT identical"
        } else {
            "INCOMPLETE"
        };
        format!("{head}: {}", parts.join(", "))
    }
}

/// Compares one mailbox: each source message is matched with a destination message of the same
/// text in the same folder (an exact copy first).
pub fn compare(source: &MailboxDigest, destination: &MailboxDigest) -> Verdict {
    let mut verdict = Verdict::default();
    for (name, messages) in source {
        verdict.source_messages += messages.len() as u64;
        let Some(copies) = destination.get(name) else {
            verdict.missing_folders += 1;
            verdict.missing += messages.len() as u64;
            continue;
        };
        let mut by_identity: HashMap<u64, Vec<&Digest>> = HashMap::new();
        for copy in copies {
            by_identity.entry(copy.identity).or_default().push(copy);
        }
        for message in messages {
            let Some(candidates) = by_identity.get_mut(&message.identity) else {
                verdict.missing += 1;
                continue;
            };
            let Some(pick) = candidates
                .iter()
                .position(|c| *c == message)
                .or((!candidates.is_empty()).then_some(0))
            else {
                verdict.missing += 1;
                continue;
            };
            let copy = candidates.swap_remove(pick);
            verdict.bytes_differ += u64::from(copy.whole != message.whole);
            verdict.flags_differ += u64::from(copy.flags != message.flags);
            verdict.dates_differ += u64::from(copy.internaldate != message.internaldate);
        }
        verdict.extra += by_identity.values().map(|v| v.len() as u64).sum::<u64>();
    }
    for (name, copies) in destination {
        verdict.destination_messages += copies.len() as u64;
        if !source.contains_key(name) {
            verdict.extra += copies.len() as u64;
        }
    }
    verdict
}
