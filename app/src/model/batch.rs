//! Batch and mailbox states, in the words of Exchange's migration pane.

use serde::{Deserialize, Serialize};

macro_rules! state_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }
            pub fn parse(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

state_enum! {
    /// The state of a whole batch.
    BatchState {
        Created = "Created",
        Syncing = "Syncing",
        Stopping = "Stopping",
        Stopped = "Stopped",
        Completed = "Completed",
        CompletedWithErrors = "CompletedWithErrors",
        Failed = "Failed",
    }
}

state_enum! {
    /// The state of one mailbox (one CSV row) within a batch.
    MailboxState {
        Queued = "Queued",
        Syncing = "Syncing",
        Synced = "Synced",
        Failed = "Failed",
        Stopped = "Stopped",
    }
}

impl MailboxState {
    /// A mailbox in one of these states will not change again without an admin action.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            MailboxState::Synced | MailboxState::Failed | MailboxState::Stopped
        )
    }
}

impl BatchState {
    pub fn is_running(self) -> bool {
        matches!(self, BatchState::Syncing | BatchState::Stopping)
    }
}

/// One line of the dashboard's batch list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchSummary {
    pub id: crate::ids::BatchId,
    pub name: String,
    pub state: BatchState,
    pub mailboxes_total: u64,
    pub mailboxes_done: u64,
    pub mailboxes_failed: u64,
    pub messages_copied: u64,
    pub errors: u64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        for s in BatchState::ALL {
            assert_eq!(BatchState::parse(s.as_str()), Some(*s));
        }
        for s in MailboxState::ALL {
            assert_eq!(MailboxState::parse(s.as_str()), Some(*s));
        }
        assert!(MailboxState::Failed.is_final());
        assert!(!MailboxState::Syncing.is_final());
    }
}
