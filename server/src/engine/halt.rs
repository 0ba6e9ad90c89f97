//! Why copying a mailbox stopped before its end, and what follows from it: the admin's
//! `ErrorKind`, and whether another attempt may succeed.

use std::time::Duration;

use sea_orm::DbErr;

use app::ErrorKind;

use super::classify::{Stage, classify};
use crate::imap::ImapError;
use crate::imap::response_code::suggested_backoff_ms;

/// Why an attempt (or one folder of it) ended early.
#[derive(Debug)]
pub enum Halt {
    /// A server failed or refused at this step.
    Imap { stage: Stage, error: ImapError },
    /// A server answered in a way that decides the error by itself (the check after an admin
    /// signed in for a user found another mailbox, or none).
    Refused { kind: ErrorKind, error: ImapError },
    /// The endpoint's OAuth 2 provider gave no token.
    Token { error: crate::oauth::OAuthError },
    /// Mailferry's own database could not be read or written (a full disk, a lost connection
    /// to PostgreSQL): not the servers' doing, and no reconnect heals it.
    Storage(DbErr),
    /// An administrator stopped the batch, or a sibling lane failed: end between transactions.
    Requested,
}

impl From<DbErr> for Halt {
    fn from(e: DbErr) -> Self {
        Halt::Storage(e)
    }
}

impl Halt {
    /// Wraps an IMAP error of `stage`.
    pub fn at(stage: Stage) -> impl Fn(ImapError) -> Halt {
        move |error| Halt::Imap { stage, error }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Halt::Imap { stage, error } => classify(*stage, error),
            Halt::Refused { kind, .. } => *kind,
            Halt::Token { error } => error.kind(),
            Halt::Storage(_) => ErrorKind::StorageFailed,
            // Never reported as an error; the mailbox ends Stopped.
            Halt::Requested => ErrorKind::Internal,
        }
    }

    /// The detail for the error report.
    pub fn detail(&self) -> String {
        match self {
            Halt::Imap { error, .. } | Halt::Refused { error, .. } => error.to_string(),
            Halt::Token { error } => error.to_string(),
            Halt::Storage(e) => format!("Mailferry's database: {e}"),
            Halt::Requested => "stopped by an administrator".into(),
        }
    }

    /// Whether the sessions are unusable after it (everything but a server's NO or BAD).
    pub fn ends_sessions(&self) -> bool {
        match self {
            Halt::Imap { error, .. } => error.is_fatal_to_session(),
            Halt::Refused { .. } | Halt::Token { .. } | Halt::Storage(_) | Halt::Requested => true,
        }
    }

    /// A pause the server asked for (Office 365's "Suggested Backoff Time").
    pub fn suggested_backoff(&self) -> Option<Duration> {
        match self {
            Halt::Imap { error, .. } => error
                .server_text()
                .and_then(suggested_backoff_ms)
                .map(Duration::from_millis),
            _ => None,
        }
    }
}

/// What to do after an attempt halted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Reconnect (after a pause) and go on from the committed state.
    Retry,
    /// End the mailbox with this error.
    GiveUp(ErrorKind),
    /// End the mailbox as Stopped (no error).
    Stop,
}

/// Whether another attempt may succeed: the connection broke or timed out, or the server asked
/// to wait. A refused connection counts only once the servers were reached before (a restart);
/// refused credentials, protocol errors and storage failures never heal by reconnecting. With
/// the retry budget spent, a connection that kept breaking is reported as such.
pub fn decide(halt: &Halt, reached_before: bool, budget_left: bool) -> Decision {
    let error = match halt {
        Halt::Requested => return Decision::Stop,
        Halt::Storage(_) => return Decision::GiveUp(ErrorKind::StorageFailed),
        Halt::Refused { kind, .. } => return Decision::GiveUp(*kind),
        // A provider that did not answer may answer later; a refusal stays one.
        Halt::Token { error } if error.is_transient() && budget_left => return Decision::Retry,
        Halt::Token { error } => return Decision::GiveUp(error.kind()),
        Halt::Imap { error, .. } => error,
    };
    let kind = halt.kind();
    let transient = match error {
        ImapError::Connect { .. } => reached_before,
        ImapError::Protocol(_) | ImapError::LiteralTooLarge { .. } | ImapError::TlsConfig(_) => {
            false
        }
        ImapError::Timeout { .. } | ImapError::ConnectionLost(_) | ImapError::Bye { .. } => true,
        ImapError::No { .. } | ImapError::Bad { .. } => kind == ErrorKind::Throttled,
    };
    match (transient, budget_left) {
        (true, true) => Decision::Retry,
        (true, false) if kind != ErrorKind::Throttled && reached_before => {
            Decision::GiveUp(ErrorKind::ConnectionLost)
        }
        _ => Decision::GiveUp(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::error::ConnectFailure;
    use crate::imap::response_code::ResponseCode;

    fn imap(stage: Stage, error: ImapError) -> Halt {
        Halt::Imap { stage, error }
    }

    fn no(code: Option<ResponseCode>, text: &str) -> ImapError {
        ImapError::No {
            command: "APPEND".into(),
            code,
            text: text.into(),
        }
    }

    #[test]
    fn retry_decisions() {
        let lost = || ImapError::ConnectionLost("reset".into());
        let refused = || ImapError::Connect {
            server: "h:1".into(),
            failure: ConnectFailure::Refused,
            detail: "x".into(),
        };
        let throttled = || {
            no(
                None,
                "Request is throttled. Suggested Backoff Time: 10 milliseconds",
            )
        };
        let cases = [
            // A broken connection is retried while the budget lasts, then reported as lost.
            (imap(Stage::SourceRead, lost()), true, true, Decision::Retry),
            (
                imap(Stage::SourceRead, lost()),
                true,
                false,
                Decision::GiveUp(ErrorKind::ConnectionLost),
            ),
            // Refused before the server was ever reached: the server is wrong, not restarting.
            (
                imap(Stage::SourceConnect, refused()),
                false,
                true,
                Decision::GiveUp(ErrorKind::SourceConnectFailed),
            ),
            (
                imap(Stage::SourceConnect, refused()),
                true,
                true,
                Decision::Retry,
            ),
            // Throttling waits and retries; once the budget is spent it says so.
            (
                imap(Stage::DestinationWrite, throttled()),
                true,
                true,
                Decision::Retry,
            ),
            (
                imap(Stage::DestinationWrite, throttled()),
                true,
                false,
                Decision::GiveUp(ErrorKind::Throttled),
            ),
            // A full mailbox, a protocol error and a storage failure never heal by retrying.
            (
                imap(
                    Stage::DestinationWrite,
                    no(Some(ResponseCode::OverQuota), "Quota exceeded"),
                ),
                true,
                true,
                Decision::GiveUp(ErrorKind::DestinationMailboxFull),
            ),
            (
                imap(Stage::SourceRead, ImapError::Protocol("garbage".into())),
                true,
                true,
                Decision::GiveUp(ErrorKind::ProtocolError),
            ),
            (
                Halt::Storage(DbErr::Custom("disk full".into())),
                true,
                true,
                Decision::GiveUp(ErrorKind::StorageFailed),
            ),
            (Halt::Requested, true, true, Decision::Stop),
        ];
        for (halt, reached, budget, want) in cases {
            assert_eq!(decide(&halt, reached, budget), want, "{halt:?}");
        }
        assert_eq!(
            imap(Stage::DestinationWrite, throttled()).suggested_backoff(),
            Some(Duration::from_millis(10))
        );
    }
}
