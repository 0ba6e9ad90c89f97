//! Command failures: a server's tagged NO/BAD (with its text) apart from broken connections.

use std::future::Future;
use std::time::Duration;

use async_imap::imap_proto::{Response, Status};

/// Every command gets this long before the test gives up on it.
pub(crate) const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Why an IMAP command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The server answered the command with a tagged NO or BAD. The text keeps the response
    /// code, e.g. `NO [OVERQUOTA] Quota exceeded (mailbox for user is full) (0.001 + 0.000 secs).`
    #[error("server refused: {0}")]
    Refused(String),
    /// I/O error, timeout, unparsable answer or a closed connection.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl CommandError {
    /// The tagged NO/BAD text, if the server refused.
    pub fn refusal(&self) -> Option<&str> {
        match self {
            CommandError::Refused(text) => Some(text),
            CommandError::Failed(_) => None,
        }
    }
}

impl From<async_imap::error::Error> for CommandError {
    fn from(error: async_imap::error::Error) -> Self {
        use async_imap::error::Error;
        match error {
            Error::No(text) => CommandError::Refused(format!("NO {}", unwrap_outcome(&text))),
            Error::Bad(text) => CommandError::Refused(format!("BAD {}", unwrap_outcome(&text))),
            other => CommandError::Failed(other.into()),
        }
    }
}

impl From<std::io::Error> for CommandError {
    fn from(error: std::io::Error) -> Self {
        CommandError::Failed(error.into())
    }
}

/// Runs `future` under [`COMMAND_TIMEOUT`].
pub(crate) async fn within<T>(
    what: &str,
    future: impl Future<Output = Result<T, CommandError>>,
) -> Result<T, CommandError> {
    tokio::time::timeout(COMMAND_TIMEOUT, future)
        .await
        .map_err(|_| {
            CommandError::Failed(anyhow::anyhow!("{what}: no answer in {COMMAND_TIMEOUT:?}"))
        })?
}

/// The first line of a server response as received, without CRLF.
///
/// `raw` is async-imap's receive buffer: the response starts at its beginning, but later
/// responses and zero padding may follow, so only the first line is taken.
pub(crate) fn raw_text(raw: &[u8]) -> String {
    let end = raw
        .windows(2)
        .position(|pair| pair == b"\r\n")
        .unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..end]).to_string()
}

/// The outcome of a tagged response: `Ok("OK …")` or `Refused("NO …")`, from its raw bytes.
///
/// (async-imap's `ResponseData` cannot be named outside the crate, so callers pass its parts.)
pub(crate) fn tagged_outcome(parsed: &Response<'_>, raw: &[u8]) -> Result<String, CommandError> {
    let text = raw_text(raw);
    // "TAG NO text" -> "NO text"
    let without_tag = text
        .split_once(' ')
        .map_or(text.as_str(), |(_, rest)| rest)
        .to_string();
    match parsed {
        Response::Done {
            status: Status::Ok, ..
        } => Ok(without_tag),
        Response::Done { .. } => Err(CommandError::Refused(without_tag)),
        _ => Err(CommandError::Failed(anyhow::anyhow!(
            "not a tagged response: {text}"
        ))),
    }
}

/// async-imap renders a NO/BAD as `code: None, info: Some("[CODE] text")`; this gives back
/// `[CODE] text` (codes it knows, like `TryCreate`, come back as `[TryCreate] text`).
fn unwrap_outcome(rendered: &str) -> String {
    let Some((code, info)) = rendered
        .strip_prefix("code: ")
        .and_then(|rest| rest.split_once(", info: "))
    else {
        return rendered.to_string();
    };
    let info = info
        .strip_prefix("Some(\"")
        .and_then(|quoted| quoted.strip_suffix("\")"))
        .map(|quoted| quoted.replace("\\\"", "\"").replace("\\\\", "\\"))
        .unwrap_or_default();
    match code
        .strip_prefix("Some(")
        .and_then(|code| code.strip_suffix(')'))
    {
        Some(code) => format!("[{code}] {info}"),
        None => info,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_text_is_the_first_line_only() {
        assert_eq!(
            raw_text(b"a1 NO [OVERQUOTA] x\r\n* 3 EXISTS\r\n\0\0"),
            "a1 NO [OVERQUOTA] x"
        );
        assert_eq!(raw_text(b"* OK hi"), "* OK hi");
    }

    #[test]
    fn unwraps_async_imap_renderings() {
        let cases = [
            (
                r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#,
                "[AUTHENTICATIONFAILED] Authentication failed.",
            ),
            (
                r#"code: Some(TryCreate), info: Some("Mailbox doesn't exist: x")"#,
                "[TryCreate] Mailbox doesn't exist: x",
            ),
            (r#"code: None, info: Some("say \"hi\"")"#, r#"say "hi""#),
            ("something else", "something else"),
        ];
        for (rendered, expected) in cases {
            assert_eq!(unwrap_outcome(rendered), expected, "{rendered}");
        }
    }
}
