//! Which server a session talks to, from what it says of itself: the greeting, the
//! capabilities and (where asked) the answer to ID. The profile's limits then apply.

use std::collections::HashSet;

use app::model::provider::ProviderProfile;

use super::ImapSession;
use super::error::ImapError;

/// The profile a session's server matches; `id` is the answer to ID where it was asked.
pub fn detect(greeting: &str, capabilities: &HashSet<String>, id: Option<&str>) -> ProviderProfile {
    let said = format!("{greeting} {}", id.unwrap_or("")).to_ascii_lowercase();
    let has = |c: &str| capabilities.iter().any(|k| k.eq_ignore_ascii_case(c));
    if has("X-GM-EXT-1") || said.contains("gimap") {
        ProviderProfile::Gmail
    } else if said.contains("microsoft exchange") || said.contains("\"microsoft") {
        ProviderProfile::Microsoft365
    } else if has("XYMHIGHESTMODSEQ") || said.contains("yahoo") {
        ProviderProfile::Yahoo
    } else if has("XAPPLEPUSHSERVICE") || said.contains("icloud") {
        ProviderProfile::ICloud
    } else if said.contains("cyrus") {
        ProviderProfile::Cyrus
    } else if said.contains("courier") {
        ProviderProfile::Courier
    } else if said.contains("dovecot") {
        ProviderProfile::Dovecot
    } else {
        ProviderProfile::Generic
    }
}

/// The session's profile from its greeting and capabilities (no round trip).
pub fn of_session(session: &ImapSession) -> ProviderProfile {
    detect(session.greeting(), session.capabilities(), None)
}

/// Asks the server's ID (RFC 2971) where offered, then detects; the ID answer names the
/// software where the greeting does not (Dovecot's `imap_id_send`, Cyrus).
pub async fn identify(session: &mut ImapSession) -> Result<ProviderProfile, ImapError> {
    let id = if session.has_capability("ID") {
        let (lines, _) = session.run_raw("ID NIL", 8 * 1024).await?;
        lines.into_iter().find(|l| l.starts_with("* ID "))
    } else {
        None
    };
    Ok(detect(
        session.greeting(),
        session.capabilities(),
        id.as_deref(),
    ))
}

/// The largest message the destination takes: its APPENDLIMIT, or the profile's known limit.
pub fn append_limit(session: &ImapSession) -> Option<u64> {
    let announced = session.capabilities().iter().find_map(|c| {
        let (name, value) = c.split_once('=')?;
        name.eq_ignore_ascii_case("APPENDLIMIT")
            .then(|| value.parse::<u64>().ok())
            .flatten()
    });
    let known = of_session(session).max_message_bytes();
    match (announced, known) {
        (Some(a), Some(k)) => Some(a.min(k)),
        (a, k) => a.or(k),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(list: &[&str]) -> HashSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn greetings_and_capabilities_of_real_servers() {
        let cases = [
            (
                "Gimap ready for requests from 192.0.2.1 h5mb1",
                &["IMAP4rev1", "X-GM-EXT-1"][..],
                ProviderProfile::Gmail,
            ),
            (
                "The Microsoft Exchange IMAP4 service is ready. [TQBOADIA]",
                &["IMAP4rev1", "MOVE"],
                ProviderProfile::Microsoft365,
            ),
            (
                "IMAP4rev1 Hello",
                &["IMAP4rev1", "XYMHIGHESTMODSEQ", "X-MSG-EXT"],
                ProviderProfile::Yahoo,
            ),
            (
                "iCloud IMAP4 service is ready.",
                &["XAPPLEPUSHSERVICE"],
                ProviderProfile::ICloud,
            ),
            (
                "localhost Cyrus IMAP 3.6.1-Debian-3.6.1-4+deb12u5 server ready",
                &["IMAP4rev1"],
                ProviderProfile::Cyrus,
            ),
            (
                "Courier-IMAP ready. Copyright 1998-2018 Double Precision, Inc.",
                &["IMAP4rev1"],
                ProviderProfile::Courier,
            ),
            (
                "Dovecot (Debian) ready.",
                &["IMAP4rev1"],
                ProviderProfile::Dovecot,
            ),
            ("ready", &["IMAP4rev1"], ProviderProfile::Generic),
        ];
        for (greeting, list, expected) in cases {
            assert_eq!(detect(greeting, &caps(list), None), expected, "{greeting}");
        }
        let id = r#"* ID ("name" "Dovecot" "version" "2.3.19")"#;
        assert_eq!(
            detect("ready", &caps(&[]), Some(id)),
            ProviderProfile::Dovecot
        );
    }
}
