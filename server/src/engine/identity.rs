//! Proof that a session an admin opened on a user's behalf is that user's, before anything is
//! read or written through it. Servers differ: Dovecot refuses an unknown user at sign-in;
//! Cyrus signs the admin in for any name and shows an empty personal namespace when the user
//! has no mailbox; Courier ignores SASL PLAIN's authorization identity and opens the admin's
//! own mailbox. Where the server offers ACLs, the INBOX's owner must be the user.

use app::ErrorKind;

use super::classify::Stage;
use super::halt::Halt;
use crate::imap::namespace::Namespaces;
use crate::imap::reply::Reply;
use crate::imap::{ImapError, ImapSession};

/// ACL identifiers that name no user.
const GENERIC_IDENTIFIERS: [&str; 5] = [
    "owner",
    "administrators",
    "anyone",
    "authenticated",
    "anonymous",
];

/// Why a session is not the user's.
fn refusal(kind: ErrorKind, text: String) -> Halt {
    Halt::Refused {
        kind,
        error: ImapError::No {
            command: "sign-in on the user's behalf".into(),
            code: None,
            text,
        },
    }
}

/// Checks the session an admin opened for `user` on the side of `stage`.
pub(crate) async fn prove(
    session: &mut ImapSession,
    namespaces: &Namespaces,
    user: &str,
    stage: Stage,
) -> Result<(), Halt> {
    let not_found = |why: String| refusal(not_found_kind(stage), why);
    if session.greeting().contains("Courier-IMAP") {
        return Err(refusal(
            ErrorKind::ImpersonationUnsupported,
            "Courier-IMAP ignores the authorization identity and opens the admin's own mailbox"
                .into(),
        ));
    }
    if namespaces.personal.is_none() {
        return Err(not_found(format!(
            "the server has no mailbox for {user} (its personal namespace is empty)"
        )));
    }
    match session.simple("STATUS INBOX (MESSAGES)").await {
        Ok(_) => {}
        Err(ImapError::No { text, .. }) => {
            return Err(not_found(format!("no INBOX for {user}: {text}")));
        }
        Err(e) => return Err(Halt::at(stage)(e)),
    }
    if session.has_capability("ACL") {
        let owners = inbox_owners(session).await.map_err(Halt::at(stage))?;
        let named: Vec<&String> = owners
            .iter()
            .filter(|o| {
                !GENERIC_IDENTIFIERS
                    .iter()
                    .any(|g| o.eq_ignore_ascii_case(g))
            })
            .collect();
        if !named.is_empty() && !named.iter().any(|o| o.eq_ignore_ascii_case(user)) {
            return Err(refusal(
                ErrorKind::ImpersonationUnsupported,
                format!(
                    "the INBOX the server opened belongs to {}, not {user}",
                    named[0]
                ),
            ));
        }
    }
    Ok(())
}

fn not_found_kind(stage: Stage) -> ErrorKind {
    match stage {
        Stage::SourceSignIn | Stage::SourceConnect | Stage::SourceRead => {
            ErrorKind::SourceSignInFailed
        }
        _ => ErrorKind::DestinationMailboxNotFound,
    }
}

/// The identifiers of the INBOX's access list (a server that refuses to show it shows none).
async fn inbox_owners(session: &mut ImapSession) -> Result<Vec<String>, ImapError> {
    let mut owners = Vec::new();
    let asked = session
        .run("GETACL INBOX", |reply| {
            if let Reply::Acl(ids) = reply {
                owners.extend(ids);
            }
            Ok(())
        })
        .await;
    match asked {
        Ok(_) | Err(ImapError::No { .. } | ImapError::Bad { .. }) => Ok(owners),
        Err(e) => Err(e),
    }
}
