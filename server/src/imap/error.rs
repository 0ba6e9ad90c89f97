//! What can go wrong talking IMAP, kept precise enough for `engine::classify` to name the cause.

use super::response_code::ResponseCode;

/// Why a connection could not be made; kept apart in the admin's error detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectFailure {
    Dns,
    Refused,
    Timeout,
    Tls,
    Greeting,
}

impl std::fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConnectFailure::Dns => "name lookup failed",
            ConnectFailure::Refused => "connection refused",
            ConnectFailure::Timeout => "connection timed out",
            ConnectFailure::Tls => "TLS handshake failed",
            ConnectFailure::Greeting => "no IMAP greeting",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot connect to {server}: {failure}: {detail}")]
    Connect {
        server: String,
        failure: ConnectFailure,
        detail: String,
    },
    #[error("{command} refused: {text}")]
    No {
        command: String,
        code: Option<ResponseCode>,
        text: String,
    },
    #[error("{command} rejected as malformed: {text}")]
    Bad {
        command: String,
        code: Option<ResponseCode>,
        text: String,
    },
    #[error("the server closed the session: {text}")]
    Bye {
        code: Option<ResponseCode>,
        text: String,
    },
    #[error("no answer within {seconds} s during {during}")]
    Timeout { during: String, seconds: u64 },
    #[error("connection lost: {0}")]
    ConnectionLost(String),
    #[error("unexpected server response: {0}")]
    Protocol(String),
    #[error("{during}: {refused}")]
    LiteralTooLarge {
        during: String,
        refused: super::literal_guard::LiteralTooLarge,
    },
    #[error("TLS settings: {0}")]
    TlsConfig(#[from] super::tls::TlsConfigError),
}

impl ImapError {
    /// The response code of a NO/BAD/BYE.
    pub fn code(&self) -> Option<&ResponseCode> {
        match self {
            ImapError::No { code, .. }
            | ImapError::Bad { code, .. }
            | ImapError::Bye { code, .. } => code.as_ref(),
            _ => None,
        }
    }

    /// The server's text of a NO/BAD/BYE.
    pub fn server_text(&self) -> Option<&str> {
        match self {
            ImapError::No { text, .. }
            | ImapError::Bad { text, .. }
            | ImapError::Bye { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Whether the session is unusable after this error (reconnect before going on).
    pub fn is_fatal_to_session(&self) -> bool {
        !matches!(self, ImapError::No { .. } | ImapError::Bad { .. })
    }
}
