//! `ErrorKind`: every failure Mailferry reports, shared from the IMAP response to the browser badge
//! and the `MigrationErrors.csv` row. Each kind carries its title, admin message and suggested fix.

use serde::{Deserialize, Serialize};

/// Whether an error stops the whole mailbox or skips a single message, or is a notice of
/// something that was copied with a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text"))]
pub enum ErrorScope {
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "mailbox"))]
    Mailbox,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "message"))]
    Message,
    /// Copied, with a change the admin should know of (a repaired message, a renamed folder).
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "notice"))]
    Notice,
}

macro_rules! error_kinds {
    ($( $variant:ident = $code:literal, $scope:ident, $title:literal, $message:literal, $solution:literal; )*) => {
        /// A typed migration failure. The code (`as_str`) is stable: it is stored (a sea-orm
        /// active enum on the server) and exported.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
        #[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text"))]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorKind { $( #[cfg_attr(feature = "ssr", sea_orm(string_value = $code))] $variant, )* }

        impl ErrorKind {
            pub const ALL: &'static [ErrorKind] = &[ $( ErrorKind::$variant, )* ];

            /// Stable machine code, used in the database, CSV files and URLs.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorKind::$variant => $code, )* }
            }

            pub fn parse(code: &str) -> Option<ErrorKind> {
                match code { $( $code => Some(ErrorKind::$variant), )* _ => None }
            }

            pub fn scope(self) -> ErrorScope {
                match self { $( ErrorKind::$variant => ErrorScope::$scope, )* }
            }

            /// A short title for badges and filter chips.
            pub fn title(self) -> &'static str {
                match self { $( ErrorKind::$variant => $title, )* }
            }

            /// What happened, in an admin's words.
            pub fn message(self) -> &'static str {
                match self { $( ErrorKind::$variant => $message, )* }
            }

            /// What the admin can do about it.
            pub fn solution(self) -> &'static str {
                match self { $( ErrorKind::$variant => $solution, )* }
            }
        }
    };
}

error_kinds! {
    SourceSignInFailed = "source_sign_in_failed", Mailbox,
        "Cannot sign in to the source",
        "The source server refused the user name or password of this row.",
        "Check the UserName and Password of this row on the source server (sign in with an IMAP client using the same values), correct the row and start a new batch from the failed rows.";
    SourceConnectFailed = "source_connect_failed", Mailbox,
        "Cannot connect to the source server",
        "The source server could not be reached (name lookup, refused connection, timeout or TLS failure).",
        "Test the source server with an IMAP client or ping using the same host, port and security settings; check firewalls and certificates, then resume the batch.";
    DestinationMailboxNotFound = "destination_mailbox_not_found", Mailbox,
        "Destination mailbox not found",
        "The destination server accepted the admin credentials but has no mailbox for this EmailAddress.",
        "Create the destination mailbox (or correct the EmailAddress), then start a new batch from the failed rows.";
    MailboxAlreadyMigrated = "mailbox_already_migrated", Mailbox,
        "Mailbox already migrated",
        "This mailbox was completed by an earlier batch.",
        "Remove already-migrated rows from the CSV, or start the batch with \"sync again\" to copy only what is new.";
    DestinationMailboxFull = "destination_mailbox_full", Mailbox,
        "Destination mailbox full",
        "The destination refused a message because the mailbox is over its quota.",
        "Free space in the destination mailbox or enlarge its quota, then resume the batch: copying continues where it stopped.";
    DestinationSignInFailed = "destination_sign_in_failed", Mailbox,
        "Cannot sign in to the destination",
        "The destination server refused the admin credentials of the destination endpoint.",
        "Check the destination endpoint's admin user and password and its impersonation method, test the endpoint, then resume the batch.";
    DestinationConnectFailed = "destination_connect_failed", Mailbox,
        "Cannot connect to the destination server",
        "The destination server could not be reached (name lookup, refused connection, timeout or TLS failure).",
        "Test the destination endpoint; check host, port, security settings and certificates, then resume the batch.";
    MessageTooLarge = "message_too_large", Message,
        "Message too large",
        "A message is larger than the batch's size limit or than the destination accepts; it was skipped.",
        "Raise the destination's message size limit (or the batch's maximum message size) and run the batch again, or move the message by hand.";
    MessageRejected = "message_rejected", Message,
        "Message rejected",
        "The destination refused a message; it was skipped and the rest of the folder was copied.",
        "Look at the detail for the server's reason; fix the message or the destination's policy and sync again.";
    FolderFailed = "folder_failed", Message,
        "Folder could not be copied",
        "A folder could not be opened or created; its messages were not copied.",
        "Check the folder name and permissions on both servers (the detail has the server's answer), then sync again.";
    FolderIncomplete = "folder_incomplete", Message,
        "Folder not copied completely",
        "The source listed fewer messages than the folder holds (or lost some while they were read); the folder is not recorded as complete.",
        "Sync again: the folder is read again and what is missing is copied. If it keeps happening, check the folder on the source server (a damaged index, or a server that limits how many messages it lists).";
    FolderRenamed = "folder_renamed", Notice,
        "Folder renamed on the destination",
        "A level of the folder's name holds the destination's hierarchy separator; it was copied under a name with a look-alike character instead, so that it stays one level.",
        "Nothing is missing. Rename the folder on the destination if the look-alike character bothers its user.";
    FolderGoneFromSource = "folder_gone_from_source", Notice,
        "Folder no longer on the source",
        "A folder copied by an earlier pass is no longer on the source (deleted or renamed there; a renamed folder is copied again under its new name). Its copy on the destination was left as it is.",
        "Nothing is lost. If the user deleted or renamed the folder on purpose, delete or rename its copy on the destination after the migration.";
    MessageRepaired = "message_repaired", Notice,
        "Message repaired to be accepted",
        "The destination refused the message as the source stores it (bare line feeds, NUL bytes, over-long lines, raw 8-bit header bytes or no final line end); it was repaired as the detail says and copied.",
        "Nothing is missing. If the change matters (a signed message), fix the destination's policy and copy the original by hand.";
    KeywordsDropped = "keywords_dropped", Notice,
        "Keywords not kept",
        "The destination folder takes no new keywords (its PERMANENTFLAGS has no \\*), or refuses a flag: the message was copied without the ones the detail names.",
        "Allow custom keywords on the destination (for Dovecot, the folder's keyword limit), then sync again to copy them.";
    ImpersonationUnsupported = "impersonation_unsupported", Mailbox,
        "The server does not let the admin act for the user",
        "The server signed the admin in, but not into this user's mailbox (some servers ignore SASL PLAIN's authorization identity and open the admin's own mailbox): nothing was copied, so nothing landed in the wrong mailbox.",
        "Choose the sign-in method this server supports for an admin acting for a user (its master-user or proxy-authorization setting), or sign in with each user's own password.";
    NamespaceChanged = "namespace_changed", Mailbox,
        "The source's folder names changed",
        "The source server names the user's folders differently than at the first pass (its personal namespace prefix changed, e.g. from \"\" to \"INBOX.\"): copying on would put every folder in twice under new names, so the mailbox was stopped before anything was copied.",
        "Check the source server's namespace settings (a changed configuration, or sessions landing on different servers behind a balancer). If the change is meant to stay, remove the rows from their batch and migrate them again as new rows; otherwise undo the change and resume.";
    Throttled = "throttled", Mailbox,
        "Throttled by the server",
        "A server kept asking Mailferry to slow down until the retry budget was spent.",
        "Lower the endpoint's concurrency or run the batch outside busy hours; resume continues where it stopped.";
    MessageNotReturned = "message_not_returned", Message,
        "Message not returned by the source",
        "The source server listed this message but did not send it when it was asked for (it may have been deleted during the copy).",
        "Run the batch again: the message is asked for again and copied if it still exists; if it keeps failing, check the message on the source server.";
    ConnectionLost = "connection_lost", Mailbox,
        "Connection lost after retries",
        "The connection to a server broke repeatedly and the retry budget was spent.",
        "Check the network path and the servers' logs, then resume the batch: copying continues where it stopped.";
    ProtocolError = "protocol_error", Mailbox,
        "Unexpected server response",
        "A server sent a response that does not follow the IMAP protocol.",
        "Check the detail for the server's answer; a server upgrade or a different endpoint setting (security, port) may be needed.";
    StorageFailed = "storage_failed", Mailbox,
        "Mailferry's database could not be written",
        "Mailferry could not read or write its own database (a full disk, a failing disk or a lost connection to PostgreSQL); the mailbox stopped where its last commit left it.",
        "Free space on the disk that holds Mailferry's database (or restore the connection to PostgreSQL), then resume the batch: everything committed before is kept and nothing is copied twice.";
    OAuthConsentMissing = "oauth_consent_missing", Mailbox,
        "Consent or delegation missing",
        "The OAuth 2 provider refused to issue a token for this user: the app has no consent or domain-wide delegation for it (unauthorized_client, access_denied), or the user withdrew a consent.",
        "Google Workspace: in the Admin console, Security > Access and data control > API controls > Manage domain-wide delegation, add the service account's client ID with the scope https://mail.google.com/. Microsoft 365: grant admin consent to the app's IMAP.AccessAsApp permission and give its service principal FullAccess to the mailbox (New-ServicePrincipal, Add-MailboxPermission). A personal account: send the user the row's consent link again. Then retry the failed mailboxes.";
    OAuthInvalidClient = "oauth_invalid_client", Mailbox,
        "Invalid client secret or key",
        "The OAuth 2 provider did not accept the endpoint's client secret, certificate or service account key (invalid_client, or a signature it cannot verify).",
        "Create a new key (Google Cloud console: the service account's Keys tab; Microsoft Entra: the app registration's Certificates & secrets), enter it on the endpoint, press Test, then retry the failed mailboxes.";
    OAuthUserUnknown = "oauth_user_unknown", Mailbox,
        "User unknown to the provider",
        "The OAuth 2 provider knows no user by this row's UserName, or the user cannot sign in there.",
        "Use the user's primary address in Google Workspace or Microsoft 365 as UserName (not an alias or a deleted user), correct the row and start a new batch from the failed rows.";
    ImapDisabled = "imap_disabled", Mailbox,
        "IMAP disabled for the user",
        "The token was accepted but the server does not allow this user to use IMAP.",
        "Google Workspace: Admin console > Apps > Google Workspace > Gmail > End User Access, turn on IMAP access for the user's organizational unit. Microsoft 365: Exchange admin center > the mailbox > Email apps, turn on IMAP (Set-CASMailbox -ImapEnabled $true). Then retry the failed mailboxes.";
    TokenEndpointUnreachable = "token_endpoint_unreachable", Mailbox,
        "Token endpoint unreachable",
        "Mailferry could not get a token from the OAuth 2 provider: its token URL did not answer, or answered with a server error.",
        "Check the endpoint's token URL and that this server reaches it (name lookup, firewall, proxy), press Test on the endpoint, then retry the failed mailboxes.";
    InvalidCsvRow = "invalid_csv_row", Mailbox,
        "Invalid CSV row",
        "This row of the CSV file could not be used.",
        "Correct the named column of this row and upload the file again.";
    Internal = "internal", Mailbox,
        "Internal error",
        "Mailferry failed for a reason of its own.",
        "Resume the batch; if it happens again, send the server log lines around this time to your Mailferry support.";
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.title())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            assert!(
                seen.insert(kind.as_str()),
                "duplicate code {}",
                kind.as_str()
            );
            assert_eq!(ErrorKind::parse(kind.as_str()), Some(*kind));
            assert!(!kind.solution().is_empty());
        }
        assert_eq!(ErrorKind::parse("nonsense"), None);
    }

    #[test]
    fn the_five_classic_errors_have_their_solutions() {
        assert!(
            ErrorKind::SourceSignInFailed
                .solution()
                .contains("UserName and Password")
        );
        assert!(
            ErrorKind::DestinationMailboxNotFound
                .solution()
                .contains("Create the destination mailbox")
        );
        assert!(
            ErrorKind::MailboxAlreadyMigrated
                .solution()
                .contains("sync again")
        );
        assert!(
            ErrorKind::SourceConnectFailed
                .solution()
                .contains("IMAP client or ping")
        );
        assert!(
            ErrorKind::DestinationMailboxFull
                .solution()
                .contains("enlarge")
        );
    }

    #[test]
    fn serde_uses_the_stable_code() {
        assert_eq!(
            serde_json::to_string(&ErrorKind::DestinationMailboxFull).unwrap(),
            "\"destination_mailbox_full\""
        );
    }
}
