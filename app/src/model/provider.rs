//! What Mailferry knows about the servers admins meet: each profile's sign-in defaults, how many
//! connections one user may hold, the largest message it takes as a destination, and the folders
//! that are views rather than mail. The server detects the profile from the greeting, the
//! capabilities and ID; the endpoint's Test names it.

use serde::{Deserialize, Serialize};

use super::endpoint::Security;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderProfile {
    Gmail,
    Microsoft365,
    Yahoo,
    ICloud,
    Cyrus,
    Courier,
    Dovecot,
    Generic,
}

/// Host, port and security an endpoint of the profile starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionDefaults {
    pub host: Option<&'static str>,
    pub port: u16,
    pub security: Security,
}

const MIB: u64 = 1024 * 1024;

impl ProviderProfile {
    pub const ALL: [ProviderProfile; 8] = [
        ProviderProfile::Gmail,
        ProviderProfile::Microsoft365,
        ProviderProfile::Yahoo,
        ProviderProfile::ICloud,
        ProviderProfile::Cyrus,
        ProviderProfile::Courier,
        ProviderProfile::Dovecot,
        ProviderProfile::Generic,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ProviderProfile::Gmail => "Gmail / Google Workspace",
            ProviderProfile::Microsoft365 => "Microsoft 365 / Exchange",
            ProviderProfile::Yahoo => "Yahoo Mail",
            ProviderProfile::ICloud => "iCloud Mail",
            ProviderProfile::Cyrus => "Cyrus IMAP",
            ProviderProfile::Courier => "Courier-IMAP",
            ProviderProfile::Dovecot => "Dovecot",
            ProviderProfile::Generic => "another IMAP server",
        }
    }

    pub fn defaults(self) -> ConnectionDefaults {
        let host = match self {
            ProviderProfile::Gmail => Some("imap.gmail.com"),
            ProviderProfile::Microsoft365 => Some("outlook.office365.com"),
            ProviderProfile::Yahoo => Some("imap.mail.yahoo.com"),
            ProviderProfile::ICloud => Some("imap.mail.me.com"),
            _ => None,
        };
        ConnectionDefaults {
            host,
            port: 993,
            security: Security::Tls,
        }
    }

    /// Sessions one user may hold at once (Gmail: 15 per account; Microsoft 365: 20 per
    /// mailbox; Yahoo and iCloud refuse more than a few). `None`: the server's own setting.
    pub fn connections_per_user(self) -> Option<u32> {
        match self {
            ProviderProfile::Gmail => Some(15),
            ProviderProfile::Microsoft365 => Some(20),
            ProviderProfile::Yahoo | ProviderProfile::ICloud => Some(5),
            _ => None,
        }
    }

    /// The largest message the service takes by APPEND (Microsoft 365: 150 MB; Gmail: 25 MB
    /// for mail it receives). `None`: the server says (APPENDLIMIT) or no limit is known.
    pub fn max_message_bytes(self) -> Option<u64> {
        match self {
            ProviderProfile::Gmail => Some(25 * MIB),
            ProviderProfile::Microsoft365 => Some(150 * MIB),
            ProviderProfile::Yahoo => Some(25 * MIB),
            ProviderProfile::ICloud => Some(20 * MIB),
            _ => None,
        }
    }

    /// Folders (decoded, without the personal prefix) that are views of mail held elsewhere,
    /// or the service's own records, never copied: Gmail's Important and Starred (also marked
    /// by attributes), Microsoft's conversation and sync logs.
    pub fn skipped_folders(self) -> &'static [&'static str] {
        match self {
            ProviderProfile::Gmail => &["[Gmail]/Important", "[Gmail]/Starred"],
            ProviderProfile::Microsoft365 => &[
                "Conversation History",
                "Sync Issues",
                "Sync Issues/Conflicts",
                "Sync Issues/Local Failures",
                "Sync Issues/Server Failures",
            ],
            _ => &[],
        }
    }
}
