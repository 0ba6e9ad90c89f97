//! The signed-in administrator, as the browser sees them.

use serde::{Deserialize, Serialize};

use crate::ids::AdminId;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminView {
    pub id: AdminId,
    pub username: String,
}

/// What the sign-in page needs to know before anyone is signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetupState {
    /// No administrator exists yet: the one-time set-up page is open.
    NeedsFirstAdmin,
    Ready,
}
