//! Deterministic test messages and seeding a mailbox with folders, flags and internal dates.

use anyhow::Context;
use chrono::{DateTime, Duration, FixedOffset, TimeZone as _};

use crate::imap::CommandError;
use crate::server::TestServer;

const WORDS: [&str; 16] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa",
];
const LINE_LEN: usize = 76;

/// A valid RFC 5322 message (CRLF line ends) that depends only on its arguments.
///
/// Headers: From, To, Subject, Date, Message-ID (`message_id`, or `<seed-N@mailferry.test>`),
/// MIME-Version, Content-Type. The body is padded so the whole message is exactly `size` bytes,
/// unless the headers alone are longer (then it is headers plus one empty body line).
pub fn message(seed: u64, size: usize, message_id: Option<&str>) -> Vec<u8> {
    let message_id =
        message_id.map_or_else(|| format!("<seed-{seed}@mailferry.test>"), str::to_string);
    let date = header_date(seed);
    let mut bytes = format!(
        "From: Sender {sender} <sender{sender}@source.test>\r\n\
         To: Recipient <recipient@destination.test>\r\n\
         Subject: Test message {seed}\r\n\
         Date: {date}\r\n\
         Message-ID: {message_id}\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n",
        sender = seed % 7,
        date = date.format("%a, %d %b %Y %H:%M:%S %z"),
    )
    .into_bytes();
    let body_len = size.saturating_sub(bytes.len()).max(2);
    bytes.extend(body(seed, body_len));
    bytes
}

/// A message to seed: its bytes, flags (`\Seen`, keywords) and optional INTERNALDATE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSpec {
    /// The whole message.
    pub bytes: Vec<u8>,
    /// Flags and keywords, e.g. `\Seen`, `$Label1`.
    pub flags: Vec<String>,
    /// INTERNALDATE; `None` lets the server use "now".
    pub internaldate: Option<DateTime<FixedOffset>>,
}

/// A folder (wire name, with the server's separator; `INBOX` is never created) and its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderSpec {
    /// The wire name, e.g. `Archive/2001` on a `/` server.
    pub name: String,
    /// Messages in append order.
    pub messages: Vec<MessageSpec>,
}

/// The folders of one mailbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxSpec {
    /// Folders in creation order (parents before children).
    pub folders: Vec<FolderSpec>,
}

/// Creates `spec`'s folders for `user` (signed in as an admin acting for it, where the server
/// has one) and appends the messages with their flags and dates. Folder names are given as
/// `A/B` and spelled as the server does. Folders that already exist are kept.
pub async fn seed_mailbox(
    server: &impl TestServer,
    user: &str,
    spec: &MailboxSpec,
) -> anyhow::Result<()> {
    let mut session = server
        .session_for(user)
        .await
        .with_context(|| format!("signing in as {user}"))?;
    for folder in &spec.folders {
        let name = server.folder_name(&folder.name);
        if !name.eq_ignore_ascii_case("INBOX") {
            match session.create_folder(&name).await {
                Ok(()) => {}
                Err(CommandError::Refused(text))
                    if text.contains("[ALREADYEXISTS]") || text.contains("already exists") => {}
                Err(error) => return Err(error).context(format!("creating {name}")),
            }
        }
        for (index, message) in folder.messages.iter().enumerate() {
            let flags: Vec<&str> = message.flags.iter().map(String::as_str).collect();
            session
                .append(&name, &message.bytes, &flags, message.internaldate)
                .await
                .with_context(|| format!("appending message {index} to {name}"))?;
        }
    }
    session.logout().await?;
    Ok(())
}

/// A date derived from `seed`: 2020-01-01 00:00 +0100 plus `seed` hours.
fn header_date(seed: u64) -> DateTime<FixedOffset> {
    let zone = FixedOffset::east_opt(3600).expect("+01:00 is a valid offset");
    let start = zone
        .with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
        .single()
        .expect("a fixed offset has no gaps");
    start + Duration::hours(i64::try_from(seed % 1_000_000).unwrap_or(0))
}

/// Exactly `len` (>= 2) bytes of text lines, ending in CRLF, with no bare CR or LF.
fn body(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut text = Vec::with_capacity(len + LINE_LEN);
    let mut line = 0usize;
    while text.len() < len - 2 {
        let word = WORDS[(splitmix64(&mut state) % WORDS.len() as u64) as usize].as_bytes();
        if line + word.len() + 1 > LINE_LEN {
            text.extend_from_slice(b"\r\n");
            line = 0;
        } else if line > 0 {
            text.push(b' ');
            line += 1;
        }
        text.extend_from_slice(word);
        line += word.len();
    }
    text.truncate(len - 2);
    if text.last() == Some(&b'\r') {
        text.pop();
        text.push(b'x');
    }
    text.extend_from_slice(b"\r\n");
    text
}

/// splitmix64: the next number of a seeded sequence (the same on every machine).
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only_crlf_line_ends(bytes: &[u8]) -> bool {
        bytes.iter().enumerate().all(|(i, &b)| match b {
            b'\r' => bytes.get(i + 1) == Some(&b'\n'),
            b'\n' => i > 0 && bytes[i - 1] == b'\r',
            _ => true,
        })
    }

    #[test]
    fn same_arguments_same_bytes() {
        assert_eq!(message(7, 5000, None), message(7, 5000, None));
        assert_ne!(message(7, 5000, None), message(8, 5000, None));
    }

    #[test]
    fn sizes_are_exact_and_lines_end_in_crlf() {
        for size in [0, 100, 300, 301, 302, 1000, 4096, 65_537] {
            for seed in 0..5 {
                let bytes = message(seed, size, None);
                let header_len = message(seed, 0, None).len() - 2;
                assert_eq!(
                    bytes.len(),
                    size.max(header_len + 2),
                    "seed {seed} size {size}"
                );
                assert!(only_crlf_line_ends(&bytes), "seed {seed} size {size}");
                assert!(bytes.ends_with(b"\r\n"));
            }
        }
    }

    #[test]
    fn headers_carry_the_message_id() {
        let text = String::from_utf8(message(3, 2000, Some("<x@y>"))).expect("ascii");
        assert!(text.contains("\r\nMessage-ID: <x@y>\r\n"));
        assert!(text.starts_with("From: "));
        assert!(text.contains("\r\nDate: Wed, 01 Jan 2020 03:00:00 +0100\r\n"));
        let default = String::from_utf8(message(3, 2000, None)).expect("ascii");
        assert!(default.contains("Message-ID: <seed-3@mailferry.test>\r\n"));
    }
}
