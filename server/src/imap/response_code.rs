//! Response codes (`[OVERQUOTA]`, `[AUTHENTICATIONFAILED]`…) out of a NO/BAD text, since
//! async-imap hands most codes over as text.

/// The bracketed code at the start of a response text, upper-cased, without arguments.
pub fn code_of(text: &str) -> Option<String> {
    let rest = text.trim_start().strip_prefix('[')?;
    let end = rest.find(']')?;
    let inner = &rest[..end];
    let name = inner.split_whitespace().next()?;
    Some(name.to_ascii_uppercase())
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
    fn table() {
        let cases = [
            (
                "[OVERQUOTA] Quota exceeded (mailbox for user is full) (0.001 + 0.000 secs).",
                Some("OVERQUOTA"),
            ),
            (
                "[AUTHENTICATIONFAILED] Authentication failed.",
                Some("AUTHENTICATIONFAILED"),
            ),
            (
                "[authorizationfailed] Authorization failed",
                Some("AUTHORIZATIONFAILED"),
            ),
            (
                "[APPENDUID 1795467555 1] Append completed",
                Some("APPENDUID"),
            ),
            ("Quota exceeded", None),
            ("[unterminated", None),
        ];
        for (text, want) in cases {
            assert_eq!(code_of(text).as_deref(), want, "{text}");
        }
        assert_eq!(
            suggested_backoff_ms("Request is throttled. Suggested Backoff Time: 1500 milliseconds"),
            Some(1500)
        );
        assert_eq!(suggested_backoff_ms("no hint"), None);
    }
}
