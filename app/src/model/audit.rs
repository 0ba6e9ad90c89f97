//! The audit trail: who did what, when and from where. Details never hold a secret.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::BatchId;

macro_rules! audit_actions {
    ($($variant:ident = $name:literal, $label:literal;)*) => {
        /// What an administrator (or the command line) did.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum AuditAction {
            $($variant,)*
        }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The name stored in the database and used in filters (`sign_in_failed`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $name,)*
                }
            }

            /// What the audit page shows.
            pub fn label(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $label,)*
                }
            }

            pub fn parse(name: &str) -> Option<AuditAction> {
                match name {
                    $($name => Some(AuditAction::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

audit_actions! {
    SetUp = "set_up", "Set up Mailferry";
    SignedIn = "signed_in", "Signed in";
    SignInFailed = "sign_in_failed", "Sign-in failed";
    SignedOut = "signed_out", "Signed out";
    SignedOutEverywhere = "signed_out_everywhere", "Signed out everywhere";
    AdminAdded = "admin_added", "Added an administrator";
    AdminInvited = "admin_invited", "Invited an administrator";
    InviteAccepted = "invite_accepted", "Accepted an invitation";
    AdminRemoved = "admin_removed", "Removed an administrator";
    PasswordChanged = "password_changed", "Changed own password";
    EndpointSaved = "endpoint_saved", "Saved an endpoint";
    EndpointTested = "endpoint_tested", "Tested an endpoint";
    SettingsSaved = "settings_saved", "Saved the mail settings";
    TestEmailSent = "test_email_sent", "Sent a test e-mail";
    BatchCreated = "batch_created", "Created a batch";
    BatchStarted = "batch_started", "Started a batch";
    BatchStopped = "batch_stopped", "Stopped a batch";
    BatchResumed = "batch_resumed", "Resumed a batch";
    BatchSyncNow = "batch_sync_now", "Asked for a delta sync";
    BatchCompleted = "batch_completed", "Completed a batch";
    BatchRetried = "batch_retried", "Retried failed mailboxes";
    BatchFromFailed = "batch_from_failed", "New batch from failed rows";
    BatchDeleted = "batch_deleted", "Deleted a batch";
    BatchVerified = "batch_verified", "Verified mailboxes";
    BatchCopyMissing = "batch_copy_missing", "Copied missing messages";
    RowsActed = "rows_acted", "Acted on selected rows";
    PreflightRun = "preflight_run", "Ran a pre-flight check";
    Downloaded = "downloaded", "Downloaded a report";
    KeyRotated = "key_rotated", "Rotated the secret key";
}

/// One recorded action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The administrator's name, or `command line` for the CLI.
    pub admin: String,
    /// The client's address (behind a trusted proxy, the forwarded one).
    pub client: Option<String>,
    pub action: AuditAction,
    pub batch: Option<BatchId>,
    pub detail: String,
}

/// What the audit page asks for; every part optional. `before` pages back (entries with a
/// smaller id), newest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub admin: Option<String>,
    pub action: Option<AuditAction>,
    pub batch: Option<BatchId>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub before: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// `before` of the next (older) page, when there is one.
    pub older: Option<i64>,
    /// Every name that appears in the trail, for the filter.
    pub admins: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::AuditAction;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(*action));
            assert!(seen.insert(action.as_str()), "{action:?}");
        }
        assert_eq!(AuditAction::parse("nonsense"), None);
    }
}
