//! Id newtypes, so a batch id is never passed where a mailbox id belongs.

use serde::{Deserialize, Serialize};

macro_rules! id_newtype {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_newtype! {
    /// A migration batch.
    BatchId;
    /// One mailbox (one CSV row) of a batch.
    MailboxId;
    /// A stored source or destination endpoint.
    EndpointId;
    /// An administrator of the Mailferry app.
    AdminId;
}
