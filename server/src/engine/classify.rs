//! From an IMAP failure to the `ErrorKind` the admin sees: by response code first, then by a
//! small table of text fall-backs (each with a test), never by whole server texts.

use app::ErrorKind;

use crate::imap::ImapError;
use crate::imap::error::ConnectFailure;
use crate::imap::response_code::ResponseCode;
use crate::oauth::sign_in::SignInError;

/// Which server and which step failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    SourceConnect,
    SourceSignIn,
    DestinationConnect,
    DestinationSignIn,
    SourceRead,
    DestinationWrite,
}

/// Text fall-backs for servers that send no response code. Lower-case substrings.
/// Each row names the server that answers so (the tests give one answer per row).
const TEXT_FALLBACKS: &[(&str, ErrorKind)] = &[
    // Dovecot's text beside [OVERQUOTA]; Cyrus 3.6: "NO Over quota".
    ("quota exceeded", ErrorKind::DestinationMailboxFull),
    ("over quota", ErrorKind::DestinationMailboxFull),
    // Courier-IMAP 5: "NO [ALERT] You exceeded your mail quota."
    (
        "exceeded your mail quota",
        ErrorKind::DestinationMailboxFull,
    ),
    ("mailbox is full", ErrorKind::DestinationMailboxFull),
    ("too large", ErrorKind::MessageTooLarge),
    ("too big", ErrorKind::MessageTooLarge),
    // Microsoft 365: "Request is throttled. Suggested Backoff Time: N milliseconds".
    ("request is throttled", ErrorKind::Throttled),
    ("too many connections", ErrorKind::Throttled),
    // Gmail: "Too many simultaneous connections." (at sign-in, after its per-account limit).
    ("too many simultaneous connections", ErrorKind::Throttled),
    // Gmail after its daily bandwidth caps.
    ("bandwidth limit exceeded", ErrorKind::Throttled),
];

/// Sign-in refusals that name their cause. Lower-case substrings.
const SIGN_IN_TEXTS: &[(&str, ErrorKind)] = &[
    // Gmail: "[ALERT] Your account is not enabled for IMAP use. Please visit your Gmail
    // settings page and enable your account for IMAP access. (Failure)".
    ("not enabled for imap", ErrorKind::ImapDisabled),
    // Microsoft 365 to an app token whose service principal has no access to the mailbox:
    // "User is authenticated but not connected."
    (
        "authenticated but not connected",
        ErrorKind::OAuthConsentMissing,
    ),
];

/// A refused sign-in whose text names the cause says more than its code (Gmail sends
/// [ALERT], Dovecot [CONTACTADMIN]).
fn named_sign_in_refusal(stage: Stage, error: &ImapError) -> Option<ErrorKind> {
    if !matches!(stage, Stage::SourceSignIn | Stage::DestinationSignIn) {
        return None;
    }
    let lower = error.server_text()?.to_ascii_lowercase();
    SIGN_IN_TEXTS
        .iter()
        .find(|(needle, _)| lower.contains(needle))
        .map(|(_, kind)| *kind)
}

fn by_text(text: &str) -> Option<ErrorKind> {
    let lower = text.to_ascii_lowercase();
    TEXT_FALLBACKS
        .iter()
        .find(|(needle, _)| lower.contains(needle))
        .map(|(_, kind)| *kind)
}

/// A failed connect-and-sign-in: the server's answer at `connect` or `sign_in`, or the OAuth 2
/// provider's.
pub fn classify_sign_in(error: &SignInError, connect: Stage, sign_in: Stage) -> ErrorKind {
    match error {
        SignInError::Imap(e @ ImapError::Connect { .. }) => classify(connect, e),
        SignInError::Imap(e) => classify(sign_in, e),
        SignInError::Token(e) => e.kind(),
    }
}

pub fn classify(stage: Stage, error: &ImapError) -> ErrorKind {
    if let ImapError::Connect { failure, .. } = error {
        return match (stage, failure) {
            (Stage::SourceConnect | Stage::SourceSignIn | Stage::SourceRead, _) => {
                ErrorKind::SourceConnectFailed
            }
            (
                _,
                ConnectFailure::Dns
                | ConnectFailure::Refused
                | ConnectFailure::Timeout
                | ConnectFailure::Tls
                | ConnectFailure::Greeting,
            ) => ErrorKind::DestinationConnectFailed,
        };
    }
    if let ImapError::TlsConfig(_) = error {
        return match stage {
            Stage::SourceConnect | Stage::SourceSignIn | Stage::SourceRead => {
                ErrorKind::SourceConnectFailed
            }
            _ => ErrorKind::DestinationConnectFailed,
        };
    }
    if let Some(kind) = named_sign_in_refusal(stage, error) {
        return kind;
    }
    let destination_side = matches!(
        stage,
        Stage::DestinationSignIn | Stage::DestinationConnect | Stage::DestinationWrite
    );
    let by_code = error.code().and_then(|code| match code {
        ResponseCode::OverQuota => Some(ErrorKind::DestinationMailboxFull),
        ResponseCode::TooBig => Some(ErrorKind::MessageTooLarge),
        ResponseCode::Limit
        | ResponseCode::Unavailable
        | ResponseCode::InUse
        | ResponseCode::Throttled => Some(ErrorKind::Throttled),
        ResponseCode::AuthenticationFailed
        | ResponseCode::Expired
        | ResponseCode::PrivacyRequired
        | ResponseCode::ContactAdmin => Some(if destination_side {
            ErrorKind::DestinationSignInFailed
        } else {
            ErrorKind::SourceSignInFailed
        }),
        // Impersonation refused although the admin's own credentials were good: no such mailbox.
        ResponseCode::AuthorizationFailed => Some(if destination_side {
            ErrorKind::DestinationMailboxNotFound
        } else {
            ErrorKind::SourceSignInFailed
        }),
        _ => None,
    });
    if let Some(kind) = by_code {
        return kind;
    }
    if let Some(kind) = error.server_text().and_then(by_text) {
        return kind;
    }
    match (stage, error) {
        (Stage::SourceSignIn, ImapError::No { .. } | ImapError::Bad { .. }) => {
            ErrorKind::SourceSignInFailed
        }
        (Stage::DestinationSignIn, ImapError::No { .. } | ImapError::Bad { .. }) => {
            ErrorKind::DestinationSignInFailed
        }
        (Stage::DestinationWrite, ImapError::No { .. } | ImapError::Bad { .. }) => {
            ErrorKind::MessageRejected
        }
        (_, ImapError::Timeout { .. } | ImapError::ConnectionLost(_) | ImapError::Bye { .. }) => {
            ErrorKind::ConnectionLost
        }
        (_, ImapError::Protocol(_) | ImapError::LiteralTooLarge { .. }) => ErrorKind::ProtocolError,
        _ => ErrorKind::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no(code: Option<&str>, text: &str) -> ImapError {
        ImapError::No {
            command: "X".into(),
            code: code.map(ResponseCode::from_name),
            text: text.into(),
        }
    }

    #[test]
    fn by_response_code() {
        let cases = [
            (
                Stage::SourceSignIn,
                no(Some("AUTHENTICATIONFAILED"), "Authentication failed."),
                ErrorKind::SourceSignInFailed,
            ),
            (
                Stage::DestinationSignIn,
                no(Some("AUTHORIZATIONFAILED"), "Authorization failed"),
                ErrorKind::DestinationMailboxNotFound,
            ),
            (
                Stage::DestinationSignIn,
                no(Some("AUTHENTICATIONFAILED"), "Authentication failed."),
                ErrorKind::DestinationSignInFailed,
            ),
            (
                Stage::DestinationWrite,
                no(
                    Some("OVERQUOTA"),
                    "Quota exceeded (mailbox for user is full)",
                ),
                ErrorKind::DestinationMailboxFull,
            ),
            (
                Stage::DestinationWrite,
                no(Some("TOOBIG"), "Message too big"),
                ErrorKind::MessageTooLarge,
            ),
            (
                Stage::SourceSignIn,
                no(Some("UNAVAILABLE"), "try later"),
                ErrorKind::Throttled,
            ),
            (
                Stage::DestinationWrite,
                no(Some("CANNOT"), "bad date"),
                ErrorKind::MessageRejected,
            ),
        ];
        for (stage, error, want) in cases {
            assert_eq!(classify(stage, &error), want, "{error:?}");
        }
    }

    #[test]
    fn text_fallbacks_one_per_row() {
        for (needle, kind) in TEXT_FALLBACKS {
            let error = no(
                None,
                &format!("NO Something: {} here", needle.to_uppercase()),
            );
            assert_eq!(classify(Stage::DestinationWrite, &error), *kind, "{needle}");
        }
    }

    #[test]
    fn sign_in_texts_win_over_codes() {
        for (needle, kind) in SIGN_IN_TEXTS {
            let text = format!("Something: {} here", needle.to_uppercase());
            for code in [
                None,
                Some("ALERT"),
                Some("CONTACTADMIN"),
                Some("AUTHENTICATIONFAILED"),
            ] {
                let error = no(code, &text);
                assert_eq!(
                    classify(Stage::SourceSignIn, &error),
                    *kind,
                    "{needle} {code:?}"
                );
                assert_eq!(classify(Stage::DestinationSignIn, &error), *kind);
            }
        }
    }

    /// The answers of real servers without response codes, as seen on the wire.
    #[test]
    fn answers_without_codes() {
        let cases = [
            (
                Stage::DestinationWrite,
                "Over quota",
                ErrorKind::DestinationMailboxFull,
            ),
            (
                Stage::DestinationWrite,
                "[ALERT] You exceeded your mail quota.",
                ErrorKind::DestinationMailboxFull,
            ),
            (
                Stage::SourceSignIn,
                "Login failed: authentication failure",
                ErrorKind::SourceSignInFailed,
            ),
            (
                Stage::SourceSignIn,
                "Login failed.",
                ErrorKind::SourceSignInFailed,
            ),
            (
                Stage::DestinationSignIn,
                "authentication failure",
                ErrorKind::DestinationSignInFailed,
            ),
            (
                Stage::SourceSignIn,
                "Too many simultaneous connections. (Failure)",
                ErrorKind::Throttled,
            ),
            (
                Stage::DestinationWrite,
                "Message contains bare newlines",
                ErrorKind::MessageRejected,
            ),
        ];
        for (stage, text, want) in cases {
            assert_eq!(classify(stage, &no(None, text)), want, "{text}");
        }
    }

    #[test]
    fn connection_failures_name_the_side() {
        let connect = |f| ImapError::Connect {
            server: "h:1".into(),
            failure: f,
            detail: "x".into(),
        };
        assert_eq!(
            classify(Stage::SourceConnect, &connect(ConnectFailure::Refused)),
            ErrorKind::SourceConnectFailed
        );
        assert_eq!(
            classify(Stage::DestinationConnect, &connect(ConnectFailure::Tls)),
            ErrorKind::DestinationConnectFailed
        );
        assert_eq!(
            classify(
                Stage::SourceRead,
                &ImapError::ConnectionLost("reset".into())
            ),
            ErrorKind::ConnectionLost
        );
    }
}
