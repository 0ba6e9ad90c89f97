//! The signed-in administrator, as the browser sees them.

use serde::{Deserialize, Serialize};

use crate::ids::AdminId;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminView {
    pub id: AdminId,
    pub username: String,
}

/// An administrator in the list of administrators.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminRow {
    pub id: AdminId,
    pub username: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The one looking at the list.
    pub is_you: bool,
}

/// An invitation waiting to be accepted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InviteRow {
    pub username: String,
    pub invited_by: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdminList {
    pub admins: Vec<AdminRow>,
    pub invites: Vec<InviteRow>,
}

/// How a new administrator gets in: a password set now, or a one-time link they open.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NewAdmin {
    WithPassword { username: String, password: String },
    Invite { username: String },
}

impl std::fmt::Debug for NewAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NewAdmin::WithPassword { username, .. } => write!(f, "WithPassword({username}, ***)"),
            NewAdmin::Invite { username } => write!(f, "Invite({username})"),
        }
    }
}

/// The answer to adding an administrator: the invitation link (shown once) when invited.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminAdded {
    pub invite_path: Option<String>,
}

/// The link is a key: never printed.
impl std::fmt::Debug for AdminAdded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let link = if self.invite_path.is_some() {
            "Some(***)"
        } else {
            "None"
        };
        write!(f, "AdminAdded {{ invite_path: {link} }}")
    }
}

/// What the sign-in page needs to know before anyone is signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetupState {
    /// No administrator exists yet: the one-time set-up page is open.
    NeedsFirstAdmin,
    Ready,
}
