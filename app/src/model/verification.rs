//! The proof that a mailbox arrived whole: per folder, the source's messages against the
//! destination's (count, bytes, and the multiset of Message-ID + size + INTERNALDATE), without
//! reading a body.

use serde::{Deserialize, Serialize};

use super::batch::state_enum;

state_enum! {
    /// What the last verification of a mailbox found.
    VerifyOutcome {
        /// Asked for; not finished yet.
        Verifying = "Verifying",
        /// Every source message the batch copies is on the destination.
        Whole = "Whole",
        /// Messages of the source are not on the destination.
        Missing = "Missing",
        /// The comparison could not be made (sign-in, connection): see its detail.
        Failed = "Failed",
    }
}

/// A mailbox row's verification, as the batch page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerificationBadge {
    pub outcome: VerifyOutcome,
    /// Source messages not on the destination.
    pub missing: u64,
    /// Destination messages with no source message (left as they are).
    pub extra: u64,
    pub at: chrono::DateTime<chrono::Utc>,
    /// Why a verification failed.
    pub detail: Option<String>,
}

impl VerificationBadge {
    /// The words of the badge.
    pub fn label(&self) -> String {
        match self.outcome {
            VerifyOutcome::Verifying => "verifying…".into(),
            VerifyOutcome::Whole => "verified".into(),
            VerifyOutcome::Missing => format!("{} missing", self.missing),
            VerifyOutcome::Failed => "not verified".into(),
        }
    }
}
