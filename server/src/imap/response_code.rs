//! Response codes (RFC 5530 and friends: `[OVERQUOTA]`, `[AUTHENTICATIONFAILED]`…) as a type.
//! async-imap hands most codes over as text, so they are read out of the NO/BAD/BYE text.

/// A bracketed response code. The ones the engine decides on have a variant; any other is kept
/// by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseCode {
    Alert,
    AlreadyExists,
    AppendUid,
    AuthenticationFailed,
    AuthorizationFailed,
    Cannot,
    ContactAdmin,
    Expired,
    InUse,
    Limit,
    NonExistent,
    OverQuota,
    Parse,
    PrivacyRequired,
    ReadOnly,
    /// Gmail's own code for "slow down".
    Throttled,
    TooBig,
    TryCreate,
    Unavailable,
    /// Any other code, upper-cased, without arguments.
    Other(String),
}

impl ResponseCode {
    /// The code by its name (any case).
    pub fn from_name(name: &str) -> ResponseCode {
        match name.to_ascii_uppercase().as_str() {
            "ALERT" => ResponseCode::Alert,
            "ALREADYEXISTS" => ResponseCode::AlreadyExists,
            "APPENDUID" => ResponseCode::AppendUid,
            "AUTHENTICATIONFAILED" => ResponseCode::AuthenticationFailed,
            "AUTHORIZATIONFAILED" => ResponseCode::AuthorizationFailed,
            "CANNOT" => ResponseCode::Cannot,
            "CONTACTADMIN" => ResponseCode::ContactAdmin,
            "EXPIRED" => ResponseCode::Expired,
            "INUSE" => ResponseCode::InUse,
            "LIMIT" => ResponseCode::Limit,
            "NONEXISTENT" => ResponseCode::NonExistent,
            "OVERQUOTA" => ResponseCode::OverQuota,
            "PARSE" => ResponseCode::Parse,
            "PRIVACYREQUIRED" => ResponseCode::PrivacyRequired,
            "READ-ONLY" => ResponseCode::ReadOnly,
            "THROTTLED" => ResponseCode::Throttled,
            "TOOBIG" => ResponseCode::TooBig,
            "TRYCREATE" => ResponseCode::TryCreate,
            "UNAVAILABLE" => ResponseCode::Unavailable,
            other => ResponseCode::Other(other.to_string()),
        }
    }

    /// The bracketed code at the start of a response text.
    pub fn of_text(text: &str) -> Option<ResponseCode> {
        let rest = text.trim_start().strip_prefix('[')?;
        let inner = &rest[..rest.find(']')?];
        Some(ResponseCode::from_name(inner.split_whitespace().next()?))
    }
}

impl std::fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            ResponseCode::Alert => "ALERT",
            ResponseCode::AlreadyExists => "ALREADYEXISTS",
            ResponseCode::AppendUid => "APPENDUID",
            ResponseCode::AuthenticationFailed => "AUTHENTICATIONFAILED",
            ResponseCode::AuthorizationFailed => "AUTHORIZATIONFAILED",
            ResponseCode::Cannot => "CANNOT",
            ResponseCode::ContactAdmin => "CONTACTADMIN",
            ResponseCode::Expired => "EXPIRED",
            ResponseCode::InUse => "INUSE",
            ResponseCode::Limit => "LIMIT",
            ResponseCode::NonExistent => "NONEXISTENT",
            ResponseCode::OverQuota => "OVERQUOTA",
            ResponseCode::Parse => "PARSE",
            ResponseCode::PrivacyRequired => "PRIVACYREQUIRED",
            ResponseCode::ReadOnly => "READ-ONLY",
            ResponseCode::Throttled => "THROTTLED",
            ResponseCode::TooBig => "TOOBIG",
            ResponseCode::TryCreate => "TRYCREATE",
            ResponseCode::Unavailable => "UNAVAILABLE",
            ResponseCode::Other(name) => name,
        };
        f.write_str(name)
    }
}

/// The server-suggested back-off in milliseconds, where a server states one
/// (Office 365: "Request is throttled. Suggested Backoff Time: 1234 milliseconds").
pub fn suggested_backoff_ms(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find("backoff time:")? + "backoff time:".len();
    lower[at..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_out_of_texts() {
        let cases = [
            (
                "[OVERQUOTA] Quota exceeded (mailbox for user is full) (0.001 + 0.000 secs).",
                Some(ResponseCode::OverQuota),
            ),
            (
                "[AUTHENTICATIONFAILED] Authentication failed.",
                Some(ResponseCode::AuthenticationFailed),
            ),
            (
                "[authorizationfailed] Authorization failed",
                Some(ResponseCode::AuthorizationFailed),
            ),
            (
                "[APPENDUID 1795467555 1] Append completed",
                Some(ResponseCode::AppendUid),
            ),
            (
                "[X-WEIRD arg] text",
                Some(ResponseCode::Other("X-WEIRD".into())),
            ),
            ("Quota exceeded", None),
            ("[unterminated", None),
            ("[] empty", None),
        ];
        for (text, want) in cases {
            assert_eq!(ResponseCode::of_text(text), want, "{text}");
        }
        assert_eq!(ResponseCode::TooBig.to_string(), "TOOBIG");
        assert_eq!(ResponseCode::from_name("read-only"), ResponseCode::ReadOnly);
        assert_eq!(
            suggested_backoff_ms("Request is throttled. Suggested Backoff Time: 1500 milliseconds"),
            Some(1500)
        );
        assert_eq!(suggested_backoff_ms("no hint"), None);
    }
}
